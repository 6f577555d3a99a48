"""Per-requirement states, rules in numbers, hours, what is left and the next step (pure)."""
from datetime import UTC, datetime
from decimal import Decimal

from openedx_microcred import requirement_states as rs
from openedx_microcred import rules

WHEN = datetime(2026, 3, 1, tzinfo=UTC)


def course(number: str, credits: str = "0", hours: str | None = None) -> rules.CourseLeaf:
    return rules.CourseLeaf(key=f"course-v1:X+{number}+2026", org="X", number=number,
                            run="2026", credits=Decimal(credits),
                            hours=Decimal(hours) if hours else None, title=number)


def result(number: str, passing: bool = True) -> rules.CourseResult:
    return rules.CourseResult(course_key=f"course-v1:X+{number}+2026", org="X", number=number,
                              run="2026", passing=passing, passed_at=WHEN if passing else None)


def tree_for(root: rules.Group, *results, started=()) -> rs.RequirementState:
    program = rules.ProgramRules(program_id="p", root=root)
    record = rules.LearnerRecord(courses=tuple(results))
    return rs.requirement_states(program, rules.evaluate(program, record), record,
                                 started_programs=started)


ELECTIVES = rules.Group(title="Electives", min_count=2,
                        children=(course("E1", "1", "10"), course("E2", "1", "20"),
                                  course("E3", "1", "30"), course("E4", "1", "40")))
ROOT = rules.Group(children=(
    rules.Group(title="Core", children=(course("C1", "2", "35"), course("C2", "2", "25"))),
    ELECTIVES))


def states(tree: rs.RequirementState) -> dict[str, str]:
    return {leaf.title: leaf.state for leaf in tree.leaves}


def test_leaf_states_dates_and_group_rules():
    tree = tree_for(ROOT, result("C1"), result("E1"), result("E2", passing=False))
    assert states(tree) == {"C1": "done", "C2": "not_started", "E1": "done",
                            "E2": "in_progress", "E3": "not_started", "E4": "not_started"}
    core, electives = tree.children
    assert core.children[0].achieved_at == WHEN and core.children[1].achieved_at is None
    assert (core.state, electives.state, tree.state) == ("in_progress",) * 3
    assert core.rule == rs.GroupRule(kind="all", total=2, needed=2, satisfied=1, remaining=1,
                                     credits_counted=Decimal(2))
    assert (electives.rule.kind, electives.rule.needed, electives.rule.remaining) == \
        ("count", 2, 1)


def test_a_satisfied_group_makes_its_open_leaves_no_longer_needed():
    tree = tree_for(ROOT, result("E1"), result("E3"), result("E2", passing=False))
    electives = tree.children[1]
    assert electives.state == "done" and electives.achieved_at == WHEN
    assert [c.state for c in electives.children] == ["done", "not_needed", "done", "not_needed"]
    assert electives.rule.remaining == 0


def test_nothing_yet_is_not_started_everywhere():
    tree = tree_for(ROOT)
    assert tree.state == "not_started" and set(states(tree).values()) == {"not_started"}


def test_a_stacked_programme_is_in_progress_once_started():
    root = rules.Group(children=(rules.ProgramLeaf(ref="a"), rules.ProgramLeaf(ref="b")))
    tree = tree_for(root, started={"a"})
    assert [c.state for c in tree.children] == ["in_progress", "not_started"]
    assert [c.kind for c in tree.children] == ["program", "program"]


def test_credits_rules():
    root = rules.Group(min_credits=Decimal(3), title="Any 3 credits",
                       children=(course("A", "2"), course("B", "2"), course("C", "1")))
    tree = tree_for(root, result("A"))
    assert (tree.rule.kind, tree.rule.credits_needed, tree.rule.credits_counted) == \
        ("credits", Decimal(3), Decimal(2))
    [part] = rs.outstanding(tree)
    assert part.credits == Decimal(1) and [leaf.title for leaf in part.leaves] == ["B", "C"]


def test_hours_count_the_best_n_electives_and_require_the_cheapest():
    tree = tree_for(ROOT, result("C1"), result("E2"), result("E3"), result("E4"))
    assert rs.hours_counted(tree) == Decimal(35 + 40 + 30)  # the two longest electives count
    assert rs.hours_required(ROOT) == Decimal(35 + 25 + 10 + 20)
    assert rs.has_hours(ROOT)
    assert not rs.has_hours(rules.Group(children=(course("A", "1"),)))


def test_what_is_left_names_required_courses_and_choices():
    tree = tree_for(ROOT, result("C1"), result("E1"))
    required, choice = rs.outstanding(tree)
    assert [leaf.title for leaf in required.leaves] == ["C2"] and required.choose is None
    assert (choice.choose, choice.group_title) == (1, "Electives")
    assert [leaf.title for leaf in choice.leaves] == ["E2", "E3", "E4"]
    assert [leaf.title for leaf in rs.remaining(tree)] == ["C2", "E2", "E3", "E4"]
    assert rs.outstanding(tree_for(ROOT, *(result(n) for n in ("C1", "C2", "E1", "E2")))) == ()


def test_the_next_step_continues_what_was_started_then_follows_the_tree():
    assert rs.next_step(tree_for(ROOT, result("E3", passing=False))).leaves[0].title == "E3"
    step = rs.next_step(tree_for(ROOT, result("C1")))
    assert [leaf.title for leaf in step.leaves] == ["C2"] and step.choose is None
    step = rs.next_step(tree_for(ROOT, result("C1"), result("C2")))
    assert step.choose == 2 and step.group_title == "Electives" and len(step.leaves) == 4
    done = tree_for(ROOT, *(result(n) for n in ("C1", "C2", "E1", "E2")))
    assert rs.next_step(done).leaves == ()
