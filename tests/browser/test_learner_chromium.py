"""A learner's walk through their pages in a real headless Chromium (Debian's /usr/bin/chromium).

Everything happens through real openedx-events signals: a programme half done, its completion
(the email arrives, the credential appears), sharing, the three downloads (the PDF's text and QR
code decode to the verification URL; the badge's baked credential verifies with the reference
JavaScript verifier), the course tab page and the dashboard widget inside a
frontend-plugin-framework-like host — in English and Chinese, at desktop width and 360 px, with
axe-core reporting no violation anywhere. Screenshots go to test-artifacts/screenshots/.
"""
import io
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pypdf
import pypdfium2
import pytest
import zxingcpp
from django.conf import settings as django_settings
from django.core import mail
from django.test import Client
from django.utils.formats import date_format
from PIL import Image
from playwright.sync_api import expect

from openedx_microcred import api, issuers
from openedx_microcred.artifacts.badge import baked_credential
from openedx_microcred.demo.cohort import sample_program_xmls
from openedx_microcred.models import Credential, StatusList
from openedx_microcred.testutils import send_certificate, send_passing, utc

from ..conftest import program_xml
from ..credentials.builders_support import run_status_script
from ..credentials.conftest import node  # noqa: F401 (the reference verifier fixture)
from .support import SCREENSHOTS, assert_accessible, shot

pytestmark = pytest.mark.django_db(transaction=True)

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 780}

TITLE = "Applied Data Science"
CORE = ["course-v1:DemoX+ADS101+2026", "course-v1:DemoX+ADS102+2026"]
ELECTIVES = [f"course-v1:DemoX+ADS2{n}+2026" for n in range(1, 5)]
ELECTIVE_TITLES = ["Data Visualisation", "Machine Learning", "Databases", "Data Ethics"]
PKU = [f"course-v1:PekingX+CS{n}+2025" for n in (101, 102, 103, 201, 202, 301, 399)]
AU = [f"course-v1:MelbourneX+DA10{n}+2025" for n in range(1, 6)]
FRONT_END = [f"course-v1:HarvardX+CSCI-{number}+2025" for number in ("E3", "E12", "E39B", "E114")]


@pytest.fixture
def mei(site, make_user, node):  # noqa: F811 (node: npm ci of tests/js, axe-core included)
    """A learner half-way through "Applied Data Science", at 6 of 7 courses of an hour-based
    programme (PKU), with two stacked micro-credentials out of four (Melbourne) and a revoked
    credential (Harvard)."""
    api.import_programs(list(sample_program_xmls().values()))
    electives = "".join(f'<course key="{key}" credits="1">{title}</course>'
                        for key, title in zip(ELECTIVES, ELECTIVE_TITLES, strict=True))
    xml = program_xml(
        "applied-data-science",
        f'<group title="Core"><course key="{CORE[0]}" credits="2">Statistics</course>'
        f'<course key="{CORE[1]}" credits="2">Python for Data</course></group>'
        f'<group title="Electives" min-count="2">{electives}</group>',
        window='<completion-window from="2026-01-01" until="2027-06-30"/>',
        valid_months="36")
    api.import_program(xml.replace("<title>applied-data-science title</title>",
                                   f"<title>{TITLE}</title>"))
    user = make_user("mei", first_name="Mei", last_name="Chen 陈美")
    send_passing(user.pk, CORE[0], time=utc(2026, 2, 3))
    send_passing(user.pk, ELECTIVES[0], time=utc(2026, 2, 17))
    send_passing(user.pk, ELECTIVES[1], passing=False, time=utc(2026, 2, 20))
    for course in PKU[:6]:
        send_certificate(user.pk, course, time=utc(2026, 1, 10))
    for course in AU[:2]:
        send_passing(user.pk, course, time=utc(2026, 1, 20))
    for course in FRONT_END:
        send_passing(user.pk, course, time=utc(2025, 12, 1))
    revoked = Credential.objects.get(user=user, program__program_id="harvard-front-end-certificate")
    api.revoke_credential(revoked.uuid, reason="A course grade was corrected after an appeal.")
    mail.outbox.clear()
    return user


