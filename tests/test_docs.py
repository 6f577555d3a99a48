"""The operator documentation: Sphinx builds it with warnings as errors, and the settings page
is generated from the annotations of ``openedx_microcred/settings/common.py``."""
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "docs" / "_ext"))

from microcred_settings import defaults_keys, parse_annotations  # noqa: E402

COMMON = REPO / "openedx_microcred" / "settings" / "common.py"


def _build(tmp_path: Path, *overrides: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-n", "-q", "-b", "html",
               "-d", str(tmp_path / "doctrees"), *overrides, str(REPO / "docs"),
               str(tmp_path / "html")]
    return subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)


def test_every_default_is_annotated_with_a_default_and_a_description():
    source = COMMON.read_text("utf-8")
    settings = parse_annotations(source)
    assert [s["name"] for s in settings] == defaults_keys(source)
    for setting in settings:
        assert setting.get("default") and setting.get("description"), setting["name"]


def test_annotations_keep_continuation_lines_and_extra_fields():
    source = '''DEFAULTS = {
    # .. setting_name: MICROCRED_A
    # .. setting_default: 3
    # .. setting_description: First line
    #   second line.
    # .. setting_warning: Careful.
    "MICROCRED_A": 3,
    # not an annotation
}'''
    assert parse_annotations(source) == [{"name": "MICROCRED_A", "default": "3",
                                          "description": "First line second line.",
                                          "warning": "Careful."}]
    assert defaults_keys(source) == ["MICROCRED_A"]


def test_docs_build_without_warnings_and_list_every_setting(tmp_path):
    result = _build(tmp_path)
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "html" / "settings.html").read_text("utf-8")
    for name in defaults_keys(COMMON.read_text("utf-8")):
        assert f'id="setting-{name.lower().replace("_", "-")}"' in page, name
    index = (tmp_path / "html" / "index.html").read_text("utf-8")
    for page_name in ("install-tutor", "registries", "eu-annex-i-mapping", "dead-letters",
                      "decisions/0001-architecture", "decisions/0006-operations"):
        assert f'href="{page_name}.html"' in index, page_name


@pytest.mark.parametrize("annotation", ["", "    # .. setting_name: MICROCRED_B\n"])
def test_an_undocumented_setting_fails_the_build(tmp_path, annotation):
    module = tmp_path / "common.py"
    module.write_text("DEFAULTS = {\n    # .. setting_name: MICROCRED_A\n"
                      "    # .. setting_default: 1\n    # .. setting_description: A.\n"
                      "    \"MICROCRED_A\": 1,\n"
                      f"{annotation}    \"MICROCRED_B\": 2,\n}}\n", "utf-8")
    result = _build(tmp_path, "-D", f"microcred_settings_module={module}")
    assert result.returncode != 0
    assert "MICROCRED_B has no" in result.stderr
