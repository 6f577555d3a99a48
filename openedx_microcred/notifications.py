"""
Learner notifications as outbox rows: one ``Notification`` per (credential, event), written in the
transaction that issues or revokes the credential, or by the periodic expiry sweep.

DO NOT send anything from here: rows are only written. ``emails`` sends them from a task after
the transaction commits, so a rolled-back issuance never emails anyone and a lost task message is
recovered by the sweep. Also here: the unsubscribe token (signed, no login needed) and the
opt-out it records.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone

from .conf import setting
from .models import Credential, EmailOptOut, Notification

UNSUBSCRIBE_SALT = "openedx_microcred.unsubscribe"


def write(credential: Credential, kind: str) -> bool:
    """Record that the learner is to be told about ``kind`` for ``credential``; return whether a
    new row was written.

    Nothing is written when notifications are off or the learner unsubscribed. Idempotent: the
    ``(credential, kind)`` constraint makes a repeat a no-op.
    """
    if not setting("MICROCRED_NOTIFICATIONS_ENABLED") or opted_out(credential.user_id):
        return False
    if Notification.objects.filter(credential=credential, kind=kind).exists():
        return False
    Notification.objects.bulk_create([Notification(credential=credential, kind=kind)],
                                     ignore_conflicts=True)
    return True


def pending_ids(credential_ids=None) -> list[int]:
    """Pending notifications (of the given credentials, or all) to hand to the send task."""
    rows = Notification.objects.filter(status=Notification.PENDING)
    if credential_ids is not None:
        rows = rows.filter(credential_id__in=list(credential_ids))
    return list(rows.order_by("pk").values_list("pk", flat=True))


def write_expiring(now: datetime | None = None) -> int:
    """Write an "about to expire" notification for every awarded credential that expires within
    MICROCRED_EXPIRY_NOTICE_DAYS and has none; return how many were written."""
    if not setting("MICROCRED_NOTIFICATIONS_ENABLED"):
        return 0
    now = now or timezone.now()
    horizon = now + timedelta(days=setting("MICROCRED_EXPIRY_NOTICE_DAYS"))
    due = (Credential.objects.filter(status=Credential.AWARDED, expires_at__gt=now,
                                     expires_at__lte=horizon)
           .exclude(notifications__kind=Notification.EXPIRING)
           .exclude(user_id__in=EmailOptOut.objects.values("user_id")))
    written = 0
    for credential in due.only("pk", "user_id"):
        written += write(credential, Notification.EXPIRING)
    return written


def opted_out(user_id: int) -> bool:
    """Whether the learner unsubscribed from the plugin's emails."""
    return EmailOptOut.objects.filter(user_id=user_id).exists()


def unsubscribe_token(user_id: int) -> str:
    """A URL-safe token naming the learner, signed with SECRET_KEY (it does not expire: an old
    email's link must keep working)."""
    return signing.dumps(user_id, salt=UNSUBSCRIBE_SALT, compress=True)


def user_for_token(token: str) -> int | None:
    """The learner id a token was signed for, or None when it is forged, damaged or too long."""
    if not token or len(token) > 200:
        return None
    try:
        user_id = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    return user_id if isinstance(user_id, int) and user_id > 0 else None


def opt_out(user_id: int) -> bool:
    """Unsubscribe the learner: no more emails, and pending ones are skipped. Return False when
    they had already unsubscribed. Idempotent."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                _, created = EmailOptOut.objects.get_or_create(user_id=user_id)
        except IntegrityError:  # a concurrent click, or an unknown learner
            return False
        Notification.objects.filter(credential__user_id=user_id,
                                    status=Notification.PENDING).update(
            status=Notification.SKIPPED, last_error="unsubscribed")
    return created


__all__ = ["write", "pending_ids", "write_expiring", "opted_out", "unsubscribe_token",
           "user_for_token", "opt_out"]
