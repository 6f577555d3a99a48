"""Any change to an issuer's identifiers keeps every credential it issued verifiable by the
reference verifier (@digitalbazaar/vc + vc-bitstring-status-list), and the product's own verdict
agrees with it; identifiers derived from names are unique per distinct source and usable."""
import io

import pytest
from django.core.management import call_command

from openedx_microcred import api, issuers, statuslists
from openedx_microcred.credentials.did import did_document, did_key
from openedx_microcred.credentials.multikey import decode_public_key
from openedx_microcred.models import Credential, IssuerKey, StatusList
from openedx_microcred.testutils import send_passing, utc

from ..conftest import program_xml
from .builders_support import run_status_script

pytestmark = pytest.mark.django_db(transaction=True)

C1 = "course-v1:ExampleX+1+2025"


@pytest.fixture
def no_lms_host(settings):
    """No LMS host: issuers are did:key, whose id is the key and changes with a rotation."""
    settings.LMS_ROOT_URL = ""
    settings.MICROCRED_ISSUER_HOST = ""


def _documents():
    """What a verifier may dereference: every issuer's DID documents and the status lists."""
    documents = {}
    for row in IssuerKey.objects.all():
        key = decode_public_key(row.public_key)
        documents[did_key(key)] = did_document(did_key(key), [key])
        web = issuers.did_document_for(row.org)
        if web:
            documents[web["id"]] = web
    for status_list in StatusList.objects.all():
        documents[status_list.document["id"]] = status_list.document
    return documents


def _reference(node, credentials):
    """The reference verdict of each credential: valid, revoked or invalid (with the error)."""
    results = run_status_script(node, credentials=[c.document for c in credentials],
                                documents=_documents())["results"]
    verdicts = []
    for result in results:
        status = result["status"]
        if not result["verified"] or (status and not status["verified"]):
            verdicts.append(("invalid", result["error"] or status["error"]))
        else:
            verdicts.append(("revoked" if any(e["status"] for e in status["entries"])
                             else "valid", None))
    return verdicts


def _agree(node, credentials, expected):
    reference = _reference(node, credentials)
    assert [verdict for verdict, _ in reference] == expected, reference
    assert [api.get_verification(c.uuid).verdict for c in credentials] == expected


def _rotate(org):
    call_command("microcred_rotate_key", org, stdout=io.StringIO())


@pytest.mark.parametrize("host", ["did:key", "did:web"])
def test_rotation_and_revocation_keep_everything_verifiable(node, make_user, settings, host):
    if host == "did:key":
        settings.LMS_ROOT_URL = ""
        settings.MICROCRED_ISSUER_HOST = ""
    api.import_program(program_xml("p", f'<course key="{C1}" credits="2">C1</course>',
                                   org="ExampleX"))
    first, second = make_user("first"), make_user("second")
    send_passing(first.pk, C1, time=utc(2025, 3, 1))
    _rotate("ExampleX")
    send_passing(second.pk, C1, time=utc(2025, 3, 2))
    old, new = (Credential.objects.get(user=user) for user in (first, second))
    old_issuer, new_issuer = old.document["issuer"]["id"], new.document["issuer"]["id"]
    assert old_issuer.startswith(host + ":")
    assert (old_issuer != new_issuer) is (host == "did:key")  # a did:key changes with its key
    _agree(node, [old, new], ["valid", "valid"])
    api.revoke_credential(new.uuid, reason="issued in error")
    _agree(node, [old, new], ["valid", "revoked"])
    api.revoke_credential(old.uuid, reason="issued in error")
    _agree(node, [old, new], ["revoked", "revoked"])


def test_each_status_list_is_signed_by_the_issuer_of_its_credentials(node, make_user,
                                                                    no_lms_host):
    api.import_program(program_xml("p", f'<course key="{C1}">C1</course>', org="ExampleX"))
    first, second = make_user("first"), make_user("second")
    send_passing(first.pk, C1, time=utc(2025, 3, 1))
    _rotate("ExampleX")
    send_passing(second.pk, C1, time=utc(2025, 3, 2))
    for credential in Credential.objects.select_related("status_list"):
        listed = credential.status_list.document["issuer"]
        listed = listed["id"] if isinstance(listed, dict) else listed
        assert listed == credential.document["issuer"]["id"] == credential.status_list.issuer


