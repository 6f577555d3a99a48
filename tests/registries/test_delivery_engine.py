"""The outbox and delivery engine against fake registries on 127.0.0.1 (real HTTP)."""
import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from openedx_microcred import api, delivery, encryption
from openedx_microcred.models import Credential, Delivery, RegistryConnection
from openedx_microcred.testutils import send_passing, utc

from ..conftest import program_xml
from .fakes import (
    CREDLY_TOKEN,
    WEBHOOK_SECRET,
    rate_limited,
    rejected,
    server_error,
    slow,
    unauthorized,
)

pytestmark = pytest.mark.django_db(transaction=True)

A = "course-v1:DemoX+A101+2026"
B = "course-v1:OtherX+B1+2026"
TEMPLATE = "tmpl-data-trade"  # a template the fake Credly organisation has


@pytest.fixture(autouse=True)
def _fast(settings):
    settings.MICROCRED_DELIVERY_TIMEOUT = (1.0, 0.5)
    settings.MICROCRED_DELIVERY_BACKOFF_BASE = 0.0  # retries are due at once: no test sleeps
    settings.MICROCRED_DELIVERY_MAX_ATTEMPTS = 4
    delivery._CLIENTS.clear()
    yield
    delivery._CLIENTS.clear()


@pytest.fixture
def programmes():
    api.import_program(program_xml("one", f'<course key="{A}" credits="2">A</course>'))
    api.import_program(program_xml("two", f'<course key="{B}">B</course>', org="OtherX"))


def _earn(user, key=A, day=1):
    send_passing(user.pk, key, time=utc(2026, 3, day))
    return Credential.objects.get(user=user, program__program_id="one" if key == A else "two")


def _webhook(receiver, **kwargs):
    return api.configure_registry(kind="webhook", name="hook", base_url=receiver.url,
                                  secret=WEBHOOK_SECRET, **kwargs)


def test_issue_writes_one_delivery_per_connection_and_delivers_it(programmes, learner, receiver,
                                                                   credly):
    _webhook(receiver)
    api.configure_registry(kind="credly", name="credly", base_url=credly.url, secret=CREDLY_TOKEN,
                           options={"organization_id": credly.organization_id,
                                    "programs": {"one": {"badge_template_id": TEMPLATE}}},
                           programs=["one"])
    credential = _earn(learner)
    rows = Delivery.objects.filter(credential=credential)
    assert sorted(rows.values_list("connection__name", "status")) == [
        ("credly", "delivered"), ("hook", "delivered")]  # eager Celery: sent after the commit
    [event] = receiver.events
    assert event["event"] == "credential.issued"
    assert event["credential"] == credential.document
    assert event["credential_uuid"] == str(credential.uuid)
    [badge] = credly.requests_to("POST", "/badges")
    assert badge.json["badge_template_id"] == TEMPLATE
    assert badge.json["recipient_email"] == learner.email
    assert rows.get(connection__name="credly").external_id  # the badge id, for a later revoke


def test_programme_mapping_limits_a_connection(programmes, learner, receiver):
    _webhook(receiver, programs=["two"])
    _earn(learner)  # programme "one": not mapped
    assert not Delivery.objects.exists()
    _earn(learner, B)
    assert Delivery.objects.get().status == Delivery.DELIVERED


def test_revocation_reaches_every_registry_that_got_the_issue(programmes, learner, receiver,
                                                              credly):
    _webhook(receiver)
    api.configure_registry(kind="credly", name="credly", base_url=credly.url, secret=CREDLY_TOKEN,
                           options={"organization_id": credly.organization_id,
                                    "badge_template_id": TEMPLATE})
    credential = _earn(learner)
    api.revoke_credential(credential.uuid, reason="issued in error")
    actions = sorted(Delivery.objects.values_list("connection__name", "action", "status"))
    assert actions == [("credly", "issue", "delivered"), ("credly", "revoke", "delivered"),
                       ("hook", "issue", "delivered"), ("hook", "revoke", "delivered")]
    assert [e["event"] for e in receiver.events] == ["credential.issued", "credential.revoked"]
    [revoke] = credly.requests_to("PUT", "/revoke")
    issued_id = Delivery.objects.get(connection__name="credly", action="issue").external_id
    assert issued_id in revoke.path
    assert revoke.json["reason"] == "issued in error"


