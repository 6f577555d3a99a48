"""
Django settings of a stand-in LMS that only *produces* to the event bus, as edx-platform does:
openedx-events' app connects a producer to every signal listed in ``EVENT_BUS_PRODUCER_CONFIG``
and ``edx_event_bus_redis.create_producer`` writes the Avro-serialised event to a Redis stream.

The plugin is deliberately not installed here: the credential must come from the other process,
``manage.py consume_events``, running the plugin's receivers. The topics and key fields are the
LMS's (``lms/envs/common.py``); there the first is enabled by ``BADGES_ENABLED`` and the second by
``SEND_LEARNING_CERTIFICATE_LIFECYCLE_EVENTS_TO_BUS``.
"""
import os

SECRET_KEY = "event-bus-producer-only"
USE_TZ = True
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "openedx_events"]
DATABASES: dict = {}
SERVICE_VARIANT = "lms"
EVENTS_SERVICE_NAME = "lms"

EVENT_BUS_PRODUCER = "edx_event_bus_redis.create_producer"
EVENT_BUS_REDIS_CONNECTION_URL = os.environ["MICROCRED_EVENT_BUS_URL"]
EVENT_BUS_TOPIC_PREFIX = os.environ["MICROCRED_EVENT_BUS_PREFIX"]
EVENT_BUS_PRODUCER_CONFIG = {
    "org.openedx.learning.course.passing.status.updated.v1": {
        "learning-badges-lifecycle": {
            "event_key_field": "course_passing_status.course.course_key", "enabled": True},
    },
    "org.openedx.learning.certificate.created.v1": {
        "learning-certificate-lifecycle": {
            "event_key_field": "certificate.course.course_key", "enabled": True},
    },
    "org.openedx.learning.certificate.revoked.v1": {
        "learning-certificate-lifecycle": {
            "event_key_field": "certificate.course.course_key", "enabled": True},
    },
}
