"""URLs the LMS and Studio mount at their root (DESIGN §5)."""
from django.urls import path

from . import views

app_name = "openedx_microcred"

urlpatterns = [
    path("microcred/", views.learner_dashboard, name="learner-dashboard"),
]
