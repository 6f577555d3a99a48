"""
Encryption of secrets at rest (issuer signing keys, registry tokens): Fernet (AES-128-CBC +
HMAC-SHA256) under ``MICROCRED_KEY_ENCRYPTION_KEYS`` — the first key encrypts, all decrypt, so
the encryption key itself can be rotated by prepending a new one. Without the setting, a key is
derived from Django's SECRET_KEY with HKDF-SHA256 (fine for the sandbox; set it in production).

DO NOT log, render or return decrypted values except to the code that uses them.
"""
from __future__ import annotations

import base64
from functools import lru_cache

from cryptography.fernet import Fernet, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .conf import setting


def encrypt(value: bytes) -> str:
    """A Fernet token (ASCII) of ``value``."""
    return _fernet().encrypt(value).decode("ascii")


def decrypt(token: str) -> bytes:
    """The plaintext of an ``encrypt`` token; raises ``cryptography.fernet.InvalidToken``."""
    return _fernet().decrypt(token.encode("ascii"))


def encrypt_text(value: str) -> str:
    """``encrypt`` for text."""
    return encrypt(value.encode("utf-8"))


def decrypt_text(token: str) -> str:
    """``decrypt`` for text; "" for an empty token."""
    return decrypt(token).decode("utf-8") if token else ""


def _fernet() -> MultiFernet:
    keys = setting("MICROCRED_KEY_ENCRYPTION_KEYS") or [_derived_key(settings.SECRET_KEY)]
    return _multi_fernet(tuple(keys))


@lru_cache(maxsize=8)
def _multi_fernet(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except (ValueError, TypeError) as error:
        raise ImproperlyConfigured(
            "MICROCRED_KEY_ENCRYPTION_KEYS must hold Fernet keys "
            "(Fernet.generate_key().decode())") from error


@lru_cache(maxsize=8)
def _derived_key(secret: str) -> str:
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
               info=b"openedx-microcred secrets at rest").derive(secret.encode())
    return base64.urlsafe_b64encode(raw).decode("ascii")
