"""
openedx-events receivers: turn a payload into plain ids, record it, hand off to a task.

Each receiver does exactly one upsert (``completions``) and one ``transaction.on_commit`` enqueue.
DO NOT evaluate, sign or call HTTP here: receivers run inside the LMS's request or task, and
``send_robust`` would swallow (and hide) anything that goes wrong. A payload we cannot use is
logged and recorded as a ``RejectedEvent``; nothing is ever raised into the LMS.

Payloads are validated, never coerced: each value must already have the type the event's data
class declares (a ``"0.5"`` or ``True`` percent grade is refused, not converted), strings have
size limits (checked before anything parses them), the event time must be plausible
(``eventtime``), and the user must exist (``completions.UnknownLearner``). A rejection's reason
and log line show at most ``SHOWN_LIMIT`` characters of any value: never a whole payload.
"""
from __future__ import annotations

import logging
import math
import uuid
from datetime import UTC, datetime

from ccx_keys.locator import CCXLocator
from django.db import transaction
from edx_django_utils.monitoring import accumulate
from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey

from . import completions, eventtime
from .models import ExternalAchievement, RejectedEvent
from .rules import badge_key

log = logging.getLogger(__name__)

MAX_KEY_LENGTH = 255
#: Longest certificate status and mode stored (edx-platform's are short words: downloadable,
#: verified…); a longer one is refused, never truncated.
MAX_STATUS_LENGTH = 32
MAX_MODE_LENGTH = 64
#: The most characters of a payload value shown in a rejection's reason or log line.
SHOWN_LIMIT = 80
#: Longest rejection reason stored (``RejectedEvent.reason``) and logged.
REASON_LIMIT = 500


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
        percent = _fraction(grade.percent_grade)
        completions.record_grade(user_id=user_id, **_identity(key), grade=percent,
                                 event_time=_time(metadata))
        _enqueue(user_id, _counted(key))


def on_badge_awarded(signal=None, sender=None, badge=None, metadata=None, **kwargs):
    """BADGE_AWARDED → an external achievement keyed by the badge template."""
    with _guard(metadata):
        user_id = _user_id(badge.user.id)
        external_id = badge_key(_template_uuid(badge.template.uuid))
        completions.record_external(user_id=user_id, external_id=external_id,
                                    achieved_at=_time(metadata), source=ExternalAchievement.BADGE)
        _enqueue(user_id, external_id=external_id)


def on_badge_revoked(signal=None, sender=None, badge=None, metadata=None, **kwargs):
    """BADGE_REVOKED → the badge's external achievement is withdrawn as of the event time."""
    with _guard(metadata):
        user_id = _user_id(badge.user.id)
        external_id = badge_key(_template_uuid(badge.template.uuid))
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
            status=status or _word(certificate.current_status, "current_status", MAX_STATUS_LENGTH),
            mode=_word(certificate.mode, "mode", MAX_MODE_LENGTH, required=False),
            event_time=_time(metadata),
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
        event_type = _bounded(str(getattr(self.metadata, "event_type", "") or "unknown"), 255)
        event_id = _bounded(str(getattr(self.metadata, "id", "") or ""), 64)
        expected = isinstance(exc, (MalformedEvent, completions.UnknownLearner, AttributeError,
                                    TypeError, ValueError))
        reason = _bounded(f"{type(exc).__name__}: {_message(exc)}", REASON_LIMIT)
        log.log(logging.WARNING if expected else logging.ERROR,
                "microcred: rejected %s event %s: %s", event_type, event_id, reason,
                exc_info=not expected)
        accumulate("microcred_rejected_events", 1)
        try:
            RejectedEvent.objects.create(event_type=event_type, event_id=event_id, reason=reason)
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
        raise MalformedEvent(f"invalid user id {_shown(value)}")
    return value


def _course_key(value) -> CourseKey:
    if isinstance(value, str):
        if len(value) > MAX_KEY_LENGTH:  # before parsing: the parser's work grows with it
            raise MalformedEvent(f"course key of {len(value)} characters, more than "
                                 f"{MAX_KEY_LENGTH}")
        try:
            value = CourseKey.from_string(value)
        except InvalidKeyError as error:
            raise MalformedEvent(f"invalid course key {_shown(value)}") from error
    if not isinstance(value, CourseKey):
        raise MalformedEvent(f"invalid course key {_shown(value)}")
    if len(str(value)) > MAX_KEY_LENGTH:
        raise MalformedEvent("course key too long")
    return value


def _bool(value) -> bool:
    if not isinstance(value, bool):
        raise MalformedEvent(f"is_passing must be a boolean, got {_shown(value)}")
    return value


def _fraction(value) -> float:
    """A percent grade: a real number (int or float, not bool or text) from 0 to 1."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise MalformedEvent(f"percent_grade must be a number, got {type(value).__name__} "
                             f"{_shown(value)}")
    if not math.isfinite(value) or not 0.0 <= value <= 1.0:
        raise MalformedEvent(f"percent_grade {_shown(value)} outside 0..1")
    return float(value)


def _word(value, name: str, limit: int, *, required: bool = True) -> str:
    """A short status word (certificate status or mode), lower-cased; refused if too long."""
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise MalformedEvent(f"{name} must be a string, got {type(value).__name__}")
    if len(value) > limit:  # a longer value is refused, never truncated into another word
        raise MalformedEvent(f"{name} of {len(value)} characters, more than {limit}")
    word = value.strip().lower()
    if required and not word:
        raise MalformedEvent(f"{name} missing")
    if not word.isprintable():
        raise MalformedEvent(f"{name} {_shown(word)} has control characters")
    return word


def _template_uuid(value) -> str:
    """A badge template's uuid (``BadgeTemplateData.uuid``), canonical lower-case form."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if not isinstance(value, str) or not value.strip():
        raise MalformedEvent("badge template uuid missing")
    if len(value) > 36 + 8:  # a uuid and a little whitespace
        raise MalformedEvent(f"badge template uuid of {len(value)} characters is not a uuid")
    try:
        return str(uuid.UUID(value.strip()))
    except ValueError:
        raise MalformedEvent(f"badge template uuid {_shown(value)} is not a uuid") from None


def _time(metadata) -> datetime:
    when = getattr(metadata, "time", None)
    if not isinstance(when, datetime):
        raise MalformedEvent("event metadata has no time")
    if when.tzinfo is None:  # openedx-events times are UTC; a naive one is read as such
        when = when.replace(tzinfo=UTC)
    return eventtime.check(when)


def _shown(value) -> str:
    """``repr(value)`` cut to ``SHOWN_LIMIT`` characters: never a whole payload in a message."""
    try:
        text = repr(value)
    except Exception:  # pylint: disable=broad-except
        text = f"<{type(value).__name__}>"
    return _bounded(text, SHOWN_LIMIT)


def _message(exc: BaseException) -> str:
    try:
        return str(exc)
    except Exception:  # pylint: disable=broad-except
        return type(exc).__name__


def _bounded(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
