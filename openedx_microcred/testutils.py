"""
Test helpers for code that integrates with openedx-microcred (shipped with the package).

Each ``send_*`` function sends the real openedx-events signal with the real attrs data classes, as
the LMS does, at an explicit event ``time`` (UTC), and returns the metadata so that a test can
re-send the same event (a duplicate) with ``resend``.
"""
from __future__ import annotations

from datetime import UTC, datetime

from ccx_keys.locator import CCXLocator
from opaque_keys.edx.keys import CourseKey
from openedx_events.learning.data import (
    BadgeData,
    BadgeTemplateData,
    CcxCourseData,
    CcxCoursePassingStatusData,
    CertificateData,
    CourseData,
    CoursePassingStatusData,
    PersistentCourseGradeData,
    UserData,
    UserPersonalData,
)
from openedx_events.learning.signals import (
    BADGE_AWARDED,
    BADGE_REVOKED,
    CCX_COURSE_PASSING_STATUS_UPDATED,
    CERTIFICATE_CHANGED,
    CERTIFICATE_CREATED,
    CERTIFICATE_REVOKED,
    COURSE_PASSING_STATUS_UPDATED,
    PERSISTENT_GRADE_SUMMARY_CHANGED,
)

__all__ = ["user_data", "send_passing", "send_ccx_passing", "send_grade", "send_certificate",
           "send_badge", "send_badge_revoked", "resend", "utc"]


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A UTC datetime."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def user_data(user_id: int, username: str | None = None) -> UserData:
    """The ``UserData`` the LMS would send for ``user_id``."""
    username = username or f"user{user_id}"
    return UserData(id=user_id, is_active=True, pii=UserPersonalData(
        username=username, email=f"{username}@example.com", name=username.title()))


def _course(course_key: str | CourseKey) -> CourseData:
    key = CourseKey.from_string(course_key) if isinstance(course_key, str) else course_key
    return CourseData(course_key=key, display_name=str(key))


def _send(signal, when: datetime, **data) -> tuple:
    metadata = signal.generate_signal_metadata(time=when)
    signal.send_event_with_custom_metadata(metadata, **data)
    return signal, metadata, data


def resend(sent: tuple) -> None:
    """Send a previously sent event again with identical metadata (an event-bus duplicate)."""
    signal, metadata, data = sent
    signal.send_event_with_custom_metadata(metadata, **data)


def send_passing(user_id: int, course_key: str, *, passing: bool = True,
                 time: datetime) -> tuple:
    """COURSE_PASSING_STATUS_UPDATED."""
    return _send(COURSE_PASSING_STATUS_UPDATED, time, course_passing_status=CoursePassingStatusData(
        is_passing=passing, user=user_data(user_id), course=_course(course_key)))


def send_ccx_passing(user_id: int, master_key: str, ccx_id: str = "1", *, passing: bool = True,
                     time: datetime) -> tuple:
    """CCX_COURSE_PASSING_STATUS_UPDATED for CCX ``ccx_id`` of ``master_key``."""
    master = CourseKey.from_string(master_key)
    ccx = CCXLocator.from_course_locator(master, ccx_id)
    return _send(CCX_COURSE_PASSING_STATUS_UPDATED, time,
                 course_passing_status=CcxCoursePassingStatusData(
                     is_passing=passing, user=user_data(user_id),
                     course=CcxCourseData(ccx_course_key=ccx, master_course_key=master)))


def send_grade(user_id: int, course_key: str, percent: float, *, time: datetime) -> tuple:
    """PERSISTENT_GRADE_SUMMARY_CHANGED with ``percent`` (0.0–1.0)."""
    return _send(PERSISTENT_GRADE_SUMMARY_CHANGED, time, grade=PersistentCourseGradeData(
        user_id=user_id, course=_course(course_key), course_edited_timestamp=time,
        course_version="1", grading_policy_hash="h", percent_grade=percent, letter_grade="",
        passed_timestamp=time))


_CERTIFICATE_SIGNALS = {"created": CERTIFICATE_CREATED, "changed": CERTIFICATE_CHANGED,
                        "revoked": CERTIFICATE_REVOKED}


def send_certificate(user_id: int, course_key: str, *, status: str = "downloadable",
                     mode: str = "verified", event: str = "created", time: datetime) -> tuple:
    """CERTIFICATE_CREATED / _CHANGED / _REVOKED (``event``)."""
    return _send(_CERTIFICATE_SIGNALS[event], time, certificate=CertificateData(
        user=user_data(user_id), course=_course(course_key), mode=mode, grade="0.9",
        download_url="", name=f"User {user_id}", current_status=status))


def send_badge(user_id: int, template_uuid: str, *, time: datetime) -> tuple:
    """BADGE_AWARDED for a badge of template ``template_uuid``."""
    return _send(BADGE_AWARDED, time, badge=BadgeData(
        uuid=f"badge-{user_id}-{template_uuid}", user=user_data(user_id),
        template=BadgeTemplateData(uuid=template_uuid, origin="credly", name="Badge")))




def send_badge_revoked(user_id: int, template_uuid: str, *, time: datetime) -> tuple:
    """BADGE_REVOKED for the learner's badge of template ``template_uuid``."""
    return _send(BADGE_REVOKED, time, badge=BadgeData(
        uuid=f"badge-{user_id}-{template_uuid}", user=user_data(user_id),
        template=BadgeTemplateData(uuid=template_uuid, origin="credly", name="Badge")))