def signed_in(browser, site, user, viewport=DESKTOP, locale="en-US", **options):
    client = Client()
    client.force_login(user)
    context = browser.new_context(viewport=viewport, locale=locale, accept_downloads=True,
                                  **options)
    context.set_default_timeout(15_000)
    context.add_cookies([{"name": django_settings.SESSION_COOKIE_NAME,
                          "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
                          "url": site}])
    return context


def decode_qr(image: Image.Image) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(image)]


def test_a_learner_follows_a_programme_to_its_credential_and_shares_it(browser, site, mei, node):  # noqa: F811,E501
    context = signed_in(browser, site, mei)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site)
    page = context.new_page()
    errors = []  # console errors (a CSP refusal…) and failed requests, the favicon aside
    page.on("console", lambda m: errors.append(m.text) if m.type == "error"
            and "favicon" not in (m.location or {}).get("url", "") else None)
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400
            and not r.url.endswith("/favicon.ico") else None)

    # 1. Half done: the rule, the remaining courses, the next step.
    page.goto(f"{site}/microcred/")
    expect(page.get_by_role("heading", level=1)).to_have_text("My micro-credentials")
    card = page.locator("article[data-program=applied-data-science]")
    expect(card.locator("[data-measure]")).to_have_text("3 of 6 credits")
    expect(card.locator("[data-deadline]")).to_have_text("Complete by June 30, 2027")
    expect(card.get_by_text("All 2 required — 1 more needed")).to_be_visible()
    expect(card.get_by_text("2 of 4 — 1 more needed")).to_be_visible()
    expect(card.locator("[data-next-step]")).to_contain_text("Continue “Machine Learning”")
    expect(card.locator("[data-remaining]")).to_have_text(
        "Still to do: Python for Data; 1 more of: Machine Learning, Databases, Data Ethics "
        "(Electives)")
    for title in ("Python for Data", "Databases", "Data Ethics"):
        expect(card.locator("li.leaf[data-state=not_started]", has_text=title)).to_be_visible()
    expect(card.locator("li.leaf[data-state=in_progress]")).to_contain_text("Machine Learning")
    expect(card.locator("li.leaf[data-state=done]").first).to_contain_text("Feb. 3, 2026")
    pku = page.locator("article[data-program=pku-programming-algorithms]")
    expect(pku.locator("[data-measure]")).to_have_text("231 of 237 hours")
    stacked = page.locator("article[data-program=au-stacked-course-credit]")
    expect(stacked.get_by_text("4 of 5 — 2 more needed")).to_be_visible()
    expect(stacked.locator("li.leaf[data-state=done]")).to_have_count(2)
    revoked = page.locator("article[data-status=revoked]")
    expect(revoked.locator("[data-reason]")).to_contain_text(
        "A course grade was corrected after an appeal.")
    expect(revoked.locator("a[data-link=pdf]")).to_have_count(0)
    assert page.evaluate("getComputedStyle(document.querySelector('.site-header')).display") \
        == "block"  # the inlined stylesheet passed the CSP
    shot(page, "learner-in-progress-en")
    revoked.screenshot(path=str(SCREENSHOTS / "learner-revoked-credential-en.png"))
    assert_accessible(page)

    # 2. Completion through real signals: the email, then the credential on the page.
    send_passing(mei.pk, CORE[1], time=utc(2026, 3, 2))
    send_passing(mei.pk, ELECTIVES[2], time=utc(2026, 3, 9))
    credential = Credential.objects.get(user=mei, program__program_id="applied-data-science")
    verify_url = f"{site}/microcred/verify/{credential.uuid}/"
    [email] = [m for m in mail.outbox if TITLE in m.subject]
    assert email.to == ["mei@example.com"] and verify_url in email.body
    page.reload()
    in_progress = page.locator("section[aria-labelledby=progress-heading]")
    expect(in_progress.locator("article[data-program=applied-data-science]")).to_have_count(0)
    expect(page.locator("section[aria-labelledby=completed-heading]")).to_contain_text(TITLE)
    earned = page.locator(f"article[data-credential='{credential.uuid}']")
    expect(earned.locator("[data-status-label]")).to_have_text("Valid")

    # 3. Share: copy the link, LinkedIn, the QR code, the share text.
    earned.get_by_role("button", name="Copy link").click()
    expect(earned.get_by_role("status")).to_have_text("Link copied.")
    assert page.evaluate("navigator.clipboard.readText()") == verify_url
    assert "linkedin.com/profile/add" in earned.locator("a[data-link=linkedin]").get_attribute(
        "href")
    expect(earned.locator("[data-share-text]")).to_have_value(
        f"I earned the “{TITLE}” micro-credential from Demo University. Verify it: {verify_url}")
    qr = Image.open(io.BytesIO(earned.locator(".credential__qr svg").screenshot()))
    assert decode_qr(qr) == [verify_url]
    earned.scroll_into_view_if_needed()
    shot(page, "learner-credential-en")
    assert_accessible(page)

    # 4. The three downloads (and the two signed documents).
    with page.expect_download() as download:
        earned.locator("a[data-link=credential]").click()
    document = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert document == credential.document
    with page.expect_download() as download:
        earned.locator("a[data-link=clr]").click()
    assert "ClrCredential" in json.loads(Path(download.value.path()).read_bytes())["type"]
    with page.expect_download() as download:
        earned.locator("a[data-link=pdf]").click()
    pdf = Path(download.value.path()).read_bytes()
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    issued_on = date_format(credential.issued_at, "DATE_FORMAT")
    for expected in ("Mei Chen 陈美", TITLE, "Demo University", issued_on, "Statistics",
                     "Python for Data", "Databases", "6 credits", "1 credit", verify_url):
        assert expected in text, expected
    rendered = pypdfium2.PdfDocument(pdf)[0].render(scale=2.5).to_pil()
    rendered.save(SCREENSHOTS / "certificate-pdf-en.png")
    assert decode_qr(rendered) == [verify_url]
    with page.expect_download() as download:
        earned.locator("a[data-link=badge]").click()
    png = Path(download.value.path()).read_bytes()
    (SCREENSHOTS / "badge-en.png").write_bytes(png)
    baked = baked_credential(png)
    assert baked == credential.document
    documents = {issuers.did_document_for("DemoX")["id"]: issuers.did_document_for("DemoX")}
    documents.update({s.document["id"]: s.document for s in StatusList.objects.all()})
    [result] = run_status_script(node, credentials=[baked], documents=documents)["results"]
    assert result["verified"], result["error"]
    assert [entry["status"] for entry in result["status"]["entries"]] == [False]  # not revoked

    # 5. The course tab's page.
    page.goto(f"{site}/microcred/courses/{ELECTIVES[3]}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Micro-credentials of this course")
    expect(page.locator("article[data-program=applied-data-science]")).to_contain_text(
        "2 of 4 — done")
    shot(page, "course-tab-en")
    assert_accessible(page)
    assert errors == []
    context.close()


