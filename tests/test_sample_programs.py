"""The sample programmes shipped in ``openedx_microcred/demo/programs``: facts and evaluation."""
from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from importlib import resources

import pytest

from openedx_microcred import rules
from openedx_microcred.definitions import ProgramDefinition, parse_program

D = Decimal
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
PROGRAMS = resources.files("openedx_microcred") / "demo" / "programs"
SAMPLE_NAMES = sorted(item.name for item in PROGRAMS.iterdir() if item.name.endswith(".xml"))


def load(program_id: str) -> ProgramDefinition:
    return parse_program((PROGRAMS / f"{program_id}.xml").read_bytes())


def courses(definition: ProgramDefinition) -> list[rules.CourseLeaf]:
    return [leaf for leaf in rules.iter_leaves(definition.requirements)
            if isinstance(leaf, rules.CourseLeaf)]


def passed(leaf: rules.CourseLeaf, *, run: str | None = None) -> rules.CourseResult:
    """A passing result in ``leaf``'s course (in another ``run`` if given)."""
    run = run or leaf.run
    return rules.CourseResult(
        course_key=f"course-v1:{leaf.org}+{leaf.number}+{run}", org=leaf.org,
        number=leaf.number, run=run, passing=True, passed_at=T0, grade=0.9)


def certified(leaf: rules.CourseLeaf, mode: str = "verified") -> rules.CourseResult:
    return rules.CourseResult(
        course_key=leaf.key, org=leaf.org, number=leaf.number, run=leaf.run, passing=True,
        passed_at=T0, grade=0.9, certificate=True, certificate_mode=mode, certificate_at=T0)


def record(*results: rules.CourseResult, credentials=(), externals=()) -> rules.LearnerRecord:
    return rules.LearnerRecord(courses=results, credentials=dict.fromkeys(credentials, T0),
                               externals=dict.fromkeys(externals, T0))


def everything(definition: ProgramDefinition) -> rules.LearnerRecord:
    """A learner who has satisfied every leaf of ``definition``."""
    leaves = list(rules.iter_leaves(definition.requirements))
    complete = certified if definition.completion == rules.CERTIFICATE else passed
    return record(
        *(complete(leaf) for leaf in leaves if isinstance(leaf, rules.CourseLeaf)),
        credentials=[leaf.ref for leaf in leaves if isinstance(leaf, rules.ProgramLeaf)],
        externals=[leaf.id for leaf in leaves if isinstance(leaf, rules.ExternalLeaf)])


# ------------------------------------------------------------------------------------------------
# Every sample
# ------------------------------------------------------------------------------------------------

def test_the_samples_are_shipped():
    assert len(SAMPLE_NAMES) == 11


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_each_sample_parses_under_its_file_name(name):
    definition = parse_program((PROGRAMS / name).read_text(encoding="utf-8"))
    assert f"{definition.id}.xml" == name
    assert definition.title and definition.issuer is not None


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_a_learner_with_every_leaf_completes_each_sample(name):
    definition = load(name.removesuffix(".xml"))
    evaluation = rules.evaluate(definition.rules, everything(definition))
    assert evaluation.complete
    # Every leaf done still earns the programme's credits, not the sum of every leaf (surplus
    # electives add nothing: harvard-web-app-dev has 12 credits of leaves for its 8).
    assert evaluation.credits_earned == definition.credits
    assert rules.evaluate(definition.rules, record()).complete is False


def test_the_stacking_graph_of_the_samples_has_no_cycle():
    graph = {name.removesuffix(".xml"): rules.program_refs(
        load(name.removesuffix(".xml")).requirements) for name in SAMPLE_NAMES}
    assert rules.find_cycle(graph) is None
    assert set().union(*graph.values()) <= set(graph)  # every ref is a shipped programme


# ------------------------------------------------------------------------------------------------
# Harvard: Web Application Development stacks into the Front-End graduate certificate
# ------------------------------------------------------------------------------------------------

def test_harvard_web_app_dev_facts():
    definition = load("harvard-web-app-dev")
    assert [leaf.number for leaf in courses(definition)] == ["CSCI-E3", "CSCI-E31", "CSCI-E114"]
    elective = definition.requirements.children[1]
    assert (elective.title, elective.min_count) == ("Elective", 1)
    assert definition.declared_credits is None
    assert definition.credits == rules.minimum_credits(definition.requirements) == 8
    assert len(definition.outcomes) == 5 and definition.field_of_study == "Web development"
    assert definition.hours is None


def test_harvard_web_app_dev_evaluation():
    definition = load("harvard-web-app-dev")
    core, node, jamstack = courses(definition)
    done = rules.evaluate(definition.rules, record(passed(core, run="2026"), passed(node)))
    assert done.complete and done.credits_earned == 8  # runs="any": another run counts
    missing_core = rules.evaluate(definition.rules, record(passed(node), passed(jamstack)))
    # both electives, no core course: one elective counts (4 of 8), never the total
    assert not missing_core.complete and missing_core.credits_earned == 4


