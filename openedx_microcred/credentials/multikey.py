"""
Ed25519 keys as Multikey strings: multibase base58btc (``z``) over a multicodec-prefixed key.

A public key is ``z`` + base58btc(0xed 0x01 || 32-byte key), which always starts ``z6Mk``; a
secret key is ``z`` + base58btc(0x80 0x26 || 32-byte seed), which always starts ``z3u2``. These
are the ``publicKeyMultibase`` / ``secretKeyMultibase`` forms of the W3C Controlled Identifiers
(Multikey) specification and the method-specific id of ``did:key``.

base58btc is implemented here (a dozen lines, bytes in and out, no padding rules) rather than
pulled in as a dependency: the codec is tiny, frozen by the multibase specification, and checked
by the test vectors of the did:key and vc-di-eddsa specifications.
"""
from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .exceptions import KeyFormatError

__all__ = [
    "base58btc_decode",
    "base58btc_encode",
    "decode_public_key",
    "decode_secret_key",
    "encode_public_key",
    "encode_secret_key",
    "multibase_decode",
    "multibase_encode",
    "public_key_bytes",
]

MULTIBASE_BASE58BTC = "z"
ED25519_PUB_CODEC = b"\xed\x01"  # multicodec 0xed as an unsigned varint
ED25519_PRIV_CODEC = b"\x80\x26"  # multicodec 0x1300 as an unsigned varint
KEY_SIZE = 32

_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_INDEX = {char: value for value, char in enumerate(_ALPHABET)}


def base58btc_encode(data: bytes) -> str:
    """The Bitcoin base58 encoding of ``data`` (each leading zero byte becomes a ``1``)."""
    number = int.from_bytes(data, "big")
    digits = []
    while number:
        number, remainder = divmod(number, 58)
        digits.append(_ALPHABET[remainder])
    zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * zeros + "".join(reversed(digits))


def base58btc_decode(text: str) -> bytes:
    """The bytes of a Bitcoin base58 string; raises ``KeyFormatError`` on a foreign character."""
    number = 0
    for char in text:
        if char not in _INDEX:
            raise KeyFormatError(f"{char!r} is not a base58btc character")
        number = number * 58 + _INDEX[char]
    zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return b"\0" * zeros + body


def multibase_encode(data: bytes) -> str:
    """``data`` as a multibase base58btc string (``z`` prefix)."""
    return MULTIBASE_BASE58BTC + base58btc_encode(data)


def multibase_decode(text: str) -> bytes:
    """The bytes of a multibase base58btc string; raises ``KeyFormatError`` for another base."""
    if not text.startswith(MULTIBASE_BASE58BTC):
        raise KeyFormatError(f"{text[:8]!r}… is not multibase base58btc (no 'z' prefix)")
    return base58btc_decode(text[1:])


def public_key_bytes(public_key: Ed25519PublicKey) -> bytes:
    """The raw 32 bytes of an Ed25519 public key."""
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def encode_public_key(public_key: Ed25519PublicKey) -> str:
    """The ``publicKeyMultibase`` of ``public_key`` (``z6Mk…``)."""
    return multibase_encode(ED25519_PUB_CODEC + public_key_bytes(public_key))


def decode_public_key(public_key_multibase: str) -> Ed25519PublicKey:
    """The Ed25519 public key of a ``publicKeyMultibase``.

    Raises ``KeyFormatError`` unless it is base58btc, carries the ed25519-pub codec and 32 bytes.
    """
    raw = _strip_codec(public_key_multibase, ED25519_PUB_CODEC, "ed25519-pub")
    return Ed25519PublicKey.from_public_bytes(raw)


def encode_secret_key(private_key: Ed25519PrivateKey) -> str:
    """The ``secretKeyMultibase`` of ``private_key`` (``z3u2…``): its 32-byte seed."""
    seed = private_key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )
    return multibase_encode(ED25519_PRIV_CODEC + seed)


def decode_secret_key(secret_key_multibase: str) -> Ed25519PrivateKey:
    """The Ed25519 private key of a ``secretKeyMultibase`` holding a 32-byte seed.

    Raises ``KeyFormatError`` unless it is base58btc, carries the ed25519-priv codec and 32 bytes.
    """
    seed = _strip_codec(secret_key_multibase, ED25519_PRIV_CODEC, "ed25519-priv")
    return Ed25519PrivateKey.from_private_bytes(seed)


def _strip_codec(text: str, codec: bytes, name: str) -> bytes:
    data = multibase_decode(text)
    if not data.startswith(codec):
        raise KeyFormatError(f"{text[:8]!r}… is not an {name} multikey")
    raw = data[len(codec):]
    if len(raw) != KEY_SIZE:
        raise KeyFormatError(f"an {name} key has {KEY_SIZE} bytes, not {len(raw)}")
    return raw
