"""
Server-rendered pages and the public credential documents (DESIGN §5).

Views call ``api`` only. Every view states who may see it (the learner's own pages are in
``learner_views``); the documents and the verification page are public by
design (they carry no email or username: the recipient is a salted hash).
"""
import base64
import hashlib
import json
import re
from functools import cache
from pathlib import Path

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_safe

from . import api, qr, ratelimits
from .formatting import display_number
from .learner_display import linkedin_add_url, page_language

JSONLD = "application/ld+json"
DID_JSON = "application/did+json"

# Signed documents never change once issued; status lists change on every revocation.
IMMUTABLE = "public, max-age=86400, immutable"
SHORT = "public, max-age=60, must-revalidate"


@csrf_exempt  # read-only and public: a write is answered 405, not with the CSRF page
@require_GET
def credential_document(request, credential_uuid):
    """Public: the signed Open Badges 3.0 credential."""
    return _document(request, api.get_credential_document, credential_uuid, JSONLD, IMMUTABLE)


@csrf_exempt  # read-only and public: a write is answered 405, not with the CSRF page
@require_GET
def clr_document(request, credential_uuid):
    """Public: the signed CLR 2.0 transcript."""
    return _document(request, api.get_clr_document, credential_uuid, JSONLD, IMMUTABLE)


@csrf_exempt  # read-only and public: a write is answered 405, not with the CSRF page
@require_GET
def status_list_document(request, list_id):
    """Public: the signed Bitstring Status List credential."""
    return _document(request, api.get_status_list_document, list_id, JSONLD, SHORT)


@csrf_exempt  # read-only and public: a write is answered 405, not with the CSRF page
@require_GET
def did_document(request, org):
    """Public: the did:web DID document of an issuing org."""
    return _document(request, api.get_did_document, org, DID_JSON, "public, max-age=300")


def _document(request, getter, key, content_type: str, cache_control: str) -> HttpResponse:
    wait = ratelimits.limited(request, ratelimits.DOCUMENTS)
    if wait:
        return _json_error("rate limited", 429, retry_after=wait)
    try:
        document = getter(key)
    except api.CredentialNotFound as error:
        raise Http404("not found") from error
    except api.DocumentUnavailable:  # the operator is told by the logs and microcred_status
        return _json_error("temporarily unavailable", 503, retry_after=300)
    response = HttpResponse(json.dumps(document, ensure_ascii=False, indent=2),
                            content_type=f"{content_type}; charset=utf-8")
    response["Cache-Control"] = cache_control
    response["Access-Control-Allow-Origin"] = "*"  # verifiers fetch these from other origins
    return response


def _json_error(message: str, status: int, *, retry_after: int) -> HttpResponse:
    response = HttpResponse(json.dumps({"error": message}), status=status,
                            content_type="application/json")
    response["Retry-After"] = str(retry_after)
    response["Cache-Control"] = "no-store"
    return response


# --- The public verification page (DESIGN §5: /microcred/verify/<uuid>/) ------------------------

VERIFY_LANGUAGES = {"en": "English", "zh-hans": "中文"}  # code -> its own name (switch link)
HTML_LANG = {"en": "en", "zh-hans": "zh-Hans"}  # BCP 47 for <html lang>
VERIFY_STYLE = Path(__file__).parent / "static" / "openedx_microcred" / "verify.css"

VERDICTS = {"valid": _("Valid"), "revoked": _("Revoked"), "expired": _("Expired"),
            "invalid": _("Invalid")}
CHECKS = {  # key of VerificationData.checks -> (name, when passed, when failed)
    "signature": (_("Digital signature"),
                  _("The content is exactly what the issuer signed."),
                  _("The content does not match the issuer's signature.")),
    "issuer_key": (_("Issuer key"),
                   _("It was signed with a key the issuer has published."),
                   _("It was not signed with a key of the issuer it names.")),
    "not_revoked": (_("Revocation status"),
                    _("The issuer has not revoked it."),
                    _("The issuer has revoked it.")),
    "status_list": (_("Revocation list"),
                    _("Its revocation list is authentic and published by the same issuer."),
                    _("Its revocation list cannot be trusted for this credential.")),
    "not_expired": (_("Validity period"),
                    _("It is within its validity period."),
                    _("Its validity period has ended.")),
}


