"""
Standalone backend: Django's auth user and settings, for the sandbox and tests.

Permissions: ``is_staff`` users are global staff; org roles (author, viewer) are ``OrgRole`` rows
in the plugin's database (admin, ``manage.py microcred_grant``). Studio write access to a course
run means authoring its org. Courses: the runs the plugin already knows — those named by any
programme version and those learners have completions in (there is no course catalogue).
"""
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


def org_role(user, org: str) -> str | None:
    """Staff: author of every org; otherwise the user's ``OrgRole`` for ``org``."""
    from ..models import OrgRole

    if user.is_staff or user.is_superuser:
        return "author"
    return OrgRole.objects.filter(user=user, org=org).values_list("role", flat=True).first()


def can_write_course(user, course_key: str) -> bool:
    """Authors of the course's org may write to it."""
    org = _org_of(course_key)
    return bool(org) and org_role(user, org) == "author"


def search_courses(query: str, *, orgs=None, limit: int = 20):
    """The known course runs whose key or title contains ``query``."""
    needle = (query or "").casefold()
    found = [course for course in _known_courses().values()
             if (orgs is None or course.org in orgs)
             and (needle in course.course_key.casefold() or needle in course.title.casefold())]
    return sorted(found, key=lambda course: course.course_key)[:limit]


def course_exists(course_key: str) -> bool:
    """Whether some programme version or completion names the run."""
    from ..models import CourseCompletion

    if CourseCompletion.objects.filter(counted_key=course_key).exists():
        return True
    return course_key in _known_courses()


def known_orgs() -> set[str]:
    """Orgs of programmes, completions and org roles."""
    from ..models import CourseCompletion, OrgRole, Program

    orgs = set(Program.objects.values_list("org", flat=True).distinct())
    orgs |= set(CourseCompletion.objects.values_list("org", flat=True).distinct())
    return orgs | set(OrgRole.objects.values_list("org", flat=True).distinct())


def _known_courses() -> dict:
    """Course key → ``CourseSummary`` of every run in a programme version or a completion."""
    from .. import rules
    from ..definitions import ProgramDefinitionError, parse_program
    from ..models import CourseCompletion, ProgramVersion
    from . import CourseSummary

    known: dict = {}
    for xml in ProgramVersion.objects.values_list("definition_xml", flat=True):
        try:
            definition = _parsed(xml, parse_program)
        except ProgramDefinitionError:
            continue
        for leaf in rules.iter_leaves(definition.requirements):
            if isinstance(leaf, rules.CourseLeaf) and leaf.key not in known:
                known[leaf.key] = CourseSummary(leaf.key, leaf.title, leaf.org)
    keys = CourseCompletion.objects.values_list("counted_key", "org").distinct()
    for key, org in keys:
        known.setdefault(key, CourseSummary(key, "", org))
    return known


_PARSED: dict = {}


def _parsed(xml: str, parse):
    """Definitions by their text: stored versions are canonical, so equal text is equal."""
    definition = _PARSED.get(xml)
    if definition is None:
        if len(_PARSED) > 1000:
            _PARSED.clear()
        definition = _PARSED[xml] = parse(xml)
    return definition


def _org_of(course_key: str) -> str:
    from opaque_keys import InvalidKeyError
    from opaque_keys.edx.keys import CourseKey

    try:
        return str(CourseKey.from_string(course_key).org)
    except InvalidKeyError:
        return ""


def api_authentication_classes() -> list[type]:
    """edx-drf-extensions' JWT (header or cookie) and session authentication."""
    from edx_rest_framework_extensions.auth.jwt.authentication import JwtAuthentication
    from edx_rest_framework_extensions.auth.session.authentication import (
        SessionAuthenticationAllowInactiveUser,
    )

    return [JwtAuthentication, SessionAuthenticationAllowInactiveUser]
