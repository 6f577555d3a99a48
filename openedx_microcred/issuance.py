"""
Issuing and revoking credentials.

``issue`` runs inside the caller's evaluation transaction: the credential row and everything that
must exist with it (registry deliveries, the learner's email) are written together or not at all.
DO NOT call registries, send mail or reach other services from here: whatever leaves the LMS is
written as rows in the same transaction and sent by tasks afterwards.
"""
from __future__ import annotations

import calendar
import logging
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from . import notifications, outbox, rules, signing, statuslists
from .definitions import ProgramDefinition
from .models import Credential, Delivery, Notification

log = logging.getLogger(__name__)

# edx-platform's CertificateStatuses for an earned certificate.
EARNED_CERTIFICATE_STATUSES = frozenset({"downloadable"})


def withheld(user_id: int, program_pk: int) -> bool:
    """Whether staff revoked the learner's credential for the programme (no automatic re-issue)."""
    return Credential.objects.filter(user_id=user_id, program_id=program_pk,
                                     revoked_by=Credential.BY_STAFF).exists()


def issue(*, user_id: int, program_pk: int, version_id: int, definition: ProgramDefinition,
          evaluation: rules.Evaluation, completion_ids: dict[str, int]) -> Credential | None:
    """Issue the learner's credential for a programme they have just completed.

    Returns the new credential, or None when an active one already exists (a concurrent
    evaluation won the race: the database constraint decided).
    """
    # Microseconds dropped: the documents' dateTimes and the row then say exactly the same.
    now = timezone.now().replace(microsecond=0)
    try:
        with transaction.atomic():
            credential = Credential.objects.create(
                user_id=user_id, program_id=program_pk, version_id=version_id, issued_at=now,
                expires_at=_add_months(now, definition.valid_months),
                credits_earned=evaluation.credits_earned,
                evidence=[item.to_json() for item in evaluation.evidence],
            )
    except IntegrityError:
        log.info("microcred: user %s already holds a credential for programme %s",
                 user_id, definition.id)
        return None
    credential.status_list, credential.status_index = statuslists.allocate(definition.org)
    credential.save(update_fields=["status_list", "status_index"])
    signing.sign_documents(credential, definition, evaluation)
    outbox.write(credential, Delivery.ISSUE)
    notifications.write(credential, Notification.ISSUED)
    counted = [completion_ids[item.key] for item in evaluation.evidence
               if item.kind == "course" and item.key in completion_ids]
    if counted:
        credential.completions.add(*counted)
    log.info("microcred: issued %s to user %s for %s", credential.uuid, user_id, definition.id)
    return credential


def revoke(credential: Credential, *, reason: str, by: str = Credential.BY_STAFF) -> bool:
    """Revoke ``credential``; return False when it was not awarded (already revoked/expired).

    ``by`` staff (the default) withholds the programme from automatic re-issuance; ``by`` rule
    (requirements no longer met) lets the learner earn it again.
    """
    with transaction.atomic():
        updated = Credential.objects.filter(pk=credential.pk, status=Credential.AWARDED).update(
            status=Credential.REVOKED, active=None, revoked_at=timezone.now(),
            revocation_reason=reason[:255], revoked_by=by)
        if not updated:
            return False
        credential.refresh_from_db()
        if credential.status_list_id is not None and credential.status_index is not None:
            statuslists.set_bit(credential.status_list_id, credential.status_index)
        outbox.write(credential, Delivery.REVOKE)
        notifications.write(credential, Notification.REVOKED)
    log.info("microcred: revoked %s: %s", credential.uuid, reason)
    return True


def revoke_active(*, user_id: int, program_pk: int, reason: str) -> Credential | None:
    """Revoke the learner's active credential for a programme because its requirements are no
    longer met; return it (None if none)."""
    credential = Credential.objects.filter(user_id=user_id, program_id=program_pk,
                                           active=True).first()
    if credential is not None and revoke(credential, reason=reason, by=Credential.BY_RULE):
        return credential
    return None


def _add_months(when: datetime, months: int | None) -> datetime | None:
    """``when`` plus ``months`` calendar months (day clamped to the month's end), or None."""
    if not months:
        return None
    month_index = when.month - 1 + months
    year, month = when.year + month_index // 12, month_index % 12 + 1
    day = min(when.day, calendar.monthrange(year, month)[1])
    return when.replace(year=year, month=month, day=day)


__all__ = ["issue", "revoke", "revoke_active", "EARNED_CERTIFICATE_STATUSES"]
