"""Public programme pages and the richer verification page in a real headless Chromium.

Desktop (1280 px) and small-phone (360 px) widths, English and Simplified Chinese; every page is
checked with axe-core (from tests/js, injected into the page) and must report no violation, and
must not scroll sideways at 320 px. Screenshots go to test-artifacts/screenshots/.
"""
from importlib import resources

import pytest
from playwright.sync_api import expect

from openedx_microcred import api, notifications
from openedx_microcred.models import Credential
from openedx_microcred.testutils import send_certificate, send_passing, utc

from ..conftest import program_xml
from .support import SCREENSHOTS, assert_accessible

pytestmark = pytest.mark.django_db(transaction=True)

SAMPLES = resources.files("openedx_microcred") / "demo" / "programs"
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "360": {"width": 360, "height": 780}}
LOCALES = {"en": "en-US", "zh": "zh-CN"}
A = "course-v1:DemoX+A101+2026"
B = "course-v1:DemoX+B102+2026"
C = "course-v1:DemoX+C103+2026"


@pytest.fixture
def site(site, settings):
    """The shared live server, with room for every page these tests open."""
    settings.MICROCRED_VERIFY_RATE_LIMIT = "1000/m"
    return site


@pytest.fixture
def world(site, make_user):
    """The sample programmes, plus credentials: stacked (with an external certification), and
    hour-based (PKU, no credits)."""
    names = sorted(item.name for item in SAMPLES.iterdir() if item.name.endswith(".xml"))
    api.import_programs([(SAMPLES / name).read_bytes() for name in names])
    api.import_programs([
        program_xml("data-foundations",
                    f'<course key="{A}" credits="2" hours="30">Foundations of Data Analysis'
                    f'</course><course key="{B}" credits="1" hours="20">Statistics with Python'
                    "</course>").replace("data-foundations title", "Data Foundations"),
        program_xml(
            "data-professional",
            '<program ref="data-foundations" credits="3"/>'
            '<external id="hcia-ai" credits="2">Huawei HCIA-AI certification</external>'
            f'<course key="{C}" credits="1" hours="10">Capstone Project</course>').replace(
            "data-professional title", "Data Professional").replace(
            "<requirements>", "<outcome>Build and evaluate predictive models</outcome>"
            "<outcome>Communicate findings to decision makers</outcome>"
            '<level framework="EQF">5</level><requirements>'),
    ])
    mei = make_user("mei", first_name="Mei", last_name="Chen")
    send_passing(mei.pk, A, time=utc(2026, 3, 1))
    send_passing(mei.pk, B, time=utc(2026, 3, 2))
    api.record_external_achievement(user_id=mei.pk, external_id="hcia-ai",
                                    achieved_at=utc(2026, 3, 3))
    send_passing(mei.pk, C, time=utc(2026, 3, 4))
    wang = make_user("wang", first_name="Wei", last_name="Wang")
    pku = api.get_public_program("pku-programming-algorithms")
    for day, node in enumerate(pku.requirements.children, start=1):
        send_certificate(wang.pk, node.key, time=utc(2026, 4, day))
    return {
        "stacked": Credential.objects.get(user=mei, program__program_id="data-professional"),
        "hours": Credential.objects.get(user=wang),
    }


def check_page(browser, url: str, *, name: str, lang: str, viewport: str,
               expect_texts: tuple[str, ...]):
    """Open ``url``; assert texts, styles allowed by CSP, no sideways scroll at 320 px and no
    axe-core violation; keep a screenshot."""
    context = browser.new_context(viewport=VIEWPORTS[viewport], locale=LOCALES[lang])
    context.set_default_timeout(10_000)
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    try:
        response = page.goto(url)
        assert response.status == 200, url
        expect(page.locator("html")).to_have_attribute("lang", "zh-Hans" if lang == "zh" else "en")
        for text in expect_texts:
            expect(page.get_by_text(text, exact=False).first).to_be_visible()
        assert page.evaluate("getComputedStyle(document.querySelector('.topbar')).display") \
            == "block", "the inlined stylesheet was blocked"
        assert not [line for line in console if "Content Security Policy" in line], console
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{lang}-{viewport}.png"), full_page=True)
        assert_accessible(page, f"{name}-{lang}-{viewport}")
        page.set_viewport_size({"width": 320, "height": 700})
        assert page.evaluate("document.documentElement.scrollWidth") <= 320, \
            f"{name} scrolls sideways at 320 px"
    finally:
        context.close()


@pytest.mark.parametrize("viewport", ["desktop", "360"])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_programme_catalogue(browser, site, world, lang, viewport):
    texts = {"en": ("Micro-credential programmes", "程序设计与算法", "Data Professional"),
             "zh": ("微证书项目", "程序设计与算法", "7 门课程")}[lang]
    check_page(browser, f"{site}/microcred/programmes/?lang={lang_code(lang)}",
               name="programmes", lang=lang, viewport=viewport, expect_texts=texts)


