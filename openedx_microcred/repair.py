"""
Repairing a learner's course state from the events that remain plausible.

The plugin keeps no event log: each facet of a ``CourseCompletion`` (passing, grade, certificate)
holds the state of the latest event it accepted and that event's time, and an
``ExternalAchievement`` holds the first time it was achieved. Before event times were checked
(``eventtime``), one implausible time could take over a facet for good: a failing status dated
9999 outranked every real event after it, a pass dated 0001 became the completion date. "The
events that remain" are therefore the stored facets and achievements whose times are plausible:

* a facet whose event time is implausible is cleared (the state it holds came from that event);
  the next real event for it is then accepted as usual;
* a remaining facet whose *derived* date is implausible (a passing streak or an unchanged
  certificate status that began with an implausible event) takes its own event's time, the
  earliest plausible evidence left of that state;
* an external achievement dated implausibly is removed (its one date is the implausible one);
* the learner is then re-evaluated against every programme those facts touch, so progress and
  credentials (issue, and revocation under ``MICROCRED_REVOKE_ON_REGRESSION``) follow.

Events the plugin dropped because an implausible state outranked them are not stored anywhere:
they come back when the LMS sends them again (a regrade, a certificate regeneration).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from . import eventtime
from .models import CourseCompletion, ExternalAchievement

__all__ = ["FACETS", "RepairResult", "repair_learner"]

#: Per facet of a completion row: (name, event-time column, derived-date columns (when the
#: counted state was reached; an implausible one is re-dated to the event's time), the columns
#: that hold its state). Keep in step with the facets of ``completions``.
FACETS = (
    ("passing", "passing_event_at", ("passed_at",), ("passing", "passed_at", "passing_event_at")),
    ("grade", "grade_event_at", ("grade_at",), ("grade", "grade_at", "grade_event_at")),
    ("certificate", "certificate_event_at", ("certificate_at", "certificate_mode_at"),
     ("certificate_status", "certificate_mode", "certificate_at", "certificate_mode_at",
      "certificate_event_at")),
)


@dataclass(frozen=True)
class RepairResult:
    """What ``repair_learner`` changed: ``cleared`` and ``redated`` facets as
    ``"<course key> <facet>"``, ``removed`` external ids, and the evaluation's programme ids."""

    cleared: tuple[str, ...] = ()
    redated: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    issued: tuple[str, ...] = ()
    revoked: tuple[str, ...] = ()
    credential_ids: tuple[int, ...] = field(default=(), repr=False)


def repair_learner(user_id: int, *, course_key: str | None = None,
                   dry_run: bool = False) -> RepairResult:
    """Clear the learner's implausibly dated state (see the module docstring) and re-evaluate.

    ``course_key`` limits the repair to one course run (as reported, or the run it counts as)
    and skips external achievements. With ``dry_run`` nothing is written. The caller enqueues
    registry deliveries for ``credential_ids`` after the call (it commits its own transaction).
    """
    with transaction.atomic():
        cleared, redated = _repair_completions(user_id, course_key, dry_run)
        removed = () if course_key else _remove_externals(user_id, dry_run)
        if dry_run or not (cleared or redated or removed):
            return RepairResult(cleared, redated, removed)
    from .evaluation import evaluate_learner  # evaluation imports issuance and signing

    outcomes = [evaluate_learner(user_id)]
    outcomes += [evaluate_learner(user_id, external_id=external_id) for external_id in removed]
    return RepairResult(
        cleared, redated, removed,
        issued=tuple(sorted({p for outcome in outcomes for p in outcome.issued})),
        revoked=tuple(sorted({p for outcome in outcomes for p in outcome.revoked})),
        credential_ids=tuple(sorted({pk for o in outcomes for pk in o.credential_ids})))


def _repair_completions(user_id: int, course_key: str | None,
                        dry_run: bool) -> tuple[tuple[str, ...], tuple[str, ...]]:
    rows = CourseCompletion.objects.select_for_update().filter(user_id=user_id)
    if course_key:
        rows = rows.filter(course_key=course_key) | rows.filter(counted_key=course_key)
    cleared: list[str] = []
    redated: list[str] = []
    for row in rows.order_by("course_key"):
        changes: dict = {}
        for name, event_column, derived, columns in FACETS:
            event_at = getattr(row, event_column)
            if event_at is not None and not eventtime.is_plausible(event_at):
                changes.update(dict.fromkeys(columns))
                cleared.append(f"{row.course_key} {name}")
            else:
                stale = [column for column in derived if getattr(row, column) is not None
                         and not eventtime.is_plausible(getattr(row, column))]
                changes.update(dict.fromkeys(stale, event_at))
                if stale:
                    redated.append(f"{row.course_key} {name}")
        if changes and not dry_run:
            CourseCompletion.objects.filter(pk=row.pk).update(**changes)
    return tuple(cleared), tuple(redated)


def _remove_externals(user_id: int, dry_run: bool) -> tuple[str, ...]:
    rows = ExternalAchievement.objects.select_for_update().filter(user_id=user_id)
    implausible = [row for row in rows.order_by("external_id")
                   if not eventtime.is_plausible(row.achieved_at)]
    if implausible and not dry_run:
        ExternalAchievement.objects.filter(pk__in=[row.pk for row in implausible]).delete()
    return tuple(row.external_id for row in implausible)
