"""
Validation against ``program.xsd``, the shipped XML Schema of the programme contract.

The first schema error becomes a ``ProgramDefinitionError`` whose message is libxml2's, rewritten
to name the element and attribute the way an author writes them (``<course>``, ``credits``).
"""
from __future__ import annotations

import functools
import re
import threading
from importlib import resources
from typing import Any

from lxml import etree

from .errors import Problem, ProgramDefinitionError

XSD_NAMESPACE = "http://www.w3.org/2001/XMLSchema"

# One validation at a time: an XMLSchema keeps its error log on the object, shared by threads.
_LOCK = threading.Lock()

_ELEMENT = re.compile(r"^Element '(?P<element>[^']+)'(?:, attribute '(?P<attr>[^']+)')?: ")
_PREDICATE = re.compile(r"\[\d+\]$")
_FACET = re.compile(r"\[facet '[^']+'\] ")
_BELOW_ZERO = re.compile(r"The value '(?P<value>[^']*)' is less than the minimum value "
                         r"allowed \('0'\)\.")


def schema_bytes() -> bytes:
    """The text of ``program.xsd`` as shipped in the package."""
    return resources.files(__package__).joinpath("program.xsd").read_bytes()


@functools.cache
def _schema() -> etree.XMLSchema:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.XMLSchema(etree.fromstring(schema_bytes(), parser))


@functools.cache
def element_names() -> frozenset[str]:
    """Every element name the schema declares."""
    root = etree.fromstring(schema_bytes())
    names = (node.get("name") for node in root.iter(f"{{{XSD_NAMESPACE}}}element"))
    return frozenset(name for name in names if name)


def validate(root: etree._Element) -> None:
    """Raise ``ProgramDefinitionError`` for the first schema error in the tree under ``root``
    (its ``problems`` hold every schema error, in document order)."""
    problems = schema_problems(root)
    if problems:
        raise ProgramDefinitionError.from_problems(problems)


def schema_problems(root: etree._Element) -> list[Problem]:
    """Every schema error in the tree under ``root``, with its line, in document order."""
    schema = _schema()
    with _LOCK:
        if schema.validate(root):
            return []
        errors: Any = schema.error_log  # lxml-stubs leave _ErrorLog empty
        found = [(error.message, error.line, error.path) for error in errors]
    return [Problem(_rewrite(message, path), line=line) for message, line, path in found]


def _rewrite(message: str, path: str | None) -> str:
    """Turn a libxml2 schema message into one that names the element and attribute plainly."""
    match = _ELEMENT.match(message)
    if not match:
        return message
    element, attr, rest = match["element"], match["attr"], message[match.end():]
    if rest.startswith("This element is not expected."):
        return _unexpected_element(element, path)
    if attr and rest.startswith("The attribute ") and rest.endswith(" is not allowed."):
        return f"unknown attribute '{attr}' on <{element}>"
    below_zero = _BELOW_ZERO.search(rest)
    if attr and below_zero:
        return f"{attr} '{below_zero['value']}' on <{element}> must not be negative"
    rest = _FACET.sub("", rest)
    return f"<{element}> attribute '{attr}': {rest}" if attr else f"<{element}>: {rest}"


def _unexpected_element(element: str, path: str | None) -> str:
    steps = (path or "").split("/")
    parent = _PREDICATE.sub("", steps[-2]) if len(steps) >= 3 else ""
    where = f" in <{parent}>" if parent else ""
    if element not in element_names():
        return f"unknown element <{element}>{where}"
    return f"element <{element}> is not allowed{where}"
