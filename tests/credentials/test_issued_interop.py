"""
Every credential and CLR the plugin issues — through real events, the evaluation task and the
issuance transaction — verifies offline with the independent @digitalbazaar/vc stack and
validates against the OB 3.0 JSON Schema; tampered copies fail; a revoked one shows revoked; one
signed before a key rotation still verifies.
"""
import copy

import pytest
from django.core.management import call_command

from openedx_microcred import api, issuers
from openedx_microcred.demo.cohort import sample_program_xmls
from openedx_microcred.models import Credential, StatusList
from openedx_microcred.testutils import send_passing, utc

from .builders_support import run_status_script, schema_errors

pytestmark = pytest.mark.django_db(transaction=True)

PROGRAMS = {  # programme id -> course keys a learner passes to complete it
    "harvard-web-app-dev": ["course-v1:HarvardX+CSCI-E3+2025", "course-v1:HarvardX+CSCI-E31+2025"],
    "harvard-front-end-certificate": ["course-v1:HarvardX+CSCI-E12+2025",
                                      "course-v1:HarvardX+CSCI-E39B+2025"],
    "tmu-preventive-medicine": [f"course-v1:TMUx+PM{m}0{n}+2025"
                                for m in range(1, 6) for n in range(1, 4)],
    "au-stacked-course-credit": [f"course-v1:MelbourneX+DA10{n}+2025" for n in range(1, 5)],
}


def _complete(user, programme_ids, day):
    for programme in programme_ids:
        for key in PROGRAMS[programme]:
            send_passing(user.pk, key, time=utc(2026, 3, day))


@pytest.fixture
def issued(make_user):
    """Credentials of every kind: stacked, Chinese, fractional; before and after a rotation;
    one revoked."""
    api.import_programs(list(sample_program_xmls().values()))
    early, late = make_user("wang.fang"), make_user("li.lei")
    _complete(early, PROGRAMS, 1)
    call_command("microcred_rotate_key", "HarvardX", stdout=open("/dev/null", "w"))  # noqa: SIM115
    _complete(late, ["harvard-web-app-dev", "harvard-front-end-certificate"], 2)
    revoked = Credential.objects.get(user=early, program__program_id="tmu-preventive-medicine")
    api.revoke_credential(revoked.uuid, reason="issued in error")
    return list(Credential.objects.select_related("program").order_by("pk")), revoked


def _documents():
    """What the verifier may dereference: DID documents and status lists, as served."""
    documents = {}
    for org in ("HarvardX", "TMUx", "MelbourneX"):
        did_document = issuers.did_document_for(org)
        documents[did_document["id"]] = did_document
    for status_list in StatusList.objects.all():
        documents[status_list.document["id"]] = status_list.document
    return documents


def test_everything_issued_verifies_with_the_reference_stack(node, issued):
    credentials, revoked = issued
    programmes = {c.program.program_id for c in credentials}
    assert {"harvard-web-app-dev", "harvard-front-end-certificate", "tmu-preventive-medicine",
            "au-stacked-course-credit", "au-microcredential-1"} <= programmes
    signed_keys = {c.document["proof"][0]["verificationMethod"] for c in credentials
                   if c.program.org == "HarvardX"}
    assert len(signed_keys) == 2  # before and after the rotation
    clrs = [api.get_clr_document(c.uuid) for c in credentials]  # some built after the rotation
    documents = [c.document for c in credentials] + clrs
    results = run_status_script(node, credentials=documents, documents=_documents())["results"]
    assert len(results) == len(documents)
    for document, result in zip(documents, results, strict=True):
        assert result["verified"], (document["id"], result["error"])
        entries = result["status"]["entries"]
        expected = document["id"] in (revoked.document["id"],
                                      api.get_clr_document(revoked.uuid)["id"])
        assert [e["status"] for e in entries] == [expected], document["id"]


def test_issued_achievement_credentials_match_the_ob3_schema(issued):
    credentials, _ = issued
    for credential in credentials:
        assert schema_errors(credential.document) == [], credential.program.program_id
        inner = api.get_clr_document(credential.uuid)["credentialSubject"]["verifiableCredential"]
        for part in inner:
            assert schema_errors(part) == [], part["id"]


def test_tampered_copies_fail(node, issued):
    credentials, _ = issued
    credential = credentials[0].document
    forged = copy.deepcopy(credential)
    forged["credentialSubject"]["achievement"]["name"] += " (with honours)"
    clr = copy.deepcopy(api.get_clr_document(credentials[0].uuid))
    clr["credentialSubject"]["verifiableCredential"][0]["name"] = "Something else"
    results = run_status_script(node, credentials=[forged, clr],
                                documents=_documents())["results"]
    assert [r["verified"] for r in results] == [False, False]
