"""The browser every test module of this folder drives: one headless Chromium per module."""
from pathlib import Path

import pytest
from django.core.cache import cache
from playwright.sync_api import sync_playwright

from .support import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, ensure_axe


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium through Playwright (no browser download); fails without it."""
    assert Path(CHROMIUM).is_file(), f"Chromium is required at {CHROMIUM}"
    ensure_axe()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        # Playwright's sync API keeps an asyncio loop running in this thread, which Django's
        # async-safety guard mistakes for async code: the ORM calls the tests make between
        # browser steps are plain synchronous code.
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                              headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def site(live_server, settings):
    """The live server's URL; public URLs (credential ids, did:web, links) point at it, and rate
    limits start from zero."""
    settings.LMS_ROOT_URL = live_server.url
    cache.clear()
    yield live_server.url
    cache.clear()
