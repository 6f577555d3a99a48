"""
The Studio authoring pages: login-required shells that load the ES modules of the app.

Every page needs a signed-in user (anonymous users are redirected to ``LOGIN_URL``). What a page
shows comes from the REST API, which applies the org permissions to every request; the pages
check the same permissions first, so a refused user gets a 403 page, never an empty editor.
The page configuration (API root, the orgs the user may author, the programme or course) is
rendered as JSON with ``json_script``: nothing user-supplied is put into HTML or JavaScript
unescaped.
"""
import json
from functools import cache
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.templatetags.static import static
from django.utils import translation
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_safe
from django.views.i18n import JavaScriptCatalog
from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey

from . import access

API_ROOT = "/api/microcred/v1/"  # DESIGN §5: stable, mounted in the LMS and Studio
STUDIO_ROOT = "/microcred/studio/"

MODULES = "openedx_microcred/studio/js/"
MODULES_DIR = Path(__file__).resolve().parent.parent / "static" / MODULES

javascript_catalog = JavaScriptCatalog.as_view(packages=["openedx_microcred"])


@require_safe
@login_required
def home(request):
    """The programmes of the orgs the user may author or view (listed by the API)."""
    return _page(request, "home", {})


@require_safe
@login_required
def editor(request, program_id: str | None = None):
    """The programme editor: a new programme, or an existing one the user may view."""
    if program_id is None:
        if not access.authorable_orgs(request.user):
            return _refused(request)
        return _page(request, "editor", {"programme": None, "role": "author"})
    role = access.program_role(request.user, program_id)
    if role is None:
        return _refused(request)
    return _page(request, "editor", {"programme": program_id, "role": role})


@require_safe
@login_required
def course(request, course_key: str):
    """The programmes that include one course (Studio links here from a course)."""
    try:
        key = CourseKey.from_string(course_key)
    except InvalidKeyError as error:
        raise Http404("not a course key") from error
    if not access.may_view_course(request.user, str(key)):
        return _refused(request)
    return _page(request, "course", {"course": str(key)})


def _page(request, page: str, extra: dict):
    config = {
        "page": page,
        "api": API_ROOT,
        "studio": STUDIO_ROOT,
        "orgs": access.authorable_orgs(request.user),
        "language": translation.get_language() or "en",
        **extra,
    }
    return render(request, f"openedx_microcred/studio/{page}.html",
                  {"config": config, "html_lang": _html_lang(config["language"]),
                   "import_map": _import_map(), **extra})


@cache
def _import_map() -> str:
    """An import map from each module's plain static URL to its ``{% static %}`` URL.

    The modules import each other by relative path (``./dom.js``). Under a hashing static
    storage (Studio's ``ManifestStaticFilesStorage``) the pages load ``editor.<hash>.js``, whose
    relative imports would reach the unhashed copies, which browsers may keep cached across an
    upgrade: the map sends every import to the hashed file. Without hashing it maps a URL to
    itself. JSON escaped for a ``<script>`` element.
    """
    imports = {f"{settings.STATIC_URL}{MODULES}{path.name}": static(f"{MODULES}{path.name}")
               for path in sorted(MODULES_DIR.glob("*.js"))}
    text = json.dumps({"imports": imports}, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return mark_safe(text)  # noqa: S308 -- JSON of static URLs, escaped for <script>


def _refused(request):
    language = translation.get_language() or "en"
    return render(request, "openedx_microcred/studio/refused.html",
                  {"config": {"page": "refused", "language": language},
                   "html_lang": _html_lang(language)}, status=403)


def _html_lang(code: str) -> str:
    """BCP 47 for ``<html lang>``: ``zh-hans`` -> ``zh-Hans``."""
    language, _, script = code.partition("-")
    return f"{language}-{script.title()}" if len(script) == 4 else code