def test_a_registry_down_for_many_attempts_gets_it_once_when_back(programmes, learner, receiver):
    _webhook(receiver)
    receiver.fail_next(server_error(), server_error(503), slow(2.0))
    _earn(learner)
    row = Delivery.objects.get()
    assert row.status == Delivery.PENDING and row.attempts == 1
    assert "ConnectionFailed" in row.last_error
    result = delivery.drain(until_idle=True, timeout=20)
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Delivery.DELIVERED, 4)
    assert result.pending == 0
    key = str(row.idempotency_key)
    assert receiver.attempts[key] == 4  # the same idempotency key on every attempt
    assert receiver.accepted[key] == 1 and len(receiver.events) == 1


def test_retry_after_is_honoured(programmes, learner, receiver):
    _webhook(receiver)
    receiver.fail_next(rate_limited(retry_after="30"))
    before = timezone.now()
    _earn(learner)
    row = Delivery.objects.get()
    assert row.status == Delivery.PENDING and row.last_status_code == 429
    assert timedelta(seconds=29) <= row.next_attempt_at - before <= timedelta(seconds=32)
    assert delivery.deliver(row.pk) == delivery.SKIPPED  # not due yet


@pytest.mark.parametrize("fault, code", [(rejected(422), 422), (unauthorized(), 401)])
def test_permanent_errors_are_dead_letters_at_once(programmes, learner, receiver, fault, code):
    _webhook(receiver)
    receiver.fail_next(fault)
    _earn(learner)
    row = Delivery.objects.get()
    assert (row.status, row.attempts, row.last_status_code) == (Delivery.DEAD, 1, code)
    assert row.last_error
    assert delivery.redeliver([row.pk]) == 1
    assert delivery.deliver(row.pk) == delivery.DELIVERED
    assert len(receiver.events) == 1


def test_too_many_failures_end_in_the_dead_letter_state(programmes, learner, receiver):
    _webhook(receiver)
    receiver.fail_next(*[server_error()] * 10)
    _earn(learner)
    delivery.drain(until_idle=True, timeout=10)
    row = Delivery.objects.get()
    assert (row.status, row.attempts) == (Delivery.DEAD, 4)
    assert "500" in row.last_error or "ConnectionFailed" in row.last_error
    assert receiver.events == []


def test_refused_connection_is_retried(programmes, learner, refused_url):
    api.configure_registry(kind="webhook", name="gone", base_url=refused_url,
                           secret=WEBHOOK_SECRET)
    _earn(learner)
    row = Delivery.objects.get()
    assert row.status == Delivery.PENDING and "ConnectionFailed" in row.last_error


def test_a_claimed_row_is_not_sent_twice_and_an_expired_lease_is_due_again(programmes, learner,
                                                                          receiver, settings):
    _webhook(receiver)
    Delivery.objects.all().delete()
    credential = _earn(learner)
    Delivery.objects.all().delete()
    from openedx_microcred import outbox

    outbox.write(credential, Delivery.ISSUE)
    [row] = delivery.claim_batch(10)
    assert row.status == Delivery.SENDING
    assert delivery.claim_batch(10) == []  # another worker finds nothing to take
    # the worker dies: its lease runs out, the row is due again, sent with the same key
    Delivery.objects.filter(pk=row.pk).update(lease_expires_at=timezone.now() - timedelta(1))
    assert delivery.deliver() == delivery.DELIVERED
    assert receiver.accepted[str(row.idempotency_key)] == 1


