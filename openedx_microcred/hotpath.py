"""
The SQL of the evaluation hot path: the few reads and the progress update every event causes.

DO NOT turn these back into ORM querysets without measuring: building and compiling a queryset
costs ~10x the statement itself on this path (``make bench``: evaluate throughput), and every
course-completion event runs all of them. The statements are built once from the models' own
table and column names, so a schema change still shows up here; values are converted to what the
ORM would return (aware UTC datetimes, bools, Decimals, parsed JSON).
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from django.db import connection

from .models import (
    CourseCompletion,
    Credential,
    ExternalAchievement,
    Program,
    ProgramLeafIndex,
    ProgramProgress,
)

_COMPLETION = CourseCompletion._meta.db_table
_EXTERNAL = ExternalAchievement._meta.db_table
_CREDENTIAL = Credential._meta.db_table
_PROGRAM = Program._meta.db_table
_LEAF = ProgramLeafIndex._meta.db_table
_PROGRESS = ProgramProgress._meta.db_table

COMPLETIONS_SQL = (
    f"SELECT id, counted_key, org, number, passing, passed_at, grade, certificate_status, "
    f"certificate_mode, certificate_at FROM {_COMPLETION} WHERE user_id = %s")
EXTERNALS_SQL = f"SELECT external_id, achieved_at FROM {_EXTERNAL} WHERE user_id = %s"
CREDENTIALS_SQL = (
    f"SELECT p.program_id, c.issued_at FROM {_CREDENTIAL} c "
    f"JOIN {_PROGRAM} p ON p.id = c.program_id WHERE c.user_id = %s AND c.active = %s")


@dataclass(frozen=True)
class Progress:
    """A stored ``ProgramProgress`` row, as the evaluation compares it."""

    pk: int
    program_pk: int
    version_id: int
    complete: bool
    credits_earned: Decimal
    satisfied: list[str]


def completions(user_id: int) -> list[tuple]:
    """``(id, counted_key, org, number, passing, passed_at, grade, certificate_status,
    certificate_mode, certificate_at)`` of the learner's completion rows."""
    return [(pk, key, org, number, _bool(passing), _aware(passed_at), grade, status, mode,
             _aware(cert_at))
            for pk, key, org, number, passing, passed_at, grade, status, mode, cert_at
            in _rows(COMPLETIONS_SQL, [user_id])]


def externals(user_id: int) -> dict[str, datetime]:
    """External id → achievement time."""
    return {key: _aware(when) for key, when in _rows(EXTERNALS_SQL, [user_id])}


def active_credentials(user_id: int) -> dict[str, datetime]:
    """Programme id → issue time of the learner's active credentials."""
    rows = _rows(CREDENTIALS_SQL, [user_id, True])
    return {program_id: _aware(when) for program_id, when in rows}


def candidates(entries: Sequence[tuple[str, str]]) -> set[tuple[int, str, int]]:
    """``(program pk, programme id, published version id)`` of the published programmes whose
    leaf index holds any of the ``(kind, key)`` entries (retired ones issue nothing: left out)."""
    if not entries:
        return set()
    match = " OR ".join(["(li.kind = %s AND li.key = %s)"] * len(entries))
    sql = (f"SELECT p.id, p.program_id, p.published_version_id FROM {_LEAF} li "
           f"JOIN {_PROGRAM} p ON p.id = li.program_id "
           f"WHERE p.published_version_id IS NOT NULL AND p.retired_at IS NULL AND ({match})")
    return set(_rows(sql, [value for entry in entries for value in entry]))


def progress(user_id: int, program_pks: Sequence[int]) -> dict[int, Progress]:
    """The learner's progress rows of the given programmes, by programme pk."""
    if not program_pks:
        return {}
    placeholders = ", ".join(["%s"] * len(program_pks))
    sql = (f"SELECT id, program_id, version_id, complete, credits_earned, satisfied "
           f"FROM {_PROGRESS} WHERE user_id = %s AND program_id IN ({placeholders})")
    return {row[1]: Progress(row[0], row[1], row[2], bool(row[3]), _decimal(row[4]),
                             _json(row[5]))
            for row in _rows(sql, [user_id, *program_pks])}


def update_progress(pk: int, *, version_id: int, complete: bool, credits_earned: Decimal,
                    satisfied: list[str], evaluated_at: datetime) -> None:
    """Overwrite one progress row."""
    ops = connection.ops
    sql = (f"UPDATE {_PROGRESS} SET version_id = %s, complete = %s, credits_earned = %s, "
           f"satisfied = %s, evaluated_at = %s WHERE id = %s")
    params = [version_id, complete,
              ops.adapt_decimalfield_value(credits_earned, max_digits=9, decimal_places=3),
              json.dumps(satisfied), ops.adapt_datetimefield_value(evaluated_at), pk]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _rows(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _aware(value):
    """Stored datetimes are naive UTC (SQLite, MySQL): make them aware, as the ORM does."""
    if isinstance(value, str):  # a backend without a datetime converter
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _bool(value) -> bool | None:
    return None if value is None else bool(value)


def _decimal(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.001"))


def _json(value):
    return json.loads(value) if isinstance(value, (str, bytes)) else value
