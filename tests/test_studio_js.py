"""The Studio authoring app's pure JavaScript modules, run by node against the Python truth.

* ``convert.js`` turns the REST API's JSON form into the editor's model and back: every sample
  programme survives the round trip unchanged (same canonical XML), and the browser's own checks
  find no error in it.
* ``model.js`` ports ``rules.minimum_credits`` (the "can be completed with N credits" line and
  the credits warning): on random requirement trees it answers exactly what Python answers.

Fails (never skips) without node: tests/js holds the harness.
"""
import json
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openedx_microcred import rules
from openedx_microcred.definitions import (
    definition_to_json,
    parse_program,
    parse_program_json,
    serialize_program,
)

from .test_rules_properties import trees

ROOT = Path(__file__).resolve().parents[1]
HARNESS = ROOT / "tests" / "js" / "studio.mjs"
SAMPLES = sorted((ROOT / "openedx_microcred" / "demo" / "programs").glob("*.xml"))


def run_node(payload: dict) -> dict:
    node = shutil.which("node")
    if not node:
        pytest.fail("node is required to test the Studio app's modules")
    completed = subprocess.run([node, str(HARNESS)], input=json.dumps(payload), text=True,
                               capture_output=True, timeout=60, check=False)
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


def tree_json(node) -> dict:
    """The JSON form of a ``rules`` node (as the REST API writes it)."""
    if isinstance(node, rules.Group):
        return {"type": "group", "title": node.title, "min_count": node.min_count,
                "min_credits": None if node.min_credits is None else str(node.min_credits),
                "children": [tree_json(child) for child in node.children]}
    if isinstance(node, rules.CourseLeaf):
        return {"type": "course", "key": node.key, "credits": str(node.credits),
                "runs": node.runs, "min_grade": node.min_grade, "mode": node.mode}
    if isinstance(node, rules.ProgramLeaf):
        return {"type": "program", "ref": node.ref, "credits": str(node.credits)}
    return {"type": "external", "id": node.id, "credits": str(node.credits),
            "badge_template": node.badge_template}


def python_minimum(tree) -> Decimal | None:
    try:
        return rules.minimum_credits(tree)
    except ValueError:
        return None


def test_every_sample_programme_round_trips_through_the_editor_model():
    definitions = [parse_program(path.read_bytes()) for path in SAMPLES]
    result = run_node({"definitions": [definition_to_json(d) for d in definitions]})
    assert len(result["roundtrip"]) == len(SAMPLES) > 5
    for path, original, edited, issues in zip(SAMPLES, definitions, result["roundtrip"],
                                              result["issues"], strict=True):
        parsed, _ = parse_program_json(edited)
        assert serialize_program(parsed.definition) == serialize_program(original), path.name
        assert [i for i in issues if i["level"] == "error"] == [], path.name


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                HealthCheck.data_too_large])
@given(st.lists(trees(), min_size=60, max_size=60))
def test_the_browser_computes_the_least_and_most_credits_as_the_rules_do(batch):
    result = run_node({"trees": [tree_json(tree) for tree in batch]})
    for tree, answer, most in zip(batch, result["minimum"], result["maximum"], strict=True):
        expected = python_minimum(tree)
        if expected is None:
            assert answer is None, tree
        else:
            assert Decimal(str(answer)) == expected, tree
        # what a min-credits rule can count at most: a group with min-count only, its best N
        assert abs(Decimal(str(most)) - rules.maximum_credits(tree)) < Decimal("0.000001"), tree
