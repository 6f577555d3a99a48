"""
The JSON form of a programme definition, for the authoring UI and the REST API.

It says exactly what the XML contract says (``program.schema.json``, shipped with the package,
describes it): ``definition_to_json`` and ``parse_program_json`` round-trip with
``serialize_program`` / ``parse_program`` — for every valid definition ``d``,
``parse_program_json(definition_to_json(d)).definition == d``.

A JSON definition is validated in two stages, each reporting every problem it finds with a JSON
Pointer: the JSON Schema (shape, types, patterns), then the same semantic checks as XML (run on
the canonical XML the JSON stands for, whose lines are mapped back to JSON Pointers).

Numbers: credits and hours are written as JSON numbers (``2``, ``3.125``) and read from numbers
or decimal strings; the XML's three decimal places fit a double exactly.
"""
from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from importlib import resources
from typing import Any, cast

import jsonschema
from jsonschema.exceptions import best_match
from lxml import etree

from .. import rules
from .errors import Problem, ProgramDefinitionError
from .hardened import MAX_BYTES
from .model import Issuer, Level, ProgramDefinition
from .parser import ParsedProgram, parse_program_with_lines
from .reader import TEXT_FIELDS
from .serializer import serialize_program

# JSON member names of the descriptive text fields (the XML tags with "-" as "_").
_TEXT_MEMBERS = dict(TEXT_FIELDS)
# Where the XML elements of a <program> are in the JSON form.
_ELEMENT_MEMBERS = {
    "title": "title", "issuer": "issuer", "audience": "audiences", "outcome": "outcomes",
    "level": "level", "workload": "workload_hours", "completion-window": "completion_window",
    "credential": "valid_months", "requirements": "requirements", **_TEXT_MEMBERS,
}


def json_schema_bytes() -> bytes:
    """The text of ``program.schema.json`` (JSON Schema 2020-12) as shipped in the package."""
    return resources.files(__package__).joinpath("program.schema.json").read_bytes()


@functools.cache
def json_schema() -> dict[str, Any]:
    """The parsed JSON Schema of the JSON form."""
    return json.loads(json_schema_bytes())


# ------------------------------------------------------------------------- definition → JSON

def definition_to_json(definition: ProgramDefinition) -> dict[str, Any]:
    """The JSON form of ``definition`` (every member present; null or "" when absent)."""
    data: dict[str, Any] = {
        "id": definition.id, "org": definition.org, "lang": definition.lang,
        "achievement_type": definition.achievement_type, "completion": definition.completion,
        "credits": _number(definition.declared_credits), "title": definition.title,
        "issuer": ({"name": definition.issuer.name, "url": definition.issuer.url,
                    "country": definition.issuer.country} if definition.issuer else None),
        "audiences": list(definition.audiences), "outcomes": list(definition.outcomes),
        "level": ({"framework": definition.level.framework, "value": definition.level.value}
                  if definition.level else None),
    }
    data.update({name: getattr(definition, name) for name in _TEXT_MEMBERS.values()})
    data["workload_hours"] = _number(definition.workload_hours)
    window = (definition.window_from, definition.window_until)
    data["completion_window"] = ({"from": _iso(window[0]), "until": _iso(window[1])}
                                 if window != (None, None) else None)
    data["valid_months"] = definition.valid_months
    data["public_grades"] = definition.public_grades
    data["requirements"] = node_to_json(definition.requirements)
    return data


def node_to_json(node: rules.Node) -> dict[str, Any]:
    """The JSON form of one requirement (a group with its children, or a leaf)."""
    if isinstance(node, rules.Group):
        return {"type": "group", "title": node.title, "min_count": node.min_count,
                "min_credits": _number(node.min_credits),
                "children": [node_to_json(child) for child in node.children]}
    if isinstance(node, rules.CourseLeaf):
        return {"type": "course", "key": node.key, "title": node.title,
                "credits": _number(node.credits), "hours": _number(node.hours),
                "runs": node.runs, "min_grade": node.min_grade, "mode": node.mode}
    if isinstance(node, rules.ProgramLeaf):
        return {"type": "program", "ref": node.ref, "title": node.title,
                "credits": _number(node.credits)}
    return {"type": "external", "id": node.id, "title": node.title,
            "credits": _number(node.credits), "badge_template": node.badge_template}


# ------------------------------------------------------------------------- JSON → definition

