"""Server-rendered pages. Views call ``api`` only; every view states who may see it."""
from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from . import api


@login_required
def learner_dashboard(request):
    """The signed-in learner's programmes with progress, and their credentials (their own only)."""
    return render(request, "openedx_microcred/learner_dashboard.html", {
        "progress": api.get_progress(user_id=request.user.pk),
        "credentials": api.get_credentials(user_id=request.user.pk),
    })
