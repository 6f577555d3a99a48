"""The course-team endpoints, for allowed and refused users of each role and anonymous users."""
import csv
import io
from urllib.parse import quote

import pytest
import yaml
from django.core import mail
from openapi_spec_validator import validate as validate_openapi

from openedx_microcred import api
from openedx_microcred.models import Credential, OrgRole, Program, PublishJob
from openedx_microcred.testutils import send_passing, utc

from ..conftest import program_xml

pytestmark = pytest.mark.django_db(transaction=True)

BASE = "/api/microcred/v1/"
A = "course-v1:DemoX+A101+2026"
B = "course-v1:DemoX+B102+2026"
C = "course-v1:DemoX+C103+2026"
OTHER = "course-v1:OtherX+Z1+2026"


@pytest.fixture
def users(make_user):
    """One user per role: global staff, DemoX author and viewer, an OtherX author, nobody."""
    found = {
        "staff": make_user("staff", is_staff=True),
        "author": make_user("author"),
        "viewer": make_user("viewer"),
        "other": make_user("other"),
        "nobody": make_user("nobody"),
    }
    OrgRole.objects.create(user=found["author"], org="DemoX", role=OrgRole.AUTHOR)
    OrgRole.objects.create(user=found["viewer"], org="DemoX", role=OrgRole.VIEWER)
    OrgRole.objects.create(user=found["other"], org="OtherX", role=OrgRole.AUTHOR)
    return found


def as_user(client, user):
    client.force_login(user)
    return client


def xml_of(program_id="p1", requirements=None, **attributes):
    return program_xml(program_id, requirements or (
        f'<course key="{A}" credits="2">A</course>'
        f'<group title="Elective" min-count="1"><course key="{B}" credits="1">B</course>'
        f'<course key="{C}" credits="1">C</course></group>'), **attributes)


@pytest.fixture
def draft(users):
    """A DemoX draft programme (never published)."""
    api.import_program(xml_of(), publish=False)
    return "p1"


@pytest.fixture
def published(users):
    api.import_program(xml_of())
    return "p1"


def etag(client, program_id):
    return client.get(f"{BASE}programmes/{program_id}/")["ETag"]


# ---------------------------------------------------------------------------- anonymous users

ENDPOINTS = [
    ("get", "programmes/"), ("post", "programmes/"), ("get", "programmes/p1/"),
    ("patch", "programmes/p1/"), ("delete", "programmes/p1/"),
    ("get", "programmes/p1/definition"), ("put", "programmes/p1/definition"),
    ("post", "programmes/p1/validate"), ("get", "programmes/p1/preview"),
    ("post", "programmes/p1/publish"), ("get", "programmes/p1/publish-summary"),
    ("get", "programmes/p1/publish-jobs/"), ("get", "programmes/p1/publish-jobs/1/"),
    ("post", "programmes/p1/retire"), ("get", "programmes/p1/versions/"),
    ("get", "programmes/p1/diff"), ("get", "programmes/p1/learners/"),
    ("get", "programmes/p1/learners.csv"), ("get", "courses/"), ("get", "orgs/"),
    ("get", f"courses/{A}/programmes/"),
    ("post", "credentials/00000000-0000-4000-8000-000000000000/revoke"),
]


@pytest.mark.parametrize("method,url", ENDPOINTS)
def test_anonymous_requests_are_refused(api_client, draft, method, url):
    response = getattr(api_client, method)(BASE + url)
    assert response.status_code == 401
    assert Program.objects.get().versions.count() == 1


@pytest.mark.parametrize("method,url", [e for e in ENDPOINTS if "programmes/p1" in e[1]])
def test_users_without_a_role_are_refused_every_programme_endpoint(api_client, users, draft,
                                                                   method, url):
    for name in ("nobody", "other"):
        response = getattr(as_user(api_client, users[name]), method)(BASE + url)
        assert response.status_code == 403, (name, response.content)


WRITES = [("patch", "programmes/p1/"), ("delete", "programmes/p1/"),
          ("put", "programmes/p1/definition"), ("post", "programmes/p1/publish"),
          ("post", "programmes/p1/retire")]


@pytest.mark.parametrize("method,url", WRITES)
def test_viewers_cannot_change_a_programme(api_client, users, draft, method, url):
    client = as_user(api_client, users["viewer"])
    before = Program.objects.get().revision
    response = getattr(client, method)(BASE + url, HTTP_IF_MATCH=etag(client, "p1"))
    assert response.status_code == 403
    assert Program.objects.get().revision == before


