"""
Tutor plugin for openedx-microcred: installs the pinned package into the openedx image, configures
the LMS and Studio, runs the periodic work and (opt-in) the event-bus consumer as services, creates
issuer keys at ``tutor local do init`` and (opt-in) puts the learner widget and the Studio link in
the MFEs' plugin slots.

Every patch lives in ``patches/`` (one file per Tutor patch name); this module only registers them,
the configuration, the init task and the MFE slots.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from tutor import hooks

from .__about__ import __version__

PATCHES = Path(__file__).parent / "patches"

#: The Celery tasks of openedx-microcred, routed to the LMS workers' queue (the platform adapter
#: needs the LMS). The Tutor tests check this list against the package's tasks module.
TASKS = (
    "openedx_microcred.tasks.evaluate_learner",
    "openedx_microcred.tasks.deliver",
    "openedx_microcred.tasks.sweep_deliveries",
    "openedx_microcred.tasks.notify",
    "openedx_microcred.tasks.sweep_notifications",
    # Publishing from Studio evaluates learners: on the LMS workers too (same database).
    "openedx_microcred.tasks.run_publish_job",
)

#: Topics the LMS produces the events the plugin consumes to (see docs/event-bus.rst).
EVENT_BUS_TOPICS = ("learning-badges-lifecycle", "learning-certificate-lifecycle")

hooks.Filters.CONFIG_DEFAULTS.add_items([
    ("MICROCRED_VERSION", __version__),
    # What the openedx image installs: pinned, or a VCS/wheel URL for a fork.
    ("MICROCRED_PIP_REQUIREMENT", "openedx-microcred=={{ MICROCRED_VERSION }}"),
    ("MICROCRED_CELERY_QUEUE", "edx.lms.core.default"),
    ("MICROCRED_CELERY_TASKS", list(TASKS)),
    # How often (seconds) the sweeper checks which periodic task is due.
    ("MICROCRED_SWEEP_INTERVAL", 10),
    # Earlier key-encryption keys, still used to decrypt (prepend on rotation: docs/keys.rst).
    ("MICROCRED_PREVIOUS_KEY_ENCRYPTION_KEYS", []),
    ("MICROCRED_ENABLE_EVENT_BUS_CONSUMER", False),
    ("MICROCRED_EVENT_BUS_TOPICS", list(EVENT_BUS_TOPICS)),
    ("MICROCRED_EVENT_BUS_GROUP", "openedx-microcred"),
    ("MICROCRED_ENABLE_MFE_SLOTS", False),
])

hooks.Filters.CONFIG_UNIQUE.add_items([
    # A Fernet key is the URL-safe base64 of 32 bytes: 43 characters and one "=". 43 characters
    # drawn from [A-Za-z0-9] (a subset of the URL-safe alphabet) carry 43 * log2(62) > 256 bits,
    # of which the decoder keeps the first 256. Generated once, kept in config.yml.
    ("MICROCRED_KEY_ENCRYPTION_KEY", "{{ 43|random_string }}="),
])

for _path in sorted(PATCHES.iterdir()):
    hooks.Filters.ENV_PATCHES.add_item((_path.name, _path.read_text(encoding="utf-8")))

# After the LMS's own init (migrations): issuer keys for every org that has programmes.
hooks.Filters.CLI_DO_INIT_TASKS.add_item(
    ("lms", "./manage.py lms microcred_bootstrap"), priority=hooks.priorities.LOW)


# -- MFE plugin slots (opt-in: MICROCRED_ENABLE_MFE_SLOTS) ------------------------------------

LEARNER_DASHBOARD_SLOT = "org.openedx.frontend.learner_dashboard.widget_sidebar.v1"
AUTHORING_PAGES_SLOT = "org.openedx.frontend.authoring.additional_course_plugin.v1"

# The learner widget is a server-rendered LMS page in an iframe (no JavaScript build). The
# microcred*Url constants come from the mfe-env-config-runtime-definitions patch, rendered in the
# legacy env.config.jsx and in tutor-mfe's frontend-base compatibility file alike. The type is the
# value of frontend-plugin-framework's IFRAME_PLUGIN constant, which the legacy env.config.jsx
# does not import.
WIDGET_SLOT = """{
  op: PLUGIN_OPERATIONS.Insert,
  widget: {
    id: 'microcred-learner-widget',
    type: 'IFRAME_PLUGIN',
    priority: 50,
    url: `${microcredLmsUrl}/microcred/widget/`,
    title: 'Micro-credentials',
  },
}"""

# Pages & Resources passes no props: the course key comes from the URL (/course/<key>/…).
STUDIO_LINK_SLOT = """{
  op: PLUGIN_OPERATIONS.Insert,
  widget: {
    id: 'microcred-studio-link',
    type: DIRECT_PLUGIN,
    priority: 50,
    RenderWidget: () => {
      const match = window.location.pathname.match(/\\/course\\/(course-v1:[^/]+)/);
      if (!match) { return null; }
      const courseKey = encodeURIComponent(decodeURIComponent(match[1]));
      const href = `${microcredStudioUrl}/microcred/studio/courses/${courseKey}/`;
      return (
        <div className="card p-4 mb-4">
          <h3 className="h4">Micro-credentials</h3>
          <p>Programmes this course counts towards, and their credentials.</p>
          <a className="btn btn-outline-primary" href={href}>Open micro-credentials</a>
        </div>
      );
    },
  },
}"""

MFE_SLOTS = (
    ("learner-dashboard", LEARNER_DASHBOARD_SLOT, WIDGET_SLOT),
    ("authoring", AUTHORING_PAGES_SLOT, STUDIO_LINK_SLOT),
)

_loaded_config: dict[str, Any] = {}


@hooks.Actions.CONFIG_LOADED.add()
def _remember_config(config: dict[str, Any]) -> None:
    """PLUGIN_SLOTS entries are static; the opt-in flag is read from the loaded configuration."""
    _loaded_config.clear()
    _loaded_config.update(config)


def _add_mfe_slots() -> None:
    try:
        from tutormfe.hooks import FRONTEND_COMPAT_PLUGINS, PLUGIN_SLOTS
    except ImportError:  # tutor-mfe not installed: no MFEs to configure
        return

    @PLUGIN_SLOTS.add()
    def _slots(items: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
        if _loaded_config.get("MICROCRED_ENABLE_MFE_SLOTS"):
            items.extend(MFE_SLOTS)
        return items

    # MFEs already on frontend-base render these FPF slots through tutor-mfe's compatibility shim.
    FRONTEND_COMPAT_PLUGINS.add_item("microcred")


_add_mfe_slots()
