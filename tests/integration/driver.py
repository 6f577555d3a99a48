"""
The in-LMS half of the integration suite, run as a subprocess against MariaDB and Redis:

    MICROCRED_DB=mysql MICROCRED_DB_NAME=… MICROCRED_BROKER_URL=redis://127.0.0.1:6379/N \\
    DJANGO_SETTINGS_MODULE=sandbox.settings python -m tests.integration.driver SPEC OUT [STATUS]

SPEC is a JSON document (see ``scenario.Scenario.spec``). The driver imports the programmes,
creates the learners, then either

* ``"mode": "burst"``: sends the events through the real openedx-events signals from one thread
  per delivery list, all released at once (each thread has its own database connection, closed at
  the end); the plugin's receivers upsert and enqueue real Celery messages on commit; or
* ``"mode": "hammer"``: stores the events through the same receivers with the enqueue switched
  off, then sends ``hammer.per_learner`` ``evaluate_learner`` messages per learner from
  ``hammer.threads`` threads at once;

waits (bounded) until the broker is drained — every queue list empty and the ``unacked`` hash
empty, stable for ``drain.stable`` seconds — and writes a JSON summary of the database to OUT.
With ``drain.restore_stuck_after``, messages left unacknowledged by a dead worker are made visible
again after that many seconds, as Redis' visibility timeout would after an hour.

STATUS, when given, receives one word per phase (ready, sending, sent, drained) for the test that
kills workers mid-burst. Exit status: 0 drained, 3 not drained in time (the summary is written
anyway), 1 any other failure.
"""
from __future__ import annotations

import json
import os
import sys
import threading
import time
from datetime import datetime
from pathlib import Path
from unittest import mock

QUEUE = "celery"
PRIORITY_SEPARATOR = "\x06\x16"  # kombu's Redis transport: "<queue>\x06\x16<priority>"
QUEUE_KEYS = [QUEUE] + [f"{QUEUE}{PRIORITY_SEPARATOR}{p}" for p in (1, 2, 3, 4, 5, 6, 7, 8, 9)]
UNACKED = "unacked"


def main(argv: list[str]) -> int:
    if os.environ.get("MICROCRED_DB") != "mysql" or not os.environ.get("MICROCRED_BROKER_URL"):
        print("driver: MICROCRED_DB=mysql and MICROCRED_BROKER_URL are required", file=sys.stderr)
        return 1
    spec = json.loads(Path(argv[0]).read_text("utf-8"))
    out = Path(argv[1])
    status = Path(argv[2]) if len(argv) > 2 else None
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sandbox.settings")
    import django

    django.setup()
    from django.conf import settings

    assert not settings.CELERY_TASK_ALWAYS_EAGER, "the driver must use the real broker"
    from openedx_microcred.models import RejectedEvent

    report: dict = {"name": spec["name"]}
    users = _setup(spec)
    rejected_before = RejectedEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    _phase(status, "ready")
    started = time.monotonic()
    if spec.get("mode", "burst") == "burst":
        prebuilt = {event["id"]: _build(event, users) for event in spec["events"]}
        _phase(status, "sending")
        report["sent"] = _threads([[prebuilt[i] for i in ids] for ids in spec["deliveries"]],
                                  _send)
    else:
        report["sent"] = _hammer(spec, users, status)
    report["send_seconds"] = round(time.monotonic() - started, 2)
    _phase(status, "sent")
    drain = spec.get("drain", {})
    started = time.monotonic()
    try:
        report["restored"] = wait_drained(os.environ["MICROCRED_BROKER_URL"],
                                          timeout=drain.get("timeout", 120),
                                          stable=drain.get("stable", 2.0),
                                          restore_after=drain.get("restore_stuck_after"))
        report["drained"] = True
    except TimeoutError as error:
        report["drained"] = False
        report["drain_error"] = str(error)
    report["drain_seconds"] = round(time.monotonic() - started, 2)
    report.update(_dump(users, rejected_after=rejected_before or 0))
    out.write_text(json.dumps(report, default=str, indent=1), "utf-8")
    _phase(status, "drained" if report["drained"] else "timeout")
    return 0 if report["drained"] else 3


def _phase(status: Path | None, word: str) -> None:
    if status is not None:
        status.write_text(word, "utf-8")


