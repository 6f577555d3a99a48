"""
Pure evaluation of programme requirements (DESIGN §3).

DO NOT import Django (or anything that does) here: this module is the product's rules and must be
testable, reusable and fast on its own. Data comes in as the frozen dataclasses below; results go
out as frozen dataclasses. Nothing here touches a database, a clock or the network.

The requirement tree
    ``Group``          all children, or the rules given (``min_count`` satisfied direct children,
                       ``min_credits`` credits of satisfied leaves anywhere below the group).
    ``CourseLeaf``     a passing result (or an earned certificate) in a course.
    ``ProgramLeaf``    an active credential for another programme (stacking).
    ``ExternalLeaf``   an achievement recorded by staff, or a badge from ``badge_template``.

Facts about one learner (``LearnerRecord``) are matched against the leaves by ``evaluate``.
"""
from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property

PASSING = "passing"
CERTIFICATE = "certificate"
COMPLETION_KINDS = (PASSING, CERTIFICATE)

RUNS_ANY = "any"
RUNS_THIS = "this"

ZERO = Decimal(0)


def badge_key(template_uuid: str) -> str:
    """Return the external-achievement key under which a badge of ``template_uuid`` is recorded."""
    return f"badge:{template_uuid.lower()}"


@dataclass(frozen=True)
class CourseLeaf:
    """A course requirement. ``org``/``number``/``run`` come from the course key."""

    key: str
    org: str
    number: str
    run: str
    credits: Decimal = ZERO
    hours: Decimal | None = None
    runs: str = RUNS_ANY
    min_grade: float | None = None
    mode: str | None = None
    title: str = ""

    def matches(self, result: CourseResult) -> bool:
        """Whether ``result`` is a result in this course (any run, or this run only)."""
        if self.runs == RUNS_THIS:
            return result.course_key == self.key
        return result.org == self.org and result.number == self.number


@dataclass(frozen=True)
class ProgramLeaf:
    """Satisfied by an active credential for programme ``ref``."""

    ref: str
    credits: Decimal = ZERO
    title: str = ""


@dataclass(frozen=True)
class ExternalLeaf:
    """Satisfied by a staff-recorded achievement ``id`` or a badge of ``badge_template``."""

    id: str
    credits: Decimal = ZERO
    badge_template: str | None = None
    title: str = ""


Leaf = CourseLeaf | ProgramLeaf | ExternalLeaf


@dataclass(frozen=True)
class Group:
    """A requirement group; with neither rule it needs all of its children."""

    children: tuple[Node, ...]
    title: str = ""
    min_count: int | None = None
    min_credits: Decimal | None = None


Node = Group | CourseLeaf | ProgramLeaf | ExternalLeaf


@dataclass(frozen=True)
class ProgramRules:
    """What the rules need of a programme version."""

    program_id: str
    root: Group
    completion: str = PASSING
    window_from: date | None = None
    window_until: date | None = None

    @cached_property
    def leaves(self) -> tuple[tuple[str, Leaf], ...]:
        """``(path, leaf)`` of every leaf, computed once per rules object."""
        return tuple((path, node) for path, node in iter_nodes(self.root)
                     if not isinstance(node, Group))

    @cached_property
    def uses_externals(self) -> bool:
        """Whether any leaf is an external achievement (else they need not be loaded)."""
        return any(isinstance(leaf, ExternalLeaf) for _, leaf in self.leaves)


@dataclass(frozen=True)
class CourseResult:
    """A learner's standing in one course run (a CCX reports as its master course)."""

    course_key: str
    org: str
    number: str
    run: str
    passing: bool = False
    passed_at: datetime | None = None
    grade: float | None = None
    certificate: bool = False
    certificate_mode: str | None = None
    certificate_at: datetime | None = None


@dataclass(frozen=True)
class LearnerRecord:
    """Everything the rules may look at for one learner.

    ``credentials`` maps a programme id to the issue time of the learner's active credential;
    ``externals`` maps an external id (or ``badge_key(uuid)``) to the achievement time.
    """

    courses: tuple[CourseResult, ...] = ()
    credentials: Mapping[str, datetime] = field(default_factory=dict)
    externals: Mapping[str, datetime] = field(default_factory=dict)

    @cached_property
    def _by_course(self) -> dict[tuple[str, str], list[CourseResult]]:
        index: dict[tuple[str, str], list[CourseResult]] = {}
        for result in self.courses:
            index.setdefault((result.org, result.number), []).append(result)
        return index

    def results_for(self, leaf: CourseLeaf) -> list[CourseResult]:
        """The results ``leaf`` accepts (any run of its course, or its run only)."""
        results = self._by_course.get((leaf.org, leaf.number), [])
        if leaf.runs == RUNS_THIS:
            return [result for result in results if result.course_key == leaf.key]
        return results


