"""
Human-readable text of credentials, in the programme's language: the Markdown ``criteria``
narrative generated from the requirement tree, and the labels the document builders use.

Two languages are written: English and Simplified Chinese (``zh``, ``zh-Hans``, ``zh-CN``,
``zh-SG`` and their variants). Any other language, Traditional Chinese (``zh-Hant``, ``zh-TW``,
``zh-HK``, ``zh-MO``) included, gets English: a wrong script is worse than a second language.

Everything is deterministic: the same definition gives the same text, byte for byte (it is
signed). Titles are escaped so that Markdown in a course title stays literal text.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from .. import rules

if TYPE_CHECKING:
    from ..definitions.model import ProgramDefinition

__all__ = [
    "CHINESE",
    "ENGLISH",
    "Strings",
    "course_criteria_narrative",
    "credits_text",
    "criteria_narrative",
    "day",
    "escape",
    "format_decimal",
    "narrative_language",
    "percent",
    "strings_for",
    "with_details",
]

ENGLISH = "en"
CHINESE = "zh-Hans"

INDENT = "  "  # CommonMark: a nested list item is indented to the content of its parent item
_TRADITIONAL_REGIONS = {"tw", "hk", "mo"}
_MARKDOWN_SPECIALS = re.compile(r"([\\`*_\[\]<>~|#])")


@dataclass(frozen=True)
class Strings:
    """The phrases of one language (``str.format`` templates)."""

    all_of: str
    at_least_count: str
    at_least_credits: str
    at_least_count_and_credits: str
    titled: str
    course_counts_passing: str
    course_counts_certificate: str
    window_both: str
    window_from: str
    window_until: str
    credential: str
    external: str
    details: str
    separator: str
    credits: str
    credit: str
    hours: str
    min_grade: str
    mode: str
    course_passing: str
    course_certificate: str
    course_description: str
    evidence_course: str
    evidence_program: str
    evidence_external: str
    evidence_on: str
    evidence_grade: str
    evidence_credits: str
    genre_course: str
    genre_program: str
    genre_external: str
    grade: str
    level: str
    label_value: str
    list_separator: str
    workload: str
    assessment: str
    participation: str
    quality_assurance: str
    prerequisites: str
    stackability: str
    duration: str
    participation_modes: Mapping[str, str]
    clr_name: str
    full_stop: str


_ENGLISH = Strings(
    all_of="Complete all of the following:",
    at_least_count="Complete at least {count} of the following:",
    at_least_credits="Earn at least {credits} from the following:",
    at_least_count_and_credits=(
        "Complete at least {count} of the following, earning at least {credits}:"),
    titled="**{title}**: {rule}",
    course_counts_passing="A course counts when it is passed.",
    course_counts_certificate="A course counts when its certificate is earned.",
    window_both="Only results achieved from {start} to {end} count.",
    window_from="Only results achieved from {start} count.",
    window_until="Only results achieved until {end} count.",
    credential="Earn the credential *{title}*",
    external="Achieve *{title}*",
    details=" ({details})",
    separator=", ",
    credits="{value} credits",
    credit="{value} credit",
    hours="{value} hours",
    min_grade="grade of at least {value}%",
    mode="{value} certificate",
    course_passing="Pass the course.",
    course_certificate="Earn the course certificate.",
    course_description="The course {title}.",
    evidence_course="Completed the course run `{key}`",
    evidence_program="Earned the credential `{key}`",
    evidence_external="Achieved `{key}`",
    evidence_on=" on {date}",
    evidence_grade=" Grade: {value}%.",
    evidence_credits=" Credits: {value}.",
    genre_course="Course",
    genre_program="Credential",
    genre_external="External achievement",
    grade="Grade",
    level="{framework} level {value}",
    label_value="{label}: {value}",
    list_separator="; ",
    workload="Notional workload",
    assessment="Type of assessment",
    participation="Form of participation",
    quality_assurance="Type of quality assurance",
    prerequisites="Target audience and prerequisites",
    stackability="Integration and stackability options",
    duration="Duration",
    participation_modes={"online": "Online", "onsite": "On site", "blended": "Blended"},
    clr_name="Learner record: {title}",
    full_stop=".",
)

_CHINESE = Strings(
    all_of="完成以下全部要求：",
    at_least_count="完成以下至少 {count} 项：",
    at_least_credits="从以下内容中获得至少 {credits}：",
    at_least_count_and_credits="完成以下至少 {count} 项，并获得至少 {credits}：",
    titled="**{title}**：{rule}",
    course_counts_passing="课程考核通过即计入。",
    course_counts_certificate="获得课程证书即计入。",
    window_both="仅计入 {start} 至 {end} 期间取得的成绩。",
    window_from="仅计入 {start} 起取得的成绩。",
    window_until="仅计入 {end} 前取得的成绩。",
    credential="获得证书《{title}》",
    external="取得《{title}》",
    details="（{details}）",
    separator="，",
    credits="{value} 学分",
    credit="{value} 学分",
    hours="{value} 学时",
    min_grade="成绩不低于 {value}%",
    mode="{value} 证书",
    course_passing="通过课程考核。",
    course_certificate="获得课程证书。",
    course_description="课程《{title}》。",
    evidence_course="完成课程 `{key}`",
    evidence_program="获得证书 `{key}`",
    evidence_external="取得 `{key}`",
    evidence_on="（{date}）",
    evidence_grade="成绩：{value}%。",
    evidence_credits="学分：{value}。",
    genre_course="课程",
    genre_program="证书",
    genre_external="外部成就",
    grade="成绩",
    level="{framework} {value} 级",
    label_value="{label}：{value}",
    list_separator="；",
    workload="学习量",
    assessment="考核方式",
    participation="学习形式",
    quality_assurance="质量保障方式",
    prerequisites="面向对象与先修要求",
    stackability="衔接与叠加",
    duration="学习周期",
    participation_modes={"online": "线上", "onsite": "线下", "blended": "线上线下混合"},
    clr_name="学习记录：{title}",
    full_stop="。",
)

_STRINGS = {ENGLISH: _ENGLISH, CHINESE: _CHINESE}


def narrative_language(lang: str) -> str:
    """``CHINESE`` for a Simplified Chinese language tag, else ``ENGLISH``."""
    parts = [part.lower() for part in re.split(r"[-_]", (lang or "").strip()) if part]
    if not parts or parts[0] != "zh":
        return ENGLISH
    subtags = set(parts[1:])
    if "hant" in subtags or ("hans" not in subtags and subtags & _TRADITIONAL_REGIONS):
        return ENGLISH
    return CHINESE


def strings_for(lang: str) -> Strings:
    """The phrases for ``lang`` (see ``narrative_language``)."""
    return _STRINGS[narrative_language(lang)]


def format_decimal(value: Decimal | int | float) -> str:
    """``value`` in plain decimal notation without trailing zeros: 2.000 -> "2", 3.125."""
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    text = format(number, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def criteria_narrative(definition: ProgramDefinition, *,
                       program_titles: Mapping[str, str] | None = None) -> str:
    """The Markdown ``criteria.narrative`` of ``definition``: its requirement tree as nested
    lists, then the completion rule and the completion window.

    ``program_titles`` maps the ids of stacked programmes to their titles (a ``program`` leaf
    without a title of its own otherwise shows its id).
    """
    text = strings_for(definition.lang)
    titles = program_titles or {}
    lines = [_group_heading(definition.requirements, text), ""]
    lines.extend(_children(definition.requirements, 0, text, titles))
    notes = []
    leaves = rules.iter_leaves(definition.requirements)
    if any(isinstance(leaf, rules.CourseLeaf) for leaf in leaves):
        notes.append(_completion_note(definition, text))
    window = _window_note(definition.window_from, definition.window_until, text)
    if window:
        notes.append(window)
    return "\n\n".join(["\n".join(lines), *notes]) + "\n"


def course_criteria_narrative(*, lang: str, completion: str = rules.PASSING,
                              min_grade: float | None = None, mode: str | None = None) -> str:
    """The Markdown ``criteria.narrative`` of a course achievement."""
    text = strings_for(lang)
    sentence = text.course_certificate if completion == rules.CERTIFICATE else text.course_passing
    return with_details(sentence, _course_conditions(min_grade, mode, text), text)


def with_details(sentence: str, details: list[str], text: Strings) -> str:
    """``sentence`` (ending with a full stop) with ``details`` in brackets before its stop."""
    if not details:
        return sentence
    stop = text.full_stop if sentence.endswith(text.full_stop) else ""
    body = sentence[: len(sentence) - len(stop)]
    return body + text.details.format(details=text.separator.join(details)) + stop


def _children(group: rules.Group, depth: int, text: Strings,
              titles: Mapping[str, str]) -> list[str]:
    lines = []
    for child in group.children:
        prefix = INDENT * depth + "- "
        if isinstance(child, rules.Group):
            heading = _group_heading(child, text)
            if child.title:  # "**Electives**: complete at least 2 of the following:"
                heading = text.titled.format(title=escape(child.title),
                                             rule=heading[0].lower() + heading[1:])
            lines.append(prefix + heading)
            lines.extend(_children(child, depth + 1, text, titles))
        else:
            lines.append(prefix + _leaf(child, text, titles))
    return lines


def _group_heading(group: rules.Group, text: Strings) -> str:
    if group.min_count is not None and group.min_credits is not None:
        return text.at_least_count_and_credits.format(
            count=group.min_count, credits=credits_text(group.min_credits, text))
    if group.min_count is not None:
        return text.at_least_count.format(count=group.min_count)
    if group.min_credits is not None:
        return text.at_least_credits.format(credits=credits_text(group.min_credits, text))
    return text.all_of


def _leaf(leaf: rules.Leaf, text: Strings, titles: Mapping[str, str]) -> str:
    details: list[str] = []
    if leaf.credits:
        details.append(credits_text(leaf.credits, text))
    if isinstance(leaf, rules.CourseLeaf):
        label = escape(leaf.title or leaf.key)
        if leaf.hours is not None:
            details.append(text.hours.format(value=format_decimal(leaf.hours)))
        details.extend(_course_conditions(leaf.min_grade, leaf.mode, text))
    elif isinstance(leaf, rules.ProgramLeaf):
        label = text.credential.format(title=escape(leaf.title or titles.get(leaf.ref)
                                                    or leaf.ref))
    else:
        label = text.external.format(title=escape(leaf.title or leaf.id))
    if details:
        label += text.details.format(details=text.separator.join(details))
    return label


def _course_conditions(min_grade: float | None, mode: str | None, text: Strings) -> list[str]:
    details = []
    if min_grade is not None:
        details.append(text.min_grade.format(value=percent(min_grade)))
    if mode:
        details.append(text.mode.format(value=escape(mode)))
    return details


def credits_text(value: Decimal, text: Strings) -> str:
    """``value`` credits, e.g. "1 credit", "3.125 credits", "2 学分"."""
    template = text.credit if value == 1 else text.credits
    return template.format(value=format_decimal(value))


def percent(fraction: float) -> str:
    """A grade fraction as a percentage: 0.8 -> "80", 0.8555 -> "85.55"."""
    return format_decimal(Decimal(repr(float(fraction))) * 100)


def day(value: date | datetime) -> str:
    """The calendar day of ``value`` (in UTC for an aware datetime), ``YYYY-MM-DD``."""
    if isinstance(value, datetime):
        if value.utcoffset() is not None:
            value = value.astimezone(UTC)
        return value.date().isoformat()
    return value.isoformat()


def escape(value: str) -> str:
    """``value`` with Markdown's special characters backslash-escaped (shown literally)."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", value)


def _completion_note(definition: ProgramDefinition, text: Strings) -> str:
    if definition.completion == rules.CERTIFICATE:
        return text.course_counts_certificate
    return text.course_counts_passing


def _window_note(start: date | None, end: date | None, text: Strings) -> str:
    if start and end:
        return text.window_both.format(start=day(start), end=day(end))
    if start:
        return text.window_from.format(start=day(start))
    if end:
        return text.window_until.format(end=day(end))
    return ""
