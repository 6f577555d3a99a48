"""
openedx-events receivers: turn a payload into plain ids, record it, hand off to a task.

Each receiver does exactly one upsert (``completions``) and one ``transaction.on_commit`` enqueue.
DO NOT evaluate, sign or call HTTP here: receivers run inside the LMS's request or task, and
``send_robust`` would swallow (and hide) anything that goes wrong. A payload we cannot use is
logged and recorded as a ``RejectedEvent``; nothing is ever raised into the LMS.
"""
from __future__ import annotations

import logging
from datetime import UTC, datetime

from ccx_keys.locator import CCXLocator
from django.db import transaction
from edx_django_utils.monitoring import accumulate
from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey

from . import completions
from .models import ExternalAchievement, RejectedEvent
from .rules import badge_key

log = logging.getLogger(__name__)

MAX_KEY_LENGTH = 255


class MalformedEvent(ValueError):
    """The payload lacks something a receiver needs."""


def on_course_passing_status(signal=None, sender=None, course_passing_status=None, metadata=None,
                             **kwargs):
    """COURSE_PASSING_STATUS_UPDATED → the learner's passing status in a course run."""
    with _guard(metadata):
        data = course_passing_status
        user_id = _user_id(data.user.id)
        key = _course_key(data.course.course_key)
        completions.record_passing(user_id=user_id, **_identity(key),
                                   passing=_bool(data.is_passing), event_time=_time(metadata))
        _enqueue(user_id, _counted(key))


def on_ccx_course_passing_status(signal=None, sender=None, course_passing_status=None,
                                 metadata=None, **kwargs):
    """CCX_COURSE_PASSING_STATUS_UPDATED → a CCX result, counted as its master course."""
    with _guard(metadata):
        data = course_passing_status
        user_id = _user_id(data.user.id)
        ccx_key = _course_key(data.course.ccx_course_key)
        master_key = _course_key(data.course.master_course_key)
        completions.record_passing(user_id=user_id, **_identity(ccx_key, master_key),
                                   passing=_bool(data.is_passing), event_time=_time(metadata))
        _enqueue(user_id, master_key)


def on_certificate_created(signal=None, sender=None, certificate=None, metadata=None, **kwargs):
    """CERTIFICATE_CREATED → the certificate's status and mode."""
    _certificate(certificate, metadata)


def on_certificate_changed(signal=None, sender=None, certificate=None, metadata=None, **kwargs):
    """CERTIFICATE_CHANGED → the certificate's status and mode."""
    _certificate(certificate, metadata)


def on_certificate_revoked(signal=None, sender=None, certificate=None, metadata=None, **kwargs):
    """CERTIFICATE_REVOKED → the certificate no longer counts, whatever status it carries."""
    _certificate(certificate, metadata, status="revoked")


def on_persistent_grade_summary(signal=None, sender=None, grade=None, metadata=None, **kwargs):
    """PERSISTENT_GRADE_SUMMARY_CHANGED → the percent grade (for ``min-grade`` requirements)."""
    with _guard(metadata):
        user_id = _user_id(grade.user_id)
        key = _course_key(grade.course.course_key)
        percent = float(grade.percent_grade)
        if not 0.0 <= percent <= 1.0:
            raise MalformedEvent(f"percent_grade {percent!r} outside 0..1")
        completions.record_grade(user_id=user_id, **_identity(key), grade=percent,
                                 event_time=_time(metadata))
        _enqueue(user_id, _counted(key))


def on_badge_awarded(signal=None, sender=None, badge=None, metadata=None, **kwargs):
    """BADGE_AWARDED → an external achievement keyed by the badge template."""
    with _guard(metadata):
        user_id = _user_id(badge.user.id)
        template = str(badge.template.uuid or "").strip()
        if not template:
            raise MalformedEvent("badge template uuid missing")
        external_id = badge_key(template)
        completions.record_external(user_id=user_id, external_id=external_id,
                                    achieved_at=_time(metadata), source=ExternalAchievement.BADGE)
        _enqueue(user_id, external_id=external_id)


