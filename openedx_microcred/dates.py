"""
Dates as people read them: every date the product shows is a UTC calendar date, whatever the
server's ``TIME_ZONE`` (the same day the signed documents state, ``…Z``). DO NOT format a date
for display without going through here (or, in templates, ``{% timezone "UTC" %}``).
"""
from __future__ import annotations

from datetime import UTC, date, datetime

from django.utils import formats


def display_date(value: date | datetime) -> str:
    """``value`` in the active language's ``DATE_FORMAT``; an aware datetime as its UTC day
    (a naive one is taken as UTC already)."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.astimezone(UTC)
    return formats.date_format(value, "DATE_FORMAT")
