"""Standalone backend: Django's auth user and settings, for the sandbox and tests."""
from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model


def get_user_display_name(user_id: int) -> str:
    """``first last`` when set, else the username ("" for an unknown id)."""
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def get_user_email(user_id: int) -> str:
    """The user's email ("" for an unknown id)."""
    return get_user_model().objects.filter(pk=user_id).values_list("email", flat=True).first() or ""


def get_users_contact(user_ids: set[int]) -> dict[int, tuple[str, str]]:
    """``first last`` (else the username) and email, by user id."""
    rows = get_user_model().objects.filter(pk__in=user_ids).values_list(
        "pk", "first_name", "last_name", "username", "email")
    return {pk: (f"{first} {last}".strip() or username, email)
            for pk, first, last, username, email in rows}


def get_lms_root_url() -> str:
    """``settings.LMS_ROOT_URL`` when configured."""
    return getattr(settings, "LMS_ROOT_URL", "")


def api_authentication_classes() -> list[type]:
    """edx-drf-extensions' JWT (header or cookie) and session authentication."""
    from edx_rest_framework_extensions.auth.jwt.authentication import JwtAuthentication
    from edx_rest_framework_extensions.auth.session.authentication import (
        SessionAuthenticationAllowInactiveUser,
    )

    return [JwtAuthentication, SessionAuthenticationAllowInactiveUser]
