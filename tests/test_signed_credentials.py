"""Issuance signs the credential and its CLR; revocation flips the status bit; keys rotate."""
import io
import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from openedx_microcred import api, issuers, statuslists
from openedx_microcred.credentials import proof, statuslist
from openedx_microcred.credentials.did import key_resolver
from openedx_microcred.models import Credential, IssuerKey, StatusList
from openedx_microcred.testutils import send_passing, utc

from .conftest import program_xml

pytestmark = pytest.mark.django_db(transaction=True)

A = "course-v1:DemoX+A101+2026"
B = "course-v1:DemoX+B102+2026"


@pytest.fixture
def issued(learner):
    api.import_program(program_xml("signed", (
        f'<course key="{A}" credits="2" hours="30">Algebra</course>'
        f'<course key="{B}" credits="1.5">Biology</course>'), valid_months="24"))
    send_passing(learner.pk, A, time=utc(2026, 3, 1))
    send_passing(learner.pk, B, time=utc(2026, 3, 2))
    return Credential.objects.get(user=learner)


def _did_resolver(org="DemoX"):
    return key_resolver(issuers.did_document_for(org))


def test_issued_credential_is_signed_by_the_org_did_web(issued, learner):
    document = issued.document
    assert document["issuer"]["id"] == "did:web:127.0.0.1%3A8000:microcred:issuers:DemoX"
    assert document["id"] == f"http://127.0.0.1:8000/microcred/credentials/{issued.uuid}.jsonld"
    assert isinstance(document["proof"], list) and len(document["proof"]) == 1
    assert document["proof"][0]["cryptosuite"] == "eddsa-rdfc-2022"
    result = proof.verify(document, resolve_key=_did_resolver())
    assert result.verified, result.message
    text = json.dumps(document)
    assert learner.email not in text and learner.username not in text  # hashed identity only
    assert document["credentialSubject"]["creditsEarned"] == 3.5
    assert "validUntil" in document


def test_clr_holds_signed_course_credentials(issued):
    assert issued.clr_document is None  # built on first use, outside the issuing transaction
    clr = api.get_clr_document(issued.uuid)
    issued.refresh_from_db()
    assert issued.clr_document == clr  # stored
    assert api.get_clr_document(issued.uuid) == clr  # and the same the next time
    assert "ClrCredential" in clr["type"]
    assert proof.verify(clr, resolve_key=_did_resolver()).verified
    inner = clr["credentialSubject"]["verifiableCredential"]
    assert len(inner) == 3  # the programme and its two courses
    for credential in inner:
        assert proof.verify(credential, resolve_key=_did_resolver()).verified
    associations = clr["credentialSubject"]["association"]
    assert {a["associationType"] for a in associations} == {"isPartOf"}
    assert len(associations) == 2


def test_status_index_is_allocated_once_per_credential(issued, make_user):
    other = make_user("bob")
    send_passing(other.pk, A, time=utc(2026, 3, 1))
    send_passing(other.pk, B, time=utc(2026, 3, 1))
    second = Credential.objects.get(user=other)
    assert issued.status_list_id == second.status_list_id
    assert {issued.status_index, second.status_index} == {0, 1}
    entry = second.document["credentialStatus"]
    assert entry["type"] == "BitstringStatusListEntry"
    assert entry["statusPurpose"] == "revocation"
    assert entry["statusListIndex"] == str(second.status_index)
    assert StatusList.objects.get().size >= 131072


def test_revocation_sets_the_bit_and_re_signs_the_list(issued):
    status_list = issued.status_list
    before = status_list.document["proof"][0]["proofValue"]
    assert not statuslists.is_set(status_list, issued.status_index)
    assert api.revoke_credential(issued.uuid, reason="academic misconduct") is True
    assert api.revoke_credential(issued.uuid, reason="again") is False
    status_list.refresh_from_db()
    assert statuslists.is_set(status_list, issued.status_index)
    document = status_list.document
    assert document["proof"][0]["proofValue"] != before
    assert proof.verify(document, resolve_key=_did_resolver()).verified
    bits = statuslist.decode_list(document["credentialSubject"]["encodedList"])
    assert statuslist.get_bit(bits, issued.status_index)
    assert api.get_credentials(user_id=issued.user_id)[0].status == "revoked"


def test_private_keys_are_encrypted_at_rest(issued):
    key = IssuerKey.objects.get(org="DemoX")
    signer = issuers.signer_for("DemoX")
    from cryptography.hazmat.primitives import serialization

    raw = signer.private_key.private_bytes(serialization.Encoding.Raw,
                                           serialization.PrivateFormat.Raw,
                                           serialization.NoEncryption())
    assert raw.hex() not in key.encrypted_private_key
    assert key.encrypted_private_key.startswith("gAAAA")  # a Fernet token
    assert repr(signer) == f"Signer({signer.verification_method!r})"  # the key is never shown


