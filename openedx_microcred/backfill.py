"""
Backfill: re-evaluate every learner who has completions in a programme's courses (or in any
programme's), in batches of learner ids with a checkpoint after each batch.

Memory stays flat as data grows: learners are read by keyset pagination (``user_id > last``,
``LIMIT batch``) and evaluated one by one; nothing accumulates across batches. An interrupted run
resumes after the last committed checkpoint.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.db import OperationalError
from django.db.models import Q
from django.utils import timezone

from . import evaluation, programs
from .conf import setting
from .models import (
    BackfillCheckpoint,
    CourseCompletion,
    Credential,
    ExternalAchievement,
    Program,
    ProgramLeafIndex,
    PublishJob,
)


@dataclass
class BackfillResult:
    """What a backfill run did."""

    learners: int = 0
    issued: int = 0
    revoked: int = 0


def checkpoint_name(program_id: str | None) -> str:
    """The checkpoint row of a backfill over ``program_id`` (or all programmes)."""
    return f"backfill:{program_id or '*'}"


def count_learners(program_id: str | None = None, *, after: int = 0) -> int:
    """How many learners a backfill still has to visit (for the progress bar)."""
    return _learner_ids(program_id, after).count()


def run_backfill(program_id: str | None = None, *, batch_size: int | None = None,
                 restart: bool = False, checkpoint: str | None = None,
                 on_batch: Callable[[int, BackfillResult], None] | None = None,
                 on_credentials: Callable[[list[int]], None] | None = None,
                 ) -> BackfillResult:
    """Re-evaluate learners in batches, resuming after the checkpoint unless ``restart``.

    ``on_batch(n, result)`` is called after each committed batch of ``n`` learners with the
    counts so far; ``on_credentials(ids)`` with the ids of the credentials the batch issued or
    revoked (the caller sends their registry deliveries and emails now rather than at the next
    sweep). ``checkpoint`` names the checkpoint row (default: ``checkpoint_name``).
    Raises ``ProgramNotFound`` for an unknown ``program_id``.
    """
    if program_id and not Program.objects.filter(program_id=program_id).exists():
        raise programs.ProgramNotFound(program_id)
    batch_size = batch_size or setting("MICROCRED_BACKFILL_BATCH_SIZE")
    checkpoint_row, _ = BackfillCheckpoint.objects.get_or_create(
        name=checkpoint or checkpoint_name(program_id))
    result = _run_batches(program_id, checkpoint_row, batch_size, restart, on_batch,
                          on_credentials)
    checkpoint_row.delete()  # finished: the next run starts from the beginning
    return result


def _run_batches(program_id: str | None, checkpoint: BackfillCheckpoint, batch_size: int,
                 restart: bool, on_batch, on_credentials) -> BackfillResult:
    if restart:
        checkpoint.last_user_id = 0
        checkpoint.save(update_fields=["last_user_id", "updated"])
    result = BackfillResult()
    for batch in _batches(program_id, checkpoint.last_user_id, batch_size):
        credential_ids: list[int] = []
        for user_id in batch:
            outcome = evaluation.evaluate_learner(
                user_id, program_ids=[program_id] if program_id else ())
            result.issued += len(outcome.issued)
            result.revoked += len(outcome.revoked)
            credential_ids += outcome.credential_ids
        result.learners += len(batch)
        if on_credentials and credential_ids:
            on_credentials(credential_ids)
        checkpoint.last_user_id = batch[-1]
        checkpoint.save(update_fields=["last_user_id", "updated"])
        if on_batch:
            on_batch(len(batch), result)
    return result


def run_publish_job(job_id: int, *,
                    on_credentials: Callable[[list[int]], None] | None = None) -> None:
    """Evaluate the learners a publication concerns, recording progress on ``PublishJob``
    (``on_credentials`` as for ``run_backfill``).

    Idempotent: a finished job is left alone; a job interrupted mid-way resumes after its last
    checkpoint (its counts then cover the resumed part and what was recorded before).
    """
    job = PublishJob.objects.select_related("program").filter(pk=job_id).first()
    if job is None or job.status in (PublishJob.DONE, PublishJob.FAILED):
        return
    program_id = job.program.program_id
    name = f"publish:{job_id}"
    after = (BackfillCheckpoint.objects.filter(name=name)
             .values_list("last_user_id", flat=True).first() or 0)
    base = (job.learners_done, job.issued, job.revoked) if after else (0, 0, 0)
    PublishJob.objects.filter(pk=job_id).update(
        status=PublishJob.RUNNING, started_at=job.started_at or timezone.now(),
        learners_total=base[0] + count_learners(program_id, after=after))

    def progress(count: int, result: BackfillResult) -> None:
        PublishJob.objects.filter(pk=job_id).update(
            learners_done=base[0] + result.learners, issued=base[1] + result.issued,
            revoked=base[2] + result.revoked)

    try:
        run_backfill(program_id, checkpoint=name, on_batch=progress,
                     on_credentials=on_credentials)
    except OperationalError:  # transient: the task retries and resumes after the checkpoint
        raise
    except Exception as error:
        PublishJob.objects.filter(pk=job_id).update(
            status=PublishJob.FAILED, error=f"{type(error).__name__}"[:500],
            finished_at=timezone.now())
        raise
    PublishJob.objects.filter(pk=job_id).update(status=PublishJob.DONE,
                                                finished_at=timezone.now())


def _batches(program_id: str | None, after: int, size: int) -> Iterator[list[int]]:
    while True:
        batch = [row[0] for row in _learner_ids(program_id, after)[:size]]
        if not batch:
            return
        yield batch
        after = batch[-1]


def _learner_ids(program_id: str | None, after: int = 0):
    """Distinct ids above ``after``, ascending, of learners with facts the programme can use:
    completions in its courses, its external achievements, credentials of programmes it stacks.
    """
    completions, externals, credentials = _fact_filters(program_id)
    # DISTINCT on each part as well: Django drops parts that can match nothing (``pk__in=[]``),
    # and a lone remaining part would otherwise not be de-duplicated by UNION.
    parts = [
        model.objects.filter(condition, user_id__gt=after).values_list("user_id").distinct()
        for model, condition in ((CourseCompletion, completions), (ExternalAchievement, externals),
                                 (Credential, credentials))
    ]
    return parts[0].union(*parts[1:]).order_by("user_id")


def _fact_filters(program_id: str | None) -> tuple[Q, Q, Q]:
    if program_id is None:
        return Q(), Q(), Q(active=True)
    return _filters_for(ProgramLeafIndex.objects.filter(
        program__program_id=program_id).values_list("kind", "key"))


def _filters_for(entries) -> tuple[Q, Q, Q]:
    nothing = Q(pk__in=[])
    completions, externals, credentials = nothing, nothing, nothing
    for kind, key in entries:
        if kind == ProgramLeafIndex.COURSE:
            org, number = key.split("+", 1)
            completions |= Q(org=org, number=number)
        elif kind == ProgramLeafIndex.COURSE_RUN:
            completions |= Q(counted_key=key)
        elif kind == ProgramLeafIndex.EXTERNAL:
            externals |= Q(external_id=key)
        else:
            credentials |= Q(program__program_id=key, active=True)
    return completions, externals, credentials


def learners_for_definition(definition, *, batch_size: int = 1000) -> Iterator[int]:
    """Ids of the learners with facts ``definition`` can use (as a backfill of it would visit,
    whether or not it is published), ascending, read in batches."""
    completions, externals, credentials = _filters_for(programs.leaf_keys(definition))
    after = 0
    while True:
        parts = [
            model.objects.filter(condition, user_id__gt=after).values_list("user_id").distinct()
            for model, condition in ((CourseCompletion, completions),
                                     (ExternalAchievement, externals), (Credential, credentials))
        ]
        batch = [row[0] for row in parts[0].union(*parts[1:]).order_by("user_id")[:batch_size]]
        if not batch:
            return
        yield from batch
        after = batch[-1]
