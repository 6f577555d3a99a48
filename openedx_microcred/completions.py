"""
Recording what the LMS tells us about a learner's course runs: one statement per event.

Each function is a single ``INSERT … ON CONFLICT/ON DUPLICATE KEY UPDATE`` that changes a facet
(passing status, grade, certificate) only when the event is newer than the facet's stored event
time. Event-bus delivery is at-least-once and unordered, so:

* a duplicate (same event time) changes nothing;
* an older event arriving late changes nothing;
* two receivers racing on the same row both land in one atomic statement each, never a lost update.

DO NOT replace these with ``update_or_create``: that is a read then a write (two round trips, and a
race between them), and the ORM cannot express "update only if newer" in an upsert. The SQL is
kept to the two dialects Open edX runs on (MySQL/MariaDB) and the ones its tests use (SQLite,
PostgreSQL).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from .models import CourseCompletion, ExternalAchievement

_TABLE = CourseCompletion._meta.db_table
_KEY_COLUMNS = ("user_id", "course_key")


@dataclass(frozen=True)
class Facet:
    """One independently ordered part of a completion row.

    ``assignments`` are ``(column, new-value expression)`` pairs applied when the event is newer
    than ``event_column``. In expressions, ``{old}`` names the stored row and ``{new}`` the
    incoming one.
    """

    event_column: str
    assignments: tuple[tuple[str, str], ...]


PASSING = Facet("passing_event_at", (
    # Keep the first time of a passing streak: a re-affirmed pass does not move the completion date.
    ("passed_at", "CASE WHEN {new}.passing AND {old}.passing THEN {old}.passed_at "
                  "WHEN {new}.passing THEN {new}.passing_event_at ELSE NULL END"),
    ("passing", "{new}.passing"),
))
# Each facet keeps when its current state was first reported (an event time): a repeated
# grade, status or mode does not move the date; a changed one starts it again.
GRADE = Facet("grade_event_at", (
    ("grade_at", "CASE WHEN {new}.grade = {old}.grade AND {old}.grade_at IS NOT NULL "
                 "THEN {old}.grade_at ELSE {new}.grade_event_at END"),
    ("grade", "{new}.grade"),
))
CERTIFICATE = Facet("certificate_event_at", (
    ("certificate_at", "CASE WHEN {new}.certificate_status = {old}.certificate_status "
                       "THEN {old}.certificate_at ELSE {new}.certificate_event_at END"),
    # The mode counts for leaves with mode="verified": an upgrade (audit -> verified) under the
    # same status is when that leaf's state was reached.
    ("certificate_mode_at", "CASE WHEN {new}.certificate_status = {old}.certificate_status "
                            "AND {new}.certificate_mode = {old}.certificate_mode "
                            "AND {old}.certificate_mode_at IS NOT NULL "
                            "THEN {old}.certificate_mode_at ELSE {new}.certificate_event_at END"),
    ("certificate_status", "{new}.certificate_status"),
    ("certificate_mode", "{new}.certificate_mode"),
))


def record_passing(*, user_id: int, course_key: str, counted_key: str, org: str, number: str,
                   passing: bool, event_time: datetime) -> None:
    """Record a passing-status event for ``course_key`` (``counted_key`` is what rules see)."""
    _upsert(PASSING, {
        "user_id": user_id, "course_key": course_key, "counted_key": counted_key, "org": org,
        "number": number, "passing": passing, "passed_at": event_time if passing else None,
        "passing_event_at": event_time,
    })


def record_grade(*, user_id: int, course_key: str, counted_key: str, org: str, number: str,
                 grade: float, event_time: datetime) -> None:
    """Record a persistent-grade event (``grade`` is the percent grade, 0.0–1.0)."""
    _upsert(GRADE, {
        "user_id": user_id, "course_key": course_key, "counted_key": counted_key, "org": org,
        "number": number, "grade": grade, "grade_at": event_time, "grade_event_at": event_time,
    })


def record_certificate(*, user_id: int, course_key: str, counted_key: str, org: str, number: str,
                       status: str, mode: str, event_time: datetime) -> None:
    """Record a certificate event (``status`` as edx-platform reports it, e.g. downloadable)."""
    _upsert(CERTIFICATE, {
        "user_id": user_id, "course_key": course_key, "counted_key": counted_key, "org": org,
        "number": number, "certificate_status": status, "certificate_mode": mode,
        "certificate_at": event_time, "certificate_mode_at": event_time,
        "certificate_event_at": event_time,
    })


def record_external(*, user_id: int, external_id: str, achieved_at: datetime,
                    evidence_url: str = "", source: str = ExternalAchievement.STAFF) -> None:
    """Record an external achievement; a repeat keeps the earliest time (first achieved).

    An award dated after a withdrawal restores the achievement as of the award's time; one
    dated before it (a late or replayed event) leaves it withdrawn. Two statements.
    """
    row = ExternalAchievement(user_id=user_id, external_id=external_id, achieved_at=achieved_at,
                              evidence_url=evidence_url or "", source=source)
    ExternalAchievement.objects.bulk_create([row], ignore_conflicts=True)
    # One statement for both: an earlier award moves the date back (withdrawn or not); an award
    # after the withdrawal restores it (``withdrawn_by``/``withdrawal_reason`` stay as the record
    # of the last withdrawal).
    ExternalAchievement.objects.filter(
        Q(withdrawn_at__lt=achieved_at) | Q(achieved_at__gt=achieved_at),
        user_id=user_id, external_id=external_id,
    ).update(achieved_at=achieved_at, evidence_url=evidence_url or "", source=source,
             withdrawn_at=Case(When(withdrawn_at__lt=achieved_at, then=Value(None)),
                               default=F("withdrawn_at"),
                               output_field=ExternalAchievement._meta.get_field("withdrawn_at")))


def withdraw_external(*, user_id: int, external_id: str, withdrawn_at: datetime, by: str,
                      reason: str, source: str = ExternalAchievement.STAFF,
                      ahead_of_award: bool = False) -> bool:
    """Withdraw an external achievement as of ``withdrawn_at``; return whether one was withdrawn.

    An award dated after ``withdrawn_at`` is newer and stays. ``ahead_of_award`` (revocation
    events, which may arrive before the award they revoke) records a withdrawn row when there
    is none, so the late award it revokes does not count.
    """
    audit = {"withdrawn_at": withdrawn_at, "withdrawn_by": by[:150],
             "withdrawal_reason": reason[:255]}
    if ahead_of_award:
        ExternalAchievement.objects.bulk_create(
            [ExternalAchievement(user_id=user_id, external_id=external_id,
                                 achieved_at=withdrawn_at, source=source, **audit)],
            ignore_conflicts=True)
    return bool(ExternalAchievement.objects.filter(
        user_id=user_id, external_id=external_id, withdrawn_at__isnull=True,
        achieved_at__lte=withdrawn_at).update(**audit))


def _upsert(facet: Facet, values: dict) -> None:
    values = {**values, "modified": timezone.now()}
    columns = list(values)
    sql = _upsert_sql(connection.vendor, facet, tuple(columns))
    adapt = connection.ops.adapt_datetimefield_value
    params = [adapt(v) if isinstance(v, datetime) else v for v in values.values()]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


_SQL_CACHE: dict[tuple, str] = {}


def _upsert_sql(vendor: str, facet: Facet, columns: tuple[str, ...]) -> str:
    key = (vendor, facet.event_column, columns)
    if key not in _SQL_CACHE:
        builder = _mysql_sql if vendor == "mysql" else _on_conflict_sql
        _SQL_CACHE[key] = builder(facet, columns)
    return _SQL_CACHE[key]


def _on_conflict_sql(facet: Facet, columns: tuple[str, ...]) -> str:
    """SQLite ≥ 3.24 and PostgreSQL: a conditional ``ON CONFLICT … DO UPDATE … WHERE``."""
    sets = [f"{col} = {expr.format(old=_TABLE, new='excluded')}" for col, expr in facet.assignments]
    sets.append(f"{facet.event_column} = excluded.{facet.event_column}")
    sets.append("modified = excluded.modified")
    return (
        f"INSERT INTO {_TABLE} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))}) "
        f"ON CONFLICT ({', '.join(_KEY_COLUMNS)}) DO UPDATE SET {', '.join(sets)} "
        f"WHERE {_TABLE}.{facet.event_column} IS NULL "
        f"OR {_TABLE}.{facet.event_column} < excluded.{facet.event_column}"
    )


def _mysql_sql(facet: Facet, columns: tuple[str, ...]) -> str:
    """MySQL/MariaDB: ``ON DUPLICATE KEY UPDATE`` with every assignment guarded by ``IF(newer)``.

    MySQL applies the assignments left to right and later ones see earlier results, so the
    event-time column — which the guard reads — is assigned last.
    """
    newer = f"({facet.event_column} IS NULL OR {facet.event_column} < VALUES({facet.event_column}))"

    def guarded(column: str, expr: str) -> str:
        new_value = expr.format(old=_TABLE, new="__new__")
        # In MySQL the incoming value of a column is VALUES(column), the stored one the bare name.
        for col in sorted(columns, key=len, reverse=True):  # passing_event_at before passing
            new_value = new_value.replace(f"__new__.{col}", f"VALUES({col})")
        new_value = new_value.replace(f"{_TABLE}.", "")
        return f"{column} = IF({newer}, {new_value}, {column})"

    sets = [guarded(col, expr) for col, expr in facet.assignments]
    sets.append(f"modified = IF({newer}, VALUES(modified), modified)")
    sets.append(f"{facet.event_column} = IF({newer}, VALUES({facet.event_column}), "
                f"{facet.event_column})")
    return (
        f"INSERT INTO {_TABLE} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))}) "
        f"ON DUPLICATE KEY UPDATE {', '.join(sets)}"
    )
