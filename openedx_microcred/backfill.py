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

from django.db.models import Q

from . import evaluation, programs
from .conf import setting
from .models import (
    BackfillCheckpoint,
    CourseCompletion,
    Credential,
    ExternalAchievement,
    Program,
    ProgramLeafIndex,
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
                 restart: bool = False,
                 on_batch: Callable[[int], None] | None = None) -> BackfillResult:
    """Re-evaluate learners in batches, resuming after the checkpoint unless ``restart``.

    ``on_batch(n)`` is called after each committed batch of ``n`` learners. Raises
    ``ProgramNotFound`` for an unknown ``program_id``.
    """
    if program_id and not Program.objects.filter(program_id=program_id).exists():
        raise programs.ProgramNotFound(program_id)
    batch_size = batch_size or setting("MICROCRED_BACKFILL_BATCH_SIZE")
    checkpoint, _ = BackfillCheckpoint.objects.get_or_create(name=checkpoint_name(program_id))
    if restart:
        checkpoint.last_user_id = 0
        checkpoint.save(update_fields=["last_user_id", "updated"])
    result = BackfillResult()
    for batch in _batches(program_id, checkpoint.last_user_id, batch_size):
        for user_id in batch:
            outcome = evaluation.evaluate_learner(
                user_id, program_ids=[program_id] if program_id else ())
            result.issued += len(outcome.issued)
            result.revoked += len(outcome.revoked)
        result.learners += len(batch)
        checkpoint.last_user_id = batch[-1]
        checkpoint.save(update_fields=["last_user_id", "updated"])
        if on_batch:
            on_batch(len(batch))
    checkpoint.delete()  # finished: the next run starts from the beginning
    return result


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
    nothing = Q(pk__in=[])
    completions, externals, credentials = nothing, nothing, nothing
    for kind, key in ProgramLeafIndex.objects.filter(
            program__program_id=program_id).values_list("kind", "key"):
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
