"""
Programme definitions: the XML contract of DESIGN §3.

``parse_program(xml)`` validates (XML Schema + semantic checks) through a hardened parser and
returns a ``ProgramDefinition``; ``serialize_program(definition)`` writes the canonical XML back.
``definition_to_json`` / ``parse_program_json`` are the JSON form of the same contract
(``program.schema.json``), and ``find_problems(xml)`` lists every problem of a draft at once.
Both are pure (no database): checks that need other programmes (unknown ``ref``, cycles across
programmes) are made by the importer in ``openedx_microcred.programs``, with the lines that
``parse_program_with_lines`` returns in ``ParsedProgram.ref_lines``.
"""
from .diagnose import find_problems
from .errors import Problem, ProgramDefinitionError
from .hardened import MAX_BYTES
from .jsonform import (
    definition_to_json,
    json_schema,
    json_schema_bytes,
    parse_program_json,
)
from .model import Issuer, Level, ProgramDefinition
from .parser import ParsedProgram, parse_program, parse_program_with_lines
from .schema import schema_bytes
from .serializer import serialize_program

__all__ = [
    "ProgramDefinitionError", "ProgramDefinition", "Issuer", "Level",
    "MAX_BYTES", "ParsedProgram", "parse_program", "parse_program_with_lines",
    "schema_bytes", "serialize_program", "Problem", "find_problems", "definition_to_json",
    "json_schema", "json_schema_bytes", "parse_program_json",
]
