"""
Django settings of the integration stack's workers, drivers and beat: ``sandbox.settings`` (the
stand-in LMS, switched to MariaDB and Redis by its environment variables) plus what the delivery
tests need, which the sandbox cannot take from the environment:

* registry deliveries on a test time scale (backoff of a fraction of a second, the shortest lease
  the plugin accepts, short HTTP timeouts, a budget of attempts that outlasts a registry outage);
* the beat sweep every second;
* the cache (the per-connection delivery rate limit) in Redis, shared by every worker as in
  production, in the suite's own Redis database (``MICROCRED_BROKER_URL``) under a key prefix.

Nothing here changes the event → evaluation → issuance flow that ``test_concurrency`` checks
(a wide event-time skew lets its synthetic clock run ahead of the real one).
"""
import os

from sandbox.settings import *  # noqa: F403  pylint: disable=wildcard-import,unused-wildcard-import
from sandbox.settings import CELERY_BEAT_SCHEDULE as _SANDBOX_BEAT_SCHEDULE

MICROCRED_DELIVERY_BACKOFF_BASE = 0.2
MICROCRED_DELIVERY_BACKOFF_CAP = 2.0
MICROCRED_DELIVERY_LEASE_SECONDS = 10  # the least the plugin accepts
#: (connect, read): a read above the 2 s "slow registry" of the SIGKILL test (it must still be
#: waiting when the worker dies) and below the 3.5 s scripted timeouts of the outage test.
MICROCRED_DELIVERY_TIMEOUT = (1.0, 3.0)
MICROCRED_DELIVERY_MAX_ATTEMPTS = 40
MICROCRED_DELIVERY_SWEEP_SECONDS = 1
#: The concurrency scenarios' synthetic clock steps up to three days per event from 2026-01-05,
#: so their last events fall years ahead of the real clock; the plausibility of event times has
#: its own tests (tests/test_event_validation.py) and must not reject these.
MICROCRED_EVENT_MAX_FUTURE_SKEW = 20 * 365 * 86400

CELERY_BEAT_SCHEDULE = {
    **_SANDBOX_BEAT_SCHEDULE,
    "openedx-microcred-sweep-deliveries": {
        **_SANDBOX_BEAT_SCHEDULE["openedx-microcred-sweep-deliveries"],
        "schedule": float(MICROCRED_DELIVERY_SWEEP_SECONDS),
    },
}

if os.environ.get("MICROCRED_BROKER_URL", "").startswith("redis://"):
    CACHES = {"default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ["MICROCRED_BROKER_URL"],
        "KEY_PREFIX": "microcred-it-cache",
    }}
