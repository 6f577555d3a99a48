"""
The plugin's Django app: loaded by the LMS and Studio through ``lms.djangoapp`` and
``cms.djangoapp`` entry points (edx-django-utils), never listed in INSTALLED_APPS by hand.
"""
from django.apps import AppConfig
from edx_django_utils.plugins.constants import (
    PluginSettings,
    PluginSignals,
    PluginURLs,
)

LMS = "lms.djangoapp"
CMS = "cms.djangoapp"

_LEARNING_SIGNALS = "openedx_events.learning.signals."

# (receiver function in receivers.py, openedx-events signal)
RECEIVERS = [
    ("on_course_passing_status", "COURSE_PASSING_STATUS_UPDATED"),
    ("on_ccx_course_passing_status", "CCX_COURSE_PASSING_STATUS_UPDATED"),
    ("on_certificate_created", "CERTIFICATE_CREATED"),
    ("on_certificate_changed", "CERTIFICATE_CHANGED"),
    ("on_certificate_revoked", "CERTIFICATE_REVOKED"),
    ("on_persistent_grade_summary", "PERSISTENT_GRADE_SUMMARY_CHANGED"),
    ("on_badge_awarded", "BADGE_AWARDED"),
    ("on_badge_revoked", "BADGE_REVOKED"),
]


def _settings_config():
    return {
        "common": {PluginSettings.RELATIVE_PATH: "settings.common"},
        "production": {PluginSettings.RELATIVE_PATH: "settings.production"},
        "test": {PluginSettings.RELATIVE_PATH: "settings.test"},
    }


def _signals_config():
    # Course completions are LMS events: Studio authors programmes but evaluates nothing.
    return {
        PluginSignals.RELATIVE_PATH: "receivers",
        PluginSignals.RECEIVERS: [
            {
                PluginSignals.RECEIVER_FUNC_NAME: func,
                PluginSignals.SIGNAL_PATH: _LEARNING_SIGNALS + signal,
                PluginSignals.DISPATCH_UID: f"openedx_microcred.receivers.{func}",
            }
            for func, signal in RECEIVERS
        ],
    }


class MicrocredConfig(AppConfig):
    """App configuration, with the ``plugin_app`` contract edx-django-utils reads."""

    name = "openedx_microcred"
    label = "openedx_microcred"
    verbose_name = "Micro-credentials"
    default_auto_field = "django.db.models.BigAutoField"

    plugin_app = {
        PluginURLs.CONFIG: {
            project: {
                PluginURLs.NAMESPACE: "openedx_microcred",
                PluginURLs.REGEX: r"^",
                # Studio also serves the authoring app (/microcred/studio/)
                PluginURLs.RELATIVE_PATH: relative_path,
            }
            for project, relative_path in ((LMS, "urls"), (CMS, "cms_urls"))
        },
        PluginSettings.CONFIG: {LMS: _settings_config(), CMS: _settings_config()},
        PluginSignals.CONFIG: {
            LMS: _signals_config(),
            CMS: {PluginSignals.RELATIVE_PATH: "receivers", PluginSignals.RECEIVERS: []},
        },
    }

    def ready(self):
        """Register the system checks that validate every MICROCRED_* setting at start-up."""
        from . import checks  # noqa: F401  (registers with django.core.checks on import)
