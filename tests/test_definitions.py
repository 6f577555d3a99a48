"""Import/export of programme definitions (DESIGN §3): errors with lines, hardening, round trips."""
from __future__ import annotations

import itertools
import time
import tracemalloc
import uuid
from datetime import date
from decimal import Decimal
from importlib import resources

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from openedx_microcred import rules
from openedx_microcred.definitions import (
    Issuer,
    Level,
    ProgramDefinition,
    ProgramDefinitionError,
    parse_program,
    parse_program_with_lines,
    schema_bytes,
    serialize_program,
)
from openedx_microcred.definitions.lexical import collapse, format_decimal, format_float

D = Decimal
SAMPLES = sorted((resources.files("openedx_microcred") / "demo" / "programs").iterdir(),
                 key=lambda item: item.name)
SAMPLES = [item for item in SAMPLES if item.name.endswith(".xml")]
HEAD_LINE = 4  # program_xml puts ``head`` on this line…
REQ_LINE = 6  # …and the first line of ``requirements`` on this one.
A1 = "course-v1:OrgX+A1+2025"
B1 = "course-v1:OrgX+B1+2025"


def program_xml(requirements: str, *, attributes: str = "", head: str = "") -> str:
    """A minimal programme; ``head`` is on line 4, ``requirements`` starts on line 6."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<program id="demo" org="OrgX"{attributes}>\n'
        "  <title>Demo</title>\n"
        f"  {head}\n"
        "  <requirements>\n"
        f"{requirements}\n"
        "  </requirements>\n"
        "</program>\n"
    )


def parse_error(xml: str | bytes, **kwargs) -> ProgramDefinitionError:
    with pytest.raises(ProgramDefinitionError) as caught:
        parse_program(xml, **kwargs)
    return caught.value


# ------------------------------------------------------------------------------------------------
# Errors: each names the problem and the line of the offending element
# ------------------------------------------------------------------------------------------------

def test_malformed_xml_names_the_parser_problem_and_line():
    error = parse_error(program_xml(f'<course key="{A1}">'))
    assert error.message.startswith("malformed XML: ")
    assert "tag mismatch" in error.message
    assert error.line == REQ_LINE + 1
    assert str(error) == f"line {REQ_LINE + 1}: {error.message}"


def test_empty_input_is_malformed():
    error = parse_error(b"")
    assert error.message == "malformed XML: Document is empty"
    assert error.line == 1


def test_text_with_a_lone_surrogate_is_malformed():
    error = parse_error(program_xml(f'<course key="{A1}">\ud800</course>'))
    assert error.message.startswith("malformed XML: ") and "surrogate" in error.message
    assert error.line == REQ_LINE


def test_an_undeclared_entity_is_malformed_not_expanded():
    error = parse_error(program_xml(f'<course key="{A1}">&secret;</course>'))
    assert "Entity 'secret' not defined" in error.message
    assert error.line == REQ_LINE


def test_a_doctype_is_rejected_with_its_line():
    xml = ('<?xml version="1.0"?>\n<!-- a comment -->\n'
           '<!DOCTYPE program>\n' + program_xml(f'<course key="{A1}"/>').split("\n", 1)[1])
    error = parse_error(xml)
    assert "DOCTYPE is not allowed" in error.message
    assert error.line == 3


def test_xxe_is_rejected_without_reading_the_file(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    xml = (f'<?xml version="1.0"?>\n<!DOCTYPE program [<!ENTITY xxe SYSTEM "file://{secret}">]>\n'
           '<program id="demo" org="&xxe;"><title>&xxe;</title></program>')
    for payload in (xml, xml.encode("utf-8")):
        error = parse_error(payload)
        assert "DOCTYPE is not allowed" in error.message
        assert error.line == 2
        assert "TOP-SECRET" not in str(error)


def test_external_dtd_is_rejected_without_network():
    error = parse_error('<!DOCTYPE program SYSTEM "http://127.0.0.1:9/program.dtd">\n<program/>')
    assert "DOCTYPE is not allowed" in error.message
    assert error.line == 1


BILLION_LAUGHS = '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n' + "".join(
    f' <!ENTITY lol{n} "{f"&lol{n - 1};" * 10 if n > 1 else "&lol;" * 10}">\n'
    for n in range(1, 10)) + ']>\n<program id="demo" org="&lol9;"><title>&lol9;</title></program>\n'


def test_billion_laughs_is_rejected_without_expansion():
    started = time.perf_counter()
    error = parse_error(BILLION_LAUGHS)
    assert time.perf_counter() - started < 1
    assert "DOCTYPE is not allowed" in error.message
    assert error.line == 2
    assert "lollol" not in str(error)


def test_a_doctype_in_utf16_is_rejected():
    xml = BILLION_LAUGHS.replace('version="1.0"', 'version="1.0" encoding="UTF-16"')
    error = parse_error(xml.encode("utf-16"))
    assert "DOCTYPE is not allowed" in error.message


def test_a_doctype_the_prolog_scan_cannot_read_is_still_rejected():
    xml = '<?xml version="1.0" encoding="UTF-16LE"?>\n<!DOCTYPE program>\n<program/>'
    error = parse_error(xml.encode("utf-16-le"))  # no BOM: found after parsing, unexpanded
    assert "DOCTYPE is not allowed" in error.message


PROLOG_UNITS = ["\n", "<!---->", "<?a?>", "<?pi x?>\n<!-- y -->"]


def _peak_ratio(xml: str | bytes) -> tuple[float, ProgramDefinitionError | None]:
    """Peak memory traced while parsing ``xml``, as a multiple of its size, and the error."""
    tracemalloc.start()
    try:
        parse_program(xml)
    except ProgramDefinitionError as error:
        caught = error
    else:
        caught = None
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak / len(xml), caught


@pytest.mark.parametrize("unit", PROLOG_UNITS)
@pytest.mark.parametrize("as_bytes", [False, True], ids=["str", "bytes"])
def test_the_doctype_prescan_memory_is_proportional_to_the_input(unit, as_bytes):
    """A prolog peaked at 43-146 times its size under the old regular expression (whatever its
    size: 146 MiB for 1 MiB of newlines); 256 KiB shows the ratio as well."""
    prolog = unit * (256 * 1024 // len(unit))
    rejected = prolog + "<!DOCTYPE program>\n" + program_xml(f'<course key="{A1}"/>').split(
        "\n", 1)[1]
    # A DOCTYPE string later in the document makes the scan run, and then fail, over the prolog.
    scanned = prolog + program_xml(f'<course key="{A1}"/>').split("\n", 1)[1].replace(
        "<title>Demo</title>", "<title>Demo</title><!-- <!DOCTYPE -->")
    for xml, rejects in ((rejected, True), (scanned, False)):
        ratio, error = _peak_ratio(xml.encode() if as_bytes else xml)
        assert ratio < 3.0, f"peak memory {ratio:.1f}x the input"
        assert (error is not None and "DOCTYPE is not allowed" in error.message) == rejects
        if rejects:
            assert error.line == prolog.count("\n") + 1


def test_the_doctype_prescan_reads_the_whole_prolog_grammar():
    prolog = '\ufeff<?xml version="1.0"?>\n<!-- a - b -> -->\n<?pi x? >?>\n \t\r\n'
    error = parse_error(prolog + "<!DOCTYPE program>\n<program/>")
    assert "DOCTYPE is not allowed" in error.message
    assert error.line == 5
    # An unclosed comment or text before the DOCTYPE ends the prolog: libxml2 rules then.
    assert "malformed XML" in parse_error("<!-- open <!DOCTYPE program>\n<program/>").message
    assert "DOCTYPE" not in parse_error("<program/><!DOCTYPE program>").message


@pytest.mark.parametrize("namespace", ["http://www.w3.org/2001/XInclude",
                                       "http://www.w3.org/2003/XInclude"])
@pytest.mark.parametrize("where", ["program", "title", "group"])
def test_an_xinclude_is_refused_as_such(namespace, where, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-XI")
    include = f'<xi:include xmlns:xi="{namespace}" href="{secret}" parse="text"/>'
    if where == "program":
        xml = program_xml(f'<course key="{A1}"/>', head=include)
    elif where == "title":
        xml = program_xml(f'<course key="{A1}"/>').replace("<title>Demo", f"<title>Demo{include}")
    else:
        xml = program_xml(f'<group title="g">\n{include}<course key="{A1}"/></group>')
    error = parse_error(xml)
    assert error.message.startswith("XInclude is not allowed: <xi:include>")
    assert error.line == {"program": 4, "title": 3, "group": 7}[where]
    assert "TOP-SECRET-XI" not in str(error)


def test_too_large_input_is_rejected_before_parsing():
    xml = "<program>" + "x" * 2000  # malformed too: the size check must come first
    error = parse_error(xml, max_bytes=1000)
    assert error.message == "the definition is 2009 bytes, more than the limit of 1000 bytes"
    assert error.line is None


def test_max_bytes_counts_the_utf8_bytes_of_text():
    xml = program_xml(f'<course key="{A1}">{"课" * 100}</course>')
    size = len(xml.encode("utf-8"))
    assert parse_program(xml, max_bytes=size).requirements.children[0].title == "课" * 100
    assert "more than the limit" in parse_error(xml, max_bytes=size - 1).message


def test_the_default_limit_is_one_mebibyte():
    filler = "<!--" + "x" * (1024 * 1024) + "-->"
    error = parse_error(program_xml(f'<course key="{A1}"/>{filler}'))
    assert error.message.endswith("more than the limit of 1048576 bytes")


def test_an_unknown_element_is_named_with_its_parent():
    error = parse_error(program_xml(f'<course key="{A1}"/>\n<elective/>'))
    assert error.message == "unknown element <elective> in <requirements>"
    assert error.line == REQ_LINE + 1


def test_an_unknown_element_deep_in_a_group():
    xml = program_xml(f'<group>\n<course key="{A1}"/>\n<group>\n<bonus/>\n</group>\n</group>')
    error = parse_error(xml)
    assert error.message == "unknown element <bonus> in <group>"
    assert error.line == REQ_LINE + 3


def test_an_unknown_programme_element():
    error = parse_error(program_xml(f'<course key="{A1}"/>', head="<sponsor>ACME</sponsor>"))
    assert error.message == "unknown element <sponsor> in <program>"
    assert error.line == HEAD_LINE


def test_a_known_element_in_the_wrong_place():
    error = parse_error(program_xml(f'<course key="{A1}"/>\n<outcome>x</outcome>'))
    assert error.message == "element <outcome> is not allowed in <requirements>"
    assert error.line == REQ_LINE + 1


def test_an_unknown_attribute_is_named():
    error = parse_error(program_xml(f'<course key="{A1}" weight="2"/>'))
    assert error.message == "unknown attribute 'weight' on <course>"
    assert error.line == REQ_LINE


def test_the_line_of_a_start_tag_over_several_lines_is_where_it_ends():
    # libxml2 numbers an element by the line of its start tag's ">"; the error points there.
    error = parse_error(program_xml(f'<course key="{A1}"\n  weight="2"/>'))
    assert error.line == REQ_LINE + 1


@pytest.mark.parametrize("key, problem", [
    ("course-v1:OrgX+A1", "invalid course key 'course-v1:OrgX+A1'"),
    ("not a key", "invalid course key 'not a key'"),
    ("ccx-v1:OrgX+A1+2025+ccx@7",
     "course key 'ccx-v1:OrgX+A1+2025+ccx@7' is a CCX; require its master course "
     "'course-v1:OrgX+A1+2025' instead"),
    ("library-v1:OrgX+Lib", "course key 'library-v1:OrgX+Lib' is not a course run key"),
    ("course-v1:OrgX+A1+2025+branch@draft", "names a branch or version, not just a course run"),
])
def test_an_invalid_course_key(key, problem):
    error = parse_error(program_xml(f'<course key="{B1}"/>\n<course key="{key}"/>'))
    assert problem in error.message
    assert error.line == REQ_LINE + 1


@pytest.mark.parametrize("element", [
    f'<course key="{A1}" credits="-1"/>',
    '<program ref="other" credits="-1"/>',
    '<external id="cert" credits="-1"/>',
    f'<group min-credits="-1"><course key="{A1}"/></group>',
])
def test_negative_credits(element):
    error = parse_error(program_xml(f'<course key="{B1}"/>\n{element}'))
    assert "'-1'" in error.message and "must not be negative" in error.message
    assert "credits" in error.message
    assert error.line == REQ_LINE + 1


def test_negative_programme_credits():
    error = parse_error(program_xml(f'<course key="{A1}"/>', attributes=' credits="-0.5"'))
    assert error.message == "credits '-0.5' on <program> must not be negative"
    assert error.line == 2


def test_credits_with_too_many_decimals():
    error = parse_error(program_xml(f'<course key="{A1}" credits="1.0625"/>'))
    assert "<course> attribute 'credits'" in error.message
    assert "more fractional digits than are allowed ('3')" in error.message


def test_min_count_above_the_number_of_children():
    xml = program_xml(f'<group title="Electives" min-count="3">\n<course key="{A1}"/>\n'
                      f'<course key="{B1}"/>\n</group>')
    error = parse_error(xml)
    assert error.message == "min-count 3 is more than the group's 2 children"
    assert error.line == REQ_LINE


@pytest.mark.parametrize("value", ["0", "-2"])
def test_min_count_below_one(value):
    error = parse_error(program_xml(f'<group min-count="{value}"><course key="{A1}"/></group>'))
    assert error.message == f"min-count {value} must be at least 1"
    assert error.line == REQ_LINE


def test_min_credits_above_the_credits_available():
    xml = program_xml(f'<course key="{B1}"/>\n<group min-credits="6">\n'
                      f'<course key="{A1}" credits="2"/>\n'
                      '<group><external id="cert" credits="2.5"/></group>\n</group>')
    error = parse_error(xml)
    assert error.message == "min-credits 6 is more than the 4.5 credits available in the group"
    assert error.line == REQ_LINE + 1


def test_a_programme_that_requires_itself_is_a_cycle():
    error = parse_error(program_xml(f'<course key="{A1}"/>\n<group>\n<program ref="demo"/>'
                                    "\n</group>"))
    assert error.message == "programme 'demo' requires itself (a cycle)"
    assert error.line == REQ_LINE + 2


def test_the_same_course_key_twice_in_different_groups():
    xml = program_xml(f'<group><course key="{A1}"/></group>\n'
                      f'<group><course key="{A1}" runs="this"/></group>')
    error = parse_error(xml)
    assert error.message == f"course '{A1}' is required twice (also on line {REQ_LINE})"
    assert error.line == REQ_LINE + 1


def test_two_runs_of_one_course_overlap_under_runs_any():
    xml = program_xml(f'<course key="{A1}" runs="this"/>\n'
                      '<course key="course-v1:OrgX+A1+2026"/>')
    error = parse_error(xml)
    assert error.message == (
        f"course 'course-v1:OrgX+A1+2026' is the same course as '{A1}' on line {REQ_LINE} "
        '(runs="any" accepts every run of OrgX+A1)')
    assert error.line == REQ_LINE + 1


def test_two_runs_of_one_course_are_distinct_under_runs_this():
    xml = program_xml(f'<course key="{A1}" runs="this"/>\n'
                      '<course key="course-v1:OrgX+A1+2026" runs="this"/>')
    assert len(parse_program(xml).requirements.children) == 2


@pytest.mark.parametrize("first, second, what", [
    ('<program ref="other"/>', '<program ref="other" credits="2"/>', "programme 'other'"),
    ('<external id="cert"/>', '<external id="cert"/>', "external achievement 'cert'"),
    ('<external id="a" badge-template="0F8FAD5B-D9CB-469F-A165-70867728950E"/>',
     '<external id="b" badge-template="0f8fad5b-d9cb-469f-a165-70867728950e"/>',
     "badge template '0f8fad5b-d9cb-469f-a165-70867728950e'"),
])
def test_other_leaves_required_twice(first, second, what):
    error = parse_error(program_xml(f"{first}\n{second}"))
    assert error.message == f"{what} is required twice (also on line {REQ_LINE})"
    assert error.line == REQ_LINE + 1


def test_completion_window_that_ends_before_it_starts():
    head = '<completion-window from="2026-09-01" until="2026-01-31"/>'
    error = parse_error(program_xml(f'<course key="{A1}"/>', head=head))
    assert error.message == "completion-window from 2026-09-01 is after until 2026-01-31"
    assert error.line == HEAD_LINE


def test_completion_window_without_bounds():
    error = parse_error(program_xml(f'<course key="{A1}"/>', head="<completion-window/>"))
    assert error.message == "<completion-window> needs a from or an until date"
    assert error.line == HEAD_LINE


def test_completion_window_dates_must_be_plain_days():
    head = '<completion-window from="2026-09-01T00:00:00"/>'
    error = parse_error(program_xml(f'<course key="{A1}"/>', head=head))
    assert "<completion-window> attribute 'from'" in error.message
    assert error.line == HEAD_LINE


def test_mode_needs_certificate_completion():
    xml = program_xml(f'<course key="{B1}"/>\n<course key="{A1}" mode="verified"/>')
    error = parse_error(xml)
    assert error.message == (f"mode \"verified\" on course '{A1}' needs "
                             'completion="certificate" on <program> (it is "passing")')
    assert error.line == REQ_LINE + 1
    certificate = xml.replace('org="OrgX"', 'org="OrgX" completion="certificate"')
    assert parse_program(certificate).requirements.children[1].mode == "verified"


@pytest.mark.parametrize("tag", ["title", "requirements"])
def test_a_required_programme_child_is_missing(tag):
    xml = program_xml(f'<course key="{A1}"/>')
    start, end = xml.index(f"<{tag}>"), xml.index(f"</{tag}>") + len(f"</{tag}>")
    error = parse_error(xml[:start] + xml[end:])
    assert error.message == f"<program> has no <{tag}>"
    assert error.line == 2


@pytest.mark.parametrize("head", ["<title>Again</title>", '<workload hours="3"/>',
                                  '<issuer name="A"/>'])
def test_a_single_programme_child_given_twice(head):
    xml = program_xml(f'<course key="{A1}"/>', head=head)
    if "title" not in head:
        xml = xml.replace("<title>Demo</title>", f"<title>Demo</title>{head}")
    error = parse_error(xml)
    assert "is given more than once (first on line 3)" in error.message
    assert error.line == HEAD_LINE


def test_the_root_must_be_program():
    error = parse_error('<?xml version="1.0"?>\n<programme id="x"/>')
    assert error.message == "the root element must be <program>, not <programme>"
    assert error.line == 2


def test_a_namespaced_root_is_not_program():
    error = parse_error('<program xmlns="urn:other" id="x"/>')
    assert error.message == "the root element must be <program>, not <{urn:other}program>"


def test_an_empty_group_is_rejected():
    error = parse_error(program_xml(f'<course key="{A1}"/>\n<group title="Later"/>'))
    assert error.message.startswith("<group>: Missing child element(s).")
    assert error.line == REQ_LINE + 1


@pytest.mark.parametrize("attributes, head, element, fragment", [
    (' achievement-type="Diploma2"', "", "<program>", "'Diploma2' is not a valid value"),
    (' completion="graded"', "", "<program>", "'graded' is not an element of the set"),
    (' lang="not a tag"', "", "<program>", "'not a tag' is not a valid value"),
    ("", '<issuer name="U" country="cn"/>', "<issuer>", "'cn' is not accepted by the pattern"),
    ("", '<issuer name="U" url="ftp://u.example"/>', "<issuer>", "'ftp://u.example'"),
    ("", "<participation>hybrid</participation>", "<participation>", "'hybrid'"),
    ("", '<credential valid-months="0"/>', "<credential>", "'0' is less than the minimum"),
    ("", '<workload hours="many"/>', "<workload>", "'many' is not a valid value"),
    ("", "<title>  </title>", "<title>", "underruns the allowed minimum length"),
])
def test_schema_type_errors_name_element_and_value(attributes, head, element, fragment):
    xml = program_xml(f'<course key="{A1}"/>', attributes=attributes, head=head)
    if "<title>" in head:
        xml = xml.replace("  <title>Demo</title>\n", "  <!-- no title here -->\n")
    error = parse_error(xml)
    assert error.message.startswith(element) and fragment in error.message
    assert error.line == (HEAD_LINE if head else 2)


@pytest.mark.parametrize("element, fragment", [
    (f'<course key="{A1}" min-grade="1.5"/>', "'1.5' is greater than the maximum"),
    (f'<course key="{A1}" runs="latest"/>', "'latest' is not an element of the set"),
    ('<external id="x" badge-template="not-a-uuid"/>', "'not-a-uuid' is not accepted"),
    ('<program ref="has space"/>', "'has space' is not accepted by the pattern"),
    (f'<course key="{A1}"><b>bold</b></course>', "Element content is not allowed"),
])
def test_schema_errors_on_leaves(element, fragment):
    error = parse_error(program_xml(element))
    assert fragment in error.message
    assert error.line == REQ_LINE


def test_the_programme_id_must_be_a_slug():
    error = parse_error(program_xml(f'<course key="{A1}"/>').replace('id="demo"', 'id="my demo"'))
    assert error.message == ("<program> attribute 'id': The value 'my demo' is not accepted by "
                             "the pattern '[A-Za-z0-9_\\-]+'.")
    assert error.line == 2


def test_achievement_type_extension_terms_are_allowed():
    xml = program_xml(f'<course key="{A1}"/>', attributes=' achievement-type="ext:Nanodegree"')
    assert parse_program(xml).achievement_type == "ext:Nanodegree"


# ------------------------------------------------------------------------------------------------
# Mapping to the rules dataclasses
# ------------------------------------------------------------------------------------------------

FULL = """<?xml version="1.0" encoding="UTF-8"?>
<program id="ecnu-digital-trade" org="ECNUx" lang="zh-Hans" achievement-type="MicroCredential"
         completion="certificate" credits="12">
  <requirements>
    <group title="  基础
        模块 ">
      <course key="course-v1:ECNUx+ECON101+2025" credits="2.000" hours="36">
        经济学原理
      </course>
    </group>
    <group title="选修" min-count="1" min-credits="2">
      <course key="course-v1:ECNUx+DT205+2025" credits="2" hours="36.5" runs="this"
              min-grade="0.8" mode="verified">数字贸易</course>
      <program ref="other-program" credits="3.125">Stacked</program>
      <external id="huawei-hcia-ai" credits="2"
                badge-template="0F8FAD5B-D9CB-469F-A165-70867728950E">HCIA-AI</external>
    </group>
  </requirements>
  <title>数字贸易
     与管理</title>
  <description>Line one.
    Line two.</description>
  <issuer name="华东师范大学" url="https://www.ecnu.edu.cn" country="CN"/>
  <audience>Undergraduates</audience>
  <audience>Professionals</audience>
  <outcome>Analyse trade data</outcome>
  <field-of-study>Economics</field-of-study>
  <level framework="EQF">6</level>
  <assessment>Exams</assessment>
  <participation>blended</participation>
  <quality-assurance>University senate</quality-assurance>
  <duration>One year</duration>
  <fee>Free</fee>
  <pathway>Credit toward the BA</pathway>
  <workload hours="216"/>
  <completion-window from="2025-09-01" until="2028-01-31"/>
  <credential valid-months="36"/>
