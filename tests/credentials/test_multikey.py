"""Multibase/multicodec key encodings, checked against published vectors."""
from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from openedx_microcred.credentials.did import did_key
from openedx_microcred.credentials.exceptions import KeyFormatError
from openedx_microcred.credentials.multikey import (
    base58btc_decode,
    base58btc_encode,
    decode_public_key,
    decode_secret_key,
    encode_public_key,
    encode_secret_key,
    multibase_decode,
    public_key_bytes,
)

# draft-msporny-base58 test vectors.
BASE58_VECTORS = [
    (b"Hello World!", "2NEpo7TZRRrLZSi2U"),
    (b"The quick brown fox jumps over the lazy dog.",
     "USm3fpXnKG5EUBx2ndxBDMPVciP5hGey2Jh4NDv6gmeo1LkMeiKrLJUUBk6Z"),
    (bytes.fromhex("0000287fb4cd"), "11233QC4"),
    (b"", ""),
]

# w3c-ccg/did-method-key test-vectors/ed25519-x25519.json: seed -> DID and raw public key.
DID_KEY_VECTORS = [
    ("00" * 32, "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp",
     "4zvwRjXUKGfvwnParsHAS3HuSVzV5cA4McphgmoCtajS"),
    ("00" * 31 + "01", "did:key:z6MkjchhfUsD6mmvni8mCdXHw216Xrm9bQe2mBH1P5RDjVJG",
     "6ASf5EcmmEHTgDJ4X4ZT5vT6iHVJBXPg5AN5YoTCpGWt"),
    ("00" * 31 + "02", "did:key:z6MknGc3ocHs3zdPiJbnaaqDi58NGb4pk1Sp9WxWufuXSdxf",
     "8pM1DN3RiT8vbom5u1sNryaNT1nyL8CTTW3b5PwWXRBH"),
]

# w3c/vc-di-eddsa TestVectors/keyPair.json.
VC_DI_EDDSA_PUBLIC = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
VC_DI_EDDSA_SECRET = "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq"


@pytest.mark.parametrize(("data", "text"), BASE58_VECTORS)
def test_base58btc_matches_the_draft_vectors(data, text):
    assert base58btc_encode(data) == text
    assert base58btc_decode(text) == data


@pytest.mark.parametrize("data", [b"\0", b"\0\0\xff", bytes(range(256)), b"\xff" * 40])
def test_base58btc_round_trips_leading_zeros_and_long_input(data):
    assert base58btc_decode(base58btc_encode(data)) == data


@pytest.mark.parametrize(("seed", "did", "raw_public_base58"), DID_KEY_VECTORS)
def test_did_key_of_a_seed_matches_the_did_key_vectors(seed, did, raw_public_base58):
    public_key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(seed)).public_key()
    assert did_key(public_key) == did
    assert base58btc_encode(public_key_bytes(public_key)) == raw_public_base58
    assert public_key_bytes(decode_public_key(did.removeprefix("did:key:"))) == \
        public_key_bytes(public_key)


def test_secret_key_multibase_matches_the_vc_di_eddsa_key_pair():
    private_key = decode_secret_key(VC_DI_EDDSA_SECRET)
    assert encode_public_key(private_key.public_key()) == VC_DI_EDDSA_PUBLIC
    assert encode_secret_key(private_key) == VC_DI_EDDSA_SECRET


def test_encodings_carry_the_ed25519_multicodec_prefixes(issuer_key):
    assert multibase_decode(encode_public_key(issuer_key.public_key()))[:2] == b"\xed\x01"
    assert multibase_decode(encode_secret_key(issuer_key))[:2] == b"\x80\x26"
    assert encode_public_key(issuer_key.public_key()).startswith("z6Mk")
    assert encode_secret_key(issuer_key).startswith("z3u2")


@pytest.mark.parametrize(("text", "decode"), [
    ("u" + VC_DI_EDDSA_PUBLIC[1:], decode_public_key),  # another multibase
    (VC_DI_EDDSA_SECRET, decode_public_key),  # ed25519-priv where ed25519-pub is expected
    (VC_DI_EDDSA_PUBLIC, decode_secret_key),
    (VC_DI_EDDSA_PUBLIC[:-3], decode_public_key),  # too short
    ("z6Mk0OIl", decode_public_key),  # not base58 characters
    ("", decode_public_key),
])
def test_malformed_multikeys_are_refused(text, decode):
    with pytest.raises(KeyFormatError):
        decode(text)
