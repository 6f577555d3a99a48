"""
Recording what the LMS tells us about a learner's course runs: one statement per event.

Each function is a single ``INSERT … ON CONFLICT/ON DUPLICATE KEY UPDATE`` that changes a facet
(passing status, grade, certificate) only when the event is newer than the facet's stored event
time. Event-bus delivery is at-least-once and unordered, so:

* a duplicate (same event time) changes nothing;
* an older event arriving late changes nothing;
* two receivers racing on the same row both land in one atomic statement each, never a lost update.

An event for a user id that does not exist records nothing: the insert selects its values only
``WHERE EXISTS`` that user (still one statement), and ``UnknownLearner`` is raised when the
statement touched no row and a second look finds no such user (the look is only taken then, so
the common path stays one round trip).

DO NOT replace these with ``update_or_create``: that is a read then a write (two round trips, and a
race between them), and the ORM cannot express "update only if newer" in an upsert. The SQL is
kept to the two dialects Open edX runs on (MySQL/MariaDB) and the ones its tests use (SQLite,
PostgreSQL).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from .models import CourseCompletion, ExternalAchievement

_TABLE = CourseCompletion._meta.db_table
_KEY_COLUMNS = ("user_id", "course_key")


class UnknownLearner(LookupError):
    """No user has the id an event or caller gave; nothing was recorded."""


@dataclass(frozen=True)
class Facet:
    """One independently ordered part of a completion row.

    ``assignments`` are ``(column, new-value expression)`` pairs applied when the event is newer
    than ``event_column``. In expressions, ``{old}`` names
    the stored row and ``{new}`` the incoming one. ``modified`` takes the processing time
    whenever the event wins.
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
    dated before it (a late or replayed event) leaves it withdrawn. Raises ``UnknownLearner``
    (recording nothing) when no user has ``user_id``. Two statements (an insert for a known
    user, then the conditional update); the user is looked up only when neither wrote.
    """
    evidence_url = evidence_url or ""
    if _insert_external(user_id=user_id, external_id=external_id, achieved_at=achieved_at,
                        evidence_url=evidence_url, source=source):
        return
    # One statement for both: an earlier award moves the date back (withdrawn or not); an award
    # after the withdrawal restores it (``withdrawn_by``/``withdrawal_reason`` stay as the record
    # of the last withdrawal).
    updated = ExternalAchievement.objects.filter(
        Q(withdrawn_at__lt=achieved_at) | Q(achieved_at__gt=achieved_at),
        user_id=user_id, external_id=external_id,
    ).update(achieved_at=achieved_at, evidence_url=evidence_url, source=source,
             withdrawn_at=Case(When(withdrawn_at__lt=achieved_at, then=Value(None)),
                               default=F("withdrawn_at"),
                               output_field=ExternalAchievement._meta.get_field("withdrawn_at")))
    if not updated and not get_user_model().objects.filter(pk=user_id).exists():
        raise UnknownLearner(f"no user has id {user_id}")


def _insert_external(**values) -> bool:
    """Insert the achievement when its user exists and it is not recorded yet; return whether
    a row was inserted. One ``INSERT … SELECT … WHERE EXISTS`` statement."""
    values = {"withdrawn_by": "", "withdrawal_reason": "", **values, "created": timezone.now()}
    table = ExternalAchievement._meta.db_table
    if connection.vendor == "mysql":
        # INSERT IGNORE: its row count is the rows inserted. (ON DUPLICATE KEY UPDATE would count a
        # duplicate as 1 under CLIENT_FOUND_ROWS, which Django's MySQL backend sets.)
        sql = _insert_select(table, tuple(values), dual=" FROM DUAL").replace(
            "INSERT INTO", "INSERT IGNORE INTO", 1)
    else:
        sql = (_insert_select(table, tuple(values))
               + "ON CONFLICT (user_id, external_id) DO NOTHING")
    adapt = connection.ops.adapt_datetimefield_value
    params = [adapt(v) if isinstance(v, datetime) else v for v in values.values()]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, values["user_id"]])
        return cursor.rowcount == 1


def withdraw_external(*, user_id: int, external_id: str, withdrawn_at: datetime, by: str,
                      reason: str, source: str = ExternalAchievement.STAFF,
                      ahead_of_award: bool = False) -> bool:
    """Withdraw an external achievement as of ``withdrawn_at``; return whether one was withdrawn.

    An award dated after ``withdrawn_at`` is newer and stays. ``ahead_of_award`` (revocation
    events, which may arrive before the award they revoke) records a withdrawn row when there
    is none, so the late award it revokes does not count. Raises ``UnknownLearner`` (recording
    nothing) when no user has ``user_id``.
    """
    audit = {"withdrawn_at": withdrawn_at, "withdrawn_by": by[:150],
             "withdrawal_reason": reason[:255]}
    inserted = ahead_of_award and _insert_external(
        user_id=user_id, external_id=external_id, achieved_at=withdrawn_at, evidence_url="",
        source=source, **audit)
    updated = ExternalAchievement.objects.filter(
        user_id=user_id, external_id=external_id, withdrawn_at__isnull=True,
        achieved_at__lte=withdrawn_at).update(**audit)
    # The user is looked up only when nothing was written (as for every other fact).
    if not (inserted or updated) and not get_user_model().objects.filter(pk=user_id).exists():
        raise UnknownLearner(f"no user has id {user_id}")
    return bool(updated)


def _upsert(facet: Facet, values: dict) -> None:
    """Run the facet's conditional upsert; raise ``UnknownLearner`` for an unknown user id."""
    values = {**values, "modified": timezone.now()}
    columns = list(values)
    sql = _upsert_sql(connection.vendor, facet, tuple(columns))
    adapt = connection.ops.adapt_datetimefield_value
    params = [adapt(v) if isinstance(v, datetime) else v for v in values.values()]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, values["user_id"]])
        touched = cursor.rowcount
    # 0 rows: an older or duplicate event (a no-op, except on MySQL, whose FOUND_ROWS counts the
    # matched row) or no such user. Only then is the user looked up.
    if touched == 0 and not get_user_model().objects.filter(pk=values["user_id"]).exists():
        raise UnknownLearner(f"no user has id {values['user_id']}")


