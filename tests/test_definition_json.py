"""The JSON form of a programme definition: round trips, JSON Schema, every error with its path."""
import copy
import json

import jsonschema
import pytest

from openedx_microcred.definitions import (
    ProgramDefinitionError,
    definition_to_json,
    find_problems,
    json_schema,
    parse_program,
    parse_program_json,
    serialize_program,
)
from openedx_microcred.demo.cohort import sample_program_xmls

from .conftest import program_xml

SAMPLES = sample_program_xmls()


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_every_sample_round_trips_through_json(name):
    definition = parse_program(SAMPLES[name])
    data = json.loads(json.dumps(definition_to_json(definition)))  # plain JSON, no Decimals
    jsonschema.Draft202012Validator(json_schema()).validate(data)
    parsed, xml = parse_program_json(data)
    assert parsed.definition == definition
    assert xml == serialize_program(definition)


def test_the_json_schema_is_itself_valid():
    jsonschema.Draft202012Validator.check_schema(json_schema())


def test_decimal_strings_and_numbers_read_the_same():
    definition = parse_program(program_xml("p", '<course key="course-v1:X+A+1" credits="3.125"/>',
                                           credits="3.125"))
    data = definition_to_json(definition)
    assert data["credits"] == 3.125
    assert data["requirements"]["children"][0]["credits"] == 3.125
    data["credits"] = "3.125"
    assert parse_program_json(data)[0].definition == definition


def _sample_json():
    return definition_to_json(parse_program(program_xml("p", (
        '<group title="Core"><course key="course-v1:X+A+1" credits="2">A</course>'
        '<course key="course-v1:X+B+1" credits="2">B</course></group>'))))


def test_every_schema_error_is_reported_with_its_json_pointer():
    data = _sample_json()
    data["org"] = "bad org"
    data["requirements"]["children"][0]["children"][1]["credits"] = -1
    data["requirements"]["children"][0]["min_count"] = "two"
    data["surplus"] = True
    with pytest.raises(ProgramDefinitionError) as error:
        parse_program_json(data)
    paths = {problem.path for problem in error.value.problems}
    assert {"/org", "/requirements/children/0/children/1/credits",
            "/requirements/children/0/min_count", ""} <= paths
    assert all(problem.message for problem in error.value.problems)


def test_semantic_errors_are_mapped_back_to_json_pointers():
    data = _sample_json()
    data["requirements"]["children"][0]["min_count"] = 3
    data["requirements"]["children"][0]["children"][1]["key"] = "course-v1:X+A+1"
    with pytest.raises(ProgramDefinitionError) as error:
        parse_program_json(data)
    problems = {problem.path: problem.message for problem in error.value.problems}
    assert problems["/requirements/children/0"] == "min-count 3 is more than the group's 2 children"
    assert "required twice" in problems["/requirements/children/0/children/1"]


def test_an_invalid_course_key_names_its_leaf():
    data = _sample_json()
    data["requirements"]["children"][0]["children"][0]["key"] = "not a key"
    with pytest.raises(ProgramDefinitionError) as error:
        parse_program_json(data)
    assert error.value.problems[0].path == "/requirements/children/0/children/0"
    assert "invalid course key" in error.value.problems[0].message


def test_find_problems_lists_every_schema_error_of_an_xml_draft():
    xml = program_xml("p", '\n<course key="course-v1:X+A+1" credits="-1"/>'
                           '\n<course key="course-v1:X+B+1" runs="sometimes"/>')
    problems = find_problems(xml)
    assert [problem.line for problem in problems] == [2, 3]
    assert "must not be negative" in problems[0].message
    assert find_problems(program_xml("p", '<course key="course-v1:X+A+1"/>')) == []


def test_find_problems_lists_every_semantic_problem():
    xml = program_xml("p", '\n<group min-count="3"><course key="course-v1:X+A+1"/></group>'
                           '\n<course key="course-v1:X+A+1"/>')
    problems = find_problems(xml)
    assert [problem.line for problem in problems] == [2, 3]


def test_the_json_form_is_not_changed_by_reading_it():
    data = _sample_json()
    before = copy.deepcopy(data)
    parse_program_json(data)
    assert data == before