def test_viewers_read_validate_and_preview(api_client, users, draft):
    client = as_user(api_client, users["viewer"])
    for url in ("programmes/", "programmes/p1/", "programmes/p1/definition",
                "programmes/p1/preview", "programmes/p1/versions/", "programmes/p1/learners/",
                "programmes/p1/learners.csv", "programmes/p1/diff",
                "programmes/p1/publish-summary", "programmes/p1/publish-jobs/", "orgs/",
                f"courses/{A}/programmes/"):
        assert client.get(BASE + url).status_code == 200, url
    assert client.get(BASE + "programmes/p1/publish-jobs/1/").status_code == 404
    assert client.post(BASE + "programmes/p1/validate").json()["valid"] is True


def test_listing_shows_only_the_orgs_a_user_has_a_role_in(api_client, users, draft):
    api.import_program(xml_of("o1", f'<course key="{OTHER}">Z</course>', org="OtherX"))
    seen = {}
    for name, user in users.items():
        body = as_user(api_client, user).get(BASE + "programmes/").json()
        seen[name] = sorted(row["program_id"] for row in body["results"])
    assert seen == {"staff": ["o1", "p1"], "author": ["p1"], "viewer": ["p1"], "other": ["o1"],
                    "nobody": []}


def test_listing_filters_by_org_status_and_course(api_client, users, draft):
    api.import_program(xml_of("p2", f'<course key="{A}">A</course>'))
    client = as_user(api_client, users["staff"])

    def ids(query):
        return [row["program_id"] for row in client.get(BASE + "programmes/" + query)
                .json()["results"]]
    b_key, a2030 = quote(B), quote("course-v1:DemoX+A101+2030")  # "+" would read as a space
    assert ids("?status=draft") == ["p1"]
    assert ids("?status=published") == ["p2"]
    assert ids("?org=OtherX") == []
    assert ids(f"?course={b_key}") == ["p1"]
    assert ids(f"?course={a2030}") == ["p1", "p2"]  # runs="any"
    assert client.get(BASE + "programmes/?status=bogus").status_code == 400


def test_jwt_authentication_is_accepted(api_client, users, draft, jwt_auth_header):
    response = api_client.get(BASE + "programmes/", **jwt_auth_header(users["author"]))
    assert response.status_code == 200
    assert response.json()["count"] == 1


# ------------------------------------------------------------------------------- authoring

def test_an_author_creates_a_draft_from_xml(api_client, users):
    client = as_user(api_client, users["author"])
    response = client.post(BASE + "programmes/", data=xml_of(), content_type="application/xml")
    assert response.status_code == 201, response.content
    assert response["ETag"] == '"2"'
    body = response.json()
    assert (body["status"], body["draft_version"], body["published_version"]) == ("draft", 1, None)
    assert client.post(BASE + "programmes/", data=xml_of(),
                       content_type="application/xml").status_code == 409


def test_creating_needs_the_author_role_in_the_definitions_org(api_client, users):
    for name in ("viewer", "other", "nobody"):
        response = as_user(api_client, users[name]).post(
            BASE + "programmes/", data=xml_of(), content_type="application/xml")
        assert response.status_code == 403, name
    assert not Program.objects.exists()


def test_adding_a_course_needs_write_access_to_it(api_client, users):
    client = as_user(api_client, users["author"])
    response = client.post(BASE + "programmes/", content_type="application/xml",
                           data=xml_of(requirements=f'<course key="{OTHER}">Z</course>'))
    assert response.status_code == 403
    assert OTHER in response.json()["detail"]


def test_invalid_definitions_list_every_error_with_its_line_or_path(api_client, users, draft):
    client = as_user(api_client, users["author"])
    bad = xml_of(requirements=f'\n<course key="{A}" credits="-1"/>\n<course key="{B}" runs="x"/>')
    response = client.put(BASE + "programmes/p1/definition", data=bad,
                          content_type="application/xml", HTTP_IF_MATCH=etag(client, "p1"))
    assert response.status_code == 400
    assert [error["line"] for error in response.json()["errors"]] == [2, 3]
    data = client.get(BASE + "programmes/p1/definition").json()["definition"]
    data["requirements"]["children"][1]["min_count"] = 5
    data["credits"] = "lots"
    response = client.put(BASE + "programmes/p1/definition", data=data, format="json",
                          HTTP_IF_MATCH=etag(client, "p1"))
    assert response.status_code == 400
    assert {error["path"] for error in response.json()["errors"]} == {"/credits"}
    data["credits"] = 3
    response = client.put(BASE + "programmes/p1/definition", data=data, format="json",
                          HTTP_IF_MATCH=etag(client, "p1"))
    assert response.status_code == 400
    assert response.json()["errors"] == [{
        "line": None, "path": "/requirements/children/1",
        "message": "min-count 5 is more than the group's 2 children"}]


