"""The public verification page /microcred/verify/<uuid>/: verdicts, i18n, QR, LinkedIn, limits."""
import re
import uuid
from datetime import timedelta
from html import unescape
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from openedx_microcred import api, qr, verification
from openedx_microcred.models import Credential
from openedx_microcred.testutils import send_passing, utc

from .conftest import program_xml

pytestmark = pytest.mark.django_db(transaction=True)

A = "course-v1:DemoX+A101+2026"
B = "course-v1:DemoX+B102+2026"
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9"}


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def credential(learner):
    """A credential issued through real events: two courses, valid for 24 months."""
    api.import_program(program_xml(
        "datasci",
        f'<course key="{A}" credits="2">Applied Algebra</course>'
        f'<course key="{B}" credits="1.5">Biology &amp; Data</course>',
        valid_months="24"))
    send_passing(learner.pk, A, time=utc(2026, 3, 1))
    send_passing(learner.pk, B, time=utc(2026, 3, 2))
    return Credential.objects.get(user=learner)


def url(credential_uuid) -> str:
    return reverse("openedx_microcred:verify", kwargs={"credential_uuid": credential_uuid})


def text(response) -> str:
    """The visible-ish text: tags dropped, entities decoded, whitespace collapsed."""
    body = re.sub(r"<(style|svg)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", body)).split())


def verdict(response) -> str:
    match = re.search(r'<h2 class="verdict__label" id="verdict-label">(.*?)</h2>',
                      response.content.decode())
    assert match, "no verdict on the page"
    return match.group(1)


def test_valid_credential_page(client, credential):
    response = client.get(url(credential.uuid))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    page = text(response)
    assert verdict(response) == "Valid"
    assert 'class="verdict verdict--valid"' in response.content.decode()
    for expected in ("datasci title", "Alice Liddell", "Demo University", "Applied Algebra",
                     "Biology & Data", A, B, "Credits earned 3.5 of 3.5", str(credential.uuid),
                     "did:web:127.0.0.1%3A8000:microcred:issuers:DemoX", "March 2, 2026"):
        assert expected in page, expected
    html = response.content.decode()
    assert 'href="https://demo.example"' in html
    documents = f"http://127.0.0.1:8000/microcred/credentials/{credential.uuid}"
    assert f'href="{documents}.jsonld"' in html
    assert f'href="{documents}/clr.jsonld"' in html
    assert '<html lang="en"' in html
    # every check is listed, with words and not only a colour
    assert html.count('class="check check--pass"') == 5
    for name in ("Digital signature", "Issuer key", "Revocation status", "Validity period"):
        assert name in page
    assert page.count("Passed") == 5 and "Failed" not in page
    assert "<script" not in html  # JS-free by design
    assert "alice@example.com" not in html and ">alice<" not in html