@pytest.mark.parametrize("viewport", ["desktop", "360"])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_programme_pages(browser, site, world, lang, viewport):
    stacked = {"en": ("Data Professional", "Programme credential", "External achievement",
                      "Build and evaluate predictive models", "EQF 5"),
               "zh": ("Data Professional", "项目证书", "外部成就", "学习成果")}[lang]
    check_page(browser,
               f"{site}/microcred/programmes/data-professional/?lang={lang_code(lang)}",
               name="programme-stacked", lang=lang, viewport=viewport, expect_texts=stacked)
    hours = {"en": ("程序设计与算法", "北京大学", "237 hours", "All 7 of the following"),
             "zh": ("程序设计与算法", "237 学时", "以下全部 7 项")}[lang]
    check_page(browser,
               f"{site}/microcred/programmes/pku-programming-algorithms/?lang={lang_code(lang)}",
               name="programme-hours", lang=lang, viewport=viewport, expect_texts=hours)
    rules = {"en": ("At least 4 of the following 5",), "zh": ("至少完成以下 5 项中的 4 项",)}[lang]
    check_page(browser,
               f"{site}/microcred/programmes/au-stacked-course-credit/?lang={lang_code(lang)}",
               name="programme-choice", lang=lang, viewport=viewport, expect_texts=rules)


@pytest.mark.parametrize("viewport", ["desktop", "360"])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_verification_page_evidence(browser, site, world, lang, viewport):
    stacked = world["stacked"]
    texts = {"en": ("Valid", "Foundations of Data Analysis", "Statistics with Python",
                    "Huawei HCIA-AI certification", "Capstone Project",
                    "Build and evaluate predictive models", "Complete all of the following"),
             "zh": ("有效", "Foundations of Data Analysis", "外部成就", "学习成果",
                    "评定标准")}[lang]
    check_page(browser,
               f"{site}/microcred/verify/{stacked.uuid}/?lang={lang_code(lang)}",
               name="verify-stacked", lang=lang, viewport=viewport, expect_texts=texts)
    hours = {"en": ("Hours completed", "237 of 237", "计算导论与C语言基础"),
             "zh": ("已完成学时", "237 / 237", "计算导论与C语言基础")}[lang]
    check_page(browser,
               f"{site}/microcred/verify/{world['hours'].uuid}/?lang={lang_code(lang)}",
               name="verify-hours", lang=lang, viewport=viewport, expect_texts=hours)


@pytest.mark.parametrize("viewport", ["desktop", "360"])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_unsubscribe_page(browser, site, world, lang, viewport):
    token = notifications.unsubscribe_token(world["stacked"].user_id)
    texts = {"en": ("Stop emails about your micro-credentials?", "Unsubscribe"),
             "zh": ("不再接收关于微证书的邮件？", "退订")}[lang]
    check_page(browser,
               f"{site}/microcred/unsubscribe/{token}/?lang={lang_code(lang)}",
               name="unsubscribe", lang=lang, viewport=viewport, expect_texts=texts)


def test_unsubscribe_in_the_browser(browser, site, world):
    user_id = world["stacked"].user_id
    context = browser.new_context(viewport=VIEWPORTS["360"], locale="zh-CN")
    page = context.new_page()
    try:
        page.goto(f"{site}/microcred/unsubscribe/{notifications.unsubscribe_token(user_id)}/"
                  "?lang=zh-hans")
        page.get_by_role("button", name="退订").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("您已退订")
        page.screenshot(path=str(SCREENSHOTS / "unsubscribed-zh-360.png"), full_page=True)
        assert notifications.opted_out(user_id)
    finally:
        context.close()


def test_achievement_link_and_stacked_link_in_the_browser(browser, site, world):
    context = browser.new_context(viewport=VIEWPORTS["desktop"], locale="en-US")
    page = context.new_page()
    try:
        page.goto(f"{site}/microcred/verify/{world['stacked'].uuid}/")
        page.get_by_role("link", name="Verify the credential “Data Foundations”").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Data Foundations")
        expect(page.locator("#verdict-label")).to_have_text("Valid")
        page.get_by_role("link", name="About this programme").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Data Foundations")
        achievement = world["stacked"].document["credentialSubject"]["achievement"]
        served = page.request.get(achievement["id"],
                                  headers={"Accept": "application/ld+json"}).json()
        assert served["id"] == achievement["id"] and served["name"] == "Data Professional"
    finally:
        context.close()


def lang_code(lang: str) -> str:
    return "zh-hans" if lang == "zh" else "en"


def test_the_accessibility_check_can_fail(browser):
    """A control: the same axe-core check reports a page with known violations."""
    context = browser.new_context()
    page = context.new_page()
    try:
        page.set_content("<html><body><img src='data:,'><a href='#'></a></body></html>")
        with pytest.raises(AssertionError) as failure:
            assert_accessible(page, "control")
        for rule in ("image-alt", "html-has-lang", "link-name"):
            assert rule in str(failure.value), rule
    finally:
        context.close()
