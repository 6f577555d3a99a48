"""
The "Micro-credentials" course tab (the ``openedx.course_tab`` entry point, named after the
tab's ``type``): shown in courses that belong to a published programme, linking to
``/microcred/courses/<course_key>/`` with the learner's progress in those programmes.

DO NOT import edx-platform here: the base class comes from the platform adapter
(``EnrolledTab`` inside the LMS, a stand-in elsewhere), so this module imports anywhere.
"""
from django.utils.translation import gettext_noop

from . import api, platform


class MicrocredCourseTab(platform.course_tab_base()):  # type: ignore[misc]
    """A dynamic tab: not stored in the course's tab list, enabled per course and user."""

    type = "microcred"
    title = gettext_noop("Micro-credentials")
    priority = 85
    view_name = "openedx_microcred:course-programmes"
    is_dynamic = True
    is_hideable = False
    is_default = False

    @classmethod
    def is_enabled(cls, course, user=None) -> bool:
        """Enrolled learners and staff (the base class decides), in a course that belongs to at
        least one published programme."""
        if not super().is_enabled(course, user=user):
            return False
        return api.course_in_programme(str(course.id))
