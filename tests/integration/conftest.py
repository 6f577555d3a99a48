"""
The production-like stack for the integration suite, once per session.

``stack`` checks that MariaDB (127.0.0.1:3306, root) and Redis (127.0.0.1:6379) answer — failing,
never skipping, when they do not — then creates a fresh utf8mb4 database with a unique name,
claims an empty Redis database number (so parallel runs and the developer's data never meet),
migrates, and starts two ``celery -A sandbox worker`` processes (every process of the stack runs
with ``tests.integration.settings``: the sandbox's, with delivery timings for tests). Teardown
stops the workers (TERM, then KILL), drops the database and flushes the Redis database. Every
wait is bounded.

Logs live in a temporary directory that failures print (``Stack.diagnostics``).
"""
from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MYSQL = {"host": "127.0.0.1", "port": 3306, "user": "root", "password": ""}
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
CLAIM_KEY = "microcred-integration:claim"
WORKER_START_TIMEOUT = 60
WORKER_STOP_TIMEOUT = 15
#: ``sandbox.settings`` plus delivery timings for tests and a Redis cache (see the module).
SETTINGS_MODULE = "tests.integration.settings"


@dataclass
class Worker:
    name: str  # short name (w1); ``nodename`` is what Celery answers to
    nodename: str
    process: subprocess.Popen
    log: Path


