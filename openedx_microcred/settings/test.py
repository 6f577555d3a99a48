"""Test settings: the defaults (see ``common``)."""
from .common import plugin_settings  # noqa: F401
