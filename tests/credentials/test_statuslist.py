"""Bitstring Status List v1.0: bits, encoding, entries, the list credential, and revocation as
the reference implementation (@digitalbazaar/vc-bitstring-status-list) sees it."""
from __future__ import annotations

import base64
import copy
import gzip
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from openedx_microcred.credentials.achievement import build_achievement_credential
from openedx_microcred.credentials.proof import canonize
from openedx_microcred.credentials.statuslist import (
    DEFAULT_SIZE,
    MIN_SIZE,
    build_status_list_credential,
    decode_list,
    encode_list,
    get_bit,
    new_bitstring,
    set_bit,
    status_entry,
)

from .builders_support import (
    FAR_FUTURE,
    ISSUED,
    ISSUER_DID,
    achievement_url,
    credential_url,
    demo_definition,
    did_documents,
    issuer_for,
    recipient,
    run_status_script,
    signer,
    status_list_url,
)

REVOKED_INDEX = 94567
ACTIVE_INDEX = 94568


def test_default_list_is_the_spec_minimum_of_131072_entries_in_16_kib():
    bits = new_bitstring()
    assert DEFAULT_SIZE == MIN_SIZE == 131072
    assert len(bits) == 16 * 1024 and not any(bits)
    assert len(new_bitstring(DEFAULT_SIZE * 2)) == 32 * 1024


@pytest.mark.parametrize("size", [0, 8, MIN_SIZE - 8, MIN_SIZE + 1])
def test_lists_below_the_minimum_or_not_whole_bytes_are_refused(size):
    with pytest.raises(ValueError, match="at least 131072"):
        new_bitstring(size)


def test_index_zero_is_the_most_significant_bit_of_the_first_byte():
    bits = new_bitstring()
    set_bit(bits, 0)
    assert bits[0] == 0b1000_0000
    set_bit(bits, 7)
    assert bits[0] == 0b1000_0001
    set_bit(bits, 9)
    assert bits[1] == 0b0100_0000
    set_bit(bits, DEFAULT_SIZE - 1)
    assert bits[-1] == 0b0000_0001
    assert [get_bit(bits, i) for i in (0, 1, 7, 8, 9, DEFAULT_SIZE - 1)] == [
        True, False, True, False, True, True]


def test_set_bit_clears_and_is_idempotent():
    bits = new_bitstring()
    set_bit(bits, 12)
    set_bit(bits, 12)
    assert get_bit(bits, 12)
    set_bit(bits, 12, False)
    set_bit(bits, 12, False)
    assert not any(bits)


@pytest.mark.parametrize("index", [-1, DEFAULT_SIZE])
def test_indexes_outside_the_list_raise(index):
    with pytest.raises(IndexError):
        set_bit(new_bitstring(), index)
    with pytest.raises(IndexError):
        get_bit(new_bitstring(), index)


@pytest.mark.parametrize("index", [True, 1.0, "1"])
def test_index_must_be_an_int(index):
    with pytest.raises(TypeError):
        get_bit(new_bitstring(), index)


def test_encoding_is_multibase_base64url_gzip_without_padding_and_deterministic():
    bits = new_bitstring()
    for index in (0, 5, 77_777, DEFAULT_SIZE - 1):
        set_bit(bits, index)
    encoded = encode_list(bits)
    assert encoded.startswith("u") and "=" not in encoded
    assert set(encoded[1:]) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                   "0123456789-_")
    raw = base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4))
    assert raw[:2] == b"\x1f\x8b" and raw[4:8] == b"\0\0\0\0"  # GZIP, mtime 0
    assert gzip.decompress(raw) == bytes(bits)
    assert encode_list(bytearray(bits)) == encoded
    assert decode_list(encoded) == bits
    assert len(encode_list(new_bitstring())) < 200  # an empty list compresses to almost nothing


def test_decode_accepts_any_gzip_writer_and_padding():
    bits = new_bitstring()
    set_bit(bits, 3)
    other = base64.urlsafe_b64encode(gzip.compress(bytes(bits), compresslevel=1)).decode()
    assert decode_list("u" + other) == bits  # with its "=" padding
    assert decode_list("u" + other.rstrip("=")) == bits


