"""The plugin loads through its installed entry points, as edx-platform loads it."""
import types
import weakref
from importlib.metadata import entry_points

import pytest
from django.urls import resolve
from edx_django_utils.plugins import (
    add_plugins,
    connect_plugin_receivers,
    get_plugin_apps,
    get_plugin_url_patterns,
)
from openedx_events.learning import signals

from openedx_microcred import receivers
from openedx_microcred.apps import RECEIVERS
from openedx_microcred.settings.common import DEFAULTS

PROJECTS = ["lms.djangoapp", "cms.djangoapp"]


def _connected(signal, func) -> int:
    """How many times ``func`` is connected to ``signal``."""
    signal._clear_dead_receivers()
    return sum(1 for _, ref, *rest in signal.receivers if _deref(ref) is func)


def _deref(ref):
    return ref() if isinstance(ref, weakref.ReferenceType) else ref


@pytest.mark.parametrize("project", PROJECTS)
def test_entry_point_is_installed(project):
    names = {ep.name: ep.value for ep in entry_points(group=project)}
    assert names["openedx_microcred"] == "openedx_microcred.apps:MicrocredConfig"


@pytest.mark.parametrize("project", PROJECTS)
def test_get_plugin_apps_finds_the_app(project):
    assert "openedx_microcred.apps.MicrocredConfig" in get_plugin_apps(project)


@pytest.mark.parametrize("project", PROJECTS)
@pytest.mark.parametrize("settings_type", ["common", "production", "test"])
def test_add_plugins_injects_settings(project, settings_type, monkeypatch):
    module = types.ModuleType("fake_lms_settings")
    module.ENV_TOKENS = {"MICROCRED_REVOKE_ON_REGRESSION": True}
    module.MICROCRED_BACKFILL_BATCH_SIZE = 7  # a deployment's own value is kept
    monkeypatch.setitem(__import__("sys").modules, "fake_lms_settings", module)
    add_plugins("fake_lms_settings", project, "common")
    add_plugins("fake_lms_settings", project, settings_type)
    for name in DEFAULTS:
        assert hasattr(module, name), name
    assert module.MICROCRED_BACKFILL_BATCH_SIZE == 7
    assert module.MICROCRED_REVOKE_ON_REGRESSION is (settings_type == "production")


@pytest.mark.parametrize("project", PROJECTS)
def test_url_patterns_mount_the_learner_page(project):
    patterns = get_plugin_url_patterns(project)
    assert patterns, "no URL patterns from the plugin"
    match = resolve("/microcred/")
    assert match.namespace == "openedx_microcred"
    assert match.url_name == "learner-dashboard"


def test_lms_connects_each_receiver_exactly_once():
    # The sandbox already connected them at start-up; connecting again (as a second ready() or a
    # re-import would) must not double them.
    connect_plugin_receivers("lms.djangoapp")
    connect_plugin_receivers("lms.djangoapp")
    for func_name, signal_name in RECEIVERS:
        signal = getattr(signals, signal_name)
        assert _connected(signal, getattr(receivers, func_name)) == 1, signal_name


def test_cms_connects_no_completion_receiver():
    # Disconnect the sandbox's LMS connections first: dispatch_uid would hide a CMS duplicate.
    for func, name in RECEIVERS:
        getattr(signals, name).disconnect(dispatch_uid=f"openedx_microcred.receivers.{func}")
    try:
        connect_plugin_receivers("cms.djangoapp")
        connected = {name: _connected(getattr(signals, name), getattr(receivers, func))
                     for func, name in RECEIVERS}
        assert set(connected.values()) == {0}
    finally:
        connect_plugin_receivers("lms.djangoapp")
    assert all(_connected(getattr(signals, name), getattr(receivers, func)) == 1
               for func, name in RECEIVERS)
