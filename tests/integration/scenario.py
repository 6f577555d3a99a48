"""
Deterministic event scenarios for the integration suite, and the oracle that judges their outcome.

A scenario is generated from a seed, in the pytest process: learners, the openedx-events they
produce (as plain JSON-able dicts, every one with a distinct event time), and a delivery plan per
sending thread with duplicates and deliberately inverted (newest-first) deliveries. The driver
(``driver.py``) turns the dicts into real signals and sends them; ``expect`` computes, without the
product's database code, what the database must hold afterwards; ``check`` compares.

Every facet of every completion row is *monotone in event time* (fails precede passes, grades
only rise, a certificate that becomes downloadable stays so): whatever intermediate state a worker
evaluates is a subset of the final one, so the expected credentials are exactly the programmes the
final state completes (``MICROCRED_REVOKE_ON_REGRESSION`` is off, regressions are out of scope).
"""
from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from ccx_keys.locator import CCXLocator
from opaque_keys.edx.keys import CourseKey

from openedx_microcred import rules
from openedx_microcred.definitions import ProgramDefinition, parse_program
from openedx_microcred.demo.cohort import sample_program_xmls

BADGE_TEMPLATE = "0f8fad5b-d9cb-469f-a165-70867728950e"
OTHER_BADGE_TEMPLATE = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

# Small programmes next to the bundled samples: a min-grade course with a badge, and an exact run
# (runs="this") that a CCX result must still satisfy as its master course.
EXTRA_XMLS = [
    f"""<program id="it-graded-badge" org="ITx" lang="en" completion="passing">
  <title>Integration: graded course and badge</title>
  <issuer name="Integration University" url="https://it.example" country="CN"/>
  <requirements>
    <course key="course-v1:ITx+G101+2025" credits="2" min-grade="0.8">Graded course</course>
    <external id="it-external" credits="1" badge-template="{BADGE_TEMPLATE}">A badge</external>
  </requirements>
</program>""",
    """<program id="it-exact-run" org="ITx" lang="en" completion="passing">
  <title>Integration: an exact run and any run</title>
  <issuer name="Integration University" url="https://it.example" country="CN"/>
  <requirements>
    <course key="course-v1:ITx+R201+2025" runs="this" credits="1">Exact run</course>
    <course key="course-v1:ITx+R202+2025" credits="1">Any run</course>
  </requirements>
</program>""",
]

STACKED = ("harvard-front-end-certificate", "au-stacked-course-credit")
PASSING_FACET = ("passing", "ccx_passing")
CERTIFICATE_SIGNALS = ("created", "changed")


def all_xmls() -> list[str]:
    """Every programme definition the suite imports: the bundled samples, then the extras."""
    return [xml.decode("utf-8") for xml in sample_program_xmls().values()] + EXTRA_XMLS


def definitions() -> list[ProgramDefinition]:
    return [parse_program(xml) for xml in all_xmls()]


def ccx_key(master: str, ccx: str) -> str:
    return str(CCXLocator.from_course_locator(CourseKey.from_string(master), ccx))


def row_key(event: dict) -> str:
    """The ``course_key`` of the completion row an event lands in (as reported)."""
    if event["type"] == "badge":
        return f"badge:{event['template']}"
    if event["type"] == "ccx_passing":
        return ccx_key(event["course"], event["ccx"])
    return event["course"]


def counted_key(row: str) -> str:
    """The run a row counts as (a CCX counts as its master course)."""
    key = CourseKey.from_string(row)
    if isinstance(key, CCXLocator):
        return str(key.to_course_locator())
    return row


def facet(event: dict) -> str:
    return "passing" if event["type"] in PASSING_FACET else event["type"]


@dataclass
class Scenario:
    """Learners, events (by id) and each sending thread's deliveries (event ids, in order)."""

    name: str
    learners: list[str]
    events: list[dict]
    deliveries: list[list[int]]
    inverted_groups: int = 0

    def spec(self, **extra) -> dict:
        """The JSON document the driver reads."""
        return {"name": self.name, "xmls": all_xmls(), "learners": self.learners,
                "events": self.events, "deliveries": self.deliveries, **extra}


