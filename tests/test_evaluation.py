"""From events to progress and credentials: receivers → on_commit → task → rules → issuance."""
from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction

from openedx_microcred import api
from openedx_microcred.evaluation import evaluate_learner
from openedx_microcred.models import Credential, ProgramProgress
from openedx_microcred.testutils import (
    send_badge,
    send_certificate,
    send_grade,
    send_passing,
    utc,
)

from .conftest import program_xml

pytestmark = pytest.mark.django_db(transaction=True)

A = "course-v1:DemoX+A101+2026"
B = "course-v1:DemoX+B102+2026"
C = "course-v1:DemoX+C103+2026"
TEMPLATE = "11111111-2222-4333-8444-555555555555"


@pytest.fixture
def two_of_three():
    """A required course and a choose-one elective group."""
    api.import_program(program_xml("core", (
        f'<course key="{A}" credits="2">A</course>'
        f'<group title="Elective" min-count="1">'
        f'<course key="{B}" credits="1">B</course><course key="{C}" credits="1.5">C</course>'
        f"</group>")))
    return "core"


def credentials(user, program_id=None):
    rows = Credential.objects.filter(user=user)
    if program_id:
        rows = rows.filter(program__program_id=program_id)
    return list(rows)


def test_completing_the_requirements_issues_one_credential(learner, two_of_three):
    send_passing(learner.pk, A, time=utc(2026, 3, 1))
    assert credentials(learner) == []
    progress = api.get_progress(user_id=learner.pk)[0]
    assert (progress.complete, progress.credits_earned) == (False, 2)
    send_passing(learner.pk, C, time=utc(2026, 3, 2))
    [credential] = api.get_credentials(user_id=learner.pk)
    assert credential.program_id == "core"
    assert credential.status == "awarded"
    # A (2) + C (1.5) is 3.5, but the programme's credits (the least total, 2 + 1) cap it.
    assert credential.credits_earned == 3
    row = Credential.objects.get(uuid=credential.uuid)
    assert sorted(c.course_key for c in row.completions.all()) == [A, C]
    assert {item["key"] for item in row.evidence} == {A, C}
    assert row.version.number == 1


def test_replaying_everything_issues_nothing_more(learner, two_of_three):
    for _ in range(3):
        send_passing(learner.pk, A, time=utc(2026, 3, 1))
        send_passing(learner.pk, B, time=utc(2026, 3, 2))
        evaluate_learner(learner.pk)
    assert len(credentials(learner)) == 1


def test_out_of_order_failing_event_does_not_undo_a_pass(learner, two_of_three):
    send_passing(learner.pk, A, time=utc(2026, 3, 5))
    send_passing(learner.pk, B, time=utc(2026, 3, 5))
    send_passing(learner.pk, A, passing=False, time=utc(2026, 3, 1))  # stale
    assert api.get_progress(user_id=learner.pk)[0].complete is True
    assert len(credentials(learner)) == 1


def test_any_run_counts_unless_this_run_is_required(learner):
    api.import_program(program_xml("runs", (
        f'<course key="{A}" credits="1">A</course>'
        f'<course key="{B}" credits="1" runs="this">B</course>')))
    send_passing(learner.pk, "course-v1:DemoX+A101+2024", time=utc(2026, 3, 1))
    send_passing(learner.pk, "course-v1:DemoX+B102+2024", time=utc(2026, 3, 1))
    assert credentials(learner) == []
    assert api.get_progress(user_id=learner.pk)[0].credits_earned == 1
    send_passing(learner.pk, B, time=utc(2026, 3, 2))
    assert len(credentials(learner)) == 1


def test_min_grade_waits_for_the_grade(learner):
    api.import_program(program_xml("graded", f'<course key="{A}" min-grade="0.8">A</course>'))
    send_passing(learner.pk, A, time=utc(2026, 3, 1))
    send_grade(learner.pk, A, 0.75, time=utc(2026, 3, 1))
    assert credentials(learner) == []
    send_grade(learner.pk, A, 0.85, time=utc(2026, 3, 2))
    assert len(credentials(learner)) == 1


def test_certificate_completion_with_mode(learner):
    api.import_program(program_xml(
        "certs", f'<course key="{A}" mode="verified">A</course><course key="{B}">B</course>',
        completion="certificate"))
    send_passing(learner.pk, A, time=utc(2026, 3, 1))
    send_passing(learner.pk, B, time=utc(2026, 3, 1))
    assert credentials(learner) == []  # passing is not enough
    send_certificate(learner.pk, A, mode="honor", time=utc(2026, 3, 2))
    send_certificate(learner.pk, B, mode="honor", time=utc(2026, 3, 2))
    assert credentials(learner) == []  # A needs a verified certificate
    send_certificate(learner.pk, A, mode="verified", event="changed", time=utc(2026, 3, 3))
    assert len(credentials(learner)) == 1


def test_completion_window(learner):
    api.import_program(program_xml(
        "window", f'<course key="{A}">A</course>',
        window='<completion-window from="2026-01-01" until="2026-06-30"/>'))
    send_passing(learner.pk, A, time=utc(2026, 7, 1))
    assert credentials(learner) == []
    other = "course-v1:DemoX+A101+2025"
    send_passing(learner.pk, other, time=utc(2026, 6, 30, 23, 59))
    assert len(credentials(learner)) == 1


