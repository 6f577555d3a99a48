"""
Phase 5, registry delivery throughput: ``openedx_microcred.delivery.drain()`` in ONE worker
process against a local webhook receiver in ANOTHER process (``webhook_server.py``), so the
receiver's CPU does not count against the worker.

Runs in a child process of ``run.py`` (``--worker delivery``) on its own fresh SQLite database:

1. migrate; import the sample programme ``tmu-preventive-medicine``; create the org's issuer
   key (``issuers.signer_for``) and sign the realistic AchievementCredential (``vc_sample``)
   with it once: every credential row stores that signed document and the real evidence;
2. start the receiver, then ``openedx_microcred.api.configure_registry(kind="webhook", …)`` at
   its URL, and raise the connection's ``rate_limit`` so the per-second limiter never defers a
   row (``MICROCRED_DELIVERY_*`` are set explicitly);
3. per batch: learners and ``Credential`` rows in bulk, then ``outbox.write(credential,
   "issue")`` for each (the real outbox path: one ``Delivery`` row per active connection);
4. timed drains, each after a warm-up drain (imports, caches, the client and its keep-alive
   connection; the warm-ups count SQL queries), wall and CPU time of this process from the
   first claim to the last recorded outcome:

   * "CLR stored": rows whose signed CLR is already stored (``signing.clr_for`` ran for one
     credential; its CLR is stored on every row): claim, payload, HTTP, record;
   * "first delivery": rows as issuance leaves them (no CLR yet): the delivery builds and
     signs the CLR on first use (``signing.clr_for`` from ``delivery._payload``);
5. the receiver's counters: every idempotency key of the batch received exactly once, HMAC
   signatures valid, TCP connections accepted, and the arrival time of each request.
"""
from __future__ import annotations

import gc
import json
import logging
import os
import select
import subprocess
import sys
import time
from pathlib import Path

import env
import stats
import vc_sample
from targets import DELIVERY_RATE

HERE = Path(__file__).resolve().parent
SECRET = "bench-webhook-signing-secret-0123456789"  # noqa: S105 (a throwaway local secret)
# Set explicitly for the measurement (the production defaults of settings/common.py, but the
# backoff base).
DELIVERY_SETTINGS = {
    "MICROCRED_DELIVERY_TIMEOUT": (3.05, 10),
    "MICROCRED_DELIVERY_LEASE_SECONDS": 120,
    "MICROCRED_DELIVERY_MAX_ATTEMPTS": 10,
    # Not the default (5 s): a failed attempt must come back after the timed drain, not inside
    # it (drain() attempts every row that is due), so a failure shows as "retry", not as time.
    "MICROCRED_DELIVERY_BACKOFF_BASE": 60.0,
    "MICROCRED_DELIVERY_BACKOFF_CAP": 3600.0,
}
PROFILED_DELIVERIES = 500  # profiled drain, CLR already stored
PROFILED_FIRST = 20  # profiled drain, first deliveries (CLR built and signed on first use)
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
    ("      signing.clr_for (CLR built and signed on first use)",
     "openedx_microcred/signing.py", "clr_for"),
    ("        proof.sign (eddsa-rdfc-2022)", "openedx_microcred/credentials/proof.py", "sign"),
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
        try:
            line = self._readline()
        except RuntimeError:
            self.stop()
            raise
        if not line.startswith("PORT "):
            self.stop()
            raise RuntimeError(f"the webhook server did not start (said {line!r})")
        self.port = int(line.split()[1])

    def stats(self) -> dict:
        self.process.stdin.write("stats\n")
        self.process.stdin.flush()
        return json.loads(self._readline())

    def _readline(self, timeout: float = 60.0) -> str:
        """One line from the server, or RuntimeError: never hang the bench on a dead server."""
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        if not ready:
            raise RuntimeError(f"the webhook server said nothing within {timeout:.0f} s")
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the webhook server exited ({self.process.poll()})")
        return line

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


