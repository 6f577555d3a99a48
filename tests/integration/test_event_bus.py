"""
The event bus for real: edx-event-bus-redis on the local Redis, between two processes.

1. A stand-in LMS process (``lms_producer_settings``: openedx-events with
   ``EVENT_BUS_PRODUCER_CONFIG`` as in the LMS, no plugin) sends COURSE_PASSING_STATUS_UPDATED
   and CERTIFICATE_CREATED; openedx-events' producers write them to the Redis streams
   ``<prefix>-learning-badges-lifecycle`` and ``<prefix>-learning-certificate-lifecycle``.
2. ``manage.py consume_events -t <topic> -g <group>`` (one process per topic, the plugin installed,
   MariaDB) reads them and fires the signals; the plugin's receivers store the completions and
   enqueue evaluations to the stack's Celery workers, which issue both credentials.
3. The streams are replayed from the start (``last_read_msg_id`` 0): nothing changes.

The stack is shared with the other integration tests (their programmes, credentials and
registry connections stay in the database), so every check is scoped to this test's learner,
programmes and org. Every wait is bounded; the consumers are stopped (TERM, then KILL) whatever
happens.
"""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import REPO, _tail
from .event_bus_driver import TOPICS

pytestmark = pytest.mark.integration

GROUP = "openedx-microcred"
WAIT = 90  # seconds, for any one state to be reached
QUIET = 3.0  # seconds the learner's state must stay unchanged after the replay


class Bus:
    """The event-bus processes of one test, on the stack's database and Redis database."""

    def __init__(self, stack):
        self.stack = stack
        self.prefix = f"microcred-it-{stack.run_id}"
        self.consumers: list[tuple[subprocess.Popen, Path]] = []  # running
        self.retired: list[tuple[subprocess.Popen, Path]] = []  # stopped

    def env(self, settings: str) -> dict[str, str]:
        return {**self.stack.env(), "DJANGO_SETTINGS_MODULE": settings,
                "MICROCRED_EVENT_BUS_URL": self.stack.broker_url,
                "MICROCRED_EVENT_BUS_PREFIX": self.prefix}

    def run(self, settings: str, *args: str) -> dict:
        result = subprocess.run(
            [sys.executable, "-m", "tests.integration.event_bus_driver", *args], cwd=REPO,
            env=self.env(settings), capture_output=True, text=True, timeout=120, check=False)
        assert result.returncode == 0, f"event_bus_driver {args} failed:\n{result.stderr[-4000:]}"
        return json.loads(result.stdout.strip().splitlines()[-1])

    def start_consumers(self, **extra) -> None:
        for topic in TOPICS:
            run = len(self.retired) // len(TOPICS)
            log = self.stack.tmp / f"consumer-{topic}-{run}.log"
            options = json.dumps({"consumer_name": f"it-{topic}", **extra})
            with log.open("wb") as out:
                process = subprocess.Popen(
                    [sys.executable, "manage.py", "consume_events", "-t", topic, "-g", GROUP,
                     "--extra", options],
                    cwd=REPO, env=self.env("tests.integration.event_bus_settings"), stdout=out,
                    stderr=subprocess.STDOUT)
            self.consumers.append((process, log))

    def stop_consumers(self) -> None:
        for process, _ in self.consumers:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process, _ in self.consumers:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        self.retired += self.consumers
        self.consumers = []

    def logs(self) -> str:
        return "\n".join(f"--- {log.name} (exit {process.poll()}):\n{_tail(log)}"
                         for process, log in [*self.retired, *self.consumers])

    def group_caught_up(self, expected: dict[str, int]) -> bool:
        """Every topic's group has been delivered its stream's last entry and acknowledged all."""
        client = self.stack.redis()
        try:
            for topic in TOPICS:
                stream = f"{self.prefix}-{topic}"
                last = client.xinfo_stream(stream)["last-generated-id"]
                groups = {g["name"].decode(): g for g in client.xinfo_groups(stream)}
                group = groups.get(GROUP)
                if group is None or client.xlen(stream) != expected[topic]:
                    return False
                if group["last-delivered-id"] != last or group["pending"]:
                    return False
            return True
        finally:
            client.close()

    def wait(self, condition, what: str) -> None:
        deadline = time.monotonic() + WAIT
        while not condition():
            for process, log in self.consumers:
                if process.poll() is not None:
                    pytest.fail(f"consume_events exited ({process.returncode}) while waiting "
                                f"for {what}:\n{_tail(log)}", pytrace=False)
            if time.monotonic() > deadline:
                pytest.fail(f"{what}: not reached in {WAIT} s\n{self.logs()}\n"
                            f"{self.stack.diagnostics()}", pytrace=False)
            time.sleep(0.2)

    def query(self, sql: str, *params) -> list[tuple]:
        connection = self.stack.mysql(self.stack.db_name)
        try:
            cursor = connection.cursor()
            cursor.execute(sql, params)
            return list(cursor.fetchall())
        finally:
            connection.close()

    def state(self, user_id: int) -> dict[str, list[tuple]]:
        """Everything the events could have changed for this learner (and this org)."""
        return {
            "completions": self.query("SELECT * FROM openedx_microcred_coursecompletion "
                                      "WHERE user_id = %s ORDER BY id", user_id),
            "progress": self.query("SELECT * FROM openedx_microcred_programprogress "
                                   "WHERE user_id = %s ORDER BY id", user_id),
            "credentials": self.query("SELECT * FROM openedx_microcred_credential "
                                      "WHERE user_id = %s ORDER BY id", user_id),
            # registries of other tests may still be retrying: the rows, not their attempts
            "deliveries": self.query(
                "SELECT d.id, d.credential_id, d.connection_id, d.action, d.idempotency_key "
                "FROM openedx_microcred_delivery d JOIN openedx_microcred_credential c "
                "ON c.id = d.credential_id WHERE c.user_id = %s ORDER BY d.id", user_id),
            "issuer_keys": self.query("SELECT * FROM openedx_microcred_issuerkey "
                                      "WHERE org = 'BusX' ORDER BY id"),
        }

    def rejected_since(self, last_id: int) -> list[tuple]:
        return self.query("SELECT id, event_type, reason FROM openedx_microcred_rejectedevent "
                          "WHERE id > %s", last_id)

    def broker_waiting(self) -> int:
        return self.stack.broker_state()[0]


