"""
Evaluating one learner: load their record once, run the pure rules for every programme an event
can affect, store progress, issue or revoke credentials, and climb to parent programmes.

Concurrency: the whole evaluation of a learner runs in one transaction that first locks the
learner's ``LearnerLock`` row (``SELECT … FOR UPDATE``), so two workers evaluating the same learner
take turns and the second one reads what the first committed. The one-active-credential database
constraint backs this up. On SQLite (no row locks) the database serialises writers itself.
"""
from __future__ import annotations

import dataclasses
import logging
from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from . import encryption, hotpath, issuance, rules
from .conf import setting
from .models import (
    CourseCompletion,
    Credential,
    ExternalAchievement,
    LearnerLock,
    Program,
    ProgramLeafIndex,
    ProgramProgress,
)
from .programs import course_index_key, definition_for

log = logging.getLogger(__name__)


@dataclass
class Outcome:
    """What one ``evaluate_learner`` call did (for callers, logs and tests)."""

    evaluated: list[str] = dataclasses.field(default_factory=list)
    issued: list[str] = dataclasses.field(default_factory=list)
    revoked: list[str] = dataclasses.field(default_factory=list)
    credential_ids: list[int] = dataclasses.field(default_factory=list)  # issued or revoked

    def extend(self, other: Outcome) -> None:
        """Add what ``other`` did to this outcome."""
        for field in dataclasses.fields(self):
            getattr(self, field.name).extend(getattr(other, field.name))


@dataclass(frozen=True)
class _Candidate:
    pk: int
    program_id: str
    version_id: int


def evaluate_learner(user_id: int, *, course_key: str | None = None,
                     external_id: str | None = None,
                     program_ids: Iterable[str] = ()) -> Outcome:
    """Re-evaluate ``user_id`` against the published programmes the given facts can affect.

    With no ``course_key``, ``external_id`` or ``program_ids``, every programme reachable from the
    learner's completions and achievements is evaluated (backfill). Idempotent: running it twice,
    or concurrently, leaves the same state and at most one active credential per programme.
    """
    outcome = Outcome()
    with transaction.atomic():
        _lock_learner(user_id)
        if course_key is None and external_id is None and not program_ids:
            record, completion_ids = load_record(user_id)
            candidates = _candidates_for_record(record)
        else:
            candidates = _candidates(course_key=course_key, external_id=external_id,
                                     program_ids=program_ids)
            if not candidates:  # a course in no programme: nothing to read or write
                return outcome
            record, completion_ids = load_record(user_id,
                                                 with_externals=_need_externals(candidates))
        queue = deque(candidates)
        progress = _progress_rows(user_id, [c.pk for c in candidates])
        seen: set[str] = set()
        while queue:
            candidate = queue.popleft()
            if candidate.program_id in seen:
                continue
            seen.add(candidate.program_id)
            changed = _evaluate_one(user_id, candidate, record, completion_ids,
                                    progress.get(candidate.pk), outcome)
            if changed:
                parents = _candidates(program_ids=[candidate.program_id], parents=True)
                record = _with_credentials(user_id, record, externals=_need_externals(parents))
                progress.update(_progress_rows(user_id, [p.pk for p in parents]))
                for parent in parents:
                    seen.discard(parent.program_id)
                queue.extend(parents)
    return outcome


