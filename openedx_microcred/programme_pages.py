"""
Public programme pages (DESIGN §5): ``/microcred/programmes/`` and
``/microcred/programmes/<id>/``, where every credential's ``achievement.id`` points.

Public by design: no login, only what the programme's definition says. Content negotiation: a
browser gets the HTML page, ``Accept: application/ld+json`` the OB 3.0 ``Achievement`` JSON-LD.
Rate-limited per client IP like the verification page; styled and secured as it is.
"""
from __future__ import annotations

import json
from decimal import Decimal

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from . import api, ratelimits
from .certificates import measure_text
from .formatting import display_number
from .learner_display import page_language
from .views import (
    JSONLD,
    _http_or,
    _page_context,
    _secure,
    rate_limited_page,
)

JSONLD_TYPES = ("application/ld+json", "application/json")


@csrf_exempt  # read-only and public: a write is answered 405, not with the CSRF page
@require_safe
def programme_list(request):
    """Public: every published programme, with its issuer, credits or hours, and level."""
    return _page(request, _list_context, "openedx_microcred/programmes.html")


@csrf_exempt  # read-only and public: a write is answered 405, not with the CSRF page
@require_safe
def programme_detail(request, program_id):
    """Public: one programme (``?version=N`` for an earlier published version), or its
    ``Achievement`` as JSON-LD when the client asks for ``application/ld+json`` (or a link says
    ``?format=jsonld``)."""
    version = _version(request.GET.get("version"))
    if request.GET.get("format") == "jsonld" or wants_jsonld(request.headers.get("Accept", "")):
        return _achievement(request, program_id, version)
    return _page(request, lambda: _detail_context(request, program_id, version),
                 "openedx_microcred/programme.html")


def wants_jsonld(accept: str) -> bool:
    """Whether an ``Accept`` header prefers JSON-LD (or JSON) to HTML (RFC 9110 q-values;
    equal preference goes to HTML, so browsers' ``*/*`` gets the page)."""
    best = {"html": -1.0, "json": -1.0}
    for part in accept.split(",")[:32]:
        fields = [field.strip() for field in part.split(";")]
        media = fields[0].lower()
        quality = 1.0
        for field in fields[1:]:
            if field.startswith("q="):
                try:
                    quality = float(field[2:])
                except ValueError:
                    quality = 0.0
        kind = "json" if media in JSONLD_TYPES else "html" if media in (
            "text/html", "application/xhtml+xml", "text/*", "*/*") else None
        if kind:
            best[kind] = max(best[kind], quality)
    return best["json"] > 0 and best["json"] > best["html"]


def _page(request, build, template: str) -> HttpResponse:
    language = page_language(request)
    with translation.override(language):
        context = _page_context(language)
        response = rate_limited_page(request, context)
        if response is None:
            try:
                context.update(build())
            except api.ProgramNotFound:
                response = render(request, "openedx_microcred/programme_not_found.html",
                                  context, status=404)
            else:
                response = render(request, template, context)
    response = _secure(response, language, context["style_hash"])
    response["Cache-Control"] = "public, max-age=300"
    patch_vary_headers(response, ("Accept",))
    return response


def _achievement(request, program_id: str, version: int | None) -> HttpResponse:
    # Verifiers dereference achievement ids as they do other documents: the documents' bucket.
    wait = ratelimits.limited(request, ratelimits.DOCUMENTS)
    if wait:
        response = HttpResponse('{"error": "rate limited"}', status=429,
                                content_type="application/json")
        response["Retry-After"] = str(wait)
        return response
    try:
        document = api.get_program_achievement(program_id, version=version)
    except api.ProgramNotFound:
        response = HttpResponse('{"error": "not found"}', status=404,
                                content_type="application/json")
    else:
        response = HttpResponse(json.dumps(document, ensure_ascii=False, indent=2),
                                content_type=f"{JSONLD}; charset=utf-8")
        response["Access-Control-Allow-Origin"] = "*"  # verifiers fetch it from other origins
    response["Cache-Control"] = "public, max-age=300"
    response["X-Content-Type-Options"] = "nosniff"
    patch_vary_headers(response, ("Accept",))
    return response


def _version(value: str | None) -> int | None:
    if value and value.isdigit() and len(value) < 9:
        return int(value)
    return None


def _list_context() -> dict:
    return {"programmes": [{"p": item, **_amounts(item)} for item in api.get_public_programs()]}


