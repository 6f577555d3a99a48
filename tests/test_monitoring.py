"""Operating it: ``microcred_status`` and the admin operations overview."""
import io
import json
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.utils import timezone

from openedx_microcred import api, delivery, tasks
from openedx_microcred.models import (
    Credential,
    Delivery,
    Heartbeat,
    IssuerKey,
    RegistryConnection,
    RejectedEvent,
)
from openedx_microcred.testutils import send_passing, utc

from .conftest import program_xml
from .registries.fakes import WEBHOOK_SECRET, FakeWebhookReceiver, rejected

pytestmark = pytest.mark.django_db(transaction=True)

A = "course-v1:DemoX+A101+2026"
OVERVIEW = "/admin/openedx_microcred/delivery/overview/"
APP_INDEX = "/admin/openedx_microcred/"
OVERVIEW_PERMS = ["view_delivery", "view_rejectedevent", "view_issuerkey", "view_statuslist"]


@pytest.fixture(autouse=True)
def _fresh_clients():
    delivery._CLIENTS.clear()
    yield
    delivery._CLIENTS.clear()


@pytest.fixture
def issued(learner):
    api.import_program(program_xml("one", f'<course key="{A}" credits="2">A</course>'))
    send_passing(learner.pk, A, time=utc(2026, 3, 1))
    return learner


def _status(*args) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("microcred_status", *args, stdout=out)
    except SystemExit as exited:
        return exited.code, out.getvalue()
    return 0, out.getvalue()


def test_healthy_after_a_sweep(issued):
    tasks.sweep_deliveries()
    code, text = _status()
    assert code == 0, text
    assert "Nothing needs attention." in text
    assert "Deliveries: 0 pending (0 overdue), 0 sending, 0 dead letters" in text
    key = IssuerKey.objects.get()
    assert f"DemoX  {key.public_key[:20]}…  active, 0 days old" in text


def test_a_sweep_that_never_ran_or_stopped_needs_attention(issued, settings):
    code, text = _status()
    assert code == 1 and "The delivery sweep has never run" in text
    call_command("microcred_deliver", stdout=io.StringIO())  # a sweep too
    assert _status()[0] == 0
    settings.MICROCRED_DELIVERY_SWEEP_SECONDS = 60
    Heartbeat.objects.update(last_run_at=timezone.now() - timedelta(minutes=6))
    code, text = _status()
    assert code == 1 and "The delivery sweep last ran at" in text


def test_json_reports_dead_letters_rejected_events_and_key_age(issued, make_user, settings):
    settings.MICROCRED_DELIVERY_BACKOFF_BASE = 0.0
    with FakeWebhookReceiver().running() as receiver:
        api.configure_registry(kind="webhook", name="hook", base_url=receiver.url,
                               secret=WEBHOOK_SECRET)
        receiver.fail_next(rejected(422))
        send_passing(make_user("bob").pk, A, time=utc(2026, 3, 2))
    assert Delivery.objects.get().status == Delivery.DEAD
    RejectedEvent.objects.create(event_type="org.openedx.learning.badge.awarded.v1",
                                 reason="no user id")
    IssuerKey.objects.update(created=timezone.now() - timedelta(days=400))
    tasks.sweep_deliveries()
    code, text = _status("--json")
    data = json.loads(text)
    assert code == 1
    assert (data["deliveries_dead"], data["deliveries_pending"]) == (1, 0)
    assert (data["rejected_events"], data["rejected_events_recent"]) == (1, 1)
    assert data["last_sweep_at"] is not None
    [key] = data["keys"]
    assert (key["org"], key["active"], key["age_days"], key["readable"]) == ("DemoX", True, 400,
                                                                            True)
    assert data["encryption_key_source"] == "SECRET_KEY"
    assert any("1 registry delivery is a dead letter" in note for note in data["attention"])
    assert any("1 event was rejected in the last 24 hours" in note
               for note in data["attention"])
    assert "encrypted_private_key" not in text and WEBHOOK_SECRET not in text


def test_overdue_pending_deliveries_need_attention(issued, settings):
    with FakeWebhookReceiver().running() as receiver:
        api.configure_registry(kind="webhook", name="hook", base_url=receiver.url,
                               secret=WEBHOOK_SECRET)
        credential = api.get_credentials(user_id=issued.pk)[0]
        Delivery.objects.create(credential=Credential.objects.get(uuid=credential.uuid),
                                connection=RegistryConnection.objects.get(),
                                action=Delivery.ISSUE,
                                next_attempt_at=timezone.now() - timedelta(hours=1))
    tasks.finish_sweep("test")  # the sweep ran, yet the row waits: its task was lost
    code, text = _status()
    assert code == 1 and "1 pending delivery is overdue" in text


# --- The admin overview: staff with the view permissions only ---------------------------------

def _staff(make_user, name, perms=(), **flags):
    user = make_user(name, is_staff=True, **flags)
    user.user_permissions.add(*Permission.objects.filter(
        content_type__app_label="openedx_microcred", codename__in=list(perms)))
    return get_user_model().objects.get(pk=user.pk)  # fresh permission cache


def test_overview_for_staff_with_the_view_permissions(client, make_user, issued):
    client.force_login(_staff(make_user, "ops", OVERVIEW_PERMS))
    response = client.get(OVERVIEW)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Operations overview" in page and "Issuer signing keys" in page
    assert IssuerKey.objects.get().public_key[:20] in page
    assert "The delivery sweep has never run" in page
    index = client.get(APP_INDEX).content.decode()
    assert f'href="{OVERVIEW}"' in index


def test_overview_refuses_everyone_else(client, make_user, issued):
    assert client.get(OVERVIEW).status_code == 302  # anonymous: to the admin login
    assert "/admin/login/" in client.get(OVERVIEW)["Location"]

    client.force_login(make_user("learner-not-staff"))
    assert client.get(OVERVIEW).status_code == 302

    partial = _staff(make_user, "partial", ["view_delivery", "view_rejectedevent"])
    client.force_login(partial)
    assert client.get(OVERVIEW).status_code == 403
    index = client.get(APP_INDEX)
    assert index.status_code == 200 and f'href="{OVERVIEW}"' not in index.content.decode()

    client.force_login(_staff(make_user, "none"))
    assert client.get(OVERVIEW).status_code == 403
