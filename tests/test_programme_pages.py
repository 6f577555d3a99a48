"""Public programme pages /microcred/programmes/…: every field, content negotiation, limits."""
import json
import re
import uuid
from html import unescape
from importlib import resources

import pytest
from django.core.cache import cache

from openedx_microcred import api
from openedx_microcred.models import Credential
from openedx_microcred.programme_pages import wants_jsonld
from openedx_microcred.testutils import send_passing, utc

from .conftest import program_xml

pytestmark = pytest.mark.django_db(transaction=True)

SAMPLES = resources.files("openedx_microcred") / "demo" / "programs"
JSONLD = {"HTTP_ACCEPT": "application/ld+json"}
BROWSER = {"HTTP_ACCEPT": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def samples():
    """Every sample programme, imported in dependency order."""
    names = sorted(item.name for item in SAMPLES.iterdir() if item.name.endswith(".xml"))
    return api.import_programs([(SAMPLES / name).read_bytes() for name in names])


def text(response) -> str:
    body = re.sub(r"<(style|svg)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", body)).split())


def test_catalogue_lists_every_published_programme(client, samples):
    response = client.get("/microcred/programmes/", **BROWSER)
    assert response.status_code == 200
    page = text(response)
    for program_id in samples:
        assert f'href="/microcred/programmes/{program_id}/?lang=en"' in response.content.decode()
    for expected in ("程序设计与算法", "北京大学", "7 courses", "237 hours",
                     "Data Analytics (12.5-point subject credit)", "12.5 credits"):
        assert expected in page, expected
    assert response["Cache-Control"] == "public, max-age=300"
    assert "Accept" in response["Vary"]
    assert 'content="index, follow"' in response.content.decode()


def test_drafts_are_not_public(client):
    api.import_program(program_xml("secret-draft", '<course key="course-v1:X+Y+Z">Y</course>'),
                       publish=False)
    assert "secret-draft" not in client.get("/microcred/programmes/").content.decode()
    response = client.get("/microcred/programmes/secret-draft/")
    assert response.status_code == 404
    assert "Programme not found" in text(response)
    assert client.get("/microcred/programmes/secret-draft/", **JSONLD).status_code == 404


def test_programme_page_shows_every_descriptive_field(client, samples):
    response = client.get("/microcred/programmes/pku-programming-algorithms/")
    assert response.status_code == 200
    page = text(response)
    for expected in (
        "程序设计与算法", "北京大学", "(CN)", "从 C 语言基础到高级数据结构与算法",
        "无需具备相关经验",  # audience
        "算法", "计算思维", "面向对象编程 (OOP)",  # outcomes
        "计算机科学", "Online", "6 个月（10 小时/周）", "每月支付 ¥231",
        "本专项课程不提供大学学分", "Workload 237 hours",
        "计算导论与C语言基础", "course-v1:PekingX+CS101+2025", "43 hours",
        "All 7 of the following", "A course counts once you earn its certificate.",
        "Does not expire.", "Micro-credential",
    ):
        assert expected in page, expected
    html = response.content.decode()
    assert 'id="outcome-1"' in html and 'lang="zh-Hans"' in html
    assert "<script" not in html


def test_rules_credits_levels_and_stacking_in_words(client, samples):
    page = text(client.get("/microcred/programmes/au-stacked-course-credit/"))
    assert "At least 4 of the following 5" in page
    assert "Programme credential" in page
    assert "3.125 credits" in page
    html = client.get("/microcred/programmes/au-stacked-course-credit/").content.decode()
    assert 'href="/microcred/programmes/au-microcredential-1/?lang=en"' in html
    for sample in samples:
        definition_page = client.get(f"/microcred/programmes/{sample}/")
        assert definition_page.status_code == 200, sample


def test_every_field_of_a_full_definition(client):
    api.import_program(
        '<program id="full" org="DemoX" lang="en" achievement-type="Certificate" '
        'completion="certificate" credits="6">'
        "<title>Full Programme</title><description>All fields.</description>"
        '<issuer name="Demo University" url="https://demo.example" country="GB"/>'
        "<audience>Working analysts</audience><outcome>Model data</outcome>"
        '<field-of-study>Statistics</field-of-study><level framework="EQF">6</level>'
        "<assessment>Proctored exam</assessment><participation>blended</participation>"
        "<quality-assurance>Senate approved</quality-assurance><duration>12 weeks</duration>"
        "<fee>£500</fee><pathway>Counts towards the MSc</pathway>"
        '<workload hours="150"/><completion-window from="2026-01-01" until="2027-12-31"/>'
        '<credential valid-months="36"/><requirements>'
        '<group title="Core"><course key="course-v1:DemoX+S1+2026" credits="2" hours="50" '
        'runs="this" min-grade="0.8">Stats</course></group>'
        '<group title="Electives" min-count="1" min-credits="2">'
        '<course key="course-v1:DemoX+S2+2026" credits="2" mode="verified">Bayes</course>'
        '<external id="hcia" credits="2">HCIA-AI certification</external></group>'
        "</requirements></program>")
    page = text(client.get("/microcred/programmes/full/"))
    for expected in ("Certificate", "Full Programme", "All fields.", "Demo University (GB)",
                     "Credits 6", "Workload 150 hours", "EQF 6", "Statistics", "Blended",
                     "12 weeks", "£500", "Counts towards the MSc", "Proctored exam",
                     "Senate approved", "Working analysts", "Model data",
                     "Jan. 1, 2026 – Dec. 31, 2027",
                     "Valid for 36 months after it is issued.",
                     "Core · The following requirement",
                     "this course run only", "grade of at least 80%",
                     "verified certificate",
                     "Electives · At least 1 of the following 2, with at least 2 credits",
                     "HCIA-AI certification", "External achievement"):
        assert expected in page, expected


