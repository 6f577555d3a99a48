"""The verification page in a real headless Chromium (Debian's /usr/bin/chromium via Playwright).

No browser download: Playwright drives the system Chromium. A missing Chromium fails these tests
(it does not skip them). Full-page screenshots of every state go to test-artifacts/screenshots/.
"""
import json
import uuid
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from openedx_microcred import api, verification
from openedx_microcred.models import Credential
from openedx_microcred.testutils import send_passing, utc

from ..conftest import program_xml
from .support import shot

pytestmark = pytest.mark.django_db(transaction=True)

A = "course-v1:DemoX+DS101+2026"
B = "course-v1:DemoX+DS102+2026"
C = "course-v1:DemoX+DS103+2026"
TITLE = "Applied Data Analytics"
DESCRIPTION = ("Learners who hold this micro-credential can clean, analyse and visualise "
               "real-world data sets with Python and communicate their findings to decision "
               "makers.")


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US",
                                  accept_downloads=True)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def issue(site, make_user):
    """``issue(username)`` completes a three-course programme through real events."""
    xml = program_xml(
        "data-analytics",
        f'<course key="{A}" credits="2">Foundations of Data Analysis</course>'
        f'<course key="{B}" credits="2">Statistics with Python</course>'
        f'<course key="{C}" credits="1.5">Data Visualisation and Storytelling</course>',
        valid_months="36")
    api.import_program(xml.replace("<title>data-analytics title</title>", f"<title>{TITLE}</title>"
                                   f"<description>{DESCRIPTION}</description>"))

    def make(username: str, first: str, last: str) -> Credential:
        user = make_user(username, first_name=first, last_name=last)
        for day, course in enumerate((A, B, C), start=3):
            send_passing(user.pk, course, time=utc(2026, 2, day * 4))
        return Credential.objects.get(user=user)
    return make


def open_page(page, site, credential_id, **query) -> int:
    suffix = "".join(f"?{key}={value}" for key, value in query.items())
    response = page.goto(f"{site}/microcred/verify/{credential_id}/{suffix}")
    return response.status


def test_valid_credential_in_english_and_chinese(page, site, issue):
    credential = issue("mei", "Mei", "Chen")
    console = []
    page.on("console", lambda message: console.append(message.text))
    assert open_page(page, site, credential.uuid) == 200
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#verdict-label")).to_have_text("Valid")
    expect(page.locator("#verdict-label")).to_be_visible()
    expect(page.locator(".verdict")).to_contain_text("This credential is authentic")
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.locator(".credential__description")).to_have_text(DESCRIPTION)
    expect(page.locator(".facts__learner")).to_have_text("Mei Chen")
    rows = page.locator("tr.course-row")
    expect(rows).to_have_count(3)
    expect(rows.nth(1)).to_contain_text("Statistics with Python")
    expect(rows.nth(1)).to_contain_text(B)
    expect(page.locator("li.check--pass")).to_have_count(5)
    expect(page.locator("svg.qr")).to_be_visible()
    assert page.evaluate("document.scripts.length") == 0
    # the inlined stylesheet is allowed by its CSP hash (an unstyled page would say otherwise)
    assert page.evaluate("getComputedStyle(document.querySelector('.topbar')).display") == "block"
    assert page.evaluate("getComputedStyle(document.querySelector('.layout')).display") == "grid"
    assert not [text for text in console if "Content Security Policy" in text], console
    shot(page, "valid-en")

    page.get_by_role("link", name="中文").click()
    page.wait_for_url("**?lang=zh-hans")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(page.locator("#verdict-label")).to_have_text("有效")
    expect(page.get_by_text("授予对象")).to_be_visible()
    expect(page.get_by_role("heading", name="获得此证书所依据的内容")).to_be_visible()
    expect(page.locator("tr.course-row")).to_have_count(3)
    shot(page, "valid-zh")

    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "valid-zh-mobile")
    page.get_by_role("link", name="English").click()
    expect(page.locator("#verdict-label")).to_have_text("Valid")
    shot(page, "valid-en-mobile")


def test_credential_download_is_signed_json_ld(page, site, issue):
    credential = issue("ravi", "Ravi", "Kumar")
    open_page(page, site, credential.uuid)
    link = page.locator("a[data-link=credential]")
    assert link.get_attribute("href") == f"{site}/microcred/credentials/{credential.uuid}.jsonld"
    with page.expect_download() as download:
        link.click()
    document = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert {"OpenBadgeCredential", "AchievementCredential"} & set(document["type"])
    assert document["proof"][0]["cryptosuite"] == "eddsa-rdfc-2022"
    assert document["id"] == link.get_attribute("href")
    with page.expect_download() as download:
        page.locator("a[data-link=clr]").click()
    clr = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert "ClrCredential" in clr["type"] and clr["proof"]


def test_revoked_credential(page, site, issue):
    credential = issue("lucas", "Lucas", "Moreau")
    api.revoke_credential(credential.uuid, reason="issued in error")
    assert open_page(page, site, credential.uuid) == 200
    expect(page.locator("#verdict-label")).to_have_text("Revoked")
    expect(page.locator(".verdict")).to_contain_text("The issuer revoked this credential on")
    expect(page.locator("li.check--fail")).to_have_count(1)
    expect(page.locator("a[data-link=linkedin]")).to_have_count(0)
    shot(page, "revoked-en")


def test_expired_credential(page, site, issue, monkeypatch):
    credential = issue("sofia", "Sofía", "García")
    later = credential.expires_at + timedelta(days=30)
    monkeypatch.setattr(verification, "timezone", SimpleNamespace(now=lambda: later))
    open_page(page, site, credential.uuid)
    expect(page.locator("#verdict-label")).to_have_text("Expired")
    expect(page.locator("li[data-check=not_expired]")).to_contain_text("Failed")
    shot(page, "expired-en")


def test_tampered_credential_is_invalid(page, site, issue):
    credential = issue("yuki", "Yuki", "Tanaka")
    document = dict(credential.document)
    document["name"] = "Doctorate in Everything"
    Credential.objects.filter(pk=credential.pk).update(document=document)
    open_page(page, site, credential.uuid)
    expect(page.locator("#verdict-label")).to_have_text("Invalid")
    expect(page.locator("li[data-check=signature]")).to_contain_text("Failed")
    shot(page, "invalid-en")


def test_unknown_credential_is_a_friendly_404(page, site):
    assert open_page(page, site, uuid.uuid4()) == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Credential not found")
    shot(page, "not-found-en")
    assert open_page(page, site, "not-a-credential", lang="zh-hans") == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("未找到该证书")
    shot(page, "not-found-zh")


def test_a_learner_without_a_name_is_never_shown_by_username(page, site, issue):
    credential = issue("jdoe_7781", "", "")
    assert open_page(page, site, credential.uuid) == 200
    expect(page.locator("#verdict-label")).to_have_text("Valid")
    expect(page.locator(".facts__learner")).to_have_text("(name not available)")
    assert "jdoe_7781" not in page.content()
    assert page.locator('meta[name="description"]').get_attribute("content") == (
        f"{TITLE}, issued by Demo University.")
    shot(page, "valid-no-name-en")
    assert open_page(page, site, credential.uuid, lang="zh-hans") == 200
    expect(page.locator(".facts__learner")).to_have_text("（姓名不可用）")
    assert "jdoe_7781" not in page.content()
    shot(page, "valid-no-name-zh")