@csrf_exempt  # read-only and public: a write is answered 405, not with the CSRF page
@require_safe
def verify_page(request, credential_uuid):
    """Public by design: who holds which credential from whom, and whether it is valid now.

    No login, no JavaScript, nothing the learner did not choose to share by sharing the link
    (display name, programme, courses; never the email or username). Rate-limited per client
    address (``ratelimits.PAGE``); unknown or malformed ids get a friendly 404; never cached,
    because the verdict is computed on every request.
    """
    language = page_language(request)
    with translation.override(language):
        context = _page_context(language)
        response = rate_limited_page(request, context)
        if response is None:
            try:
                data = api.get_verification(credential_uuid)
            except api.CredentialNotFound:
                response = render(request, "openedx_microcred/verify_not_found.html", context,
                                  status=404)
            else:
                context.update(_verification_context(request, data))
                response = render(request, "openedx_microcred/verify.html", context)
    return _secure(response, language, context["style_hash"])


def linkedin_url(data: api.VerificationData, page_url: str) -> str:
    """LinkedIn's "Add licence or certification" link, pre-filled from ``data``."""
    return linkedin_add_url(title=data.program_title, issuer=data.issuer_name,
                            issued_at=data.issued_at, expires_at=data.expires_at,
                            page_url=page_url, credential_id=str(data.uuid))


def rate_limited_page(request, context: dict) -> HttpResponse | None:
    """The "slow down" page (429 with ``Retry-After``) when the client is over the public pages'
    rate limit (``ratelimits.PAGE``), else None. Counts this request."""
    wait = ratelimits.limited(request, ratelimits.PAGE)
    if not wait:
        return None
    response = render(request, "openedx_microcred/verify_rate_limited.html", context, status=429)
    response["Retry-After"] = str(wait)
    return response


@cache
def _page_style() -> tuple[str, str]:
    """The page's stylesheet (inlined) and its CSP hash: one request, no static pipeline."""
    css = VERIFY_STYLE.read_text(encoding="utf-8").strip()
    digest = base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode("ascii")
    return css, f"'sha256-{digest}'"


def _page_context(language: str) -> dict:
    css, style_hash = _page_style()
    return {
        "lang": language,
        "html_lang": HTML_LANG[language],
        "languages": [{"code": code, "name": name, "html_lang": HTML_LANG[code],
                       "current": code == language} for code, name in VERIFY_LANGUAGES.items()],
        "css": css,
        "style_hash": style_hash,
    }


def _verification_context(request, data: api.VerificationData) -> dict:
    page_url = data.verify_url or request.build_absolute_uri(request.path)
    kwargs = {"credential_uuid": data.uuid}
    checks = []
    for key, (name, passed_text, failed_text) in CHECKS.items():
        passed = bool(data.checks.get(key))
        checks.append({"key": key, "name": name, "passed": passed,
                       "text": passed_text if passed else failed_text})
    rows = evidence_rows(data.evidence)
    return {
        "data": data,
        "credits_earned": display_number(data.credits_earned),
        "credits_available": display_number(data.credits_available),
        "show_credits": bool(data.credits_available) or any(row["credits"] for row in rows),
        "hours_earned": display_number(data.hours_earned) if data.hours_earned is not None else "",
        "hours_available": (display_number(data.hours_available)
                            if data.hours_available is not None else ""),
        "show_hours": any(row["hours"] for row in rows),
        "evidence_rows": rows,
        "criteria_html": criteria_html(data.criteria),
        "programme_href": reverse("openedx_microcred:programme",
                                  kwargs={"program_id": data.program_id}),
        "courses": [{"course": course, "credits": display_number(course.credits)}
                    for course in data.courses],
        "verdict_label": VERDICTS.get(data.verdict, VERDICTS["invalid"]),
        "page_url": page_url,
        "credential_href": _http_or(data.credential_url,
                                    reverse("openedx_microcred:credential-document",
                                            kwargs=kwargs)),
        "clr_href": _http_or(data.clr_url,
                             reverse("openedx_microcred:clr-document", kwargs=kwargs)),
        "issuer_href": _http_or(data.issuer_url, ""),
        "checks": checks,
        "qr_svg": qr.qr_svg(page_url, label=translation.gettext(
            "QR code with the address of this verification page")),
        "linkedin_url": linkedin_url(data, page_url) if data.verdict == "valid" else "",
        "checked_at": timezone.now(),
    }


def evidence_rows(items, depth: int = 0) -> list[dict]:
    """The evidence tree flattened for the page: each row has ``item``, ``depth`` and its
    formatted ``credits`` and ``hours`` ("" when none); a stacked programme's parts follow it."""
    rows: list[dict] = []
    for item in items:
        rows.append({"item": item, "depth": depth,
                     "credits": display_number(item.credits) if item.credits else "",
                     "hours": display_number(item.hours) if item.hours is not None else ""})
        rows.extend(evidence_rows(item.parts, depth + 1))
    return rows


