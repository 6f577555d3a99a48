"""
Registry delivery on the production stack: the transactional outbox (DESIGN §2) drained by real
``celery -A sandbox worker`` processes into fake registries — real HTTP servers in this pytest
process (``tests/registries/fakes.py``) that de-duplicate and count records by idempotency key.

Credentials are issued by the workers from real openedx-events signals sent by a driver
subprocess (``delivery_driver.py``), revoked with ``api.revoke_credential``, and delivered to
Credly, Accredible and webhook connections configured with ``api.configure_registry``. The stack
runs with ``tests.integration.settings``: backoff 0.2 s (cap 2 s), lease 10 s, timeouts (1, 3) s,
the rate limit in the shared Redis cache. The test watches the outbox rows directly in MariaDB.

Fault matrix
    Accredible 503, 500, 502, 504, 408 .............. outage: retried with backoff, same key
    Accredible 409 Conflict ........................ outage: retried
    Accredible 429 / 503 with Retry-After: 1 ........ outage: retried after the asked delay
    Accredible 200 with an HTML body (a proxy) ...... outage: retried, nothing recorded twice
    Accredible slow (3.5 s > 3 s read timeout) ...... outage: recorded late, the retry replayed
    Accredible response lost after processing ....... outage: the retry replayed, not re-created
    Accredible stopped (connections refused and
      established keep-alive connections cut),
      then restarted on the same port ............... outage: issues and revocations written
                                                       during the outage all arrive once
    revocation while its issue is still failing ..... outage: waits for the issue, never first
    stacked credentials (issued by the parent
      re-evaluation) ................................ outage, kill: delivered like the others
    lost deliver messages, recovered by the sweep ... outage (a thread sweeps each second), kill
      (the real ``celery beat`` with the plugin's schedule)
    a worker SIGKILLed mid-request (Credly 2 s slow),
      a new worker started .......................... kill: the lease expires, the sweep re-sends
                                                       with the same key: accepted once
    its unacknowledged messages restored late ....... kill: no effect (rows already delivered)
    every row's deliver task ×10 from 5 threads
      plus 10 concurrent sweeps over two workers .... race: one claim and one request per row
    the per-connection rate limit (4/s), shared by
      every worker through Redis .................... race: deferred without spending attempts
"""
from __future__ import annotations

import ast
import contextlib
import itertools
import json
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from celery import Celery

from ..registries.fakes import (
    ACCREDIBLE_KEY,
    CREDLY_TOKEN,
    WEBHOOK_SECRET,
    FakeAccredible,
    FakeCredly,
    FakeWebhookReceiver,
    Fault,
    _RequestHandler,
    _Server,
    lost_response,
    rate_limited,
    server_error,
    slow,
)
from .conftest import REPO, _signal_group, _tail
from .driver import restore_unacked, wait_drained
from .settings import MICROCRED_DELIVERY_LEASE_SECONDS as LEASE
from .settings import MICROCRED_DELIVERY_TIMEOUT

pytestmark = pytest.mark.integration

DELIVER = "openedx_microcred.tasks.deliver"
SWEEP = "openedx_microcred.tasks.sweep_deliveries"
READ_TIMEOUT = MICROCRED_DELIVERY_TIMEOUT[1]

CORE, STACKED = "it-delivery-core", "it-delivery-stacked"
COURSE_A, COURSE_B = "course-v1:DlvX+A101+2026", "course-v1:DlvX+B201+2026"
TEMPLATES = {CORE: "tmpl-it-core", STACKED: "tmpl-it-stacked"}  # Credly, per programme
GROUPS = {CORE: 5101, STACKED: 5102}  # Accredible, per programme
XMLS = [
    f"""<program id="{CORE}" org="DlvX" lang="en" completion="passing">
  <title>Integration: delivered core</title>
  <issuer name="Integration University" url="https://it.example" country="CN"/>
  <requirements>
    <course key="{COURSE_A}" credits="2">Core course</course>
  </requirements>
</program>""",
    f"""<program id="{STACKED}" org="DlvX" lang="en" completion="passing">
  <title>Integration: delivered stack</title>
  <issuer name="Integration University" url="https://it.example" country="CN"/>
  <requirements>
    <program ref="{CORE}" credits="2"/>
    <course key="{COURSE_B}" credits="1">Capstone</course>
  </requirements>
</program>""",
]
EVENT_START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


# ------------------------------------------------------------------------------------------------
# Fake registries that also watch concurrency, and can go down and come back on the same port
# ------------------------------------------------------------------------------------------------

