"""Admin actions need the permission their effect needs: a view-only staff user, through the
real admin (Django test client), can look but cannot revoke, re-send or test a connection."""
import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client

from openedx_microcred import api, delivery
from openedx_microcred.models import Credential, Delivery
from openedx_microcred.testutils import send_passing, utc

from ..conftest import program_xml
from .fakes import CREDLY_TOKEN, WEBHOOK_SECRET, rejected

pytestmark = pytest.mark.django_db(transaction=True)

A = "course-v1:DemoX+A101+2026"
APP = "openedx_microcred"
#: Every action of the plugin's admin, with the permission its effect needs.
ACTIONS = {
    "credential": ("revoke_selected", "change_credential"),
    "delivery": ("redeliver", "change_delivery"),
    "externalachievement": ("withdraw_selected", "change_externalachievement"),
    "registryconnection": ("test_connection", "change_registryconnection"),
}


@pytest.fixture(autouse=True)
def _fast(settings):
    settings.MICROCRED_DELIVERY_TIMEOUT = (1.0, 0.5)
    settings.MICROCRED_DELIVERY_BACKOFF_BASE = 0.0
    delivery._CLIENTS.clear()
    yield
    delivery._CLIENTS.clear()


def staff_client(username: str, *codenames: str) -> Client:
    """A logged-in staff user holding exactly ``codenames`` of the plugin's permissions."""
    user = get_user_model().objects.create_user(username=username, password="pw-123456",
                                                is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label=APP,
                                                        codename__in=codenames))
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def viewer():
    """Staff who may view every model of the plugin, and nothing else."""
    codenames = Permission.objects.filter(content_type__app_label=APP,
                                          codename__startswith="view_")
    return staff_client("viewer", *codenames.values_list("codename", flat=True))


@pytest.fixture
def dead_letter(learner, receiver):
    """An issued credential whose webhook delivery the receiver refused (a dead letter)."""
    api.import_program(program_xml("one", f'<course key="{A}" credits="2">A</course>'))
    api.configure_registry(kind="webhook", name="hook", base_url=receiver.url,
                           secret=WEBHOOK_SECRET)
    receiver.fail_next(rejected(422))
    send_passing(learner.pk, A, time=utc(2026, 3, 1))
    row = Delivery.objects.get()
    assert row.status == Delivery.DEAD
    return row


def post_action(client: Client, model: str, action: str, ids, **extra) -> list[str]:
    response = client.post(f"/admin/{APP}/{model}/", {"action": action,
                                                     "_selected_action": list(ids), **extra},
                           follow=True)
    assert response.status_code == 200
    return [str(message) for message in response.context["messages"]]


def offered_actions(client: Client, model: str) -> set[str]:
    response = client.get(f"/admin/{APP}/{model}/")
    assert response.status_code == 200  # a viewer sees the list
    form = response.context["action_form"]  # None when no action is offered at all
    return {name for name, _label in form.fields["action"].choices if name} if form else set()


def test_every_admin_action_is_audited():
    """A new action must be added to ACTIONS (and so be given a permission)."""
    found = {model._meta.model_name: sorted(name for name in (model_admin.actions or []))
             for model, model_admin in admin.site._registry.items()
             if model._meta.app_label == APP and model_admin.actions}
    assert found == {model: [action] for model, (action, _perm) in ACTIONS.items()}


@pytest.mark.parametrize("model", [
    "program", "programversion", "coursecompletion", "externalachievement", "programprogress",
    "credential", "issuerkey", "statuslist", "rejectedevent", "backfillcheckpoint",
    "registryconnection", "delivery"])
def test_a_viewer_is_offered_no_action(viewer, model):
    assert offered_actions(viewer, model) == set()


def test_a_viewer_cannot_redeliver(viewer, dead_letter, receiver):
    before = len(receiver.requests)
    messages = post_action(viewer, "delivery", "redeliver", [dead_letter.pk])
    dead_letter.refresh_from_db()
    assert dead_letter.status == Delivery.DEAD and dead_letter.attempts == 1
    assert len(receiver.requests) == before  # nothing re-sent
    assert not any("queued again" in message for message in messages)


