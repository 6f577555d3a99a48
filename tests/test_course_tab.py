"""The course tab: declared as an ``openedx.course_tab`` entry point named after its type,
importable without edx-platform, shown in courses of a published programme only."""
import subprocess
import sys
from importlib.metadata import entry_points
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse
from opaque_keys.edx.keys import CourseKey

from openedx_microcred import api
from openedx_microcred.course_tab import MicrocredCourseTab

from .conftest import program_xml

pytestmark = pytest.mark.django_db

IN = "course-v1:DemoX+TAB1+2026"
OUT = "course-v1:DemoX+OTHER+2026"


def course(key: str) -> SimpleNamespace:
    return SimpleNamespace(id=CourseKey.from_string(key))


def test_the_entry_point_names_the_tab_type():
    [entry] = [e for e in entry_points(group="openedx.course_tab") if e.name == "microcred"]
    assert entry.load() is MicrocredCourseTab
    assert MicrocredCourseTab.type == "microcred" and MicrocredCourseTab.is_dynamic


def test_the_tab_module_imports_without_edx_platform():
    code = ("import django, os, sys; os.environ.setdefault('DJANGO_SETTINGS_MODULE', "
            "'sandbox.settings'); django.setup(); import openedx_microcred.course_tab as t; "
            "assert not {'lms', 'common', 'xmodule', 'openedx'} & set(sys.modules); "
            "print(t.MicrocredCourseTab.__mro__[1].__name__)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "StandaloneCourseTab"


def test_shown_in_courses_of_a_published_programme_to_signed_in_users(learner):
    api.import_program(program_xml("tabbed", f'<course key="{IN}">Tabbed</course>'))
    assert MicrocredCourseTab.is_enabled(course(IN), user=learner)
    assert MicrocredCourseTab.is_enabled(course("course-v1:DemoX+TAB1+2027"), user=learner)
    assert not MicrocredCourseTab.is_enabled(course(OUT), user=learner)
    ccx = SimpleNamespace(id=CourseKey.from_string("ccx-v1:DemoX+TAB1+2026+ccx@3"))
    assert MicrocredCourseTab.is_enabled(ccx, user=learner)  # a CCX counts as its master
    assert not MicrocredCourseTab.is_enabled(course(IN), user=AnonymousUser())


def test_a_draft_programme_shows_no_tab(learner):
    api.import_program(program_xml("draft", f'<course key="{IN}">Draft</course>'), publish=False)
    assert not MicrocredCourseTab.is_enabled(course(IN), user=learner)


def test_the_tab_links_to_the_course_page():
    tab = MicrocredCourseTab({"type": "microcred"})
    assert tab.link_func(course(IN), reverse) == f"/microcred/courses/{IN}/"
    assert tab.name == "Micro-credentials"
