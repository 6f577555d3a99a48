"""DID identifiers, DID documents and the key resolvers verification relies on."""
from __future__ import annotations

import pytest

from openedx_microcred.credentials.did import (
    did_document,
    did_key,
    did_key_verification_method,
    key_resolver,
    resolve_did_key,
    verification_method_id,
)
from openedx_microcred.credentials.multikey import encode_public_key, public_key_bytes

DID_WEB = "did:web:lms.example.edu"


def raw(key):
    return public_key_bytes(key) if key is not None else None


def test_did_key_verification_method_repeats_the_key_as_fragment(issuer_key):
    multibase = encode_public_key(issuer_key.public_key())
    assert did_key_verification_method(issuer_key.public_key()) == \
        f"did:key:{multibase}#{multibase}"


def test_did_document_lists_every_key_for_assertion_and_authentication(issuer_key, other_key):
    current, retired = issuer_key.public_key(), other_key.public_key()
    document = did_document(DID_WEB, [current, retired])
    ids = [verification_method_id(DID_WEB, current), verification_method_id(DID_WEB, retired)]
    assert document == {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": DID_WEB,
        "verificationMethod": [
            {"id": ids[0], "type": "Multikey", "controller": DID_WEB,
             "publicKeyMultibase": encode_public_key(current)},
            {"id": ids[1], "type": "Multikey", "controller": DID_WEB,
             "publicKeyMultibase": encode_public_key(retired)},
        ],
        "assertionMethod": ids,
        "authentication": ids,
    }


@pytest.mark.parametrize("keys", [[], "twice"])
def test_did_document_needs_distinct_keys(issuer_key, keys):
    keys = [issuer_key.public_key()] * 2 if keys == "twice" else keys
    with pytest.raises(ValueError):
        did_document(DID_WEB, keys)


def test_key_resolver_resolves_current_and_rotated_keys(issuer_key, other_key):
    current, retired = issuer_key.public_key(), other_key.public_key()
    resolve = key_resolver(did_document(DID_WEB, [current, retired]))
    assert raw(resolve(verification_method_id(DID_WEB, current))) == raw(current)
    assert raw(resolve(verification_method_id(DID_WEB, retired))) == raw(retired)
    assert resolve(verification_method_id("did:web:other.example", current)) is None


def test_key_resolver_honours_proof_purpose_revocation_and_relative_ids(issuer_key, other_key):
    key, other = issuer_key.public_key(), other_key.public_key()
    document = {
        "id": DID_WEB,
        "verificationMethod": [
            {"id": "#auth-only", "type": "Multikey", "publicKeyMultibase": encode_public_key(key)},
            {"id": f"{DID_WEB}#revoked", "type": "Multikey", "revoked": "2024-01-01T00:00:00Z",
             "publicKeyMultibase": encode_public_key(other)},
        ],
        "authentication": ["#auth-only"],
        "assertionMethod": [f"{DID_WEB}#revoked",
                            {"id": "#embedded", "type": "Multikey",
                             "publicKeyMultibase": encode_public_key(other)}],
    }
    assertion = key_resolver(document)
    assert assertion(f"{DID_WEB}#auth-only") is None
    assert assertion(f"{DID_WEB}#revoked") is None
    assert raw(assertion(f"{DID_WEB}#embedded")) == raw(other)
    authentication = key_resolver(document, proof_purpose="authentication")
    assert raw(authentication(f"{DID_WEB}#auth-only")) == raw(key)


def test_resolve_did_key_needs_the_key_as_fragment(issuer_key, other_key):
    key = issuer_key.public_key()
    assert raw(resolve_did_key(did_key_verification_method(key))) == raw(key)
    mismatched = f"{did_key(key)}#{encode_public_key(other_key.public_key())}"
    for method in [did_key(key), mismatched, "did:key:z6MkNotAKey#z6MkNotAKey",
                   verification_method_id(DID_WEB, key)]:
        assert resolve_did_key(method) is None