</program>
"""

FULL_DEFINITION = ProgramDefinition(
    id="ecnu-digital-trade", org="ECNUx", title="数字贸易 与管理", lang="zh-Hans",
    achievement_type="MicroCredential", completion=rules.CERTIFICATE, declared_credits=D(12),
    description="Line one. Line two.",
    issuer=Issuer(name="华东师范大学", url="https://www.ecnu.edu.cn", country="CN"),
    audiences=("Undergraduates", "Professionals"), outcomes=("Analyse trade data",),
    field_of_study="Economics", level=Level("EQF", "6"), assessment="Exams",
    participation="blended", quality_assurance="University senate", duration="One year",
    fee="Free", pathway="Credit toward the BA", workload_hours=D(216),
    window_from=date(2025, 9, 1), window_until=date(2028, 1, 31), valid_months=36,
    requirements=rules.Group(children=(
        rules.Group(title="基础 模块", children=(
            rules.CourseLeaf(key="course-v1:ECNUx+ECON101+2025", org="ECNUx", number="ECON101",
                             run="2025", credits=D(2), hours=D(36), title="经济学原理"),
        )),
        rules.Group(title="选修", min_count=1, min_credits=D(2), children=(
            rules.CourseLeaf(key="course-v1:ECNUx+DT205+2025", org="ECNUx", number="DT205",
                             run="2025", credits=D(2), hours=D("36.5"), runs=rules.RUNS_THIS,
                             min_grade=0.8, mode="verified", title="数字贸易"),
            rules.ProgramLeaf(ref="other-program", credits=D("3.125"), title="Stacked"),
            rules.ExternalLeaf(id="huawei-hcia-ai", credits=D(2), title="HCIA-AI",
                               badge_template="0f8fad5b-d9cb-469f-a165-70867728950e"),
        )),
    )),
)


def test_every_field_maps_to_the_definition():
    assert parse_program(FULL) == FULL_DEFINITION


def test_bytes_and_text_parse_alike():
    assert parse_program(FULL.encode("utf-8")) == parse_program(FULL) == FULL_DEFINITION


def test_the_declared_encoding_of_bytes_is_honoured():
    xml = FULL.replace('encoding="UTF-8"', 'encoding="GB18030"')
    assert parse_program(xml.encode("gb18030")) == FULL_DEFINITION
    assert parse_program(xml) == FULL_DEFINITION  # text is text, whatever the declaration says


def test_absent_attributes_take_the_contract_defaults():
    definition = parse_program(program_xml(
        f'<course key="{A1}"/>\n<program ref="other"/>\n<external id="cert"/>'))
    assert (definition.lang, definition.achievement_type, definition.completion) == (
        "en", "MicroCredential", rules.PASSING)
    assert definition.declared_credits is None and definition.issuer is None
    course, program, external = definition.requirements.children
    assert course == rules.CourseLeaf(key=A1, org="OrgX", number="A1", run="2025")
    assert program == rules.ProgramLeaf(ref="other")
    assert external == rules.ExternalLeaf(id="cert")


def test_explicit_defaults_read_back_equal_to_absent_ones():
    explicit = program_xml(
        f'<course key="{A1}" credits="0" runs="any"/>\n<program ref="other" credits="0.000"/>',
        attributes=' lang="en" achievement-type="MicroCredential" completion="passing"')
    implicit = program_xml(f'<course key="{A1}"/>\n<program ref="other"/>')
    assert parse_program(explicit) == parse_program(implicit)


def test_ref_lines_give_the_first_line_of_each_programme_ref():
    xml = program_xml('<program ref="a"/>\n<group>\n<program ref="b"/>\n</group>')
    parsed = parse_program_with_lines(xml)
    assert parsed.ref_lines == {"a": REQ_LINE, "b": REQ_LINE + 2}
    assert parsed.definition == parse_program(xml)


def test_the_rules_view_of_a_definition():
    program_rules = FULL_DEFINITION.rules
    assert program_rules.root is FULL_DEFINITION.requirements
    assert (program_rules.completion, program_rules.window_from) == (
        rules.CERTIFICATE, date(2025, 9, 1))


# ------------------------------------------------------------------------------------------------
# Export
# ------------------------------------------------------------------------------------------------

def test_the_canonical_form_of_a_definition():
    assert serialize_program(FULL_DEFINITION) == """\
