"""
Importing a programme definition: hardened XML → XML Schema → ``ProgramDefinition`` → checks.

Every problem raises ``ProgramDefinitionError(message, line=…)``: the message names the problem
(``"min-count 3 is more than the group's 2 children"``), ``line`` is the 1-based line of the
offending element (``None`` only when the whole input is at fault: too large).

Cross-programme checks are the caller's: ``parse_program_with_lines`` also returns the line of
each programme ``ref``, so the importer can raise
``ProgramDefinitionError(f"unknown programme ref '{ref}'", line=parsed.ref_lines[ref])`` for a
ref it does not know, and the same for a ref that closes a cycle through other programmes
(``rules.find_cycle``).

Defaults: absent attributes take the contract's defaults (``lang="en"``,
``achievement-type="MicroCredential"``, ``completion="passing"``, leaf ``credits=0``,
``runs="any"``), so an attribute spelled out with its default reads back equal to an absent one.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .. import rules
from .checks import check_definition
from .errors import ProgramDefinitionError
from .hardened import MAX_BYTES, load_xml
from .model import ProgramDefinition
from .reader import line_of, read_program
from .schema import validate


@dataclass(frozen=True)
class ParsedProgram:
    """A definition and the source line of the first leaf for each programme it stacks on."""

    definition: ProgramDefinition
    ref_lines: Mapping[str, int]


def parse_program(xml: bytes | str, *, max_bytes: int = MAX_BYTES) -> ProgramDefinition:
    """Parse and validate one ``<program>`` definition.

    ``xml`` is the document as bytes (its XML declaration gives the encoding) or as text. Raises
    ``ProgramDefinitionError`` for input over ``max_bytes``, a DOCTYPE, malformed XML, a schema
    error or a failed semantic check. Pure: no database, no network, no file access.
    """
    return parse_program_with_lines(xml, max_bytes=max_bytes).definition


def parse_program_with_lines(xml: bytes | str, *, max_bytes: int = MAX_BYTES) -> ParsedProgram:
    """Like ``parse_program``, also returning where each programme ``ref`` is in the source."""
    root = load_xml(xml, max_bytes=max_bytes)
    if root.tag != "program":
        raise ProgramDefinitionError(f"the root element must be <program>, not <{root.tag}>",
                                     line=line_of(root))
    validate(root)
    definition, lines = read_program(root)
    check_definition(definition, lines)
    return ParsedProgram(definition=definition, ref_lines=_ref_lines(definition, lines.nodes))


def _ref_lines(definition: ProgramDefinition, nodes: Mapping[str, int]) -> dict[str, int]:
    found: dict[str, int] = {}
    for path, node in rules.iter_nodes(definition.requirements):
        if isinstance(node, rules.ProgramLeaf):
            found.setdefault(node.ref, nodes[path])
    return found
