"""Receivers, driven by the real openedx-events signals and data classes."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from openedx_microcred.models import CourseCompletion, ExternalAchievement, RejectedEvent
from openedx_microcred.rules import badge_key
from openedx_microcred.testutils import (
    resend,
    send_badge,
    send_ccx_passing,
    send_certificate,
    send_grade,
    send_passing,
    utc,
)

KEY = "course-v1:DemoX+D101+2026"
pytestmark = pytest.mark.django_db


def completion(user, key=KEY):
    return CourseCompletion.objects.get(user=user, course_key=key)


def test_passing_event_is_one_query_and_one_on_commit(learner, django_capture_on_commit_callbacks):
    with (django_capture_on_commit_callbacks() as callbacks,
          CaptureQueriesContext(connection) as queries):
        send_passing(learner.pk, KEY, time=utc(2026, 3, 1))
    assert len(queries) == 1
    assert len(callbacks) == 1
    row = completion(learner)
    assert row.passing is True
    assert row.passed_at == utc(2026, 3, 1)
    assert (row.counted_key, row.org, row.number) == (KEY, "DemoX", "D101")


def test_older_event_never_overwrites_newer_state(learner):
    send_passing(learner.pk, KEY, passing=True, time=utc(2026, 3, 2))
    send_passing(learner.pk, KEY, passing=False, time=utc(2026, 3, 1))  # late, older
    row = completion(learner)
    assert row.passing is True
    assert row.passing_event_at == utc(2026, 3, 2)


def test_newer_event_wins(learner):
    send_passing(learner.pk, KEY, passing=True, time=utc(2026, 3, 1))
    send_passing(learner.pk, KEY, passing=False, time=utc(2026, 3, 2))
    row = completion(learner)
    assert row.passing is False
    assert row.passed_at is None


def test_duplicate_is_a_no_op(learner):
    sent = send_passing(learner.pk, KEY, time=utc(2026, 3, 1))
    before = completion(learner)
    resend(sent)
    resend(sent)
    after = completion(learner)
    assert CourseCompletion.objects.count() == 1
    assert after.modified == before.modified
    assert after.passed_at == before.passed_at


def test_reaffirmed_pass_keeps_the_first_pass_date(learner):
    send_passing(learner.pk, KEY, time=utc(2026, 3, 1))
    send_passing(learner.pk, KEY, time=utc(2026, 4, 1))  # regrade, still passing
    row = completion(learner)
    assert row.passed_at == utc(2026, 3, 1)
    assert row.passing_event_at == utc(2026, 4, 1)


def test_facets_are_ordered_independently(learner):
    send_passing(learner.pk, KEY, time=utc(2026, 3, 5))
    send_grade(learner.pk, KEY, 0.91, time=utc(2026, 3, 1))  # older than the passing event
    send_certificate(learner.pk, KEY, time=utc(2026, 3, 2))
    row = completion(learner)
    assert row.passing is True
    assert row.grade == pytest.approx(0.91)
    assert row.certificate_status == "downloadable"
    assert row.certificate_mode == "verified"


def test_ccx_counts_as_its_master_course(learner):
    send_ccx_passing(learner.pk, KEY, "7", time=utc(2026, 3, 1))
    row = CourseCompletion.objects.get(user=learner)
    assert row.course_key.startswith("ccx-v1:DemoX+D101+2026+ccx@7")
    assert row.counted_key == KEY
    assert (row.org, row.number) == ("DemoX", "D101")


def test_certificate_revoked_overrides_status(learner):
    send_certificate(learner.pk, KEY, time=utc(2026, 3, 1))
    send_certificate(learner.pk, KEY, status="downloadable", event="revoked", time=utc(2026, 3, 2))
    assert completion(learner).certificate_status == "revoked"


def test_badge_is_recorded_as_an_external_achievement(learner):
    template = "5A0C6D3E-6F2B-4B46-9C1E-2D1B8F3F7E11"
    with CaptureQueriesContext(connection) as queries:
        send_badge(learner.pk, template, time=utc(2026, 3, 1))
    assert len(queries) <= 2
    row = ExternalAchievement.objects.get(user=learner)
    assert row.external_id == badge_key(template) == f"badge:{template.lower()}"
    assert row.achieved_at == utc(2026, 3, 1)
    assert row.source == ExternalAchievement.BADGE


@pytest.mark.parametrize("user_id", [0, -3])
def test_invalid_user_id_is_rejected_not_raised(user_id):
    send_passing(user_id, KEY, time=utc(2026, 3, 1))
    assert CourseCompletion.objects.count() == 0
    rejected = RejectedEvent.objects.get()
    assert rejected.event_type == "org.openedx.learning.course.passing.status.updated.v1"
    assert "invalid user id" in rejected.reason
    assert rejected.event_id


def test_grade_out_of_range_is_rejected(learner):
    send_grade(learner.pk, KEY, 7.5, time=utc(2026, 3, 1))
    assert CourseCompletion.objects.count() == 0
    assert "outside 0..1" in RejectedEvent.objects.get().reason


def test_missing_payload_parts_are_rejected(learner):
    from openedx_events.learning.data import CoursePassingStatusData
    from openedx_events.learning.signals import COURSE_PASSING_STATUS_UPDATED

    from openedx_microcred.testutils import user_data

    bad = CoursePassingStatusData(is_passing="yes", user=user_data(learner.pk), course=None)
    COURSE_PASSING_STATUS_UPDATED.send_event(course_passing_status=bad)
    assert CourseCompletion.objects.count() == 0
    assert RejectedEvent.objects.count() == 1


def test_receivers_work_inside_an_open_transaction(learner, django_capture_on_commit_callbacks):
    from django.db import transaction

    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        send_passing(learner.pk, KEY, time=utc(2026, 3, 1))
    assert len(callbacks) == 1  # enqueued on the LMS's commit, not during its transaction


def test_grade_and_certificate_of_a_ccx_count_as_the_master_course(learner):
    ccx = f"ccx-v1:DemoX+D101+2026+ccx@{3}"
    send_grade(learner.pk, ccx, 0.9, time=utc(2026, 3, 1))  # before the CCX passing event
    send_certificate(learner.pk, ccx, time=utc(2026, 3, 1))
    send_ccx_passing(learner.pk, KEY, "3", time=utc(2026, 3, 2))
    row = CourseCompletion.objects.get(user=learner)
    assert row.course_key == ccx
    assert (row.counted_key, row.org, row.number) == (KEY, "DemoX", "D101")
    assert (row.passing, row.grade, row.certificate_status) == (True, 0.9, "downloadable")


def test_mysql_upsert_names_incoming_values_whole():
    from openedx_microcred import completions

    columns = ("user_id", "course_key", "counted_key", "org", "number", "passing", "passed_at",
               "passing_event_at", "modified")
    sql = completions._mysql_sql(completions.PASSING, columns)
    assert "VALUES(passing_event_at)" in sql
    assert "VALUES(passing)_" not in sql
    # the guard reads the stored event time, so it must be assigned last
    assert sql.rstrip().endswith("passing_event_at)")
