"""Event payloads are validated, not coerced; implausible event times are refused; a learner's
state is repaired from the events that remain. Driven by the real openedx-events signals."""
import io
import logging
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from opaque_keys.edx.keys import CourseKey
from openedx_events.learning.data import (
    BadgeData,
    BadgeTemplateData,
    CertificateData,
    CourseData,
    PersistentCourseGradeData,
)
from openedx_events.learning.signals import (
    BADGE_AWARDED,
    CERTIFICATE_CREATED,
    PERSISTENT_GRADE_SUMMARY_CHANGED,
)

from openedx_microcred import api, eventtime, receivers
from openedx_microcred.models import (
    CourseCompletion,
    Credential,
    ExternalAchievement,
    RejectedEvent,
)
from openedx_microcred.testutils import (
    send_badge,
    send_ccx_passing,
    send_certificate,
    send_grade,
    send_passing,
    user_data,
    utc,
)

from .conftest import program_xml

pytestmark = pytest.mark.django_db(transaction=True)

KEY = "course-v1:ExampleX+1+2025"
TEMPLATE = "5a0c6d3e-6f2b-4b46-9c1e-2d1b8f3f7e11"
MEGABYTE = "x" * (1024 * 1024)


def course() -> CourseData:
    return CourseData(course_key=CourseKey.from_string(KEY), display_name=KEY)


def send_raw_grade(user_id: int, percent) -> None:
    PERSISTENT_GRADE_SUMMARY_CHANGED.send_event_with_custom_metadata(
        PERSISTENT_GRADE_SUMMARY_CHANGED.generate_signal_metadata(time=utc(2026, 3, 1)),
        grade=PersistentCourseGradeData(
            user_id=user_id, course=course(), course_edited_timestamp=utc(2026, 3, 1),
            course_version="1", grading_policy_hash="h", percent_grade=percent,
            letter_grade="Pass", passed_timestamp=utc(2026, 3, 1)))


def send_raw_certificate(user_id: int, status, mode) -> None:
    CERTIFICATE_CREATED.send_event_with_custom_metadata(
        CERTIFICATE_CREATED.generate_signal_metadata(time=utc(2026, 3, 1)),
        certificate=CertificateData(user=user_data(user_id), course=course(), mode=mode,
                                    grade="0.9", current_status=status, download_url="",
                                    name="A"))


def send_raw_badge(user_id: int, template_uuid) -> None:
    BADGE_AWARDED.send_event_with_custom_metadata(
        BADGE_AWARDED.generate_signal_metadata(time=utc(2026, 3, 1)),
        badge=BadgeData(uuid="b-1", user=user_data(user_id), template=BadgeTemplateData(
            uuid=template_uuid, origin="openedx", name="T", description="", image_url="")))


def only_rejection() -> str:
    [rejected] = RejectedEvent.objects.all()
    return rejected.reason


# Item: payloads are validated, not coerced ----------------------------------------------------


@pytest.mark.parametrize(("percent", "problem"), [
    ("0.5", "percent_grade must be a number, got str '0.5'"),
    (True, "percent_grade must be a number, got bool True"),
    (None, "percent_grade must be a number, got NoneType None"),
    (float("nan"), "percent_grade nan outside 0..1"),
    (-0.01, "percent_grade -0.01 outside 0..1"),
])
def test_a_percent_grade_that_is_not_a_number_in_range_is_rejected(learner, percent, problem):
    send_raw_grade(learner.pk, percent)
    assert not CourseCompletion.objects.exists()
    assert problem in only_rejection()


@pytest.mark.parametrize("grade", [0, 1, 0.5])
def test_numbers_in_range_are_recorded(learner, grade):
    send_raw_grade(learner.pk, grade)
    assert CourseCompletion.objects.get().grade == grade


@pytest.mark.parametrize(("status", "mode", "problem"), [
    (MEGABYTE, "verified", "current_status of 1048576 characters, more than 32"),
    ("downloadable", MEGABYTE, "mode of 1048576 characters, more than 64"),
    (7, "verified", "current_status must be a string, got int"),
    ("downloadable", ["verified"], "mode must be a string, got list"),
    ("", "verified", "current_status missing"),
    ("download\x00able", "verified", "has control characters"),
])
def test_a_certificate_status_or_mode_is_refused_not_truncated(learner, status, mode, problem):
    send_raw_certificate(learner.pk, status, mode)
    assert not CourseCompletion.objects.exists()
    reason = only_rejection()
    assert problem in reason
    assert len(reason) <= receivers.REASON_LIMIT


