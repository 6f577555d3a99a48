"""
Encryption of secrets at rest (issuer signing keys, registry connection secrets): Fernet
(AES-128-CBC + HMAC-SHA256).

Keys, in the order they are tried:

1. ``MICROCRED_KEY_ENCRYPTION_KEYS``: the first encrypts, all decrypt, so a new key is
   prepended to rotate (``microcred_reencrypt`` then moves every stored secret to it);
2. keys derived with HKDF-SHA256 from Django's ``SECRET_KEY`` and each of its
   ``SECRET_KEY_FALLBACKS``. Without (1), the one from ``SECRET_KEY`` encrypts (fine for the
   sandbox; a ``check --deploy`` warning in production). With (1) they only decrypt, so secrets
   written before the setting was given stay readable until ``microcred_reencrypt`` runs.

A token that no key opens raises ``DecryptionError``, whose message names what could not be
read and the remedy, never a key or a token.

DO NOT log, render or return decrypted values except to the code that uses them, and DO NOT put
a key, a token or a setting's value in any message.
"""
from __future__ import annotations

import base64
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

from .conf import setting

#: What an operator does about a secret no configured key opens.
REMEDY = ("restore the key that encrypted it: put it back in MICROCRED_KEY_ENCRYPTION_KEYS "
          "(any position after the first), or the previous SECRET_KEY in SECRET_KEY_FALLBACKS")


class DecryptionError(Exception):
    """A stored secret that none of the configured keys decrypts.

    ``what`` names the secret for operators ("the signing key of org 'DemoX'"); the message
    adds the remedy and never contains key material.
    """

    def __init__(self, what: str = "a stored secret"):
        self.what = what
        super().__init__(f"{what} cannot be decrypted with the configured keys: {REMEDY}")


def encrypt(value: bytes) -> str:
    """A Fernet token (ASCII) of ``value``, under the first key."""
    return _fernet().encrypt(value).decode("ascii")


def decrypt(token: str, *, what: str = "a stored secret") -> bytes:
    """The plaintext of an ``encrypt`` token, trying every key.

    Raises ``DecryptionError`` (naming ``what``) when no key opens it.
    """
    try:
        return _fernet().decrypt(token.encode("ascii"))
    except (InvalidToken, UnicodeEncodeError) as error:
        raise DecryptionError(what) from error


def encrypt_text(value: str) -> str:
    """``encrypt`` for text."""
    return encrypt(value.encode("utf-8"))


def decrypt_text(token: str, *, what: str = "a stored secret") -> str:
    """``decrypt`` for text; "" for an empty token."""
    return decrypt(token, what=what).decode("utf-8") if token else ""


def is_current(token: str) -> bool:
    """Whether the first key (the one that encrypts) opens ``token``."""
    try:
        Fernet(_keys()[0]).decrypt(token.encode("ascii"))
    except (InvalidToken, UnicodeEncodeError):
        return False
    return True


def reencrypt(token: str, *, what: str = "a stored secret") -> str:
    """``token``'s plaintext encrypted again under the first key (``DecryptionError`` when no
    key opens it)."""
    try:
        return _fernet().rotate(token.encode("ascii")).decode("ascii")
    except (InvalidToken, UnicodeEncodeError) as error:
        raise DecryptionError(what) from error


def derives_from_secret_key() -> bool:
    """Whether the encrypting key is derived from SECRET_KEY (no MICROCRED_KEY_ENCRYPTION_KEYS)."""
    return not setting("MICROCRED_KEY_ENCRYPTION_KEYS")


def _keys() -> tuple[str, ...]:
    configured = tuple(setting("MICROCRED_KEY_ENCRYPTION_KEYS"))
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", ())]
    derived = tuple(_derived_key(secret) for secret in secrets if secret)
    return tuple(dict.fromkeys(configured + derived))  # de-duplicated, order kept


def _fernet() -> MultiFernet:
    return _multi_fernet(_keys())


@lru_cache(maxsize=8)
def _multi_fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


@lru_cache(maxsize=8)
def _derived_key(secret: str | bytes) -> str:
    raw_secret = secret.encode() if isinstance(secret, str) else secret
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
               info=b"openedx-microcred secrets at rest").derive(raw_secret)
    return base64.urlsafe_b64encode(raw).decode("ascii")
