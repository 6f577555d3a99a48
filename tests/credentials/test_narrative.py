"""The criteria narrative: Markdown of the requirement tree in English or Simplified Chinese."""
from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

import pytest

from openedx_microcred import rules
from openedx_microcred.credentials.narrative import (
    CHINESE,
    ENGLISH,
    course_criteria_narrative,
    criteria_narrative,
    escape,
    format_decimal,
    narrative_language,
    percent,
)
from openedx_microcred.definitions import ProgramDefinition, parse_program

from .builders_support import DEMO_DIR, DEMO_IDS, demo_definition, demo_titles


def course(number: str, title: str = "", credits: str = "0", hours: str | None = None,
           **extra) -> rules.CourseLeaf:
    return rules.CourseLeaf(
        key=f"course-v1:DemoX+{number}+2025", org="DemoX", number=number, run="2025",
        credits=Decimal(credits), hours=Decimal(hours) if hours else None, title=title, **extra)


def program(root: rules.Group, lang: str = "en", **extra) -> ProgramDefinition:
    return ProgramDefinition(id="demo", org="DemoX", title="Demo", requirements=root, lang=lang,
                             **extra)


NESTED = rules.Group(children=(
    course("C1", "Statistics", "2", "36"),
    rules.Group(title="Electives", min_count=2, children=(
        course("C2", "Python", "1"),
        course("C3", "R", "1", min_grade=0.8),
        rules.Group(min_credits=Decimal("6"), children=(
            course("C4", "Machine learning", "3"),
            rules.ProgramLeaf(ref="data-basics", credits=Decimal("3.125")),
            rules.ExternalLeaf(id="huawei-hcia-ai", credits=Decimal("2"),
                               title="Huawei HCIA-AI"),
        )),
    )),
    rules.Group(min_count=1, min_credits=Decimal("1.5"), children=(
        course("C5", "Ethics", "1.5", mode="verified"),
        rules.ExternalLeaf(id="internship"),
    )),
))


@pytest.mark.parametrize(("lang", "expected"), [
    ("en", ENGLISH), ("en-GB", ENGLISH), ("fr", ENGLISH), ("", ENGLISH), ("zh", CHINESE),
    ("zh-Hans", CHINESE), ("zh-CN", CHINESE), ("zh_cn", CHINESE), ("ZH-hans-cn", CHINESE),
    ("zh-SG", CHINESE), ("zh-Hant", ENGLISH), ("zh-TW", ENGLISH), ("zh-HK", ENGLISH),
    ("zh-Hans-HK", CHINESE), ("zha", ENGLISH),
])
def test_simplified_chinese_tags_get_chinese_and_everything_else_english(lang, expected):
    assert narrative_language(lang) == expected


def test_nested_english_narrative_names_every_rule_with_indentation():
    text = criteria_narrative(program(NESTED, window_from=date(2025, 9, 1),
                                      window_until=date(2028, 1, 31)),
                              program_titles={"data-basics": "Data Basics"})
    assert text == (
        "Complete all of the following:\n"
        "\n"
        "- Statistics (2 credits, 36 hours)\n"
        "- **Electives**: complete at least 2 of the following:\n"
        "  - Python (1 credit)\n"
        "  - R (1 credit, grade of at least 80%)\n"
        "  - Earn at least 6 credits from the following:\n"
        "    - Machine learning (3 credits)\n"
        "    - Earn the credential *Data Basics* (3.125 credits)\n"
        "    - Achieve *Huawei HCIA-AI* (2 credits)\n"
        "- Complete at least 1 of the following, earning at least 1.5 credits:\n"
        "  - Ethics (1.5 credits, verified certificate)\n"
        "  - Achieve *internship*\n"
        "\n"
        "A course counts when it is passed.\n"
        "\n"
        "Only results achieved from 2025-09-01 to 2028-01-31 count.\n"
    )


def test_nested_chinese_narrative():
    text = criteria_narrative(program(NESTED, lang="zh-Hans", completion=rules.CERTIFICATE,
                                      window_until=date(2028, 1, 31)))
    assert text == (
        "完成以下全部要求：\n"
        "\n"
        "- Statistics（2 学分，36 学时）\n"
        "- **Electives**：完成以下至少 2 项：\n"
        "  - Python（1 学分）\n"
        "  - R（1 学分，成绩不低于 80%）\n"
        "  - 从以下内容中获得至少 6 学分：\n"
        "    - Machine learning（3 学分）\n"
        "    - 获得证书《data-basics》（3.125 学分）\n"
        "    - 取得《Huawei HCIA-AI》（2 学分）\n"
        "- 完成以下至少 1 项，并获得至少 1.5 学分：\n"
        "  - Ethics（1.5 学分，verified 证书）\n"
        "  - 取得《internship》\n"
        "\n"
        "获得课程证书即计入。\n"
        "\n"
        "仅计入 2028-01-31 前取得的成绩。\n"
    )