def test_harvard_front_end_certificate_stacks_on_web_app_dev():
    definition = load("harvard-front-end-certificate")
    stacked = definition.requirements.children[0]
    assert stacked == rules.ProgramLeaf(ref="harvard-web-app-dev", credits=D(8))
    assert definition.requirements.children[1].min_count == 2
    assert definition.credits == 16
    e12, react, _ = courses(definition)
    with_credential = record(passed(e12), passed(react), credentials=["harvard-web-app-dev"])
    done = rules.evaluate(definition.rules, with_credential)
    assert done.complete and done.credits_earned == 16
    without = rules.evaluate(definition.rules, record(passed(e12), passed(react)))
    assert not without.complete and without.credits_earned == 8


# ------------------------------------------------------------------------------------------------
# Tianjin Medical University: five all-of modules with fractional credits
# ------------------------------------------------------------------------------------------------

def test_tmu_preventive_medicine_facts():
    definition = load("tmu-preventive-medicine")
    leaves = courses(definition)
    assert len(leaves) == 15 and len(definition.requirements.children) == 5
    assert [leaf.credits for leaf in leaves].count(D("0.5")) == 2
    assert definition.declared_credits == 14 == rules.minimum_credits(definition.requirements)
    assert definition.hours == 224 and definition.lang == "zh-Hans"
    assert definition.participation == "" and definition.assessment == "修完并通过考核"


def test_tmu_preventive_medicine_evaluation():
    definition = load("tmu-preventive-medicine")
    leaves = courses(definition)
    done = rules.evaluate(definition.rules, record(*map(passed, leaves)))
    assert done.complete and done.credits_earned == 14
    social_medicine = next(leaf for leaf in leaves if leaf.number == "PM102")
    partial = record(*(passed(leaf) for leaf in leaves if leaf is not social_medicine))
    missing = rules.evaluate(definition.rules, partial)
    assert not missing.complete and missing.credits_earned == D("13.5")


# ------------------------------------------------------------------------------------------------
# Peking University: certificates required, hours but no credits
# ------------------------------------------------------------------------------------------------

def test_pku_programming_algorithms_facts():
    definition = load("pku-programming-algorithms")
    leaves = courses(definition)
    assert len(leaves) == 7 and all(leaf.hours is not None for leaf in leaves)
    assert all(leaf.credits == 0 for leaf in leaves)
    assert definition.credits == 0
    assert definition.hours == sum(leaf.hours for leaf in leaves) == 237
    assert definition.completion == rules.CERTIFICATE


def test_pku_programming_algorithms_needs_certificates():
    definition = load("pku-programming-algorithms")
    leaves = courses(definition)
    done = rules.evaluate(definition.rules, record(*map(certified, leaves)))
    assert done.complete and done.credits_earned == 0
    passing_only = rules.evaluate(definition.rules, record(*map(passed, leaves)))
    assert not passing_only.complete
    six = rules.evaluate(definition.rules, record(*map(certified, leaves[:-1])))
    assert not six.complete


def test_google_project_management_facts():
    definition = load("google-project-management")
    assert len(courses(definition)) == 7 and definition.hours == 143
    assert definition.credits == 0 and definition.achievement_type == "Certificate"
    assert definition.fee == "under USD 300"


# ------------------------------------------------------------------------------------------------
# Melbourne: any four of five micro-credentials stack into a 12.5-point subject
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("number", range(1, 6))
def test_au_microcredential_facts(number):
    definition = load(f"au-microcredential-{number}")
    (leaf,) = courses(definition)
    assert leaf.key == f"course-v1:MelbourneX+DA10{number}+2025"
    assert leaf.credits == definition.credits == D("3.125")
    assert definition.workload_hours == 35 and definition.participation == "online"
    done = rules.evaluate(definition.rules, record(passed(leaf)))
    assert done.complete and done.credits_earned == D("3.125")


def test_au_stacked_course_credit_facts():
    definition = load("au-stacked-course-credit")
    (group,) = definition.requirements.children
    assert group.min_count == 4
    assert [leaf.ref for leaf in group.children] == [
        f"au-microcredential-{number}" for number in range(1, 6)]
    assert all(leaf.credits == D("3.125") for leaf in group.children)
    assert definition.credits == 12.5 == rules.minimum_credits(definition.requirements)
    assert definition.achievement_type == "Certificate"


def test_au_stacked_course_credit_evaluation():
    definition = load("au-stacked-course-credit")
    four = rules.evaluate(definition.rules, record(
        credentials=[f"au-microcredential-{number}" for number in (1, 2, 4, 5)]))
    assert four.complete and four.credits_earned == D("12.5")
    three = rules.evaluate(definition.rules, record(
        credentials=[f"au-microcredential-{number}" for number in (1, 2, 3)]))
    assert not three.complete and three.credits_earned == D("9.375")
