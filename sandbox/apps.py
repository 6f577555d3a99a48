"""The sandbox app: connects plugin receivers once Django is ready, as edx-platform does."""
import os

from django.apps import AppConfig
from edx_django_utils.plugins import connect_plugin_receivers


class SandboxConfig(AppConfig):
    """Stands in for the LMS's own app that connects plugin receivers."""

    name = "sandbox"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        connect_plugin_receivers(os.environ.get("MICROCRED_PROJECT_TYPE", "lms.djangoapp"))