def json_problems(data: Any) -> list[Problem]:
    """Every JSON Schema error of ``data``, each with its JSON Pointer, in document order."""
    validator = jsonschema.Draft202012Validator(
        json_schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    problems = []
    try:
        for error in validator.iter_errors(data):
            best = best_match([error]) if error.context else error
            problems.append(Problem(best.message, path=_pointer(best.absolute_path)))
    except RecursionError:  # the validator recurses with the document's nesting
        return [Problem("the definition is nested too deeply", path="")]
    return sorted(problems, key=lambda problem: problem.path or "")


def json_to_xml(data: Any) -> str:
    """The canonical XML that the JSON definition ``data`` stands for.

    Raises ``ProgramDefinitionError`` listing every JSON Schema error (with its JSON Pointer).
    The XML is not yet checked beyond the JSON Schema: parse it (``parse_program_json`` does).
    """
    problems = json_problems(data)
    if problems:
        raise ProgramDefinitionError.from_problems(problems)
    return serialize_program(_definition(data))


def parse_program_json(data: Any, *, max_bytes: int = MAX_BYTES) -> tuple[ParsedProgram, str]:
    """Validate the JSON definition ``data``; return it parsed, and its canonical XML.

    Raises ``ProgramDefinitionError`` whose ``problems`` carry JSON Pointers (``path``), for the
    JSON Schema errors or else for what the XML checks find.
    """
    xml = json_to_xml(data)
    try:
        return parse_program_with_lines(xml, max_bytes=max_bytes), xml
    except ProgramDefinitionError as error:
        paths = pointers_by_line(xml)
        raise ProgramDefinitionError.from_problems(
            Problem(problem.message, path=paths.get(problem.line or 0, ""))
            for problem in error.problems) from None


def pointers_by_line(xml: str) -> dict[int, str]:
    """The JSON Pointer of the element on each line of a canonical XML definition.

    ``serialize_program`` writes one element per line, so a line names one element.
    """
    root = etree.fromstring(xml.encode("utf-8"), etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False))
    found: dict[int, str] = {_line(root): ""}
    counts: dict[str, int] = {}
    for child in root.iterchildren(etree.Element):
        member = _ELEMENT_MEMBERS.get(str(child.tag), str(child.tag))
        if member in ("audiences", "outcomes"):
            index = counts[member] = counts.get(member, -1) + 1
            found[_line(child)] = f"/{member}/{index}"
        elif member == "requirements":
            found.update(_tree_pointers(child, "/requirements"))
        else:
            found[_line(child)] = f"/{member}"
    return found


def _tree_pointers(element: etree._Element, pointer: str) -> Iterator[tuple[int, str]]:
    yield _line(element), pointer
    for index, child in enumerate(element.iterchildren(etree.Element)):
        yield from _tree_pointers(child, f"{pointer}/children/{index}")


def _line(element: etree._Element) -> int:
    return cast(int, element.sourceline or 0)  # lxml-stubs type sourceline loosely


def _definition(data: Mapping[str, Any]) -> ProgramDefinition:
    issuer, level, window = data.get("issuer"), data.get("level"), data.get("completion_window")
    return ProgramDefinition(
        id=data["id"], org=data["org"], title=data["title"],
        requirements=_group(data["requirements"]),
        lang=data.get("lang") or "en",
        achievement_type=data.get("achievement_type") or "MicroCredential",
        completion=data.get("completion") or rules.PASSING,
        declared_credits=_decimal(data.get("credits")),
        issuer=(Issuer(name=issuer["name"], url=issuer.get("url") or "",
                       country=issuer.get("country") or "") if issuer else None),
        audiences=tuple(data.get("audiences") or ()), outcomes=tuple(data.get("outcomes") or ()),
        level=Level(level["framework"], level["value"]) if level else None,
        workload_hours=_decimal(data.get("workload_hours")),
        window_from=_date((window or {}).get("from")),
        window_until=_date((window or {}).get("until")),
        valid_months=data.get("valid_months"),
        public_grades=bool(data.get("public_grades")),
        **{name: data.get(name) or "" for name in _TEXT_MEMBERS.values()},
    )


def _node(data: Mapping[str, Any]) -> rules.Node:
    kind = data["type"]
    if kind == "group":
        return _group(data)
    credits = _decimal(data.get("credits")) or rules.ZERO
    title = data.get("title") or ""
    if kind == "course":
        # Org, number and run are filled in by the XML reader, which parses the key properly.
        return rules.CourseLeaf(
            key=data["key"], org="", number="", run="", credits=credits,
            hours=_decimal(data.get("hours")), runs=data.get("runs") or rules.RUNS_ANY,
            min_grade=data.get("min_grade"), mode=data.get("mode") or None, title=title)
    if kind == "program":
        return rules.ProgramLeaf(ref=data["ref"], credits=credits, title=title)
    template = data.get("badge_template") or None
    return rules.ExternalLeaf(id=data["id"], credits=credits, title=title,
                              badge_template=template.lower() if template else None)


def _group(data: Mapping[str, Any]) -> rules.Group:
    return rules.Group(children=tuple(_node(child) for child in data["children"]),
                       title=data.get("title") or "", min_count=data.get("min_count"),
                       min_credits=_decimal(data.get("min_credits")))


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))  # str(): a float's shortest repr, not its binary expansion
    except InvalidOperation:  # the JSON Schema admits only numbers and decimal strings
        raise ProgramDefinitionError(f"{value!r} is not a number") from None


def _number(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _pointer(parts) -> str:
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in parts)
