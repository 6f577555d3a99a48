"""
Numbers and dates as people read them, on every page, certificate and email.

Every date shown is a UTC calendar date, whatever the server's ``TIME_ZONE`` (the same day the
signed documents state, ``…Z``). DO NOT format a date for display without going through here
(or, in templates, ``{% timezone "UTC" %}``).
"""
from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from django.utils import formats


def display_date(value: date | datetime) -> str:
    """``value`` in the active language's ``DATE_FORMAT``; an aware datetime as its UTC day
    (a naive one is taken as UTC already)."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.astimezone(UTC)
    return formats.date_format(value, "DATE_FORMAT")


def display_number(value) -> str:
    """``3.5``, ``2``, ``10`` (credits, hours): no trailing zeros, no exponent, the active
    language's decimal separator; ``None`` reads as 0."""
    value = Decimal(value or 0)
    value = value.quantize(Decimal(1)) if value == value.to_integral() else value.normalize()
    return formats.number_format(value)
