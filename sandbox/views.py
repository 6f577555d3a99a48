"""The sandbox's home page: what the demo loaded and issued, and a link to every page."""
from django.db.models import Count, Q
from django.shortcuts import render
from django.urls import NoReverseMatch, Resolver404, resolve, reverse

from openedx_microcred.models import Credential, Program

# (label, what it is, path): the plugin's pages a newcomer should find from here.
PAGES = [
    ("Learner page", "the signed-in learner's programmes and credentials (sign in first)",
     "/microcred/"),
    ("Learner dashboard widget", "the compact page for the learner dashboard's sidebar slot",
     "/microcred/widget/"),
    ("Course tab page", "what the \"Micro-credentials\" course tab opens, for one demo course",
     "/microcred/courses/course-v1:HarvardX+CSCI-E3+2025/"),
    ("Public programme pages", "published programmes, no login", "/microcred/programmes/"),
    ("REST API schema", "OpenAPI 3 of /api/microcred/v1/", "/api/microcred/v1/schema/"),
    ("Admin", "programmes, credentials, deliveries, emails (a superuser: createsuperuser)",
     "/admin/"),
]


def home(request):
    """Per-programme counts, links to every page (those this build serves), a sample
    verification page per state."""
    programs = (Program.objects.filter(published_version__isnull=False)
                .select_related("published_version")
                .annotate(
                    in_progress=Count("progress", filter=Q(progress__complete=False),
                                      distinct=True),
                    complete=Count("progress", filter=Q(progress__complete=True), distinct=True),
                    issued=Count("credentials", distinct=True))
                .order_by("program_id"))
    pages = [{"label": label, "about": about, "path": path} for label, about, path in PAGES
             if _served(path)]
    samples = {status: Credential.objects.filter(status=status).order_by("pk")
               .values_list("uuid", flat=True).first()
               for status in (Credential.AWARDED, Credential.REVOKED)}
    return render(request, "sandbox/home.html", {
        "programs": programs, "pages": pages, "samples": samples,
        "login_url": reverse("login"), "user": request.user,
    })


def _served(path: str) -> bool:
    try:
        resolve(path)
    except (Resolver404, NoReverseMatch):
        return False
    return True
