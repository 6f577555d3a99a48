"""Standalone backend: Django's auth user and settings, for the sandbox and tests."""
from __future__ import annotations

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives

from ..conf import setting


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


HTML_DOCUMENT = ('<!DOCTYPE html><html><head><meta charset="utf-8">'
                 '<meta name="viewport" content="width=device-width, initial-scale=1"></head>'
                 '<body style="margin:0">{body}</body></html>')


def get_user_language(user_id: int) -> str:
    """The learner's ``pref-lang`` in MICROCRED_STANDALONE_PREFERENCE_MODEL when one is named
    and set, else the site's ``LANGUAGE_CODE``."""
    label = setting("MICROCRED_STANDALONE_PREFERENCE_MODEL")
    if label:
        value = (apps.get_model(label).objects.filter(user_id=user_id, key="pref-lang")
                 .values_list("value", flat=True).first())
        if value:
            return value
    return str(getattr(settings, "LANGUAGE_CODE", "") or "")


def send_learner_email(message) -> None:
    """Django's configured mail backend (``mail.outbox`` in tests, console or file in the demo):
    a plain-text body with an HTML alternative."""
    email = EmailMultiAlternatives(
        subject=message.subject, body=message.text,
        from_email=message.from_email or None, to=[message.to], headers=dict(message.headers))
    email.attach_alternative(HTML_DOCUMENT.format(body=message.html), "text/html")
    email.send(fail_silently=False)


class StandaloneCourseTab:
    """What the LMS's ``CourseTab`` offers a tab plugin (``xmodule.tabs``): built from a
    ``tab_dict``; ``link_func(course, reverse_func)`` reverses ``view_name`` with the course id.
    Enabled for any signed-in user (the sandbox has no enrolments)."""

    type = ""
    title: str | None = None
    priority: int | None = None
    view_name: str | None = None
    is_dynamic = False
    is_hideable = False
    is_default = True

    def __init__(self, tab_dict: dict):
        self.tab_dict = tab_dict
        self.name = tab_dict.get("name", self.title)
        self.tab_id = tab_dict.get("tab_id", self.type)

    @property
    def link_func(self):
        """``link(course, reverse_func)`` → the tab's URL for ``course``."""
        view_name = self.view_name
        return self.tab_dict.get("link_func", lambda course, reverse_func: reverse_func(
            view_name, args=[str(course.id)]))

    @classmethod
    def is_enabled(cls, course, user=None) -> bool:
        """Whether to show the tab: a signed-in user."""
        return bool(user is not None and user.is_authenticated)


def course_tab_base() -> type:
    """The stand-in for edx-platform's ``EnrolledTab``."""
    return StandaloneCourseTab
