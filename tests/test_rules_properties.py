"""Property tests: ``openedx_microcred.rules`` against an independent brute-force oracle.

The oracle below re-implements DESIGN §3 directly and on purpose uses nothing from ``rules``
except the dataclasses it reads (no ``iter_nodes``, ``badge_key``, ``minimum_credits``…).
"""
from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openedx_microcred.rules import (
    CourseLeaf,
    CourseResult,
    ExternalLeaf,
    Group,
    LearnerRecord,
    ProgramLeaf,
    ProgramRules,
    evaluate,
    find_cycle,
    minimum_credits,
)

D = Decimal
SETTINGS = settings(max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

# ------------------------------------------------------------------------------------------------
# A small universe, so that generated leaves and facts often meet
# ------------------------------------------------------------------------------------------------

ORGS = ("OrgA", "OrgB")
NUMBERS = ("C1", "C2")
RUNS = ("R1", "R2")
PROGRAMS = ("p1", "p2", "p3")
EXTERNAL_IDS = ("e1", "e2", "e3")
TEMPLATES = ("Tpl-A", "tpl-b")
CREDITS = tuple(D(c) for c in ("0", "0.5", "1", "2", "3.125"))
MIN_CREDITS = tuple(D(c) for c in ("0", "0.5", "1", "1", "1.5", "2", "2", "3", "3.125", "3.625",
                                    "4.5", "6"))  # repeats make small thresholds likelier
GRADES = (None, 0.5, 0.6, 0.8, 0.95)
MODES = (None, "audit", "verified")
WINDOW_FROM = date(2025, 9, 1)
WINDOW_UNTIL = date(2028, 1, 31)
MOMENTS = (
    None,
    datetime(2025, 8, 31, 23, 59, 59, tzinfo=UTC),
    datetime(2025, 9, 1, 0, 0, tzinfo=UTC),
    datetime(2026, 3, 1, 12, 0, tzinfo=UTC),
    datetime(2026, 3, 1, 8, 0, tzinfo=UTC),
    datetime(2028, 1, 31, 23, 59, 59, tzinfo=UTC),
    datetime(2028, 2, 1, 0, 0, tzinfo=UTC),
)
DATED = tuple(moment for moment in MOMENTS if moment is not None)


def course_key(org: str, number: str, run: str) -> str:
    return f"course-v1:{org}+{number}+{run}"


def oracle_badge(template: str) -> str:
    return "badge:" + template.lower()


# ------------------------------------------------------------------------------------------------
# Strategies
# ------------------------------------------------------------------------------------------------

credits_st = st.sampled_from(CREDITS)


@st.composite
def course_leaves(draw):
    org, number, run = (draw(st.sampled_from(ORGS)), draw(st.sampled_from(NUMBERS)),
                        draw(st.sampled_from(RUNS)))
    return CourseLeaf(key=course_key(org, number, run), org=org, number=number, run=run,
                      credits=draw(credits_st), runs=draw(st.sampled_from(("any", "this"))),
                      min_grade=draw(st.sampled_from((None, 0.6, 0.8))),
                      mode=draw(st.sampled_from((None, "verified"))))


leaves = st.one_of(
    course_leaves(),
    st.builds(ProgramLeaf, ref=st.sampled_from(PROGRAMS), credits=credits_st),
    st.builds(ExternalLeaf, id=st.sampled_from(EXTERNAL_IDS), credits=credits_st,
              badge_template=st.sampled_from((None,) + TEMPLATES + ("TPL-B",))),
)


@st.composite
def trees(draw, max_depth: int = 3, max_leaves: int = 8):
    """A root group: groups nest to depth ``max_depth`` (leaves deepest), at most 8 leaves."""
    budget = [draw(st.integers(1, max_leaves))]

    def node(depth: int):
        if depth < max_depth and budget[0] > 0 and draw(st.booleans()):
            return group(depth)
        if budget[0] > 0:
            budget[0] -= 1
            return draw(leaves)
        return Group(())

    def group(depth: int) -> Group:
        size = draw(st.integers(1 if depth == 0 else 0, 4))
        children = tuple(node(depth + 1) for _ in range(size))
        # mostly achievable counts; now and then one more than there are children
        counts = list(range(len(children) + 1)) * 3 + [len(children) + 1]
        min_count = draw(st.one_of(st.none(), st.sampled_from(counts)))
        min_credits = draw(st.one_of(st.none(), st.sampled_from(MIN_CREDITS)))
        return Group(children, min_count=min_count, min_credits=min_credits)

    return group(0)


@st.composite
def course_results(draw):
    org, number, run = (draw(st.sampled_from(ORGS)), draw(st.sampled_from(NUMBERS)),
                        draw(st.sampled_from(RUNS)))
    return CourseResult(course_key=course_key(org, number, run), org=org, number=number,
                        run=run, passing=draw(st.booleans()),
                        passed_at=draw(st.sampled_from(MOMENTS)),
                        grade=draw(st.sampled_from(GRADES)), certificate=draw(st.booleans()),
                        certificate_mode=draw(st.sampled_from(MODES)),
                        certificate_at=draw(st.sampled_from(MOMENTS)))


EXTERNAL_KEYS = EXTERNAL_IDS + tuple(oracle_badge(t) for t in TEMPLATES) + ("badge:other",)

records = st.builds(
    LearnerRecord,
    courses=st.lists(course_results(), max_size=5).map(tuple),
    credentials=st.dictionaries(st.sampled_from(PROGRAMS), st.sampled_from(DATED), max_size=3),
    externals=st.dictionaries(st.sampled_from(EXTERNAL_KEYS), st.sampled_from(DATED),
                              max_size=4),
)


@st.composite
def programmes(draw):
    window = draw(st.sampled_from(((None, None), (WINDOW_FROM, None), (None, WINDOW_UNTIL),
                                   (WINDOW_FROM, WINDOW_UNTIL))))
    return ProgramRules(program_id="prog", root=draw(trees()),
                        completion=draw(st.sampled_from(("passing", "certificate"))),
                        window_from=window[0], window_until=window[1])


@st.composite
def aimed_fact(draw, leaf):
    """A fact likely (not certain) to satisfy ``leaf``."""
    if isinstance(leaf, CourseLeaf):
        run = draw(st.sampled_from((leaf.run,) + RUNS))
        return "course", CourseResult(
            course_key=course_key(leaf.org, leaf.number, run), org=leaf.org, number=leaf.number,
            run=run, passing=True, passed_at=draw(st.sampled_from(MOMENTS)),
            grade=draw(st.sampled_from(GRADES)), certificate=True,
            certificate_mode=draw(st.sampled_from(MODES)),
            certificate_at=draw(st.sampled_from(MOMENTS)))
    when = draw(st.sampled_from(DATED))
    if isinstance(leaf, ProgramLeaf):
        return "credential", (leaf.ref, when)
    keys = (leaf.id,) + ((oracle_badge(leaf.badge_template),) if leaf.badge_template else ())
    return "external", (draw(st.sampled_from(keys)), when)


@st.composite
def scenarios(draw):
    """A programme and a learner record with random facts plus facts aimed at its leaves."""
    prog = draw(programmes())
    record = draw(records)
    for _, leaf in o_leaves(prog.root):
        if draw(st.booleans()):
            record = with_fact(record, draw(aimed_fact(leaf)))
    return prog, record


# ------------------------------------------------------------------------------------------------
# The oracle
# ------------------------------------------------------------------------------------------------

def o_in_window(prog: ProgramRules, when: datetime | None) -> bool:
    if prog.window_from is None and prog.window_until is None:
        return True
    if when is None:
        return False
    after_start = prog.window_from is None or when.date() >= prog.window_from
    before_end = prog.window_until is None or when.date() <= prog.window_until
    return after_start and before_end


def o_leaf_moments(prog: ProgramRules, leaf, record: LearnerRecord) -> list[datetime | None]:
    """Every qualifying achievement moment for ``leaf`` (empty when the leaf is unsatisfied)."""
    found: list[datetime | None] = []
    if isinstance(leaf, CourseLeaf):
        for res in record.courses:
            if leaf.runs == "this":
                same = res.course_key == leaf.key
            else:
                same = (res.org, res.number) == (leaf.org, leaf.number)
            if not same:
                continue
            if prog.completion == "certificate":
                if not res.certificate:
                    continue
                if leaf.mode is not None and res.certificate_mode != leaf.mode:
                    continue
                when = res.certificate_at
            else:
                if not res.passing:
                    continue
                when = res.passed_at
            if leaf.min_grade is not None and (res.grade is None or res.grade < leaf.min_grade):
                continue
            found.append(when)
    elif isinstance(leaf, ProgramLeaf):
        if leaf.ref in record.credentials:
            found.append(record.credentials[leaf.ref])
    else:
        keys = [leaf.id]
        if leaf.badge_template is not None:
            keys.append(oracle_badge(leaf.badge_template))
        found.extend(record.externals[key] for key in keys if key in record.externals)
    return [when for when in found if o_in_window(prog, when)]


def o_leaves(node, path: str = ""):
    """(path, leaf) pairs under ``node``, written independently of ``rules.iter_nodes``."""
    if isinstance(node, Group):
        out = []
        for index, child in enumerate(node.children):
            out.extend(o_leaves(child, path + "." + str(index) if path else str(index)))
        return out
    return [(path, node)]


def o_group(node, path: str, sat_leaves: set[str], satisfied: set[str]):
    """Return (satisfied?, credits of satisfied leaves below) and collect satisfied paths."""
    if not isinstance(node, Group):
        ok = path in sat_leaves
        if ok:
            satisfied.add(path)
        return ok, (node.credits if ok else D(0))
    results = [o_group(child, path + "." + str(i) if path else str(i), sat_leaves, satisfied)
               for i, child in enumerate(node.children)]
    count = sum(1 for ok, _ in results if ok)
    total = sum((credits for _, credits in results), D(0))
    if node.min_count is not None and node.min_credits is None:
        # counted credits: the min_count best satisfied children only
        best = sorted((credits for ok, credits in results if ok), reverse=True)
        counted = sum(best[:node.min_count], D(0))
    else:
        counted = total
    if node.min_count is None and node.min_credits is None:
        ok = count == len(node.children)
    else:
        ok = True
        if node.min_count is not None and count < node.min_count:
            ok = False
        if node.min_credits is not None and total < node.min_credits:
            ok = False
    if ok:
        satisfied.add(path)
    return ok, counted


def oracle(prog: ProgramRules, record: LearnerRecord):
    moments = {}
    for path, leaf in o_leaves(prog.root):
        found = o_leaf_moments(prog, leaf, record)
        if found:
            dated = [when for when in found if when is not None]
            moments[path] = min(dated) if dated else None
    satisfied: set[str] = set()
    complete, credits = o_group(prog.root, "", set(moments), satisfied)
    return complete, credits, satisfied, moments


def o_minimum_credits(root: Group) -> Decimal | None:
    """Least credit total over all subsets of leaves that satisfy ``root`` (None: none do)."""
    pairs = o_leaves(root)
    best = None
    for size in range(len(pairs) + 1):
        for subset in itertools.combinations(pairs, size):
            chosen = {path for path, _ in subset}
            if o_group(root, "", chosen, set())[0]:
                total = sum((leaf.credits for _, leaf in subset), D(0))
                best = total if best is None else min(best, total)
    return best


# ------------------------------------------------------------------------------------------------
# Properties
# ------------------------------------------------------------------------------------------------

@SETTINGS
@given(scenarios())
def test_evaluate_matches_the_oracle(scenario):
    prog, record = scenario
    evaluation = evaluate(prog, record)
    complete, credits, satisfied, moments = oracle(prog, record)
    assert evaluation.complete == complete
    assert evaluation.credits_earned == credits
    assert set(evaluation.satisfied) == satisfied
    assert len(evaluation.satisfied) == len(satisfied)
    assert evaluation.complete == ("" in evaluation.satisfied)
    # evidence: one per satisfied leaf, dated at the earliest qualifying achievement
    assert {item.path: item.achieved_at for item in evidence_of(evaluation)} == moments
    assert sum((item.credits for item in evaluation.evidence), D(0)) == evaluation.credits_earned


def evidence_of(evaluation):
    paths = [item.path for item in evaluation.evidence]
    assert len(paths) == len(set(paths))
    return evaluation.evidence


@SETTINGS
@given(trees())
def test_minimum_credits_matches_subset_enumeration(root):
    expected = o_minimum_credits(root)
    if expected is None:
        try:
            minimum_credits(root)
        except ValueError:
            return
        raise AssertionError("an unsatisfiable tree must raise ValueError")
    assert minimum_credits(root) == expected


@SETTINGS
@given(scenarios())
def test_a_complete_programme_earned_at_least_its_minimum_credits(scenario):
    prog, record = scenario
    evaluation = evaluate(prog, record)
    if evaluation.complete:
        assert evaluation.credits_earned >= minimum_credits(prog.root)


extra_facts = st.one_of(
    st.tuples(st.just("course"), course_results()),
    st.tuples(st.just("credential"), st.tuples(st.sampled_from(PROGRAMS),
                                               st.sampled_from(DATED))),
    st.tuples(st.just("external"), st.tuples(st.sampled_from(EXTERNAL_KEYS),
                                             st.sampled_from(DATED))),
)


def with_fact(record: LearnerRecord, fact) -> LearnerRecord:
    kind, value = fact
    if kind == "course":
        return replace(record, courses=record.courses + (value,))
    key, when = value
    if kind == "credential":
        # adding a fact never replaces one the learner already has
        return replace(record, credentials={key: when, **record.credentials})
    return replace(record, externals={key: when, **record.externals})


@SETTINGS
@given(scenarios(), st.data())
def test_adding_a_fact_is_monotone(scenario, data):
    prog, record = scenario
    aimed = [aimed_fact(leaf) for _, leaf in o_leaves(prog.root)]
    fact = data.draw(st.one_of(extra_facts, *aimed))
    before = evaluate(prog, record)
    after = evaluate(prog, with_fact(record, fact))
    if before.complete:
        assert after.complete
    assert set(before.satisfied) <= set(after.satisfied)
    assert after.credits_earned >= before.credits_earned


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from("abcdef"), st.sets(st.sampled_from("abcdefg"), max_size=3),
                       max_size=6))
def test_find_cycle_matches_reachability(graph):
    nodes = set(graph) | {ref for refs in graph.values() for ref in refs}
    reach = {name: set(graph.get(name, ())) for name in nodes}
    for _ in nodes:  # transitive closure by repeated relaxation
        for name in nodes:
            reach[name] = reach[name].union(*(reach[ref] for ref in reach[name]))
    has_cycle = any(name in reach[name] for name in nodes)
    cycle = find_cycle(graph)
    if not has_cycle:
        assert cycle is None
        return
    assert cycle is not None
    assert len(cycle) >= 2 and cycle[0] == cycle[-1]
    assert len(set(cycle[:-1])) == len(cycle) - 1
    for here, there in zip(cycle, cycle[1:], strict=False):
        assert there in graph.get(here, ())