def test_chinese_page(client, samples):
    response = client.get("/microcred/programmes/au-stacked-course-credit/?lang=zh-hans")
    assert '<html lang="zh-Hans"' in response.content.decode()
    page = text(response)
    assert "至少完成以下 5 项中的 4 项" in page
    assert "学分" in page
    catalogue = client.get("/microcred/programmes/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")
    assert "微证书项目" in text(catalogue)


def test_earlier_published_version_by_number(client):
    xml = program_xml("versioned", '<course key="course-v1:DemoX+V1+2026">V one</course>')
    api.import_program(xml)
    api.import_program(xml.replace("V one", "V two"))
    assert "V two" in text(client.get("/microcred/programmes/versioned/"))
    old = client.get("/microcred/programmes/versioned/?version=1")
    assert "V one" in text(old) and "The current version is 2" in text(old)
    assert client.get("/microcred/programmes/versioned/?version=7").status_code == 404


@pytest.mark.parametrize("accept, expected", [
    ("application/ld+json", True),
    ("application/json", True),
    ("application/ld+json;q=0.9, text/html;q=0.8", True),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", False),
    ("*/*", False),
    ("", False),
    ("application/ld+json;q=0", False),
    ("text/html, application/ld+json", False),
    ("application/ld+json;q=abc", False),
])
def test_accept_negotiation(accept, expected):
    assert wants_jsonld(accept) is expected


def test_achievement_id_dereferences_to_the_embedded_achievement(client, learner, settings):
    course = "course-v1:DemoX+A101+2026"
    api.import_program(program_xml("deref", f'<course key="{course}" credits="2">A</course>'))
    send_passing(learner.pk, course, time=utc(2026, 3, 1))
    document = Credential.objects.get(user=learner).document
    achievement = document["credentialSubject"]["achievement"]
    assert achievement["id"] == "http://127.0.0.1:8000/microcred/programmes/deref/?version=1"
    path = achievement["id"].removeprefix("http://127.0.0.1:8000")

    response = client.get(path, **JSONLD)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/ld+json; charset=utf-8"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "Accept" in response["Vary"]
    served = json.loads(response.content)
    assert served.pop("@context") == document["@context"]
    assert served == achievement
    assert json.loads(client.get(path + "&format=jsonld").content) == {
        "@context": document["@context"], **achievement}
    # A browser at the same address gets the page.
    page = client.get(path, **BROWSER)
    assert page["Content-Type"].startswith("text/html") and "deref title" in text(page)


def test_credentials_signed_with_an_urn_still_verify(learner, settings):
    """Documents signed before programme pages existed (achievement id a URN) keep verifying:
    signed documents are never rebuilt."""
    course = "course-v1:DemoX+A101+2026"
    settings.LMS_ROOT_URL = ""
    api.import_program(program_xml("old", f'<course key="{course}">A</course>'))
    send_passing(learner.pk, course, time=utc(2026, 3, 1))
    credential = Credential.objects.get(user=learner)
    assert credential.document["credentialSubject"]["achievement"]["id"].startswith("urn:uuid:")
    settings.LMS_ROOT_URL = "http://127.0.0.1:8000"
    assert api.get_verification(credential.uuid).verdict == "valid"


def test_rate_limited_like_the_verification_page(client, samples, settings):
    settings.MICROCRED_VERIFY_RATE_LIMIT = "2/m"
    assert client.get("/microcred/programmes/").status_code == 200
    assert client.get("/microcred/programmes/pku-programming-algorithms/").status_code == 200
    limited = client.get("/microcred/programmes/")
    assert limited.status_code == 429 and int(limited["Retry-After"]) >= 1


def test_achievement_documents_count_in_the_documents_bucket(client, samples, settings):
    """Verifiers dereference achievement ids as they fetch other documents: their own bucket,
    not the pages' (a browser reading pages does not starve a verifier, and vice versa)."""
    settings.MICROCRED_VERIFY_RATE_LIMIT = "1/m"
    settings.MICROCRED_DOCUMENT_RATE_LIMIT = "2/m"
    page = "/microcred/programmes/pku-programming-algorithms/"
    assert client.get(page).status_code == 200
    assert client.get(page).status_code == 429  # the pages' bucket is spent
    assert client.get(page, **JSONLD).status_code == 200
    assert client.get(page, **JSONLD).status_code == 200
    limited = client.get(page, **JSONLD)
    assert limited.status_code == 429 and limited["Content-Type"] == "application/json"


def test_refuses_writes_and_odd_ids(client, samples):
    assert client.post("/microcred/programmes/").status_code == 405
    assert client.post("/microcred/programmes/pku-programming-algorithms/").status_code == 405
    assert client.get("/microcred/programmes/..%2Fadmin/").status_code == 404
    assert client.get("/microcred/programmes/pku-programming-algorithms/?version=-1"
                      ).status_code == 200


def test_writes_to_public_pages_and_documents_are_405_with_csrf_checks_on(samples):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)  # as a browser or curl meets the site
    for url in ("/microcred/programmes/", "/microcred/programmes/pku-programming-algorithms/",
                f"/microcred/verify/{uuid.uuid4()}/",
                f"/microcred/credentials/{uuid.uuid4()}.jsonld"):
        assert client.post(url).status_code == 405, url
