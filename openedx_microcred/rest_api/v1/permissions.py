"""
Permissions of the v1 endpoints beyond the base's ``IsAuthenticated``.

Course-team endpoints: the object is anything with an ``org`` (a ``ProgramData``, or the org of a
credential's programme). Reading needs a role in the org (author or viewer); changing needs
author. A view whose POST only reads (validate, preview) sets ``changes_state = False``. What
each role may do is decided by the platform adapter (``api.get_org_role``), never here.
"""
from __future__ import annotations

from edx_rest_framework_extensions.permissions import NotJwtRestrictedApplication
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated

from ... import api

__all__ = ["CanAuthorOrg", "LEARNER_DATA"]

#: A learner's own data (``me/…``): a signed-in user, and never through a JWT of a restricted
#: application (a client-credentials token acting for an unknown user), as edx-platform guards
#: learner data. Objects are looked up within the requesting learner's own rows, so another
#: learner's id is a 404, not a 403 (its existence is not disclosed).
LEARNER_DATA = (IsAuthenticated, NotJwtRestrictedApplication)


class CanAuthorOrg(BasePermission):
    """Viewers and authors of the object's org may read; authors may change."""

    message = "You have no course-team role that allows this for this programme's org."

    def has_object_permission(self, request, view, obj) -> bool:
        role = api.get_org_role(user=request.user, org=obj.org)
        if request.method in SAFE_METHODS or not getattr(view, "changes_state", True):
            return role in (api.AUTHOR, api.VIEWER)
        return role == api.AUTHOR
