"""Example tests for the pure rules engine (DESIGN §3)."""
from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from openedx_microcred import rules
from openedx_microcred.rules import (
    CourseLeaf,
    CourseResult,
    Evaluation,
    Evidence,
    ExternalLeaf,
    Group,
    LearnerRecord,
    ProgramLeaf,
    ProgramRules,
    badge_key,
    evaluate,
    find_cycle,
    iter_leaves,
    iter_nodes,
    minimum_credits,
    program_refs,
)

D = Decimal
T0 = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)


# ------------------------------------------------------------------------------------------------
# Builders
# ------------------------------------------------------------------------------------------------

def course(number: str, run: str = "2025", org: str = "ECNUx", credits: str | int = 0,
           **kwargs) -> CourseLeaf:
    return CourseLeaf(key=f"course-v1:{org}+{number}+{run}", org=org, number=number, run=run,
                      credits=D(credits), **kwargs)


def result(number: str, run: str = "2025", org: str = "ECNUx", passing: bool = True,
           passed_at: datetime | None = T0, **kwargs) -> CourseResult:
    return CourseResult(course_key=f"course-v1:{org}+{number}+{run}", org=org, number=number,
                        run=run, passing=passing, passed_at=passed_at, **kwargs)


def ext(ident: str, credits: str | int = 0, **kwargs) -> ExternalLeaf:
    return ExternalLeaf(id=ident, credits=D(credits), **kwargs)


def prog(ref: str, credits: str | int = 0) -> ProgramLeaf:
    return ProgramLeaf(ref=ref, credits=D(credits))


def program(*children, completion: str = rules.PASSING, window_from: date | None = None,
            window_until: date | None = None, **group_rules) -> ProgramRules:
    return ProgramRules(program_id="p", root=Group(tuple(children), **group_rules),
                        completion=completion, window_from=window_from,
                        window_until=window_until)


def externals(*ids: str, at: datetime = T0) -> LearnerRecord:
    return LearnerRecord(externals=dict.fromkeys(ids, at))


def complete(rules_: ProgramRules, record: LearnerRecord) -> bool:
    return evaluate(rules_, record).complete


# ------------------------------------------------------------------------------------------------
# Module hygiene
# ------------------------------------------------------------------------------------------------

def test_rules_module_imports_only_the_standard_library():
    tree = ast.parse(Path(rules.__file__).read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "rules.py must not import from the package"
            imported.add(node.module.split(".")[0])
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}, imported


