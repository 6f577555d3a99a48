"""
The delivery engine: outbox rows → registry clients → external systems.

One attempt = claim (a short transaction: ``select_for_update(skip_locked=True)`` plus a
compare-and-set to ``sending`` with a lease) → HTTP outside any transaction → record the
outcome. So:

* two workers never send one row at the same time (the claim is exclusive);
* a worker killed mid-request leaves a ``sending`` row whose lease expires; the row is due again
  and is re-sent with the same idempotency key, which the registry de-duplicates;
* retryable failures (connection, timeout, 5xx, 408/409/429) back off exponentially with jitter
  (``Retry-After`` honoured); permanent ones (401/403/other 4xx) and exhausted attempts become
  dead letters, with the last error kept for the admin's "redeliver" action;
* an issue whose credential fails its own verification (``verification.verify``) is never
  sent: it is held as a dead letter that says why.
"""
from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from . import encryption, platform, registries, signing, verification
from .conf import setting
from .models import Credential, Delivery, RegistryConnection, RegistryProgramMapping
from .registries import DeliveryPayload, RegistryError

log = logging.getLogger(__name__)

DELIVERED, RETRY, DEAD, DEFERRED, SKIPPED = "delivered", "retry", "dead", "deferred", "skipped"


@dataclass(frozen=True)
class DrainResult:
    """What ``drain`` did."""

    attempted: int
    delivered: int
    dead: int
    pending: int


def due_filter(now=None) -> Q:
    """Rows that may be attempted now: pending and due, or sending with an expired lease."""
    now = now or timezone.now()
    return (Q(status=Delivery.PENDING, next_attempt_at__lte=now)
            | Q(status=Delivery.SENDING, lease_expires_at__lte=now))


def due_ids(limit: int = 1000) -> list[int]:
    """Ids of due rows, oldest first (for the sweep)."""
    return list(Delivery.objects.filter(due_filter()).order_by("next_attempt_at", "pk")
                .values_list("pk", flat=True)[:limit])


def deliver(delivery_id: int | None = None) -> str:
    """Attempt one delivery (``delivery_id``, or the oldest due row); return the outcome.

    ``skipped`` when the row is not due or another worker holds it.
    """
    batch = claim_batch(1, delivery_id=delivery_id)
    return attempt(batch[0], batch.context) if batch else SKIPPED


class Batch(list):
    """Claimed rows (with their credential, programme, version and connection loaded) and the
    context their payloads need, read with one query per kind for the whole batch."""

    def __init__(self, rows: list[Delivery], lease: datetime):
        super().__init__(rows)
        self.lease = lease
        self.context = _Context(rows)


def claim_batch(limit: int, *, delivery_id: int | None = None) -> Batch:
    """Lease up to ``limit`` due rows for this worker (oldest first)."""
    now = timezone.now()
    lease = now + timedelta(seconds=setting("MICROCRED_DELIVERY_LEASE_SECONDS"))
    with transaction.atomic():
        ids = _due_ids_locked(now, limit, delivery_id)
        if not ids:
            return Batch([], lease)
        # One conditional UPDATE claims them all; the due filter again makes it a compare-and-set,
        # so databases without row locks (SQLite) stay exclusive too. The lease timestamp marks
        # which rows this claim took.
        Delivery.objects.filter(due_filter(now), pk__in=ids).update(
            status=Delivery.SENDING, lease_expires_at=lease, attempts=F("attempts") + 1)
    rows = list(Delivery.objects.filter(pk__in=ids, status=Delivery.SENDING,
                                        lease_expires_at=lease)
                .select_related("credential__program", "credential__version",
                                "credential__status_list", "connection")
                .defer("credential__clr_document", "credential__evidence")
                .order_by("next_attempt_at", "pk"))
    return Batch(rows, lease)


def _due_ids_locked(now: datetime, limit: int, delivery_id: int | None) -> list[int]:
    """Due ids, locked (``skip_locked``): pending rows by the (status, next_attempt_at) index,
    then rows whose lease expired — two index scans rather than one sort of an OR."""
    base = Delivery.objects.select_for_update(skip_locked=True)
    if delivery_id is not None:
        base = base.filter(pk=delivery_id)
    ids = list(base.filter(status=Delivery.PENDING, next_attempt_at__lte=now)
               .order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit])
    if len(ids) < limit:
        ids += list(base.filter(status=Delivery.SENDING, lease_expires_at__lte=now)
                    .order_by("lease_expires_at", "pk")
                    .values_list("pk", flat=True)[:limit - len(ids)])
    return ids


