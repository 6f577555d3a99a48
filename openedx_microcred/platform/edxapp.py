"""
edx-platform backend: used inside the LMS/Studio (``MICROCRED_PLATFORM_BACKEND``).

Imports of platform modules happen inside the functions so that this module can be imported
(and its absence of side effects checked) without edx-platform installed.
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