@pytest.mark.parametrize("text", [
    "", "zabc", "u!!!", "u" + base64.urlsafe_b64encode(b"not gzip").decode(),
    "u" + base64.urlsafe_b64encode(gzip.compress(bytes(1024))).decode(),  # too short a list
    "u" + base64.urlsafe_b64encode(gzip.compress(bytes(16384))[:-10]).decode(),  # truncated
    "uÄÖÜ",
])
def test_decode_refuses_malformed_lists(text):
    with pytest.raises(ValueError):
        decode_list(text)


def test_decode_refuses_a_gzip_bomb():
    bomb = "u" + base64.urlsafe_b64encode(gzip.compress(bytes(64 * 1024 * 1024))).decode()
    with pytest.raises(ValueError, match="inflates beyond"):
        decode_list(bomb)
    with pytest.raises(ValueError, match="inflates beyond"):
        decode_list(encode_list(new_bitstring(DEFAULT_SIZE * 2)), max_bytes=16384)


def test_status_entry_shape():
    url = status_list_url(3)
    assert status_entry(list_credential_url=url, index=42) == {
        "id": f"{url}#42",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "42",
        "statusListCredential": url,
    }
    assert status_entry(list_credential_url=url, index=0,
                        purpose="suspension")["statusPurpose"] == "suspension"
    for bad in (-1, True, "3", 1.5):
        with pytest.raises(ValueError):
            status_entry(list_credential_url=url, index=bad)
    with pytest.raises(ValueError):
        status_entry(list_credential_url=url, index=1, purpose="message")


def test_status_list_credential_shape_and_canonical_form():
    bits = new_bitstring()
    set_bit(bits, REVOKED_INDEX)
    credential = build_status_list_credential(
        list_credential_url=status_list_url(), issuer_id=ISSUER_DID, bits=bits,
        valid_from=ISSUED, valid_until=FAR_FUTURE)
    assert credential == {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": status_list_url(),
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": ISSUER_DID,
        "validFrom": "2025-06-01T08:30:00Z",
        "validUntil": "2099-01-01T00:00:00Z",
        "credentialSubject": {
            "id": f"{status_list_url()}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encode_list(bits),
        },
    }
    assert "encodedList" in canonize(credential)
    with pytest.raises(ValueError):
        build_status_list_credential(list_credential_url=status_list_url(),
                                     issuer_id=ISSUER_DID, bits=bits,
                                     valid_from=datetime(2025, 1, 1))  # naive
    with pytest.raises(ValueError):
        build_status_list_credential(list_credential_url=status_list_url(),
                                     issuer_id=ISSUER_DID, bits=bytes(100), valid_from=ISSUED)


def _credential_with_status(index: int, key, *, list_url: str = status_list_url(),
                            purpose: str = "revocation") -> dict:
    definition = demo_definition("au-microcredential-2")
    return signer(key)(build_achievement_credential(
        credential_id=credential_url(f"status-{purpose}-{index}"),
        achievement_id=achievement_url(definition.id), definition=definition,
        issuer=issuer_for(definition), recipient=recipient(), valid_from=ISSUED,
        credits_earned=Decimal("3.125"),
        status=status_entry(list_credential_url=list_url, index=index, purpose=purpose)))


