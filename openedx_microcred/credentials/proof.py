"""
Data Integrity proofs with the ``eddsa-rdfc-2022`` cryptosuite (W3C Data Integrity EdDSA
Cryptosuites v1.0, §3.2): sign a JSON-LD document with an Ed25519 key, verify such a proof.

hashData = SHA-256(canonical N-Quads of the proof configuration) || SHA-256(canonical N-Quads
of the document without ``proof``); the proof configuration is the proof without
``proofValue``, carrying the document's ``@context``. The Ed25519 signature of hashData,
multibase base58btc encoded, is the ``proofValue``. Ed25519 is deterministic: the same document,
key and proof options always give the same proof, byte for byte.

DO NOT hand-edit a document after signing it, or build the N-Quads any other way than
``canonical.canonize``: standard verifiers recompute the hash with jsonld.js and rdf-canonize.
"""
from __future__ import annotations

import enum
import functools
import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .canonical import canonize
from .documents import CREDENTIALS_V2_URL, DATA_INTEGRITY_V2_URL
from .exceptions import CanonicalizationError, DocumentNotBundledError, KeyFormatError
from .multikey import multibase_decode, multibase_encode

__all__ = [
    "CRYPTOSUITE",
    "PROOF_TYPE",
    "FailureReason",
    "VerificationResult",
    "canonize",
    "sign",
    "verify",
]

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-rdfc-2022"
SIGNATURE_SIZE = 64

