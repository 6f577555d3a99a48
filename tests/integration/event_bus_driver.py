"""
The two ends of the event-bus test that are not ``consume_events`` itself, run as subprocesses:

    python -m tests.integration.event_bus_driver setup     (tests.integration.event_bus_settings)
    python -m tests.integration.event_bus_driver produce USER_ID   (…lms_producer_settings)

``setup`` imports the programmes and creates the learner in the stack's MariaDB database and
prints ``{"user_id": …}``. ``produce`` sends COURSE_PASSING_STATUS_UPDATED and CERTIFICATE_CREATED
through the real openedx-events signals in a process whose only receivers are openedx-events'
event-bus producers, and prints the number of entries each topic's stream holds.
"""
from __future__ import annotations

import json
import sys
from datetime import UTC, datetime

PASSING_COURSE = "course-v1:BusX+PASS101+2026"
CERTIFICATE_COURSE = "course-v1:BusX+CERT201+2026"
PASSED_AT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
CERTIFIED_AT = datetime(2026, 3, 3, 11, 0, tzinfo=UTC)
TOPICS = ("learning-badges-lifecycle", "learning-certificate-lifecycle")

PROGRAMMES = [
    '<program id="bus-passing" org="BusX" completion="passing"><title>Passing over the bus</title>'
    '<issuer name="Bus University" url="https://bus.example" country="CN"/><requirements>'
    f'<course key="{PASSING_COURSE}" credits="2">Pass</course></requirements></program>',
    '<program id="bus-certificate" org="BusX" completion="certificate"><title>Certificate over '
    'the bus</title><issuer name="Bus University" url="https://bus.example" country="CN"/>'
    f'<requirements><course key="{CERTIFICATE_COURSE}" credits="3">Cert</course></requirements>'
    '</program>',
]


def setup() -> dict:
    from django.contrib.auth import get_user_model

    from openedx_microcred import api

    api.import_programs(PROGRAMMES)
    user, _ = get_user_model().objects.get_or_create(
        username="bus-learner", defaults={"email": "bus-learner@example.com"})
    return {"user_id": user.pk}


def produce(user_id: int) -> dict:
    from django.conf import settings
    from opaque_keys.edx.keys import CourseKey
    from openedx_events.learning import data as d
    from openedx_events.learning import signals as s

    user = d.UserData(id=user_id, is_active=True, pii=d.UserPersonalData(
        username="bus-learner", email="bus-learner@example.com", name="Bus Learner"))

    def course(key: str) -> d.CourseData:
        return d.CourseData(course_key=CourseKey.from_string(key), display_name=key)

    s.COURSE_PASSING_STATUS_UPDATED.send_event(time=PASSED_AT, course_passing_status=(
        d.CoursePassingStatusData(is_passing=True, user=user, course=course(PASSING_COURSE))))
    s.CERTIFICATE_CREATED.send_event(time=CERTIFIED_AT, certificate=d.CertificateData(
        user=user, course=course(CERTIFICATE_COURSE), mode="verified", grade="0.91",
        current_status="downloadable", download_url="", name="Bus Learner"))
    import redis

    client = redis.Redis.from_url(settings.EVENT_BUS_REDIS_CONNECTION_URL)
    try:
        prefix = settings.EVENT_BUS_TOPIC_PREFIX
        return {topic: client.xlen(f"{prefix}-{topic}") for topic in TOPICS}
    finally:
        client.close()


def main(argv: list[str]) -> int:
    import django

    django.setup()
    result = setup() if argv[0] == "setup" else produce(int(argv[1]))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
