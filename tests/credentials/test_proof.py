"""eddsa-rdfc-2022 Data Integrity proofs: the W3C test vector, round trips and every failure."""
from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta, timezone

import pytest

from openedx_microcred.credentials.did import (
    did_key,
    did_key_verification_method,
    resolve_did_key,
)
from openedx_microcred.credentials.documents import DATA_INTEGRITY_V2_URL, OfflineDocumentLoader
from openedx_microcred.credentials.exceptions import CanonicalizationError
from openedx_microcred.credentials.multikey import decode_secret_key
from openedx_microcred.credentials.proof import FailureReason, sign, verify

from .samples import achievement_credential

CREATED = "2024-05-01T12:00:00Z"

# W3C Data Integrity EdDSA Cryptosuites v1.0, test vectors for eddsa-rdfc-2022
# (w3c/vc-di-eddsa TestVectors/keyPair.json and TestVectors/eddsa-rdfc-2022/).
VECTOR_SECRET_KEY = "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq"
VECTOR_METHOD = "https://vc.example/issuers/5678#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
VECTOR_CREATED = "2023-02-24T23:36:38Z"
VECTOR_PROOF_VALUE = (
    "z21EVs3eXERqTn4acNHT9viboqgzUaQ3kTmhPT3eA8qrVPE7CrQq78WkzctnMX5W4CrzcKnHw8V6dvy5pgWYCU5e9")
EXAMPLES_V2_URL = "https://www.w3.org/ns/credentials/examples/v2"
VECTOR_LOADER = OfflineDocumentLoader({
    EXAMPLES_V2_URL: {"@context": {"@vocab": "https://www.w3.org/ns/credentials/examples#"}},
})
VECTOR_CREDENTIAL = {
    "@context": ["https://www.w3.org/ns/credentials/v2", EXAMPLES_V2_URL],
    "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
    "type": ["VerifiableCredential", "AlumniCredential"],
    "name": "Alumni Credential",
    "description": "A minimum viable example of an Alumni Credential.",
    "issuer": "https://vc.example/issuers/5678",
    "validFrom": "2023-01-01T00:00:00Z",
    "credentialSubject": {"id": "did:example:abcdefgh", "alumniOf": "The School of Examples"},
}


def signed_by(key, document=None, **options):
    document = document or achievement_credential(did_key(key.public_key()))
    return sign(document, private_key=key,
                verification_method=did_key_verification_method(key.public_key()),
                created=options.pop("created", CREATED), **options)


def test_sign_reproduces_the_w3c_test_vector():
    signed = sign(VECTOR_CREDENTIAL, private_key=decode_secret_key(VECTOR_SECRET_KEY),
                  verification_method=VECTOR_METHOD, created=VECTOR_CREATED,
                  document_loader=VECTOR_LOADER)
    assert signed["proof"] == [{
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "created": VECTOR_CREATED,
        "verificationMethod": VECTOR_METHOD,
        "proofPurpose": "assertionMethod",
        "proofValue": VECTOR_PROOF_VALUE,
    }]


def test_verify_accepts_the_published_signed_vector_with_its_single_proof_object():
    published = {**VECTOR_CREDENTIAL, "proof": {
        "type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022",
        "created": VECTOR_CREATED, "verificationMethod": VECTOR_METHOD,
        "proofPurpose": "assertionMethod", "proofValue": VECTOR_PROOF_VALUE,
    }}
    key = decode_secret_key(VECTOR_SECRET_KEY).public_key()
    result = verify(published, resolve_key={VECTOR_METHOD: key}.get,
                    document_loader=VECTOR_LOADER)
    assert result.verified, result


def test_signed_credential_verifies_and_input_is_untouched(issuer_key):
    credential = achievement_credential(did_key(issuer_key.public_key()))
    pristine = copy.deepcopy(credential)
    signed = signed_by(issuer_key, credential)
    assert credential == pristine
    assert {k: v for k, v in signed.items() if k != "proof"} == pristine
    result = verify(signed, resolve_key=resolve_did_key)
    assert result.verified, result
    assert result.verification_method == did_key_verification_method(issuer_key.public_key())


def test_signatures_are_deterministic(issuer_key):
    assert signed_by(issuer_key) == signed_by(issuer_key)


@pytest.mark.parametrize("tamper", [
    lambda c: c["credentialSubject"].update(creditsEarned=4),
    lambda c: c["credentialSubject"]["achievement"].update(name="Data Science Mastery"),
    lambda c: c["issuer"].update(name="Another University"),
    lambda c: c.update(validFrom="2020-01-01T00:00:00Z"),
    lambda c: c["proof"][0].update(created="2024-05-01T12:00:01Z"),
])
def test_tampering_breaks_the_signature(issuer_key, tamper):
    tampered = signed_by(issuer_key)
    tamper(tampered)
    result = verify(tampered, resolve_key=resolve_did_key)
    assert (result.verified, result.reason) == (False, FailureReason.BAD_SIGNATURE)


