"""
DIDs for Ed25519 issuer keys: ``did:key`` identifiers, DID documents, and key resolvers.

A verification method id is always ``<controller DID>#<publicKeyMultibase>``, for ``did:web`` as
for ``did:key`` (where the did:key specification requires it): the id then names its key, so a
rotated key keeps a stable id for as long as it stays in the DID document.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from .documents import DID_V1_URL, MULTIKEY_V1_URL
from .exceptions import KeyFormatError
from .multikey import decode_public_key, encode_public_key

__all__ = [
    "KeyResolver",
    "did_document",
    "did_key",
    "did_key_verification_method",
    "key_resolver",
    "resolve_did_key",
    "verification_method_id",
]

#: Verification method id -> the Ed25519 public key it names, or None when unknown/unauthorized.
KeyResolver = Callable[[str], Ed25519PublicKey | None]

DID_KEY_PREFIX = "did:key:"


def did_key(public_key: Ed25519PublicKey) -> str:
    """The ``did:key`` DID of ``public_key`` (``did:key:z6Mk…``)."""
    return DID_KEY_PREFIX + encode_public_key(public_key)


def verification_method_id(controller: str, public_key: Ed25519PublicKey) -> str:
    """The id of ``public_key``'s verification method in ``controller``'s DID document."""
    return f"{controller}#{encode_public_key(public_key)}"


def did_key_verification_method(public_key: Ed25519PublicKey) -> str:
    """The verification method id of a ``did:key`` (``did:key:z6Mk…#z6Mk…``)."""
    return verification_method_id(did_key(public_key), public_key)


def did_document(did: str, public_keys: Sequence[Ed25519PublicKey]) -> dict[str, Any]:
    """The DID document of ``did`` listing ``public_keys`` as Multikey verification methods.

    Every key is authorized for ``assertionMethod`` and ``authentication``: pass the current key
    and every retired key whose credentials must still verify. The order is kept (put the
    current key first). Raises ``ValueError`` for no keys or a repeated key.
    """
    ids = [verification_method_id(did, key) for key in public_keys]
    if not ids:
        raise ValueError("a DID document needs at least one key")
    if len(set(ids)) != len(ids):
        raise ValueError("the same key is listed twice")
    methods = [
        {"id": method_id, "type": "Multikey", "controller": did,
         "publicKeyMultibase": encode_public_key(key)}
        for method_id, key in zip(ids, public_keys, strict=True)
    ]
    return {
        "@context": [DID_V1_URL, MULTIKEY_V1_URL],
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": list(ids),
        "authentication": list(ids),
    }


def resolve_did_key(verification_method: str) -> Ed25519PublicKey | None:
    """The public key named by a ``did:key`` verification method id, resolved offline.

    Returns None for anything but ``did:key:<key>#<same key>`` with an Ed25519 key (a did:key
    authorizes its one key for every proof purpose).
    """
    did, _, fragment = verification_method.partition("#")
    multibase = did.removeprefix(DID_KEY_PREFIX)
    if not did.startswith(DID_KEY_PREFIX) or fragment != multibase:
        return None
    try:
        return decode_public_key(multibase)
    except KeyFormatError:
        return None


def key_resolver(
    document: Mapping[str, Any], *, proof_purpose: str = "assertionMethod"
) -> KeyResolver:
    """A ``KeyResolver`` over one DID document (for example the issuer's ``did:web`` document).

    It resolves the Multikey verification methods that ``document`` authorizes for
    ``proof_purpose`` and that are not marked ``revoked``; anything else resolves to None.
    """
    keys = _authorized_keys(document, proof_purpose)
    return keys.get


def _authorized_keys(document: Mapping[str, Any], purpose: str) -> dict[str, Ed25519PublicKey]:
    did = document.get("id", "")
    methods = {_absolute(did, method.get("id", "")): method
               for method in _as_list(document.get("verificationMethod"))
               if isinstance(method, Mapping)}
    keys = {}
    for entry in _as_list(document.get(purpose)):
        # A relationship lists ids of shared verification methods or embeds its own.
        method = entry if isinstance(entry, Mapping) else methods.get(_absolute(did, entry))
        key = _multikey(method) if method is not None else None
        if method is not None and key is not None:
            keys[_absolute(did, method["id"])] = key
    return keys


def _multikey(method: Mapping[str, Any]) -> Ed25519PublicKey | None:
    if method.get("type") != "Multikey" or "revoked" in method or "id" not in method:
        return None
    try:
        return decode_public_key(method.get("publicKeyMultibase", ""))
    except KeyFormatError:
        return None


def _absolute(did: str, method_id: Any) -> str:
    # DID documents may write ids relative to the DID ("#key-1").
    method_id = str(method_id)
    return did + method_id if method_id.startswith("#") else method_id


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
