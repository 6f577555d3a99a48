"""
Celery tasks. Ids in, idempotent, ``acks_late``: a task may run twice, concurrently or late, and
must leave the same state. Only transient database errors (deadlocks, lost connections) are
retried, with exponential backoff and jitter.
"""
from __future__ import annotations

import logging

from celery import shared_task
from django.db import OperationalError

from . import evaluation
from .conf import setting

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
    return {"evaluated": outcome.evaluated, "issued": outcome.issued, "revoked": outcome.revoked}


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
