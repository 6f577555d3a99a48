"""Sandbox URLs: the admin, a home page, a sign-in page, and the plugin's URLs (entry point)."""
import os

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import path
from edx_django_utils.plugins import get_plugin_url_patterns

from . import views


def patterns(project_type: str) -> list:
    """The URLs of the stand-in LMS (``lms.djangoapp``) or Studio (``cms.djangoapp``)."""
    return [
        path("", views.home, name="home"),
        path("admin/", admin.site.urls),
        # Studio and the LMS sign users in through their own pages; this one stands in for them
        path("login/", auth_views.LoginView.as_view(template_name="sandbox/login.html"),
             name="login"),
        path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    ] + get_plugin_url_patterns(project_type)


urlpatterns = patterns(os.environ.get("MICROCRED_PROJECT_TYPE", "lms.djangoapp"))