def test_rotation_keeps_old_credentials_verifiable(issued, make_user):
    out = io.StringIO()
    call_command("microcred_rotate_key", "DemoX", stdout=out)
    assert "DemoX now signs with z6Mk" in out.getvalue()
    assert IssuerKey.objects.filter(org="DemoX").count() == 2
    did_doc = issuers.did_document_for("DemoX")
    assert len(did_doc["verificationMethod"]) == 2
    assert proof.verify(issued.document, resolve_key=_did_resolver()).verified
    other = make_user("carol")
    send_passing(other.pk, A, time=utc(2026, 3, 1))
    send_passing(other.pk, B, time=utc(2026, 3, 1))
    newer = Credential.objects.get(user=other)
    assert (newer.document["proof"][0]["verificationMethod"]
            != issued.document["proof"][0]["verificationMethod"])
    assert proof.verify(newer.document, resolve_key=_did_resolver()).verified


def test_without_an_lms_host_issuers_sign_as_did_key(learner, settings):
    settings.LMS_ROOT_URL = ""
    api.import_program(program_xml("keyed", f'<course key="{A}">A</course>'))
    send_passing(learner.pk, A, time=utc(2026, 3, 1))
    document = Credential.objects.get(user=learner).document
    assert document["issuer"]["id"].startswith("did:key:z6Mk")
    assert document["id"].startswith("urn:uuid:")
    from openedx_microcred.credentials import resolve_did_key

    assert proof.verify(document, resolve_key=resolve_did_key).verified


@pytest.mark.parametrize("name, kwargs, content_type", [
    ("openedx_microcred:credential-document", "uuid", "application/ld+json"),
    ("openedx_microcred:clr-document", "uuid", "application/ld+json"),
])
def test_public_documents(client, issued, name, kwargs, content_type):
    response = client.get(reverse(name, kwargs={"credential_uuid": issued.uuid}))
    assert response.status_code == 200
    assert response["Content-Type"].startswith(content_type)
    assert "immutable" in response["Cache-Control"]
    assert response.json()["proof"]


def test_status_list_and_did_documents(client, issued):
    list_id = issued.status_list.list_id
    response = client.get(f"/microcred/status/{list_id}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/ld+json")
    assert "max-age=60" in response["Cache-Control"]
    assert "BitstringStatusListCredential" in response.json()["type"]
    response = client.get("/microcred/issuers/DemoX/did.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/did+json")
    assert response.json()["id"] == issued.document["issuer"]["id"]


@pytest.mark.parametrize("url", [
    "/microcred/credentials/00000000-0000-4000-8000-000000000000.jsonld",
    "/microcred/credentials/00000000-0000-4000-8000-000000000000/clr.jsonld",
    "/microcred/status/nope-1",
    "/microcred/issuers/NoSuchOrg/did.json",
])
def test_unknown_documents_are_404(client, url):
    assert client.get(url).status_code == 404


def test_admin_revoke_action(issued, admin_client):
    response = admin_client.post("/admin/openedx_microcred/credential/", {
        "action": "revoke_selected", "_selected_action": [issued.pk]}, follow=True)
    assert response.status_code == 200
    issued.refresh_from_db()
    assert issued.status == Credential.REVOKED
    assert statuslists.is_set(issued.status_list, issued.status_index)


def test_stacked_programme_clr_embeds_the_child_credential(learner):
    api.import_program(program_xml("child", f'<course key="{A}" credits="2">A</course>'))
    api.import_program(program_xml("parent", (
        f'<program ref="child" credits="2"/><course key="{B}" credits="1">B</course>')))
    send_passing(learner.pk, A, time=utc(2026, 3, 1))
    send_passing(learner.pk, B, time=utc(2026, 3, 2))
    child = Credential.objects.get(user=learner, program__program_id="child")
    parent = Credential.objects.get(user=learner, program__program_id="parent")
    clr = api.get_clr_document(parent.uuid)
    inner = clr["credentialSubject"]["verifiableCredential"]
    assert child.document in inner
    assert len(inner) == 3  # parent, course B, child programme
    assert proof.verify(clr, resolve_key=_did_resolver()).verified


def test_documents_are_rate_limited_per_client(client, issued, settings):
    from django.core.cache import cache

    cache.clear()
    settings.MICROCRED_DOCUMENT_RATE_LIMIT = "2/m"
    url = f"/microcred/credentials/{issued.uuid}.jsonld"
    assert [client.get(url).status_code for _ in range(3)] == [200, 200, 429]
    cache.clear()
