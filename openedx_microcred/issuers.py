"""
Issuer identities: each organisation signs with its own Ed25519 key under its own DID.

* ``did:web:<lms-host>:microcred:issuers:<org>`` when the LMS host is known, its DID document
  served by the plugin at ``/microcred/issuers/<org>/did.json`` and listing every key the org
  ever had (retired ones too: credentials signed before a rotation must still verify);
* ``did:key:<public key>`` otherwise (the DID is the key; nothing to serve).

Private keys are encrypted at rest (``encryption``); a key no configured encryption key opens
raises ``encryption.DecryptionError`` naming the org. DO NOT log, render or return a private
key or its ciphertext.
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.db import IntegrityError, transaction
from django.utils import timezone

from . import encryption, platform
from .conf import setting
from .credentials import did_document, did_key
from .credentials.did import verification_method_id
from .credentials.multikey import decode_public_key, encode_public_key
from .models import IssuerKey, org_key


@dataclass(frozen=True)
class Signer:
    """What signing needs: the DID, the verification method and the private key (in memory)."""

    did: str
    verification_method: str
    private_key: Ed25519PrivateKey

    def __repr__(self) -> str:  # never show the key
        return f"Signer({self.verification_method!r})"


def issuer_host() -> str:
    """The host (with port) of did:web identifiers, or "" when did:key is used."""
    configured = setting("MICROCRED_ISSUER_HOST")
    if configured:
        return configured
    return urlsplit(platform.get_lms_root_url() or "").netloc


def base_url() -> str:
    """The LMS root URL public documents live under ("" when unknown)."""
    return (platform.get_lms_root_url() or "").rstrip("/")


def org_did(org: str) -> str | None:
    """The did:web DID of ``org``, or None when no host is configured (did:key is used).

    The org is one path segment: every character outside DID ``idchar`` (ALPHA, DIGIT, ``.``,
    ``-``, ``_``) is percent-encoded — ``~`` too, which ``quote`` would leave as is. Orgs that
    make an unusable segment (``.``, ``..``) are refused at import (``definitions.checks``).
    """
    prefix = _did_web_prefix()
    return f"{prefix}{did_segment(org)}" if prefix else None


def did_segment(value: str) -> str:
    """``value`` as a did:web path segment (DID Core §3.1 ``idchar``)."""
    return quote(value, safe="").replace("~", "%7E")


def _did_web_prefix() -> str:
    """``did:web:<host>:microcred:issuers:`` ("" when no host is configured)."""
    host = issuer_host()
    return f"did:web:{quote(host, safe='')}:microcred:issuers:" if host else ""


def signer_for(org: str) -> Signer:
    """The active signer of ``org``, creating the org's first key when it has none."""
    key, _created = ensure_key(org)
    return _signer(org, key)


def signer_for_method(org: str, verification_method: str) -> Signer:
    """The signer of ``org`` whose key is ``verification_method`` (``<did>#<multibase>``),
    retired or not, under that method's DID: documents derived from a credential are signed by
    the key and issuer id that signed it, even after the org's identifiers changed (a rotation
    under did:key, an LMS host configured later)."""
    did, _, multibase = verification_method.rpartition("#")
    key = IssuerKey.objects.filter(org_key=org_key(org), public_key=multibase).first()
    if key is None:
        raise LookupError(f"{org} has no key {multibase}")
    return _signer(org, key, did=did or None)


def signer_for_did(org: str, did: str) -> Signer:
    """A signer of ``org`` whose issuer id is ``did``: the did:key's own key (retired or not),
    else the org's active key. Status lists are signed so, one family per issuer id: a verifier
    requires a list's issuer to equal the credential's (Bitstring Status List v1.0 §3.2)."""
    if did.startswith("did:key:"):
        multibase = did.removeprefix("did:key:")
        key = IssuerKey.objects.filter(org_key=org_key(org), public_key=multibase).first()
        if key is None:
            raise LookupError(f"{org} has no key {multibase}")
        return _signer(org, key, did=did)
    active = signer_for(org)
    if not did or did == active.did:
        return active
    return _signer(org, IssuerKey.objects.get(org_key=org_key(org), active=True), did=did)


def _signer(org: str, key: IssuerKey, *, did: str | None = None) -> Signer:
    """Raises ``encryption.DecryptionError`` naming the org when no configured key opens the
    private key."""
    private_key = _decrypt(key.encrypted_private_key, what=key.secret_label)
    public_key = private_key.public_key()
    did = did or org_did(org) or did_key(public_key)
    return Signer(did=did, verification_method=verification_method_id(did, public_key),
                  private_key=private_key)


def ensure_key(org: str) -> tuple[IssuerKey, bool]:
    """The active key of ``org`` and whether this call created it (idempotent, race-safe)."""
    key = IssuerKey.objects.filter(org_key=org_key(org), active=True).first()
    if key is not None:
        return key, False
    try:
        return _insert_key(org), True
    except IntegrityError:  # another process created the org's key first: use theirs
        return IssuerKey.objects.get(org_key=org_key(org), active=True), False


def did_document_url(org: str) -> str:
    """Where did:web resolvers fetch ``org``'s DID document ("" when did:key is used)."""
    host = issuer_host()
    return f"https://{host}/microcred/issuers/{quote(org, safe='')}/did.json" if host else ""


def rotate_key(org: str) -> IssuerKey:
    """Retire the org's active key and create a new one; the old one stays in the DID document."""
    with transaction.atomic():
        IssuerKey.objects.select_for_update().filter(org_key=org_key(org), active=True).update(
            active=None, retired_at=timezone.now())
        return ensure_key(org)[0]


def public_keys(org: str) -> list[Ed25519PublicKey]:
    """Every public key ``org`` has signed with, the active one first."""
    rows = IssuerKey.objects.filter(org_key=org_key(org)).order_by("-active", "-created", "-pk")
    return [decode_public_key(row.public_key) for row in rows]


def did_document_for(org: str) -> dict | None:
    """The did:web DID document of ``org`` (None when the org has no key or did:web is off)."""
    did = org_did(org)
    keys = public_keys(org)
    if did is None or not keys:
        return None
    return did_document(did, keys)


def org_of_did(did: str) -> str | None:
    """The org whose DID is ``did`` (did:web of this host, or did:key of one of our keys)."""
    if did.startswith("did:key:"):
        multibase = did.removeprefix("did:key:").split("#", 1)[0]
        return IssuerKey.objects.filter(public_key=multibase).values_list("org", flat=True).first()
    prefix = _did_web_prefix()
    if prefix and did.startswith(prefix):
        return unquote(did[len(prefix):]) or None
    return None


def _insert_key(org: str) -> IssuerKey:
    """A new active key for ``org``; ``IntegrityError`` when the org has one already."""
    private_key = Ed25519PrivateKey.generate()
    with transaction.atomic():
        return IssuerKey.objects.create(
            org=org, org_key=org_key(org),
            public_key=encode_public_key(private_key.public_key()),
            encrypted_private_key=_encrypt(private_key))


def _encrypt(private_key: Ed25519PrivateKey) -> str:
    raw = private_key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                    serialization.NoEncryption())
    return encryption.encrypt(raw)


def _decrypt(token: str, *, what: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(encryption.decrypt(token, what=what))
