"""Public pages and documents show only what the learner chose to share: a display name (or a
neutral wording, never the username), grades only when the programme publishes them, and a
revocation reason that names no staff member (who revoked is an internal note)."""
import json

import pytest
from django.core.cache import cache
from django.test import Client

from openedx_microcred import api, delivery, platform
from openedx_microcred.definitions import parse_program, serialize_program
from openedx_microcred.definitions.errors import ProgramDefinitionError
from openedx_microcred.models import Credential, Delivery
from openedx_microcred.testutils import send_grade, send_passing, utc

from .conftest import program_xml
from .registries.fakes import (
    ACCREDIBLE_KEY,
    CREDLY_TOKEN,
    FakeAccredible,
    FakeCredly,
    FakeWebhookReceiver,
)

pytestmark = pytest.mark.django_db(transaction=True)

A = "course-v1:ExampleX+1+2025"
B = "course-v1:ExampleX+2+2025"
USERNAME = "jdoe_7781"
STAFF = "registrar_4410"


@pytest.fixture(autouse=True)
def _clean():
    cache.clear()
    delivery._CLIENTS.clear()
    yield
    delivery._CLIENTS.clear()


@pytest.fixture
def nameless(make_user):
    """A learner who gave no name: only a username and an email."""
    return make_user(USERNAME)


def earn(user, *, grades: bool = False, grade: float = 0.87) -> Credential:
    attributes = {"public-grades": "true"} if grades else {}
    api.import_program(program_xml(
        "p", f'<course key="{A}" credits="2">A</course><course key="{B}" credits="1">B</course>',
        **attributes))
    send_grade(user.pk, A, grade, time=utc(2026, 3, 1))
    send_passing(user.pk, A, time=utc(2026, 3, 1))
    send_passing(user.pk, B, time=utc(2026, 3, 2))
    return Credential.objects.get(user=user)


# A display name or a neutral wording, never the username ------------------------------------


def test_the_platform_adapter_never_falls_back_to_the_username(nameless, make_user):
    named = make_user("asmith", first_name="Ada", last_name="Smith")
    assert platform.get_user_display_name(nameless.pk) == ""
    assert platform.get_user_display_name(named.pk) == "Ada Smith"
    assert platform.get_users_contact({nameless.pk, named.pk}) == {
        nameless.pk: ("", f"{USERNAME}@example.com"), named.pk: ("Ada Smith", "asmith@example.com")}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_verification_page_of_a_nameless_learner_shows_no_username(nameless, client, language):
    credential = earn(nameless)
    page = client.get(f"/microcred/verify/{credential.uuid}/?lang={language}").content.decode()
    assert USERNAME not in page
    if language == "en":
        assert "(name not available)" in page
        assert 'content="p title, issued by Demo University."' in page
        assert "Micro-credential issued by Demo University. Check that it is valid" in page
    else:
        assert "（姓名不可用）" in page and "由Demo University颁发的微证书。" in page


def test_a_learner_name_is_shown_where_given(learner, client):
    credential = earn(learner)
    page = client.get(f"/microcred/verify/{credential.uuid}/?lang=en").content.decode()
    assert page.count("Alice Liddell") == 3
    assert learner.username not in page.replace("alice.liddell", "")


def test_no_document_carries_the_username(nameless, client):
    credential = earn(nameless)
    for url in (f"/microcred/credentials/{credential.uuid}.jsonld",
                f"/microcred/credentials/{credential.uuid}/clr.jsonld"):
        assert USERNAME not in client.get(url).content.decode()


@pytest.mark.parametrize("kind", ["credly", "accredible"])
def test_registries_never_get_the_username_for_a_name(nameless, kind):
    fake = (FakeCredly() if kind == "credly" else FakeAccredible()).start()
    try:
        options = ({"organization_id": fake.organization_id,
                    "badge_template_id": "tmpl-data-trade"} if kind == "credly"
                   else {"group_id": 4217})
        api.configure_registry(kind=kind, name=kind, base_url=fake.url,
                               secret=CREDLY_TOKEN if kind == "credly" else ACCREDIBLE_KEY,
                               options=options)
        earn(nameless)
        row = Delivery.objects.get()
        assert row.status == Delivery.DEAD
        assert "the learner has no name" in row.last_error
        assert all(USERNAME not in request.body.decode() for request in fake.requests)
    finally:
        fake.stop()


# Grades are public only when the programme says so -------------------------------------------