def attempt(row: Delivery, context: _Context | None = None) -> str:
    """Send a claimed row and record the outcome."""
    connection = row.connection
    waiting = _waiting_for_issue(row)
    if waiting == DEAD:
        return _dead(row, "the credential's issue to this registry was never delivered")
    if waiting or not _within_rate_limit(connection):
        return _release(row, seconds=1.0)  # not an attempt: try again shortly
    held = _fails_own_verification(row)
    if held:
        return _dead(row, held)
    try:
        client = client_for(connection)
        result = client.deliver(_payload(row, context or _Context([row])))
    except (RegistryError, encryption.DecryptionError) as error:
        return _failed(row, error)
    except Exception as error:  # a bug or bad data: retry with backoff, then dead-letter
        log.exception("microcred: delivery %s failed unexpectedly", row.pk)
        return _failed(row, error)
    _mine(row).update(
        status=Delivery.DELIVERED, delivered_at=timezone.now(), lease_expires_at=None,
        external_id=(result.external_id or "")[:255], last_error="", last_status_code=None)
    return DELIVERED


def drain(*, until_idle: bool = False, timeout: float = 300.0, batch_size: int = 50,
          sleep=time.sleep) -> DrainResult:
    """Attempt due rows, a claimed batch at a time, until none is due (with ``until_idle``:
    until none is pending at all, waiting for backoffs, for at most ``timeout`` seconds)."""
    attempted = delivered = dead = 0
    deadline = time.monotonic() + timeout
    while True:
        batch = claim_batch(batch_size)
        for index, row in enumerate(batch):
            if not _lease_left(batch.lease):  # slow registry: let others take the rest
                for rest in batch[index:]:
                    _release(rest, seconds=0.0)
                break
            outcome = attempt(row, batch.context)
            attempted += 1
            delivered += outcome == DELIVERED
            dead += outcome == DEAD
        if batch:
            continue
        pending = Delivery.objects.filter(status__in=[Delivery.PENDING, Delivery.SENDING])
        if not until_idle or not pending.exists() or time.monotonic() >= deadline:
            return DrainResult(attempted, delivered, dead, pending.count())
        sleep(min(1.0, max(0.0, deadline - time.monotonic())))


def _lease_left(lease: datetime) -> bool:
    """Whether one more request fits in the lease (else another worker may take the row)."""
    connect, read = _timeout()
    return timezone.now() + timedelta(seconds=connect + read) < lease


def redeliver(delivery_ids) -> int:
    """Put dead letters back in the queue with a fresh attempt budget."""
    return Delivery.objects.filter(pk__in=list(delivery_ids), status=Delivery.DEAD).update(
        status=Delivery.PENDING, attempts=0, next_attempt_at=timezone.now(), last_error="")


def client_for(connection: RegistryConnection):
    """The connection's client, reused across deliveries (HTTP keep-alive, OAuth tokens)."""
    fingerprint = hashlib.sha256(json.dumps(
        [connection.kind, connection.base_url, connection.encrypted_secret, connection.options],
        sort_keys=True, default=str).encode()).hexdigest()
    key = (connection.pk, fingerprint)
    client = _CLIENTS.get(key)
    if client is None:
        for stale in [k for k in _CLIENTS if k[0] == connection.pk]:
            _CLIENTS.pop(stale).close()
        client = _CLIENTS[key] = build_client(connection)
    return client


def build_client(connection: RegistryConnection) -> registries.RegistryClient:
    """A new client for ``connection``; raises ``RegistryError`` (``Misconfigured``) when the
    configuration is unusable, ``encryption.DecryptionError`` (naming the connection and the
    remedy) when no configured key opens its secret."""
    return registries.client_class(connection.kind)(
        base_url=connection.base_url or None,
        secret=encryption.decrypt_text(connection.encrypted_secret,
                                       what=connection.secret_label),
        options=connection.options or {}, timeout=_timeout())



_CLIENTS: dict[tuple[int, str], registries.RegistryClient] = {}


def _timeout() -> tuple[float, float]:
    connect, read = setting("MICROCRED_DELIVERY_TIMEOUT")
    return float(connect), float(read)


class _Context:
    """What the payloads of a batch need beyond its rows: learners' names and e-mails, and the
    per-programme options of each connection (one query each for the whole batch)."""

    def __init__(self, rows: list[Delivery]):
        self.learners = platform.get_users_contact({row.credential.user_id for row in rows})
        self.options: dict[tuple[int, int], dict] = {
            (connection_id, program_id): options
            for connection_id, program_id, options in RegistryProgramMapping.objects.filter(
                connection_id__in={row.connection_id for row in rows},
                program_id__in={row.credential.program_id for row in rows},
            ).values_list("connection_id", "program_id", "options")}
        # Stored CLRs of the webhook rows (only webhooks send them), one query for the batch.
        webhook_credentials = {row.credential_id for row in rows
                               if row.connection.kind == RegistryConnection.WEBHOOK}
        stored = (Credential.objects.filter(pk__in=webhook_credentials,
                                            clr_document__isnull=False)
                  .values_list("pk", "clr_document") if webhook_credentials else [])
        self.clrs: dict[int, dict] = {pk: clr for pk, clr in stored if clr}


