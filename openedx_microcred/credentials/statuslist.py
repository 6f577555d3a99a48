"""
W3C Bitstring Status List v1.0: the revocation (or suspension) bits of issued credentials.

A status list is a bitstring of at least 131,072 entries (16 KiB, for herd privacy: a verifier
fetching the list learns nothing about which credential it checks). Entry ``i`` is bit ``i`` in
the spec's order: index 0 is the left-most, most significant bit of the first byte. The list is
published as ``encodedList`` = multibase base64url (prefix ``u``, no padding) of the GZIP
compressed bitstring, inside a ``BitstringStatusListCredential`` that the issuer signs (the
caller signs it with ``proof.sign``, as every other credential). Each credential points at its
bit with a ``BitstringStatusListEntry`` in ``credentialStatus``.

Everything here is deterministic: GZIP is written with ``mtime=0``, so the same bits give the
same ``encodedList`` and, signed with the same key and time, the same proof.
"""
from __future__ import annotations

import base64
import binascii
import gzip
import zlib
from datetime import UTC, datetime
from typing import Any

from .documents import CREDENTIALS_V2_URL

__all__ = [
    "DEFAULT_SIZE",
    "MAX_DECODED_BYTES",
    "MIN_SIZE",
    "PURPOSES",
    "build_status_list_credential",
    "decode_list",
    "encode_list",
    "get_bit",
    "new_bitstring",
    "set_bit",
    "status_entry",
]

#: The spec's minimum (and our default) number of entries: 131,072 bits = 16 KiB.
DEFAULT_SIZE = 131072
MIN_SIZE = DEFAULT_SIZE
#: ``decode_list`` refuses lists that inflate beyond this (a GZIP bomb guard): 128 Mi entries.
MAX_DECODED_BYTES = 16 * 1024 * 1024
#: Status purposes of one-bit entries (``message`` needs statusSize/statusMessage, unsupported).
PURPOSES = ("revocation", "suspension")
MULTIBASE_BASE64URL = "u"


def new_bitstring(size: int = DEFAULT_SIZE) -> bytearray:
    """An all-zero bitstring of ``size`` entries (a multiple of 8, at least ``MIN_SIZE``)."""
    _check_size(size)
    return bytearray(size // 8)


def set_bit(bits: bytearray, index: int, value: bool = True) -> None:
    """Set (or with ``value=False`` clear) entry ``index`` of ``bits`` in place."""
    byte, mask = _position(bits, index)
    if value:
        bits[byte] |= mask
    else:
        bits[byte] &= ~mask & 0xFF


def get_bit(bits: bytes | bytearray, index: int) -> bool:
    """Entry ``index`` of ``bits``."""
    byte, mask = _position(bits, index)
    return bool(bits[byte] & mask)


def encode_list(bits: bytes | bytearray) -> str:
    """The ``encodedList`` of ``bits``: ``u`` + base64url (no padding) of GZIP(bits)."""
    _check_size(len(bits) * 8)
    compressed = gzip.compress(bytes(bits), compresslevel=9, mtime=0)
    return MULTIBASE_BASE64URL + base64.urlsafe_b64encode(compressed).decode("ascii").rstrip("=")


def decode_list(text: str, *, max_bytes: int = MAX_DECODED_BYTES) -> bytearray:
    """The bitstring of an ``encodedList``.

    Raises ``ValueError`` for text that is not a multibase base64url GZIP stream, that inflates
    beyond ``max_bytes``, or whose bitstring is shorter than the spec's minimum.
    """
    if not isinstance(text, str) or not text.startswith(MULTIBASE_BASE64URL):
        raise ValueError("an encodedList is multibase base64url: it starts with 'u'")
    payload = text[1:]
    if not payload.isascii():
        raise ValueError("an encodedList is base64url text")
    try:
        compressed = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    except (binascii.Error, ValueError) as error:
        raise ValueError(f"not base64url: {error}") from error
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # GZIP framing only
    try:
        bits = inflater.decompress(compressed, max_bytes + 1)
    except zlib.error as error:
        raise ValueError(f"not a GZIP stream: {error}") from error
    if len(bits) > max_bytes or inflater.unconsumed_tail:
        raise ValueError(f"the list inflates beyond {max_bytes} bytes")
    if not inflater.eof:
        raise ValueError("truncated GZIP stream")
    _check_size(len(bits) * 8)
    return bytearray(bits)


def status_entry(*, list_credential_url: str, index: int,
                 purpose: str = "revocation") -> dict[str, Any]:
    """The ``BitstringStatusListEntry`` (a credential's ``credentialStatus``) for entry ``index``
    of the list published at ``list_credential_url``."""
    _check_purpose(purpose)
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        raise ValueError(f"a status list index is a non-negative integer, not {index!r}")
    return {
        "id": f"{list_credential_url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": purpose,
        "statusListIndex": str(index),
        "statusListCredential": list_credential_url,
    }


def build_status_list_credential(
    *,
    list_credential_url: str,
    issuer_id: str,
    bits: bytes | bytearray,
    valid_from: datetime,
    purpose: str = "revocation",
    valid_until: datetime | None = None,
) -> dict[str, Any]:
    """The unsigned ``BitstringStatusListCredential`` publishing ``bits`` at
    ``list_credential_url``. ``issuer_id`` must be the issuer of the credentials whose status it
    holds (verifiers check they match). Sign it with ``proof.sign``."""
    _check_purpose(purpose)
    credential: dict[str, Any] = {
        "@context": [CREDENTIALS_V2_URL],
        "id": list_credential_url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_id,
        "validFrom": _timestamp(valid_from),
    }
    if valid_until is not None:
        credential["validUntil"] = _timestamp(valid_until)
    credential["credentialSubject"] = {
        "id": f"{list_credential_url}#list",
        "type": "BitstringStatusList",
        "statusPurpose": purpose,
        "encodedList": encode_list(bits),
    }
    return credential


def _position(bits: bytes | bytearray, index: int) -> tuple[int, int]:
    if isinstance(index, bool) or not isinstance(index, int):
        raise TypeError(f"a status list index is an int, not {type(index).__name__}")
    if not 0 <= index < len(bits) * 8:
        raise IndexError(f"index {index} is outside a list of {len(bits) * 8} entries")
    return index // 8, 0x80 >> (index % 8)


def _check_size(size: int) -> None:
    if size < MIN_SIZE or size % 8:
        raise ValueError(
            f"a status list has a multiple of 8 entries, at least {MIN_SIZE}: not {size}")


def _check_purpose(purpose: str) -> None:
    if purpose not in PURPOSES:
        raise ValueError(f"status purpose {purpose!r} is not one of {PURPOSES}")


def _timestamp(value: datetime) -> str:
    if value.utcoffset() is None:
        raise ValueError("dates in credentials must be aware datetimes")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