class Stack:
    """A MariaDB database, a Redis database number and Celery workers for one test session."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.run_id = f"{os.getpid()}_{secrets.token_hex(3)}"
        self.db_name = f"microcred_it_{self.run_id}"
        self.redis_db: int | None = None
        self.workers: dict[str, Worker] = {}
        self.retired: list[Worker] = []
        self.driver_runs = 0

    # -- environment -------------------------------------------------------------------------

    @property
    def broker_url(self) -> str:
        return f"redis://{REDIS_HOST}:{REDIS_PORT}/{self.redis_db}"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
        env.update(MICROCRED_DB="mysql", MICROCRED_DB_NAME=self.db_name,
                   MICROCRED_DB_HOST=MYSQL["host"], MICROCRED_DB_PORT=str(MYSQL["port"]),
                   MICROCRED_DB_USER=MYSQL["user"], MICROCRED_DB_PASSWORD=MYSQL["password"],
                   MICROCRED_BROKER_URL=self.broker_url, DJANGO_SETTINGS_MODULE=SETTINGS_MODULE,
                   PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])),
                   PYTHONUNBUFFERED="1")
        return env

    def mysql(self, database: str | None = None):
        import pymysql

        kwargs = {"database": database} if database else {}
        return pymysql.connect(connect_timeout=5, charset="utf8mb4", **MYSQL, **kwargs)

    def redis(self, db: int | None = None):
        import redis

        return redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=self.redis_db if db is None else db,
                           socket_timeout=10, socket_connect_timeout=5)

    # -- setup and teardown ------------------------------------------------------------------

    def check_services(self) -> None:
        try:
            self.mysql().close()
        except Exception as error:  # pylint: disable=broad-except
            pytest.fail(f"MariaDB is not reachable at {MYSQL['host']}:{MYSQL['port']} as "
                        f"{MYSQL['user']!r} with an empty password: {error}. The integration "
                        "suite needs it (and Redis): start it, or deselect with -m 'not "
                        "integration'.", pytrace=False)
        try:
            self.redis(db=0).ping()
        except Exception as error:  # pylint: disable=broad-except
            pytest.fail(f"Redis is not reachable at {REDIS_HOST}:{REDIS_PORT}: {error}. The "
                        "integration suite needs it (and MariaDB): start it, or deselect with "
                        "-m 'not integration'.", pytrace=False)

    def claim_redis_db(self) -> None:
        """An empty database number 1..15, claimed atomically (SET NX) against parallel runs."""
        import redis

        for number in range(1, 16):
            client = self.redis(db=number)
            try:
                if client.dbsize() == 0 and client.set(CLAIM_KEY, self.run_id, nx=True):
                    self.redis_db = number
                    return
            except redis.ResponseError:  # fewer databases configured
                break
            finally:
                client.close()
        pytest.fail("no empty Redis database among 1..15 to run the integration suite in",
                    pytrace=False)

    def create_database(self) -> None:
        connection = self.mysql()
        try:
            connection.cursor().execute(f"CREATE DATABASE `{self.db_name}` CHARACTER SET utf8mb4 "
                                        "COLLATE utf8mb4_unicode_ci")
        finally:
            connection.close()

    def migrate(self) -> None:
        log = self.tmp / "migrate.log"
        with log.open("wb") as out:
            result = subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
                                    cwd=REPO, env=self.env(), stdout=out, stderr=subprocess.STDOUT,
                                    timeout=180, check=False)
        if result.returncode:
            pytest.fail(f"migrate failed ({result.returncode}):\n{_tail(log)}", pytrace=False)

    def deadlocks(self) -> int:
        """MariaDB's server-wide deadlock counter (for the report; other clients may add to it)."""
        connection = self.mysql()
        try:
            cursor = connection.cursor()
            cursor.execute("SHOW GLOBAL STATUS LIKE 'Innodb_deadlocks'")
            row = cursor.fetchone()
            return int(row[1]) if row else -1
        finally:
            connection.close()

    def latest_deadlock(self) -> str:
        """The statements of the latest deadlock InnoDB detected (server-wide), or ""."""
        connection = self.mysql()
        try:
            cursor = connection.cursor()
            cursor.execute("SHOW ENGINE INNODB STATUS")
            status = cursor.fetchone()[2]
        finally:
            connection.close()
        section = status.split("LATEST DETECTED DEADLOCK", 1)[1:]
        if not section:
            return ""
        section = section[0].split("\nTRANSACTIONS\n", 1)[0]
        wanted = ("SELECT", "INSERT", "UPDATE", "DELETE", "RECORD LOCKS", "*** WE ROLL BACK")
        lines = [line.strip()[:200] for line in section.splitlines()
                 if line.strip().startswith(wanted)]
        return "\n".join(dict.fromkeys(lines))  # in order, without repeats

    def teardown(self) -> list[str]:
        errors = []
        for worker in list(self.workers.values()):
            try:
                self.stop_worker(worker.name)
            except Exception as error:  # pylint: disable=broad-except
                errors.append(f"stopping {worker.name}: {error}")
        try:
            connection = self.mysql()
            connection.cursor().execute(f"DROP DATABASE IF EXISTS `{self.db_name}`")
            connection.close()
        except Exception as error:  # pylint: disable=broad-except
            errors.append(f"dropping {self.db_name}: {error}")
        if self.redis_db is not None:
            try:
                client = self.redis()
                client.flushdb()
                client.close()
            except Exception as error:  # pylint: disable=broad-except
                errors.append(f"flushing Redis db {self.redis_db}: {error}")
        return errors

    # -- workers -------------------------------------------------------------------------------

    def start_worker(self, name: str) -> Worker:
        nodename = f"{name}-{self.run_id}@{socket.gethostname()}"
        log = self.tmp / f"worker-{name}.log"
        out = log.open("ab")
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "sandbox", "worker", "--pool=prefork",
             "--concurrency=2", "-n", nodename, "--without-gossip", "--without-mingle",
             "--without-heartbeat", "--loglevel=warning"],
            cwd=REPO, env=self.env(), stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True)  # its own process group: teardown kills the pool with it
        out.close()
        worker = self.workers[name] = Worker(name, nodename, process, log)
        return worker

    def wait_ready(self, names: list[str], timeout: float = WORKER_START_TIMEOUT) -> None:
        """Bounded wait until every named worker answers a broadcast ``ping``."""
        from celery import Celery

        probe = Celery("microcred-integration-probe", broker=self.broker_url, set_as_current=False)
        probe.conf.broker_connection_retry_on_startup = True
        wanted = {self.workers[name].nodename for name in names}
        deadline = time.monotonic() + timeout
        try:
            while True:
                for name in names:
                    worker = self.workers[name]
                    if worker.process.poll() is not None:
                        pytest.fail(f"worker {name} exited ({worker.process.returncode}) while "
                                    f"starting:\n{_tail(worker.log)}", pytrace=False)
                replies = probe.control.ping(destination=sorted(wanted), timeout=1.0) or []
                answered = {node for reply in replies for node in reply}
                if wanted <= answered:
                    return
                if time.monotonic() > deadline:
                    pytest.fail(f"workers {sorted(wanted - answered)} did not answer a ping in "
                                f"{timeout} s\n{self.diagnostics()}", pytrace=False)
        finally:
            probe.close()

    def stop_worker(self, name: str) -> None:
        """Warm shutdown (TERM), bounded; then KILL the whole process group."""
        worker = self.workers.pop(name)
        self.retired.append(worker)
        if worker.process.poll() is None:
            _signal_group(worker.process, signal.SIGTERM)
            try:
                worker.process.wait(timeout=WORKER_STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                pass
        _signal_group(worker.process, signal.SIGKILL)  # leftover pool children too
        try:
            worker.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass

    def kill_worker(self, name: str) -> None:
        """SIGKILL a worker and its pool at once: no warm shutdown, nothing acknowledged."""
        worker = self.workers.pop(name)
        self.retired.append(worker)
        _signal_group(worker.process, signal.SIGKILL)
        worker.process.wait(timeout=10)

    def kill_pool_children(self, name: str) -> list[int]:
        """SIGKILL the prefork pool processes of a worker (the worker itself replaces them)."""
        pids = _children(self.workers[name].process.pid)
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return pids

    def worker_log(self, name: str) -> str:
        """The whole log of worker ``name`` (running or not)."""
        worker = self.workers.get(name) or next(w for w in self.retired if w.name == name)
        return worker.log.read_text("utf-8", "replace")

    def log_marks(self) -> dict[str, int]:
        """Where each live worker's log ends now (for ``task_failures``)."""
        return {name: w.log.stat().st_size for name, w in self.workers.items()}

    def task_failures(self, marks: dict[str, int]) -> list[str]:
        """Tasks that failed for good (retries exhausted or not retried) since ``marks``."""
        failures = []
        for worker in [*self.workers.values(), *self.retired]:
            with worker.log.open("rb") as log:
                log.seek(marks.get(worker.name, 0))
                text = log.read().decode("utf-8", "replace")
            failures += [f"{worker.name}: {line[:300]}" for line in text.splitlines()
                         if "raised unexpected" in line]
        return failures

    # -- the driver ------------------------------------------------------------------------------

    def start_driver(self, spec: dict) -> DriverRun:
        self.driver_runs += 1
        stem = self.tmp / f"driver-{self.driver_runs}-{spec['name']}"
        paths = {k: stem.with_suffix(f".{k}") for k in ("spec", "out", "status", "log")}
        paths["spec"].write_text(json.dumps(spec), "utf-8")
        log = paths["log"].open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.integration.driver", str(paths["spec"]),
             str(paths["out"]), str(paths["status"])],
            cwd=REPO, env=self.env(), stdout=log, stderr=subprocess.STDOUT)
        log.close()
        return DriverRun(self, process, paths)

    def run_driver(self, spec: dict, timeout: float = 240) -> dict:
        return self.start_driver(spec).wait(timeout)

    def broker_state(self) -> tuple[int, int]:
        from .driver import broker_state

        client = self.redis()
        try:
            return broker_state(client)
        finally:
            client.close()

    def diagnostics(self) -> str:
        parts = [f"integration logs in {self.tmp} (database {self.db_name}, "
                 f"Redis db {self.redis_db})"]
        for worker in [*self.workers.values(), *self.retired]:
            parts.append(f"--- worker {worker.name} ({worker.nodename}), exit "
                         f"{worker.process.poll()}:\n{_tail(worker.log)}")
        for log in sorted(self.tmp.glob("driver-*.log")):
            parts.append(f"--- {log.name}:\n{_tail(log)}")
        return "\n".join(parts)