def _credentials(program, version, sample: vc_sample.Sample, signed: dict, clr: dict | None,
                 count: int, offset: int) -> list:
    """``count`` learners with an awarded credential each, bulk-inserted: the signed document
    (and the signed CLR, when given) stored as issuance (and a first delivery) store them."""
    from decimal import Decimal

    from django.contrib.auth import get_user_model

    from openedx_microcred.models import Credential

    user_model = get_user_model()
    users = user_model.objects.bulk_create([
        user_model(username=f"learner{offset + i}", email=f"learner{offset + i}@example.edu",
                   first_name="Hua", last_name=f"Li {offset + i}") for i in range(count)])
    credits = sum((item.credits for item in sample.evidence), Decimal(0))
    evidence = sample.evidence_json()
    return Credential.objects.bulk_create([
        Credential(user_id=user.pk, program=program, version=version,
                   issued_at=vc_sample.ISSUED, credits_earned=credits, document=signed,
                   clr_document=clr, evidence=evidence)
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


def _claim_sql() -> tuple[str, list]:
    """The claim's SELECT (``claim_batch``: pending due rows, oldest first, a batch of 50)."""
    from openedx_microcred import delivery
    from openedx_microcred.models import Delivery

    # The product's first claim query: pending rows in (status, next_attempt_at) index order.
    query = (Delivery.objects.filter(status=Delivery.PENDING,
                                     next_attempt_at__lte=delivery.timezone.now())
             .order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:50].query)
    sql, params = query.sql_with_params()
    return sql, list(params)


def _claim_plan() -> str:
    """SQLite's plan for the claim's SELECT."""
    from django.db import connection

    sql, params = _claim_sql()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return "; ".join(row[-1] for row in cursor.fetchall())


def _claim_select_us(repeat: int = 200) -> dict:
    """SQLite time of the claim's SELECT as plain SQL on the cursor (no ORM), now."""
    from django.db import connection

    from openedx_microcred import delivery
    from openedx_microcred.models import Delivery

    sql, params = _claim_sql()
    due = Delivery.objects.filter(delivery.due_filter()).count()
    with connection.cursor() as cursor:
        start = time.perf_counter()
        for _ in range(repeat):
            cursor.execute(sql, params)
            cursor.fetchall()
        return {"due": due, "us": (time.perf_counter() - start) / repeat * 1e6}


def _estimates(signed: dict, clr: dict, repeat: int = 200) -> dict:
    """CPU time of pieces of one delivery, measured alone (no profiler): the JSON round trip
    of the stored documents, reading the credential row with and without them, and what
    ``requests`` does per request to read proxy settings from the environment (trust_env)."""
    import requests

    from openedx_microcred.models import Credential
    from openedx_microcred.registries.http import dumps

    stored_document, stored_clr = json.dumps(signed), json.dumps(clr)
    body = {"credential": signed, "clr": clr, "event": "credential.issued", "id": "x"}
    credential_pk = Credential.objects.exclude(clr_document=None).values_list(
        "pk", flat=True).first()
    session = requests.Session()

    def cpu_us(step) -> float:
        start = time.process_time()
        for _ in range(repeat):
            step()
        return (time.process_time() - start) / repeat * 1e6

    out = {
        "decode_us": cpu_us(lambda: (json.loads(stored_document), json.loads(stored_clr))),
        "encode_us": cpu_us(lambda: dumps(body)),
        "row_us": cpu_us(lambda: Credential.objects.get(pk=credential_pk)),
        "row_deferred_us": cpu_us(lambda: Credential.objects.defer(
            "document", "clr_document", "evidence").get(pk=credential_pk)),
        "environment_us": cpu_us(lambda: session.merge_environment_settings(
            "http://127.0.0.1:9/", {}, None, None, None)),
    }
    session.trust_env = False
    out["environment_off_us"] = cpu_us(lambda: session.merge_environment_settings(
        "http://127.0.0.1:9/", {}, None, None, None))
    session.close()
    return out


class _Logs(logging.Handler):
    """Collects the product's warnings instead of printing them (a failing receiver would
    otherwise print a traceback per attempt); the report shows the count and the first ones."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0
        self.first: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        if len(self.first) < 3:
            self.first.append(record.getMessage()[:300])


def delivery_worker(*, deliveries: int, first_deliveries: int, warmup: int,
                    profile: str = "auto") -> dict:
    from django.conf import settings

    from openedx_microcred import api, issuers, signing
    from openedx_microcred.credentials import proof
    from openedx_microcred.models import Program, RegistryConnection

    worker_cpu, server_cpu = _pin()
    env.migrate()
    for name, value in DELIVERY_SETTINGS.items():
        setattr(settings, name, value)
    logger = logging.getLogger("openedx_microcred")
    logs, handlers = _Logs(), logger.handlers[:]
    logger.handlers = [logs]

    xml = vc_sample.PROGRAM_XML.read_bytes()
    api.import_programs([xml])
    program = Program.objects.get(program_id=vc_sample.PROGRAM_ID)
    version = program.published_version
    # The org's real key (created in the database, as at the first issuance): the CLR built on
    # first delivery is signed by the key that signed the credential.
    signer = issuers.signer_for(vc_sample.ORG)
    sample = vc_sample.build(private_key=signer.private_key, did=signer.did)
    signed = proof.sign(sample.unsigned, private_key=signer.private_key,
                        verification_method=signer.verification_method,
                        created=vc_sample.ISSUED)

    receiver = Receiver(server_cpu)
    out: dict = {"worker_cpu": worker_cpu, "server_cpu": server_cpu, "warmup": warmup}
    try:
        connection_pk = api.configure_registry(
            kind="webhook", name="bench webhook",
            base_url=f"http://127.0.0.1:{receiver.port}/microcred/webhook", secret=SECRET)
        RegistryConnection.objects.filter(pk=connection_pk).update(rate_limit=RATE_LIMIT)
        offset = 0

        def batch(count: int, clr: dict | None) -> list[str]:
            nonlocal offset
            keys = _outbox(_credentials(program, version, sample, signed, clr, count, offset))
            offset += count
            return keys

        # One credential's CLR, built and signed by the product: stored on the "CLR already
        # stored" rows (its delivery row is drained with the warm-up).
        seed = _credentials(program, version, sample, signed, None, 1, offset)[0]
        offset += 1
        _outbox([seed])
        clr = signing.clr_for(seed)

        out["warm"] = _drain(receiver, batch(warmup, clr), count_queries=True)
        keys = batch(deliveries, clr)
        claim_full = _claim_select_us()
        out["stored"] = _drain(receiver, keys)
        out["claim_select"] = [_claim_select_us(), claim_full]
        out["warm_first"] = _drain(receiver, batch(max(2, warmup // 20), None),
                                   count_queries=True)
        out["first"] = _drain(receiver, batch(first_deliveries, None))
        out["claim_plan"] = _claim_plan()
        out["estimates"] = _estimates(signed, clr)
        for label, rows, stored in (
                ("stored", min(PROFILED_DELIVERIES, max(50, deliveries // 4)), clr),
                ("first", min(PROFILED_FIRST, max(5, first_deliveries // 3)), None)):
            rate = out[label]["delivered"] / out[label]["wall_s"]
            if profile == "always" or (profile == "auto" and rate < DELIVERY_RATE):
                batch(rows, stored)
                profiled = stats.profile(_drain_quietly)
                out[f"profile_{label}"] = {
                    "steps": stats.step_table(profiled, DELIVERY_STEPS, rows),
                    "top": stats.top_functions(profiled, 10),
                    "packages": stats.own_time_by_package(profiled, 10), "deliveries": rows,
                }
        final = receiver.stats()
    finally:
        receiver.stop()
        logger.handlers = handlers
    out.update({
        "repeated_keys": final["repeated_keys"], "bad_signatures": final["bad_signatures"],
        "key_mismatches": final["key_mismatches"], "connections_total": final["connections"],
        "server_requests_total": final["requests"],
        "document_bytes": len(json.dumps(signed, ensure_ascii=False).encode()),
        "clr_bytes": len(json.dumps(clr, ensure_ascii=False).encode()),
        "clr_credentials": len(clr["credentialSubject"]["verifiableCredential"]),
        "settings": {name: getattr(settings, name) for name in DELIVERY_SETTINGS},
        "rate_limit": RegistryConnection.objects.get(pk=connection_pk).rate_limit,
        "cache": settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1],
        "logs": {"warnings": logs.count, "first": logs.first},
    })
    return out


def _drain_quietly() -> None:
    from openedx_microcred import delivery

    delivery.drain()


def _drain(receiver: Receiver, keys: list[str], *, count_queries: bool = False) -> dict:
    """``delivery.drain()`` over the rows just written (``keys``), timed, with what the
    receiver saw meanwhile."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from openedx_microcred import delivery
    from openedx_microcred.models import Delivery

    before = receiver.stats()
    gc.collect()
    queries = None
    if count_queries:  # the query log slows every query: never on a timed drain
        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as captured:
            cpu_start, wall_start = time.process_time(), time.perf_counter()
            result = delivery.drain()
            wall, cpu = time.perf_counter() - wall_start, time.process_time() - cpu_start
        queries = len(captured.captured_queries) / max(result.attempted, 1)
    else:
        cpu_start, wall_start = time.process_time(), time.perf_counter()
        result = delivery.drain()
        wall, cpu = time.perf_counter() - wall_start, time.process_time() - cpu_start
    after = receiver.stats()
    received = set(after["keys"]) - set(before["keys"])
    wanted = set(keys)
    requests = after["requests"] - before["requests"]
    by_status = dict(Delivery.objects.filter(idempotency_key__in=keys)
                     .values_list("status").annotate(n=_count()))
    return {
        "rows": len(keys), "wall_s": wall, "cpu_s": cpu, "attempted": result.attempted,
        "delivered": result.delivered, "dead": result.dead, "pending": result.pending,
        "by_status": by_status, "queries_per_delivery": queries,
        "requests": requests, "received_expected": len(received & wanted),
        "received_unknown": len(received - wanted),
        "connections": after["connections"] - before["connections"],
        "body_bytes": (after["body_bytes"] - before["body_bytes"]) / max(requests, 1),
        "server_cpu_s": after["cpu_s"] - before["cpu_s"],
        "rates": _rates(after["arrivals"][before["requests"]:]),
    }
def _count():
    from django.db.models import Count

    return Count("id")
