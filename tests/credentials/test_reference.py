"""Interoperability with the reference JavaScript stack (@digitalbazaar/vc, tests/js)."""
from __future__ import annotations

import copy

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from openedx_microcred.credentials.did import (
    did_document,
    did_key,
    did_key_verification_method,
    key_resolver,
    resolve_did_key,
    verification_method_id,
)
from openedx_microcred.credentials.multikey import encode_public_key, encode_secret_key
from openedx_microcred.credentials.proof import sign, verify

from .samples import achievement_credential

CREATED = "2024-05-01T12:00:00Z"
DID_WEB = "did:web:lms.example.edu"


def did_key_credential(key, **subject_overrides):
    public_key = key.public_key()
    return sign(achievement_credential(did_key(public_key), **subject_overrides),
                private_key=key, verification_method=did_key_verification_method(public_key),
                created=CREATED)


def test_python_signed_credentials_verify_in_digitalbazaar_vc_and_tampered_ones_do_not(
        node, issuer_key):
    signed = did_key_credential(issuer_key)
    unicode_signed = did_key_credential(issuer_key, creditsEarned=12345678901.140625,
                                        name="数据科学 🎓 ！\b")
    tampered = copy.deepcopy(signed)
    tampered["credentialSubject"]["achievement"]["creditsAvailable"] = 30
    did = did_key(issuer_key.public_key())
    results = node.verify([signed, unicode_signed, tampered],
                          {did: did_document(did, [issuer_key.public_key()])})
    assert results[0] == {"verified": True, "error": None}
    assert results[1] == {"verified": True, "error": None}
    assert results[2]["verified"] is False
    assert "Invalid signature" in results[2]["error"]


def test_a_rotated_did_web_key_still_verifies_and_an_unlisted_one_does_not(
        node, issuer_key, other_key):
    unlisted_key = Ed25519PrivateKey.from_private_bytes(bytes([7] * 32))
    document = did_document(DID_WEB, [issuer_key.public_key(), other_key.public_key()])
    credentials = [
        sign(achievement_credential(DID_WEB), private_key=key, created=CREATED,
             verification_method=verification_method_id(DID_WEB, key.public_key()))
        for key in (issuer_key, other_key, unlisted_key)
    ]
    results = node.verify(credentials, {DID_WEB: document})
    assert [r["verified"] for r in results] == [True, True, False]
    resolve = key_resolver(document)
    assert [verify(c, resolve_key=resolve).verified for c in credentials] == [True, True, False]


def test_the_reference_issuer_produces_the_same_proof_and_python_verifies_it(node, issuer_key):
    public_key = issuer_key.public_key()
    did, method = did_key(public_key), did_key_verification_method(public_key)
    unsigned = achievement_credential(did)
    issued = node.issue({
        "credential": unsigned,
        "documents": {did: did_document(did, [public_key])},
        "created": CREATED,
        "key": {"id": method, "controller": did,
                "publicKeyMultibase": encode_public_key(public_key),
                "secretKeyMultibase": encode_secret_key(issuer_key)},
    })["credential"]
    ours = sign(unsigned, private_key=issuer_key, verification_method=method, created=CREATED)
    assert issued["proof"]["proofValue"] == ours["proof"][0]["proofValue"]
    assert verify(issued, resolve_key=resolve_did_key).verified
