"""
Phase 5, registry delivery throughput: ``openedx_microcred.delivery.drain()`` in ONE worker
process against a local webhook receiver in ANOTHER process (``webhook_server.py``), so the
receiver's CPU does not count against the worker.

Runs in a child process of ``run.py`` (``--worker delivery``) on its own fresh SQLite database:

1. migrate; import the sample programme ``tmu-preventive-medicine``; sign its realistic
   AchievementCredential once (``vc_sample``): every credential row stores that signed document;
2. start the receiver, then ``openedx_microcred.api.configure_registry(kind="webhook", …)`` at
   its URL, and raise the connection's ``rate_limit`` so the per-second limiter never defers a
   row (``MICROCRED_DELIVERY_*`` are set explicitly, to their production defaults);
3. per batch: learners and ``Credential`` rows in bulk, then ``outbox.write(credential,
   "issue")`` for each (the real outbox path: one ``Delivery`` row per active connection);
4. a warm-up batch is drained first (imports, the cached client, the keep-alive connection;
   its SQL queries are counted), then the timed batch: ``drain()`` from the first claim to the
   last recorded outcome, wall and CPU time of this process;
5. the receiver's counters: every idempotency key of the batch received exactly once, HMAC
   signatures valid, TCP connections accepted, and the arrival time of each request.
"""
from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import env
import stats
import vc_sample

HERE = Path(__file__).resolve().parent
SECRET = "bench-webhook-signing-secret-0123456789"  # noqa: S105 (a throwaway local secret)
# Set explicitly for the measurement (the production defaults of settings/common.py): a
# failed attempt is visible (retry/dead), never silently slow.
DELIVERY_SETTINGS = {
    "MICROCRED_DELIVERY_TIMEOUT": (3.05, 10),
    "MICROCRED_DELIVERY_LEASE_SECONDS": 120,
    "MICROCRED_DELIVERY_MAX_ATTEMPTS": 10,
    "MICROCRED_DELIVERY_BACKOFF_BASE": 5.0,
    "MICROCRED_DELIVERY_BACKOFF_CAP": 3600.0,
}
RATE_LIMIT = 1_000_000  # requests/s per connection: the limiter must not be what is measured

# (label, module path suffix, function name): inclusive time of the delivery steps.
DELIVERY_STEPS = [
    ("delivery.drain (total)", "openedx_microcred/delivery.py", "drain"),
    ("  claim (SELECT due row + UPDATE to sending, own transaction)",
     "openedx_microcred/delivery.py", "claim"),
    ("  attempt (everything after the claim)", "openedx_microcred/delivery.py", "attempt"),
    ("    _within_rate_limit (cache add + incr)", "openedx_microcred/delivery.py",
     "_within_rate_limit"),
    ("    client_for (fingerprint of the connection)", "openedx_microcred/delivery.py",
     "client_for"),
    ("    _payload (credential, mapping, programme, version, user reads)",
     "openedx_microcred/delivery.py", "_payload"),
    ("      platform.get_user_email", "openedx_microcred/platform/__init__.py",
     "get_user_email"),
    ("      platform.get_user_display_name", "openedx_microcred/platform/__init__.py",
     "get_user_display_name"),
    ("    WebhookClient.deliver (body, HMAC, HTTP round trip)",
     "openedx_microcred/registries/http.py", "deliver"),
    ("      webhook dumps (compact sorted JSON)", "openedx_microcred/registries/http.py",
     "dumps"),
    ("      requests Session.request (HTTP, urllib3)", "requests/sessions.py", "request"),
    ("  django.db QuerySet.update (claim CAS + outcome record)", "django/db/models/query.py",
     "update"),
]