def revoke_credential(credential_pk: int, *, reason: str, note: str = "",
                      by: str = Credential.BY_STAFF) -> Outcome:
    """Revoke a credential and, in the same transaction, re-evaluate the programmes that stack
    on it (ADR 0001 §7): with ``MICROCRED_REVOKE_ON_REGRESSION`` their credentials are revoked
    too (status bit set, revocations written to the outbox), and so on up the stack.

    ``reason`` is public, ``note`` internal (``issuance.revoke``). Returns what was revoked
    (``credential_ids`` for the caller to dispatch after commit); an
    empty outcome when the credential was not awarded.
    """
    outcome = Outcome()
    with transaction.atomic():
        credential = Credential.objects.select_related("program").get(pk=credential_pk)
        _lock_learner(credential.user_id)
        if not issuance.revoke(credential, reason=reason, note=note, by=by):
            return outcome
        program_id = credential.program.program_id
        outcome.revoked.append(program_id)
        outcome.credential_ids.append(credential.pk)
        parents = _candidates(program_ids=[program_id], parents=True)
        if parents:
            outcome.extend(evaluate_learner(
                credential.user_id, program_ids=[parent.program_id for parent in parents]))
    return outcome


def load_record(user_id: int, *, with_externals: bool = True,
                ) -> tuple[rules.LearnerRecord, dict[str, int]]:
    """The learner's facts for the rules, and completion ids by counted course key.

    ``with_externals`` False skips external achievements (no programme at hand uses them).
    """
    courses: list[rules.CourseResult] = []
    completion_ids: dict[str, int] = {}
    for pk, *row in hotpath.completions(user_id):
        completion_ids.setdefault(row[0], pk)
        courses.append(_course_result(*row))
    record = rules.LearnerRecord(courses=tuple(courses),
                                 credentials=hotpath.active_credentials(user_id),
                                 externals=hotpath.externals(user_id) if with_externals else {})
    return record, completion_ids


def load_records(user_ids: list[int]) -> dict[int, rules.LearnerRecord]:
    """The records of many learners in three queries (read-only uses, e.g. a publish summary:
    no learner lock is taken)."""
    courses: dict[int, list[rules.CourseResult]] = defaultdict(list)
    for user_id, *row in CourseCompletion.objects.filter(user_id__in=user_ids).values_list(
            "user_id", "counted_key", "org", "number", "passing", "passed_at", "grade",
            "grade_at", "certificate_status", "certificate_mode", "certificate_at",
            "certificate_mode_at"):
        courses[user_id].append(_course_result(*row))
    credentials: dict[int, dict] = defaultdict(dict)
    for user_id, program_id, issued_at in Credential.objects.filter(
            user_id__in=user_ids, active=True).values_list(
            "user_id", "program__program_id", "issued_at"):
        credentials[user_id][program_id] = issued_at
    externals: dict[int, dict] = defaultdict(dict)
    for user_id, external_id, achieved_at in ExternalAchievement.objects.filter(
            user_id__in=user_ids, withdrawn_at__isnull=True).values_list(
            "user_id", "external_id", "achieved_at"):
        externals[user_id][external_id] = achieved_at
    return {user_id: rules.LearnerRecord(courses=tuple(courses[user_id]),
                                         credentials=credentials[user_id],
                                         externals=externals[user_id])
            for user_id in user_ids}


def _course_result(key, org, number, passing, passed_at, grade, grade_at, cert, mode,
                   cert_at, mode_at) -> rules.CourseResult:
    """A completion row (counted key onwards, ``hotpath.completions`` order) as the rules
    read it."""
    return rules.CourseResult(
        course_key=key, org=org, number=number, run=key.rsplit("+", 1)[-1],
        passing=bool(passing), passed_at=passed_at, grade=grade, grade_at=grade_at,
        certificate=cert in issuance.EARNED_CERTIFICATE_STATUSES, certificate_mode=mode,
        certificate_at=cert_at, certificate_mode_at=mode_at,
    )


def _with_credentials(user_id: int, record: rules.LearnerRecord, *,
                      externals: bool) -> rules.LearnerRecord:
    """``record`` with fresh credentials (and external achievements, when needed)."""
    changes: dict[str, Any] = {"credentials": hotpath.active_credentials(user_id)}
    if externals:
        changes["externals"] = hotpath.externals(user_id)
    return dataclasses.replace(record, **changes)


def _need_externals(candidates: list[_Candidate]) -> bool:
    return any(definition_for(candidate.version_id).rules.uses_externals
               for candidate in candidates)


