"""
edx-platform backend: used inside the LMS/Studio (``MICROCRED_PLATFORM_BACKEND``).

Imports of platform modules happen inside the functions so that this module can be imported
(and its absence of side effects checked) without edx-platform installed.

Permissions use the platform's own checks (``common.djangoapps.student.roles`` and
``student.auth``), never ``CourseAccessRole`` rows: since Ulmo these checks read openedx-authz
assignments through the platform's compatibility layer, so they stay right as roles move there.
Courses come from the platform's course overviews.
"""
from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model


def get_user_display_name(user_id: int) -> str:
    """The profile name (``UserProfile.name``), else the username."""
    from common.djangoapps.student.models import UserProfile  # pylint: disable=import-error

    name = UserProfile.objects.filter(user_id=user_id).values_list("name", flat=True).first()
    if name:
        return name
    usernames = get_user_model().objects.filter(pk=user_id).values_list("username", flat=True)
    return usernames.first() or ""


def get_user_email(user_id: int) -> str:
    """The account email."""
    return get_user_model().objects.filter(pk=user_id).values_list("email", flat=True).first() or ""


def get_users_contact(user_ids: set[int]) -> dict[int, tuple[str, str]]:
    """The profile name (else the username) and email, by user id: two queries in all."""
    from common.djangoapps.student.models import UserProfile  # pylint: disable=import-error

    names = dict(UserProfile.objects.filter(user_id__in=user_ids).values_list("user_id", "name"))
    rows = get_user_model().objects.filter(pk__in=user_ids).values_list("pk", "username", "email")
    return {pk: (names.get(pk) or username, email) for pk, username, email in rows}


def get_lms_root_url() -> str:
    """The LMS root URL from the platform's settings."""
    return str(getattr(settings, "LMS_ROOT_URL", ""))


def org_role(user, org: str) -> str | None:
    """Global staff, or org staff / org instructor of ``org``: author. Nobody is a mere viewer:
    the platform has no org-level read-only course-team role."""
    from common.djangoapps.student.roles import (  # pylint: disable=import-error
        GlobalStaff,
        OrgInstructorRole,
        OrgStaffRole,
    )

    if GlobalStaff().has_user(user):
        return "author"
    if OrgStaffRole(org).has_user(user) or OrgInstructorRole(org).has_user(user):
        return "author"
    return None


def can_write_course(user, course_key: str) -> bool:
    """``student.auth.has_studio_write_access`` for the course run."""
    from common.djangoapps.student.auth import (  # pylint: disable=import-error
        has_studio_write_access,
    )
    from opaque_keys import InvalidKeyError
    from opaque_keys.edx.keys import CourseKey

    try:
        key = CourseKey.from_string(course_key)
    except InvalidKeyError:
        return False
    return bool(has_studio_write_access(user, key))


def search_courses(query: str, *, orgs=None, limit: int = 20):
    """Course overviews whose id or display name contains ``query``."""
    from django.db.models import Q
    from openedx.core.djangoapps.content.course_overviews.models import (  # pylint: disable=import-error
        CourseOverview,
    )

    from . import CourseSummary

    rows = CourseOverview.objects.all()
    if query:
        rows = rows.filter(Q(id__icontains=query) | Q(display_name__icontains=query))
    if orgs is not None:
        rows = rows.filter(org__in=list(orgs))
    rows = rows.order_by("id").values_list("id", "display_name", "org")[:limit]
    return [CourseSummary(course_key=str(key), title=name or "", org=org)
            for key, name, org in rows]


def known_orgs() -> set[str]:
    """The orgs of the platform's course overviews."""
    from openedx.core.djangoapps.content.course_overviews.models import (  # pylint: disable=import-error
        CourseOverview,
    )

    return set(CourseOverview.objects.values_list("org", flat=True).distinct())


def course_exists(course_key: str) -> bool:
    """Whether a course overview exists for the run."""
    from opaque_keys import InvalidKeyError
    from opaque_keys.edx.keys import CourseKey
    from openedx.core.djangoapps.content.course_overviews.models import (  # pylint: disable=import-error
        CourseOverview,
    )

    try:
        key = CourseKey.from_string(course_key)
    except InvalidKeyError:
        return False
    return CourseOverview.objects.filter(id=key).exists()


def api_authentication_classes() -> list[type]:
    """What edx-platform's own APIs accept: JWT, the LMS's OAuth2 bearer tokens, the session."""
    from edx_rest_framework_extensions.auth.jwt.authentication import JwtAuthentication
    from edx_rest_framework_extensions.auth.session.authentication import (
        SessionAuthenticationAllowInactiveUser,
    )
    from openedx.core.lib.api.authentication import (  # pylint: disable=import-error
        BearerAuthenticationAllowInactiveUser,
    )

    return [JwtAuthentication, BearerAuthenticationAllowInactiveUser,
            SessionAuthenticationAllowInactiveUser]
