"""Sandbox URLs: the admin, a home page, a sign-in page, and the plugin's URLs (entry point)."""
import os

from django.contrib import admin
from django.urls import include, path
from edx_django_utils.plugins import get_plugin_url_patterns

from . import views


def patterns(project_type: str) -> list:
    """The URLs of the stand-in LMS (``lms.djangoapp``) or Studio (``cms.djangoapp``)."""
    return [
        path("", views.home, name="home"),
        path("admin/", admin.site.urls),
        # The LMS and Studio sign users in through their own pages; these stand in for them.
        path("accounts/", include("django.contrib.auth.urls")),
    ] + get_plugin_url_patterns(project_type)


urlpatterns = patterns(os.environ.get("MICROCRED_PROJECT_TYPE", "lms.djangoapp"))
