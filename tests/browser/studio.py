"""Helpers of the Studio authoring app's browser tests: sign-in and element screenshots."""
from __future__ import annotations

from .support import SCREENSHOTS

PASSWORD = "correct horse battery staple"


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