<?xml version="1.0" encoding="UTF-8"?>
<program id="ecnu-digital-trade" org="ECNUx" lang="zh-Hans" achievement-type="MicroCredential" \
completion="certificate" credits="12">
  <title>数字贸易 与管理</title>
  <description>Line one. Line two.</description>
  <issuer name="华东师范大学" url="https://www.ecnu.edu.cn" country="CN"/>
  <audience>Undergraduates</audience>
  <audience>Professionals</audience>
  <outcome>Analyse trade data</outcome>
  <field-of-study>Economics</field-of-study>
  <level framework="EQF">6</level>
  <assessment>Exams</assessment>
  <participation>blended</participation>
  <quality-assurance>University senate</quality-assurance>
  <duration>One year</duration>
  <fee>Free</fee>
  <pathway>Credit toward the BA</pathway>
  <workload hours="216"/>
  <completion-window from="2025-09-01" until="2028-01-31"/>
  <credential valid-months="36"/>
  <requirements>
    <group title="基础 模块">
      <course key="course-v1:ECNUx+ECON101+2025" credits="2" hours="36">经济学原理</course>
    </group>
    <group title="选修" min-count="1" min-credits="2">
      <course key="course-v1:ECNUx+DT205+2025" credits="2" hours="36.5" runs="this" \
