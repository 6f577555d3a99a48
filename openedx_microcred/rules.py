"""
Pure evaluation of programme requirements (DESIGN §3).

DO NOT import Django (or anything that does) here: this module is the product's rules and must be
testable, reusable and fast on its own. Data comes in as the frozen dataclasses below; results go
out as frozen dataclasses. Nothing here touches a database, a clock or the network.

The requirement tree
    ``Group``          all children, or the rules given (``min_count`` satisfied direct children,
                       ``min_credits`` counted credits of the children, see below).
    ``CourseLeaf``     a passing result (or an earned certificate) in a course.
    ``ProgramLeaf``    an active credential for another programme (stacking).
    ``ExternalLeaf``   an achievement recorded by staff, or a badge from ``badge_template``.

Facts about one learner (``LearnerRecord``) are matched against the leaves by ``evaluate``.

Counted credits (DESIGN §3): a satisfied leaf counts its credits; a group with ``min_count`` N
and no ``min_credits`` counts only its N best satisfied children (surplus electives add nothing,
unsatisfied children add nothing); any other group counts what its children count, satisfied or
not. A ``min_credits`` rule is decided on the counted credits of the group's children. The
programme's earned credits never exceed its ``credits``, and while it is incomplete they stay
below ``credits`` by at least the credits its unmet requirements still need.
"""
from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
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
    credits: Decimal | None = None  # the programme's credits: the most it can earn

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
    passed_at: datetime | None = None  # since when passing (event time)
    grade: float | None = None
    grade_at: datetime | None = None  # since when this grade (event time)
    certificate: bool = False
    certificate_mode: str | None = None
    certificate_at: datetime | None = None  # since when this certificate status
    certificate_mode_at: datetime | None = None  # since when this status and mode


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
    """A satisfied leaf and the fact that satisfied it.

    ``credits`` are the credits the leaf counts toward the programme: its own credits, or 0 when
    it is surplus (an elective beyond a ``min_count`` group's best N). ``achieved_at`` is when the
    state that counts was reached (aware, UTC).
    """

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
    root = _decide(program.root, "", evidence, satisfied)
    counted = root.counted
    return Evaluation(
        complete=root.ok,
        credits_earned=_programme_credits(program, root, evidence),
        satisfied=tuple(sorted(satisfied, key=_path_order)),
        evidence=tuple(dataclasses.replace(item, credits=counted.get(path, ZERO))
                       for path, item in evidence.items()),
    )


def _programme_credits(program: ProgramRules, root: _Decision,
                       evidence: Mapping[str, Evidence]) -> Decimal:
    """The root's counted credits, never above the programme's credits, and while incomplete
    below them by at least what the unmet requirements still need."""
    earned = root.credits
    if program.credits is None:
        return earned
    ceiling = program.credits
    if not root.ok:
        ceiling = max(ZERO, ceiling - _still_needed(program.root, "", evidence))
    return min(earned, ceiling)


def _path_order(path: str) -> tuple[int, ...]:
    return tuple(int(part) for part in path.split(".")) if path else ()


@dataclass(frozen=True)
class _Decision:
    """A node decided: satisfied or not, its counted credits, and the leaves that count them
    (path -> counted credits)."""

    ok: bool
    credits: Decimal
    counted: Mapping[str, Decimal]


def _child_path(path: str, index: int) -> str:
    return f"{path}.{index}" if path else str(index)


def _decide(group: Group, path: str, evidence: Mapping[str, Evidence],
            satisfied: list[str]) -> _Decision:
    """Decide ``group`` bottom-up (see the module docstring for counted credits); appends every
    satisfied node's path to ``satisfied``."""
    children: list[_Decision] = []
    for index, child in enumerate(group.children):
        child_path = _child_path(path, index)
        if isinstance(child, Group):
            children.append(_decide(child, child_path, evidence, satisfied))
            continue
        found = evidence.get(child_path)
        if found is None:
            children.append(_Decision(False, ZERO, {}))
        else:
            satisfied.append(child_path)
            children.append(_Decision(True, found.credits, {child_path: found.credits}))
    count = sum(child.ok for child in children)
    total = sum((child.credits for child in children), ZERO)
    ok = _rules_met(group, count, total)
    if ok:
        satisfied.append(path)
    if _counts_best(group):
        # The N best satisfied children; ties keep document order (sorted is stable).
        best = sorted((child for child in children if child.ok),
                      key=lambda child: child.credits, reverse=True)
        children = best[:group.min_count]
        total = sum((child.credits for child in children), ZERO)
    counted: dict[str, Decimal] = {}
    for decision in children:
        counted.update(decision.counted)
    return _Decision(ok, total, counted)