def _lock_learner(user_id: int) -> None:
    if not connection.features.has_select_for_update:
        return
    # Lock first, create only when missing: INSERT IGNORE on an existing row takes a shared lock,
    # and two evaluations each holding it while waiting for FOR UPDATE would deadlock.
    locked = LearnerLock.objects.select_for_update().filter(user_id=user_id).values_list("pk")
    if not list(locked):
        LearnerLock.objects.bulk_create([LearnerLock(user_id=user_id)], ignore_conflicts=True)
        list(locked.all())


def _candidates(*, course_key: str | None = None, external_id: str | None = None,
                program_ids: Iterable[str] = (), parents: bool = False) -> list[_Candidate]:
    """Published programmes containing the course / external id, or the given (or parent) ones."""
    entries: list[tuple[str, str]] = []
    if course_key:
        org, number = _org_number(course_key)
        entries += [(ProgramLeafIndex.COURSE_RUN, course_key),
                    (ProgramLeafIndex.COURSE, course_index_key(org, number))]
    if external_id:
        entries.append((ProgramLeafIndex.EXTERNAL, external_id))
    program_ids = list(program_ids)
    if parents:
        entries += [(ProgramLeafIndex.PROGRAM, program_id) for program_id in program_ids]
    rows = hotpath.candidates(entries)
    if program_ids and not parents:
        rows |= set(Program.objects.filter(program_id__in=program_ids, retired_at__isnull=True,
                                           published_version__isnull=False)
                    .values_list("pk", "program_id", "published_version_id"))
    return [_Candidate(*row) for row in sorted(rows, key=lambda r: r[1])]


def _candidates_for_record(record: rules.LearnerRecord) -> list[_Candidate]:
    entries = {(ProgramLeafIndex.COURSE_RUN, c.course_key) for c in record.courses}
    entries |= {(ProgramLeafIndex.COURSE, course_index_key(c.org, c.number))
                for c in record.courses}
    entries |= {(ProgramLeafIndex.EXTERNAL, key) for key in record.externals}
    entries |= {(ProgramLeafIndex.PROGRAM, key) for key in record.credentials}
    rows = hotpath.candidates(sorted(entries))
    return [_Candidate(*row) for row in sorted(rows, key=lambda r: r[1])]


def _org_number(course_key: str) -> tuple[str, str]:
    """``org`` and ``number`` of a ``course-v1:ORG+NUMBER+RUN`` key.

    A string split, not an opaque-keys parse: this is on the hot path of every evaluation.
    """
    body = course_key.split(":", 1)[-1]
    parts = body.split("+")
    if len(parts) >= 3:
        return parts[0], parts[1]
    from opaque_keys.edx.keys import CourseKey  # old-style or unusual keys: parse properly

    key = CourseKey.from_string(course_key)
    return str(key.org), str(key.course)


def _progress_rows(user_id: int, program_pks: list[int]) -> dict[int, hotpath.Progress]:
    return hotpath.progress(user_id, program_pks)


def _evaluate_one(user_id: int, candidate: _Candidate, record: rules.LearnerRecord,
                  completion_ids: dict[str, int], progress: hotpath.Progress | None,
                  outcome: Outcome) -> bool:
    """Evaluate one programme; return True when a credential was issued or revoked."""
    definition = definition_for(candidate.version_id)
    result = rules.evaluate(definition.rules, record)
    outcome.evaluated.append(candidate.program_id)
    _store_progress(user_id, candidate, result, progress)
    active = candidate.program_id in record.credentials
    if result.complete and not active and not issuance.withheld(user_id, candidate.pk):
        credential = _issue(user_id, candidate, definition, result, completion_ids)
        if credential is not None:
            outcome.issued.append(candidate.program_id)
            outcome.credential_ids.append(credential.pk)
            return True
    elif not result.complete and active and setting("MICROCRED_REVOKE_ON_REGRESSION"):
        revoked = issuance.revoke_active(user_id=user_id, program_pk=candidate.pk,
                                         reason="requirements no longer met",
                                         at=_regressed_at(user_id, candidate.pk, result))
        if revoked is not None:
            outcome.revoked.append(candidate.program_id)
            outcome.credential_ids.append(revoked.pk)
            return True
    return False