def _setup(spec: dict) -> dict[str, int]:
    from django.contrib.auth import get_user_model

    from openedx_microcred import api

    api.import_programs(spec["xmls"])  # idempotent: an unchanged definition keeps its version
    users = {}
    for name in spec["learners"]:
        # A full name: registries refuse a learner without one (never sent the username).
        user, _ = get_user_model().objects.get_or_create(
            username=name, defaults={"email": f"{name}@example.com", "first_name": "Ada",
                                     "last_name": name.title()})
        users[name] = user.pk
    return users


def _build(event: dict, users: dict[str, int]) -> tuple:
    """The ``(signal, metadata, data)`` of an event, as ``testutils.send_*`` would send it."""
    from ccx_keys.locator import CCXLocator
    from opaque_keys.edx.keys import CourseKey
    from openedx_events.learning import data as d
    from openedx_events.learning import signals as s

    from openedx_microcred.testutils import user_data

    user_id = users[event["learner"]]
    user = user_data(user_id, event["learner"])
    when = datetime.fromisoformat(event["time"])
    kind = event["type"]

    def course(key: str) -> d.CourseData:
        return d.CourseData(course_key=CourseKey.from_string(key), display_name=key)

    if kind == "passing":
        signal = s.COURSE_PASSING_STATUS_UPDATED
        data = {"course_passing_status": d.CoursePassingStatusData(
            is_passing=event["passing"], user=user, course=course(event["course"]))}
    elif kind == "ccx_passing":
        signal = s.CCX_COURSE_PASSING_STATUS_UPDATED
        master = CourseKey.from_string(event["course"])
        ccx = CCXLocator.from_course_locator(master, event["ccx"])
        data = {"course_passing_status": d.CcxCoursePassingStatusData(
            is_passing=event["passing"], user=user,
            course=d.CcxCourseData(ccx_course_key=ccx, master_course_key=master,
                                   display_name=str(ccx)))}
    elif kind == "grade":
        signal = s.PERSISTENT_GRADE_SUMMARY_CHANGED
        data = {"grade": d.PersistentCourseGradeData(
            user_id=user_id, course=course(event["course"]), course_edited_timestamp=when,
            course_version="1", grading_policy_hash="it", percent_grade=event["percent"],
            letter_grade="", passed_timestamp=when)}
    elif kind == "certificate":
        signal = {"created": s.CERTIFICATE_CREATED, "changed": s.CERTIFICATE_CHANGED,
                  "revoked": s.CERTIFICATE_REVOKED}[event["signal"]]
        data = {"certificate": d.CertificateData(
            user=user, course=course(event["course"]), mode=event["mode"], grade="0.9",
            download_url="", name=event["learner"], current_status=event["status"])}
    elif kind == "badge":
        signal = s.BADGE_AWARDED
        data = {"badge": d.BadgeData(
            uuid=f"badge-{event['id']}", user=user,
            template=d.BadgeTemplateData(uuid=event["template"], origin="credly", name="Badge"))}
    else:
        raise ValueError(f"unknown event type {kind!r}")
    return signal, signal.generate_signal_metadata(time=when), data


def _send(sent: tuple) -> None:
    from openedx_microcred.testutils import resend

    resend(sent)  # identical metadata every time: a duplicate is an event-bus redelivery