def test_a_certificate_without_mode_is_recorded(learner):
    send_raw_certificate(learner.pk, " Downloadable ", None)
    row = CourseCompletion.objects.get()
    assert (row.certificate_status, row.certificate_mode) == ("downloadable", "")


@pytest.mark.parametrize(("template", "problem"), [
    (MEGABYTE, "badge template uuid of 1048576 characters is not a uuid"),
    ("not-a-uuid", "badge template uuid 'not-a-uuid' is not a uuid"),
    ("", "badge template uuid missing"),
    (12, "badge template uuid missing"),
])
def test_a_badge_template_that_is_not_a_uuid_is_rejected(learner, template, problem):
    send_raw_badge(learner.pk, template)
    assert not ExternalAchievement.objects.exists()
    assert problem in only_rejection()


def test_a_badge_template_uuid_is_stored_in_canonical_form(learner):
    send_raw_badge(learner.pk, " {" + TEMPLATE.upper() + "} ")
    assert ExternalAchievement.objects.get().external_id == f"badge:{TEMPLATE}"


UNKNOWN = 987_654


@pytest.mark.parametrize("send", [
    lambda: send_passing(UNKNOWN, KEY, time=utc(2026, 3, 1)),
    lambda: send_ccx_passing(UNKNOWN, KEY, "3", time=utc(2026, 3, 1)),
    lambda: send_grade(UNKNOWN, KEY, 0.9, time=utc(2026, 3, 1)),
    lambda: send_certificate(UNKNOWN, KEY, time=utc(2026, 3, 1)),
    lambda: send_badge(UNKNOWN, TEMPLATE, time=utc(2026, 3, 1)),
], ids=["passing", "ccx", "grade", "certificate", "badge"])
def test_an_unknown_user_leaves_no_row_and_no_error(send, caplog,
                                                    django_capture_on_commit_callbacks):
    api.import_program(program_xml("p", (
        f'<course key="{KEY}">A</course>'
        f'<external id="b" badge-template="{TEMPLATE}">B</external>')))
    with caplog.at_level(logging.WARNING), django_capture_on_commit_callbacks() as callbacks:
        send()
    assert not CourseCompletion.objects.exists() and not ExternalAchievement.objects.exists()
    assert callbacks == []  # nothing to evaluate
    assert only_rejection() == f"UnknownLearner: no user has id {UNKNOWN}"
    assert [r.levelname for r in caplog.records if r.name == "openedx_microcred.receivers"] == [
        "WARNING"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_duplicate_event_of_a_known_user_is_still_a_no_op(learner):
    send_passing(learner.pk, KEY, time=utc(2026, 3, 1))
    send_passing(learner.pk, KEY, time=utc(2026, 3, 1))
    send_passing(learner.pk, KEY, passing=False, time=utc(2026, 2, 1))  # older: ignored
    assert CourseCompletion.objects.get().passing is True
    assert not RejectedEvent.objects.exists()


def test_a_rejection_never_echoes_the_payload(learner, caplog):
    huge_key = "course-v1:ExampleX+" + "9" * 200_000 + "+2025"
    from openedx_events.learning.data import CoursePassingStatusData
    from openedx_events.learning.signals import COURSE_PASSING_STATUS_UPDATED

    with caplog.at_level(logging.WARNING):
        for payload in (CoursePassingStatusData(is_passing=True, user=user_data(learner.pk),
                                                course=CourseData(course_key=huge_key)),
                        CoursePassingStatusData(is_passing=MEGABYTE, user=user_data(learner.pk),
                                                course=course())):
            COURSE_PASSING_STATUS_UPDATED.send_event(course_passing_status=payload)
    lines = [record.getMessage() for record in caplog.records]
    assert len(lines) == 2 and all(len(line) < 700 for line in lines)
    reasons = list(RejectedEvent.objects.values_list("reason", flat=True))
    assert reasons[0].endswith("course key of 200024 characters, more than 255")
    assert "is_passing must be a boolean, got 'xxxx" in reasons[1]
    assert all(len(reason) <= receivers.REASON_LIMIT for reason in reasons)


def test_the_api_validates_external_achievements(learner):
    record = api.record_external_achievement
    with pytest.raises(api.UnknownLearner):
        record(user_id=UNKNOWN, external_id="x", achieved_at=utc(2026, 1, 1))
    with pytest.raises(ValueError, match="evidence_url"):
        record(user_id=learner.pk, external_id="x", achieved_at=utc(2026, 1, 1),
               evidence_url="javascript:alert(1)")
    with pytest.raises(ValueError, match="evidence_url"):
        record(user_id=learner.pk, external_id="x", achieved_at=utc(2026, 1, 1),
               evidence_url="https://e.example/" + "a" * 1000)
    with pytest.raises(ValueError, match="external_id"):
        record(user_id=learner.pk, external_id=["x"], achieved_at=utc(2026, 1, 1))
    with pytest.raises(eventtime.ImplausibleTime, match="in the future"):
        record(user_id=learner.pk, external_id="x", achieved_at=utc(9999, 12, 31))
    with pytest.raises(eventtime.ImplausibleTime, match="before 2012-01-01"):
        record(user_id=learner.pk, external_id="x", achieved_at=datetime(1, 1, 1, tzinfo=UTC))
    assert not ExternalAchievement.objects.exists()


# Item: event times outside a plausible range are refused ---------------------------------------


@pytest.fixture
def programme():
    api.import_program(program_xml("p", f'<course key="{KEY}" credits="2">A</course>'))


def test_a_far_future_failing_event_cannot_block_a_real_pass(learner, programme, caplog):
    with caplog.at_level(logging.WARNING):
        send_passing(learner.pk, KEY, passing=False, time=utc(9999, 12, 31))
    assert not CourseCompletion.objects.exists()
    reason = only_rejection()
    assert reason == ("ImplausibleTime: event time 9999-12-31T00:00:00+00:00 is more than 3600 s "
                      "in the future (MICROCRED_EVENT_MAX_FUTURE_SKEW)")
    assert any(reason in record.getMessage() for record in caplog.records)
    now = timezone.now()
    send_passing(learner.pk, KEY, time=now)
    credential = Credential.objects.get(user=learner)
    assert credential.evidence[0]["achieved_at"] == now.isoformat()


def test_a_far_future_certificate_cannot_outrank_a_real_revocation(learner, settings):
    settings.MICROCRED_REVOKE_ON_REGRESSION = True
    api.import_program(program_xml("c", f'<course key="{KEY}">A</course>',
                                   completion="certificate"))
    send_certificate(learner.pk, KEY, time=utc(9999, 1, 1))
    assert not CourseCompletion.objects.exists()
    send_certificate(learner.pk, KEY, time=utc(2026, 3, 1))
    assert Credential.objects.get().status == Credential.AWARDED
    send_certificate(learner.pk, KEY, event="revoked", time=utc(2026, 3, 2))
    assert Credential.objects.get().status == Credential.REVOKED


def test_a_pass_dated_0001_is_refused(learner):
    api.import_program(program_xml("w", f'<course key="{KEY}">A</course>',
                                   window='<completion-window from="2025-09-01"/>'))
    send_passing(learner.pk, KEY, time=datetime(1, 1, 1, tzinfo=UTC))
    assert "is before 2012-01-01 (MICROCRED_EVENT_TIME_FLOOR)" in only_rejection()
    send_passing(learner.pk, KEY, time=utc(2026, 3, 1))
    assert CourseCompletion.objects.get().passed_at == utc(2026, 3, 1)
    assert Credential.objects.filter(user=learner).count() == 1


def test_the_range_is_configurable(learner, settings):
    settings.MICROCRED_EVENT_MAX_FUTURE_SKEW = 0
    send_passing(learner.pk, KEY, time=timezone.now() + timedelta(seconds=30))
    assert "more than 0 s in the future" in only_rejection()
    settings.MICROCRED_EVENT_MAX_FUTURE_SKEW = 120
    send_grade(learner.pk, KEY, 0.8, time=timezone.now() + timedelta(seconds=30))
    assert CourseCompletion.objects.get().grade == 0.8
    settings.MICROCRED_EVENT_TIME_FLOOR = "2026-06-01"
    send_certificate(learner.pk, KEY, time=utc(2026, 5, 31, 23, 59))
    assert "before 2026-06-01" in RejectedEvent.objects.latest("pk").reason


@pytest.mark.parametrize(("name", "value"), [
    ("MICROCRED_EVENT_MAX_FUTURE_SKEW", -1), ("MICROCRED_EVENT_MAX_FUTURE_SKEW", "3600"),
    ("MICROCRED_EVENT_TIME_FLOOR", "2012"), ("MICROCRED_EVENT_TIME_FLOOR", "2012-02-30"),
])
def test_bad_range_settings_are_refused(settings, name, value):
    from django.core.exceptions import ImproperlyConfigured

    setattr(settings, name, value)
    with pytest.raises(ImproperlyConfigured, match=name):
        eventtime.check(utc(2026, 1, 1))


# The repair command ---------------------------------------------------------------------------


def poison(user, **columns) -> None:
    """State recorded before event times were checked (written as an old version would)."""
    row, _ = CourseCompletion.objects.get_or_create(
        user=user, course_key=KEY, defaults={"counted_key": KEY, "org": "ExampleX", "number": "1"})
    CourseCompletion.objects.filter(pk=row.pk).update(**columns)


def repair(*args) -> str:
    out = io.StringIO()
    call_command("microcred_repair_course_state", *map(str, args), stdout=out)
    return out.getvalue()


def test_repair_clears_a_far_future_state_and_lets_the_real_pass_in(learner, programme):
    poison(learner, passing=False, passing_event_at=utc(9999, 12, 31))
    send_passing(learner.pk, KEY, time=utc(2026, 3, 1))  # older than 9999: ignored
    assert not Credential.objects.exists()
    assert "Would clear course-v1:ExampleX+1+2025 passing" in repair(learner.pk, "--dry-run")
    assert CourseCompletion.objects.get().passing_event_at == utc(9999, 12, 31)
    output = repair(learner.pk)
    assert "Cleared course-v1:ExampleX+1+2025 passing (implausible event time)" in output
    row = CourseCompletion.objects.get()
    assert (row.passing, row.passing_event_at) == (None, None)
    send_passing(learner.pk, KEY, time=utc(2026, 3, 2))
    assert Credential.objects.get(user=learner).status == Credential.AWARDED
    assert "Nothing to repair" in repair(learner.pk)


def test_repair_redates_a_streak_that_began_at_0001_and_reissues(learner):
    api.import_program(program_xml("w", f'<course key="{KEY}">A</course>',
                                   window='<completion-window from="2025-09-01"/>'))
    poison(learner, passing=True, passed_at=datetime(1, 1, 1, tzinfo=UTC),
           passing_event_at=utc(2026, 3, 1))
    send_grade(learner.pk, KEY, 0.9, time=utc(2026, 3, 2))  # evaluates: outside the window
    assert not Credential.objects.exists()
    output = repair(learner.pk, "--course", KEY)
    assert "Re-dated course-v1:ExampleX+1+2025 passing to its event's time" in output
    assert "issued w" in output
    assert CourseCompletion.objects.get().passed_at == utc(2026, 3, 1)
    assert Credential.objects.get().status == Credential.AWARDED


def test_repair_revokes_what_a_far_future_certificate_kept(learner, settings):
    settings.MICROCRED_REVOKE_ON_REGRESSION = True
    api.import_program(program_xml("c", f'<course key="{KEY}">A</course>',
                                   completion="certificate"))
    send_certificate(learner.pk, KEY, time=utc(2026, 3, 1))
    poison(learner, certificate_status="downloadable", certificate_event_at=utc(9999, 1, 1))
    send_certificate(learner.pk, KEY, event="revoked", time=utc(2026, 3, 2))  # ignored
    assert Credential.objects.get().status == Credential.AWARDED
    assert "revoked c" in repair(learner.pk)
    assert Credential.objects.get().status == Credential.REVOKED


def test_repair_removes_an_implausibly_dated_external_achievement(learner):
    ExternalAchievement.objects.create(user=learner, external_id="x",
                                       achieved_at=utc(9999, 1, 1))
    assert "Removed external achievement x (implausible date)" in repair(learner.pk)
    assert not ExternalAchievement.objects.exists()


def test_repair_refuses_an_unknown_user():
    with pytest.raises(CommandError, match="no user has id 987654"):
        repair(UNKNOWN)


def test_repair_clears_and_redates_every_date_of_a_facet(learner):
    poison(learner, grade=0.9, grade_at=utc(9999, 1, 1), grade_event_at=utc(9999, 1, 1),
           certificate_status="downloadable", certificate_mode="verified",
           certificate_at=utc(2026, 3, 1), certificate_mode_at=datetime(1, 1, 1, tzinfo=UTC),
           certificate_event_at=utc(2026, 3, 1))
    repair(learner.pk)
    row = CourseCompletion.objects.get()
    assert (row.grade, row.grade_at, row.grade_event_at) == (None, None, None)
    assert row.certificate_mode_at == utc(2026, 3, 1)  # re-dated to its event's time