def course_results(clr: dict) -> list:
    inner = clr["credentialSubject"]["verifiableCredential"]
    return [doc["credentialSubject"].get("result") for doc in inner
            if "result" in doc["credentialSubject"]]


def test_grades_stay_out_of_public_documents_by_default(learner, client):
    credential = earn(learner, grade=0.87)
    assert credential.evidence[0]["grade"] == 0.87  # kept internally (min-grade rules use it)
    document = client.get(f"/microcred/credentials/{credential.uuid}.jsonld").json()
    assert "87" not in json.dumps(document["evidence"])
    assert not any("Grade" in item["narrative"] for item in document["evidence"])
    clr = client.get(f"/microcred/credentials/{credential.uuid}/clr.jsonld").json()
    assert course_results(clr) == []
    page = client.get(f"/microcred/verify/{credential.uuid}/").content.decode()
    assert "Grade 0.87" not in page
    assert [item.grade for item in api.get_verification(credential.uuid).evidence] == [None, None]


def test_a_programme_with_public_grades_publishes_them(learner, client):
    credential = earn(learner, grades=True, grade=0.87)
    assert "Grade 0.87" in client.get(f"/microcred/verify/{credential.uuid}/").content.decode()
    document = client.get(f"/microcred/credentials/{credential.uuid}.jsonld").json()
    assert any("Grade: 87%." in item["narrative"] for item in document["evidence"])
    clr = client.get(f"/microcred/credentials/{credential.uuid}/clr.jsonld").json()
    [[result]] = course_results(clr)
    assert result["value"] == "87"


def test_public_grades_round_trips_through_the_xml_contract():
    xml = program_xml("g", f'<course key="{A}">A</course>', **{"public-grades": "true"})
    definition = parse_program(xml)
    assert definition.public_grades is True
    exported = serialize_program(definition)
    assert 'public-grades="true"' in exported
    assert parse_program(exported) == definition
    private = parse_program(program_xml("g", f'<course key="{A}">A</course>'))
    assert private.public_grades is False
    assert "public-grades" not in serialize_program(private)
    assert parse_program(program_xml("g", f'<course key="{A}">A</course>',
                                     **{"public-grades": "false"})) == private
    assert parse_program(program_xml("g", f'<course key="{A}">A</course>',
                                     **{"public-grades": "1"})).public_grades is True
    with pytest.raises(ProgramDefinitionError, match="public-grades"):
        parse_program(program_xml("g", f'<course key="{A}">A</course>',
                                  **{"public-grades": "yes"}))


# The staff member's identity stays internal ---------------------------------------------------


def test_an_admin_revocation_sends_a_reason_that_names_no_one(learner, admin_user):
    receiver = FakeWebhookReceiver().start()
    try:
        api.configure_registry(kind="webhook", name="hook", base_url=receiver.url,
                               secret=receiver.secret)
        credential = earn(learner)
        admin_user.username = STAFF
        admin_user.save()
        staff = Client()
        staff.force_login(admin_user)
        staff.post("/admin/openedx_microcred/credential/", {
            "action": "revoke_selected", "_selected_action": [credential.pk]})
        credential.refresh_from_db()
        assert credential.status == Credential.REVOKED
        assert credential.revocation_reason == "revoked by the issuer"
        assert credential.revocation_note == f"revoked by {STAFF} in the Django admin"
        revoked = [event for event in receiver.events if event["event"] == "credential.revoked"]
        assert [event["reason"] for event in revoked] == ["revoked by the issuer"]
        assert all(STAFF not in request.body.decode() for request in receiver.requests)
        page = Client().get(f"/microcred/verify/{credential.uuid}/").content.decode()
        assert STAFF not in page
        detail = staff.get(f"/admin/openedx_microcred/credential/{credential.pk}/change/")
        assert f"revoked by {STAFF} in the Django admin" in detail.content.decode()
    finally:
        receiver.stop()


def test_the_api_keeps_the_note_apart_from_the_reason(learner):
    credential = earn(learner)
    assert api.revoke_credential(credential.uuid, reason="issued in error",
                                 note="ticket OPS-1234, asked by the registrar") is True
    credential.refresh_from_db()
    assert (credential.revocation_reason, credential.revocation_note) == (
        "issued in error", "ticket OPS-1234, asked by the registrar")
    assert api.get_verification(credential.uuid).verdict_reason == "issued in error"
