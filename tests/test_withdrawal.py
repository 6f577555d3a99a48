"""Whatever can be taken away is taken away everywhere it counted: a revoked badge
(BADGE_REVOKED) and an external achievement withdrawn by staff (API, admin) no longer count,
leave an audit trail, and follow the regression policy of a revoked certificate."""
import pytest
from django.urls import reverse

from openedx_microcred import api
from openedx_microcred.models import Credential, ExternalAchievement
from openedx_microcred.testutils import send_badge, send_badge_revoked, send_passing, utc

from .conftest import program_xml

pytestmark = pytest.mark.django_db(transaction=True)

C1 = "course-v1:ExampleX+1+2025"
T = "11111111-2222-4333-8444-555555555555"


@pytest.fixture
def badge_and_course():
    """A programme that needs a badge of template T plus one course."""
    api.import_program(program_xml("badged", (
        f'<external id="vendor-cert" badge-template="{T}" credits="1">Vendor</external>'
        f'<course key="{C1}" credits="2">C1</course>'), org="ExampleX"))


@pytest.fixture
def staff_external():
    api.import_program(program_xml("staffed", (
        '<external id="huawei-hcia-ai" credits="1">HCIA-AI</external>'
        f'<course key="{C1}" credits="2">C1</course>'), org="ExampleX"))


def statuses(user):
    return [c.status for c in api.get_credentials(user_id=user.pk)]


def test_a_revoked_badge_no_longer_counts(learner, badge_and_course):
    send_badge(learner.pk, T, time=utc(2025, 3, 1))
    send_badge_revoked(learner.pk, T, time=utc(2025, 3, 2))
    send_passing(learner.pk, C1, time=utc(2025, 3, 3))
    assert statuses(learner) == []
    row = ExternalAchievement.objects.get(user=learner)
    assert (row.withdrawn_at, row.withdrawn_by, row.withdrawal_reason) == (
        utc(2025, 3, 2), "BADGE_REVOKED event", "the badge was revoked")


def test_a_revocation_arriving_before_its_award_still_withdraws_it(learner, badge_and_course):
    send_badge_revoked(learner.pk, T, time=utc(2025, 3, 2))
    send_badge(learner.pk, T, time=utc(2025, 3, 1))  # the older award, delivered late
    send_passing(learner.pk, C1, time=utc(2025, 3, 3))
    assert statuses(learner) == []


def test_a_badge_awarded_again_after_revocation_counts_from_then(learner, badge_and_course):
    send_badge(learner.pk, T, time=utc(2025, 3, 1))
    send_badge_revoked(learner.pk, T, time=utc(2025, 3, 2))
    send_badge(learner.pk, T, time=utc(2025, 3, 4))
    send_passing(learner.pk, C1, time=utc(2025, 3, 3))
    [credential] = Credential.objects.filter(user=learner)
    [badge] = [item for item in credential.evidence if item["kind"] == "external"]
    assert badge["achieved_at"] == "2025-03-04T00:00:00+00:00"


def test_badge_revoked_after_the_credential_follows_the_regression_policy(
        learner, badge_and_course, settings):
    send_badge(learner.pk, T, time=utc(2025, 3, 1))
    send_passing(learner.pk, C1, time=utc(2025, 3, 3))
    send_badge_revoked(learner.pk, T, time=utc(2025, 3, 5))
    assert statuses(learner) == ["awarded"]  # the default policy keeps it, as for certificates
    assert api.get_progress(user_id=learner.pk)[0].complete is False
    settings.MICROCRED_REVOKE_ON_REGRESSION = True
    send_badge(learner.pk, T, time=utc(2025, 3, 6))
    send_badge_revoked(learner.pk, T, time=utc(2025, 3, 7))
    assert statuses(learner) == ["revoked"]
    revoked = Credential.objects.get(user=learner)
    assert revoked.revoked_by == Credential.BY_RULE
    assert revoked.revoked_at == utc(2025, 3, 7)  # when the requirements broke: the event's time


def test_staff_withdraw_through_the_api_with_an_audit_trail(learner, staff_external, settings):
    settings.MICROCRED_REVOKE_ON_REGRESSION = True
    api.record_external_achievement(user_id=learner.pk, external_id="huawei-hcia-ai",
                                    achieved_at=utc(2025, 3, 1))
    send_passing(learner.pk, C1, time=utc(2025, 3, 3))
    assert statuses(learner) == ["awarded"]
    assert api.withdraw_external_achievement(
        user_id=learner.pk, external_id="huawei-hcia-ai", reason="certificate was forged",
        withdrawn_by="registrar", withdrawn_at=utc(2025, 4, 1)) is True
    assert statuses(learner) == ["revoked"]
    row = ExternalAchievement.objects.get(user=learner)
    assert (row.withdrawn_by, row.withdrawal_reason, row.withdrawn_at) == (
        "registrar", "certificate was forged", utc(2025, 4, 1))
    assert api.withdraw_external_achievement(
        user_id=learner.pk, external_id="huawei-hcia-ai", reason="again",
        withdrawn_by="registrar") is False
    with pytest.raises(ValueError):
        api.withdraw_external_achievement(user_id=learner.pk, external_id="huawei-hcia-ai",
                                          reason=" ", withdrawn_by="registrar")


def test_staff_withdraw_in_the_admin(learner, staff_external, admin_client, admin_user):
    api.record_external_achievement(user_id=learner.pk, external_id="huawei-hcia-ai",
                                    achieved_at=utc(2025, 3, 1))
    row = ExternalAchievement.objects.get(user=learner)
    changelist = reverse("admin:openedx_microcred_externalachievement_changelist")
    form = admin_client.post(changelist, {"action": "withdraw_selected",
                                          "_selected_action": [row.pk]})
    assert form.status_code == 200 and b'name="reason"' in form.content
    row.refresh_from_db()
    assert row.withdrawn_at is None  # nothing happens before a reason is given
    done = admin_client.post(changelist, {"action": "withdraw_selected", "apply": "1",
                                          "_selected_action": [row.pk],
                                          "reason": "entered for the wrong learner"})
    assert done.status_code == 302
    row.refresh_from_db()
    assert (row.withdrawn_by, row.withdrawal_reason) == (
        admin_user.get_username(), "entered for the wrong learner")
    send_passing(learner.pk, C1, time=utc(2025, 3, 3))
    assert statuses(learner) == []


def test_view_only_staff_cannot_withdraw(learner, staff_external, client, make_user):
    from django.contrib.auth.models import Permission
    viewer = make_user("viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_externalachievement"))
    client.force_login(viewer)
    api.record_external_achievement(user_id=learner.pk, external_id="huawei-hcia-ai",
                                    achieved_at=utc(2025, 3, 1))
    row = ExternalAchievement.objects.get(user=learner)
    client.post(reverse("admin:openedx_microcred_externalachievement_changelist"),
                {"action": "withdraw_selected", "apply": "1", "_selected_action": [row.pk],
                 "reason": "x"})
    row.refresh_from_db()
    assert row.withdrawn_at is None