class DriverRun:
    """A running driver subprocess."""

    def __init__(self, stack: Stack, process: subprocess.Popen, paths: dict[str, Path]):
        self.stack, self.process, self.paths = stack, process, paths

    def phase(self) -> str:
        try:
            return self.paths["status"].read_text("utf-8")
        except FileNotFoundError:
            return ""

    def wait_phase(self, words: set[str], timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while (phase := self.phase()) not in words:
            if self.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the driver did not reach {sorted(words)} (at {phase!r}, exit "
                            f"{self.process.poll()})\n{self.stack.diagnostics()}", pytrace=False)
            time.sleep(0.05)
        return phase

    def wait(self, timeout: float) -> dict:
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
            pytest.fail(f"the driver did not finish in {timeout} s\n{self.stack.diagnostics()}",
                        pytrace=False)
        if self.process.returncode == 3:
            summary = json.loads(self.paths["out"].read_text("utf-8"))
            pytest.fail(f"the queue did not drain: {summary.get('drain_error')}\n"
                        f"{self.stack.diagnostics()}", pytrace=False)
        if self.process.returncode:
            pytest.fail(f"the driver failed ({self.process.returncode}):\n"
                        f"{_tail(self.paths['log'], 6000)}", pytrace=False)
        return json.loads(self.paths["out"].read_text("utf-8"))


def _signal_group(process: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(process.pid, sig)  # start_new_session: the group id is the worker's pid
    except (ProcessLookupError, PermissionError):
        pass


def _children(pid: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            children.append(int(entry.name))
    return sorted(children)


def _tail(path: Path, size: int = 3000) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return "(no log)"
    text = data[-size:].decode("utf-8", "replace")
    return ("…" if len(data) > size else "") + text


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    """MariaDB database + Redis db + two Celery workers (w1, w2), ready to take tasks."""
    stack = Stack(tmp_path_factory.mktemp("microcred-integration"))
    stack.check_services()
    stack.claim_redis_db()
    try:
        stack.create_database()
        stack.migrate()
        for name in ("w1", "w2"):
            stack.start_worker(name)
        stack.wait_ready(["w1", "w2"])
        yield stack
    finally:
        errors = stack.teardown()
        if errors:
            print("integration teardown problems:", *errors, sep="\n  ")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"_report_{report.when}", report)
    return report


@pytest.fixture(autouse=True)
def _diagnostics_on_failure(request, stack):
    """Print the workers' and the driver's logs after a failed integration test."""
    yield
    report = getattr(request.node, "_report_call", None)
    if report is not None and report.failed:
        print(stack.diagnostics())