def _detail_context(request, program_id: str, version: int | None) -> dict:
    item = api.get_public_program(program_id, version=version)
    page_url = reverse("openedx_microcred:programme", kwargs={"program_id": item.program_id})
    return {
        "p": item, **_amounts(item),
        "achievement_type": achievement_type_label(item.achievement_type),
        "participation": PARTICIPATION.get(item.participation, item.participation),
        "completion_rule": (_("A course counts once you earn its certificate.")
                            if item.completion == "certificate"
                            else _("A course counts once you pass it.")),
        "validity": (ngettext("Valid for %(count)s month after it is issued.",
                              "Valid for %(count)s months after it is issued.",
                              item.valid_months) % {"count": item.valid_months}
                     if item.valid_months else _("Does not expire.")),
        "tree": requirement_rows(item.requirements),
        "issuer_href": _http_or(item.issuer_url, ""),
        "achievement_href": f"{page_url}?version={item.version}&format=jsonld",
        "latest_href": page_url if item.version != item.latest_version else "",
        "page_url": request.build_absolute_uri(page_url),
    }


def _amounts(item: api.PublicProgramData) -> dict:
    return {"credits": display_number(item.credits) if item.credits else "",
            "hours": display_number(item.hours) if item.hours is not None else "",
            "credits_label": credits_label(item.credits) if item.credits else "",
            "hours_label": hours_label(item.hours) if item.hours is not None else ""}


def credits_label(value: Decimal) -> str:
    """``1 credit``, ``3.125 credits`` (localized)."""
    return measure_text(value, None)


def hours_label(value: Decimal) -> str:
    """``1 hour``, ``237 hours`` (localized)."""
    return measure_text(None, value)


PARTICIPATION = {"online": gettext_lazy("Online"), "onsite": gettext_lazy("On site"),
                 "blended": gettext_lazy("Blended")}


def achievement_type_label(value: str) -> str:
    """The OB 3.0 achievement type in words (the type itself when it has no label here)."""
    labels = {"MicroCredential": _("Micro-credential"), "Certificate": _("Certificate"),
              "Certification": _("Certification"), "Badge": _("Badge"),
              "Course": _("Course"), "Diploma": _("Diploma")}
    return labels.get(value, value)


def requirement_rows(root: api.RequirementNodeData) -> list[dict]:
    """The requirement tree, flattened for the template: each row has ``node``, ``depth``,
    ``rule`` (a group's rule in words) and formatted ``credits``/``hours``/``conditions``."""
    rows: list[dict] = []
    if len(root.children) == 1 and root.children[0].kind == "group":
        root = root.children[0]  # "all of: one group" says nothing the group does not
    _walk(root, 0, rows)
    return rows


def _walk(node: api.RequirementNodeData, depth: int, rows: list[dict]) -> None:
    row: dict = {"node": node, "depth": depth,
                 "credits": credits_label(node.credits) if node.credits else "",
                 "hours": hours_label(node.hours) if node.hours is not None else ""}
    if node.kind == "group":
        row["rule"] = group_rule(node)
        row["close"] = True
    elif node.kind == "course":
        row["conditions"] = course_conditions(node)
    elif node.kind == "program" and node.listed:
        row["href"] = reverse("openedx_microcred:programme", kwargs={"program_id": node.key})
    rows.append(row)
    for child in node.children:
        _walk(child, depth + 1, rows)


def group_rule(node: api.RequirementNodeData) -> str:
    """A group's rule in words: "All 3 of the following", "At least 2 of the following 4"…"""
    total = len(node.children)
    count = node.min_count
    credits = display_number(node.min_credits) if node.min_credits is not None else ""
    if count is not None and credits:
        return ngettext("At least %(count)s of the following %(total)s, with at least "
                        "%(credits)s credits",
                        "At least %(count)s of the following %(total)s, with at least "
                        "%(credits)s credits", count) % {
            "count": count, "total": total, "credits": credits}
    if count is not None:
        return ngettext("At least %(count)s of the following %(total)s",
                        "At least %(count)s of the following %(total)s", count) % {
            "count": count, "total": total}
    if credits:
        return _("At least %(credits)s credits from the following") % {"credits": credits}
    if total == 1:
        return _("The following requirement")
    return _("All %(total)s of the following") % {"total": total}  # total >= 2


def course_conditions(node: api.RequirementNodeData) -> list[str]:
    """What else a course requirement asks: its run, a minimum grade, a certificate mode."""
    conditions = []
    if node.runs == "this":
        conditions.append(_("this course run only"))
    if node.min_grade is not None:
        conditions.append(_("grade of at least %(percent)s%%") % {
            "percent": display_number(Decimal(str(node.min_grade)) * 100)})
    if node.mode:
        conditions.append(_("%(mode)s certificate") % {"mode": node.mode})
    return conditions