def test_definition_round_trips_as_json_and_xml(api_client, users, draft):
    client = as_user(api_client, users["author"])
    body = client.get(BASE + "programmes/p1/definition").json()
    assert (body["version"], body["status"], body["definition"]["org"]) == (1, "draft", "DemoX")
    xml = client.get(BASE + "programmes/p1/definition", HTTP_ACCEPT="application/xml")
    assert xml["Content-Type"].startswith("application/xml")
    assert xml.content.decode() == api.export_program("p1")
    body["definition"]["title"] = "Renamed"
    response = client.put(BASE + "programmes/p1/definition", data=body["definition"],
                          format="json", HTTP_IF_MATCH=etag(client, "p1"))
    assert response.status_code == 200, response.content
    assert "<title>Renamed</title>" in api.export_program("p1")


def test_stale_writes_are_refused_and_if_match_is_required(api_client, users, draft):
    client = as_user(api_client, users["author"])
    tag = etag(client, "p1")
    first = client.patch(BASE + "programmes/p1/", data={"title": "One"}, format="json",
                         HTTP_IF_MATCH=tag)
    assert first.status_code == 200, first.content
    second = client.patch(BASE + "programmes/p1/", data={"title": "Two"}, format="json",
                          HTTP_IF_MATCH=tag)
    assert second.status_code == 409
    assert "someone else changed it" in second.json()["detail"]
    assert client.patch(BASE + "programmes/p1/", data={"title": "Three"},
                        format="json").status_code == 428
    assert "<title>One</title>" in api.export_program("p1")


def test_the_org_never_changes(api_client, users, draft):
    client = as_user(api_client, users["staff"])
    response = client.patch(BASE + "programmes/p1/", data={"org": "OtherX"}, format="json",
                            HTTP_IF_MATCH=etag(client, "p1"))
    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == "/org"
    response = client.put(BASE + "programmes/p1/definition", data=xml_of(org="OtherX"),
                          content_type="application/xml", HTTP_IF_MATCH=etag(client, "p1"))
    assert response.status_code == 400
    assert "belongs to org 'DemoX'" in response.json()["detail"]
    assert Program.objects.get().org == "DemoX"


def test_validate_reports_warnings_and_does_not_save(api_client, users, draft):
    client = as_user(api_client, users["author"])
    xml = xml_of(requirements=(
        f'<course key="course-v1:DemoX+NOPE+2026" credits="2">A</course>'
        f'<group title="Electives"><course key="{B}" credits="1">B</course>'
        f'<course key="{C}" credits="1">C</course></group>'), credits="12")
    body = client.post(BASE + "programmes/p1/validate", data=xml,
                       content_type="application/xml").json()
    assert body["valid"] is True and body["errors"] == []
    messages = {w["path"]: w["message"] for w in body["warnings"]}
    assert "no course has the key 'course-v1:DemoX+NOPE+2026'" in \
        messages["/requirements/children/0/key"]
    assert "sounds like a choice" in messages["/requirements/children/1"]
    assert "declares 12 credits" in messages["/credits"]
    assert "NOPE" not in api.export_program("p1")
    bad = client.post(BASE + "programmes/p1/validate", data={"id": "p1"}, format="json").json()
    assert bad["valid"] is False and {e["path"] for e in bad["errors"]} == {""}


def test_preview_shows_the_narrative_and_an_unsigned_credential(api_client, users, draft):
    body = as_user(api_client, users["author"]).get(BASE + "programmes/p1/preview").json()
    assert "A" in body["narrative"]
    assert "OpenBadgeCredential" in body["credential"]["type"]
    assert "proof" not in body["credential"]