def test_open_graph_and_security_headers(client, credential):
    response = client.get(url(credential.uuid))
    html = response.content.decode()
    assert '<meta property="og:title" content="datasci title">' in html
    assert re.search(r'<meta property="og:description" content="[^"]*Demo University[^"]*">', html)
    assert (f'<meta property="og:url" content="http://127.0.0.1:8000/microcred/verify/'
            f'{credential.uuid}/">') in html
    assert response["Cache-Control"] == "no-store"
    csp = response["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert "script-src" not in csp  # default-src 'none' forbids scripts
    style_hash = re.search(r"style-src ('sha256-[^']+')", csp).group(1)
    assert style_hash == verify_style_hash(html)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert "Accept-Language" in response["Vary"]


def verify_style_hash(html: str) -> str:
    import base64
    import hashlib
    css = re.search(r"<style>(.*?)</style>", html, flags=re.S).group(1)
    return "'sha256-" + base64.b64encode(hashlib.sha256(css.encode()).digest()).decode() + "'"


def test_revoked_credential(client, credential):
    assert api.revoke_credential(credential.uuid, reason="academic misconduct") is True
    response = client.get(url(credential.uuid))
    assert response.status_code == 200
    assert verdict(response) == "Revoked"
    page = text(response)
    assert "Revoked on" in page
    assert "academic misconduct" not in page  # the reason stays private
    html = response.content.decode()
    assert 'data-check="not_revoked"' in html
    assert re.search(r'class="check check--fail" data-check="not_revoked"', html)
    assert "linkedin.com" not in html  # nothing to add to a profile


def test_expired_credential(client, credential, monkeypatch):
    later = credential.expires_at + timedelta(days=1)
    # the verdict reads the signed validUntil against verification's clock: move that clock only
    monkeypatch.setattr(verification, "timezone", SimpleNamespace(now=lambda: later))
    response = client.get(url(credential.uuid))
    assert verdict(response) == "Expired"
    assert re.search(r'class="check check--fail" data-check="not_expired"',
                     response.content.decode())
    assert "validity period ended on" in text(response)


def test_tampered_document_is_invalid(client, credential):
    document = dict(credential.document)
    document["name"] = "Doctorate in Everything"
    Credential.objects.filter(pk=credential.pk).update(document=document)
    response = client.get(url(credential.uuid))
    assert response.status_code == 200
    assert verdict(response) == "Invalid"
    html = response.content.decode()
    assert re.search(r'class="check check--fail" data-check="signature"', html)
    assert "Do not rely on it" in text(response)
    assert "linkedin.com" not in html


@pytest.mark.parametrize("credential_id", [str(uuid.uuid4()), "not-a-uuid", "1234", "%00"])
def test_unknown_or_malformed_ids_get_a_friendly_404(client, credential_id):
    response = client.get(f"/microcred/verify/{credential_id}/")
    assert response.status_code == 404
    assert "Credential not found" in text(response)
    assert response["Cache-Control"] == "no-store"


def test_chinese_by_query_parameter(client, credential):
    response = client.get(url(credential.uuid), {"lang": "zh-hans"})
    html = response.content.decode()
    assert '<html lang="zh-Hans"' in html
    assert response["Content-Language"] == "zh-Hans"
    assert verdict(response) == "有效"
    page = text(response)
    for label in ("授予对象", "颁发机构", "数字签名", "下载与分享", "课程", "2026年3月2日"):
        assert label in page, label
    assert "Awarded to" not in page
    # the switch leads back to English
    assert '<a href="?lang=en" lang="en" hreflang="en">English</a>' in html


def test_chinese_by_accept_language(client, credential):
    response = client.get(url(credential.uuid), **ZH)
    assert verdict(response) == "有效"
    assert '<html lang="zh-Hans"' in response.content.decode()
    # ?lang= wins over the header; an unsupported ?lang= is ignored
    assert verdict(client.get(url(credential.uuid), {"lang": "en"}, **ZH)) == "Valid"
    assert verdict(client.get(url(credential.uuid), {"lang": "xx"}, **ZH)) == "有效"
    # a language the page does not speak falls back to English, <html lang> included
    other = client.get(url(credential.uuid), HTTP_ACCEPT_LANGUAGE="fr")
    assert verdict(other) == "Valid" and '<html lang="en"' in other.content.decode()


def test_chinese_verdicts_and_404(client, credential):
    api.revoke_credential(credential.uuid, reason="x")
    assert verdict(client.get(url(credential.uuid), {"lang": "zh-hans"})) == "已撤销"
    missing = client.get(url(uuid.uuid4()), {"lang": "zh-hans"})
    assert missing.status_code == 404 and "未找到该证书" in text(missing)


def test_rate_limit(client, credential, settings):
    settings.MICROCRED_VERIFY_RATE_LIMIT = "3/m"
    for _ in range(3):
        assert client.get(url(credential.uuid)).status_code == 200
    limited = client.get(url(credential.uuid))
    assert limited.status_code == 429
    assert "Too many requests" in text(limited)
    assert 1 <= int(limited["Retry-After"]) <= 60
    assert limited["Cache-Control"] == "no-store"
    # unknown ids count too (no free enumeration), and another client IP is not affected
    assert client.get(url(uuid.uuid4())).status_code == 429
    assert client.get(url(credential.uuid), REMOTE_ADDR="10.0.0.7").status_code == 200


def test_qr_code_encodes_the_verify_url(client, credential, monkeypatch):
    calls = []
    real = qr.qr_svg
    monkeypatch.setattr(qr, "qr_svg", lambda data, **kw: calls.append(data) or real(data, **kw))
    response = client.get(url(credential.uuid))
    expected = f"http://127.0.0.1:8000/microcred/verify/{credential.uuid}/"
    assert calls == [expected]
    svg = re.search(r'<svg [^>]*class="qr"[^>]*>.*?</svg>', response.content.decode(), re.S)
    assert svg, "no inline QR SVG"
    assert 'role="img"' in svg.group(0) and "aria-label=" in svg.group(0)
    # Read the modules back from the SVG path and compare with the QR symbol of the URL.
    assert svg_modules(svg.group(0)) == qr.qr_matrix(expected)
    assert svg_modules(svg.group(0)) != qr.qr_matrix(expected.replace("verify", "verifx"))


def svg_modules(svg: str) -> list[list[bool]]:
    size = int(re.search(r'viewBox="0 0 (\d+) \1"', svg).group(1))
    grid = [[False] * size for _ in range(size)]
    path = re.search(r'<path d="([^"]+)"', svg).group(1)
    for x, y in re.findall(r"M(\d+),(\d+)H", path):
        grid[int(y)][int(x)] = True
    return grid


def test_linkedin_link_parameters(client, credential):
    response = client.get(url(credential.uuid))
    href = unescape(re.search(r'href="(https://www\.linkedin\.com/profile/add\?[^"]+)"',
                              response.content.decode()).group(1))
    parts = urlsplit(href)
    assert "+" not in parts.query and "/" not in parts.query  # percent-encoded throughout
    params = {key: values[0] for key, values in parse_qs(parts.query).items()}
    issued, expires = credential.issued_at, credential.expires_at
    assert params == {
        "startTask": "CERTIFICATION_NAME",
        "name": "datasci title",
        "organizationName": "Demo University",
        "issueYear": str(issued.year),
        "issueMonth": str(issued.month),
        "expirationYear": str(expires.year),
        "expirationMonth": str(expires.month),
        "certUrl": f"http://127.0.0.1:8000/microcred/verify/{credential.uuid}/",
        "certId": str(credential.uuid),
    }
    assert "name=datasci%20title" in parts.query


def test_page_without_expiry(client, learner):
    api.import_program(program_xml("forever", f'<course key="{A}" credits="1">A</course>'))
    send_passing(learner.pk, A, time=utc(2026, 3, 1))
    row = Credential.objects.get(user=learner)
    response = client.get(url(row.uuid))
    assert verdict(response) == "Valid"
    assert "No expiry date" in text(response)
    assert "expirationYear" not in response.content.decode()


def test_head_is_allowed_and_post_is_not(client, credential):
    assert client.head(url(credential.uuid)).status_code == 200
    assert client.post(url(credential.uuid)).status_code == 405


def test_the_verdict_is_live(client, credential):
    assert verdict(client.get(url(credential.uuid))) == "Valid"
    assert credential.expires_at > timezone.now()
    api.revoke_credential(credential.uuid, reason="x")
    assert verdict(client.get(url(credential.uuid))) == "Revoked"
