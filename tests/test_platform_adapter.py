"""Both platform backends implement the whole adapter, and the edxapp one imports without the
platform (its platform imports are inside its functions)."""
import ast
import importlib
import inspect
from pathlib import Path

import pytest

from openedx_microcred import platform


def _backend_calls() -> set[str]:
    """The names ``platform/__init__.py`` calls on ``backend()``."""
    tree = ast.parse(Path(platform.__file__).read_text())
    return {node.func.attr for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Call)
            and getattr(node.func.value.func, "id", "") == "backend"}


@pytest.mark.parametrize("name", ["standalone", "edxapp"])
def test_backend_implements_the_adapter(name):
    module = importlib.import_module(f"openedx_microcred.platform.{name}")
    calls = _backend_calls()
    assert {"org_role", "can_write_course", "search_courses", "course_exists"} <= calls
    missing = sorted(call for call in calls if not inspect.isfunction(getattr(module, call, None)))
    assert missing == []


def test_the_edxapp_backend_never_reads_course_access_role_rows():
    source = Path(importlib.import_module("openedx_microcred.platform.edxapp").__file__).read_text()
    tree = ast.parse(source)
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                for alias in node.names}
    assert "CourseAccessRole" not in imported and "CourseAccessRole.objects" not in source
    assert "has_studio_write_access" in source and "OrgStaffRole" in source
