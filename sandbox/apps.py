"""The sandbox app: connects plugin receivers once Django is ready, as edx-platform does."""
import os

from django.apps import AppConfig
from django.db.backends.signals import connection_created
from edx_django_utils.plugins import connect_plugin_receivers


def _tune_sqlite(sender, connection, **kwargs):
    """WAL and relaxed fsync for the sandbox's SQLite file: a demo database, not a ledger."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")


class SandboxConfig(AppConfig):
    """Stands in for the LMS's own app that connects plugin receivers."""

    name = "sandbox"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        connect_plugin_receivers(os.environ.get("MICROCRED_PROJECT_TYPE", "lms.djangoapp"))
        connection_created.connect(_tune_sqlite, dispatch_uid="sandbox.tune_sqlite")
