"""A registry's reason for refusing reaches the operator: a bounded, secret-scrubbed excerpt of
its error body in the dead letter (``Delivery.last_error``), the admin and the log, for every
client, against the fake registries on 127.0.0.1 (real HTTP)."""
import json
import logging

import pytest

from openedx_microcred import api, delivery
from openedx_microcred.models import Delivery
from openedx_microcred.registries.errors import REASON_LIMIT, REDACTED
from openedx_microcred.testutils import send_passing, utc

from ..conftest import program_xml
from .fakes import ACCREDIBLE_KEY, CREDLY_TOKEN, PARCHMENT_PASSWORD, WEBHOOK_SECRET, Fault

pytestmark = pytest.mark.django_db(transaction=True)

A = "course-v1:DemoX+A101+2026"
#: Credly's answer to a last name over 40 characters (its documented validation error shape).
CREDLY_422 = {"data": {"message": "Validation failed", "errors": [
    {"attribute": "issued_to_last_name", "messages": ["is too long (maximum is 40 characters)"]}]}}
CREDLY_REASON = ('"attribute":"issued_to_last_name","messages":["is too long (maximum is 40 '
                 'characters)"]')
#: Per registry: its fake's fixture, the request to refuse, its refusal body, what must show.
REFUSALS = {
    "credly": ("credly", "POST /v1/organizations", CREDLY_422, CREDLY_REASON),
    "accredible": ("accredible", "POST /v1/credentials",
                   {"errors": {"recipient": {"email": ["is invalid"]}}},
                   '"recipient":{"email":["is invalid"]}'),
    "parchment": ("parchment", "/assertions",
                  {"status": {"success": False, "description": "Bad request"}, "result": [],
                   "fieldErrors": {"recipient": ["Recipient identity is not valid"]},
                   "validationErrors": []},
                  '"fieldErrors":{"recipient":["Recipient identity is not valid"]}'),
    "webhook": ("receiver", "POST ", "<html><body><h1>422</h1><p>Unknown programme "
                "&quot;one&quot;</p></body></html>", '422 Unknown programme "one"'),
}


@pytest.fixture(autouse=True)
def _fast(settings):
    settings.MICROCRED_DELIVERY_TIMEOUT = (1.0, 0.5)
    delivery._CLIENTS.clear()
    yield
    delivery._CLIENTS.clear()


def configure(kind: str, fake) -> None:
    api.import_program(program_xml("one", f'<course key="{A}" credits="2">A</course>'))
    settings = {
        "credly": {"secret": CREDLY_TOKEN, "options": {
            "organization_id": getattr(fake, "organization_id", ""),
            "badge_template_id": "tmpl-data-trade"}},
        "accredible": {"secret": ACCREDIBLE_KEY, "options": {"group_id": 4217}},
        "parchment": {"secret": json.dumps({"username": "issuer@example.edu",
                                            "password": PARCHMENT_PASSWORD}),
                      "options": {"badgeclass_entity_id": "bc-data-trade"}},
        "webhook": {"secret": WEBHOOK_SECRET, "options": {}},
    }[kind]
    api.configure_registry(kind=kind, name=kind, base_url=fake.url, **settings)


@pytest.mark.parametrize("kind", sorted(REFUSALS))
def test_the_registry_reason_is_in_the_dead_letter_the_admin_and_the_log(
        kind, request, learner, admin_client, caplog):
    fixture, match, body, reason = REFUSALS[kind]
    fake = request.getfixturevalue(fixture)
    configure(kind, fake)
    fake.fail_next(Fault(status=422, body=body, match=match))
    with caplog.at_level(logging.WARNING):
        send_passing(learner.pk, A, time=utc(2026, 3, 1))
    row = Delivery.objects.get()
    assert row.status == Delivery.DEAD and row.last_status_code == 422
    assert "answered 422" in row.last_error
    assert "registry said: " in row.last_error
    assert reason in row.last_error
    page = admin_client.get(f"/admin/openedx_microcred/delivery/{row.pk}/change/").content.decode()
    assert reason.replace('"', "&quot;") in page
    listing = admin_client.get("/admin/openedx_microcred/delivery/").content.decode()
    assert "registry said:" in listing
    dead = [r.getMessage() for r in caplog.records if "dead letter" in r.getMessage()]
    client_lines = [r.getMessage() for r in caplog.records if r.name.endswith("registries.http")]
    assert dead and reason in dead[0]
    assert any(reason in line for line in client_lines)


@pytest.mark.parametrize("kind", sorted(REFUSALS))
def test_the_admin_test_connection_message_carries_the_reason(kind, request, admin_client):
    fixture, _match, _body, _reason = REFUSALS[kind]
    fake = request.getfixturevalue(fixture)
    configure(kind, fake)
    fake.fail_next(Fault(status=403, body={"error": "IP address 127.0.0.1 is not allow-listed"}))
    connection = delivery.RegistryConnection.objects.get(name=kind)
    response = admin_client.post("/admin/openedx_microcred/registryconnection/", {
        "action": "test_connection", "_selected_action": [connection.pk]}, follow=True)
    [message] = [str(m) for m in response.context["messages"]]
    assert message.startswith(f"{kind}: ")
    assert 'registry said: {"error":"IP address 127.0.0.1 is not allow-listed"}' in message


@pytest.mark.parametrize("kind", sorted(REFUSALS))
def test_the_excerpt_is_bounded_and_scrubbed(kind, request, learner, caplog):
    fixture, match, _body, _reason = REFUSALS[kind]
    fake = request.getfixturevalue(fixture)
    configure(kind, fake)
    secret = {"credly": CREDLY_TOKEN, "accredible": ACCREDIBLE_KEY,
              "parchment": PARCHMENT_PASSWORD, "webhook": WEBHOOK_SECRET}[kind]
    echoed = {"message": f"bad credentials {secret}", "access_token": "tok-9f8e7d6c5b4a",
              "nested": {"client_secret": "cs-1a2b3c4d", "password": "hunter2-pw"},
              "padding": "x" * 5000}
    fake.fail_next(Fault(status=422, body=echoed, match=match))
    with caplog.at_level(logging.DEBUG):
        send_passing(learner.pk, A, time=utc(2026, 3, 1))
    row = Delivery.objects.get()
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for text in (row.last_error, logged):
        for leaked in (secret, "tok-9f8e7d6c5b4a", "cs-1a2b3c4d", "hunter2-pw"):
            assert leaked not in text
    assert f"bad credentials {REDACTED}" in row.last_error
    said = row.last_error.split("registry said: ", 1)[1]
    assert len(said) <= REASON_LIMIT + 1 and said.endswith("…")
    assert len(row.last_error) < 1000