def test_publish_evaluates_learners_who_already_completed(api_client, users, draft, make_user):
    learners = [make_user(f"l{i}") for i in range(3)]
    for learner in learners[:2]:
        send_passing(learner.pk, A, time=utc(2026, 1, 5))
        send_passing(learner.pk, B, time=utc(2026, 1, 6))
    send_passing(learners[2].pk, A, time=utc(2026, 1, 5))
    client = as_user(api_client, users["author"])
    summary = client.get(BASE + "programmes/p1/publish-summary").json()
    assert (summary["learners"], summary["newly_complete"]) == (3, 2)
    assert summary["diff"]["added_courses"] == [A, B, C]
    response = client.post(BASE + "programmes/p1/publish", HTTP_IF_MATCH=etag(client, "p1"))
    assert response.status_code == 202, response.content
    job = client.get(response["Location"]).json()
    assert (job["status"], job["learners_total"], job["learners_done"], job["issued"]) == \
        ("done", 3, 3, 2)
    assert Credential.objects.filter(program__program_id="p1").count() == 2
    # the credentials' emails (and registry deliveries) go out with the job, not at a sweep
    assert sorted(message.to[0] for message in mail.outbox) == ["l0@example.com",
                                                                "l1@example.com"]
    listed = client.get(BASE + "programmes/").json()["results"][0]
    assert (listed["learners"], listed["credentials"], listed["status"],
            listed["published_version"], listed["draft_version"]) == (3, 2, "published", 1, None)
    learners_page = client.get(BASE + "programmes/p1/learners/").json()
    assert learners_page["count"] == 3
    first = learners_page["results"][0]
    assert (first["username"], first["complete"], first["credential_status"]) == \
        ("l0", True, "awarded")
    assert client.post(BASE + "programmes/p1/publish",
                       HTTP_IF_MATCH=etag(client, "p1")).status_code == 409  # no draft
    assert [j["id"] for j in client.get(BASE + "programmes/p1/publish-jobs/").json()["results"]] \
        == [PublishJob.objects.get().pk]


def test_learners_csv_is_streamed_and_formula_safe(api_client, users, published, make_user):
    learner = make_user("=cmd", first_name="=HYPERLINK(1)")
    send_passing(learner.pk, A, time=utc(2026, 1, 5))
    response = as_user(api_client, users["viewer"]).get(BASE + "programmes/p1/learners.csv")
    assert response.status_code == 200 and response.streaming
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == list(api.LEARNER_CSV_HEADER)
    assert rows[1][:2] == ["'=cmd", "'=HYPERLINK(1)"]


def test_versions_and_diff(api_client, users, published):
    client = as_user(api_client, users["author"])
    client.patch(BASE + "programmes/p1/", data={"title": "New title"}, format="json",
                 HTTP_IF_MATCH=etag(client, "p1"))
    versions = client.get(BASE + "programmes/p1/versions/").json()["results"]
    assert [(v["number"], v["status"]) for v in versions] == [(2, "draft"), (1, "published")]
    diff = client.get(BASE + "programmes/p1/diff").json()
    assert (diff["from_version"], diff["to_version"]) == (1, 2)
    assert "-  <title>p1 title</title>" in diff["unified"]
    assert "+  <title>New title</title>" in diff["unified"]
    assert client.get(BASE + "programmes/p1/diff?from_version=9").status_code == 404


def test_retire_stops_new_credentials_and_keeps_issued_ones(api_client, users, published,
                                                            make_user):
    earned, late = make_user("earned"), make_user("late")
    for user in (earned, late):
        send_passing(user.pk, A, time=utc(2026, 1, 5))
    send_passing(earned.pk, B, time=utc(2026, 1, 6))
    credential = Credential.objects.get(user=earned)
    client = as_user(api_client, users["author"])
    assert client.delete(BASE + "programmes/p1/",
                         HTTP_IF_MATCH=etag(client, "p1")).status_code == 409
    response = client.post(BASE + "programmes/p1/retire", HTTP_IF_MATCH=etag(client, "p1"))
    assert response.status_code == 200 and response.json()["status"] == "retired"
    send_passing(late.pk, B, time=utc(2026, 1, 7))
    assert not Credential.objects.filter(user=late).exists()
    assert api.get_verification(credential.uuid).verdict == "valid"
    assert client.put(BASE + "programmes/p1/definition", data=xml_of(),
                      content_type="application/xml",
                      HTTP_IF_MATCH=etag(client, "p1")).status_code == 409


def test_only_never_published_drafts_are_deleted(api_client, users, draft):
    client = as_user(api_client, users["author"])
    assert client.delete(BASE + "programmes/p1/",
                         HTTP_IF_MATCH=etag(client, "p1")).status_code == 204
    assert not Program.objects.exists()


