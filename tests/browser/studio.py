"""Helpers of the Studio authoring app's browser tests: Chromium, sign-in, axe-core, screenshots."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
JS_DIR = ROOT / "tests" / "js"
AXE = JS_DIR / "node_modules" / "axe-core" / "axe.min.js"
PASSWORD = "correct horse battery staple"


def ensure_axe() -> Path:
    """axe-core from tests/js (``npm ci`` when missing or older than the lock file).

    Fails, never skips, without npm: the accessibility checks are part of the contract.
    """
    installed = JS_DIR / "node_modules" / ".package-lock.json"
    lock = JS_DIR / "package-lock.json"
    stale = not installed.exists() or installed.stat().st_mtime < lock.stat().st_mtime
    if not AXE.is_file() or stale:
        npm = shutil.which("npm")
        if not npm:
            pytest.fail("npm is required: tests/js holds axe-core")
        completed = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=JS_DIR,
                                   capture_output=True, text=True, timeout=300, check=False)
        if completed.returncode != 0:
            pytest.fail(f"npm ci failed in {JS_DIR}: {completed.stderr}")
    return AXE


def axe_violations(page) -> list[dict]:
    """axe-core's violations on the page as it is now (every rule axe runs by default)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => (await axe.run(document)).violations")
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [node["target"] for node in v["nodes"]][:5]} for v in result]


def assert_accessible(page, where: str) -> None:
    violations = axe_violations(page)
    report = json.dumps(violations, indent=2, ensure_ascii=False)
    assert not violations, f"axe-core on {where}:\n{report}"


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def sign_in(page, site: str, username: str, next_path: str) -> None:
    """Open ``next_path``, get sent to the sign-in page, sign in, land back on ``next_path``."""
    page.goto(f"{site}{next_path}")
    assert "/login/" in page.url, page.url
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{site}{next_path}")


def shot_of(locator, name: str) -> None:
    """A screenshot of one element (a card, a dialog), for the documentation."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    locator.screenshot(path=str(SCREENSHOTS / f"{name}.png"))