class _Clock:
    """Strictly increasing, distinct event times (ties would make the outcome order-dependent)."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.now = START

    def next(self) -> str:
        self.now += timedelta(seconds=self.rng.randint(1, 3 * 86400),
                              microseconds=self.rng.randint(1, 999_999))
        return self.now.isoformat()


class _Generator:
    def __init__(self, prefix: str, seed: int):
        self.prefix = prefix
        self.rng = random.Random(seed)
        self.clock = _Clock(self.rng)
        self.events: list[dict] = []

    def add(self, learner: str, **event) -> None:
        event.update(id=len(self.events), learner=learner, time=self.clock.next())
        self.events.append(event)

    def learner(self, name: str) -> None:
        rng = self.rng
        diligence = rng.choice([0.3, 0.6, 0.85, 1.0])
        seen: set[str] = set()
        for definition in definitions():
            leaves = [leaf for leaf in rules.iter_leaves(definition.requirements)
                      if isinstance(leaf, rules.CourseLeaf) and leaf.key not in seen]
            if not leaves:
                continue
            seen.update(leaf.key for leaf in leaves)
            if rng.random() < diligence:
                chosen = list(leaves)
            elif rng.random() < 0.5 or len(leaves) == 1:
                chosen = []
            else:
                chosen = rng.sample(leaves, len(leaves) - 1)
            for leaf in leaves:
                if leaf in chosen:
                    self.complete(name, definition, leaf)
                elif rng.random() < 0.4:
                    self.noise(name, definition, leaf)
        roll = rng.random()
        if roll < 0.7:  # one or two awards of the programme's badge (the earliest counts)
            for _ in range(rng.choice([1, 2])):
                self.add(name, type="badge", template=BADGE_TEMPLATE)
        elif roll < 0.85:
            self.add(name, type="badge", template=OTHER_BADGE_TEMPLATE)

    def grades(self, name: str, row: str, count: int, low: float, high: float) -> None:
        values = sorted(round(self.rng.uniform(low, high), 3) for _ in range(count))
        for value in values:  # rising with time: the newest grade is the highest
            self.add(name, type="grade", course=row, percent=value)

    def passing_events(self, name: str, key: str, ccx: str | None, outcomes: list[bool]) -> None:
        for passing in outcomes:
            if ccx:
                self.add(name, type="ccx_passing", course=key, ccx=ccx, passing=passing)
            else:
                self.add(name, type="passing", course=key, passing=passing)

    def complete(self, name: str, definition: ProgramDefinition, leaf: rules.CourseLeaf) -> None:
        rng = self.rng
        certificate = definition.completion == rules.CERTIFICATE
        ccx = (str(rng.randint(1, 9)) if not certificate and leaf.min_grade is None
               and rng.random() < 0.25 else None)
        fails = [False] * rng.choice([0, 0, 1, 2])
        passes = [True] * rng.choice([1, 1, 2])  # a second, newer pass re-affirms the first
        if certificate and rng.random() < 0.5:
            passes = []
        self.passing_events(name, leaf.key, ccx, fails + passes)
        count = rng.choice([0, 1, 2])
        if leaf.min_grade is not None:
            self.grades(name, leaf.key, max(count, 1) - 1, 0.3, leaf.min_grade - 0.01)
            self.grades(name, leaf.key, 1, leaf.min_grade, 1.0)
        elif ccx and rng.random() < 0.6:  # the LMS grades a CCX under the CCX key
            self.grades(name, ccx_key(leaf.key, ccx), max(count, 1), 0.5, 1.0)
        else:
            self.grades(name, leaf.key, count, 0.5, 1.0)
        if certificate:
            for _ in range(rng.choice([0, 0, 1])):
                status, signal = rng.choice([("notpassing", "created"), ("unavailable", "changed"),
                                             ("revoked", "revoked")])
                self.add(name, type="certificate", course=leaf.key, status=status,
                         mode="verified", signal=signal)
            mode = rng.choice(["verified", "honor"])
            for _ in range(rng.choice([1, 1, 2])):
                self.add(name, type="certificate", course=leaf.key, status="downloadable",
                         mode=mode, signal=rng.choice(CERTIFICATE_SIGNALS))
        elif rng.random() < 0.15:  # a certificate in a passing programme changes nothing
            self.add(name, type="certificate", course=leaf.key, status="downloadable",
                     mode="honor", signal="created")

    def noise(self, name: str, definition: ProgramDefinition, leaf: rules.CourseLeaf) -> None:
        """Events in a course that never complete it, under any delivery order."""
        rng = self.rng
        if definition.completion == rules.CERTIFICATE:
            if rng.random() < 0.5:
                self.passing_events(name, leaf.key, None, [True])
            self.add(name, type="certificate", course=leaf.key,
                     status=rng.choice(["notpassing", "audit_passing", "unavailable"]),
                     mode="audit", signal="created")
        elif leaf.min_grade is not None:  # passing, but never the grade the leaf needs
            self.passing_events(name, leaf.key, None, [True])
            self.grades(name, leaf.key, rng.choice([1, 2]), 0.3, leaf.min_grade - 0.01)
        else:
            self.passing_events(name, leaf.key, None, [False] * rng.choice([1, 2]))
            self.grades(name, leaf.key, rng.choice([0, 1]), 0.1, 0.5)


def generate(prefix: str, seed: int, *, learners: int, threads: int,
             duplicate_rate: float = 0.15, inversion_rate: float = 0.35) -> Scenario:
    """A scenario for ``learners`` learners named ``<prefix>-NN``, sent by ``threads`` threads."""
    gen = _Generator(prefix, seed)
    names = [f"{prefix}-{index:02d}" for index in range(learners)]
    for name in names:
        gen.learner(name)
    # A CCX graded before its passing status arrives (the LMS sends both; either may come first):
    # the row must still count as the master course, for an exact-run requirement too.
    ccx_learner = f"{prefix}-ccx"
    names.append(ccx_learner)
    exact, other = "course-v1:ITx+R201+2025", "course-v1:ITx+R202+2025"
    gen.add(ccx_learner, type="grade", course=ccx_key(exact, "1"), percent=0.9)
    gen.add(ccx_learner, type="ccx_passing", course=exact, ccx="1", passing=True)
    gen.add(ccx_learner, type="passing", course=other, passing=True)
    ordered = [event["id"] for event in gen.events[-3:]]
    events = gen.events
    rng = gen.rng
    groups: dict[tuple, list[int]] = defaultdict(list)
    for event in events:
        groups[(event["learner"], row_key(event), facet(event))].append(event["id"])
    home: dict[int, int] = {}
    inverted = [ids for ids in groups.values() if len(ids) > 1 and rng.random() < inversion_rate]
    for ids in inverted:  # all in one thread, so the newest-first order below really happens
        thread = rng.randrange(threads)
        home.update((event_id, thread) for event_id in ids)
    for event_id in ordered:
        home[event_id] = 0
    for event in events:
        home.setdefault(event["id"], rng.randrange(threads))
    plan: list[list[int]] = [[] for _ in range(threads)]
    for event_id, thread in sorted(home.items()):
        plan[thread].append(event_id)
    for thread_ids in plan:
        rng.shuffle(thread_ids)
    for ids in [*inverted, ordered]:
        thread_ids = plan[home[ids[0]]]
        positions = sorted(thread_ids.index(event_id) for event_id in ids)
        order = ids if ids is ordered else sorted(ids, reverse=True)  # ids rise with time
        for position, event_id in zip(positions, order, strict=True):
            thread_ids[position] = event_id
    for event in events:  # event-bus duplicates: the same metadata again, from other threads
        if rng.random() < duplicate_rate and event["id"] not in ordered:
            for _ in range(rng.choice([1, 1, 2])):
                others = [t for t in range(threads) if t != home[event["id"]]] or [0]
                thread_ids = plan[rng.choice(others)]
                thread_ids.insert(rng.randrange(len(thread_ids) + 1), event["id"])
    return Scenario(name=prefix, learners=names, events=events, deliveries=plan,
                    inverted_groups=len(inverted))


# ------------------------------------------------------------------------------------------------
# The oracle
# ------------------------------------------------------------------------------------------------

def _t(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@dataclass
class ExpectedRow:
    """What one completion row must hold; ``*_allowed`` hold the times a start-of-streak may be."""

    learner: str
    course_key: str
    counted_key: str
    passing: bool | None = None
    passing_event_at: datetime | None = None
    passed_at_allowed: set = field(default_factory=set)
    grade: float | None = None
    grade_event_at: datetime | None = None
    certificate_status: str | None = None
    certificate_mode: str | None = None
    certificate_event_at: datetime | None = None
    certificate_at_allowed: set = field(default_factory=set)


def _streak(changes: list[tuple[datetime, object]]) -> tuple[object, datetime, set]:
    """The newest value, its time, and the times that may start its final streak.

    Whatever the delivery order, the stored start of the streak is the time of one event carrying
    the final value that is newer than every event carrying another value.
    """
    changes = sorted(changes, key=lambda item: item[0])
    value, newest = changes[-1][1], changes[-1][0]
    other = [when for when, v in changes if v != value]
    floor = max(other) if other else None
    starts = {when for when, v in changes if v == value and (floor is None or when > floor)}
    return value, newest, starts


@dataclass
class Expected:
    rows: dict[tuple[str, str], ExpectedRow]
    externals: dict[tuple[str, str], datetime]
    evaluations: dict[str, dict[str, rules.Evaluation]]
    credentials: dict[str, set[str]]
    program_ids: list[str]

    def summary(self) -> str:
        counts = defaultdict(int)
        for programs in self.credentials.values():
            for program_id in programs:
                counts[program_id] += 1
        return ", ".join(f"{pid}={counts[pid]}" for pid in sorted(counts))


def expect(scenario: Scenario) -> Expected:
    """What the database must hold once every event of ``scenario`` has been processed."""
    per_row: dict[tuple[str, str], list[dict]] = defaultdict(list)
    externals: dict[tuple[str, str], datetime] = {}
    for event in scenario.events:
        if event["type"] == "badge":
            key = (event["learner"], rules.badge_key(event["template"]))
            when = _t(event["time"])
            externals[key] = min(when, externals.get(key, when))
        else:
            per_row[(event["learner"], row_key(event))].append(event)
    rows: dict[tuple[str, str], ExpectedRow] = {}
    for (learner, row), events in per_row.items():
        expected = ExpectedRow(learner=learner, course_key=row, counted_key=counted_key(row))
        passing = [(_t(e["time"]), e["passing"]) for e in events if facet(e) == "passing"]
        if passing:
            expected.passing, expected.passing_event_at, allowed = _streak(passing)
            expected.passed_at_allowed = allowed if expected.passing else {None}
        grades = sorted((_t(e["time"]), e["percent"]) for e in events if e["type"] == "grade")
        if grades:
            expected.grade_event_at, expected.grade = grades[-1]
        certificates = [(_t(e["time"]), (e["status"], e["mode"]))
                        for e in events if e["type"] == "certificate"]
        if certificates:
            status_changes = [(when, status) for when, (status, _) in certificates]
            _, expected.certificate_event_at, allowed = _streak(status_changes)
            newest = max(certificates, key=lambda item: item[0])[1]
            expected.certificate_status, expected.certificate_mode = newest
            expected.certificate_at_allowed = allowed
        rows[(learner, row)] = expected
    defs = definitions()
    evaluations: dict[str, dict[str, rules.Evaluation]] = {}
    credentials: dict[str, set[str]] = {}
    for learner in scenario.learners:
        courses = tuple(_course_result(row) for (name, _), row in sorted(rows.items())
                        if name == learner)
        achieved = {ext: when for (name, ext), when in externals.items() if name == learner}
        earned: set[str] = set()
        while True:  # stacking: iterate to the fixpoint (monotone: no negation in the rules)
            record = rules.LearnerRecord(courses=courses, externals=achieved,
                                         credentials=dict.fromkeys(earned, START))
            results = {d.id: rules.evaluate(d.rules, record) for d in defs}
            complete = {pid for pid, result in results.items() if result.complete}
            if complete == earned:
                break
            earned = complete
        evaluations[learner], credentials[learner] = results, earned
    return Expected(rows=rows, externals=externals, evaluations=evaluations,
                    credentials=credentials, program_ids=[d.id for d in defs])


def _course_result(row: ExpectedRow) -> rules.CourseResult:
    key = CourseKey.from_string(row.counted_key)
    passed = min((t for t in row.passed_at_allowed if t is not None), default=None)
    certified = min(row.certificate_at_allowed, default=None)
    return rules.CourseResult(
        course_key=row.counted_key, org=key.org, number=key.course, run=key.run,
        passing=bool(row.passing), passed_at=passed, grade=row.grade,
        certificate=row.certificate_status == "downloadable",
        certificate_mode=row.certificate_mode, certificate_at=certified)


# ------------------------------------------------------------------------------------------------
# Comparing the driver's summary of the database with the oracle
# ------------------------------------------------------------------------------------------------

def check(expected: Expected, summary: dict, learners: list[str]) -> list[str]:
    """Every way the database differs from ``expected`` (empty when it matches)."""
    problems: list[str] = []
    wanted = set(learners)
    rejected: dict[tuple[str, str], int] = defaultdict(int)
    for event in summary["rejected"]:
        rejected[(event["event_type"], event["reason"][:300])] += 1
    for (event_type, reason), count in sorted(rejected.items()):
        problems.append(f"receivers rejected {count} {event_type} events: {reason}")
    problems += _check_rows(expected, [r for r in summary["completions"] if r["learner"] in wanted])
    problems += _check_externals(expected, [r for r in summary["externals"]
                                            if r["learner"] in wanted])
    problems += _check_credentials(expected, [c for c in summary["credentials"]
                                              if c["learner"] in wanted], learners)
    problems += _check_progress(expected, [p for p in summary["progress"]
                                           if p["learner"] in wanted], learners)
    return problems


def _check_rows(expected: Expected, rows: list[dict]) -> list[str]:
    problems = []
    stored = {(r["learner"], r["course_key"]): r for r in rows}
    for key in sorted(set(expected.rows) - set(stored)):
        problems.append(f"completion lost: no row for {key}")
    for key in sorted(set(stored) - set(expected.rows)):
        problems.append(f"unexpected completion row {key}")
    for key in sorted(set(stored) & set(expected.rows)):
        want, got = expected.rows[key], stored[key]
        diffs = []
        for name in ("counted_key", "passing", "passing_event_at", "grade_event_at",
                     "certificate_status", "certificate_mode", "certificate_event_at"):
            value = got[name]
            if name.endswith("_at"):
                value = _t(value)
            if value != getattr(want, name):
                diffs.append(f"{name}={got[name]!r} (want {getattr(want, name)!s})")
        if (want.grade is None) != (got["grade"] is None) or (
                want.grade is not None and abs(got["grade"] - want.grade) > 1e-9):
            diffs.append(f"grade={got['grade']!r} (want {want.grade!r})")
        if want.passing is not None and _t(got["passed_at"]) not in want.passed_at_allowed:
            diffs.append(f"passed_at={got['passed_at']} (want one of "
                         f"{sorted(map(str, want.passed_at_allowed))})")
        if (want.certificate_status is not None
                and _t(got["certificate_at"]) not in want.certificate_at_allowed):
            diffs.append(f"certificate_at={got['certificate_at']} (want one of "
                         f"{sorted(map(str, want.certificate_at_allowed))})")
        if diffs:
            problems.append(f"completion {key}: " + "; ".join(diffs))
    return problems


def _check_externals(expected: Expected, rows: list[dict]) -> list[str]:
    stored = {(r["learner"], r["external_id"]): _t(r["achieved_at"]) for r in rows}
    if stored == expected.externals:
        return []
    return [f"external achievements differ: stored {sorted(stored.items())}, "
            f"want {sorted(expected.externals.items())}"]


def _check_credentials(expected: Expected, rows: list[dict], learners: list[str]) -> list[str]:
    problems = []
    held: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for row in rows:
        held[(row["learner"], row["program_id"])].append(row)
    for learner in learners:
        for program_id in expected.program_ids:
            got = held.get((learner, program_id), [])
            if program_id in expected.credentials[learner]:
                if len(got) != 1:
                    states = [(c["status"], c["active"]) for c in got]
                    problems.append(f"{learner} {program_id}: {len(got)} credentials, want "
                                    f"exactly 1 {states}")
                elif got[0]["status"] != "awarded" or got[0]["active"] is not True:
                    problems.append(f"{learner} {program_id}: credential {got[0]['status']}, "
                                    f"active={got[0]['active']}, want awarded and active")
            elif got:
                problems.append(f"{learner} {program_id}: {len(got)} credentials for a programme "
                                f"the learner has not completed")
    return problems


def _check_progress(expected: Expected, rows: list[dict], learners: list[str]) -> list[str]:
    problems = []
    stored = {(r["learner"], r["program_id"]): r for r in rows}
    for learner in learners:
        for program_id, result in expected.evaluations[learner].items():
            got = stored.get((learner, program_id))
            if got is None:
                if result.complete:
                    problems.append(f"{learner} {program_id}: complete but no ProgramProgress row")
                continue
            want = (result.complete, Decimal(result.credits_earned), list(result.satisfied))
            have = (got["complete"], Decimal(got["credits_earned"]), got["satisfied"])
            if want != have:
                problems.append(f"{learner} {program_id}: progress (complete, credits, satisfied) "
                                f"= {have}, want {want}")
    return problems