def test_the_pages_in_chinese_and_at_360_px(browser, site, mei):
    for language, locale in (("en", "en-US"), ("zh", "zh-CN")):
        for viewport, suffix in ((DESKTOP, ""), (PHONE, "-360")):
            if language == "en" and not suffix:
                continue  # the walk-through covers English on the desktop
            context = signed_in(browser, site, mei, viewport=viewport, locale=locale)
            page = context.new_page()
            page.goto(f"{site}/microcred/")  # the language comes from Accept-Language
            if language == "zh":
                expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
                expect(page.get_by_role("heading", level=1)).to_have_text("我的微证书")
                pku = page.locator("article[data-program=pku-programming-algorithms]")
                expect(pku.locator("[data-measure]")).to_have_text("231 / 237 学时")
                expect(page.get_by_text("5 项中选 4 项 — 还需 2 项")).to_be_visible()
                expect(page.locator("[data-reason]")).to_be_visible()
            assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
            shot(page, f"learner-{language}{suffix}")
            assert_accessible(page)
            page.goto(f"{site}/microcred/courses/{PKU[0]}/")
            assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
            shot(page, f"course-tab-{language}{suffix}")
            assert_accessible(page)
            page.goto(f"{site}/microcred/widget/")
            assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
            assert_accessible(page)
            if suffix:  # the narrowest phones: nothing wider than 320 px
                page.set_viewport_size({"width": 320, "height": 700})
                for path in ("/microcred/", f"/microcred/courses/{PKU[0]}/", "/microcred/widget/"):
                    page.goto(f"{site}{path}")
                    assert page.evaluate("document.documentElement.scrollWidth") <= 320, path
            if language == "zh":
                credential = Credential.objects.get(user=mei,
                                                    program__program_id="au-microcredential-1")
                response = context.request.get(
                    f"{site}/microcred/credentials/{credential.uuid}/certificate.pdf?lang=zh-hans")
                text = pypdf.PdfReader(io.BytesIO(response.body())).pages[0].extract_text()
                assert "兹证明" in text and "陈美" in text
                if not suffix:
                    pypdfium2.PdfDocument(response.body())[0].render(scale=2).to_pil().save(
                        SCREENSHOTS / "certificate-pdf-zh.png")
            context.close()


