"""``me/…``: the learner's own programmes and credentials — the owner, another learner,
anonymous callers, restricted-application JWTs, and the OpenAPI entries."""
import pytest
import yaml

from openedx_microcred import api
from openedx_microcred.models import Credential
from openedx_microcred.testutils import send_passing, utc

from ..conftest import program_xml

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = "/api/microcred/v1/me"
A, B, C, D = (f"course-v1:DemoX+R{n}+2026" for n in range(1, 5))


@pytest.fixture
def programme(settings):
    settings.LMS_ROOT_URL = "https://lms.example.edu"
    api.import_program(program_xml(
        "analytics", f'<course key="{A}" credits="2" hours="30">Statistics</course>'
        f'<group title="Electives" min-count="1"><course key="{B}" credits="1">R</course>'
        f'<course key="{C}" credits="1">Python</course></group>'))
    api.import_program(program_xml("other", f'<course key="{D}" credits="1">D</course>'))
    return "analytics"


@pytest.fixture
def earned(programme, learner):
    send_passing(learner.pk, A, time=utc(2026, 3, 2))
    send_passing(learner.pk, B, time=utc(2026, 3, 9))
    return Credential.objects.get(user=learner)


def test_anonymous_callers_are_refused(api_client, earned):
    for url in (f"{ROOT}/programmes/", f"{ROOT}/programmes/analytics/", f"{ROOT}/credentials/",
                f"{ROOT}/credentials/{earned.uuid}/"):
        response = api_client.get(url)
        assert response.status_code == 401, url
        assert response.json()["errors"]


def test_the_owner_sees_programmes_with_the_requirement_tree(api_client, learner, programme,
                                                             jwt_auth_header):
    send_passing(learner.pk, A, time=utc(2026, 3, 2))
    listing = api_client.get(f"{ROOT}/programmes/", **jwt_auth_header(learner)).json()
    assert listing["count"] == 1 and "num_pages" in listing
    [summary] = listing["results"]
    assert summary["program_id"] == "analytics" and summary["complete"] is False
    assert summary["credits_earned"] == "2.000" and summary["credits_required"] == "3.000"
    assert summary["next_step"]["choose"] == 1
    assert [r["key"] for r in summary["next_step"]["requirements"]] == [B, C]
    detail = api_client.get(f"{ROOT}/programmes/analytics/", **jwt_auth_header(learner)).json()
    tree = detail["requirements"]
    assert tree["kind"] == "group" and tree["rule"]["kind"] == "all"
    statistics, electives = tree["children"]
    assert (statistics["key"], statistics["state"]) == (A, "done")
    assert statistics["achieved_at"] == "2026-03-02T00:00:00Z"
    assert electives["rule"] == {"kind": "count", "total": 2, "needed": 1, "satisfied": 0,
                                 "remaining": 1, "credits_needed": None,
                                 "credits_counted": "0.000"}
    assert [c["state"] for c in electives["children"]] == ["not_started", "not_started"]


def test_a_programme_not_started_and_an_unknown_one(api_client, learner, programme):
    api_client.force_login(learner)
    detail = api_client.get(f"{ROOT}/programmes/other/").json()
    assert detail["started"] is False and detail["requirements"]["children"][0]["state"] == \
        "not_started"
    response = api_client.get(f"{ROOT}/programmes/nope/")
    assert response.status_code == 404 and response.json()["errors"]


def test_the_owner_sees_credentials_with_their_urls(api_client, learner, earned):
    api_client.force_login(learner)
    [item] = api_client.get(f"{ROOT}/credentials/").json()["results"]
    assert item["uuid"] == str(earned.uuid) and item["status"] == "awarded"
    detail = api_client.get(f"{ROOT}/credentials/{earned.uuid}/").json()
    base = f"https://lms.example.edu/microcred/credentials/{earned.uuid}"
    assert detail["links"] == {
        "verification": f"https://lms.example.edu/microcred/verify/{earned.uuid}/",
        "document": f"{base}.jsonld", "clr": f"{base}/clr.jsonld",
        "pdf": f"{base}/certificate.pdf", "image": f"{base}/badge.png"}
    assert [i["key"] for i in detail["items"]] == [A, B]
    assert api_client.get(detail["links"]["pdf"].removeprefix("https://lms.example.edu")) \
        .status_code == 200


def test_another_learner_gets_404_and_sees_none_of_it(api_client, make_user, earned):
    other = make_user("mallory")
    api_client.force_login(other)
    assert api_client.get(f"{ROOT}/credentials/{earned.uuid}/").status_code == 404
    assert api_client.get(f"{ROOT}/credentials/").json()["results"] == []
    assert api_client.get(f"{ROOT}/programmes/").json()["results"] == []
    detail = api_client.get(f"{ROOT}/programmes/analytics/").json()
    assert {c["state"] for c in detail["requirements"]["children"]} == {"not_started"}
    assert api_client.get(f"{ROOT}/credentials/not-a-uuid/").status_code == 404


def test_a_revoked_credential_says_why(api_client, learner, earned):
    api.revoke_credential(earned.uuid, reason="Issued in error")
    api_client.force_login(learner)
    detail = api_client.get(f"{ROOT}/credentials/{earned.uuid}/").json()
    assert (detail["status"], detail["revoked_by"], detail["revocation_reason"]) == \
        ("revoked", "staff", "Issued in error")
    # nothing to download that would answer 404; the documents still say "revoked"
    assert (detail["links"]["pdf"], detail["links"]["image"]) == ("", "")
    assert detail["links"]["document"].endswith(".jsonld")


def test_restricted_application_tokens_are_refused(api_client, learner, earned,
                                                   jwt_auth_header):
    response = api_client.get(f"{ROOT}/credentials/",
                              **jwt_auth_header(learner, is_restricted=True))
    assert response.status_code == 403
    assert api_client.get(f"{ROOT}/credentials/", **jwt_auth_header(learner)).status_code == 200


def test_the_schema_documents_the_learner_endpoints(client):
    document = yaml.safe_load(client.get("/api/microcred/v1/schema/").content)
    for path in ("/api/microcred/v1/me/programmes/",
                 "/api/microcred/v1/me/programmes/{program_id}/",
                 "/api/microcred/v1/me/credentials/",
                 "/api/microcred/v1/me/credentials/{credential_uuid}/"):
        assert "get" in document["paths"][path], path
    schemas = document["components"]["schemas"]
    assert {"ProgrammeDetail", "Requirement", "CredentialDetail", "CredentialLinks"} <= set(schemas)