_MARKDOWN_ESCAPE = re.compile(r"\\([\\`*_\[\]<>~|#])")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_ITALIC = re.compile(r"\*(.+?)\*")


def criteria_html(markdown: str) -> str:
    """The signed ``criteria.narrative`` as HTML: the Markdown subset ``credentials.narrative``
    writes (paragraphs, ``- `` lists nested by two spaces, ``**bold**``, ``*italic*``,
    backslash escapes).
    Everything is HTML-escaped first: no markup from the document reaches the page."""
    html: list[str] = []
    items: list[tuple[int, str]] = []  # the list being read: (nesting level, item HTML)
    for line in markdown.splitlines():
        stripped = line.lstrip(" ")
        if stripped.startswith("- "):
            items.append(((len(line) - len(stripped)) // 2, _inline(stripped[2:])))
            continue
        if items:
            html.append(_list_html(items))
            items = []
        if stripped:
            html.append(f"<p>{_inline(stripped)}</p>")
    if items:
        html.append(_list_html(items))
    return mark_safe("".join(html))  # noqa: S308 (built from escaped text only)


def _list_html(items: list[tuple[int, str]]) -> str:
    """Nested ``<ul>``s: an item's deeper followers go inside its ``<li>``."""
    html, index = ["<ul>"], 0
    while index < len(items):
        level, body = items[index]
        end = index + 1
        while end < len(items) and items[end][0] > level:
            end += 1
        children = items[index + 1:end]
        html.append(f"<li>{body}{_list_html(children) if children else ''}</li>")
        index = end
    html.append("</ul>")
    return "".join(html)


def _inline(text: str) -> str:
    escaped = str(escape(_MARKDOWN_ESCAPE.sub(lambda match: f"\x00{ord(match.group(1))}\x00",
                                              text)))
    escaped = _ITALIC.sub(r"<em>\1</em>", _BOLD.sub(r"<strong>\1</strong>", escaped))
    return re.sub("\x00(\\d+)\x00", lambda match: str(escape(chr(int(match.group(1))))),
                  escaped)


def _http_or(url: str, fallback: str) -> str:
    """``url`` when it is an http(s) URL (never ``javascript:`` and the like), else ``fallback``."""
    return url if url.startswith(("https://", "http://")) else fallback


def _secure(response: HttpResponse, language: str, style_hash: str) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    response["Content-Language"] = HTML_LANG[language]
    response["Content-Security-Policy"] = (
        f"default-src 'none'; style-src {style_hash}; img-src 'self' data:; base-uri 'none'; "
        "form-action 'none'; frame-ancestors 'none'")
    response["X-Content-Type-Options"] = "nosniff"
    response["X-Frame-Options"] = "DENY"
    response["Referrer-Policy"] = "same-origin"
    response["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()"
    response["Cross-Origin-Opener-Policy"] = "same-origin"
    patch_vary_headers(response, ("Accept-Language",))
    return response


# --- Unsubscribing from learner emails (the link in every email) ----------------------------------

@csrf_exempt  # the signed token is the authority, and RFC 8058 one-click POSTs carry no cookie
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe_page(request, token):
    """No login: the token in the email's link names the learner. GET asks for confirmation
    (mail scanners follow links, so a GET changes nothing); POST unsubscribes. A forged or damaged
    token gets a 404 page that says so. Rate-limited per client IP like the verification page."""
    language = page_language(request)
    with translation.override(language):
        context = _page_context(language)
        limited = rate_limited_page(request, context)
        if limited is not None:
            return _secure(limited, language, context["style_hash"])
        try:
            if request.method == "POST":
                api.unsubscribe(token=token)
                done = True
            else:
                done = api.is_unsubscribed(token=token)
        except api.InvalidUnsubscribeToken:
            context["invalid"] = True
            response = render(request, "openedx_microcred/unsubscribe.html", context, status=404)
        else:
            context.update({"done": done, "lang_query": f"?lang={language}"})
            response = render(request, "openedx_microcred/unsubscribe.html", context)
    response = _secure(response, language, context["style_hash"])
    response["Content-Security-Policy"] = response["Content-Security-Policy"].replace(
        "form-action 'none'", "form-action 'self'")
    response["Referrer-Policy"] = "no-referrer"  # the token is in the URL
    return response