def test_a_key_other_than_the_signers_fails(issuer_key, other_key):
    result = verify(signed_by(issuer_key), resolve_key=lambda method: other_key.public_key())
    assert (result.verified, result.reason) == (False, FailureReason.BAD_SIGNATURE)


@pytest.mark.parametrize(("change", "reason"), [
    (lambda c: c.pop("proof"), FailureReason.NO_PROOF),
    (lambda c: c.update(proof=[]), FailureReason.NO_PROOF),
    (lambda c: c.update(proof=["not an object"]), FailureReason.MALFORMED_PROOF),
    (lambda c: c["proof"][0].update(type="Ed25519Signature2020"),
     FailureReason.UNSUPPORTED_PROOF_TYPE),
    (lambda c: c["proof"][0].update(cryptosuite="ecdsa-rdfc-2019"),
     FailureReason.UNSUPPORTED_CRYPTOSUITE),
    (lambda c: c["proof"][0].update(proofPurpose="authentication"),
     FailureReason.WRONG_PROOF_PURPOSE),
    (lambda c: c["proof"][0].update(verificationMethod="did:web:unknown.example#key-1"),
     FailureReason.UNKNOWN_KEY),
    (lambda c: c["proof"][0].update(proofValue="u" + c["proof"][0]["proofValue"][1:]),
     FailureReason.MALFORMED_PROOF),
    (lambda c: c["proof"][0].update(proofValue=c["proof"][0]["proofValue"][:-4]),
     FailureReason.MALFORMED_PROOF),
    (lambda c: c["proof"][0].update(created="1 May 2024"), FailureReason.MALFORMED_PROOF),
    (lambda c: c.update(unsignableTerm="dropped by JSON-LD"), FailureReason.INVALID_DOCUMENT),
    (lambda c: c.update(name="lone surrogate \ud800"), FailureReason.INVALID_DOCUMENT),
    (lambda c: c.update({"@context": ["https://www.w3.org/2018/credentials/v1"]}),
     FailureReason.INVALID_DOCUMENT),
])
def test_verify_reports_why_it_fails(issuer_key, change, reason):
    document = signed_by(issuer_key)
    change(document)
    result = verify(document, resolve_key=resolve_did_key)
    assert (result.verified, result.reason) == (False, reason), result.message
    assert result.message


def test_a_proof_set_needs_every_proof_to_hold(issuer_key, other_key):
    both = signed_by(other_key, signed_by(issuer_key))
    keys = {did_key_verification_method(k.public_key()): k.public_key()
            for k in (issuer_key, other_key)}
    assert [p["verificationMethod"] for p in both["proof"]] == list(keys)
    assert verify(both, resolve_key=keys.get).verified
    broken = copy.deepcopy(both)
    broken["proof"][0]["proofValue"] = both["proof"][1]["proofValue"]
    assert verify(broken, resolve_key=keys.get).reason is FailureReason.BAD_SIGNATURE


def test_sign_adds_the_data_integrity_context_when_the_document_lacks_it(issuer_key):
    document = {"@context": {"@vocab": "https://example.org/"}, "id": "urn:x", "note": "hi"}
    signed = signed_by(issuer_key, document)
    assert signed["@context"] == [document["@context"], DATA_INTEGRITY_V2_URL]
    assert verify(signed, resolve_key=resolve_did_key).verified


@pytest.mark.parametrize(("created", "written"), [
    (datetime(2024, 5, 1, 14, 0, 0, 123456, tzinfo=timezone(timedelta(hours=2))), CREATED),
    (datetime(2024, 5, 1, 12, tzinfo=UTC), CREATED),
    ("2024-05-01T14:00:00.5+02:00", "2024-05-01T14:00:00.5+02:00"),
])
def test_created_is_written_as_a_date_time_stamp(issuer_key, created, written):
    assert signed_by(issuer_key, created=created)["proof"][0]["created"] == written


@pytest.mark.parametrize("created", [datetime(2024, 5, 1, 12), "2024-05-01T12:00:00",
                                     "2024-05-01", "yesterday"])
def test_created_without_a_time_zone_is_refused(issuer_key, created):
    with pytest.raises(ValueError):
        signed_by(issuer_key, created=created)


def test_documents_with_data_that_would_go_unsigned_are_not_signed(issuer_key):
    credential = achievement_credential(did_key(issuer_key.public_key()))
    credential["credentialSubject"]["grade"] = "A"  # no term definition in the OB context
    with pytest.raises(CanonicalizationError, match="grade"):
        signed_by(issuer_key, credential)