# XML Schema dateTimeStamp: a dateTime with a mandatory time zone.
_DATE_TIME_STAMP = re.compile(
    r"-?([1-9][0-9]{3,}|0[0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"T(([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?|24:00:00(\.0+)?)"
    r"(Z|[+-]((0[0-9]|1[0-3]):[0-5][0-9]|14:00))"
)


class FailureReason(enum.StrEnum):
    """Why ``verify`` rejected a document."""

    NO_PROOF = "no_proof"
    MALFORMED_PROOF = "malformed_proof"
    UNSUPPORTED_PROOF_TYPE = "unsupported_proof_type"
    UNSUPPORTED_CRYPTOSUITE = "unsupported_cryptosuite"
    WRONG_PROOF_PURPOSE = "wrong_proof_purpose"
    UNKNOWN_KEY = "unknown_key"
    INVALID_DOCUMENT = "invalid_document"
    BAD_SIGNATURE = "bad_signature"


@dataclass(frozen=True)
class VerificationResult:
    """The outcome of ``verify``: ``verified``, else a ``reason`` and a human ``message``.

    ``verification_method`` is the key the (first failing, or else first) proof names.
    """

    verified: bool
    reason: FailureReason | None = None
    message: str = ""
    verification_method: str | None = None


def sign(
    document: Mapping[str, Any],
    *,
    private_key: Ed25519PrivateKey,
    verification_method: str,
    created: datetime | str,
    proof_purpose: str = "assertionMethod",
    document_loader: Callable | None = None,
) -> dict[str, Any]:
    """A copy of ``document`` with an eddsa-rdfc-2022 ``DataIntegrityProof`` appended to its
    ``proof`` array (proofs already there stay: the new one, like them, signs the document
    without ``proof``).

    ``verification_method`` is the id of ``private_key``'s public key as the verifier will
    resolve it; ``created`` is an aware datetime (written in UTC, whole seconds) or an XML Schema
    dateTimeStamp string. When the ``@context`` has neither the VC 2.0 nor the Data Integrity
    context, the latter is appended, as the reference JavaScript issuer does. The argument is
    not modified (the copy shares its nested values). Raises ``ValueError`` for a bad
    ``created``, ``CanonicalizationError`` or ``DocumentNotBundledError`` for a document that
    cannot be signed safely offline.
    """
    unsecured = _without_proof(document)
    unsecured["@context"] = _with_suite_context(unsecured.get("@context"))
    options = {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "created": _timestamp(created),
        "verificationMethod": verification_method,
        "proofPurpose": proof_purpose,
    }
    signature = private_key.sign(_hash_data(unsecured, options, document_loader))
    proof = {**options, "proofValue": multibase_encode(signature)}
    return {**unsecured, "proof": [*_as_list(document.get("proof")), proof]}


def verify(
    document: Mapping[str, Any],
    *,
    resolve_key: Callable[[str], Ed25519PublicKey | None],
    proof_purpose: str = "assertionMethod",
    document_loader: Callable | None = None,
) -> VerificationResult:
    """Check every proof of ``document``; it is verified only if it has one and all hold.

    ``resolve_key`` maps a verification method id to the Ed25519 public key it names, or to
    None when the id is unknown or not authorized for ``proof_purpose`` by its controller (see
    ``did.key_resolver`` and ``did.resolve_did_key``). Never raises for a bad document: the
    result says what is wrong.
    """
    proofs = _as_list(document.get("proof"))
    if not proofs:
        return _failure(FailureReason.NO_PROOF, "the document has no proof")
    unsecured = _without_proof(document)
    results = [_verify_proof(unsecured, proof, resolve_key, proof_purpose, document_loader)
               for proof in proofs]
    return next((result for result in results if not result.verified), results[0])


def _verify_proof(
    unsecured: dict[str, Any], proof: Any, resolve_key: Callable, purpose: str,
    document_loader: Callable | None,
) -> VerificationResult:
    problem = _proof_problem(proof, purpose)
    if problem:
        return problem
    method = proof["verificationMethod"]
    try:
        signature = multibase_decode(proof["proofValue"])
    except KeyFormatError as error:
        return _failure(FailureReason.MALFORMED_PROOF, f"proofValue: {error}", method)
    if len(signature) != SIGNATURE_SIZE:
        return _failure(FailureReason.MALFORMED_PROOF,
                        f"proofValue has {len(signature)} bytes, not {SIGNATURE_SIZE}", method)
    if not _has_suite_context(unsecured.get("@context")):
        return _failure(FailureReason.INVALID_DOCUMENT,
                        "the @context has neither the VC 2.0 nor the Data Integrity context",
                        method)
    key = resolve_key(method)
    if key is None:
        return _failure(FailureReason.UNKNOWN_KEY, f"no key resolves for {method!r}", method)
    options = {name: value for name, value in proof.items() if name != "proofValue"}
    try:
        key.verify(signature, _hash_data(unsecured, options, document_loader))
    except (CanonicalizationError, DocumentNotBundledError) as error:
        return _failure(FailureReason.INVALID_DOCUMENT, str(error), method)
    except InvalidSignature:
        return _failure(FailureReason.BAD_SIGNATURE,
                        "the signature does not match the document and proof options", method)
    return VerificationResult(verified=True, verification_method=method)


def _proof_problem(proof: Any, purpose: str) -> VerificationResult | None:
    if not isinstance(proof, Mapping):
        return _failure(FailureReason.MALFORMED_PROOF, "a proof is not an object")
    method = proof.get("verificationMethod")
    if proof.get("type") != PROOF_TYPE:
        return _failure(FailureReason.UNSUPPORTED_PROOF_TYPE,
                        f"proof type {proof.get('type')!r} is not {PROOF_TYPE}", method)
    if proof.get("cryptosuite") != CRYPTOSUITE:
        return _failure(FailureReason.UNSUPPORTED_CRYPTOSUITE,
                        f"cryptosuite {proof.get('cryptosuite')!r} is not {CRYPTOSUITE}", method)
    if proof.get("proofPurpose") != purpose:
        return _failure(FailureReason.WRONG_PROOF_PURPOSE,
                        f"proofPurpose {proof.get('proofPurpose')!r} is not {purpose!r}", method)
    if not isinstance(method, str) or not isinstance(proof.get("proofValue"), str):
        return _failure(FailureReason.MALFORMED_PROOF,
                        "verificationMethod and proofValue must be strings", None)
    for name in ("created", "expires"):
        if name in proof and not _is_date_time_stamp(proof[name]):
            return _failure(FailureReason.MALFORMED_PROOF,
                            f"{name} {proof[name]!r} is not a dateTimeStamp", method)
    return None


def _hash_data(unsecured: dict[str, Any], options: dict[str, Any],
               document_loader: Callable | None) -> bytes:
    config = {"@context": unsecured["@context"], **options}
    if document_loader is None:
        config_hash = _bundled_config_hash(json.dumps(config, sort_keys=True))
    else:
        config_hash = _sha256(canonize(config, document_loader=document_loader))
    return config_hash + _sha256(canonize(unsecured, document_loader=document_loader))


@functools.lru_cache(maxsize=256)
def _bundled_config_hash(config_json: str) -> bytes:
    # Credentials signed in a batch share their proof configuration (same context, key and
    # second); it is a sixth of the work of a signature. Key order does not matter to JSON-LD.
    return _sha256(canonize(json.loads(config_json)))


def _sha256(nquads: str) -> bytes:
    try:
        return hashlib.sha256(nquads.encode("utf-8")).digest()
    except UnicodeEncodeError as error:  # a lone surrogate ("\ud800") has no UTF-8 form
        raise CanonicalizationError(f"not valid Unicode: {error}") from error


def _without_proof(document: Mapping[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in document.items() if name != "proof"}


def _with_suite_context(context: Any) -> Any:
    if _has_suite_context(context):
        return context
    return [*_as_list(context), DATA_INTEGRITY_V2_URL]


def _has_suite_context(context: Any) -> bool:
    # Either context defines DataIntegrityProof and its properties.
    contexts = _as_list(context)
    return CREDENTIALS_V2_URL in contexts or DATA_INTEGRITY_V2_URL in contexts


def _timestamp(created: datetime | str) -> str:
    if isinstance(created, datetime):
        if created.utcoffset() is None:
            raise ValueError("created must be an aware datetime (a dateTimeStamp has a zone)")
        return created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if not _is_date_time_stamp(created):
        raise ValueError(f"created {created!r} is not an XML Schema dateTimeStamp")
    return created


def _is_date_time_stamp(value: Any) -> bool:
    return isinstance(value, str) and _DATE_TIME_STAMP.fullmatch(value) is not None


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _failure(reason: FailureReason, message: str, method: str | None = None
             ) -> VerificationResult:
    return VerificationResult(verified=False, reason=reason, message=message,
                              verification_method=method)