def test_course_search_and_course_programmes(api_client, users, draft):
    api.import_program(xml_of("o1", f'<course key="{OTHER}">Zed</course>', org="OtherX"))
    client = as_user(api_client, users["author"])
    found = client.get(BASE + "courses/?search=b102").json()["results"]
    assert found == [{"course_key": B, "title": "B", "org": "DemoX"}]
    assert client.get(BASE + "courses/?search=Zed").json()["results"] == []
    staff = as_user(api_client, users["staff"]).get(BASE + "courses/?search=Zed").json()
    assert [course["course_key"] for course in staff["results"]] == [OTHER]
    listed = client.get(f"{BASE}courses/{A}/programmes/").json()["results"]
    assert [row["program_id"] for row in listed] == ["p1"]
    assert as_user(api_client, users["nobody"]).get(
        f"{BASE}courses/{A}/programmes/").json()["results"] == []


def test_revoking_a_credential_needs_the_author_role(api_client, users, published, make_user):
    learner = make_user("earned")
    send_passing(learner.pk, A, time=utc(2026, 1, 5))
    send_passing(learner.pk, B, time=utc(2026, 1, 6))
    credential = Credential.objects.get()
    url = f"{BASE}credentials/{credential.uuid}/revoke"
    for name in ("viewer", "other", "nobody"):
        assert as_user(api_client, users[name]).post(
            url, {"reason": "x"}, format="json").status_code == 403, name
    client = as_user(api_client, users["author"])
    assert client.post(url, {}, format="json").status_code == 400
    response = client.post(url, {"reason": "academic misconduct"}, format="json")
    assert response.json() == {"uuid": str(credential.uuid), "revoked": True}
    credential.refresh_from_db()
    assert credential.status == Credential.REVOKED
    assert client.post(BASE + "credentials/00000000-0000-4000-8000-000000000000/revoke",
                       {"reason": "x"}, format="json").status_code == 404


# ------------------------------------------------------------------------------- the schemas

REQUIRED_PATHS = [
    "/api/microcred/v1/programmes/", "/api/microcred/v1/programmes/{program_id}/",
    "/api/microcred/v1/programmes/{program_id}/definition",
    "/api/microcred/v1/programmes/{program_id}/validate",
    "/api/microcred/v1/programmes/{program_id}/preview",
    "/api/microcred/v1/programmes/{program_id}/publish",
    "/api/microcred/v1/programmes/{program_id}/retire",
    "/api/microcred/v1/programmes/{program_id}/versions/",
    "/api/microcred/v1/programmes/{program_id}/diff",
    "/api/microcred/v1/programmes/{program_id}/learners/",
    "/api/microcred/v1/programmes/{program_id}/learners.csv",
    "/api/microcred/v1/programmes/{program_id}/publish-jobs/{job_id}/",
    "/api/microcred/v1/courses/{course_key}/programmes/",
    "/api/microcred/v1/courses/",
    "/api/microcred/v1/orgs/",
    "/api/microcred/v1/credentials/{credential_uuid}/revoke",
    "/api/microcred/v1/definition-schema.json",
]


def test_the_openapi_document_is_valid_and_lists_every_endpoint(client):
    document = yaml.safe_load(client.get(BASE + "schema/").content)
    validate_openapi(document)
    missing = [path for path in REQUIRED_PATHS if path not in document["paths"]]
    assert missing == []
    operations = document["paths"]["/api/microcred/v1/programmes/{program_id}/"]
    assert set(operations) >= {"get", "patch", "delete"}