def on_badge_revoked(signal=None, sender=None, badge=None, metadata=None, **kwargs):
    """BADGE_REVOKED → the badge's external achievement is withdrawn as of the event time."""
    with _guard(metadata):
        user_id = _user_id(badge.user.id)
        template = str(badge.template.uuid or "").strip()
        if not template:
            raise MalformedEvent("badge template uuid missing")
        external_id = badge_key(template)
        completions.withdraw_external(
            user_id=user_id, external_id=external_id, withdrawn_at=_time(metadata),
            by="BADGE_REVOKED event", reason="the badge was revoked",
            source=ExternalAchievement.BADGE, ahead_of_award=True)
        _enqueue(user_id, external_id=external_id)


def _certificate(certificate, metadata, status: str | None = None) -> None:
    with _guard(metadata):
        user_id = _user_id(certificate.user.id)
        key = _course_key(certificate.course.course_key)
        completions.record_certificate(
            user_id=user_id, **_identity(key),
            status=(status or str(certificate.current_status or "")).strip().lower()[:32],
            mode=str(certificate.mode or "").strip().lower()[:64], event_time=_time(metadata),
        )
        _enqueue(user_id, _counted(key))


class _guard:
    """Context manager: log and record anything that goes wrong instead of raising it."""

    def __init__(self, metadata):
        self.metadata = metadata

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc is None:
            return False
        event_type = str(getattr(self.metadata, "event_type", "") or "unknown")
        event_id = str(getattr(self.metadata, "id", "") or "")
        expected = isinstance(exc, (MalformedEvent, AttributeError, TypeError, ValueError))
        log.log(logging.WARNING if expected else logging.ERROR,
                "microcred: rejected %s event %s: %s", event_type, event_id, exc,
                exc_info=not expected)
        accumulate("microcred_rejected_events", 1)
        try:
            RejectedEvent.objects.create(event_type=event_type[:255], event_id=event_id[:64],
                                         reason=f"{type(exc).__name__}: {exc}"[:500])
        except Exception:  # pylint: disable=broad-except
            log.exception("microcred: could not record the rejected event")
        return True  # swallow: never raise into the LMS


def _enqueue(user_id: int, course_key: CourseKey | None = None, external_id: str | None = None):
    from .tasks import enqueue_evaluation  # tasks import models and Celery: keep receivers light

    transaction.on_commit(lambda: enqueue_evaluation(
        user_id, course_key=str(course_key) if course_key else None, external_id=external_id))


def _identity(reported: CourseKey, counted: CourseKey | None = None) -> dict:
    """Row identity: a CCX run is stored under its own key but counts as its master course."""
    counted = counted or _counted(reported)
    return {"course_key": str(reported), "counted_key": str(counted),
            "org": counted.org, "number": counted.course}


def _counted(key: CourseKey) -> CourseKey:
    return key.to_course_locator() if isinstance(key, CCXLocator) else key


def _user_id(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise MalformedEvent(f"invalid user id {value!r}")
    return value


def _course_key(value) -> CourseKey:
    if isinstance(value, str):
        try:
            value = CourseKey.from_string(value)
        except InvalidKeyError as error:
            raise MalformedEvent(f"invalid course key {value!r}") from error
    if not isinstance(value, CourseKey):
        raise MalformedEvent(f"invalid course key {value!r}")
    if len(str(value)) > MAX_KEY_LENGTH:
        raise MalformedEvent("course key too long")
    return value


def _bool(value) -> bool:
    if not isinstance(value, bool):
        raise MalformedEvent(f"is_passing must be a boolean, got {value!r}")
    return value


def _time(metadata) -> datetime:
    when = getattr(metadata, "time", None)
    if not isinstance(when, datetime):
        raise MalformedEvent("event metadata has no time")
    if when.tzinfo is None:  # openedx-events times are UTC; a naive one is read as such
        when = when.replace(tzinfo=UTC)
    return when
