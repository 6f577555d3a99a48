"""
Django settings of ``manage.py consume_events`` in the event-bus test: the integration stack's
(``tests.integration.settings``: the sandbox LMS with the plugin, on MariaDB, Celery on Redis) plus
the consumer side of the event bus. ``openedx_events`` is installed, as in the LMS, for its
``consume_events`` command.
"""
import os

from tests.integration.settings import *  # noqa: F403  pylint: disable=wildcard-import,unused-wildcard-import
from tests.integration.settings import INSTALLED_APPS as _INSTALLED_APPS

INSTALLED_APPS = [*_INSTALLED_APPS, "openedx_events"]
EVENT_BUS_CONSUMER = "edx_event_bus_redis.RedisEventConsumer"
EVENT_BUS_REDIS_CONNECTION_URL = os.environ["MICROCRED_EVENT_BUS_URL"]
EVENT_BUS_TOPIC_PREFIX = os.environ["MICROCRED_EVENT_BUS_PREFIX"]
EVENT_BUS_REDIS_CONSUMER_POLL_TIMEOUT = 1  # seconds a read blocks: the loop stays responsive
EVENT_BUS_REDIS_CONSUMER_CONSECUTIVE_ERRORS_LIMIT = 5  # a broken consumer exits, never spins

# The consumer's audit log ("Message received from Redis: …", "… processed successfully") shows
# the test which entries each consumer process handled.
LOGGING = {
    **LOGGING,  # noqa: F405
    "loggers": {
        **LOGGING["loggers"],  # noqa: F405
        "edx_event_bus_redis": {"handlers": ["console"], "level": "INFO"},
    },
}
