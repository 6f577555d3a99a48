"""
Which event times are plausible: the one rule for every time the plugin is told by others.

An event time decides which state wins (newer-wins ordering) and is the date recorded, evaluated
and signed, so one far-future time would freeze a facet for good (no later real event is newer)
and one ancient time would sit outside every completion window. A time is plausible when it is
no more than ``MICROCRED_EVENT_MAX_FUTURE_SKEW`` seconds after now and not before
``MICROCRED_EVENT_TIME_FLOOR``. DO NOT trust a time from an event, an API caller or a stored row
without ``check`` (or ``is_plausible``): receivers turn the error into a rejected event.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.utils import timezone

from .conf import setting

__all__ = ["ImplausibleTime", "check", "floor", "is_plausible", "latest"]


class ImplausibleTime(ValueError):
    """An event time outside the plausible range; the message names the setting that refused it."""


def floor() -> datetime:
    """The earliest plausible time: ``MICROCRED_EVENT_TIME_FLOOR`` at 00:00 UTC."""
    return datetime.fromisoformat(setting("MICROCRED_EVENT_TIME_FLOOR")).replace(tzinfo=UTC)


def latest(now: datetime | None = None) -> datetime:
    """The latest plausible time: now plus ``MICROCRED_EVENT_MAX_FUTURE_SKEW`` seconds."""
    return (now or timezone.now()) + timedelta(seconds=setting("MICROCRED_EVENT_MAX_FUTURE_SKEW"))


def is_plausible(when: datetime | None, now: datetime | None = None) -> bool:
    """Whether ``when`` (timezone-aware) is within the plausible range; ``None`` is not."""
    return when is not None and floor() <= when <= latest(now)


def check(when: datetime, now: datetime | None = None) -> datetime:
    """``when`` itself when plausible; raises ``ImplausibleTime`` (a ``ValueError``) otherwise.

    ``when`` must be timezone-aware.
    """
    if when > latest(now):
        raise ImplausibleTime(
            f"event time {when.isoformat()} is more than "
            f"{setting('MICROCRED_EVENT_MAX_FUTURE_SKEW')} s in the future "
            "(MICROCRED_EVENT_MAX_FUTURE_SKEW)")
    if when < floor():
        raise ImplausibleTime(
            f"event time {when.isoformat()} is before {floor().date().isoformat()} "
            "(MICROCRED_EVENT_TIME_FLOOR)")
    return when
