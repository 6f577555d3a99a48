"""
Per-requirement states of one learner in one programme, for the learner's pages and API.

DO NOT import Django (or anything that does) here: like ``rules``, this is pure computation over
frozen dataclasses, tested on its own. ``rules.evaluate`` decides completion and credits; this
module only explains a result to the learner:

* every leaf's state — ``done`` (with the date it was achieved), ``in_progress`` (a result
  exists in the course, or the stacked programme has been started, but it does not count yet),
  ``not_started``, or ``not_needed`` (an enclosing group is already satisfied without it);
* every group's rule as numbers (how many children, or credits, it needs and has);
* hours counted and required, for programmes without credits;
* the remaining leaves and the next step.
"""
from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from . import rules

DONE = "done"
IN_PROGRESS = "in_progress"
NOT_STARTED = "not_started"
NOT_NEEDED = "not_needed"
STATES = (DONE, IN_PROGRESS, NOT_STARTED, NOT_NEEDED)

ZERO = Decimal(0)


@dataclass(frozen=True)
class GroupRule:
    """What a group needs, and how far the learner is.

    ``kind`` is ``"all"`` (every child), ``"count"`` (``needed`` children), ``"credits"``
    (``credits_needed`` credits of satisfied leaves below) or ``"count_credits"`` (both).
    ``satisfied`` counts satisfied direct children; ``remaining`` is how many more children
    the count rule (or the all-rule) still needs, 0 once met.
    """

    kind: str
    total: int
    needed: int
    satisfied: int
    remaining: int
    credits_needed: Decimal | None = None
    credits_counted: Decimal = ZERO


@dataclass(frozen=True)
class RequirementState:
    """One node of the requirement tree with the learner's state.

    ``kind`` is ``group``, ``course``, ``program`` or ``external``; ``key`` the course key,
    programme id or external id (``""`` for groups); ``achieved_at`` is set for ``done`` leaves
    (and for done groups: the latest date among their counted leaves). ``hours`` is the leaf's
    notional hours (courses only); ``rule`` is set for groups only.
    """

    path: str
    kind: str
    key: str
    title: str
    state: str
    achieved_at: datetime | None = None
    credits: Decimal = ZERO
    hours: Decimal | None = None
    rule: GroupRule | None = None
    children: tuple[RequirementState, ...] = ()

    def walk(self) -> Iterator[RequirementState]:
        """This node and every node below it, depth-first."""
        yield self
        for child in self.children:
            yield from child.walk()

    @property
    def leaves(self) -> tuple[RequirementState, ...]:
        """Every leaf below (or this node, when it is a leaf)."""
        return tuple(node for node in self.walk() if node.kind != "group")


@dataclass(frozen=True)
class NextStep:
    """What to do next: finish ``leaves`` (``choose`` of them when ``choose`` is set, from
    ``group_title``); ``leaves`` is empty when the programme is complete."""

    leaves: tuple[RequirementState, ...]
    choose: int | None = None
    group_title: str = ""


def requirement_states(program: rules.ProgramRules, evaluation: rules.Evaluation,
                       record: rules.LearnerRecord, *,
                       started_programs: Collection[str] = ()) -> RequirementState:
    """The requirement tree of ``program`` with the learner's state on every node.

    ``evaluation`` must be ``rules.evaluate(program, record)``. ``started_programs`` holds the
    ids of programmes the learner has progress in (a stacked ``program`` leaf is then in
    progress). Pure; never raises on well-formed input.
    """
    evidence = {item.path: item for item in evaluation.evidence}
    return _state(program.root, "", program, evidence, set(evaluation.satisfied), record,
                  frozenset(started_programs), needed=True)


def _state(node: rules.Node, path: str, program: rules.ProgramRules,
           evidence: dict[str, rules.Evidence], satisfied: set[str],
           record: rules.LearnerRecord, started: frozenset[str], *,
           needed: bool) -> RequirementState:
    if not isinstance(node, rules.Group):
        return _leaf_state(node, path, evidence.get(path), record, started, needed=needed)
    done = path in satisfied
    children = tuple(
        _state(child, f"{path}.{index}" if path else str(index), program, evidence, satisfied,
               record, started, needed=needed and not done)
        for index, child in enumerate(node.children))
    if done:
        state = DONE
    elif not needed:
        state = NOT_NEEDED
    elif any(child.state in (DONE, IN_PROGRESS) for child in children):
        state = IN_PROGRESS
    else:
        state = NOT_STARTED
    dates = [leaf.achieved_at for leaf in _leaves(children)
             if leaf.state == DONE and leaf.achieved_at]
    return RequirementState(
        path=path, kind="group", key="", title=node.title, state=state,
        achieved_at=max(dates) if done and dates else None, rule=_rule(node, children),
        children=children)


def _leaf_state(leaf: rules.Leaf, path: str, found: rules.Evidence | None,
                record: rules.LearnerRecord, started: frozenset[str], *,
                needed: bool) -> RequirementState:
    if isinstance(leaf, rules.CourseLeaf):
        kind, key, hours = "course", leaf.key, leaf.hours
        attempted = bool(record.results_for(leaf))
    elif isinstance(leaf, rules.ProgramLeaf):
        kind, key, hours = "program", leaf.ref, None
        attempted = leaf.ref in started
    else:
        kind, key, hours = "external", leaf.id, None
        attempted = False
    if found is not None:
        state = DONE
    elif not needed:
        state = NOT_NEEDED
    else:
        state = IN_PROGRESS if attempted else NOT_STARTED
    return RequirementState(path=path, kind=kind, key=key, title=leaf.title, state=state,
                            achieved_at=found.achieved_at if found else None,
                            credits=leaf.credits, hours=hours)