def _counts_best(group: Group) -> bool:
    """Whether ``group`` counts only its ``min_count`` best satisfied children."""
    return group.min_count is not None and group.min_credits is None


def _rules_met(group: Group, count: int, credits: Decimal) -> bool:
    if group.min_count is None and group.min_credits is None:
        return count == len(group.children)
    return ((group.min_count is None or count >= group.min_count)
            and (group.min_credits is None or credits >= group.min_credits))


def _still_needed(node: Node, path: str, evidence: Mapping[str, Evidence]) -> Decimal:
    """A lower bound of the credits still needed to satisfy ``node`` (0 when satisfied)."""
    if not isinstance(node, Group):
        return ZERO if path in evidence else node.credits
    decision = _decide(node, path, evidence, [])
    if decision.ok:
        return ZERO
    needs = [_still_needed(child, _child_path(path, index), evidence)
             for index, child in enumerate(node.children)]
    if node.min_count is None and node.min_credits is None:
        return sum(needs, ZERO)
    bound = ZERO
    if node.min_count is not None:
        done = [_satisfied(child, _child_path(path, index), evidence)
                for index, child in enumerate(node.children)]
        missing = max(0, node.min_count - sum(done))
        open_needs = sorted(need for need, ok in zip(needs, done, strict=True) if not ok)
        bound = sum(open_needs[:missing], ZERO)
    if node.min_credits is not None:
        bound = max(bound, node.min_credits - decision.credits)
    return bound


def _satisfied(node: Node, path: str, evidence: Mapping[str, Evidence]) -> bool:
    if not isinstance(node, Group):
        return path in evidence
    return _decide(node, path, evidence, []).ok


def _in_window(program: ProgramRules, when: datetime | None) -> bool:
    if program.window_from is None and program.window_until is None:
        return True
    if when is None:
        return False
    # Window dates are UTC calendar days (documented in the XSD and the README).
    day = when.astimezone(UTC).date() if when.utcoffset() is not None else when.date()
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
    """The earliest qualifying result in the leaf's course, if any, dated when every part of
    the leaf's rule held (completion, mode, grade): the latest of those parts' times."""
    best: tuple[datetime | None, CourseResult] | None = None
    for result in record.results_for(leaf):
        done, when = _completed_at(program, leaf, result)
        if not done:
            continue
        if leaf.min_grade is not None:
            if result.grade is None or result.grade < leaf.min_grade:
                continue
            when = _latest(when, result.grade_at)
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
        if leaf.mode:
            return True, _latest(result.certificate_at, result.certificate_mode_at)
        return True, result.certificate_at
    return result.passing, result.passed_at


def _latest(first: datetime | None, second: datetime | None) -> datetime | None:
    """The later of two times; an unknown one (None) does not count."""
    if first is None or second is None:
        return first or second
    return max(first, second)


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


def maximum_credits(node: Node) -> Decimal:
    """The most credits ``node`` can count (a ``min_count``-only group: its N best children)."""
    if not isinstance(node, Group):
        return node.credits
    children = sorted((maximum_credits(child) for child in node.children), reverse=True)
    if _counts_best(node):
        children = children[:node.min_count]
    return sum(children, ZERO)


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
    best_only = _counts_best(node)
    # state: (satisfied children, counted children, capped counted total) -> least actual total.
    # In a group that counts its best N, a satisfied child may be counted (at most N are) or not,
    # and an unsatisfied one adds nothing; the reachable states include the best N.
    states: dict[tuple[int, int, Decimal], Decimal] = {(0, 0, ZERO): ZERO}
    for child in node.children:
        combined: dict[tuple[int, int, Decimal], Decimal] = {}
        child_options = _achievable(child, local_cap).items()
        for ((count, used, capped), actual), ((ok, extra), extra_actual) in itertools.product(
                states.items(), child_options):
            total = actual + extra_actual
            if not best_only:
                moves = [(used, extra)]
            elif not ok:
                moves = [(used, ZERO)]
            else:
                moves = [(used, ZERO)] + ([(used + 1, extra)] if used < needed else [])
            for new_used, added in moves:
                state = (min(count + ok, needed), new_used, min(capped + added, local_cap))
                if state not in combined or total < combined[state]:
                    combined[state] = total
        states = combined
    out: dict[tuple[bool, Decimal], Decimal] = {}
    for (count, _used, capped), actual in states.items():
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
