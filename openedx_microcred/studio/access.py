"""Who may see which Studio page: the org permissions of the platform adapter, for pages."""
from __future__ import annotations

from .. import api


def authorable_orgs(user) -> list[str]:
    """The orgs whose programmes ``user`` may author, sorted."""
    return sorted(api.get_authorable_orgs(user=user))


def may_view_program(user, program_id: str) -> bool:
    """Whether ``user`` may open programme ``program_id`` (False when it does not exist)."""
    return api.may_view_program(user=user, program_id=program_id)


def may_view_course(user, course_key: str) -> bool:
    """Whether ``user`` may see the programmes of ``course_key``: an org role on its org."""
    return api.may_view_course(user=user, course_key=course_key)
