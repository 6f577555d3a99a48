"""
Reading a schema-valid ``<program>`` tree into a ``ProgramDefinition``.

The tree must already have passed ``schema.validate``: this module trusts the types the schema
guarantees (decimals, dates, enumerations) and only checks what it needs in order to build the
dataclasses: the cardinality of ``<program>`` children and the course keys. Alongside the
definition it returns the source lines of what it read, for the semantic checks and the importer.

Absent attributes take the contract's defaults: a leaf without ``credits`` has ``credits=0``, and
the serializer leaves out ``credits`` when it is 0, so both spellings read back equal.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import cast

from lxml import etree
from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey
from opaque_keys.edx.locator import CourseLocator

from .. import rules
from .errors import ProgramDefinitionError
from .lexical import collapse
from .model import Issuer, Level, ProgramDefinition

REPEATABLE = frozenset({"audience", "outcome"})
REQUIRED = ("title", "requirements")
TEXT_FIELDS = {
    "description": "description", "field-of-study": "field_of_study",
    "assessment": "assessment", "participation": "participation",
    "quality-assurance": "quality_assurance", "duration": "duration", "fee": "fee",
    "pathway": "pathway",
}


@dataclass(frozen=True)
class SourceLines:
    """Where a definition's parts are in its source (1-based lines).

    ``elements`` maps the tag of each ``<program>`` child to the line of its first occurrence;
    ``nodes`` maps each requirement path of ``rules.iter_nodes`` to its element's line (the path
    ``""`` is ``<requirements>``).
    """

    program: int
    elements: Mapping[str, int]
    nodes: Mapping[str, int]


def read_program(root: etree._Element) -> tuple[ProgramDefinition, SourceLines]:
    """Build the definition of the schema-valid ``<program>`` element ``root``.

    Raises ``ProgramDefinitionError`` for a missing or repeated ``<program>`` child and for a
    course key that is not a course run.
    """
    children = _children_by_tag(root)
    _check_cardinality(root, children)
    nodes: dict[str, int] = {}
    requirements = _read_group(children["requirements"][0], "", nodes)
    definition = ProgramDefinition(
        id=_required(root, "id"), org=_required(root, "org"),
        title=_text(children["title"][0]),
        requirements=requirements, **_program_attributes(root), **_descriptive_fields(children),
    )
    elements = {tag: line_of(found[0]) for tag, found in children.items()}
    return definition, SourceLines(program=line_of(root), elements=elements, nodes=nodes)


# --------------------------------------------------------------------------- programme level

def _children_by_tag(root: etree._Element) -> dict[str, list[etree._Element]]:
    children: dict[str, list[etree._Element]] = {}
    for child in _elements(root):
        children.setdefault(child.tag, []).append(child)
    return children


def _check_cardinality(root: etree._Element,
                       children: Mapping[str, list[etree._Element]]) -> None:
    for tag in REQUIRED:
        if tag not in children:
            raise ProgramDefinitionError(f"<program> has no <{tag}>", line=line_of(root))
    for tag, found in children.items():
        if tag not in REPEATABLE and len(found) > 1:
            raise ProgramDefinitionError(
                f"<{tag}> is given more than once (first on line {line_of(found[0])})",
                line=line_of(found[1]))


def _program_attributes(root: etree._Element) -> dict:
    return {
        "lang": _attr(root, "lang") or "en",
        "achievement_type": _attr(root, "achievement-type") or "MicroCredential",
        "completion": _attr(root, "completion") or rules.PASSING,
        "declared_credits": _decimal(root, "credits"),
        "public_grades": _attr(root, "public-grades") in ("true", "1"),  # xs:boolean
    }


def _descriptive_fields(children: Mapping[str, list[etree._Element]]) -> dict:
    fields: dict = {name: _text(children[tag][0])
                    for tag, name in TEXT_FIELDS.items() if tag in children}
    fields["audiences"] = tuple(_text(item) for item in children.get("audience", ()))
    fields["outcomes"] = tuple(_text(item) for item in children.get("outcome", ()))
    single = {tag: found[0] for tag, found in children.items()}
    if "issuer" in single:
        issuer = single["issuer"]
        fields["issuer"] = Issuer(name=_required(issuer, "name"), url=_attr(issuer, "url") or "",
                                  country=_attr(issuer, "country") or "")
    if "level" in single:
        fields["level"] = Level(_required(single["level"], "framework"), _text(single["level"]))
    if "workload" in single:
        fields["workload_hours"] = _decimal(single["workload"], "hours")
    if "completion-window" in single:
        fields["window_from"] = _date(single["completion-window"], "from")
        fields["window_until"] = _date(single["completion-window"], "until")
    if "credential" in single:
        fields["valid_months"] = int(_required(single["credential"], "valid-months"))
    return fields


# ------------------------------------------------------------------------ requirement tree

def _read_node(element: etree._Element, path: str, nodes: dict[str, int]) -> rules.Node:
    nodes[path] = line_of(element)
    return _NODE_READERS[element.tag](element, path, nodes)


def _read_group(element: etree._Element, path: str, nodes: dict[str, int]) -> rules.Group:
    nodes[path] = line_of(element)
    children = tuple(
        _read_node(child, f"{path}.{index}" if path else str(index), nodes)
        for index, child in enumerate(_elements(element)))
    min_count = _attr(element, "min-count")
    return rules.Group(
        children=children, title=_attr(element, "title") or "",
        min_count=int(min_count) if min_count is not None else None,
        min_credits=_decimal(element, "min-credits"),
    )


def _read_course(element: etree._Element, path: str, nodes: dict[str, int]) -> rules.CourseLeaf:
    key, org, number, run = _course_run(element)
    min_grade = _attr(element, "min-grade")
    return rules.CourseLeaf(
        key=key, org=org, number=number, run=run,
        credits=_credits(element), hours=_decimal(element, "hours"),
        runs=_attr(element, "runs") or rules.RUNS_ANY,
        min_grade=float(min_grade) if min_grade is not None else None,
        mode=_attr(element, "mode"), title=_text(element),
    )


def _read_program_leaf(element: etree._Element, path: str,
                       nodes: dict[str, int]) -> rules.ProgramLeaf:
    return rules.ProgramLeaf(ref=_required(element, "ref"), credits=_credits(element),
                             title=_text(element))


def _read_external(element: etree._Element, path: str,
                   nodes: dict[str, int]) -> rules.ExternalLeaf:
    template = _attr(element, "badge-template")
    return rules.ExternalLeaf(
        id=_required(element, "id"), credits=_credits(element),
        badge_template=template.lower() if template else None, title=_text(element),
    )


_NODE_READERS: dict[str, Callable[[etree._Element, str, dict[str, int]], rules.Node]] = {
    "group": _read_group, "course": _read_course, "program": _read_program_leaf,
    "external": _read_external,
}


def _course_run(element: etree._Element) -> tuple[str, str, str, str]:
    """The element's ``key`` as ``(key, org, number, run)`` of a course run.

    CCX, library, branch and version keys fail: a programme requires plain course runs.
    """
    text = _required(element, "key")
    try:
        key = CourseKey.from_string(text)
    except InvalidKeyError:
        raise ProgramDefinitionError(f"invalid course key '{text}'",
                                     line=line_of(element)) from None
    if type(key) is not CourseLocator or not (key.org and key.course and key.run):
        raise ProgramDefinitionError(f"course key '{text}' {_not_a_run(key)}",
                                     line=line_of(element))
    if key.branch or key.version_guid:
        raise ProgramDefinitionError(
            f"course key '{text}' names a branch or version, not just a course run",
            line=line_of(element))
    return str(key), key.org, key.course, key.run


def _not_a_run(key: CourseKey) -> str:
    if isinstance(key, CourseLocator) and getattr(key, "ccx", None):
        # A CCX result counts as its master course, so the master is what a programme requires.
        master = CourseLocator(key.org, key.course, key.run)
        return f"is a CCX; require its master course '{master}' instead"
    return "is not a course run key"


# ------------------------------------------------------------------------------ values

def line_of(element: etree._Element) -> int:
    """The 1-based line of ``element`` in its source: where its start tag ends (libxml2)."""
    return cast(int, element.sourceline)


def _elements(parent: etree._Element) -> list[etree._Element]:
    return list(parent.iterchildren(etree.Element))


def _attr(element: etree._Element, name: str) -> str | None:
    value = element.get(name)
    return collapse(value) if value is not None else None


def _required(element: etree._Element, name: str) -> str:
    """An attribute the schema requires (so never missing after ``schema.validate``)."""
    value = _attr(element, name)
    if value is None:
        raise ProgramDefinitionError(f"<{element.tag}> has no {name}", line=line_of(element))
    return value


def _text(element: etree._Element) -> str:
    return collapse(str(element.xpath("string()")))


def _decimal(element: etree._Element, name: str) -> Decimal | None:
    value = _attr(element, name)
    return Decimal(value) if value is not None else None


def _credits(element: etree._Element) -> Decimal:
    value = _decimal(element, "credits")
    return value if value is not None else rules.ZERO


def _date(element: etree._Element, name: str) -> date | None:
    value = _attr(element, name)
    return date.fromisoformat(value) if value is not None else None