def _threads(work: list[list], action) -> int:
    """Run ``action`` over each list in its own thread, all released together; return the count."""
    from django.db import connections

    barrier = threading.Barrier(len(work))
    errors: list[BaseException] = []
    done = [0] * len(work)

    def run(index: int, items: list) -> None:
        try:
            barrier.wait(timeout=60)
            for item in items:
                action(item)
                done[index] += 1
        except BaseException as error:  # pylint: disable=broad-except
            errors.append(error)
        finally:
            connections.close_all()  # this thread's connections

    threads = [threading.Thread(target=run, args=(i, items), name=f"sender-{i}")
               for i, items in enumerate(work)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    if any(thread.is_alive() for thread in threads):
        raise RuntimeError("a sending thread did not finish in 300 s")
    if errors:
        raise RuntimeError(f"sending failed: {errors!r}") from errors[0]
    return sum(done)


def _hammer(spec: dict, users: dict[str, int], status: Path | None) -> int:
    """Store the completions without evaluating, then many evaluations of each learner at once."""
    import random

    from openedx_microcred import tasks

    with mock.patch.object(tasks, "enqueue_evaluation"):  # the receivers' on-commit enqueue
        for event in spec["events"]:
            _send(_build(event, users))
    hammer = spec["hammer"]
    rng = random.Random(hammer.get("seed", 0))
    courses: dict[str, list[str]] = {}
    for event in spec["events"]:
        if event["type"] != "badge":
            courses.setdefault(event["learner"], []).append(event["course"])
    messages = []
    for name in spec["learners"]:
        for index in range(hammer["per_learner"]):
            kwargs = {}  # most: a full re-evaluation; some: the programmes of one course
            if index % 3 == 2 and courses.get(name):
                kwargs["course_key"] = rng.choice(courses[name])
            messages.append((users[name], kwargs))
    rng.shuffle(messages)
    lanes = [messages[i::hammer["threads"]] for i in range(hammer["threads"])]
    _phase(status, "sending")
    return _threads(lanes, lambda m: tasks.evaluate_learner.apply_async(args=(m[0],), kwargs=m[1]))


def broker_state(client) -> tuple[int, int]:
    """(messages waiting in the queue lists, messages delivered but not acknowledged)."""
    waiting = sum(client.llen(key) for key in QUEUE_KEYS)
    return waiting, client.hlen(UNACKED)


def wait_drained(url: str, *, timeout: float, stable: float,
                 restore_after: float | None = None) -> int:
    """Wait until the broker holds no message, ``stable`` seconds in a row; return restores."""
    import redis

    client = redis.Redis.from_url(url, socket_timeout=10)
    deadline = time.monotonic() + timeout
    calm_since = None
    stuck, stuck_since, restored = None, 0.0, 0
    try:
        while True:
            now = time.monotonic()
            waiting, unacked = broker_state(client)
            if waiting == 0 and unacked == 0:
                calm_since = calm_since if calm_since is not None else now
                if now - calm_since >= stable:
                    return restored
            else:
                calm_since = None
            if restore_after is not None and waiting == 0 and unacked:
                tags = frozenset(client.hkeys(UNACKED))
                if tags != stuck:
                    stuck, stuck_since = tags, now
                elif now - stuck_since >= restore_after:
                    restored += restore_unacked(url, older_than=restore_after)
                    stuck = None
            if now > deadline:
                raise TimeoutError(f"broker not drained after {timeout} s: {waiting} waiting, "
                                   f"{unacked} unacknowledged")
            time.sleep(0.1)
    finally:
        client.close()


def restore_unacked(url: str, *, older_than: float) -> int:
    """Requeue messages unacknowledged for ``older_than`` seconds, with kombu's own restore."""
    import redis
    from kombu import Connection

    client = redis.Redis.from_url(url, socket_timeout=10)
    before = client.hlen(UNACKED)
    client.close()
    with Connection(url, transport_options={"visibility_timeout": older_than}) as connection:
        connection.default_channel.qos.restore_visible(num=10_000, interval=1)
    return before


def _dump(users: dict[str, int], *, rejected_after: int) -> dict:
    from openedx_microcred.models import (
        CourseCompletion,
        Credential,
        ExternalAchievement,
        ProgramProgress,
        RejectedEvent,
    )

    names = {pk: name for name, pk in users.items()}
    ids = list(names)
    completions = []
    for row in CourseCompletion.objects.filter(user_id__in=ids).order_by("pk").values():
        row["learner"] = names[row.pop("user_id")]
        completions.append({k: _json(v) for k, v in row.items()})
    credentials = [
        {"learner": names[c.user_id], "program_id": c.program.program_id, "status": c.status,
         "active": c.active, "version": c.version.number, "uuid": str(c.uuid),
         "issued_at": _json(c.issued_at), "credits_earned": str(c.credits_earned)}
        for c in Credential.objects.filter(user_id__in=ids).select_related("program", "version")
        .order_by("pk")]
    progress = [
        {"learner": names[p.user_id], "program_id": p.program.program_id, "complete": p.complete,
         "credits_earned": str(p.credits_earned), "satisfied": p.satisfied}
        for p in ProgramProgress.objects.filter(user_id__in=ids).select_related("program")]
    externals = [
        {"learner": names[e.user_id], "external_id": e.external_id,
         "achieved_at": _json(e.achieved_at)}
        for e in ExternalAchievement.objects.filter(user_id__in=ids)]
    rejected = list(RejectedEvent.objects.filter(pk__gt=rejected_after)
                    .values("event_type", "event_id", "reason"))
    return {"users": users, "completions": completions, "credentials": credentials,
            "progress": progress, "externals": externals, "rejected": rejected}


def _json(value):
    return value.isoformat() if isinstance(value, datetime) else value


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