def test_per_connection_rate_limit_defers_without_spending_attempts(programmes, learner,
                                                                    receiver, make_user,
                                                                    monkeypatch):
    from django.core.cache import cache

    connection_id = _webhook(receiver)
    RegistryConnection.objects.filter(pk=connection_id).update(rate_limit=1)
    Delivery.objects.all().delete()
    credentials = [_earn(learner), _earn(make_user("bob"))]
    from openedx_microcred import outbox

    Delivery.objects.all().delete()
    for credential in credentials:
        outbox.write(credential, Delivery.ISSUE)
    cache.clear()
    monkeypatch.setattr(delivery, "_current_second", lambda: 1_800_000_000)  # one window
    outcomes = [delivery.deliver(), delivery.deliver()]
    assert sorted(outcomes) == [delivery.DEFERRED, delivery.DELIVERED]
    assert Delivery.objects.get(status=Delivery.PENDING).attempts == 0


def test_secrets_are_encrypted_and_never_rendered(programmes, admin_client):
    connection_id = api.configure_registry(kind="credly", name="credly",
                                           base_url="https://api.credly.example",
                                           secret=CREDLY_TOKEN,
                                           options={"organization_id": "org-1"})
    stored = RegistryConnection.objects.get(pk=connection_id).encrypted_secret
    assert CREDLY_TOKEN not in stored
    assert encryption.decrypt_text(stored) == CREDLY_TOKEN
    page = admin_client.get(f"/admin/openedx_microcred/registryconnection/{connection_id}/change/")
    assert page.status_code == 200
    assert CREDLY_TOKEN not in page.content.decode()
    assert stored not in page.content.decode()


def test_configure_registry_validates():
    with pytest.raises(api.RegistryConfigurationError, match="kind"):
        api.configure_registry(kind="myspace", name="x", base_url="https://x.example")
    with pytest.raises(api.RegistryConfigurationError, match="organization_id"):
        api.configure_registry(kind="credly", name="x", base_url="", secret="t")
    with pytest.raises(api.RegistryConfigurationError, match="unknown programmes"):
        api.configure_registry(kind="webhook", name="x", base_url="https://h.example/x",
                               secret=WEBHOOK_SECRET, programs=["nope"])


def test_admin_test_connection_action(credly, admin_client):
    good = api.configure_registry(kind="credly", name="good", base_url=credly.url,
                                  secret=CREDLY_TOKEN,
                                  options={"organization_id": credly.organization_id})
    bad = api.configure_registry(kind="credly", name="bad", base_url=credly.url,
                                 secret="wrong-token",
                                 options={"organization_id": credly.organization_id})
    response = admin_client.post("/admin/openedx_microcred/registryconnection/", {
        "action": "test_connection", "_selected_action": [good, bad]}, follow=True)
    messages = [str(m) for m in response.context["messages"]]
    assert "good: OK" in messages
    assert any(m.startswith("bad:") and ("AuthFailed" in m or "401" in m) for m in messages)


def test_deliver_command_drains_until_idle(programmes, learner, receiver):
    _webhook(receiver)
    receiver.fail_next(server_error(), server_error())
    _earn(learner)
    out = io.StringIO()
    call_command("microcred_deliver", "--until-idle", "--timeout", "20", stdout=out)
    assert "1 delivered, 0 dead letters, 0 still pending" in out.getvalue()


def test_deliver_command_reports_what_is_left(programmes, learner, receiver):
    _webhook(receiver)
    receiver.fail_next(rate_limited(retry_after="600"))
    _earn(learner)
    with pytest.raises(CommandError, match="still pending"):
        call_command("microcred_deliver", "--until-idle", "--timeout", "1",
                     stdout=io.StringIO())


def test_sweep_enqueues_due_rows(programmes, learner, receiver):
    from openedx_microcred import tasks

    _webhook(receiver)
    receiver.fail_next(server_error())
    _earn(learner)
    assert Delivery.objects.get().status == Delivery.PENDING
    assert tasks.sweep_deliveries() == 1  # eager: the re-enqueued task delivers it
    assert Delivery.objects.get().status == Delivery.DELIVERED