def test_the_definition_json_schema_is_published(client):
    response = client.get(BASE + "definition-schema.json")
    assert response.status_code == 200
    assert response.json() == api.get_definition_json_schema()
    assert response.json()["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_global_staff_author_every_org(api_client, users):
    api.import_program(xml_of("o1", f'<course key="{OTHER}">Z</course>', org="OtherX"),
                       publish=False)
    client = as_user(api_client, users["staff"])
    response = client.patch(BASE + "programmes/o1/", data={"title": "By staff"}, format="json",
                            HTTP_IF_MATCH=etag(client, "o1"))
    assert response.status_code == 200
    assert client.post(BASE + "programmes/o1/publish",
                       HTTP_IF_MATCH=etag(client, "o1")).status_code == 202


def test_the_id_in_a_definition_must_be_the_programmes(api_client, users, draft):
    client = as_user(api_client, users["author"])
    response = client.put(BASE + "programmes/p1/definition", data=xml_of("p2"),
                          content_type="application/xml", HTTP_IF_MATCH=etag(client, "p1"))
    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == "/id"


def test_publishing_needs_the_stacked_programmes_published(api_client, users, draft):
    client = as_user(api_client, users["author"])
    response = client.post(BASE + "programmes/", content_type="application/xml",
                           data=xml_of("stack", '<program ref="p1"/>'))
    assert response.status_code == 201, response.content
    response = client.post(BASE + "programmes/stack/publish", HTTP_IF_MATCH=response["ETag"])
    assert response.status_code == 400
    assert "publish the programmes it stacks on first: p1" in response.json()["detail"]
    assert Program.objects.get(program_id="stack").status == "draft"


def test_a_malformed_if_match_is_a_bad_request(api_client, users, draft):
    client = as_user(api_client, users["author"])
    response = client.post(BASE + "programmes/p1/publish", HTTP_IF_MATCH="yesterday")
    assert response.status_code == 400


def test_orgs_lists_the_users_roles(api_client, users, draft):
    def orgs(name):
        body = as_user(api_client, users[name]).get(BASE + "orgs/").json()
        return [(row["org"], row["role"]) for row in body["results"]]
    assert orgs("author") == [("DemoX", "author")]
    assert orgs("viewer") == [("DemoX", "viewer")]
    assert orgs("staff") == [("DemoX", "author"), ("OtherX", "author")]
    assert orgs("nobody") == []


def test_oversized_bodies_are_refused_before_parsing(api_client, users, draft, settings):
    settings.MICROCRED_MAX_DEFINITION_BYTES = 2000
    client = as_user(api_client, users["author"])
    big = xml_of(requirements=f'<course key="{A}">{"x" * 3000}</course>')
    response = client.put(BASE + "programmes/p1/definition", data=big,
                          content_type="application/xml", HTTP_IF_MATCH=etag(client, "p1"))
    assert response.status_code == 400
    assert "larger than the limit of 2000 bytes" in response.json()["detail"]
    response = client.post(BASE + "programmes/p1/validate", data={"title": "x" * 9000},
                           format="json")
    assert response.status_code == 400


def test_session_writes_need_a_csrf_token(users, draft):
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=True)
    client.force_login(users["author"])
    tag = client.get(BASE + "programmes/p1/")["ETag"]
    response = client.post(BASE + "programmes/p1/publish", HTTP_IF_MATCH=tag)
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert Program.objects.get().status == "draft"


# ------------------------------------------------------------------------- hostile bodies

def test_deeply_nested_json_is_a_400_not_a_server_error(api_client, users, draft):
    client = as_user(api_client, users["nobody"])  # any signed-in user reaches the parser
    deep = "[" * 1200 + "]" * 1200
    response = client.post(BASE + "programmes/", data=deep, content_type="application/json")
    assert response.status_code == 400
    assert "nested more than" in response.json()["detail"]
    author = as_user(api_client, users["author"])
    data = author.get(BASE + "programmes/p1/definition").json()["definition"]
    group = {"type": "group", "title": "", "min_count": None, "min_credits": None,
             "children": [data["requirements"]["children"][0]]}
    for _ in range(150):  # 150 groups within one another: the validator would recurse
        group = {**group, "children": [group]}
    data["requirements"] = group
    response = author.put(BASE + "programmes/p1/definition", data=data, format="json",
                          HTTP_IF_MATCH=etag(author, "p1"))
    assert response.status_code == 400
    assert "nested more than" in response.json()["detail"]


def test_deeply_nested_json_patch_is_a_400(api_client, users, draft):
    author = as_user(api_client, users["author"])
    response = author.patch(BASE + "programmes/p1/", data="[" * 1200 + "]" * 1200,
                            content_type="application/json", HTTP_IF_MATCH=etag(author, "p1"))
    assert response.status_code == 400
    assert "nested more than" in response.json()["detail"]


def test_a_body_over_the_hosts_upload_limit_is_a_413_in_the_api_shape(api_client, users,
                                                                       settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = as_user(api_client, users["author"]).post(
        BASE + "programmes/", data={"title": "x" * 5000}, format="json")
    assert response.status_code == 413
    assert response.json()["errors"][0]["message"]
