"""The authoring errors, by what the caller should do about them."""
from __future__ import annotations


class StaleRevision(Exception):
    """The programme changed since the author read it: re-read, merge, retry (HTTP 409)."""

    def __init__(self, program_id: str, *, expected: int, current: int):
        self.program_id, self.expected, self.current = program_id, expected, current
        super().__init__(f"programme '{program_id}' is at revision {current}, not {expected}: "
                         f"someone else changed it; reload it and apply your change again")


class ProgramStateError(Exception):
    """The programme's state does not allow the action (HTTP 409), e.g. deleting a published
    programme or publishing without a draft."""


class ProgramExists(ProgramStateError):
    """A programme with this id exists already (create refused; edit it instead)."""


class CourseAccessDenied(PermissionError):
    """The author lacks Studio write access to courses the definition adds (HTTP 403)."""

    def __init__(self, course_keys: list[str]):
        self.course_keys = course_keys
        super().__init__("you need Studio write access to add these courses: "
                         + ", ".join(course_keys))


class OrgAccessDenied(PermissionError):
    """The user may not author this org's programmes (HTTP 403)."""