min-grade="0.8" mode="verified">数字贸易</course>
      <program ref="other-program" credits="3.125">Stacked</program>
      <external id="huawei-hcia-ai" credits="2" \
badge-template="0f8fad5b-d9cb-469f-a165-70867728950e">HCIA-AI</external>
    </group>
  </requirements>
</program>
"""


def test_a_minimal_definition_leaves_out_defaults_and_empty_parts():
    definition = parse_program(program_xml(
        f'<course key="{A1}" credits="0"/>\n<group><program ref="other"/></group>'))
    assert serialize_program(definition) == (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<program id="demo" org="OrgX" lang="en" achievement-type="MicroCredential" '
        'completion="passing">\n'
        "  <title>Demo</title>\n"
        "  <requirements>\n"
        f'    <course key="{A1}"/>\n'
        "    <group>\n"
        '      <program ref="other"/>\n'
        "    </group>\n"
        "  </requirements>\n"
        "</program>\n")


def test_text_that_needs_escaping_round_trips():
    xml = program_xml(f'<course key="{A1}">R&amp;D &lt;basics&gt; "quoted"</course>',
                      head='<issuer name="A &amp; B &quot;Uni&quot;"/>')
    definition = parse_program(xml)
    assert definition.issuer.name == 'A & B "Uni"'
    assert parse_program(serialize_program(definition)) == definition


@pytest.mark.parametrize("value, text", [
    ("3.125", "3.125"), ("2", "2"), ("2.000", "2"), ("0.5", "0.5"), (".50", "0.5"),
    ("100", "100"), ("1E+2", "100"), ("0", "0"), ("-0", "0"), ("0.000", "0"),
    ("123456.789", "123456.789"), ("1.0000000000000000000000000000001",
                                   "1.0000000000000000000000000000001"),
])
def test_decimals_are_written_in_their_shortest_exact_form(value, text):
    assert format_decimal(D(value)) == text


@pytest.mark.parametrize("value, text", [(0.8, "0.8"), (1e-05, "0.00001"), (1.0, "1"),
                                         (0.0, "0"), (0.333333, "0.333333")])
def test_grades_are_written_as_plain_decimals(value, text):
    assert format_float(value) == text
    assert float(text) == value


def test_collapse_touches_xml_whitespace_only():
    assert collapse("\n  a \t\r\n b  ") == "a b"
    assert collapse("a\u00a0\u3000b") == "a\u00a0\u3000b"


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda item: item.name)
def test_sample_programmes_round_trip(sample):
    definition = parse_program(sample.read_bytes())
    exported = serialize_program(definition)
    assert parse_program(exported) == definition
    assert serialize_program(parse_program(exported)) == exported  # canonical: a fixed point


def test_every_sample_export_is_valid_against_the_shipped_schema():
    schema = etree.XMLSchema(etree.fromstring(schema_bytes()))
    for sample in SAMPLES:
        exported = serialize_program(parse_program(sample.read_bytes()))
        assert schema.validate(etree.fromstring(exported.encode("utf-8"))), sample.name


# ------------------------------------------------------------------------------------------------
# Property: every valid definition survives export and import unchanged
# ------------------------------------------------------------------------------------------------

XML_CHARACTERS = st.characters(exclude_categories=("Cc", "Cs", "Cn"))
TEXTS = st.text(XML_CHARACTERS, max_size=12).map(collapse)
NON_EMPTY_TEXTS = TEXTS.filter(bool)
CREDITS = st.decimals(min_value=0, max_value=D("9999.999"), places=3)
GRADES = st.decimals(min_value=0, max_value=1, places=6).map(float)
DATES = st.dates(min_value=date(1900, 1, 1), max_value=date(2999, 12, 31))
ACHIEVEMENT_TYPES = st.sampled_from(["MicroCredential", "Certificate", "Badge", "ext:Nano.deg-1"])


@st.composite
def leaves(draw, index: int, completion: str) -> rules.Node:
    """A leaf whose key, ref or id is unique by ``index``."""
    kind = draw(st.sampled_from(["course", "program", "external"]))
    credits, title = draw(CREDITS), draw(TEXTS)
    if kind == "program":
        return rules.ProgramLeaf(ref=f"other-{index}", credits=credits, title=title)
    if kind == "external":
        template = str(uuid.UUID(int=index)) if draw(st.booleans()) else None
        return rules.ExternalLeaf(id=f"ext.{index}", credits=credits, badge_template=template,
                                  title=title)
    org, run = f"Org{index % 3}", draw(st.sampled_from(["2025", "T1_2026"]))
    modes = st.sampled_from(["verified", "professional"])
    return rules.CourseLeaf(
        key=f"course-v1:{org}+C{index}+{run}", org=org, number=f"C{index}", run=run,
        credits=credits, hours=draw(st.none() | CREDITS),
        runs=draw(st.sampled_from([rules.RUNS_ANY, rules.RUNS_THIS])),
        min_grade=draw(st.none() | GRADES),
        mode=draw(st.none() | modes) if completion == rules.CERTIFICATE else None, title=title)


@st.composite
def groups(draw, counter: itertools.count, completion: str, depth: int = 0) -> rules.Group:
    """A group that passes every check: rules within its size and its credits."""
    children = []
    for _ in range(draw(st.integers(1, 3))):
        if depth < 2 and draw(st.integers(0, 3)) == 0:
            children.append(draw(groups(counter, completion, depth + 1)))
        else:
            children.append(draw(leaves(next(counter), completion)))
    # What a min-credits rule can count: a min-count-only subgroup counts its best N children.
    available = sum((rules.maximum_credits(child) for child in children), D(0))
    return rules.Group(
        children=tuple(children), title=draw(TEXTS),
        min_count=draw(st.none() | st.integers(1, len(children))),
        min_credits=draw(st.none() | st.decimals(min_value=0, max_value=available, places=3)),
    )


@st.composite
def definitions(draw) -> ProgramDefinition:
    completion = draw(st.sampled_from([rules.PASSING, rules.CERTIFICATE]))
    root = draw(groups(itertools.count(), completion))
    window = sorted(draw(st.lists(DATES, min_size=2, max_size=2)))
    window_kind = draw(st.sampled_from(["none", "from", "until", "both"]))
    optional = st.none
    return ProgramDefinition(
        id="prog-" + draw(st.from_regex(r"[A-Za-z0-9_-]{0,10}", fullmatch=True)),
        org=draw(st.from_regex(r"[A-Za-z0-9_.~-]{1,10}", fullmatch=True)
                 .filter(lambda org: org not in (".", ".."))),  # refused: not a DID segment
        title=draw(NON_EMPTY_TEXTS), requirements=rules.Group(children=root.children),
        lang=draw(st.sampled_from(["en", "zh-Hans", "fr-CA"])),
        achievement_type=draw(ACHIEVEMENT_TYPES), completion=completion,
        declared_credits=draw(optional() | CREDITS), description=draw(TEXTS),
        issuer=draw(optional() | st.builds(
            Issuer, name=NON_EMPTY_TEXTS, url=st.sampled_from(["", "https://u.example/x?y=1"]),
            country=st.sampled_from(["", "CN", "AU"]))),
        audiences=tuple(draw(st.lists(NON_EMPTY_TEXTS, max_size=2))),
        outcomes=tuple(draw(st.lists(NON_EMPTY_TEXTS, max_size=2))),
        field_of_study=draw(TEXTS),
        level=draw(optional() | st.builds(Level, NON_EMPTY_TEXTS, NON_EMPTY_TEXTS)),
        assessment=draw(TEXTS),
        participation=draw(st.sampled_from(["", "online", "onsite", "blended"])),
        quality_assurance=draw(TEXTS), duration=draw(TEXTS), fee=draw(TEXTS),
        pathway=draw(TEXTS), workload_hours=draw(optional() | CREDITS),
        window_from=window[0] if window_kind in ("from", "both") else None,
        window_until=window[1] if window_kind in ("until", "both") else None,
        valid_months=draw(optional() | st.integers(1, 2**31 - 1)),
    )


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(definitions())
def test_generated_definitions_round_trip(definition):
    exported = serialize_program(definition)
    assert parse_program(exported) == definition
    assert serialize_program(parse_program(exported)) == exported


def test_min_credits_above_what_a_min_count_subgroup_can_count():
    xml = program_xml(f'<group min-credits="6">\n'
                      f'<group min-count="1"><course key="{A1}" credits="4"/>'
                      f'<course key="{B1}" credits="4"/></group>\n</group>')
    error = parse_error(xml)
    assert error.message == "min-credits 6 is more than the 4 credits available in the group"


def test_elements_nested_beyond_libxml2s_limit_are_refused_in_plain_words():
    deep = "<group>" * 300 + f'<course key="{A1}">A</course>' + "</group>" * 300
    with pytest.raises(ProgramDefinitionError) as raised:
        parse_program(program_xml(deep))
    assert "nested more than 256 levels deep" in raised.value.message
    assert "XML_PARSE_HUGE" not in str(raised.value)
