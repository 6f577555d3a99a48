"""
The one door to edx-platform internals (eox-core style backends).

DO NOT import edx-platform modules anywhere else: the plugin must run and be tested without the
platform. Code calls the functions here; ``MICROCRED_PLATFORM_BACKEND`` names the module that
implements them (``standalone`` by default, ``edxapp`` inside the LMS/Studio).
"""
from __future__ import annotations

from importlib import import_module
from types import ModuleType

from ..conf import setting

__all__ = ["get_user_display_name", "get_user_email", "get_users_contact", "get_lms_root_url",
           "api_authentication_classes", "backend"]


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


def api_authentication_classes() -> tuple[type, ...]:
    """The DRF authentication classes of every REST endpoint, in order (OPENEDX.md "REST APIs")."""
    return tuple(backend().api_authentication_classes())
