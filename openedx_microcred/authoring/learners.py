"""
A programme's learners for its course team: one row per learner evaluated against it.

Rows are built a page at a time (a few queries per page, whatever its size) so the REST list and
the streamed CSV export stay flat in memory as the cohort grows. Learners appear by username and
full name: the course team's own view, never a public document.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from .. import platform, programs, rules
from ..models import Credential, Program, ProgramProgress

CSV_HEADER = ("username", "name", "requirements_met", "requirements", "credits_earned",
              "complete", "credential_uuid", "credential_status")


@dataclass(frozen=True)
class LearnerRow:
    """One learner's standing in a programme."""

    user_id: int
    username: str
    name: str
    requirements_met: int
    requirements: int
    credits_earned: Decimal
    complete: bool
    credential_uuid: UUID | None
    credential_status: str  # "" (none), "awarded", "revoked" or "expired"

    def csv_values(self) -> tuple[str, ...]:
        """The row's values in ``CSV_HEADER`` order."""
        return (self.username, self.name, str(self.requirements_met), str(self.requirements),
                str(self.credits_earned), "yes" if self.complete else "no",
                str(self.credential_uuid or ""), self.credential_status)


def progress_rows(program: Program) -> QuerySet:
    """The programme's ``ProgramProgress`` rows, by learner id (for pagination)."""
    return ProgramProgress.objects.filter(program=program).order_by("user_id", "pk")


def learner_rows(program: Program, rows: Iterable[ProgramProgress]) -> list[LearnerRow]:
    """``LearnerRow`` of each progress row (of ``program``), in the same order."""
    rows = list(rows)
    user_ids = [row.user_id for row in rows]
    usernames = dict(get_user_model().objects.filter(pk__in=user_ids)
                     .values_list("pk", "username"))
    contacts = platform.get_users_contact(user_ids)
    credentials = _latest_credentials(program, user_ids)
    sizes = {}
    result = []
    for row in rows:
        if row.version_id not in sizes:
            definition = programs.definition_for(row.version_id)
            sizes[row.version_id] = sum(1 for _ in rules.iter_nodes(definition.requirements)) - 1
        credential = credentials.get(row.user_id)
        result.append(LearnerRow(
            user_id=row.user_id, username=usernames.get(row.user_id, ""),
            name=contacts.get(row.user_id, ("", ""))[0],
            requirements_met=len([path for path in row.satisfied if path]),
            requirements=sizes[row.version_id], credits_earned=row.credits_earned,
            complete=row.complete,
            credential_uuid=credential.uuid if credential else None,
            credential_status=credential.current_status() if credential else ""))
    return result


def iter_learner_rows(program: Program, *, batch_size: int = 500) -> Iterator[LearnerRow]:
    """Every learner row of the programme, read in batches (keyset pagination)."""
    after = 0
    while True:
        batch = list(progress_rows(program).filter(user_id__gt=after)[:batch_size])
        if not batch:
            return
        yield from learner_rows(program, batch)
        after = batch[-1].user_id


def _latest_credentials(program: Program, user_ids: list[int]) -> dict[int, Credential]:
    latest: dict[int, Credential] = {}
    for credential in (Credential.objects.filter(program=program, user_id__in=user_ids)
                       .order_by("issued_at", "pk")):
        latest[credential.user_id] = credential  # the newest wins
    return latest