@pytest.fixture
def bus(stack):
    live = [name for name, worker in stack.workers.items() if worker.process.poll() is None]
    if not live:  # an earlier test may have killed the workers
        live = [stack.start_worker(f"bus{len(stack.retired) + 1}").name]
    stack.wait_ready(live)
    bus = Bus(stack)
    try:
        yield bus
    finally:
        bus.stop_consumers()


def test_events_from_the_bus_issue_credentials_and_a_replay_changes_nothing(bus, stack):
    user_id = bus.run("tests.integration.event_bus_settings", "setup")["user_id"]
    last_rejected = (bus.query("SELECT MAX(id) FROM openedx_microcred_rejectedevent")[0][0]
                     or 0)
    bus.start_consumers(check_backlog=True)

    produced = bus.run("tests.integration.lms_producer_settings", "produce", str(user_id))

    assert produced == dict.fromkeys(TOPICS, 1), produced
    bus.wait(lambda: bus.group_caught_up(produced), "both topics consumed")
    assert [_processed(log) for _, log in bus.consumers] == [1, 1]
    bus.wait(lambda: len(_credentials_by_programme(stack, user_id)) == 2,
             "two credentials issued")
    issued = _credentials_by_programme(stack, user_id)
    assert issued == {"bus-passing": "awarded", "bus-certificate": "awarded"}
    before = bus.state(user_id)
    assert len(before["completions"]) == 2
    assert len(before["issuer_keys"]) == 1
    assert not bus.rejected_since(last_rejected)

    bus.stop_consumers()
    bus.start_consumers(last_read_msg_id="0")  # replay each stream from its first entry

    bus.wait(lambda: [_processed(log) for _, log in bus.consumers] == [1, 1],
             "each replaying consumer handled its topic's entry again")
    bus.wait(lambda: bus.group_caught_up(produced), "the replay consumed both topics")
    bus.wait(lambda: bus.broker_waiting() == 0, "the evaluations the replay enqueued started")
    deadline = time.monotonic() + QUIET  # and whatever they do, they change nothing
    while time.monotonic() < deadline:
        assert bus.state(user_id) == before
        time.sleep(0.2)
    assert not bus.rejected_since(last_rejected)
    for process, log in bus.consumers:
        assert process.poll() is None, _tail(log)  # still consuming: no fatal error


def _processed(log: Path) -> int:
    """Entries a consumer process handled without error (edx-event-bus-redis' audit log)."""
    return log.read_text("utf-8", "replace").count("Message from Redis processed successfully")


def _credentials_by_programme(stack, user_id: int) -> dict[str, str]:
    return dict(Bus(stack).query(
        "SELECT p.program_id, c.status FROM openedx_microcred_credential c "
        "JOIN openedx_microcred_program p ON p.id = c.program_id WHERE c.user_id = %s", user_id))
