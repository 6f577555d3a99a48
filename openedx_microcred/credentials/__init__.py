"""
The cryptographic core of credential signing: pure functions, no Django, no network.

- ``documents``: the bundled JSON-LD contexts and JSON Schema, and the offline document loader;
- ``multikey``: Ed25519 keys as Multikey (multibase base58btc + multicodec) strings;
- ``did``: ``did:key`` identifiers, DID documents (``did:web`` / ``did:key``) and key resolvers;
- ``canonical``: RDFC-1.0 canonical N-Quads, byte-identical to the JavaScript reference stack;
- ``proof``: ``DataIntegrityProof`` / ``eddsa-rdfc-2022`` signing and verification.

The document builders (frozen dataclasses and plain values in, unsigned dicts out):

- ``recipient``: the learner as a salted-hash email ``IdentityObject``;
- ``narrative``: the Markdown criteria narrative of a requirement tree (English, Chinese);
- ``achievement``: OB 3.0 ``AchievementCredential`` documents of programmes and courses;
- ``clr``: the CLR 2.0 ``ClrCredential`` transcript wrapping them;
- ``statuslist``: Bitstring Status List v1.0 bits, entries and list credentials.

DO NOT import Django (or the models) here: these modules must stay testable and usable alone,
and the issuance services call them with plain dicts and keys.
"""
from __future__ import annotations

from .achievement import (
    CompletedCourse,
    IssuerProfile,
    build_achievement_credential,
    build_course_credential,
    completed_courses,
    valid_until_for,
)
from .clr import build_clr_credential
from .did import did_document, did_key, did_key_verification_method, key_resolver, resolve_did_key
from .exceptions import (
    CanonicalizationError,
    CredentialError,
    DocumentNotBundledError,
    KeyFormatError,
)
from .narrative import criteria_narrative
from .proof import FailureReason, VerificationResult, canonize, sign, verify
from .recipient import hashed_email_identity, identity_matches, new_salt
from .statuslist import (
    DEFAULT_SIZE,
    build_status_list_credential,
    decode_list,
    encode_list,
    get_bit,
    new_bitstring,
    set_bit,
    status_entry,
)

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
    # document builders
    "DEFAULT_SIZE",
    "CompletedCourse",
    "IssuerProfile",
    "build_achievement_credential",
    "build_clr_credential",
    "build_course_credential",
    "build_status_list_credential",
    "completed_courses",
    "criteria_narrative",
    "decode_list",
    "encode_list",
    "get_bit",
    "hashed_email_identity",
    "identity_matches",
    "new_bitstring",
    "new_salt",
    "set_bit",
    "status_entry",
    "valid_until_for",
]
