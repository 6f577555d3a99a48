"""What every browser test uses: Debian's Chromium (driven by Playwright), axe-core from
tests/js, and screenshots kept in test-artifacts/screenshots/.

A missing Chromium or npm fails the tests; nothing here skips.
"""
from __future__ import annotations

import json
import shutil
import subprocess
from functools import cache
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium tries to reach Google's hosts at every start.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
JS_DIR = ROOT / "tests" / "js"
AXE = JS_DIR / "node_modules" / "axe-core" / "axe.min.js"


def ensure_axe() -> Path:
    """axe-core from tests/js (``npm ci`` when missing or older than the lock file)."""
    installed = JS_DIR / "node_modules" / ".package-lock.json"
    lock = JS_DIR / "package-lock.json"
    if not AXE.is_file() or not installed.exists() or \
            installed.stat().st_mtime < lock.stat().st_mtime:
        npm = shutil.which("npm")
        if not npm:
            pytest.fail("npm is required: tests/js holds axe-core")
        completed = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=JS_DIR,
                                   capture_output=True, text=True, timeout=600, check=False)
        if completed.returncode != 0:
            pytest.fail(f"npm ci failed in {JS_DIR}: {completed.stderr}")
    return AXE


@cache
def axe_source() -> str:
    """axe-core's browser build (installed first when needed)."""
    return ensure_axe().read_text(encoding="utf-8")


def axe_violations(page) -> list[dict]:
    """axe-core's violations on the page as it is now (every rule axe runs by default).

    axe is evaluated through DevTools, so pages whose CSP allows no script stay as served.
    """
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source())
    result = page.evaluate("async () => (await axe.run(document)).violations")
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [node["target"] for node in v["nodes"]][:5]} for v in result]


def assert_accessible(page, where: str = "") -> None:
    """axe-core finds no violation on the page (``where`` names it in the failure)."""
    violations = axe_violations(page)
    report = json.dumps(violations, indent=2, ensure_ascii=False)
    assert not violations, f"axe-core on {where or page.url}:\n{report}"


def shot(page, name: str) -> None:
    """A full-page screenshot, ``test-artifacts/screenshots/<name>.png``."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