@pytest.fixture(scope="module")
def reference(node, issuer_key, other_key):
    """One node run: status checks of revoked/active/suspended credentials against signed
    lists, and list encodings both ways."""
    sign = signer(issuer_key)
    revoked = new_bitstring()
    set_bit(revoked, REVOKED_INDEX)
    set_bit(revoked, 0)
    suspended = new_bitstring()
    set_bit(suspended, 7)
    revocation_list = sign(build_status_list_credential(
        list_credential_url=status_list_url(1), issuer_id=ISSUER_DID, bits=revoked,
        valid_from=ISSUED))
    suspension_list = sign(build_status_list_credential(
        list_credential_url=status_list_url(2), issuer_id=ISSUER_DID, bits=suspended,
        valid_from=ISSUED, purpose="suspension"))
    tampered_list = copy.deepcopy(revocation_list)
    tampered_list["credentialSubject"]["encodedList"] = encode_list(new_bitstring())
    foreign_list = signer(other_key, "did:web:elsewhere.example")(build_status_list_credential(
        list_credential_url=status_list_url(4), issuer_id="did:web:elsewhere.example",
        bits=revoked, valid_from=ISSUED))
    credentials = {
        "revoked": _credential_with_status(REVOKED_INDEX, issuer_key),
        "active": _credential_with_status(ACTIVE_INDEX, issuer_key),
        "first": _credential_with_status(0, issuer_key),
        "suspended": _credential_with_status(7, issuer_key, list_url=status_list_url(2),
                                             purpose="suspension"),
        "tampered list": _credential_with_status(REVOKED_INDEX, issuer_key,
                                                 list_url=status_list_url(3)),
        "other issuer's list": _credential_with_status(REVOKED_INDEX, issuer_key,
                                                       list_url=status_list_url(4)),
    }
    documents = {
        **did_documents(issuer_key), **did_documents(other_key, "did:web:elsewhere.example"),
        status_list_url(1): revocation_list, status_list_url(2): suspension_list,
        status_list_url(3): tampered_list, status_list_url(4): foreign_list,
    }
    ours = new_bitstring()
    for index in (0, 1, 8, REVOKED_INDEX, DEFAULT_SIZE - 1):
        set_bit(ours, index)
    output = run_status_script(
        node, credentials=list(credentials.values()), documents=documents,
        encode=[{"length": DEFAULT_SIZE, "set": [0, 9, REVOKED_INDEX, DEFAULT_SIZE - 1]}],
        decode=[{"encodedList": encode_list(ours),
                 "indices": [0, 1, 2, 7, 8, 9, REVOKED_INDEX, DEFAULT_SIZE - 1]}])
    return dict(zip(credentials, output["results"], strict=True)), output


def test_a_revoked_credential_verifies_and_its_status_check_shows_revoked(reference):
    results, _ = reference
    for name in ("revoked", "first"):
        assert results[name]["verified"] is True, results[name]
        assert results[name]["status"]["verified"] is True
        assert [entry["status"] for entry in results[name]["status"]["entries"]] == [True]


def test_an_active_credential_shows_not_revoked(reference):
    results, _ = reference
    assert results["active"]["verified"] is True
    assert results["active"]["status"]["entries"] == [
        {"statusPurpose": "revocation", "statusListIndex": str(ACTIVE_INDEX), "status": False}]


def test_suspension_lists_work_the_same_way(reference):
    results, _ = reference
    assert results["suspended"]["status"]["entries"][0] == {
        "statusPurpose": "suspension", "statusListIndex": "7", "status": True}


def test_a_tampered_or_foreign_list_fails_the_status_check(reference):
    results, _ = reference
    tampered = results["tampered list"]
    assert tampered["verified"] is False
    assert "not verified" in tampered["error"]
    foreign = results["other issuer's list"]
    assert foreign["verified"] is False
    assert "do not match" in foreign["error"]


def test_bit_order_and_encoding_agree_with_the_reference_implementation(reference):
    _, output = reference
    js_bits = decode_list(output["encoded"][0])
    assert [i for i in range(DEFAULT_SIZE) if get_bit(js_bits, i)] == [
        0, 9, REVOKED_INDEX, DEFAULT_SIZE - 1]
    assert output["decoded"] == [{"length": DEFAULT_SIZE,
                                  "bits": [True, True, False, False, True, False, True, True]}]


def test_dates_are_utc_z_strings():
    credential = build_status_list_credential(
        list_credential_url=status_list_url(), issuer_id=ISSUER_DID, bits=new_bitstring(),
        valid_from=datetime(2025, 6, 1, 16, 30, 15, 999, tzinfo=UTC).astimezone())
    assert credential["validFrom"] == "2025-06-01T16:30:15Z"
