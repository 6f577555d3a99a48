"""Sandbox URLs: the admin, sign-in, a home page, and the plugin's URLs from its entry point."""
import os

from django.contrib import admin
from django.urls import include, path
from edx_django_utils.plugins import get_plugin_url_patterns

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),  # the LMS's sign-in, stood in for
] + get_plugin_url_patterns(os.environ.get("MICROCRED_PROJECT_TYPE", "lms.djangoapp"))