def _payload(row: Delivery, context: _Context) -> DeliveryPayload:
    credential = row.credential
    name, email = context.learners.get(credential.user_id, ("", ""))
    issued = None
    if row.action == Delivery.REVOKE:
        issued = (Delivery.objects.filter(credential_id=credential.pk,
                                          connection_id=row.connection_id,
                                          action=Delivery.ISSUE)
                  .values_list("external_id", flat=True).first())
    # Only webhooks carry the CLR: building (on first use) and loading it is skipped otherwise.
    wants_clr = row.connection.kind == RegistryConnection.WEBHOOK and credential.document
    return DeliveryPayload(
        idempotency_key=str(row.idempotency_key), action=row.action,
        credential_uuid=str(credential.uuid), program_id=credential.program.program_id,
        program_title=credential.version.title, recipient_email=email, recipient_name=name,
        issued_at=credential.issued_at, expires_at=credential.expires_at,
        verification_url=signing.verify_url(credential.uuid), credential=credential.document,
        clr=(context.clrs.get(credential.pk) or signing.clr_for(credential)) if wants_clr else None,
        options={**(row.connection.options or {}),
                 **context.options.get((row.connection_id, credential.program_id), {})},
        external_id=issued or None, reason=credential.revocation_reason or None,
        occurred_at=credential.revoked_at if row.action == Delivery.REVOKE else None,
    )


def _fails_own_verification(row: Delivery) -> str:
    """Why an issue must not leave ("" when it may): a credential whose own verification fails
    (bad proof, a key not of the issuer, a status list the verifier would refuse) is never
    delivered. The row becomes a dead letter saying why; "Redeliver" checks again."""
    if row.action != Delivery.ISSUE:
        return ""
    verdict = verification.verify(row.credential)
    if verdict.status != verification.INVALID:
        return ""
    return ("held: the credential fails its own verification and is not sent: "
            f"{verdict.reason or 'invalid'}")


def _waiting_for_issue(row: Delivery) -> bool | str:
    """For a revoke: True while its issue is still on its way, DEAD if the issue died."""
    if row.action != Delivery.REVOKE:
        return False
    status = (Delivery.objects.filter(credential_id=row.credential_id,
                                      connection_id=row.connection_id, action=Delivery.ISSUE)
              .values_list("status", flat=True).first())
    if status == Delivery.DEAD:
        return DEAD
    return status is not None and status != Delivery.DELIVERED


def _within_rate_limit(connection: RegistryConnection) -> bool:
    """A fixed one-second window per connection in the shared cache (Redis in production)."""
    window = f"microcred:delivery-rate:{connection.pk}:{_current_second()}"
    cache.add(window, 0, timeout=5)
    try:
        used = cache.incr(window)
    except ValueError:  # evicted between add and incr: count this one as the first
        cache.set(window, 1, timeout=5)
        used = 1
    return used <= max(1, connection.rate_limit)


def _mine(row: Delivery):
    """The row, only while this worker's claim still holds: a worker that stalled past its lease
    must not overwrite the outcome of the worker that took the row over."""
    return Delivery.objects.filter(pk=row.pk, status=Delivery.SENDING, attempts=row.attempts)


def _current_second() -> int:
    return int(time.time())


def _release(row: Delivery, *, seconds: float) -> str:
    _mine(row).update(
        status=Delivery.PENDING, attempts=max(0, row.attempts - 1), lease_expires_at=None,
        next_attempt_at=timezone.now() + timedelta(seconds=seconds))
    return DEFERRED


def _failed(row: Delivery, error: Exception) -> str:
    status_code = getattr(error, "status", None)
    message = f"{type(error).__name__}: {error}"[:2000]
    if isinstance(error, encryption.DecryptionError):  # retried: the key may be put back
        message = str(error)
        if error.what == row.connection.secret_label:
            message += ", or enter the connection's secret again in the admin"
    delay = registries.next_delay(
        error, row.attempts - 1, base=setting("MICROCRED_DELIVERY_BACKOFF_BASE"),
        cap=setting("MICROCRED_DELIVERY_BACKOFF_CAP"),
    ) if isinstance(error, RegistryError) else _unexpected_delay(row)
    if delay is None or row.attempts >= setting("MICROCRED_DELIVERY_MAX_ATTEMPTS"):
        return _dead(row, message, status_code)
    _mine(row).update(
        status=Delivery.PENDING, lease_expires_at=None, last_error=message,
        last_status_code=status_code, next_attempt_at=timezone.now() + timedelta(seconds=delay))
    log.warning("microcred: delivery %s attempt %s failed, retrying in %.1fs: %s",
                row.pk, row.attempts, delay, message)
    return RETRY


def _unexpected_delay(row: Delivery) -> float:
    return registries.backoff_delay(row.attempts - 1,
                                    base=setting("MICROCRED_DELIVERY_BACKOFF_BASE"),
                                    cap=setting("MICROCRED_DELIVERY_BACKOFF_CAP"))


def _dead(row: Delivery, message: str, status_code: int | None = None) -> str:
    _mine(row).update(
        status=Delivery.DEAD, lease_expires_at=None, last_error=message[:2000],
        last_status_code=status_code)
    log.error("microcred: delivery %s is a dead letter: %s", row.pk, message)
    return DEAD