@dataclass(frozen=True)
class Evidence:
    """A satisfied leaf and the fact that satisfied it."""

    path: str
    kind: str  # "course", "program" or "external"
    key: str  # the course key, programme id or external id that satisfied the leaf
    credits: Decimal
    achieved_at: datetime | None
    grade: float | None = None

    def to_json(self) -> dict:
        """A JSON-ready dict (``from_json`` reads it back)."""
        return {"path": self.path, "kind": self.kind, "key": self.key,
                "credits": str(self.credits),
                "achieved_at": self.achieved_at.isoformat() if self.achieved_at else None,
                "grade": self.grade}

    @classmethod
    def from_json(cls, data: Mapping) -> Evidence:
        """The ``Evidence`` that ``to_json`` wrote."""
        when = data.get("achieved_at")
        return cls(path=data["path"], kind=data["kind"], key=data["key"],
                   credits=Decimal(data["credits"]),
                   achieved_at=datetime.fromisoformat(when) if when else None,
                   grade=data.get("grade"))


@dataclass(frozen=True)
class Evaluation:
    """The outcome of ``evaluate``: ``satisfied`` holds the paths of every satisfied node."""

    complete: bool
    credits_earned: Decimal
    satisfied: tuple[str, ...]
    evidence: tuple[Evidence, ...]


def iter_nodes(node: Node, path: str = "") -> Iterator[tuple[str, Node]]:
    """Yield ``(path, node)`` depth-first; the root's path is ``""``, then ``"0"``, ``"0.1"``…"""
    yield path, node
    if isinstance(node, Group):
        for index, child in enumerate(node.children):
            yield from iter_nodes(child, f"{path}.{index}" if path else str(index))


def iter_leaves(node: Node) -> Iterator[Leaf]:
    """Yield every leaf under ``node``."""
    for _, item in iter_nodes(node):
        if not isinstance(item, Group):
            yield item


def evaluate(program: ProgramRules, record: LearnerRecord) -> Evaluation:
    """Evaluate ``program`` against ``record``. Pure; never raises on well-formed input."""
    evidence: dict[str, Evidence] = {}
    for path, leaf in program.leaves:
        found = _leaf_evidence(program, leaf, path, record)
        if found is not None:
            evidence[path] = found
    satisfied: list[str] = []
    complete, credits = _decide(program.root, "", evidence, satisfied)
    return Evaluation(
        complete=complete,
        credits_earned=credits,
        satisfied=tuple(sorted(satisfied, key=_path_order)),
        evidence=tuple(evidence.values()),
    )


def _path_order(path: str) -> tuple[int, ...]:
    return tuple(int(part) for part in path.split(".")) if path else ()


def _decide(group: Group, path: str, evidence: Mapping[str, Evidence],
            satisfied: list[str]) -> tuple[bool, Decimal]:
    """Decide ``group`` bottom-up: whether it is satisfied and the credits of the satisfied
    leaves below it; appends every satisfied node's path to ``satisfied``."""
    count, credits = 0, ZERO
    for index, child in enumerate(group.children):
        child_path = f"{path}.{index}" if path else str(index)
        if isinstance(child, Group):
            ok, child_credits = _decide(child, child_path, evidence, satisfied)
            credits += child_credits
        else:
            found = evidence.get(child_path)
            ok = found is not None
            if found is not None:
                satisfied.append(child_path)
                credits += found.credits
        count += ok
    ok = _rules_met(group, count, credits)
    if ok:
        satisfied.append(path)
    return ok, credits


def _rules_met(group: Group, count: int, credits: Decimal) -> bool:
    if group.min_count is None and group.min_credits is None:
        return count == len(group.children)
    return ((group.min_count is None or count >= group.min_count)
            and (group.min_credits is None or credits >= group.min_credits))


def _in_window(program: ProgramRules, when: datetime | None) -> bool:
    if program.window_from is None and program.window_until is None:
        return True
    if when is None:
        return False
    day = when.date()
    return ((program.window_from is None or day >= program.window_from)
            and (program.window_until is None or day <= program.window_until))


def _leaf_evidence(program: ProgramRules, leaf: Leaf, path: str,
                   record: LearnerRecord) -> Evidence | None:
    if isinstance(leaf, CourseLeaf):
        return _course_evidence(program, leaf, path, record)
    if isinstance(leaf, ProgramLeaf):
        when = record.credentials.get(leaf.ref)
        if leaf.ref in record.credentials and _in_window(program, when):
            return Evidence(path, "program", leaf.ref, leaf.credits, when)
        return None
    candidates = [leaf.id] + ([badge_key(leaf.badge_template)] if leaf.badge_template else [])
    best: tuple[str, datetime | None] | None = None
    for key in candidates:  # the earliest qualifying achievement; the staff-recorded id on a tie
        if key not in record.externals:
            continue
        when = record.externals[key]
        if _in_window(program, when) and (best is None or _earlier(when, best[1])):
            best = (key, when)
    if best is None:
        return None
    return Evidence(path, "external", best[0], leaf.credits, best[1])