def test_demo_chinese_programme_with_modules():
    text = criteria_narrative(demo_definition("tmu-preventive-medicine"))
    lines = text.splitlines()
    assert lines[0] == "完成以下全部要求："
    assert "- **全球健康与健康促进模块**：完成以下全部要求：" in lines
    assert "  - 社会医学（0.5 学分，8 学时）" in lines
    assert lines[-1] == "课程考核通过即计入。"
    assert sum(line.startswith("  - ") for line in lines) == 15


def test_demo_stacked_programmes_name_the_credentials_they_stack():
    titles = demo_titles()
    stacked = criteria_narrative(demo_definition("au-stacked-course-credit"), program_titles=titles)
    assert stacked == (
        "Complete all of the following:\n\n"
        "- **Any four micro-credentials of the series**: complete at least 4 of the following:\n"
        + "".join(f"  - Earn the credential *Data Analytics Micro-credential {n}* "
                  "(3.125 credits)\n" for n in range(1, 6))
    )
    front_end = criteria_narrative(demo_definition("harvard-front-end-certificate"),
                                   program_titles=titles)
    assert "- Earn the credential *Web Application Development* (8 credits)\n" in front_end
    assert "A course counts when it is passed." in front_end


def test_courses_without_credits_show_hours_and_certificate_rule():
    text = criteria_narrative(demo_definition("google-project-management"))
    assert "- Foundations of Project Management (13 hours)\n" in text
    assert text.endswith("A course counts when its certificate is earned.\n")


@pytest.mark.parametrize("program_id", DEMO_IDS)
def test_every_demo_programme_has_a_deterministic_narrative_listing_every_leaf(program_id):
    definition = demo_definition(program_id)
    text = criteria_narrative(definition)
    again = criteria_narrative(parse_program((DEMO_DIR / f"{program_id}.xml").read_bytes()))
    assert text == again
    leaves = list(rules.iter_leaves(definition.requirements))
    assert sum(line.lstrip().startswith("- ") for line in text.splitlines()) >= len(leaves)
    assert text.endswith("\n") and "\n\n\n" not in text


def test_markdown_in_titles_is_escaped():
    root = rules.Group(children=(
        course("C1", "*Bold* _under_ [link](x) <b> `code` C# a|b ~x~ back\\slash"),))
    text = criteria_narrative(program(root))
    assert ("- \\*Bold\\* \\_under\\_ \\[link\\](x) \\<b\\> \\`code\\` C\\# a\\|b \\~x\\~ "
            "back\\\\slash\n") in text
    assert escape("数据科学 C++") == "数据科学 C++"


def test_untitled_course_shows_its_key():
    assert "- course-v1:DemoX+C9+2025\n" in criteria_narrative(program(rules.Group(
        children=(course("C9"),))))


def test_course_criteria_narratives():
    assert course_criteria_narrative(lang="en") == "Pass the course."
    assert course_criteria_narrative(lang="en", min_grade=0.75) == (
        "Pass the course (grade of at least 75%).")
    assert course_criteria_narrative(lang="zh-CN", completion=rules.CERTIFICATE,
                                     mode="verified") == "获得课程证书（verified 证书）。"


@pytest.mark.parametrize(("value", "text"), [
    (Decimal("2.000"), "2"), (Decimal("3.125"), "3.125"), (Decimal("0.50"), "0.5"),
    (Decimal("1E+2"), "100"), (Decimal("0"), "0"), (Decimal("-0.0"), "0"), (12, "12"),
    (2.5, "2.5"),
])
def test_format_decimal(value, text):
    assert format_decimal(value) == text


@pytest.mark.parametrize(("fraction", "text"), [
    (0.8, "80"), (0.856, "85.6"), (1.0, "100"), (0.0, "0"), (0.12345, "12.345"), (1 / 3, None),
])
def test_percent(fraction, text):
    if text is None:
        assert percent(fraction).startswith("33.33333")
    else:
        assert percent(fraction) == text


def test_definition_variants_change_only_their_notes():
    base = program(rules.Group(children=(course("C1", "One", "1"),)))
    assert criteria_narrative(dataclasses.replace(base, window_from=date(2025, 1, 1))).endswith(
        "Only results achieved from 2025-01-01 count.\n")
    assert criteria_narrative(base).count("\n\n") == 2

