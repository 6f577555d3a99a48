"""
Standalone backend: Django's auth user and settings, for the sandbox and tests.

Permissions: ``is_staff`` users are global staff; org roles (author, viewer) are ``OrgRole`` rows
in the plugin's database (admin, ``manage.py microcred_grant``). Studio write access to a course
run means authoring its org. Courses: the runs the plugin already knows — those named by any
programme version and those learners have completions in (there is no course catalogue).
"""
from __future__ import annotations

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives

from ..conf import setting


def get_user_display_name(user_id: int) -> str:
    """``first last`` when set, else "" (never the username; "" for an unknown id too)."""
    user = get_user_model().objects.filter(pk=user_id).first()
    return user.get_full_name().strip() if user is not None else ""


def get_user_email(user_id: int) -> str:
    """The user's email ("" for an unknown id)."""
    return get_user_model().objects.filter(pk=user_id).values_list("email", flat=True).first() or ""


def get_users_contact(user_ids: set[int]) -> dict[int, tuple[str, str]]:
    """``first last`` (else "", never the username) and email, by user id."""
    rows = get_user_model().objects.filter(pk__in=user_ids).values_list(
        "pk", "first_name", "last_name", "email")
    return {pk: (f"{first} {last}".strip(), email) for pk, first, last, email in rows}


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
