"""
Object permissions of the course-team endpoints (on top of ``IsAuthenticated``).

The object is anything with an ``org`` (a ``ProgramData``, or the org of a credential's
programme). Reading needs a role in the org (author or viewer); changing needs author. A view
whose POST only reads (validate, preview) sets ``changes_state = False``. What each role may do
is decided by the platform adapter (``api.get_org_role``), never here.
"""
from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission

from ... import api


class CanAuthorOrg(BasePermission):
    """Viewers and authors of the object's org may read; authors may change."""

    message = "You have no course-team role that allows this for this programme's org."

    def has_object_permission(self, request, view, obj) -> bool:
        role = api.get_org_role(user=request.user, org=obj.org)
        if request.method in SAFE_METHODS or not getattr(view, "changes_state", True):
            return role in (api.AUTHOR, api.VIEWER)
        return role == api.AUTHOR