def _insert_select(table: str, columns: tuple[str, ...], dual: str = "") -> str:
    """``INSERT … SELECT <values> WHERE EXISTS <the user>``: nothing is inserted for an unknown
    user id (the user id is the statement's last parameter)."""
    user = get_user_model()._meta
    return (f"INSERT INTO {table} ({', '.join(columns)}) "
            f"SELECT {', '.join(['%s'] * len(columns))}{dual} "
            f"WHERE EXISTS (SELECT 1 FROM {user.db_table} WHERE {user.pk.column} = %s) ")


_SQL_CACHE: dict[tuple, str] = {}


def _upsert_sql(vendor: str, facet: Facet, columns: tuple[str, ...]) -> str:
    key = (vendor, facet.event_column, columns)
    if key not in _SQL_CACHE:
        builder = _mysql_sql if vendor == "mysql" else _on_conflict_sql
        _SQL_CACHE[key] = builder(facet, columns)
    return _SQL_CACHE[key]


def _on_conflict_sql(facet: Facet, columns: tuple[str, ...]) -> str:
    """SQLite ≥ 3.24 and PostgreSQL: a conditional ``ON CONFLICT … DO UPDATE … WHERE``."""
    table, event = _TABLE, facet.event_column
    sets = [f"{col} = {expr.format(old=table, new='excluded')}" for col, expr in facet.assignments]
    sets.append(f"{event} = excluded.{event}")
    sets.append("modified = excluded.modified")
    return (
        _insert_select(table, columns)
        + f"ON CONFLICT ({', '.join(_KEY_COLUMNS)}) DO UPDATE SET {', '.join(sets)} "
        f"WHERE {table}.{event} IS NULL OR {table}.{event} < excluded.{event}"
    )


def _mysql_sql(facet: Facet, columns: tuple[str, ...]) -> str:
    """MySQL/MariaDB: ``ON DUPLICATE KEY UPDATE`` with every assignment guarded by ``IF(wins)``.

    MySQL applies the assignments left to right and later ones see earlier results, so the
    event-time column — which the guard reads — is assigned last.
    """
    event = facet.event_column
    wins = f"({event} IS NULL OR {event} < VALUES({event}))"

    def guarded(column: str, expr: str) -> str:
        new_value = expr.format(old=_TABLE, new="__new__")
        # In MySQL the incoming value of a column is VALUES(column), the stored one the bare name.
        for col in sorted(columns, key=len, reverse=True):  # passing_event_at before passing
            new_value = new_value.replace(f"__new__.{col}", f"VALUES({col})")
        new_value = new_value.replace(f"{_TABLE}.", "")
        return f"{column} = IF({wins}, {new_value}, {column})"

    sets = [guarded(col, expr) for col, expr in facet.assignments]
    sets.append(f"modified = IF({wins}, VALUES(modified), modified)")
    sets.append(f"{event} = IF({wins}, VALUES({event}), {event})")
    return (_insert_select(_TABLE, columns, dual=" FROM DUAL")
            + f"ON DUPLICATE KEY UPDATE {', '.join(sets)}")
