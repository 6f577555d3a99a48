"""
Learners and their facts, bulk-loaded straight into the bench database.

Rows go in with ``executemany`` on the raw cursor in big batches, one transaction per batch,
with ``PRAGMA synchronous=OFF`` on the bench connection (10^6 completions load in seconds). The
rows are those the receivers would have written (``completions.record_*``): same columns, keys,
``counted_key`` = ``course_key`` (no CCX), ``org``/``number`` from the key.

Each learner follows one or two programmes: they have a result in most (80%) of those
programmes' courses — a run of ``runs="any"`` courses is sometimes another run — and the rest
of their ``per_user`` completions are random courses. 85% of results are passing, 60% of passes
have a downloadable certificate (70% verified). 5% of learners hold a badge of a programme's
badge template. So evaluation finds real work: partial progress, completions, issuance, stacking.
"""
from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

from catalogue import OTHER_RUN, RUN, Catalogue

BATCH = 50_000

_COMPLETION_COLUMNS = (
    "user_id", "course_key", "counted_key", "org", "number", "passing", "passed_at",
    "passing_event_at", "grade", "grade_event_at", "certificate_status", "certificate_mode",
    "certificate_at", "certificate_event_at", "modified",
)


@dataclass
class Loaded:
    users: int
    completions: int
    externals: int
    # (user id, course key) of some loaded completions, for events about existing results
    sample_pairs: list[tuple[int, str]]


def load(cat: Catalogue, *, users: int, per_user: int, seed: int = 2,
         first_user_id: int = 1, sample: int = 20_000) -> Loaded:
    """Insert ``users`` learners with ``per_user`` completions each (and some badges)."""
    import env
    from django.db import connection, transaction

    rng = random.Random(seed)
    pairs: list[tuple[int, str]] = []
    total = externals = 0
    with connection.cursor() as cursor:
        env.bulk_pragmas(cursor)
    user_ids = range(first_user_id, first_user_id + users)
    keep_every = max(1, (users * per_user) // sample) if sample else 0
    facts = _Facts(cat)
    for chunk_start in range(0, users, BATCH // per_user):
        chunk = user_ids[chunk_start:chunk_start + BATCH // per_user]
        rows: list[tuple] = []
        badges: list[tuple] = []
        for user_id in chunk:
            for key, row in _learner_rows(rng, facts, user_id, per_user):
                rows.append(row)
                if keep_every and (total + len(rows)) % keep_every == 0:
                    pairs.append((user_id, key))
            if cat.badge_templates and rng.random() < 0.05:
                template = rng.choice(cat.badge_templates)
                day = facts.days[int(rng.random() * len(facts.days))]
                badges.append((user_id, f"badge:{template.lower()}", day, "", "badge", day))
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO auth_user (id, password, is_superuser, username, first_name, "
                "last_name, email, is_staff, is_active, date_joined) "
                "VALUES (%s, '!', 0, %s, '', '', %s, 0, 1, '2024-01-01 00:00:00')",
                [(u, f"learner{u}", f"learner{u}@example.com") for u in chunk])
            cursor.executemany(
                f"INSERT INTO openedx_microcred_coursecompletion ({', '.join(_COMPLETION_COLUMNS)})"
                f" VALUES ({', '.join(['%s'] * len(_COMPLETION_COLUMNS))})", rows)
            cursor.executemany(
                "INSERT INTO openedx_microcred_externalachievement (user_id, external_id, "
                "achieved_at, evidence_url, source, created) VALUES (%s, %s, %s, %s, %s, %s)",
                badges)
        total += len(rows)
        externals += len(badges)
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("ANALYZE")
    return Loaded(users=users, completions=total, externals=externals, sample_pairs=pairs)


class _Facts:
    """Precomputed strings, so that generating 10^6 rows stays cheap."""

    def __init__(self, cat: Catalogue):
        self.cat = cat
        self.days = [f"2025-{m:02d}-{d:02d} {h:02d}:00:00"
                     for m in range(1, 13) for d in range(1, 29) for h in (8, 13, 20)]
        self.courses = [cat.course_key(org, number)
                        for org in range(cat.orgs) for number in range(cat.numbers)]
        self.parts: dict[str, tuple[str, str]] = {}

    def split(self, key: str) -> tuple[str, str]:
        parts = self.parts.get(key)
        if parts is None:
            org, number, _ = key.split(":", 1)[1].split("+")
            parts = self.parts[key] = (org, number)
        return parts


def _learner_rows(rng: random.Random, facts: _Facts, user_id: int,
                  per_user: int) -> Iterator[tuple[str, tuple]]:
    cat, days, rand = facts.cat, facts.days, rng.random
    keys: dict[str, None] = {}
    for _ in range(1 if rand() < 0.67 else 2):
        for key, runs in cat.leaves[int(rand() * len(cat.leaves))]:
            if rand() < 0.8:
                if runs == "any" and rand() < 0.2:
                    key = key[: -len(RUN)] + OTHER_RUN
                keys[key] = None
    courses = facts.courses
    while len(keys) < per_user:
        keys[courses[int(rand() * len(courses))]] = None
    for key in list(keys)[:per_user]:
        org, number = facts.split(key)
        passing = rand() < 0.85
        event = days[int(rand() * len(days))]
        grade = round(0.6 + 0.4 * rand() if passing else 0.6 * rand(), 3)
        if passing and rand() < 0.6:
            status, mode, cert_at = "downloadable", ("verified" if rand() < 0.7 else "audit"), event
        else:
            status = mode = cert_at = None
        yield key, (user_id, key, key, org, number, passing, event if passing else None, event,
                    grade, event, status, mode, cert_at, cert_at, event)
