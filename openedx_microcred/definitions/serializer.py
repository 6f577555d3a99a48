"""
Exporting a programme definition as canonical XML.

Canonical means one spelling per definition: UTF-8 declaration, two-space indentation, elements
and attributes in the order of DESIGN §3, decimals without trailing zeros (``3.125``, ``2``,
``0.5``), collapsed text, and nothing that equals its default on a leaf or group (no
``credits="0"``, ``runs="any"``, empty titles). The ``<program>`` attributes ``lang``,
``achievement-type`` and ``completion`` are always written, because readers of an exported file
should not need to know the defaults to know what it awards.

For every valid document ``x``: ``parse_program(serialize_program(parse_program(x))) ==
parse_program(x)``.
"""
from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from lxml import etree

from .. import rules
from .lexical import format_decimal, format_float
from .model import ProgramDefinition
from .reader import TEXT_FIELDS

DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'

Attributes = Iterable[tuple[str, str | None]]


def serialize_program(definition: ProgramDefinition) -> str:
    """The canonical XML text of ``definition`` (declaration included, ends with a newline).

    Does not validate: a definition that ``parse_program`` could not have produced (a negative
    credit, a duplicate course) is written as is and fails when parsed back.
    """
    root = etree.Element("program")
    _set(root, _program_attributes(definition))
    _add(root, "title", text=definition.title)
    _add_descriptions(root, definition)
    _add_rules(root, definition)
    _add_group(root, "requirements", definition.requirements)
    return DECLARATION + etree.tostring(root, encoding="unicode", pretty_print=True)


def _program_attributes(definition: ProgramDefinition) -> Attributes:
    return [
        ("id", definition.id), ("org", definition.org), ("lang", definition.lang),
        ("achievement-type", definition.achievement_type),
        ("completion", definition.completion),
        ("credits", _decimal(definition.declared_credits)),
        ("public-grades", "true" if definition.public_grades else None),  # default: false
    ]


def _add_descriptions(root: etree._Element, definition: ProgramDefinition) -> None:
    fields = {tag: getattr(definition, name) for tag, name in TEXT_FIELDS.items()}
    _add_text(root, "description", fields["description"])
    if definition.issuer:
        issuer = definition.issuer
        _add(root, "issuer", [("name", issuer.name), ("url", issuer.url or None),
                              ("country", issuer.country or None)])
    for audience in definition.audiences:
        _add(root, "audience", text=audience)
    for outcome in definition.outcomes:
        _add(root, "outcome", text=outcome)
    _add_text(root, "field-of-study", fields["field-of-study"])
    if definition.level:
        _add(root, "level", [("framework", definition.level.framework)],
             text=definition.level.value)
    for tag in ("assessment", "participation", "quality-assurance", "duration", "fee",
                "pathway"):
        _add_text(root, tag, fields[tag])


def _add_rules(root: etree._Element, definition: ProgramDefinition) -> None:
    if definition.workload_hours is not None:
        _add(root, "workload", [("hours", _decimal(definition.workload_hours))])
    if definition.window_from is not None or definition.window_until is not None:
        _add(root, "completion-window", [("from", _date(definition.window_from)),
                                         ("until", _date(definition.window_until))])
    if definition.valid_months is not None:
        _add(root, "credential", [("valid-months", str(definition.valid_months))])


def _add_group(parent: etree._Element, tag: str, group: rules.Group) -> None:
    element = _add(parent, tag, [
        ("title", group.title or None),
        ("min-count", str(group.min_count) if group.min_count is not None else None),
        ("min-credits", _decimal(group.min_credits)),
    ])
    for child in group.children:
        _add_node(element, child)


def _add_node(parent: etree._Element, node: rules.Node) -> None:
    if isinstance(node, rules.Group):
        _add_group(parent, "group", node)
    elif isinstance(node, rules.CourseLeaf):
        _add(parent, "course", [
            ("key", node.key), ("credits", _credits(node.credits)),
            ("hours", _decimal(node.hours)),
            ("runs", node.runs if node.runs != rules.RUNS_ANY else None),
            ("min-grade", format_float(node.min_grade) if node.min_grade is not None else None),
            ("mode", node.mode or None),
        ], text=node.title)
    elif isinstance(node, rules.ProgramLeaf):
        _add(parent, "program", [("ref", node.ref), ("credits", _credits(node.credits))],
             text=node.title)
    else:
        _add(parent, "external", [
            ("id", node.id), ("credits", _credits(node.credits)),
            ("badge-template", node.badge_template),
        ], text=node.title)


def _add(parent: etree._Element, tag: str, attributes: Attributes = (), *,
         text: str = "") -> etree._Element:
    """Append ``<tag>`` with the attributes that are not None, in the order given."""
    element = etree.SubElement(parent, tag)
    _set(element, attributes)
    if text:
        element.text = text
    return element


def _add_text(parent: etree._Element, tag: str, text: str) -> None:
    """Append ``<tag>text</tag>`` unless ``text`` is empty (an absent optional element)."""
    if text:
        _add(parent, tag, text=text)


def _set(element: etree._Element, attributes: Attributes) -> None:
    for name, value in attributes:
        if value is not None:
            element.set(name, value)


def _decimal(value: Decimal | None) -> str | None:
    return format_decimal(value) if value is not None else None


def _credits(value: Decimal) -> str | None:
    return format_decimal(value) if value else None  # absent means 0


def _date(value) -> str | None:
    return value.isoformat() if value is not None else None
