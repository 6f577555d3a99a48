"""Who may see which Studio page: the org roles of the platform adapter, through ``api``."""
from __future__ import annotations

from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey

from .. import api


def authorable_orgs(user) -> list[str]:
    """The orgs in which ``user`` may create programmes (author role), sorted."""
    return sorted(row.org for row in api.list_org_roles(user=user) if row.role == api.AUTHOR)


def program_role(user, program_id: str) -> str | None:
    """``api.AUTHOR`` or ``api.VIEWER`` in the org of ``program_id``, else None (also when the
    programme does not exist, so a refused user cannot tell the two apart)."""
    try:
        program = api.get_program(program_id=program_id)
    except api.ProgramNotFound:
        return None
    role = api.get_org_role(user=user, org=program.org)
    return role if role in (api.AUTHOR, api.VIEWER) else None


def may_view_course(user, course_key: str) -> bool:
    """Whether ``user`` has a role in the org of the course run ``course_key``."""
    try:
        org = str(CourseKey.from_string(course_key).org)
    except InvalidKeyError:
        return False
    return api.get_org_role(user=user, org=org) in (api.AUTHOR, api.VIEWER)
