"""
Every problem in an XML definition at once, for authors (the REST ``validate`` dry run).

``parse_program`` stops at the first problem, as an importer should; an author fixing a draft
wants them all. The stages still run in order — a document that is not well-formed has no schema
errors to report, and the semantic checks need a schema-valid tree — so the list holds every
problem of the first stage that found any.
"""
from __future__ import annotations

from .checks import definition_problems
from .errors import Problem, ProgramDefinitionError
from .hardened import MAX_BYTES, load_xml
from .reader import line_of, read_program
from .schema import schema_problems


def find_problems(xml: bytes | str, *, max_bytes: int = MAX_BYTES) -> list[Problem]:
    """Every problem of ``xml`` (empty when ``parse_program`` would accept it)."""
    try:
        root = load_xml(xml, max_bytes=max_bytes)
    except ProgramDefinitionError as error:
        return list(error.problems)
    if root.tag != "program":
        return [Problem(f"the root element must be <program>, not <{root.tag}>",
                        line=line_of(root))]
    problems = schema_problems(root)
    if problems:
        return problems
    try:
        definition, lines = read_program(root)
    except ProgramDefinitionError as error:
        return list(error.problems)
    return definition_problems(definition, lines)