class Receiver:
    """The webhook server process (``webhook_server.py``): start, read counters, stop."""

    def __init__(self, cpu: int | None):
        command = [sys.executable, str(HERE / "webhook_server.py"), "--secret", SECRET]
        if cpu is not None:
            command += ["--cpu", str(cpu)]
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        text=True, bufsize=1)
        line = self.process.stdout.readline()
        if not line.startswith("PORT "):
            self.stop()
            raise RuntimeError(f"the webhook server did not start (said {line!r})")
        self.port = int(line.split()[1])

    def stats(self) -> dict:
        self.process.stdin.write("stats\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                self.process.stdin.close()
                self.process.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait(timeout=10)


def _pin() -> tuple[int | None, int | None]:
    """Pin this worker to one CPU and choose another one for the receiver (None: not pinned)."""
    if not hasattr(os, "sched_setaffinity"):
        return None, None
    allowed = sorted(os.sched_getaffinity(0))
    worker = allowed[-1]
    os.sched_setaffinity(0, {worker})
    return worker, (allowed[0] if len(allowed) > 1 else None)


def _credentials(program, version, signed: dict, count: int, offset: int) -> list:
    """``count`` learners with an awarded credential each, bulk-inserted, storing ``signed``."""
    from decimal import Decimal

    from django.contrib.auth import get_user_model

    from openedx_microcred.models import Credential

    user_model = get_user_model()
    users = user_model.objects.bulk_create([
        user_model(username=f"learner{offset + i}", email=f"learner{offset + i}@example.edu",
                   first_name="Hua", last_name=f"Li {offset + i}") for i in range(count)])
    credits = Decimal(str(signed["credentialSubject"].get("creditsEarned", 14)))
    return Credential.objects.bulk_create([
        Credential(user_id=user.pk, program=program, version=version,
                   issued_at=vc_sample.ISSUED, credits_earned=credits, document=signed,
                   evidence=[{"path": "0.0", "kind": "course", "key": "course-v1:TMUx+PM101+2025",
                              "credits": "1", "achieved_at": None, "grade": 0.9}])
        for user in users])


def _outbox(credentials: list) -> list[str]:
    """``outbox.write`` for each credential (one transaction); the new rows' idempotency keys."""
    from django.db import transaction

    from openedx_microcred import outbox
    from openedx_microcred.models import Delivery

    with transaction.atomic():
        for credential in credentials:
            outbox.write(credential, Delivery.ISSUE)
    return [str(key) for key in Delivery.objects.filter(
        credential_id__in=[c.pk for c in credentials]).values_list("idempotency_key", flat=True)]


def _rates(arrivals: list[float]) -> dict:
    """Requests/s over the first and the last tenth of a run, from the server's arrival times."""
    n = len(arrivals)
    tenth = max(2, n // 10)
    if n < 4:
        return {}

    def rate(chunk: list[float]) -> float:
        return (len(chunk) - 1) / max(chunk[-1] - chunk[0], 1e-9)
    return {"first": rate(arrivals[:tenth]), "last": rate(arrivals[-tenth:]),
            "overall": rate(arrivals)}


def _claim_plan() -> str:
    """SQLite's plan for the claim's SELECT (a full scan grows with the table)."""
    from django.db import connection

    from openedx_microcred import delivery
    from openedx_microcred.models import Delivery

    query = (Delivery.objects.filter(delivery.due_filter()).order_by("next_attempt_at", "pk")
             .query)
    sql, params = query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql} LIMIT 1", params)
        return "; ".join(row[-1] for row in cursor.fetchall())


def delivery_worker(*, deliveries: int, warmup: int, profile_rows: int) -> dict:
    from django.conf import settings
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from openedx_microcred import api, delivery
    from openedx_microcred.credentials import proof
    from openedx_microcred.models import Delivery, Program, RegistryConnection

    worker_cpu, server_cpu = _pin()
    env.migrate()
    for name, value in DELIVERY_SETTINGS.items():
        setattr(settings, name, value)
    sample = vc_sample.build()
    api.import_programs([sample.program_xml])
    program = Program.objects.get(program_id=vc_sample.PROGRAM_ID)
    version = program.published_version
    signed = proof.sign(sample.unsigned, private_key=sample.private_key,
                        verification_method=sample.verification_method,
                        created=vc_sample.ISSUED)

    receiver = Receiver(server_cpu)
    try:
        connection_pk = api.configure_registry(
            kind="webhook", name="bench webhook",
            base_url=f"http://127.0.0.1:{receiver.port}/microcred/webhook", secret=SECRET)
        RegistryConnection.objects.filter(pk=connection_pk).update(rate_limit=RATE_LIMIT)
        offset = 0

        def batch(count: int) -> list[str]:
            nonlocal offset
            keys = _outbox(_credentials(program, version, signed, count, offset))
            offset += count
            return keys

        warm_keys = batch(warmup)
        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as captured:
            warm = delivery.drain()
        queries = len(captured.captured_queries) / max(warmup, 1)

        timed_keys = batch(deliveries)
        plan = _claim_plan()
        before = receiver.stats()
        gc.collect()
        cpu_start, wall_start = time.process_time(), time.perf_counter()
        result = delivery.drain()
        wall, cpu = time.perf_counter() - wall_start, time.process_time() - cpu_start
        after = receiver.stats()
        received = set(after["keys"]) - set(before["keys"])

        profile = None
        if profile_rows:
            batch(profile_rows)
            profiled = stats.profile(delivery.drain)
            profile = {
                "steps": stats.step_table(profiled, DELIVERY_STEPS, profile_rows),
                "top": stats.top_functions(profiled, 10),
                "packages": stats.own_time_by_package(profiled, 10),
                "deliveries": profile_rows,
            }
        final = receiver.stats()
    finally:
        receiver.stop()

    by_status = dict(Delivery.objects.filter(idempotency_key__in=timed_keys)
                     .values_list("status").annotate(n=_count()))
    requests = after["requests"] - before["requests"]
    return {
        "deliveries": deliveries, "warmup": warmup, "worker_cpu": worker_cpu,
        "server_cpu": server_cpu, "wall_s": wall, "cpu_s": cpu,
        "attempted": result.attempted, "delivered": result.delivered, "dead": result.dead,
        "pending": result.pending, "by_status": by_status,
        "warm": {"attempted": warm.attempted, "delivered": warm.delivered,
                 "keys": len(warm_keys), "queries_per_delivery": queries},
        "server": {
            "requests": requests, "received_keys": len(received),
            "expected_received": len(received & set(timed_keys)),
            "unknown_keys": len(received - set(timed_keys)),
            "repeated_keys": final["repeated_keys"],
            "bad_signatures": final["bad_signatures"], "key_mismatches": final["key_mismatches"],
            "connections_total": final["connections"],
            "connections_timed": after["connections"] - before["connections"],
            "body_bytes": (after["body_bytes"] - before["body_bytes"]) / max(requests, 1),
            "cpu_s": after["cpu_s"] - before["cpu_s"],
            "rates": _rates(after["arrivals"][before["requests"]:]),
        },
        "document_bytes": len(json.dumps(signed, ensure_ascii=False).encode()),
        "claim_plan": plan, "profile": profile,
        "settings": {name: getattr(settings, name) for name in DELIVERY_SETTINGS},
        "rate_limit": RegistryConnection.objects.get(pk=connection_pk).rate_limit,
        "cache": settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1],
    }


def _count():
    from django.db.models import Count

    return Count("id")
