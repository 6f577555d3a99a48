"""
What an operator watches: the outbox (pending and dead deliveries), rejected events, the last
delivery sweep, issuer keys and their age, stored secrets the configured keys cannot open, and
status lists awaiting their signature. ``overview()`` reads it all (``manage.py
microcred_status`` and the admin overview page show it); ``record_sweep`` is called by the
sweep itself.

``Overview.attention`` lists what needs an operator, one plain sentence each; empty means
healthy. DO NOT put secrets or personal data in an overview: it is printed, served as JSON and
shown to staff with view permissions.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Min
from django.utils import timezone

from . import encryption, rekeying
from .conf import setting
from .models import Delivery, Heartbeat, IssuerKey, RejectedEvent, StatusList

#: Rejected events newer than this count as needing attention.
RECENT = timedelta(hours=24)
#: A sweep or a due delivery older than this many sweep periods (and 5 minutes) is late.
LATE_PERIODS = 3


@dataclass(frozen=True)
class KeyData:
    """One issuer signing key (public half only)."""

    org: str
    public_key: str
    active: bool
    created: datetime
    age_days: int
    readable: bool


@dataclass(frozen=True)
class Overview:
    """The state of the plugin's operations at ``checked_at``."""

    checked_at: datetime
    deliveries_pending: int
    deliveries_overdue: int
    deliveries_sending: int
    deliveries_dead: int
    oldest_dead_at: datetime | None
    rejected_events: int
    rejected_events_recent: int
    last_sweep_at: datetime | None
    sweep_late_after_seconds: int
    encryption_key_source: str  # "MICROCRED_KEY_ENCRYPTION_KEYS" or "SECRET_KEY"
    keys: tuple[KeyData, ...]
    secrets: int
    secrets_unreadable: tuple[str, ...]
    secrets_not_current: int
    status_lists_pending_signature: tuple[str, ...]
    attention: tuple[str, ...]

    def as_json(self) -> dict:
        """JSON-ready: datetimes as ISO 8601 strings."""
        return _jsonable(asdict(self))


def record_sweep(detail: str = "") -> None:
    """Record that the delivery sweep ran now."""
    Heartbeat.objects.update_or_create(name=Heartbeat.SWEEP, defaults={
        "last_run_at": timezone.now(), "detail": detail[:255]})


def overview(now: datetime | None = None) -> Overview:
    """Read everything ``Overview`` holds (a handful of aggregate queries, one decryption per
    stored secret)."""
    now = now or timezone.now()
    late = timedelta(seconds=max(300, LATE_PERIODS * setting("MICROCRED_DELIVERY_SWEEP_SECONDS")))
    counts = dict(Delivery.objects.values_list("status").annotate(n=Count("pk")))
    overdue = Delivery.objects.filter(status=Delivery.PENDING,
                                      next_attempt_at__lt=now - late).count()
    oldest_dead = (Delivery.objects.filter(status=Delivery.DEAD)
                   .aggregate(at=Min("created"))["at"])
    sweep = Heartbeat.objects.filter(name=Heartbeat.SWEEP).first()
    states = rekeying.states()
    unreadable = tuple(state.label for state in states if not state.readable)
    data = {
        "checked_at": now,
        "deliveries_pending": counts.get(Delivery.PENDING, 0),
        "deliveries_overdue": overdue,
        "deliveries_sending": counts.get(Delivery.SENDING, 0),
        "deliveries_dead": counts.get(Delivery.DEAD, 0),
        "oldest_dead_at": oldest_dead,
        "rejected_events": RejectedEvent.objects.count(),
        "rejected_events_recent": RejectedEvent.objects.filter(
            received_at__gte=now - RECENT).count(),
        "last_sweep_at": sweep.last_run_at if sweep else None,
        "sweep_late_after_seconds": int(late.total_seconds()),
        "encryption_key_source": ("SECRET_KEY" if encryption.derives_from_secret_key()
                                  else "MICROCRED_KEY_ENCRYPTION_KEYS"),
        "keys": _keys(now, set(unreadable)),
        "secrets": len(states),
        "secrets_unreadable": unreadable,
        "secrets_not_current": sum(1 for state in states if state.readable and not state.current),
        "status_lists_pending_signature": tuple(
            StatusList.objects.filter(signature_pending=True).order_by("list_id")
            .values_list("list_id", flat=True)),
    }
    return Overview(**data, attention=tuple(_attention(data, now, late)))


def _keys(now: datetime, unreadable: set[str]) -> tuple[KeyData, ...]:
    rows = IssuerKey.objects.order_by("org", "-active", "-created", "-pk")
    return tuple(
        KeyData(org=row.org, public_key=row.public_key, active=bool(row.active),
                created=row.created, age_days=(now - row.created).days,
                readable=row.secret_label not in unreadable)
        for row in rows)


def _attention(data: dict, now: datetime, late: timedelta) -> list[str]:
    notes = []
    if data["deliveries_dead"]:
        notes.append(_count(data["deliveries_dead"], "registry delivery is a dead letter",
                            "registry deliveries are dead letters")
                     + ": read the last error in the admin (Deliveries), fix the cause, then "
                     "use \"Redeliver\".")
    if data["deliveries_overdue"]:
        notes.append(_count(data["deliveries_overdue"], "pending delivery is overdue",
                            "pending deliveries are overdue")
                     + ": is the sweep (Celery beat, or a microcred_deliver loop) running?")
    if data["last_sweep_at"] is None:
        notes.append("The delivery sweep has never run: schedule Celery beat, or run "
                     "'manage.py microcred_deliver' periodically.")
    elif now - data["last_sweep_at"] > late:
        notes.append(f"The delivery sweep last ran at {data['last_sweep_at']:%Y-%m-%d %H:%M} "
                     "UTC: is Celery beat (or the microcred_deliver loop) running?")
    if data["rejected_events_recent"]:
        notes.append(_count(data["rejected_events_recent"], "event was", "events were")
                     + " rejected in the last 24 hours: the reasons are in the admin (Rejected "
                     "events).")
    notes += [f"{label} cannot be decrypted with the configured keys: {encryption.REMEDY}."
              for label in data["secrets_unreadable"]]
    if data["secrets_not_current"]:
        notes.append(_count(data["secrets_not_current"], "stored secret is",
                            "stored secrets are")
                     + " not encrypted with the first key: run 'manage.py microcred_reencrypt'.")
    notes += [f"Status list {list_id} awaits its signature (a revocation is recorded but not "
              "yet published): make its org's signing key readable; the sweep then signs it."
              for list_id in data["status_lists_pending_signature"]]
    return notes


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"


def _jsonable(value):
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value
