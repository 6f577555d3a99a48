"""
Sphinx extension: ``.. microcred-settings::`` documents every setting annotated in
``openedx_microcred/settings/common.py`` (the ``microcred_settings_module`` configuration value),
in file order, so a setting added there appears in the documentation without editing it.

The annotations are the Open edX ones (code-annotations' settings format)::

    # .. setting_name: MICROCRED_EXAMPLE
    # .. setting_default: 10
    # .. setting_description: What it does. Continuation lines are indented
    #   by two more spaces.

Any other ``.. setting_<field>:`` (for example ``setting_warning``) is shown too. A setting
without a default or description, or a ``DEFAULTS`` key without annotations, is a warning (an
error in ``make docs``).
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

logger = logging.getLogger(__name__)

ANNOTATION = re.compile(r"^#\s*\.\.\s+setting_(\w+):\s?(.*)$")
CONTINUATION = re.compile(r"^#\s{2,}(\S.*)$")
REQUIRED = ("default", "description")


def parse_annotations(source: str) -> list[dict[str, str]]:
    """The annotated settings of ``source`` as ``[{"name": …, "default": …, …}]``, in order."""
    settings: list[dict[str, str]] = []
    field = None
    for raw in source.splitlines():
        line = raw.strip()
        match = ANNOTATION.match(line)
        if match:
            key, value = match.groups()
            if key == "name":
                settings.append({"name": value.strip()})
            elif settings:
                settings[-1][key] = value.strip()
            field = key
            continue
        continuation = CONTINUATION.match(line)
        if continuation and settings and field and field != "name":
            settings[-1][field] = f"{settings[-1][field]} {continuation.group(1)}".strip()
            continue
        field = None
    return settings


def defaults_keys(source: str) -> list[str]:
    """The keys of the module's ``DEFAULTS`` dict literal."""
    for node in ast.parse(source).body:
        if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict)
                and any(isinstance(t, ast.Name) and t.id == "DEFAULTS" for t in node.targets)):
            return [k.value for k in node.value.keys if isinstance(k, ast.Constant)]
    return []


def _literal(text: str) -> str:
    """A default in literal markup; an explanation after the value, ``"" (the LMS host)``, stays
    prose."""
    if not text:
        return "(none)"
    value, separator, prose = text.partition(" (")
    if separator and not value.startswith("("):
        return f"``{value}`` ({prose}"
    return f"``{text}``"


class MicrocredSettings(SphinxDirective):
    """Insert one definition per annotated setting."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        path = Path(self.config.microcred_settings_module)
        self.env.note_dependency(str(path))
        source = path.read_text("utf-8")
        settings = parse_annotations(source)
        location = self.get_location()
        names = [s["name"] for s in settings]
        for key in defaults_keys(source):
            if key not in names:
                logger.warning("%s: %s has no .. setting_name: annotation", path.name, key,
                               location=location)
        lines: list[str] = []
        for setting in settings:
            missing = [f for f in REQUIRED if not setting.get(f)]
            if missing:
                logger.warning("%s: %s has no setting_%s", path.name, setting["name"],
                               " or setting_".join(missing), location=location)
            lines += [f".. _setting-{setting['name']}:", "", f"``{setting['name']}``",
                      "   " + f"Default: {_literal(setting.get('default', ''))}", ""]
            lines += ["   " + setting.get("description", ""), ""]
            for key, value in setting.items():
                if key not in ("name", *REQUIRED):
                    lines += [f"   **{key.capitalize()}:** {value}", ""]
        container = nodes.container(classes=["microcred-settings"])
        self.state.nested_parse(StringList(lines, source=str(path)), self.content_offset,
                                container)
        return container.children


def setup(app):
    app.add_config_value("microcred_settings_module", "", "env")
    app.add_directive("microcred-settings", MicrocredSettings)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