def test_a_viewer_cannot_revoke(viewer, dead_letter):
    post_action(viewer, "credential", "revoke_selected", [dead_letter.credential_id])
    assert Credential.objects.get().status == Credential.AWARDED


def test_a_viewer_cannot_withdraw_an_external_achievement(viewer, make_user):
    from django.utils import timezone

    from openedx_microcred.models import ExternalAchievement

    learner = make_user("bob")
    api.record_external_achievement(user_id=learner.pk, external_id="huawei-hcia-ai",
                                    achieved_at=timezone.now())
    row = ExternalAchievement.objects.get()
    # the confirmed form, as the action's own page posts it
    post_action(viewer, "externalachievement", "withdraw_selected", [row.pk], apply="1",
                reason="issued in error")
    row.refresh_from_db()
    assert row.withdrawn_at is None and row.withdrawn_by == ""


def test_a_viewer_cannot_test_a_connection(viewer, credly):
    connection = api.configure_registry(kind="credly", name="good", base_url=credly.url,
                                        secret=CREDLY_TOKEN,
                                        options={"organization_id": credly.organization_id})
    messages = post_action(viewer, "registryconnection", "test_connection", [connection])
    assert credly.requests == []  # no signed request left the server
    assert "good: OK" not in messages


def test_a_viewer_cannot_delete_what_the_plugin_wrote(viewer, dead_letter):
    for model, pk in (("credential", dead_letter.credential_id), ("delivery", dead_letter.pk)):
        assert viewer.post(f"/admin/{APP}/{model}/{pk}/delete/", {"post": "yes"}).status_code \
            == 403
    assert Credential.objects.exists() and Delivery.objects.exists()


def test_nobody_deletes_a_credential_or_delivery_by_hand(admin_client, dead_letter):
    assert "delete_selected" not in offered_actions(admin_client, "credential")
    assert admin_client.post(f"/admin/{APP}/credential/{dead_letter.credential_id}/delete/",
                             {"post": "yes"}).status_code == 403
    assert Credential.objects.exists()


def test_staff_with_the_change_permission_redeliver(dead_letter, receiver):
    operator = staff_client("operator", "view_delivery", "change_delivery")
    assert offered_actions(operator, "delivery") == {"redeliver"}
    messages = post_action(operator, "delivery", "redeliver", [dead_letter.pk])
    assert "1 delivery queued again." in messages
    dead_letter.refresh_from_db()
    assert dead_letter.status == Delivery.DELIVERED


def test_staff_with_the_change_permission_revoke(dead_letter):
    operator = staff_client("operator", "view_credential", "change_credential")
    assert offered_actions(operator, "credential") == {"revoke_selected"}
    post_action(operator, "credential", "revoke_selected", [dead_letter.credential_id])
    assert Credential.objects.get().status == Credential.REVOKED


def test_staff_with_the_change_permission_test_a_connection(credly):
    connection = api.configure_registry(kind="credly", name="good", base_url=credly.url,
                                        secret=CREDLY_TOKEN,
                                        options={"organization_id": credly.organization_id})
    operator = staff_client("operator", "view_registryconnection", "change_registryconnection")
    assert "good: OK" in post_action(operator, "registryconnection", "test_connection",
                                     [connection])


def test_an_external_achievement_entered_by_staff_needs_a_plausible_date(admin_client, learner):
    from openedx_microcred.models import ExternalAchievement

    form = {"user": learner.pk, "external_id": "hcia", "achieved_at_0": "9999-12-31",
            "achieved_at_1": "00:00:00", "evidence_url": "", "source": "staff"}
    response = admin_client.post(f"/admin/{APP}/externalachievement/add/", form)
    assert response.status_code == 200  # the form again, with the error
    assert "(MICROCRED_EVENT_MAX_FUTURE_SKEW)" in response.content.decode()
    assert not ExternalAchievement.objects.exists()
    form.update(achieved_at_0="2026-03-01")
    assert admin_client.post(f"/admin/{APP}/externalachievement/add/", form).status_code == 302
    assert ExternalAchievement.objects.get().external_id == "hcia"