class _Host(BaseHTTPRequestHandler):
    """A stand-in for the learner dashboard MFE: an iframe plugin slot on another origin that
    speaks frontend-plugin-framework's iframe protocol and records what the widget posts."""

    widget_url = ""

    def do_GET(self):  # noqa: N802 (http.server's name)
        body = f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Host</title>
<style>body{{margin:0;font-family:sans-serif;background:#f2f0ef}} aside{{width:min(300px,100%);
margin:16px;background:#fff}} iframe{{border:0;width:100%;display:none}}</style></head><body>
<aside><iframe title="Micro-credentials" src="{self.widget_url}" referrerpolicy="origin"></iframe>
</aside><script>
window.received = [];
const frame = document.querySelector('iframe');
addEventListener('message', (event) => {{
  if (event.source !== frame.contentWindow) return;
  window.received.push({{origin: event.origin, data: event.data}});
  if (event.data.type === 'PLUGIN_MOUNTED') {{
    frame.contentWindow.postMessage({{type: 'PLUGIN_RESIZE', payload: {{width: frame.clientWidth,
      height: frame.clientHeight}}}}, new URL(frame.src).origin);
  }}
  if (event.data.type === 'PLUGIN_READY') frame.style.display = 'block';
  if (event.data.type === 'PLUGIN_RESIZE') frame.style.height = event.data.payload.height + 'px';
}});
</script></body></html>""".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def host():
    """``host(widget_url)`` → the URL of a host page on its own origin (another port)."""
    servers = []

    def start(widget_url: str) -> str:
        handler = type("Host", (_Host,), {"widget_url": widget_url})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://localhost:{server.server_port}/"  # same site as the LMS: cookies flow
    yield start
    for server in servers:
        server.shutdown()


def test_the_widget_in_a_learner_dashboard_slot(browser, site, mei, host, settings):
    for language, viewport in (("en", DESKTOP), ("en", PHONE), ("zh-hans", DESKTOP),
                               ("zh-hans", PHONE)):
        host_url = host(f"{site}/microcred/widget/?lang={language}")
        settings.MICROCRED_FRAME_ANCESTORS = [host_url.rstrip("/")]
        context = signed_in(browser, site, mei, viewport=viewport)
        page = context.new_page()
        page.goto(host_url)
        frame = page.frame_locator("iframe")
        expect(frame.locator("h1")).to_have_text("Micro-credentials" if language == "en"
                                                 else "微证书")
        expect(page.locator("iframe")).to_be_visible()  # shown after PLUGIN_READY
        page.wait_for_function("window.received.some(m => m.data.type === 'PLUGIN_RESIZE')")
        received = page.evaluate("window.received")
        types = [m["data"]["type"] for m in received]
        assert types[:2] == ["PLUGIN_MOUNTED", "PLUGIN_READY"], types
        assert {m["origin"] for m in received} == {site}
        height = [m for m in received if m["data"]["type"] == "PLUGIN_RESIZE"][-1]["data"]
        assert height["payload"]["height"] > 150  # taller than an iframe's default height
        expect(frame.locator("[data-program=applied-data-science]")).to_be_visible()
        page.wait_for_timeout(200)  # the host applies the last resize
        shot(page, f"widget-{language.split('-')[0]}{'-360' if viewport is PHONE else ''}")
        context.close()

    # An origin that is not configured cannot frame the widget (CSP frame-ancestors).
    settings.MICROCRED_FRAME_ANCESTORS = []
    context = signed_in(browser, site, mei)
    page = context.new_page()
    page.goto(host(f"{site}/microcred/widget/"))
    page.wait_for_timeout(1000)
    assert page.evaluate("window.received") == []
    context.close()
