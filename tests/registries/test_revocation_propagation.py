"""Revocation propagates through stacking at once: the stacked credential is revoked in the same
operation, its status bit set and every registry that received it told (ADR 0001 §7)."""
import pytest
from django.urls import reverse

from openedx_microcred import api, delivery, outbox, statuslists
from openedx_microcred.models import Credential, Delivery, Program, RegistryConnection
from openedx_microcred.testutils import send_passing, utc

from ..conftest import program_xml
from .fakes import WEBHOOK_SECRET

pytestmark = pytest.mark.django_db(transaction=True)

P1 = "course-v1:ExampleX+1+2025"
S1 = "course-v1:ExampleX+2+2025"


@pytest.fixture
def stacked(settings, receiver):
    """Programme S stacks programme P plus one course; a webhook registry receives both."""
    settings.MICROCRED_REVOKE_ON_REGRESSION = True
    api.import_program(program_xml("p", f'<course key="{P1}" credits="2">P course</course>',
                                   org="ExampleX"))
    api.import_program(program_xml("s", (f'<program ref="p" credits="2"/>'
                                         f'<course key="{S1}" credits="1">S course</course>'),
                                   org="ExampleX"))
    api.configure_registry(kind="webhook", name="hook", base_url=receiver.url,
                           secret=WEBHOOK_SECRET)


def _earn_both(learner):
    send_passing(learner.pk, P1, time=utc(2025, 3, 1))
    send_passing(learner.pk, S1, time=utc(2025, 3, 2))
    return (Credential.objects.get(user=learner, program__program_id="p"),
            Credential.objects.get(user=learner, program__program_id="s"))


def _revoked_everywhere(credential, receiver) -> None:
    credential.refresh_from_db()
    assert credential.status == Credential.REVOKED
    assert credential.revoked_by == Credential.BY_RULE
    assert statuslists.is_set(credential.status_list, credential.status_index)
    assert Delivery.objects.get(credential=credential, action=Delivery.REVOKE).status == \
        Delivery.DELIVERED
    assert str(credential.uuid) in [event["credential_uuid"] for event in receiver.events
                                    if event["event"] == "credential.revoked"]


def test_revoking_the_stacked_programme_revokes_the_stack_at_once(learner, stacked, receiver):
    p, s = _earn_both(learner)
    assert api.revoke_credential(p.uuid, reason="issued in error") is True
    _revoked_everywhere(s, receiver)  # no later event needed
    assert api.get_verification(s.uuid).verdict == "revoked"


def test_the_admin_action_propagates_too(learner, stacked, receiver, admin_client):
    p, s = _earn_both(learner)
    response = admin_client.post(
        reverse("admin:openedx_microcred_credential_changelist"),
        {"action": "revoke_selected", "_selected_action": [p.pk]})
    assert response.status_code == 302
    _revoked_everywhere(s, receiver)


def test_without_the_regression_policy_the_stack_stays(learner, stacked, receiver, settings):
    settings.MICROCRED_REVOKE_ON_REGRESSION = False
    p, s = _earn_both(learner)
    api.revoke_credential(p.uuid, reason="issued in error")
    s.refresh_from_db()
    assert s.status == Credential.AWARDED
    assert api.get_progress(user_id=learner.pk)[1].complete is False


# ------------------------------------------------------------------------------------------------
# No credential whose own verification fails is ever delivered
# ------------------------------------------------------------------------------------------------

def test_a_credential_that_fails_its_own_verification_is_held(learner, receiver, settings):
    """The programme row names another org than the key that signs (a programme whose org
    changed): the credential shows "invalid", so it must not reach any registry."""
    api.import_program(program_xml("moved", f'<course key="{P1}">P course</course>',
                                   org="ExampleX"))
    api.configure_registry(kind="webhook", name="hook", base_url=receiver.url,
                           secret=WEBHOOK_SECRET)
    Program.objects.filter(program_id="moved").update(org="OtherX")
    send_passing(learner.pk, P1, time=utc(2025, 3, 1))
    credential = Credential.objects.get(user=learner)
    assert api.get_verification(credential.uuid).verdict == "invalid"
    row = Delivery.objects.get(credential=credential, action=Delivery.ISSUE)
    assert row.status == Delivery.DEAD
    assert row.last_error.startswith("held: the credential fails its own verification")
    assert "does not belong to the issuer" in row.last_error
    assert receiver.events == []
    # Redelivering checks again: still held.
    delivery.redeliver([row.pk])
    assert delivery.deliver(row.pk) == delivery.DEAD
    assert receiver.events == []


def test_a_tampered_document_is_held(learner, receiver):
    api.import_program(program_xml("p", f'<course key="{P1}">P course</course>', org="ExampleX"))
    connection_id = api.configure_registry(kind="webhook", name="hook", base_url=receiver.url,
                                           secret=WEBHOOK_SECRET)
    RegistryConnection.objects.filter(pk=connection_id).update(active=False)
    send_passing(learner.pk, P1, time=utc(2025, 3, 1))
    credential = Credential.objects.get(user=learner)
    document = dict(credential.document, name="Something else")
    Credential.objects.filter(pk=credential.pk).update(document=document)
    RegistryConnection.objects.filter(pk=connection_id).update(active=True)
    outbox.write(credential, Delivery.ISSUE)
    assert delivery.deliver() == delivery.DEAD
    assert receiver.events == []
