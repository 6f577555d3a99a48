"""
Celery tasks. Ids in, idempotent, ``acks_late``: a task may run twice, concurrently or late, and
must leave the same state. Only transient database errors (deadlocks, lost connections) are
retried, with exponential backoff and jitter.
"""
from __future__ import annotations

import logging

from celery import shared_task
from django.db import OperationalError

from . import backfill, delivery, emails, evaluation, monitoring, notifications, outbox, statuslists
from .conf import setting
from .models import Delivery

log = logging.getLogger(__name__)


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=None,  # bounded per call from settings, see below
)
def evaluate_learner(self, user_id: int, course_key: str | None = None,
                     external_id: str | None = None, program_ids: list[str] | None = None) -> dict:
    """Re-evaluate a learner for the programmes the given facts affect; issue what is earned.

    Returns a summary ``{"evaluated": [...], "issued": [...], "revoked": [...]}`` of programme ids.
    """
    self.max_retries = setting("MICROCRED_TASK_MAX_RETRIES")
    outcome = evaluation.evaluate_learner(user_id, course_key=course_key, external_id=external_id,
                                          program_ids=program_ids or ())
    # committed: the evaluation's transaction ended
    dispatch_credential_work(outcome.credential_ids)
    return {"evaluated": outcome.evaluated, "issued": outcome.issued, "revoked": outcome.revoked}


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def deliver(delivery_id: int) -> str:
    """Attempt one registry delivery; a retry is scheduled through ``next_attempt_at`` (the row),
    not the broker, so a lost message is recovered by ``sweep_deliveries``."""
    outcome = delivery.deliver(delivery_id)
    # Eager mode (sandbox, tests) would run the "later" attempt at once, recursively: there the
    # sweep or ``microcred_deliver`` makes the next attempt.
    if outcome in (delivery.RETRY, delivery.DEFERRED) and not deliver.app.conf.task_always_eager:
        row = Delivery.objects.filter(pk=delivery_id).values_list("next_attempt_at", flat=True)
        eta = row.first()
        if eta is not None:
            deliver.apply_async(args=(delivery_id,), eta=eta)
    return outcome


@shared_task(ignore_result=True)
def sweep_deliveries() -> int:
    """Beat task: enqueue every due delivery (lost messages, expired leases), sign the status
    lists whose signature is pending, and record the sweep (``microcred_status``); return how
    many deliveries were enqueued."""
    ids = delivery.due_ids()
    for delivery_id in ids:
        deliver.apply_async(args=(delivery_id,))
    finish_sweep(f"{len(ids)} deliveries enqueued")
    return len(ids)


def finish_sweep(detail: str) -> None:
    """What every sweep (the beat task, ``microcred_deliver``) does besides deliveries."""
    signed, pending = statuslists.sign_pending()
    if signed or pending:
        detail += f"; status lists signed {signed}, still pending {pending}"
    monitoring.record_sweep(detail)


def dispatch_credential_work(credential_ids) -> None:
    """The registry deliveries and learner emails of credentials just issued or revoked
    (committed): sent now rather than at the next sweep."""
    dispatch_deliveries(credential_ids)
    dispatch_notifications(credential_ids)


def dispatch_deliveries(credential_ids) -> None:
    """Enqueue the pending deliveries of these credentials (call after their transaction)."""
    ids = outbox.pending_ids(credential_ids) if credential_ids else []
    for delivery_id in ids:
        try:
            deliver.apply_async(args=(delivery_id,))
        except Exception:  # pylint: disable=broad-except
            log.exception("microcred: could not enqueue delivery %s (the sweep will)", delivery_id)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def notify(notification_id: int) -> str:
    """Send one learner email; at most once (see ``emails``). A transport error leaves the row
    pending for ``sweep_notifications``."""
    return emails.send(notification_id)


@shared_task(ignore_result=True)
def sweep_notifications() -> int:
    """Beat task: write "about to expire" notifications that are due, then enqueue every pending
    notification (new ones, lost messages, retries); return how many were enqueued."""
    notifications.write_expiring()
    ids = notifications.pending_ids()
    _enqueue_notifications(ids)
    return len(ids)


def dispatch_notifications(credential_ids) -> None:
    """Enqueue the pending learner emails of these credentials (call after their transaction)."""
    _enqueue_notifications(notifications.pending_ids(credential_ids) if credential_ids else [])


def _enqueue_notifications(ids) -> None:
    for notification_id in ids:
        try:
            notify.apply_async(args=(notification_id,))
        except Exception:  # pylint: disable=broad-except
            log.exception("microcred: could not enqueue email %s (the sweep will)",
                          notification_id)


def enqueue_evaluation(user_id: int, *, course_key: str | None = None,
                       external_id: str | None = None) -> None:
    """Send ``evaluate_learner`` to the broker; log (never raise) when the broker is unreachable.

    Called from ``transaction.on_commit`` in receivers, which run inside the LMS. The completion is
    already stored, so ``microcred_backfill`` recovers an evaluation lost here.
    """
    try:
        evaluate_learner.apply_async(
            args=(user_id,), kwargs={"course_key": course_key, "external_id": external_id})
    except Exception:  # pylint: disable=broad-except
        log.exception("microcred: could not enqueue the evaluation of user %s", user_id)


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=5,
    ignore_result=True,
)
def run_publish_job(job_id: int) -> None:
    """Evaluate the learners a publication concerns (``backfill.run_publish_job``); resumable."""
    backfill.run_publish_job(job_id, on_credentials=dispatch_credential_work)


def enqueue_publish_job(job_id: int) -> None:
    """Send ``run_publish_job`` to the broker (call from ``transaction.on_commit``)."""
    try:
        run_publish_job.apply_async(args=(job_id,))
    except Exception:  # pylint: disable=broad-except
        log.exception("microcred: could not enqueue publish job %s", job_id)
