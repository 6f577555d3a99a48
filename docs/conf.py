"""Sphinx configuration of the openedx-microcred operator documentation (``make docs``)."""
import re
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
REPO = DOCS.parent
sys.path.insert(0, str(DOCS / "_ext"))

project = "openedx-microcred"
author = "openedx-microcred contributors"
release = re.search(r'^__version__ = "([^"]+)"',
                    (REPO / "openedx_microcred" / "__init__.py").read_text("utf-8"), re.M).group(1)
version = release

extensions = ["microcred_settings"]
root_doc = "index"
exclude_patterns = ["_build"]
html_theme = "alabaster"
html_title = f"openedx-microcred {release}"
# `make docs` builds with -W -n: every warning and every broken reference fails the build.
nitpicky = True

#: The annotated settings module the ``microcred-settings`` directive documents.
microcred_settings_module = str(REPO / "openedx_microcred" / "settings" / "common.py")
