"""The sandbox's home page: what the demo loaded and what it issued."""
from django.db.models import Count, Q
from django.shortcuts import render

from openedx_microcred.models import Program


def home(request):
    """Per-programme counts of learners in progress, complete and credentials issued."""
    programs = (Program.objects.filter(published_version__isnull=False)
                .select_related("published_version")
                .annotate(
                    in_progress=Count("progress", filter=Q(progress__complete=False),
                                      distinct=True),
                    complete=Count("progress", filter=Q(progress__complete=True), distinct=True),
                    issued=Count("credentials", distinct=True))
                .order_by("program_id"))
    return render(request, "sandbox/home.html", {"programs": programs})
