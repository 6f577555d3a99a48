"""
The learner's pages: ``/microcred/`` (programmes and credentials), the course tab's page
``/microcred/courses/<course_key>/``, the dashboard widget ``/microcred/widget/`` and the
credential downloads (PDF certificate, baked badge image).

Who may see what: every page shows the signed-in learner's own data only; the downloads answer
404 to anyone but the credential's holder (whether it exists is not disclosed). The widget is
the only page that may be framed, and only by the LMS's own origin and the origins in
MICROCRED_FRAME_ANCESTORS (the learner-dashboard MFE); every other page refuses framing.
Views call ``api`` only and stay thin: the words and numbers are prepared in ``learner_display``.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_safe

from . import api, learner_display
from .conf import setting
from .languages import HTML_LANG


@require_safe
@login_required
def learner_page(request):
    """The signed-in learner's programmes (requirement tree, next step) and credentials."""
    language = learner_display.page_language(request)
    with translation.override(language):
        context = learner_display.page_context(language, "learner")
        context["lms_url"] = api.get_lms_root_url()
        context.update(learner_display.dashboard_context(
            programmes=api.get_learner_programmes(user_id=request.user.pk),
            credentials=api.get_learner_credentials(user_id=request.user.pk)))
        response = render(request, "openedx_microcred/learner/dashboard.html", context)
    return _secure(response, language, context, frame_ancestors="'none'")


@require_safe
@login_required
def course_page(request, course_key: str):
    """The course tab: the published programmes ``course_key`` counts towards, with the
    learner's progress in each (404 for a course in no published programme)."""
    if not api.course_in_programme(course_key):
        raise Http404("no programme")
    language = learner_display.page_language(request)
    with translation.override(language):
        context = learner_display.page_context(language, "course")
        context["lms_url"] = api.get_lms_root_url()
        context.update(learner_display.course_context(
            course_key=course_key,
            programmes=api.get_course_programmes(user_id=request.user.pk,
                                                 course_key=course_key)))
        response = render(request, "openedx_microcred/learner/course.html", context)
    return _secure(response, language, context, frame_ancestors="'none'")


@require_safe
@xframe_options_exempt  # framing is governed by the CSP frame-ancestors list below
def widget(request):
    """The compact summary for the learner dashboard's sidebar slot (an FPF iframe plugin).

    Anonymous visitors get a sign-in link (a login form inside a frame would be useless).
    """
    language = learner_display.page_language(request)
    ancestors = frame_ancestors(request)
    with translation.override(language):
        context = learner_display.page_context(language, "widget")
        context["parent_origins"] = ancestors
        if request.user.is_authenticated:
            context.update(learner_display.widget_context(
                programmes=api.get_learner_programmes(user_id=request.user.pk),
                credentials=api.get_learner_credentials(user_id=request.user.pk)))
        response = render(request, "openedx_microcred/learner/widget.html", context)
    response = _secure(response, language, context,
                       frame_ancestors=" ".join(["'self'", *ancestors]))
    if not setting("MICROCRED_FRAME_ANCESTORS"):
        response["X-Frame-Options"] = "SAMEORIGIN"
    return response


@require_safe
def certificate_pdf(request, credential_uuid):
    """The PDF certificate of one of the learner's credentials (not for revoked ones)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    language = learner_display.page_language(request)
    with translation.override(language):
        try:
            data = api.get_certificate_pdf(user_id=request.user.pk,
                                           credential_uuid=credential_uuid)
        except api.CredentialNotFound as error:
            raise Http404("not found") from error
    return _download(data, "application/pdf", f"certificate-{credential_uuid}.pdf")


@require_safe
def badge_image(request, credential_uuid):
    """The badge image (PNG) with the signed credential baked in (not for revoked ones)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    try:
        data = api.get_badge_image(user_id=request.user.pk, credential_uuid=credential_uuid)
    except api.CredentialNotFound as error:
        raise Http404("not found") from error
    return _download(data, "image/png", f"badge-{credential_uuid}.png")


def frame_ancestors(request) -> list[str]:
    """Origins that may frame the widget besides the page's own: the LMS root URL's origin and
    MICROCRED_FRAME_ANCESTORS (the learner-dashboard MFE's origin)."""
    origins = []
    for url in [api.get_lms_root_url(), *setting("MICROCRED_FRAME_ANCESTORS")]:
        parts = urlsplit(url or "")
        if parts.scheme in ("http", "https") and parts.netloc:
            origin = f"{parts.scheme}://{parts.netloc}"
            if origin not in origins:
                origins.append(origin)
    return origins


def _download(data: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _secure(response: HttpResponse, language: str, context: dict, *,
            frame_ancestors: str) -> HttpResponse:
    response["Cache-Control"] = "private, no-store"
    response["Content-Language"] = HTML_LANG[language]
    response["Content-Security-Policy"] = (
        f"default-src 'none'; style-src {context['style_hash']}; "
        f"script-src {context['script_hash']}; img-src 'self' data:; base-uri 'none'; "
        f"form-action 'none'; frame-ancestors {frame_ancestors}")
    response["X-Content-Type-Options"] = "nosniff"
    response["Referrer-Policy"] = "same-origin"
    patch_vary_headers(response, ("Accept-Language", "Cookie"))
    return response
