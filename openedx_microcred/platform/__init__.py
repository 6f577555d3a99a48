"""
The one door to edx-platform internals (eox-core style backends).

DO NOT import edx-platform modules anywhere else: the plugin must run and be tested without the
platform. Code calls the functions here; ``MICROCRED_PLATFORM_BACKEND`` names the module that
implements them (``standalone`` by default, ``edxapp`` inside the LMS/Studio).
"""
from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from types import ModuleType

from ..conf import setting

__all__ = ["get_user_display_name", "get_user_email", "get_users_contact", "get_lms_root_url",
           "backend", "AUTHOR", "VIEWER", "org_role", "can_write_course", "CourseSummary",
           "search_courses", "course_exists", "api_authentication_classes", "known_orgs"]

AUTHOR = "author"
VIEWER = "viewer"


@dataclass(frozen=True)
class CourseSummary:
    """A course run as the course picker lists it."""

    course_key: str
    title: str
    org: str


def backend() -> ModuleType:
    """The configured backend module (imported once, then cached by ``sys.modules``)."""
    return import_module(setting("MICROCRED_PLATFORM_BACKEND"))


def get_user_display_name(user_id: int) -> str:
    """The learner's full name as shown on certificates (falls back to the username)."""
    return backend().get_user_display_name(user_id)


def get_user_email(user_id: int) -> str:
    """The learner's email address (used only for the hashed credential identifier)."""
    return backend().get_user_email(user_id)


def get_users_contact(user_ids) -> dict[int, tuple[str, str]]:
    """``{user id: (display name, email)}`` for many learners in one query (unknown ids absent)."""
    return backend().get_users_contact(set(user_ids))


def get_lms_root_url() -> str:
    """The LMS root URL, e.g. ``https://lms.example.com`` (empty when unknown)."""
    return backend().get_lms_root_url()


def org_role(user, org: str) -> str | None:
    """``AUTHOR`` when ``user`` may author ``org``'s programmes (global staff, or an org-level
    course-team role), ``VIEWER`` when they may only read them, else None (anonymous users too).
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    return backend().org_role(user, org)


def can_write_course(user, course_key: str) -> bool:
    """Whether ``user`` has Studio write access to the course run ``course_key`` (needed to add
    it to a programme). False for an unparsable key."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return backend().can_write_course(user, course_key)


def search_courses(query: str, *, orgs: list[str] | None = None,
                   limit: int = 20) -> list[CourseSummary]:
    """Course runs whose key or title contains ``query`` (case-insensitive), of ``orgs`` when
    given, at most ``limit``, ordered by key."""
    return backend().search_courses(query, orgs=orgs, limit=limit)


def known_orgs() -> set[str]:
    """The orgs that have courses (or, standalone, programmes, completions or roles)."""
    return set(backend().known_orgs())


def course_exists(course_key: str) -> bool:
    """Whether the platform knows the course run ``course_key``."""
    return backend().course_exists(course_key)


def api_authentication_classes() -> tuple[type, ...]:
    """The DRF authentication classes of every REST endpoint, in order (OPENEDX.md "REST APIs")."""
    return tuple(backend().api_authentication_classes())