def test_rules_module_loads_with_django_blocked():
    script = textwrap.dedent(f"""
        import importlib.abc, importlib.util, sys
        class Block(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name == "django" or name.startswith("django."):
                    raise ImportError("django is blocked")
                return None
        sys.meta_path.insert(0, Block())
        spec = importlib.util.spec_from_file_location("standalone_rules", {rules.__file__!r})
        module = importlib.util.module_from_spec(spec)
        sys.modules["standalone_rules"] = module
        spec.loader.exec_module(module)
        leaf = module.ExternalLeaf(id="x")
        prog = module.ProgramRules(program_id="p", root=module.Group((leaf,)))
        ok = module.evaluate(prog, module.LearnerRecord(externals={{"x": None}})).complete
        assert ok and "django" not in sys.modules
        print("ok")
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


# ------------------------------------------------------------------------------------------------
# Groups
# ------------------------------------------------------------------------------------------------

def test_group_without_rules_needs_every_child():
    p = program(ext("a"), ext("b"), ext("c"))
    assert not complete(p, externals("a", "b"))
    assert not complete(p, externals("b", "c"))
    assert complete(p, externals("a", "b", "c"))


def test_empty_all_of_group_is_satisfied():
    evaluation = evaluate(program(), LearnerRecord())
    assert evaluation.complete
    assert evaluation.satisfied == ("",)


def test_min_count_counts_satisfied_children():
    p = program(ext("a"), ext("b"), ext("c"), min_count=2)
    assert not complete(p, LearnerRecord())
    assert not complete(p, externals("c"))
    assert complete(p, externals("a", "c"))
    assert complete(p, externals("a", "b", "c"))


def test_min_count_zero_is_always_satisfied():
    assert complete(program(ext("a"), min_count=0), LearnerRecord())


def test_min_count_above_the_number_of_children_is_never_satisfied():
    assert not complete(program(ext("a"), ext("b"), min_count=3), externals("a", "b"))


def test_min_count_counts_direct_children_not_leaves():
    inner = Group((ext("a"), ext("b")))  # all-of
    p = program(inner, ext("c"), min_count=2)
    # two satisfied leaves, but both inside one child group: one satisfied child
    assert not complete(p, externals("a", "b"))
    # inner group is not satisfied by one of its leaves: still one satisfied child
    assert not complete(p, externals("a", "c"))
    assert complete(p, externals("a", "b", "c"))


def test_min_credits_sums_satisfied_leaf_credits_inclusively():
    p = program(ext("a", 2), ext("b", "1.5"), ext("c", "0.5"), min_credits=D("3.5"))
    assert not complete(p, externals("a", "c"))       # 2.5
    assert complete(p, externals("a", "b"))           # 3.5 == 3.5
    assert complete(p, externals("a", "b", "c"))      # 4


def test_min_credits_counts_leaves_inside_unsatisfied_subgroups():
    inner = Group((ext("a", 2), ext("b", 2)))  # all-of, not satisfied by "a" alone
    p = program(inner, ext("c", 1), min_credits=D(3))
    evaluation = evaluate(p, externals("a", "c"))
    assert "0" not in evaluation.satisfied          # the subgroup itself is unsatisfied
    assert evaluation.complete                      # yet its leaf's 2 credits count: 2 + 1 >= 3


def test_min_credits_counts_leaves_at_any_depth():
    deep = Group((Group((Group((ext("a", 3), ext("z"))),)),))
    p = program(deep, ext("b", 1), min_credits=D(4))
    assert complete(p, externals("a", "b"))
    assert not complete(p, externals("a"))


def test_min_credits_of_a_subgroup_only_counts_its_own_leaves():
    inner = Group((ext("a", 1), ext("b", 1)), min_credits=D(2))
    p = program(inner, ext("c", 5))
    evaluation = evaluate(p, externals("a", "c"))
    assert "0" not in evaluation.satisfied          # the sibling's 5 credits don't help
    assert not evaluation.complete


def test_both_rules_must_hold():
    p = program(ext("a", 3), ext("b", 1), ext("c", 1), min_count=2, min_credits=D(4))
    assert not complete(p, externals("a"))            # 3 credits, 1 child
    assert not complete(p, externals("b", "c"))       # 2 children, 2 credits
    assert complete(p, externals("a", "b"))           # 2 children, 4 credits


def test_groups_nest_to_any_depth():
    # root(all) -> g1(min_count=1) -> g2(all) -> g3(min_credits=2) -> leaves
    g3 = Group((ext("a", 1), ext("b", 1), ext("c", 1)), min_credits=D(2))
    g2 = Group((g3, ext("d")))
    g1 = Group((g2, ext("never")), min_count=1)
    p = program(g1, ext("e"))
    assert not complete(p, externals("a", "d", "e"))          # g3 short of credits
    assert not complete(p, externals("a", "b", "e"))          # g2 misses "d"
    assert not complete(p, externals("a", "b", "d"))          # root misses "e"
    evaluation = evaluate(p, externals("a", "c", "d", "e"))
    assert evaluation.complete
    deepest = ("0.0.0.0", "0.0.0.2")  # noqa: S104  (paths of g3's satisfied leaves)
    assert evaluation.satisfied == ("", "0", "0.0", "0.0.0", *deepest, "0.0.1", "1")


# ------------------------------------------------------------------------------------------------
# Course leaves
# ------------------------------------------------------------------------------------------------

def test_course_leaf_needs_a_passing_result():
    p = program(course("ECON101"))
    assert complete(p, LearnerRecord(courses=(result("ECON101"),)))
    assert not complete(p, LearnerRecord(courses=(result("ECON101", passing=False),)))
    assert not complete(p, LearnerRecord())


def test_runs_any_accepts_another_run_of_the_same_course():
    p = program(course("ECON101", run="2025"))
    assert complete(p, LearnerRecord(courses=(result("ECON101", run="2024_T3"),)))
    assert not complete(p, LearnerRecord(courses=(result("ECON102", run="2025"),)))
    assert not complete(p, LearnerRecord(courses=(result("ECON101", org="OtherX"),)))


def test_runs_this_accepts_only_the_exact_run():
    p = program(course("ECON101", run="2025", runs=rules.RUNS_THIS))
    assert not complete(p, LearnerRecord(courses=(result("ECON101", run="2024"),)))
    assert complete(p, LearnerRecord(courses=(result("ECON101", run="2025"),)))


def test_ccx_result_reported_under_its_master_key_satisfies():
    master = "course-v1:ECNUx+ECON101+2025"
    leaf = course("ECON101", run="2025", runs=rules.RUNS_THIS)
    assert leaf.key == master
    # the platform adapter maps a result in ccx-v1:ECNUx+ECON101+2025+ccx@7 to the master course
    ccx_result = CourseResult(course_key=master, org="ECNUx", number="ECON101", run="2025",
                              passing=True, passed_at=T0)
    evaluation = evaluate(program(leaf), LearnerRecord(courses=(ccx_result,)))
    assert evaluation.complete
    assert evaluation.evidence[0].key == master


def test_min_grade_needs_at_least_that_grade():
    p = program(course("ECON101", min_grade=0.8))
    assert not complete(p, LearnerRecord(courses=(result("ECON101", grade=0.79),)))
    assert complete(p, LearnerRecord(courses=(result("ECON101", grade=0.8),)))
    assert complete(p, LearnerRecord(courses=(result("ECON101", grade=0.95),)))
    assert not complete(p, LearnerRecord(courses=(result("ECON101", grade=None),)))


def test_min_grade_may_be_met_by_another_run():
    p = program(course("ECON101", min_grade=0.8))
    record = LearnerRecord(courses=(result("ECON101", run="a", grade=0.6),
                                    result("ECON101", run="b", grade=0.9)))
    evaluation = evaluate(p, record)
    assert evaluation.complete
    assert evaluation.evidence[0].key == "course-v1:ECNUx+ECON101+b"
    assert evaluation.evidence[0].grade == 0.9


def test_certificate_completion_needs_a_certificate_not_a_pass():
    p = program(course("ECON101"), completion=rules.CERTIFICATE)
    assert not complete(p, LearnerRecord(courses=(result("ECON101"),)))
    cert_only = result("ECON101", passing=False, passed_at=None, certificate=True,
                       certificate_mode="audit", certificate_at=T0)
    assert complete(p, LearnerRecord(courses=(cert_only,)))


def test_certificate_completion_checks_the_leaf_mode():
    p = program(course("ECON101", mode="verified"), completion=rules.CERTIFICATE)

    def cert(mode):
        return result("ECON101", certificate=True, certificate_mode=mode, certificate_at=T0)

    assert not complete(p, LearnerRecord(courses=(cert("audit"),)))
    assert not complete(p, LearnerRecord(courses=(cert(None),)))
    assert complete(p, LearnerRecord(courses=(cert("verified"),)))


def test_leaf_mode_is_ignored_under_passing_completion():
    p = program(course("ECON101", mode="verified"))
    assert complete(p, LearnerRecord(courses=(result("ECON101"),)))


def test_completion_date_is_passed_at_or_certificate_at():
    passed = datetime(2026, 1, 1, tzinfo=UTC)
    certified = datetime(2026, 2, 1, tzinfo=UTC)
    record = LearnerRecord(courses=(result("ECON101", passed_at=passed, certificate=True,
                                           certificate_at=certified),))
    by_pass = evaluate(program(course("ECON101")), record)
    by_cert = evaluate(program(course("ECON101"), completion=rules.CERTIFICATE), record)
    assert by_pass.evidence[0].achieved_at == passed
    assert by_cert.evidence[0].achieved_at == certified


# ------------------------------------------------------------------------------------------------
# Completion window
# ------------------------------------------------------------------------------------------------

WINDOW = {"window_from": date(2025, 9, 1), "window_until": date(2028, 1, 31)}


@pytest.mark.parametrize("when, inside", [
    (datetime(2025, 8, 31, 23, 59, 59, tzinfo=UTC), False),
    (datetime(2025, 9, 1, 0, 0, tzinfo=UTC), True),
    (datetime(2026, 6, 15, 12, 0, tzinfo=UTC), True),
    (datetime(2028, 1, 31, 23, 59, 59, tzinfo=UTC), True),
    (datetime(2028, 2, 1, 0, 0, tzinfo=UTC), False),
])
def test_window_edges_are_inclusive_for_every_leaf_kind(when, inside):
    rec_course = LearnerRecord(courses=(result("ECON101", passed_at=when),))
    assert complete(program(course("ECON101"), **WINDOW), rec_course) is inside
    rec_prog = LearnerRecord(credentials={"other": when})
    assert complete(program(prog("other"), **WINDOW), rec_prog) is inside
    assert complete(program(ext("hcia"), **WINDOW), externals("hcia", at=when)) is inside
    tpl = "0f0e0d0c-0000-4000-8000-000000000001"
    rec_badge = externals(badge_key(tpl), at=when)
    assert complete(program(ext("hcia", badge_template=tpl), **WINDOW), rec_badge) is inside


def test_window_with_only_one_bound():
    early = datetime(2020, 1, 1, tzinfo=UTC)
    late = datetime(2030, 1, 1, tzinfo=UTC)
    p_from = program(ext("a"), window_from=date(2025, 9, 1))
    p_until = program(ext("a"), window_until=date(2028, 1, 31))
    assert not complete(p_from, externals("a", at=early))
    assert complete(p_from, externals("a", at=late))
    assert complete(p_until, externals("a", at=early))
    assert not complete(p_until, externals("a", at=late))


def test_undated_fact_fails_only_when_a_window_is_set():
    record = LearnerRecord(courses=(result("ECON101", passed_at=None),),
                           credentials={"other": None}, externals={"a": None})
    p = program(course("ECON101"), prog("other"), ext("a"))
    assert complete(p, record)
    windowed = program(course("ECON101"), prog("other"), ext("a"), **WINDOW)
    evaluation = evaluate(windowed, record)
    assert not evaluation.complete
    assert evaluation.satisfied == ()


def test_window_uses_the_certificate_date_under_certificate_completion():
    inside = datetime(2026, 1, 1, tzinfo=UTC)
    outside = datetime(2028, 3, 1, tzinfo=UTC)
    p = program(course("ECON101"), completion=rules.CERTIFICATE, **WINDOW)
    late_cert = result("ECON101", passed_at=inside, certificate=True, certificate_at=outside)
    early_cert = result("ECON101", passed_at=outside, certificate=True, certificate_at=inside)
    assert not complete(p, LearnerRecord(courses=(late_cert,)))
    assert complete(p, LearnerRecord(courses=(early_cert,)))


def test_window_picks_a_run_inside_it():
    p = program(course("ECON101"), **WINDOW)
    before = result("ECON101", run="2024", passed_at=datetime(2024, 12, 1, tzinfo=UTC))
    inside = result("ECON101", run="2026", passed_at=datetime(2026, 5, 1, tzinfo=UTC))
    evaluation = evaluate(p, LearnerRecord(courses=(before, inside)))
    assert evaluation.complete
    assert evaluation.evidence[0].key == "course-v1:ECNUx+ECON101+2026"


# ------------------------------------------------------------------------------------------------
# Programme and external leaves
# ------------------------------------------------------------------------------------------------

def test_program_leaf_needs_a_credential_for_that_programme():
    p = program(prog("base-programme", "3.125"))
    assert not complete(p, LearnerRecord(credentials={"another": T0}))
    evaluation = evaluate(p, LearnerRecord(credentials={"base-programme": T0}))
    assert evaluation.complete
    assert evaluation.evidence == (Evidence("0", "program", "base-programme", D("3.125"), T0),)


def test_external_leaf_by_staff_recorded_id():
    p = program(ext("huawei-hcia-ai", 2))
    assert not complete(p, externals("huawei-hcip-ai"))
    evaluation = evaluate(p, externals("huawei-hcia-ai"))
    assert evaluation.complete
    assert evaluation.evidence == (Evidence("0", "external", "huawei-hcia-ai", D(2), T0),)


def test_external_leaf_by_badge_template():
    tpl = "6A1B2C3D-0000-4000-8000-00000000ABCD"
    p = program(ext("huawei-hcia-ai", badge_template=tpl))
    assert badge_key(tpl) == "badge:6a1b2c3d-0000-4000-8000-00000000abcd"
    assert badge_key(tpl) == badge_key(tpl.lower())
    evaluation = evaluate(p, externals(badge_key(tpl.lower())))
    assert evaluation.complete
    assert evaluation.evidence[0].key == badge_key(tpl)
    assert not complete(p, externals(badge_key("6a1b2c3d-0000-4000-8000-000000000000")))
    # without a template, a badge key never satisfies
    assert not complete(program(ext("huawei-hcia-ai")), externals(badge_key(tpl)))


def test_external_leaf_evidence_is_the_earliest_of_id_and_badge():
    tpl = "t-1"
    p = program(ext("x", badge_template=tpl))
    early, late = T0, T0 + timedelta(days=30)
    record = LearnerRecord(externals={"x": late, badge_key(tpl): early})
    assert evaluate(p, record).evidence[0] == Evidence("0", "external", badge_key(tpl), D(0), early)
    record = LearnerRecord(externals={"x": early, badge_key(tpl): late})
    assert evaluate(p, record).evidence[0].key == "x"
    # only the badge lies inside the window
    windowed = program(ext("x", badge_template=tpl), window_from=date(2026, 2, 1))
    record = LearnerRecord(externals={"x": early, badge_key(tpl): late})
    assert evaluate(windowed, record).evidence[0].key == badge_key(tpl)


# ------------------------------------------------------------------------------------------------
# Credits, satisfied paths and evidence
# ------------------------------------------------------------------------------------------------

def test_credits_earned_sums_satisfied_leaves_even_when_incomplete():
    inner = Group((ext("a", "3.125"), ext("b", "0.5"), ext("c", 7)))  # all-of
    p = program(inner, prog("q", 2), course("ECON101", credits=1))
    record = LearnerRecord(externals={"a": T0, "b": T0},
                           courses=(result("ECON101", passing=False),))
    evaluation = evaluate(p, record)
    assert not evaluation.complete
    assert evaluation.credits_earned == D("3.625")
    assert isinstance(evaluation.credits_earned, Decimal)


def test_credits_earned_counts_each_satisfied_leaf_once_and_is_zero_when_none():
    p = program(course("ECON101", credits=2), course("ECON101", run="2026", credits=3))
    record = LearnerRecord(courses=(result("ECON101"), result("ECON101", run="2026")))
    assert evaluate(p, record).credits_earned == D(5)
    assert evaluate(p, LearnerRecord()).credits_earned == D(0)


def test_satisfied_lists_every_satisfied_node_in_tree_order():
    p = program(
        Group((ext("a"), ext("b")), min_count=1),    # 0 (satisfied via 0.1)
        Group((ext("c"), ext("d"))),                 # 1 (unsatisfied: only 1.0)
        ext("e"),                                    # 2
        min_count=2,
    )
    evaluation = evaluate(p, externals("b", "c", "e"))
    assert evaluation == Evaluation(
        complete=True,
        credits_earned=D(0),
        satisfied=("", "0", "0.1", "1.0", "2"),
        evidence=(Evidence("0.1", "external", "b", D(0), T0),
                  Evidence("1.0", "external", "c", D(0), T0),
                  Evidence("2", "external", "e", D(0), T0)),
    )


def test_satisfied_orders_paths_numerically():
    p = program(*[ext(f"x{i}") for i in range(12)], min_count=1)
    evaluation = evaluate(p, externals("x2", "x10"))
    assert evaluation.satisfied == ("", "2", "10")


def test_incomplete_programme_has_no_root_in_satisfied():
    evaluation = evaluate(program(ext("a"), ext("b")), externals("a"))
    assert evaluation.satisfied == ("0",)
    assert not evaluation.complete


def test_evidence_picks_the_earliest_qualifying_result():
    first = datetime(2025, 3, 1, tzinfo=UTC)
    second = datetime(2025, 6, 1, tzinfo=UTC)
    third = datetime(2025, 12, 1, tzinfo=UTC)
    p = program(course("ECON101", min_grade=0.7))
    record = LearnerRecord(courses=(
        result("ECON101", run="r3", passed_at=third, grade=0.9),
        result("ECON101", run="r1", passed_at=first, grade=0.5),       # below min_grade
        result("ECON101", run="r2", passed_at=second, grade=0.75),
        result("ECON101", run="r0", passed_at=None, grade=1.0),        # undated
        result("ECON999", run="r0", passed_at=first, grade=1.0),       # another course
    ))
    evaluation = evaluate(p, record)
    assert evaluation.evidence == (
        Evidence("0", "course", "course-v1:ECNUx+ECON101+r2", D(0), second, 0.75),)


def test_evidence_of_an_undated_result_when_nothing_is_dated():
    p = program(course("ECON101"))
    evaluation = evaluate(p, LearnerRecord(courses=(result("ECON101", passed_at=None),)))
    assert evaluation.complete
    assert evaluation.evidence[0].achieved_at is None


# ------------------------------------------------------------------------------------------------
# minimum_credits
# ------------------------------------------------------------------------------------------------

def test_minimum_credits_of_all_of_is_the_sum():
    assert minimum_credits(Group((ext("a", 2), ext("b", "3.125"), ext("c", "0.5")))) == D("5.625")


def test_minimum_credits_of_min_count_takes_the_cheapest_children():
    root = Group((ext("a", 3), ext("b", "0.5"), ext("c", "3.125"), ext("d", 2)), min_count=2)
    assert minimum_credits(root) == D("2.5")


def test_minimum_credits_of_min_credits_is_the_least_reachable_total():
    # reachable totals >= 3 from {2, 2, 3.125}: 3.125 (not 4)
    root = Group((ext("a", 2), ext("b", 2), ext("c", "3.125")), min_credits=D(3))
    assert minimum_credits(root) == D("3.125")
    # {0.5, 0.5, 0.5, 2} with >= 1.25: 1.5
    root = Group((ext("a", "0.5"), ext("b", "0.5"), ext("c", "0.5"), ext("d", 2)),
                 min_credits=D("1.25"))
    assert minimum_credits(root) == D("1.5")


def test_minimum_credits_counts_leaves_of_partially_satisfied_subgroups():
    # satisfying only "a" leaves the subgroup unsatisfied, but its 3.125 credits reach 3
    root = Group((Group((ext("a", "3.125"), ext("b", "0.5"))), ext("c", 4)), min_credits=D(3))
    assert minimum_credits(root) == D("3.125")


def test_minimum_credits_with_both_rules():
    root = Group((ext("a", 3), ext("b", "0.5"), ext("c", "0.5"), ext("d", 1)),
                 min_count=2, min_credits=D(3))
    assert minimum_credits(root) == D("3.5")  # a + one half: two children, 3.5 >= 3


def test_minimum_credits_of_nested_tree():
    root = Group((
        Group((ext("x", "3.125"), ext("y", "0.5")), min_count=1),
        Group((ext("a", "0.5"), ext("b", "0.5"), ext("c", 2)), min_credits=D(1)),
        Group((Group((ext("p", 1), ext("q", 1))), ext("r", "3.125")), min_count=1),
    ))
    assert minimum_credits(root) == D("0.5") + D(1) + D(2)


def test_minimum_credits_of_min_count_over_subgroups_with_zero_credit_leaves():
    root = Group((
        Group((ext("a", 0), ext("b", 5))),
        Group((ext("c", 1),)),
        Group((ext("d", 0), ext("e", 0))),
    ), min_count=2)
    assert minimum_credits(root) == D(1)  # the zero-credit group plus the one-credit group
    assert minimum_credits(Group(())) == D(0)
    assert minimum_credits(Group((ext("a", 0), ext("b", 0)))) == D(0)


def test_minimum_credits_with_program_and_course_leaves():
    root = Group((course("ECON101", credits=2), prog("base", "3.125"),
                  Group((course("DT205", credits=1), ext("hcia", "0.5")), min_count=1)))
    assert minimum_credits(root) == D("5.625")


def test_minimum_credits_of_an_unsatisfiable_tree_raises_value_error():
    with pytest.raises(ValueError):
        minimum_credits(Group((ext("a", 1),), min_count=2))
    with pytest.raises(ValueError):
        minimum_credits(Group((ext("a", 1), ext("b", 1)), min_credits=D(3)))


# ------------------------------------------------------------------------------------------------
# Tree helpers
# ------------------------------------------------------------------------------------------------

def test_iter_nodes_paths_and_iter_leaves_order():
    a, b, c = ext("a"), prog("b"), course("C")
    inner = Group((b, c))
    root = Group((a, inner))
    assert list(iter_nodes(root)) == [("", root), ("0", a), ("1", inner), ("1.0", b), ("1.1", c)]
    assert list(iter_leaves(root)) == [a, b, c]


def test_program_refs_collects_nested_programme_leaves():
    root = Group((prog("a"), Group((prog("b"), ext("a"), Group((prog("c"), prog("a")))))))
    assert program_refs(root) == {"a", "b", "c"}
    assert program_refs(Group((ext("x"),))) == set()


# ------------------------------------------------------------------------------------------------
# find_cycle
# ------------------------------------------------------------------------------------------------

def assert_is_cycle(graph, cycle):
    assert cycle[0] == cycle[-1]
    assert len(cycle) >= 2
    assert len(set(cycle[:-1])) == len(cycle) - 1
    for here, there in zip(cycle, cycle[1:], strict=False):
        assert there in graph.get(here, ()), (here, there)


def test_find_cycle_self_loop():
    assert find_cycle({"a": {"a"}}) == ["a", "a"]
    graph = {"a": {"b"}, "b": {"b"}}
    assert find_cycle(graph) == ["b", "b"]


def test_find_cycle_two_nodes():
    graph = {"a": {"b"}, "b": {"a"}}
    cycle = find_cycle(graph)
    assert_is_cycle(graph, cycle)
    assert set(cycle) == {"a", "b"}


def test_find_cycle_long_cycle():
    names = [f"p{i:03d}" for i in range(60)]
    graph = {name: {names[(i + 1) % len(names)]} for i, name in enumerate(names)}
    cycle = find_cycle(graph)
    assert_is_cycle(graph, cycle)
    assert len(cycle) == 61
    assert set(cycle) == set(names)


def test_find_cycle_reached_through_a_tail():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"d"}, "d": {"b"}}
    assert find_cycle(graph) == ["b", "c", "d", "b"]


def test_find_cycle_dag_has_none():
    graph = {"a": {"b", "c"}, "b": {"d"}, "c": {"d"}, "d": set(), "e": {"a", "d"}}
    assert find_cycle(graph) is None
    assert find_cycle({}) is None
    assert find_cycle({"a": {"unknown"}, "b": {"unknown", "a"}}) is None


def test_find_cycle_on_a_very_long_chain():
    # deeper than Python's default recursion limit
    n = 5000
    chain = {f"p{i}": {f"p{i + 1}"} for i in range(n)}
    assert find_cycle(chain) is None
    chain[f"p{n}"] = {"p0"}
    cycle = find_cycle(chain)
    assert_is_cycle(chain, cycle)
    assert len(cycle) == n + 2


# ------------------------------------------------------------------------------------------------
# Counted credits follow the rules
# ------------------------------------------------------------------------------------------------

def _electives_and_capstone() -> ProgramRules:
    """credits="4": a min-count="1" group of two 2-credit courses, then a 2-credit capstone."""
    electives = Group((course("E1", credits=2), course("E2", credits=2)), min_count=1)
    return ProgramRules(program_id="p", root=Group((electives, course("CAP", credits=2))),
                        credits=D(4))


def test_a_min_count_group_counts_its_best_satisfied_children_only():
    p = _electives_and_capstone()
    both = LearnerRecord(courses=(result("E1"), result("E2")))
    evaluation = evaluate(p, both)
    assert not evaluation.complete
    assert evaluation.credits_earned == D(2)  # not 4 / 4 while the capstone is missing
    assert sorted(item.credits for item in evaluation.evidence) == [D(0), D(2)]
    done = evaluate(p, LearnerRecord(courses=(result("E1"), result("E2"), result("CAP"))))
    assert done.complete
    assert done.credits_earned == D(4)  # not 6 of 4
    assert sum(item.credits for item in done.evidence) == D(4)


def test_the_best_children_count_whatever_order_they_come_in():
    group = Group((course("A", credits=1), course("B", credits=3), course("C", credits=2)),
                  min_count=2)
    p = ProgramRules(program_id="p", root=Group((group,)))
    evaluation = evaluate(p, LearnerRecord(courses=(result("A"), result("B"), result("C"))))
    assert evaluation.credits_earned == D(5)
    assert {item.key.split("+")[1]: item.credits for item in evaluation.evidence} == {
        "A": D(0), "B": D(3), "C": D(2)}


def test_surplus_electives_do_not_satisfy_a_credit_rule_above_them():
    electives = Group((ext("a", 3), ext("b", 3)), min_count=1)
    p = program(electives, ext("c", 1), min_credits=D(4))
    assert not complete(p, externals("a", "b"))  # the group counts 3, not 6
    assert complete(p, externals("a", "c"))
    assert minimum_credits(p.root) == D(4)


def test_earned_credits_never_exceed_the_programme_credits():
    p = ProgramRules(program_id="p", credits=D(3), root=Group(
        (Group((ext("a", 2), ext("b", 2)), min_credits=D(3)),)))
    evaluation = evaluate(p, externals("a", "b"))
    assert evaluation.complete
    assert evaluation.credits_earned == D(3)


def test_progress_never_reaches_the_total_while_a_requirement_is_unmet():
    # Both 2-credit courses of a min-credits group plus nothing of the required 1-credit course:
    # 4 counted, but the programme (credits 4) still needs 1.
    p = ProgramRules(program_id="p", credits=D(4), root=Group(
        (Group((ext("a", 2), ext("b", 2)), min_credits=D(3)), ext("c", 1))))
    evaluation = evaluate(p, externals("a", "b"))
    assert not evaluation.complete
    assert evaluation.credits_earned == D(3)
    assert evaluate(p, externals("a", "b", "c")).credits_earned == D(4)


def test_maximum_credits_counts_the_best_children_of_a_min_count_group():
    electives = Group((course("E1", credits=4), course("E2", credits=3)), min_count=1)
    assert rules.maximum_credits(Group((electives, course("C", credits=2)))) == D(6)
