"""Production settings: operators override MICROCRED_* through the LMS/CMS YAML (``ENV_TOKENS``)."""
from .common import DEFAULTS


def plugin_settings(settings):
    """Take MICROCRED_* values from the deployment's ENV_TOKENS where given."""
    tokens = getattr(settings, "ENV_TOKENS", {}) or {}
    for name in DEFAULTS:
        if name in tokens:
            setattr(settings, name, tokens[name])
