"""Errors raised for bad programme definitions."""
from __future__ import annotations


class ProgramDefinitionError(ValueError):
    """A programme definition is invalid.

    ``line`` is the 1-based line of the offending element when known (for a start tag spread
    over several lines, libxml2 gives the line of its closing ``>``), ``None`` when the whole
    input is at fault (too large); ``str(error)`` reads
    ``"line 12: min-count 3 is more than the group's 2 children"``.
    """

    def __init__(self, message: str, *, line: int | None = None):
        self.message = message
        self.line = line
        super().__init__(f"line {line}: {message}" if line else message)
