"""Errors raised for bad programme definitions."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a definition: ``message``, and where.

    ``line`` is the 1-based line in an XML definition, ``path`` a JSON Pointer (RFC 6901) into a
    JSON definition (``/requirements/children/0/credits``); either or both may be None when the
    whole input is at fault.
    """

    message: str
    line: int | None = None
    path: str | None = None

    def to_json(self) -> dict:
        """``{"line": …, "path": …, "message": …}``, the shape the REST API answers with."""
        return {"line": self.line, "path": self.path, "message": self.message}


class ProgramDefinitionError(ValueError):
    """A programme definition is invalid.

    ``line`` is the 1-based line of the offending element when known (for a start tag spread
    over several lines, libxml2 gives the line of its closing ``>``), ``None`` when the whole
    input is at fault (too large); ``str(error)`` reads
    ``"line 12: min-count 3 is more than the group's 2 children"``. ``path`` is the JSON Pointer
    of the offending member of a JSON definition. ``problems`` lists every problem found (the
    first is the one the message names); callers that stop at the first have just that one.
    """

    def __init__(self, message: str, *, line: int | None = None, path: str | None = None,
                 problems: Iterable[Problem] = ()):
        self.message = message
        self.line = line
        self.path = path
        self.problems: tuple[Problem, ...] = tuple(problems) or (Problem(message, line, path),)
        self.errors = list(self.problems)  # what the REST error handler lists
        super().__init__(f"line {line}: {message}" if line else
                         (f"{path}: {message}" if path else message))

    @classmethod
    def from_problems(cls, problems: Iterable[Problem]) -> ProgramDefinitionError:
        """One error for several problems (at least one), named after the first."""
        found = tuple(problems)
        first = found[0]
        return cls(first.message, line=first.line, path=first.path, problems=found)