class _DroppingServer(_Server):
    """The fakes' server, remembering its connections so that an outage cuts them too."""

    def __init__(self, *args, **kwargs):
        self.open_sockets: set[socket.socket] = set()
        self.sockets_lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def get_request(self):
        request, address = super().get_request()
        with self.sockets_lock:
            self.open_sockets.add(request)
        return request, address

    def shutdown_request(self, request):
        with self.sockets_lock:
            self.open_sockets.discard(request)
        super().shutdown_request(request)

    def drop_connections(self) -> None:
        with self.sockets_lock:
            sockets = list(self.open_sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class Tracked:
    """Mixin for a fake registry: every request's arrival time, how many requests for one
    idempotency key were in progress at once (``overlap``), an optional fixed ``hold`` before
    each answer, and ``stop``/``start`` on the same port with its state kept (a registry that
    goes down and comes back with its database)."""

    def __init__(self, *args, hold: float = 0.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.hold = hold
        self.port = 0
        self.arrivals: list[tuple[float, str, str, str | None]] = []  # time, method, path, key
        self.in_flight: Counter[str] = Counter()
        self.overlap: Counter[str] = Counter()
        self.faulted: list[tuple[float, str | None, Fault]] = []  # time, key, the fault met

    def start(self):
        self._release.clear()
        server = _DroppingServer(("127.0.0.1", self.port), _RequestHandler)
        server.fake = self
        self._server, self.port = server, server.server_address[1]
        self._thread = threading.Thread(target=server.serve_forever,
                                        kwargs={"poll_interval": 0.01},
                                        name=f"{self.name}-fake", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        super().stop()
        if self._server is not None:
            self._server.drop_connections()  # keep-alive connections die with the server

    def dispatch(self, request):
        key = request.idempotency_key
        with self.lock:
            self.arrivals.append((time.time(), request.method, request.path, key))
            if key:
                self.in_flight[key] += 1
                self.overlap[key] = max(self.overlap[key], self.in_flight[key])
        try:
            if self.hold:
                self._wait(self.hold)
            return super().dispatch(request)
        finally:
            with self.lock:
                if key:
                    self.in_flight[key] -= 1

    def _take_fault(self, request):
        fault = super()._take_fault(request)  # under self.lock (dispatch)
        if fault is not None:
            self.faulted.append((time.time(), request.idempotency_key, fault))
        return fault

    def requests_in_progress(self) -> int:
        with self.lock:
            return sum(self.in_flight.values())

    def faults_left(self) -> int:
        with self.lock:
            return len(self._faults)

    def arrivals_of(self, key: str) -> list[float]:
        with self.lock:
            return [when for when, _, _, k in self.arrivals if k == key]


class Webhook(Tracked, FakeWebhookReceiver):
    pass


class Credly(Tracked, FakeCredly):
    def __init__(self, **kwargs):
        super().__init__(templates=tuple(TEMPLATES.values()), **kwargs)


class Accredible(Tracked, FakeAccredible):
    def __init__(self, **kwargs):
        super().__init__(groups=tuple(GROUPS.values()), **kwargs)


def connection_specs(prefix: str, fakes: dict, rate_limits: dict | None = None) -> list[dict]:
    """``configure_registry`` arguments for the running fakes (keys webhook/credly/accredible)."""
    per_programme = {"credly": {p: {"badge_template_id": t} for p, t in TEMPLATES.items()},
                     "accredible": {p: {"group_id": g} for p, g in GROUPS.items()}}
    specs = []
    for kind, fake in fakes.items():
        spec = {"kind": kind, "name": f"{prefix}-{kind}"}
        if kind == "webhook":
            spec.update(base_url=f"{fake.url}/hooks/microcred", secret=WEBHOOK_SECRET)
        elif kind == "credly":
            spec.update(base_url=fake.url, secret=CREDLY_TOKEN, options={
                "organization_id": fake.organization_id, "programs": per_programme["credly"]})
        else:
            spec.update(base_url=fake.url, secret=ACCREDIBLE_KEY,
                        options={"programs": per_programme["accredible"]})
        if rate_limits and kind in rate_limits:
            spec["rate_limit"] = rate_limits[kind]
        specs.append(spec)
    return specs


# ------------------------------------------------------------------------------------------------
# The stack's side: driver runs, the outbox in MariaDB, broker messages, beat, workers
# ------------------------------------------------------------------------------------------------

def run_driver(stack, name: str, spec: dict, timeout: float = 120.0) -> dict:
    """Run ``delivery_driver`` with ``spec`` (bounded); its report."""
    stack.driver_runs += 1
    stem = stack.tmp / f"driver-{stack.driver_runs}-{name}"
    spec_path, out_path, log_path = (stem.with_suffix(s) for s in (".spec", ".out", ".log"))
    spec_path.write_text(json.dumps(spec), "utf-8")
    with log_path.open("wb") as log:
        try:
            result = subprocess.run(
                [sys.executable, "-m", "tests.integration.delivery_driver", str(spec_path),
                 str(out_path)], cwd=REPO, env=stack.env(), stdout=log,
                stderr=subprocess.STDOUT, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the delivery driver did not finish in {timeout} s\n"
                        f"{stack.diagnostics()}", pytrace=False)
    if result.returncode:
        pytest.fail(f"the delivery driver failed ({result.returncode}):\n"
                    f"{_tail(log_path, 6000)}", pytrace=False)
    return json.loads(out_path.read_text("utf-8"))


def passing(learner: str, course: str, minute: int) -> dict:
    return {"learner": learner, "course": course,
            "time": (EVENT_START + timedelta(minutes=minute)).isoformat()}


def _uuid(value) -> str:
    return str(uuid.UUID(str(value)))


class Outbox:
    """Reads the Delivery and Credential rows straight from MariaDB (autocommit: fresh reads)."""

    def __init__(self, stack):
        self.stack = stack
        self.connection = stack.mysql(stack.db_name)
        self.connection.autocommit(True)

    def close(self) -> None:
        self.connection.close()

    def query(self, sql: str, args=()) -> list[dict]:
        cursor = self.connection.cursor()
        try:
            cursor.execute(sql, args)
            names = [column[0] for column in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        finally:
            cursor.close()

    def deliveries(self, connection_ids) -> list[dict]:
        rows = self.query(
            "SELECT d.id, d.connection_id, d.action, d.status, d.idempotency_key, d.attempts, "
            "d.external_id, d.last_error, d.lease_expires_at, c.uuid, p.program_id "
            "FROM openedx_microcred_delivery d "
            "JOIN openedx_microcred_credential c ON c.id = d.credential_id "
            "JOIN openedx_microcred_program p ON p.id = c.program_id "
            "WHERE d.connection_id IN %s ORDER BY d.id", (tuple(connection_ids),))
        for row in rows:
            row["key"], row["uuid"] = _uuid(row.pop("idempotency_key")), _uuid(row["uuid"])
        return rows

    def credentials(self, prefix: str) -> list[dict]:
        rows = self.query(
            "SELECT c.uuid, c.status, u.username AS learner, p.program_id "
            "FROM openedx_microcred_credential c JOIN auth_user u ON u.id = c.user_id "
            "JOIN openedx_microcred_program p ON p.id = c.program_id "
            "WHERE u.username LIKE %s ORDER BY c.id", (f"{prefix}-%",))
        for row in rows:
            row["uuid"] = _uuid(row["uuid"])
        return rows

    def wait_credentials(self, prefix: str, count: int, timeout: float) -> list[dict]:
        deadline = time.monotonic() + timeout
        while len(rows := self.credentials(prefix)) < count:
            if time.monotonic() > deadline:
                pytest.fail(f"{len(rows)} of {count} credentials issued in {timeout} s\n"
                            f"{self.stack.diagnostics()}", pytrace=False)
            time.sleep(0.1)
        return rows

    def wait_delivered(self, connection_ids, count: int, timeout: float) -> list[dict]:
        """Bounded wait until exactly ``count`` rows exist for the connections, all delivered.

        Fails at once on a dead letter, and with the rows' states after ``timeout``.
        """
        deadline = time.monotonic() + timeout
        while True:
            rows = self.deliveries(connection_ids)
            states = Counter(row["status"] for row in rows)
            if len(rows) == count and states["delivered"] == count:
                return rows
            dead = [row for row in rows if row["status"] == "dead"]
            if dead or time.monotonic() > deadline:
                errors = Counter((row["status"], row["last_error"][:160]) for row in rows
                                 if row["status"] != "delivered")
                shown = "\n  ".join(f"{n}× {status}: {error}"
                                    for (status, error), n in errors.most_common(12))
                pytest.fail(f"{'dead letters' if dead else f'not delivered in {timeout} s'}: "
                            f"{dict(states)} of {len(rows)} rows (want {count} delivered)\n  "
                            f"{shown}\n{self.stack.diagnostics()}", pytrace=False)
            time.sleep(0.2)

    def retire(self, connection_ids) -> None:
        """After a test: its connections take no more credentials, its rows no more attempts."""
        if not connection_ids:
            return
        ids = (tuple(connection_ids),)
        cursor = self.connection.cursor()
        try:
            cursor.execute("UPDATE openedx_microcred_registryconnection SET active = 0 "
                           "WHERE id IN %s", ids)
            cursor.execute("UPDATE openedx_microcred_delivery SET status = 'dead', "
                           "last_error = 'the test ended' WHERE connection_id IN %s "
                           "AND status IN ('pending', 'sending')", ids)
        finally:
            cursor.close()


class Sweeper:
    """Sends ``sweep_deliveries`` every ``period`` seconds from a thread, as beat would."""

    def __init__(self, app: Celery, period: float = 1.0):
        self.app, self.period = app, period
        self.sent = 0
        self.errors: list[BaseException] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sweeper", daemon=True)

    def __enter__(self) -> Sweeper:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.app.send_task(SWEEP)
                self.sent += 1
            except Exception as error:  # pylint: disable=broad-except
                self.errors.append(error)
            self._stop.wait(self.period)


@contextlib.contextmanager
def celery_beat(stack):
    """``celery -A sandbox beat`` with the stack's settings (the plugin's sweep schedule)."""
    log = stack.tmp / "beat.log"
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "sandbox", "beat", "--loglevel=info",
             "--max-interval=1", "-s", str(stack.tmp / "beat-schedule")],
            cwd=REPO, env=stack.env(), stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True)
    try:
        yield log
    finally:
        _signal_group(process, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            _signal_group(process, signal.SIGKILL)
            process.wait(timeout=10)


def wait_for(condition, timeout: float, what: str, stack, interval: float = 0.05):
    """Poll ``condition`` until it returns something true (bounded); return that."""
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {timeout} s\n{stack.diagnostics()}", pytrace=False)
        time.sleep(interval)
    return value


def logs_since(stack, marks: dict[str, int]) -> str:
    text = []
    for worker in [*stack.workers.values(), *stack.retired]:
        with worker.log.open("rb") as log:
            log.seek(marks.get(worker.name, 0))
            text.append(log.read().decode("utf-8", "replace"))
    return "\n".join(text)


def count_lines(text: str, prefix: str, needle: str) -> int:
    """Lines that start with ``prefix`` and contain ``needle``.

    A worker logs each plugin warning twice (Django's console handler, then Celery's redirected
    stderr with a ``[time: LEVEL/process]`` prefix): the prefix picks the first copy.
    """
    return sum(1 for line in text.splitlines() if line.startswith(prefix) and needle in line)


def fresh_worker(stack) -> str:
    taken = set(stack.workers) | {worker.name for worker in stack.retired}
    name = next(f"dw{i}" for i in itertools.count(1) if f"dw{i}" not in taken)
    stack.start_worker(name)
    return name


def deliveries_by_worker(app: Celery, stack) -> dict[str, list[int]]:
    """The delivery ids each live worker is executing now (a remote-control ``inspect``)."""
    nodes = {worker.nodename: name for name, worker in stack.workers.items()}
    replies = app.control.inspect(destination=sorted(nodes), timeout=1.0,
                                  limit=len(nodes)).active() or {}
    found = {}
    for node, tasks in replies.items():
        ids = []
        for task in tasks:
            if task.get("name") == DELIVER:
                args = task.get("args")
                args = ast.literal_eval(args) if isinstance(args, str) else args
                ids.append(int(args[0]))
        found[nodes.get(node, node)] = ids
    return found


def deliver_totals(app: Celery, stack) -> dict[str, int]:
    """How many ``deliver`` tasks each live worker has executed since it started."""
    nodes = {worker.nodename: name for name, worker in stack.workers.items()}
    replies = app.control.inspect(destination=sorted(nodes), timeout=2.0,
                                  limit=len(nodes)).stats() or {}
    return {nodes[node]: stats.get("total", {}).get(DELIVER, 0)
            for node, stats in replies.items() if node in nodes}


@pytest.fixture(scope="module")
def broker(stack):
    """A Celery client of the stack's broker (sends by task name, as beat and the LMS do)."""
    app = Celery("microcred-it-delivery", broker=stack.broker_url, set_as_current=False)
    app.conf.broker_connection_retry_on_startup = True
    try:
        yield app
    finally:
        app.close()


@pytest.fixture
def outbox(stack):
    """The outbox reader; ``outbox.mine`` collects the test's connection ids, retired after."""
    reader = Outbox(stack)
    reader.mine = []
    try:
        yield reader
    finally:
        reader.retire(reader.mine)
        reader.close()


@pytest.fixture
def two_workers(stack):
    """At least two live workers (an earlier test may have killed one); their names."""
    live = [name for name, worker in stack.workers.items() if worker.process.poll() is None]
    while len(live) < 2:
        live.append(fresh_worker(stack))
    stack.wait_ready(live)
    return live


# ------------------------------------------------------------------------------------------------
# The oracle: each record in every registry exactly once
# ------------------------------------------------------------------------------------------------

def registry_problems(rows: list[dict], fakes_by_connection: dict[int, Tracked],
                      credentials: list[dict], revoked: set[str]) -> list[str]:
    """Every way the registries differ from "each row's record exactly once"."""
    problems = []
    issued = {c["uuid"]: c["program_id"] for c in credentials}
    for row in rows:
        fake = fakes_by_connection[row["connection_id"]]
        if fake.accepted[row["key"]] != 1:
            problems.append(f"{fake.name} {row['action']} of {row['uuid']}: accepted "
                            f"{fake.accepted[row['key']]}× (attempts {fake.attempts[row['key']]})")
    for connection_id, fake in fakes_by_connection.items():
        keys = {row["key"] for row in rows if row["connection_id"] == connection_id}
        stray = set(fake.accepted) - keys
        if stray:
            problems.append(f"{fake.name} accepted {len(stray)} keys of no outbox row")
        expected_rows = {(row["action"], row["uuid"]) for row in rows
                         if row["connection_id"] == connection_id}
        want = {("issue", u) for u in issued} | {("revoke", u) for u in revoked}
        if expected_rows != want:
            problems.append(f"{fake.name}: outbox rows {len(expected_rows)}, want {len(want)} "
                            f"(missing {sorted(want - expected_rows)[:5]})")
        external = {row["uuid"]: row["external_id"] for row in rows
                    if row["connection_id"] == connection_id and row["action"] == "issue"}
        problems += _record_problems(fake, issued, revoked, external)
    return problems


def _record_problems(fake: Tracked, issued: dict[str, str], revoked: set[str],
                     external: dict[str, str]) -> list[str]:
    problems = []
    once = Counter(list(issued))
    if isinstance(fake, FakeWebhookReceiver):
        events = [(e["event"], e["credential_uuid"]) for e in fake.events]
        want = Counter({("credential.issued", u): 1 for u in issued})
        want.update({("credential.revoked", u): 1 for u in revoked})
        if Counter(events) != want:
            problems.append(f"webhook events differ: extra {Counter(events) - want}, "
                            f"missing {want - Counter(events)}")
        for u in revoked:
            if ("credential.issued", u) in events and ("credential.revoked", u) in events \
                    and events.index(("credential.revoked", u)) \
                    < events.index(("credential.issued", u)):
                problems.append(f"webhook: the revocation of {u} arrived before its issue")
    elif isinstance(fake, FakeCredly):
        badges = list(fake.badges.values())
        per = Counter(b["issuer_earner_id"] for b in badges)
        if per != once:
            problems.append(f"credly badges per credential differ: {per - once} extra, "
                            f"{once - per} missing")
        for badge in badges:
            u = badge["issuer_earner_id"]
            if u not in issued:
                continue
            if badge["badge_template_id"] != TEMPLATES[issued[u]]:
                problems.append(f"credly badge of {u}: template {badge['badge_template_id']}")
            if (badge["state"] == "revoked") != (u in revoked):
                problems.append(f"credly badge of {u}: state {badge['state']}")
            if external.get(u) != badge["id"]:
                problems.append(f"credly badge of {u}: the outbox kept {external.get(u)!r}, "
                                f"not the badge id {badge['id']}")
    else:
        records = list(fake.credentials.values())
        per = Counter(r["meta_data"]["credential_uuid"] for r in records)
        if per != once:
            problems.append(f"accredible credentials per credential differ: "
                            f"{per - once} extra, {once - per} missing")
        for record in records:
            u = record["meta_data"]["credential_uuid"]
            if u not in issued:
                continue
            if record["group_id"] != GROUPS[issued[u]]:
                problems.append(f"accredible credential of {u}: group {record['group_id']}")
            if (record["expired_on"] is not None) != (u in revoked):
                problems.append(f"accredible credential of {u}: expired_on "
                                f"{record['expired_on']!r}")
            if external.get(u) != record["id"]:
                problems.append(f"accredible credential of {u}: the outbox kept "
                                f"{external.get(u)!r}, not {record['id']}")
    return problems


def assert_no_problems(problems: list[str], stack) -> None:
    if problems:
        shown = "\n  ".join(problems[:40])
        pytest.fail(f"{len(problems)} problems:\n  {shown}\n{stack.diagnostics()}",
                    pytrace=False)


# ------------------------------------------------------------------------------------------------
# 1. A burst of issues and revocations, Accredible failing in every way and then down
# ------------------------------------------------------------------------------------------------

ACCREDIBLE_FAULTS = [
    server_error(503), server_error(500), rate_limited(retry_after="1"), server_error(502),
    slow(READ_TIMEOUT + 0.5), Fault(status=408), server_error(504),
    Fault(status=409), rate_limited(retry_after="1", status=503), Fault(status=200, body="<html>"
    "<body>502 Bad Gateway (from a proxy)</body></html>"), lost_response(READ_TIMEOUT + 0.5),
    server_error(503), server_error(500), Fault(status=503), server_error(502),
]


def test_registry_down_for_many_attempts_gets_everything_once(stack, two_workers, broker,
                                                              outbox):
    """Issues and revocations reach each of three registries exactly once despite an outage.

    Phase 1: a burst of issues (and two revocations) while Accredible answers with every
    scripted fault in turn; phase 2: Accredible stopped, more issues and three revocations (two
    of delivered issues, one of an issue that cannot be delivered yet); phase 3: Accredible back
    on the same port. A thread sweeps every second throughout.
    """
    wave1 = [f"s1-{i:02d}" for i in range(12)]
    wave2 = [f"s1-{i:02d}" for i in range(12, 16)]  # issued while Accredible is down
    both = wave1[::2]  # these also complete the stacked programme
    after_stacked = [[name, STACKED] for name in both]  # no evaluation left to re-issue a core
    with contextlib.ExitStack() as running:
        webhook = running.enter_context(Webhook().running())
        credly = running.enter_context(Credly().running())
        accredible = running.enter_context(Accredible().running())
        fakes = {"webhook": webhook, "credly": credly, "accredible": accredible}
        accredible.fail_next(*ACCREDIBLE_FAULTS)
        marks = stack.log_marks()
        sweeper = running.enter_context(Sweeper(broker))
        started = time.monotonic()
        report = run_driver(stack, "outage-faults", {
            "xmls": XMLS, "learners": wave1 + wave2, "connections": connection_specs("s1", fakes),
            "events": [passing(name, COURSE_A, i) for i, name in enumerate(wave1)]
            + [passing(name, COURSE_B, 100 + i) for i, name in enumerate(both)], "threads": 4,
            "revoke": {"credentials": [[wave1[1], CORE], [wave1[0], CORE]], "timeout": 60,
                       "reason": "issued in error", "after": after_stacked}})
        connections = report["connections"]
        outbox.mine += connections.values()
        revoked = set(report["revoked"])
        outbox.wait_delivered(connections.values(), 3 * (len(wave1) + len(both) + 2), 60)
        assert accredible.faults_left() == 0, "the scripted faults were not all met"
        wait_for(lambda: accredible.requests_in_progress() == 0, 10,
                 "Accredible's slow answers finished", stack)

        accredible.stop()  # down: connections refused, established ones cut
        down_marks, down_at = stack.log_marks(), time.monotonic()
        report = run_driver(stack, "outage-down", {
            "events": [passing(n, COURSE_A, 200 + i) for i, n in enumerate(wave2)],
            "threads": 2, "revoke": {"credentials": [[wave1[3], CORE], [wave1[2], CORE],
                                                     [wave2[0], CORE]],
                                     "reason": "issued in error", "timeout": 60}})
        revoked |= set(report["revoked"])

        def refused(method: str) -> int:
            return count_lines(logs_since(stack, down_marks), f"accredible: {method} /v1/",
                               "connection failed (")

        wait_for(lambda: refused("POST") >= 8 and refused("PUT") >= 2, 30,
                 "issues and revocations refused by the stopped Accredible", stack, interval=0.2)
        time.sleep(max(0.0, 3.0 - (time.monotonic() - down_at)))
        down_for, refused_issues, refused_revocations = (
            time.monotonic() - down_at, refused("POST"), refused("PUT"))
        accredible.start()  # back, on the same port, with its records

        expected_credentials = len(wave1) + len(both) + len(wave2)
        credentials = outbox.wait_credentials("s1", expected_credentials, 30)
        rows = outbox.wait_delivered(connections.values(), 3 * (expected_credentials + 5), 60)
        elapsed = time.monotonic() - started
    log = logs_since(stack, marks)
    by_connection = {connections[f"s1-{kind}"]: fake for kind, fake in fakes.items()}
    problems = registry_problems(rows, by_connection, credentials, revoked)
    pairs = Counter((c["learner"], c["program_id"]) for c in credentials)
    want = Counter({(n, CORE): 1 for n in wave1 + wave2} | {(n, STACKED): 1 for n in both})
    if pairs != want:
        problems.append(f"credentials differ: extra {pairs - want}, missing {want - pairs}")
    if len(revoked) != 5:
        problems.append(f"revoked {len(revoked)} credentials, want 5")
    for fake in (webhook, credly):  # no fault injected: one request per record
        resent = {k: n for k, n in fake.attempts.items() if n != 1}
        if resent:
            problems.append(f"{fake.name} got {len(resent)} keys more than once: {resent}")
    problems += [f"{fake.name}: {n} concurrent requests for one key"
                 for fake in (webhook, credly) for n in fake.overlap.values() if n > 1]
    # Accredible: a retry may overlap only a request its client gave up on (the two timeouts).
    overlapping = [key for key, n in accredible.overlap.items() if n > 1]
    if len(overlapping) > 2:
        problems.append(f"accredible: {len(overlapping)} keys with concurrent requests, want at "
                        "most the 2 timed out ones")
    problems += [f"a task failed for good: {line[:300]}" for line in log.splitlines()
                 if "raised unexpected" in line]
    if sweeper.errors:
        problems.append(f"the sweeper could not send: {sweeper.errors[:3]}")
    healthy = [r for r in rows if r["connection_id"] != connections["s1-accredible"]]
    problems += [f"delivery {r['id']} to a healthy registry took {r['attempts']} attempts"
                 for r in healthy if r["attempts"] != 1]
    for when, key, fault in accredible.faulted:
        if "Retry-After" in fault.headers:  # asked for 1 s
            later = [t for t in accredible.arrivals_of(key) if t > when]
            if not later or later[0] < when + 0.9:
                problems.append(f"accredible: {fault.status} with Retry-After: 1, retried after "
                                f"{(later[0] - when) if later else None} s")
    timeouts = count_lines(log, "accredible: ", "read timeout")
    if timeouts < 2:
        problems.append(f"{timeouts} Accredible read timeouts (the slow and lost answers), want 2")
    assert_no_problems(problems, stack)
    accredible_rows = [r for r in rows if r["connection_id"] == connections["s1-accredible"]]
    retried = sum(r["attempts"] - 1 for r in accredible_rows)
    print(f"\noutage: {expected_credentials} credentials, {len(revoked)} revoked, {len(rows)} "
          f"deliveries in {elapsed:.1f} s; Accredible: {len(ACCREDIBLE_FAULTS)} scripted faults "
          f"({timeouts} read timeouts), then down {down_for:.1f} s ({refused_issues} issues and "
          f"{refused_revocations} revocations refused), {retried} retries in all, "
          f"{sum(accredible.attempts.values())} requests for {len(accredible_rows)} records; "
          f"{sweeper.sent} sweeps sent")
    assert retried >= len(ACCREDIBLE_FAULTS) + refused_issues + refused_revocations


# ------------------------------------------------------------------------------------------------
# 2. A worker SIGKILLed while its deliveries wait on a slow registry
# ------------------------------------------------------------------------------------------------

def test_worker_killed_mid_delivery_is_recovered_by_lease_and_sweep(stack, two_workers, broker,
                                                                   outbox, _no_orphaned_messages):
    """In-flight deliveries of a SIGKILLed worker are re-sent after their lease, accepted once."""
    learners = [f"s2-{i:02d}" for i in range(12)]
    both = learners[:3]
    delay = READ_TIMEOUT - 1.0  # in flight for 2 s, then answered (below the read timeout)
    with contextlib.ExitStack() as running:
        webhook = running.enter_context(Webhook().running())
        credly = running.enter_context(Credly().running())
        fakes = {"webhook": webhook, "credly": credly}
        # Every first attempt is slow: half processed after the wait, half before it (a
        # response the dead worker will never read).
        credly.fail_next(*[slow(delay) if i % 2 else lost_response(delay)
                           for i in range(len(learners) + len(both))])
        beat_log = running.enter_context(celery_beat(stack))
        marks = stack.log_marks()
        report = run_driver(stack, "kill", {
            "xmls": XMLS, "learners": learners, "connections": connection_specs("s2", fakes),
            "events": [passing(n, COURSE_A, i) for i, n in enumerate(learners)]
            + [passing(n, COURSE_B, 50 + i) for i, n in enumerate(both)], "threads": 4})
        connections = report["connections"]
        outbox.mine += connections.values()
        count = len(learners) + len(both)
        outbox.wait_credentials("s2", count, 30)  # every evaluation is done: only deliveries run
        victim, in_flight, active = pick_victim(stack, broker, outbox, credly,
                                                connections.values())
        stack.kill_worker(victim)
        killed_at = time.time()
        leased = {row["id"]: row for row in outbox.deliveries(connections.values())
                  if row["id"] in active[victim] and row["status"] == "sending"}
        in_flight &= set(leased)
        assert in_flight, f"{victim}'s Credly requests were all answered before it died"
        replacement = fresh_worker(stack)
        stack.wait_ready([replacement])
        rows = outbox.wait_delivered(connections.values(), 2 * count, 60)
    problems = registry_problems(rows, {connections["s2-webhook"]: webhook,
                                        connections["s2-credly"]: credly},
                                 outbox.credentials("s2"), set())
    final = {row["id"]: row for row in rows}
    for row_id, row in leased.items():
        fake = fakes["credly" if row["connection_id"] == connections["s2-credly"] else "webhook"]
        arrivals = fake.arrivals_of(row["key"])
        lease_end = row["lease_expires_at"].replace(tzinfo=UTC).timestamp()
        resent = [when for when in arrivals if when > killed_at]
        if final[row_id]["attempts"] < 2 or not resent:
            problems.append(f"delivery {row_id} (leased by the dead worker) was not re-sent: "
                            f"attempts {final[row_id]['attempts']}, requests {len(arrivals)}")
        elif resent[0] < lease_end - 0.5:
            problems.append(f"delivery {row_id} was re-sent {lease_end - resent[0]:.1f} s "
                            "before its lease expired")
        if row_id in in_flight and len(arrivals) - len(resent) != 1:
            problems.append(f"delivery {row_id} was in flight when its worker died, but Credly "
                            f"saw {len(arrivals) - len(resent)} requests before the kill")
    problems += [f"{fake.name} saw concurrent requests for one key {n}×"
                 for fake in fakes.values() for n in fake.overlap.values() if n > 1]
    problems += [f"a task failed for good: {line[:300]}"
                 for line in logs_since(stack, marks).splitlines() if "raised unexpected" in line]
    beat_text = beat_log.read_text("utf-8", "replace")
    if "Sending due task openedx-microcred-sweep-deliveries" not in beat_text:
        problems.append(f"celery beat never sent the plugin's sweep:\n{beat_text[-2000:]}")
    assert_no_problems(problems, stack)
    recovered = max(credly.arrivals_of(final[row_id]["key"])[-1] for row_id in in_flight)
    # The dead worker's unacknowledged messages come back (as Redis' visibility timeout would
    # after an hour): they must find nothing to do.
    before = {k: (credly.attempts[k], credly.accepted[k]) for k in credly.attempts}
    restored = restore_dead_workers_messages(stack)
    after = {k: (credly.attempts[k], credly.accepted[k]) for k in credly.attempts}
    assert after == before, "a late redelivered task sent a delivered row again"
    assert all(row["status"] == "delivered"
               for row in outbox.deliveries(connections.values()))
    print(f"\nkill: {count} credentials; SIGKILLed {victim} executing deliveries "
          f"{sorted(active[victim])}, {sorted(leased)} leased, {sorted(in_flight)} waiting on "
          f"Credly; re-sent {recovered - killed_at:.1f} s after the kill (lease {LEASE} s) with "
          f"the same key, accepted once; {restored} unacknowledged messages restored afterwards, "
          "no effect")


def pick_victim(stack, broker: Celery, outbox: Outbox, credly: Tracked, connection_ids,
                timeout: float = 30.0) -> tuple[str, set[int], dict[str, list[int]]]:
    """The worker executing a delivery whose Credly request started less than a second ago
    (bounded wait): its name, those delivery ids, and every worker's executing deliveries."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = time.time()
        with credly.lock:
            fresh = {key for when, _, _, key in credly.arrivals
                     if key and credly.in_flight[key] and now - when < 1.0}
        if fresh:
            active = deliveries_by_worker(broker, stack)
            ids = {row["id"] for row in outbox.deliveries(connection_ids) if row["key"] in fresh}
            holders = {name: ids & set(held) for name, held in active.items()}
            victim = max(holders, key=lambda name: len(holders[name]), default=None)
            if victim is not None and holders[victim]:
                return victim, holders[victim], active
        time.sleep(0.02)
    pytest.fail(f"no worker held a Credly delivery in flight within {timeout} s\n"
                f"{stack.diagnostics()}", pytrace=False)


def restore_dead_workers_messages(stack) -> int:
    """Requeue messages a killed worker left unacknowledged; wait (bounded) until they ran."""
    if stack.broker_state() == (0, 0):
        return 0
    restored = restore_unacked(stack.broker_url, older_than=1)
    wait_drained(stack.broker_url, timeout=30, stable=1.5)
    return restored


@pytest.fixture
def _no_orphaned_messages(stack):
    """After a test that kills a worker, even a failed one: no message stays unacknowledged
    (the other tests' drivers wait for an empty ``unacked`` hash)."""
    yield
    with contextlib.suppress(TimeoutError):
        restore_dead_workers_messages(stack)


# ------------------------------------------------------------------------------------------------
# 3. Two workers racing for the same rows
# ------------------------------------------------------------------------------------------------

def test_duplicate_deliver_tasks_and_sweeps_send_each_row_once(stack, two_workers, broker,
                                                               outbox):
    """Each row's task 10× from five threads, with sweeps, on two workers: one request each."""
    learners = [f"s3-{i:02d}" for i in range(16)]
    both = learners[::2]
    credly_rate = 4
    with contextlib.ExitStack() as running:
        # The webhook answers in 0.3 s: duplicates arrive while its rows are leased. Credly
        # answers fast: only its rate limit spaces its records.
        webhook = running.enter_context(Webhook(hold=0.3).running())
        credly = running.enter_context(Credly(hold=0.05).running())
        fakes = {"webhook": webhook, "credly": credly}
        marks = stack.log_marks()
        report = run_driver(stack, "race", {
            "xmls": XMLS, "learners": learners,
            "connections": connection_specs("s3", fakes, {"credly": credly_rate}),
            "events": [passing(n, COURSE_A, i) for i, n in enumerate(learners)]
            + [passing(n, COURSE_B, 50 + i) for i, n in enumerate(both)],
            "threads": 3, "inline": True})
        connections = report["connections"]
        outbox.mine += connections.values()
        count = len(learners) + len(both)
        rows = outbox.deliveries(connections.values())
        assert len(rows) == 2 * count and {(r["status"], r["attempts"]) for r in rows} == {
            ("pending", 0)}, "the outbox rows should wait, untouched, for the race"
        ids = [row["id"] for row in rows]
        totals_before = deliver_totals(broker, stack)
        lanes, per_lane = 5, 2
        barrier = threading.Barrier(lanes + 1)
        errors: list[BaseException] = []

        def send(order: list[int]) -> None:
            try:
                barrier.wait(timeout=30)
                for delivery_id in order:
                    broker.send_task(DELIVER, args=(delivery_id,))
            except BaseException as error:  # pylint: disable=broad-except
                errors.append(error)

        def sweep() -> None:
            try:
                barrier.wait(timeout=30)
                for _ in range(10):
                    broker.send_task(SWEEP)
                    time.sleep(0.1)
            except BaseException as error:  # pylint: disable=broad-except
                errors.append(error)

        # Every lane sends the rows in the same order, each twice in a row: the copies of one
        # row reach all four pool processes of the two workers at the same moment.
        order = [delivery_id for delivery_id in ids for _ in range(per_lane)]
        threads = [threading.Thread(target=send, args=(order,)) for _ in range(lanes)]
        threads.append(threading.Thread(target=sweep))
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not errors and not any(t.is_alive() for t in threads), errors
        rows = outbox.wait_delivered(connections.values(), 2 * count, 60)
        elapsed = time.monotonic() - started
        sent = lanes * per_lane * len(ids)

        def ran_all() -> dict[str, int] | None:  # the late copies ran too
            totals = deliver_totals(broker, stack)
            ran = {name: totals[name] - totals_before.get(name, 0) for name in totals}
            return ran if sum(ran.values()) >= sent else None

        ran = wait_for(ran_all, 30, f"{sent} deliver tasks run", stack, interval=0.5)
    problems = registry_problems(rows, {connections["s3-webhook"]: webhook,
                                        connections["s3-credly"]: credly},
                                 outbox.credentials("s3"), set())
    for fake in fakes.values():
        resent = {k: n for k, n in fake.attempts.items() if n != 1}
        if resent:
            problems.append(f"{fake.name} got {len(resent)} keys more than once: {resent}")
        problems += [f"{fake.name}: {n} concurrent requests for key {k}"
                     for k, n in fake.overlap.items() if n > 1]
    problems += [f"delivery {r['id']} was claimed {r['attempts']}×" for r in rows
                 if r["attempts"] != 1]
    problems += [f"a task failed for good: {line[:300]}"
                 for line in logs_since(stack, marks).splitlines() if "raised unexpected" in line]
    if len([n for n in ran.values() if n > 0]) < 2:
        problems.append(f"the deliver tasks did not run on two workers: {ran}")
    # The rate limit (a fixed one-second window in the shared cache): each wall-clock second
    # takes at most ``credly_rate`` requests (+2: requests checked in the last milliseconds of a
    # second arrive in the next one), so the records spread over ceil(count / rate) seconds (-1:
    # the first may arrive a second late). Four pool processes each limited alone (a per-process
    # cache) let 7 or more through in a second here.
    times = sorted(when for when, method, _, _ in credly.arrivals if method == "POST")
    per_second = Counter(int(when) for when in times)
    busiest, seconds = max(per_second.values()), max(per_second) - min(per_second) + 1
    if busiest > credly_rate + 2:
        problems.append(f"Credly got {busiest} requests in one second (limit {credly_rate}/s; is "
                        "the limit shared by the workers?)")
    if seconds < -(-count // credly_rate) - 1:
        problems.append(f"Credly's {count} records arrived within {seconds} seconds (limit "
                        f"{credly_rate}/s)")
    assert_no_problems(problems, stack)
    print(f"\nrace: {len(ids)} rows, {lanes * per_lane * len(ids)} deliver tasks from {lanes} "
          f"threads + 10 sweeps, delivered in {elapsed:.1f} s; tasks run per worker {ran}; one "
          f"request per row; Credly at {credly_rate}/s: {count} records over {seconds} "
          f"seconds, at most {busiest} in one")