def _rule(group: rules.Group, children: tuple[RequirementState, ...]) -> GroupRule:
    total = len(children)
    satisfied = sum(child.state == DONE for child in children)
    counted = sum((leaf.credits for leaf in _leaves(children) if leaf.state == DONE), ZERO)
    if group.min_count is None and group.min_credits is None:
        kind, needed = "all", total
    elif group.min_credits is None:
        kind, needed = "count", group.min_count or 0
    elif group.min_count is None:
        kind, needed = "credits", 0
    else:
        kind, needed = "count_credits", group.min_count
    return GroupRule(kind=kind, total=total, needed=needed, satisfied=satisfied,
                     remaining=max(0, needed - satisfied), credits_needed=group.min_credits,
                     credits_counted=counted)


def _leaves(children: tuple[RequirementState, ...]) -> Iterator[RequirementState]:
    for child in children:
        yield from child.leaves


# --- Hours (programmes without credits) ------------------------------------------------------

def hours_counted(tree: RequirementState) -> Decimal:
    """Hours of the done course leaves that count: a count-rule group counts only its
    ``needed`` children with the most hours (surplus electives add nothing)."""
    if tree.kind != "group":
        return (tree.hours or ZERO) if tree.state == DONE else ZERO
    values = sorted((hours_counted(child) for child in tree.children), reverse=True)
    if tree.rule is not None and tree.rule.kind in ("count", "count_credits"):
        values = values[:tree.rule.needed]
    return sum(values, ZERO)


def hours_required(node: rules.Node) -> Decimal:
    """The least course hours that can complete ``node``: every child of an all-group, the
    ``min_count`` cheapest children of a count group; a credits-only group needs all of its
    leaves' hours (an upper bound: hours carry no rule of their own)."""
    if not isinstance(node, rules.Group):
        return (node.hours or ZERO) if isinstance(node, rules.CourseLeaf) else ZERO
    values = sorted(hours_required(child) for child in node.children)
    if node.min_count is not None:
        values = values[:node.min_count]
    return sum(values, ZERO)


def has_hours(node: rules.Node) -> bool:
    """Whether any course leaf below ``node`` states its hours."""
    return any(isinstance(leaf, rules.CourseLeaf) and leaf.hours is not None
               for leaf in rules.iter_leaves(node))


# --- What is left ------------------------------------------------------------------------------

def remaining(tree: RequirementState) -> tuple[RequirementState, ...]:
    """Leaves still open (in progress or not started), in tree order."""
    return tuple(leaf for leaf in tree.leaves if leaf.state in (IN_PROGRESS, NOT_STARTED))


@dataclass(frozen=True)
class Outstanding:
    """Part of what is left: all of ``leaves`` (``choose`` None), ``choose`` more of them, or
    (``credits`` set) that many more credits from them — in group ``group_title``."""

    leaves: tuple[RequirementState, ...]
    choose: int | None = None
    credits: Decimal | None = None
    group_title: str = ""


def outstanding(tree: RequirementState) -> tuple[Outstanding, ...]:
    """What is left to do, group by group: the open leaves an all-group needs, and the choices
    a count or credits group still needs (its open leaves are options, not all needed)."""
    if tree.state == DONE:
        return ()
    if tree.kind != "group":
        return (Outstanding(leaves=(tree,)),) if tree.state in (IN_PROGRESS, NOT_STARTED) \
            else ()
    rule = tree.rule
    if rule is None or rule.kind == "all":
        parts: list[Outstanding] = []
        for child in tree.children:
            parts.extend(outstanding(child))
        return _merge_singles(parts)
    options = remaining(tree)
    if rule.kind == "credits" or (rule.kind == "count_credits" and not rule.remaining):
        missing = (rule.credits_needed or ZERO) - rule.credits_counted
        return (Outstanding(leaves=options, credits=max(missing, ZERO),
                            group_title=tree.title),)
    return (Outstanding(leaves=options, choose=rule.remaining, group_title=tree.title),)


def _merge_singles(parts: list[Outstanding]) -> tuple[Outstanding, ...]:
    """Consecutive "do this one" parts become one "do all of these" part."""
    merged: list[Outstanding] = []
    for part in parts:
        if part.choose is None and part.credits is None and merged \
                and merged[-1].choose is None and merged[-1].credits is None:
            merged[-1] = Outstanding(leaves=merged[-1].leaves + part.leaves)
        else:
            merged.append(part)
    return tuple(merged)


def next_step(tree: RequirementState) -> NextStep:
    """The next step towards completion.

    A leaf already in progress is continued first. Otherwise the first unsatisfied branch is
    descended: an open leaf is to be finished; in a group that needs N more of several open
    children, the learner chooses N of them. Empty when the tree is done.
    """
    if tree.state == DONE:
        return NextStep(leaves=())
    started = [leaf for leaf in tree.leaves if leaf.state == IN_PROGRESS]
    if started:
        return NextStep(leaves=(started[0],))
    return _step(tree)


def _step(node: RequirementState) -> NextStep:
    if node.kind != "group":
        return NextStep(leaves=(node,))
    rule = node.rule
    open_children = [child for child in node.children if child.state in (IN_PROGRESS,
                                                                          NOT_STARTED)]
    if rule is not None and rule.kind != "all" and all(c.kind != "group" for c in open_children):
        ordered = sorted(open_children, key=lambda child: child.state != IN_PROGRESS)
        choose = rule.remaining or 1
        if len(ordered) > choose:
            return NextStep(leaves=tuple(ordered), choose=choose, group_title=node.title)
        return NextStep(leaves=tuple(ordered))
    ordered = sorted(open_children, key=lambda child: child.state != IN_PROGRESS)
    return _step(ordered[0]) if ordered else NextStep(leaves=())