def _course_evidence(program: ProgramRules, leaf: CourseLeaf, path: str,
                     record: LearnerRecord) -> Evidence | None:
    """The earliest qualifying result in the leaf's course, if any."""
    best: tuple[datetime | None, CourseResult] | None = None
    for result in record.results_for(leaf):
        done, when = _completed_at(program, leaf, result)
        if not done:
            continue
        if leaf.min_grade is not None and (result.grade is None or result.grade < leaf.min_grade):
            continue
        if not _in_window(program, when):
            continue
        if best is None or _earlier(when, best[0]):
            best = (when, result)
    if best is None:
        return None
    when, result = best
    return Evidence(path, "course", result.course_key, leaf.credits, when, result.grade)


def _completed_at(program: ProgramRules, leaf: CourseLeaf,
                  result: CourseResult) -> tuple[bool, datetime | None]:
    """Whether ``result`` completed ``leaf`` under the programme's completion rule, and when."""
    if program.completion == CERTIFICATE:
        if not result.certificate or (leaf.mode and result.certificate_mode != leaf.mode):
            return False, None
        return True, result.certificate_at
    return result.passing, result.passed_at


def _earlier(candidate: datetime | None, current: datetime | None) -> bool:
    if candidate is None:
        return False
    return current is None or candidate < current


# ---------------------------------------------------------------------------------------------
# Static analysis used when a definition is imported.
# ---------------------------------------------------------------------------------------------

def minimum_credits(node: Node) -> Decimal:
    """The least total of leaf credits with which ``node`` can be satisfied.

    Exact, so ``min_credits`` rules that count leaves of partially satisfied subgroups are
    honoured. Raises ``ValueError`` when no set of leaves satisfies ``node`` (e.g. ``min_count``
    above the number of children).

    Totals at or above every ``min_credits`` threshold on the way to the root are
    indistinguishable to the rules, so they are merged (keeping the cheapest). This keeps the
    search pseudo-polynomial — bounded by the thresholds, not by the 2**n subsets of leaves.
    """
    totals = [actual for (ok, _), actual in _achievable(node, ZERO).items() if ok]
    if not totals:
        raise ValueError("the requirements cannot be satisfied")
    return min(totals)


def _achievable(node: Node, cap: Decimal) -> dict[tuple[bool, Decimal], Decimal]:
    """Map ``(satisfied, min(total, cap))`` to the least actual total reaching it under ``node``.

    ``cap`` is the largest ``min_credits`` of the node's ancestors.
    """
    if not isinstance(node, Group):
        options = {(True, min(node.credits, cap)): node.credits}
        if node.credits:
            options[(False, ZERO)] = ZERO
        return options
    local_cap = max(cap, node.min_credits or ZERO)
    needed = node.min_count if node.min_count is not None else len(node.children)
    # state: (satisfied children, capped total) -> least actual total
    states: dict[tuple[int, Decimal], Decimal] = {(0, ZERO): ZERO}
    for child in node.children:
        combined: dict[tuple[int, Decimal], Decimal] = {}
        child_options = _achievable(child, local_cap).items()
        for ((count, capped), actual), ((ok, extra), extra_actual) in itertools.product(
                states.items(), child_options):
            key = (min(count + ok, needed), min(capped + extra, local_cap))
            total = actual + extra_actual
            if key not in combined or total < combined[key]:
                combined[key] = total
        states = combined
    out: dict[tuple[bool, Decimal], Decimal] = {}
    for (count, capped), actual in states.items():
        # count is capped at what the group needs, capped total at its own threshold or above:
        # both still decide the group's rules exactly.
        key = (_rules_met(node, count, capped), min(capped, cap))
        if key not in out or actual < out[key]:
            out[key] = actual
    return out


def program_refs(node: Node) -> set[str]:
    """The programme ids that ``node`` stacks on."""
    return {leaf.ref for leaf in iter_leaves(node) if isinstance(leaf, ProgramLeaf)}


def find_cycle(graph: Mapping[str, set[str]]) -> list[str] | None:
    """Return one cycle (``[a, b, …, a]``) in the programme reference ``graph``, or None.

    Iterative depth-first search, so long stacking chains cannot exhaust the recursion limit.
    """
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    for start in sorted(graph):
        if start in state:
            continue
        state[start] = 1
        path = [start]
        pending = [iter(sorted(graph.get(start, ())))]
        while pending:
            for ref in pending[-1]:
                if state.get(ref) == 1:
                    return path[path.index(ref):] + [ref]
                if ref not in state:
                    state[ref] = 1
                    path.append(ref)
                    pending.append(iter(sorted(graph.get(ref, ()))))
                    break
            else:
                state[path.pop()] = 2
                pending.pop()
    return None
