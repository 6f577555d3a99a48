"""
The cryptographic core of credential signing: pure functions, no Django, no network.

- ``documents``: the bundled JSON-LD contexts and JSON Schema, and the offline document loader;
- ``multikey``: Ed25519 keys as Multikey (multibase base58btc + multicodec) strings;
- ``did``: ``did:key`` identifiers, DID documents (``did:web`` / ``did:key``) and key resolvers;
- ``canonical``: RDFC-1.0 canonical N-Quads, byte-identical to the JavaScript reference stack;
- ``proof``: ``DataIntegrityProof`` / ``eddsa-rdfc-2022`` signing and verification.

DO NOT import Django (or the models) here: these modules must stay testable and usable alone,
and the issuance services call them with plain dicts and keys.
"""
from __future__ import annotations

from .did import did_document, did_key, did_key_verification_method, key_resolver, resolve_did_key
from .exceptions import (
    CanonicalizationError,
    CredentialError,
    DocumentNotBundledError,
    KeyFormatError,
)
from .proof import FailureReason, VerificationResult, canonize, sign, verify

__all__ = [
    "CanonicalizationError",
    "CredentialError",
    "DocumentNotBundledError",
    "FailureReason",
    "KeyFormatError",
    "VerificationResult",
    "canonize",
    "did_document",
    "did_key",
    "did_key_verification_method",
    "key_resolver",
    "resolve_did_key",
    "sign",
    "verify",
]