def test_the_products_verdict_follows_a_broken_status_list(node, make_user, no_lms_host):
    """A list re-signed by another issuer id (what a shared list did after a rotation): the
    reference verifier refuses it, and so does the product."""
    api.import_program(program_xml("p", f'<course key="{C1}">C1</course>', org="ExampleX"))
    learner = make_user("first")
    send_passing(learner.pk, C1, time=utc(2025, 3, 1))
    credential = Credential.objects.get(user=learner)
    _rotate("ExampleX")
    status_list = credential.status_list
    StatusList.objects.filter(pk=status_list.pk).update(issuer=issuers.signer_for("ExampleX").did)
    statuslists.set_bit(status_list.pk, 5)  # re-signed as the list's (now wrong) issuer
    [(verdict, error)] = _reference(node, [credential])
    assert verdict == "invalid" and "issuer" in error.lower()
    verification = api.get_verification(credential.uuid)
    assert verification.verdict == "invalid"
    assert verification.checks["status_list"] is False


# ------------------------------------------------------------------------------------------------
# Identifiers derived from names
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("orgs", [("ExampleX", "examplex"), ("ExampleX", "Example.X"),
                                  ("Example-X", "Example_X"), ("Example~X", "ExampleX")])
def test_orgs_differing_in_case_or_punctuation_both_issue(node, make_user, orgs):
    learner = make_user("learner")
    for number, org in enumerate(orgs, start=1):
        api.import_program(program_xml(f"p{number}",
                                       f'<course key="course-v1:{org}+{number}+2025">C</course>',
                                       org=org))
        send_passing(learner.pk, f"course-v1:{org}+{number}+2025", time=utc(2025, 3, number))
    credentials = list(Credential.objects.filter(user=learner).order_by("pk"))
    assert [c.program.org for c in credentials] == list(orgs)
    list_ids = {c.status_list.list_id for c in credentials}
    assert len(list_ids) == 2
    _agree(node, credentials, ["valid", "valid"])


def test_a_tilde_org_has_a_valid_did_and_its_document_is_served(client):
    api.import_program(program_xml("p", '<course key="course-v1:Example~X+1+2025">C</course>',
                                   org="Example~X"))
    did = issuers.org_did("Example~X")
    assert did.endswith(":microcred:issuers:Example%7EX")
    issuers.signer_for("Example~X")
    response = client.get("/microcred/issuers/Example%7EX/did.json")
    assert response.status_code == 200
    assert response.json()["id"] == did
    assert issuers.org_of_did(did) == "Example~X"


@pytest.mark.parametrize("org", [".", ".."])
def test_orgs_that_make_unusable_did_segments_are_refused_at_import(org):
    with pytest.raises(api.ProgramDefinitionError, match="cannot be used") as refused:
        api.import_program(program_xml("p", '<course key="course-v1:ExampleX+1+2025">C</course>',
                                       org=org))
    assert refused.value.line == 1


def test_a_host_configured_later_keeps_did_key_credentials_and_their_clr_verifiable(
        node, make_user, settings):
    settings.LMS_ROOT_URL = ""
    settings.MICROCRED_ISSUER_HOST = ""
    api.import_program(program_xml("p", f'<course key="{C1}" credits="2">C1</course>',
                                   org="ExampleX"))
    learner = make_user("first")
    send_passing(learner.pk, C1, time=utc(2025, 3, 1))
    credential = Credential.objects.get(user=learner)
    settings.MICROCRED_ISSUER_HOST = "lms.example.com"  # the issuer id is now did:web
    clr = api.get_clr_document(credential.uuid)  # built after the change
    assert clr["issuer"]["id"] == credential.document["issuer"]["id"]
    assert clr["issuer"]["id"].startswith("did:key:")
    results = run_status_script(node, credentials=[credential.document, clr],
                                documents=_documents())["results"]
    assert [result["verified"] for result in results] == [True, True], results
    assert api.get_verification(credential.uuid).verdict == "valid"
