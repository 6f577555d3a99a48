"""
The recipient of a credential as an Open Badges 3.0 ``IdentityObject``: a salted SHA-256 hash
of the learner's email address, never the address itself.

OB 3.0 §B.1 (IdentityObject / IdentityHash): ``identityHash`` is ``sha256$`` followed by the
hex SHA-256 of the UTF-8 identifier with the salt appended. The address is normalised (outer
whitespace stripped, lower-cased) before hashing, so whoever holds the address and the salt
printed in the credential can check it matches, whatever case the learner typed it in.

DO NOT put a plain email address, username or user id in a credential: credentials are public
documents, shared and re-shared by their holders.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from typing import Any

__all__ = [
    "HASH_ALGORITHM",
    "hashed_email_identity",
    "identity_matches",
    "new_salt",
    "normalize_email",
]

HASH_ALGORITHM = "sha256"
SALT_BYTES = 16


def normalize_email(email: str) -> str:
    """``email`` as it is hashed: outer whitespace stripped, lower-cased."""
    return email.strip().lower()


def new_salt() -> str:
    """A fresh random salt (32 hex digits): one per credential, so hashes cannot be linked."""
    return secrets.token_hex(SALT_BYTES)


def hashed_email_identity(email: str, salt: str) -> dict[str, Any]:
    """The OB 3.0 ``IdentityObject`` of ``email`` hashed with ``salt``.

    Raises ``ValueError`` for an address without ``@`` or an empty salt (an unsalted hash of an
    email address is reversible by a dictionary of addresses).
    """
    normalized = normalize_email(email)
    if "@" not in normalized:
        raise ValueError("not an email address")
    if not salt:
        raise ValueError("the salt must not be empty")
    return {
        "type": "IdentityObject",
        "identityHash": f"{HASH_ALGORITHM}${_digest(normalized, salt)}",
        "identityType": "emailAddress",
        "hashed": True,
        "salt": salt,
    }


def identity_matches(identity: Mapping[str, Any], email: str) -> bool:
    """Whether the hashed email ``identity`` (from a credential) is that of ``email``."""
    algorithm, _, digest = str(identity.get("identityHash", "")).partition("$")
    salt = identity.get("salt", "")
    if (identity.get("identityType") != "emailAddress" or algorithm != HASH_ALGORITHM
            or not isinstance(salt, str)):
        return False
    expected = _digest(normalize_email(email), salt)
    return hmac.compare_digest(digest.lower().encode("utf-8"), expected.encode("utf-8"))


def _digest(normalized: str, salt: str) -> str:
    return hashlib.sha256((normalized + salt).encode("utf-8")).hexdigest()
