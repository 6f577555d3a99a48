"""Importing, versioning and exporting programmes through the public API."""
import pytest

from openedx_microcred import api
from openedx_microcred.definitions.parser import parse_program
from openedx_microcred.demo.cohort import sample_program_xmls
from openedx_microcred.models import (
    ImmutableVersionError,
    Program,
    ProgramLeafIndex,
    ProgramVersion,
)

from .conftest import program_xml

pytestmark = pytest.mark.django_db

A = "course-v1:DemoX+A101+2026"


def test_import_publishes_and_indexes():
    assert api.import_program(program_xml("p1", (
        f'<course key="{A}" credits="2">A</course>'
        f'<course key="course-v1:DemoX+B1+2026" runs="this">B</course>'))) == "p1"
    program = Program.objects.get(program_id="p1")
    assert program.published_version.number == 1
    assert program.published_version.status == ProgramVersion.PUBLISHED
    assert set(ProgramLeafIndex.objects.filter(program=program).values_list("kind", "key")) == {
        ("course", "DemoX+A101"), ("course-run", "course-v1:DemoX+B1+2026")}


def test_reimporting_the_same_definition_is_a_no_op():
    xml = program_xml("p1", f'<course key="{A}">A</course>')
    api.import_program(xml)
    api.import_program(xml.replace("><", ">\n  <"))  # same meaning, different whitespace
    assert ProgramVersion.objects.filter(program__program_id="p1").count() == 1


def test_a_changed_definition_is_a_new_version_and_old_ones_stay():
    api.import_program(program_xml("p1", f'<course key="{A}">A</course>'))
    api.import_program(program_xml("p1", f'<course key="{A}" credits="3">A</course>'))
    versions = ProgramVersion.objects.filter(program__program_id="p1").order_by("number")
    assert [v.number for v in versions] == [1, 2]
    assert Program.objects.get(program_id="p1").published_version == versions[1]
    assert "credits=\"3\"" in api.export_program("p1")


def test_draft_import_does_not_publish():
    api.import_program(program_xml("p1", f'<course key="{A}">A</course>'), publish=False)
    program = Program.objects.get(program_id="p1")
    assert program.published_version is None
    assert not ProgramLeafIndex.objects.filter(program=program).exists()


def test_published_versions_are_immutable():
    api.import_program(program_xml("p1", f'<course key="{A}">A</course>'))
    version = ProgramVersion.objects.get()
    version.title = "changed"
    with pytest.raises(ImmutableVersionError):
        version.save()


def test_unknown_ref_is_a_definition_error_with_its_line():
    xml = program_xml("p2", '\n<program ref="nowhere"/>')
    with pytest.raises(api.ProgramDefinitionError) as error:
        api.import_program(xml)
    assert "unknown programme ref 'nowhere'" in str(error.value)
    assert error.value.line == 2


def test_cycle_across_programmes_is_rejected():
    api.import_program(program_xml("a", f'<course key="{A}">A</course>'))
    api.import_program(program_xml("b", '<program ref="a"/>'))
    with pytest.raises(api.ProgramDefinitionError) as error:
        api.import_program(program_xml("a", '\n\n<program ref="b"/>'))
    assert "cycle" in str(error.value)
    assert "a -> b -> a" in str(error.value)
    assert error.value.line == 3


def test_import_programs_orders_by_dependency_and_round_trips_every_sample():
    xmls = sample_program_xmls()
    ids = api.import_programs(list(reversed(list(xmls.values()))))
    assert ids.index("harvard-web-app-dev") < ids.index("harvard-front-end-certificate")
    assert ids.index("au-microcredential-3") < ids.index("au-stacked-course-credit")
    for xml in xmls.values():
        definition = parse_program(xml)
        assert parse_program(api.export_program(definition.id)) == definition


def test_export_unknown_programme():
    with pytest.raises(api.ProgramNotFound):
        api.export_program("nope")


def test_oversized_definition_is_rejected(settings):
    settings.MICROCRED_MAX_DEFINITION_BYTES = 200
    with pytest.raises(api.ProgramDefinitionError) as error:
        api.import_program(program_xml("big", f'<course key="{A}">{"x" * 500}</course>'))
    assert "large" in str(error.value) or "bytes" in str(error.value)


def test_a_cycle_within_one_batch_is_rejected_before_anything_is_imported():
    with pytest.raises(api.ProgramDefinitionError, match="cycle: a -> b -> a"):
        api.import_programs([program_xml("a", '<program ref="b"/>'),
                             program_xml("b", '<program ref="a"/>')])
    assert not Program.objects.exists()
