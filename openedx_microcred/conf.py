"""
The one accessor for MICROCRED_* settings: defaults in ``settings.common``, validation here.

A bad value raises ``ImproperlyConfigured`` naming the setting.
"""
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .settings.common import DEFAULTS

_VALIDATORS = {
    "MICROCRED_REVOKE_ON_REGRESSION": lambda v: isinstance(v, bool),
    "MICROCRED_PLATFORM_BACKEND": lambda v: isinstance(v, str) and "." in v,
    "MICROCRED_MAX_DEFINITION_BYTES": lambda v: isinstance(v, int) and v > 0,
    "MICROCRED_BACKFILL_BATCH_SIZE": lambda v: isinstance(v, int) and v > 0,
    "MICROCRED_TASK_MAX_RETRIES": lambda v: isinstance(v, int) and v >= 0,
    "MICROCRED_ISSUER_HOST": lambda v: isinstance(v, str) and "/" not in v,
    "MICROCRED_KEY_ENCRYPTION_KEYS": lambda v: isinstance(v, (list, tuple))
    and all(isinstance(k, str) for k in v),
    "MICROCRED_STATUS_LIST_SIZE": lambda v: isinstance(v, int) and v >= 131072 and v % 8 == 0,
    "MICROCRED_VERIFY_RATE_LIMIT": lambda v: isinstance(v, str) and "/" in v,
    "MICROCRED_DELIVERY_MAX_ATTEMPTS": lambda v: isinstance(v, int) and v >= 1,
    "MICROCRED_DELIVERY_TIMEOUT": lambda v: isinstance(v, (list, tuple)) and len(v) == 2
    and all(isinstance(x, (int, float)) and x > 0 for x in v),
    "MICROCRED_DELIVERY_LEASE_SECONDS": lambda v: isinstance(v, int) and v >= 10,
    "MICROCRED_DELIVERY_BACKOFF_BASE": lambda v: isinstance(v, (int, float)) and v >= 0,
    "MICROCRED_DELIVERY_BACKOFF_CAP": lambda v: isinstance(v, (int, float)) and v >= 0,
    "MICROCRED_DELIVERY_SWEEP_SECONDS": lambda v: isinstance(v, int) and v >= 1,
    "MICROCRED_FRAME_ANCESTORS": lambda v: isinstance(v, (list, tuple)) and all(
        isinstance(o, str) and o.startswith(("https://", "http://")) and o.count("/") == 2
        for o in v),
    "MICROCRED_NOTIFICATIONS_ENABLED": lambda v: isinstance(v, bool),
    "MICROCRED_EXPIRY_NOTICE_DAYS": lambda v: isinstance(v, int) and v >= 1,
    "MICROCRED_NOTIFICATION_SWEEP_SECONDS": lambda v: isinstance(v, int) and v >= 1,
    "MICROCRED_NOTIFICATION_MAX_ATTEMPTS": lambda v: isinstance(v, int) and v >= 1,
    "MICROCRED_NOTIFICATION_FROM_EMAIL": lambda v: isinstance(v, str),
    "MICROCRED_STANDALONE_PREFERENCE_MODEL": lambda v: isinstance(v, str)
    and (v == "" or v.count(".") == 1),
}


def setting(name: str) -> Any:
    """Return the value of MICROCRED_* setting ``name`` (its default when unset).

    Raises ``ImproperlyConfigured`` when the value is invalid, ``KeyError`` for an unknown name.
    """
    default = DEFAULTS[name]
    value = getattr(settings, name, default)
    if not _VALIDATORS[name](value):
        raise ImproperlyConfigured(f"{name} has an invalid value: {value!r}")
    return value
