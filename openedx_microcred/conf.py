"""
The one accessor for MICROCRED_* settings: defaults in ``settings.common``, validation here.

Every setting is validated once at start-up by the Django system checks (``checks``), and again
when it is read: a bad value raises ``ImproperlyConfigured`` naming the setting and the shape it
needs. DO NOT put a setting's value in a message: some hold keys, and messages reach logs,
delivery rows and admin pages.
"""
from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .settings.common import DEFAULTS

#: Where the rate limit reads the client address (see ``ratelimits``).
CLIENT_ADDRESS_SOURCES = ("REMOTE_ADDR", "X-Forwarded-For")

_RATE = re.compile(r"^\d+/\d*[smhd]$")


def _is_fernet_key(key: Any) -> bool:
    if not isinstance(key, str):
        return False
    try:
        return len(base64.urlsafe_b64decode(key.encode("ascii"))) == 32
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return False


def _is_rate(value: Any) -> bool:
    return isinstance(value, str) and bool(_RATE.match(value))


def _positive_int(minimum: int) -> Callable[[Any], bool]:
    return lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= minimum


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0


# name -> (validator, the shape a valid value has: said in messages instead of the value)
_VALIDATORS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "MICROCRED_REVOKE_ON_REGRESSION": (lambda v: isinstance(v, bool), "True or False"),
    "MICROCRED_PLATFORM_BACKEND": (lambda v: isinstance(v, str) and "." in v,
                                   "a dotted module path"),
    "MICROCRED_MAX_DEFINITION_BYTES": (_positive_int(1), "an integer of at least 1"),
    "MICROCRED_BACKFILL_BATCH_SIZE": (_positive_int(1), "an integer of at least 1"),
    "MICROCRED_TASK_MAX_RETRIES": (_positive_int(0), "an integer of at least 0"),
    "MICROCRED_ISSUER_HOST": (lambda v: isinstance(v, str) and "/" not in v,
                              "a host name with an optional port, without scheme or path"),
    "MICROCRED_KEY_ENCRYPTION_KEYS": (
        lambda v: isinstance(v, (list, tuple)) and all(_is_fernet_key(k) for k in v),
        "a list of Fernet keys (each Fernet.generate_key().decode()), not a single string"),
    "MICROCRED_STATUS_LIST_SIZE": (lambda v: _positive_int(131072)(v) and v % 8 == 0,
                                   "a multiple of 8 of at least 131072"),
    "MICROCRED_VERIFY_RATE_LIMIT": (_is_rate, 'a django-ratelimit rate such as "60/m"'),
    "MICROCRED_DOCUMENT_RATE_LIMIT": (_is_rate, 'a django-ratelimit rate such as "600/m"'),
    "MICROCRED_CLIENT_ADDRESS": (lambda v: v in CLIENT_ADDRESS_SOURCES,
                                 'one of "REMOTE_ADDR" or "X-Forwarded-For"'),
    "MICROCRED_TRUSTED_PROXY_COUNT": (_positive_int(0), "an integer of at least 0"),
    "MICROCRED_DELIVERY_MAX_ATTEMPTS": (_positive_int(1), "an integer of at least 1"),
    "MICROCRED_DELIVERY_TIMEOUT": (
        lambda v: isinstance(v, (list, tuple)) and len(v) == 2
        and all(_number(x) and x > 0 for x in v),
        "a (connect, read) pair of positive seconds"),
    "MICROCRED_DELIVERY_LEASE_SECONDS": (_positive_int(10), "an integer of at least 10"),
    "MICROCRED_DELIVERY_BACKOFF_BASE": (_number, "a number of seconds of at least 0"),
    "MICROCRED_DELIVERY_BACKOFF_CAP": (_number, "a number of seconds of at least 0"),
    "MICROCRED_DELIVERY_SWEEP_SECONDS": (_positive_int(1), "an integer of at least 1"),
    "MICROCRED_EVENT_MAX_FUTURE_SKEW": (_positive_int(0), "an integer number of seconds of at "
                                        "least 0"),
    "MICROCRED_EVENT_TIME_FLOOR": (lambda v: _iso_date(v) is not None,
                                   'an ISO date such as "2012-01-01"'),
    "MICROCRED_NOTIFICATIONS_ENABLED": (lambda v: isinstance(v, bool), "True or False"),
    "MICROCRED_EXPIRY_NOTICE_DAYS": (_positive_int(1), "an integer of at least 1"),
    "MICROCRED_NOTIFICATION_SWEEP_SECONDS": (_positive_int(1), "an integer of at least 1"),
    "MICROCRED_NOTIFICATION_MAX_ATTEMPTS": (_positive_int(1), "an integer of at least 1"),
    "MICROCRED_NOTIFICATION_FROM_EMAIL": (lambda v: isinstance(v, str),
                                          "an email address, or \"\" for DEFAULT_FROM_EMAIL"),
    "MICROCRED_STANDALONE_PREFERENCE_MODEL": (
        lambda v: isinstance(v, str) and (v == "" or v.count(".") == 1),
        'an "app_label.Model" name, or ""'),
    "MICROCRED_FRAME_ANCESTORS": (
        lambda v: isinstance(v, (list, tuple)) and all(
            isinstance(o, str) and o.startswith(("https://", "http://")) and o.count("/") == 2
            for o in v),
        'a list of origins such as "https://apps.example.com" (no path)'),
}


def _iso_date(value: Any) -> date | None:
    if not isinstance(value, str) or len(value) != 10:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def setting(name: str) -> Any:
    """Return the value of MICROCRED_* setting ``name`` (its default when unset).

    Raises ``ImproperlyConfigured`` (naming the setting, never its value) when the value is
    invalid, ``KeyError`` for an unknown name.
    """
    value = getattr(settings, name, DEFAULTS[name])
    problem = invalid(name, value)
    if problem:
        raise ImproperlyConfigured(problem)
    return value


def invalid(name: str, value: Any) -> str:
    """Why ``value`` is not valid for setting ``name`` ("" when it is). Names the setting and
    the expected shape, never the value."""
    valid, shape = _VALIDATORS[name]
    if valid(value):
        return ""
    if name == "MICROCRED_KEY_ENCRYPTION_KEYS" and isinstance(value, (list, tuple)):
        bad = [str(i) for i, key in enumerate(value) if not _is_fernet_key(key)]
        return (f"{name} entries at positions {', '.join(bad)} (from 0) are not Fernet keys; "
                f"expected {shape}")
    return f"{name} has an invalid value ({type(value).__name__}); expected {shape}"


def names() -> list[str]:
    """Every MICROCRED_* setting name."""
    return list(DEFAULTS)
