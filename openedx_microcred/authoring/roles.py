"""Org roles of the ``standalone`` platform backend (``OrgRole`` rows): granting and revoking.

Inside edx-platform the platform's own org roles decide and these rows are not read.
"""
from __future__ import annotations

from django.contrib.auth import get_user_model

from ..models import OrgRole


def grant(*, username: str, org: str, role: str) -> bool:
    """Give ``username`` ``role`` (author or viewer) for ``org``; True when it changed anything.

    Raises ``LookupError`` for an unknown username, ``ValueError`` for an unknown role or an
    empty org.
    """
    if role not in (OrgRole.AUTHOR, OrgRole.VIEWER):
        raise ValueError(f"role must be {OrgRole.AUTHOR} or {OrgRole.VIEWER}, not {role!r}")
    if not org.strip():
        raise ValueError("the org must not be empty")
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise LookupError(f"no user '{username}'")
    row, created = OrgRole.objects.get_or_create(user=user, org=org.strip(),
                                                 defaults={"role": role})
    if created or row.role == role:
        return created
    row.role = role
    row.save(update_fields=["role"])
    return True


def revoke(*, username: str, org: str) -> bool:
    """Take ``username``'s role for ``org`` away; True when they had one."""
    deleted, _ = OrgRole.objects.filter(user__username=username, org=org.strip()).delete()
    return bool(deleted)