def _issue(user_id: int, candidate: _Candidate, definition, result: rules.Evaluation,
           completion_ids: dict[str, int]):
    """``issuance.issue`` in a savepoint. When the org's signing key cannot be decrypted nothing
    of this programme's issuance is kept, an error names the org and the remedy, and the rest of
    the evaluation commits: the progress row says complete without a credential, so
    ``microcred_backfill`` (or the learner's next event) issues it once the key is back."""
    try:
        with transaction.atomic():
            return issuance.issue(user_id=user_id, program_pk=candidate.pk,
                                  version_id=candidate.version_id, definition=definition,
                                  evaluation=result, completion_ids=completion_ids)
    except encryption.DecryptionError as error:
        log.error("microcred: cannot issue %s to user %s: %s; then run "
                  "'manage.py microcred_backfill --program %s'",
                  candidate.program_id, user_id, error, candidate.program_id)
        return None


def _regressed_at(user_id: int, program_pk: int,
                  result: rules.Evaluation) -> datetime | None:
    """When the requirements stopped being met, from the events' times: the latest event time
    of the facts that counted for the active credential and count no longer (a course's
    passing, grade or certificate event, a withdrawal, a stacked credential's revocation).
    None when unknown (the caller then uses the time of the revocation). A rare path: ORM."""
    stored = (Credential.objects.filter(user_id=user_id, program_id=program_pk, active=True)
              .values_list("evidence", flat=True).first()) or []
    still = {item.path for item in result.evidence}
    lost = [rules.Evidence.from_json(item) for item in stored if item["path"] not in still]
    times: list[datetime | None] = []
    for item in lost:
        if item.kind == "course":
            for row in CourseCompletion.objects.filter(user_id=user_id, counted_key=item.key) \
                    .values_list("passing_event_at", "grade_event_at", "certificate_event_at"):
                times += row
        elif item.kind == "external":
            times += ExternalAchievement.objects.filter(
                user_id=user_id, external_id=item.key).values_list("withdrawn_at", flat=True)
        else:
            times += Credential.objects.filter(
                user_id=user_id, program__program_id=item.key).values_list("revoked_at",
                                                                           flat=True)
    known = [when for when in times if when is not None]
    return min(max(known), timezone.now()) if known else None


def _store_progress(user_id: int, candidate: _Candidate, result: rules.Evaluation,
                    progress: hotpath.Progress | None) -> None:
    values: dict[str, Any] = {
        "version_id": candidate.version_id, "complete": result.complete,
        "credits_earned": result.credits_earned, "satisfied": list(result.satisfied),
        "evaluated_at": timezone.now(),
    }
    if progress is not None:
        if (progress.version_id == candidate.version_id and progress.complete == result.complete
                and progress.credits_earned == result.credits_earned
                and progress.satisfied == values["satisfied"]):
            return  # unchanged: no write
        hotpath.update_progress(progress.pk, **values)
        return
    # First evaluation of this programme for this learner: one upsert statement. The learner
    # lock makes a concurrent insert impossible where locks exist; elsewhere the upsert still
    # leaves the newest evaluation.
    # MySQL's ON DUPLICATE KEY takes no conflict target: the row's only unique key decides.
    target = (["user", "program"] if connection.features.supports_update_conflicts_with_target
              else None)
    ProgramProgress.objects.bulk_create(
        [ProgramProgress(user_id=user_id, program_id=candidate.pk, **values)],
        update_conflicts=True, unique_fields=target, update_fields=list(values))
