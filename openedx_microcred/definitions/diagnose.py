"""
Every problem in an XML definition at once, for authors (the REST ``validate`` dry run).

``parse_program`` stops at the first problem, as an importer should; an author fixing a draft
wants them all. The stages still run in order — a document that is not well-formed has no schema
errors to report, and the semantic checks need a schema-valid tree — so the list holds every
problem of the first stage that found any.
"""
from __future__ import annotations

from .errors import Problem, ProgramDefinitionError
from .hardened import MAX_BYTES
from .parser import parse_program_with_lines


def find_problems(xml: bytes | str, *, max_bytes: int = MAX_BYTES) -> list[Problem]:
    """Every problem of ``xml`` (empty when ``parse_program`` would accept it): each stage of
    the parser reports all of its problems at once (``ProgramDefinitionError.problems``)."""
    try:
        parse_program_with_lines(xml, max_bytes=max_bytes)
    except ProgramDefinitionError as error:
        return list(error.problems)
    return []