def test_stacking_issues_the_parent_when_the_child_is_earned(learner, two_of_three):
    api.import_program(program_xml(
        "parent",
        '<program ref="core" credits="3.5"/><course key="course-v1:DemoX+P1+2026">P</course>'))
    send_passing(learner.pk, "course-v1:DemoX+P1+2026", time=utc(2026, 3, 1))
    assert credentials(learner) == []
    send_passing(learner.pk, A, time=utc(2026, 3, 2))
    send_passing(learner.pk, B, time=utc(2026, 3, 3))
    assert {c.program.program_id for c in credentials(learner)} == {"core", "parent"}
    parent = credentials(learner, "parent")[0]
    assert parent.credits_earned == pytest.approx(3.5)  # the ref's 3.5; course P has no credits


def test_external_achievement_from_badge_and_from_staff(learner):
    api.import_program(program_xml("ext", (
        f'<external id="industry-cert" credits="2" badge-template="{TEMPLATE}">Industry</external>'
        f'<external id="staff-only" credits="1">Portfolio</external>')))
    send_badge(learner.pk, TEMPLATE.upper(), time=utc(2026, 3, 1))
    assert credentials(learner) == []
    api.record_external_achievement(user_id=learner.pk, external_id="staff-only",
                                    achieved_at=utc(2026, 3, 2),
                                    evidence_url="https://evidence.example/1")
    [credential] = credentials(learner)
    assert credential.credits_earned == 3


def test_record_external_achievement_validates(learner):
    with pytest.raises(api.UnknownLearner):
        api.record_external_achievement(user_id=99999, external_id="x", achieved_at=utc(2026, 1, 1))
    with pytest.raises(ValueError):
        api.record_external_achievement(user_id=learner.pk, external_id=" ",
                                        achieved_at=utc(2026, 1, 1))


def test_regression_keeps_the_credential_by_default(learner, two_of_three):
    send_passing(learner.pk, A, time=utc(2026, 3, 1))
    send_passing(learner.pk, B, time=utc(2026, 3, 1))
    send_passing(learner.pk, B, passing=False, time=utc(2026, 3, 9))
    assert api.get_progress(user_id=learner.pk)[0].complete is False
    assert [c.status for c in api.get_credentials(user_id=learner.pk)] == ["awarded"]


def test_regression_revokes_when_configured(learner, two_of_three, settings):
    settings.MICROCRED_REVOKE_ON_REGRESSION = True
    send_passing(learner.pk, A, time=utc(2026, 3, 1))
    send_passing(learner.pk, B, time=utc(2026, 3, 1))
    send_passing(learner.pk, B, passing=False, time=utc(2026, 3, 9))
    assert [c.status for c in api.get_credentials(user_id=learner.pk)] == ["revoked"]
    send_passing(learner.pk, C, time=utc(2026, 3, 10))  # earned again: a new credential
    assert [c.status for c in api.get_credentials(user_id=learner.pk)] == ["awarded", "revoked"]


def test_at_most_one_active_credential_is_a_database_constraint(learner, two_of_three):
    send_passing(learner.pk, A, time=utc(2026, 3, 1))
    send_passing(learner.pk, B, time=utc(2026, 3, 1))
    existing = credentials(learner)[0]
    with pytest.raises(IntegrityError), transaction.atomic():
        Credential.objects.create(user=learner, program=existing.program, version=existing.version,
                                  credits_earned=1)


def test_validity_sets_expiry_and_reports_expired(learner):
    api.import_program(program_xml("expiring", f'<course key="{A}">A</course>', valid_months="1"))
    send_passing(learner.pk, A, time=utc(2026, 3, 1))
    credential = credentials(learner)[0]
    assert credential.expires_at is not None
    assert credential.expires_at - credential.issued_at >= timedelta(days=28)
    Credential.objects.filter(pk=credential.pk).update(issued_at=utc(2020, 1, 1),
                                                       expires_at=utc(2020, 2, 1))
    assert api.get_credentials(user_id=learner.pk)[0].status == "expired"


def test_new_version_applies_to_later_evaluations_only(learner, two_of_three):
    send_passing(learner.pk, A, time=utc(2026, 3, 1))
    send_passing(learner.pk, B, time=utc(2026, 3, 1))
    first = credentials(learner)[0]
    api.import_program(program_xml("core", f'<course key="{A}" credits="2">A</course>'))
    first.refresh_from_db()
    assert first.version.number == 1  # the credential keeps the version it was earned against
    assert api.get_progress(user_id=learner.pk)[0].version == 1
    evaluate_learner(learner.pk)
    assert api.get_progress(user_id=learner.pk)[0].version == 2
    assert ProgramProgress.objects.get(user=learner).credits_earned == 2


def test_a_credential_revoked_by_staff_is_not_issued_again(learner, two_of_three):
    send_passing(learner.pk, A, time=utc(2026, 3, 1))
    send_passing(learner.pk, B, time=utc(2026, 3, 1))
    [credential] = credentials(learner)
    api.revoke_credential(credential.uuid, reason="academic misconduct")
    send_passing(learner.pk, C, time=utc(2026, 3, 5))  # a later event for the programme
    evaluate_learner(learner.pk)  # and a backfill
    assert [c.status for c in api.get_credentials(user_id=learner.pk)] == ["revoked"]
    assert api.get_progress(user_id=learner.pk)[0].complete is True
