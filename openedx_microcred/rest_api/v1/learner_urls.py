"""Routes of the learner's own data, relative to ``/api/microcred/v1/``."""
from django.urls import path

from . import learner_views

urlpatterns = [
    path("me/programmes/", learner_views.MyProgrammesView.as_view(), name="me-programmes"),
    path("me/programmes/<str:program_id>/", learner_views.MyProgrammeView.as_view(),
         name="me-programme"),
    path("me/credentials/", learner_views.MyCredentialsView.as_view(), name="me-credentials"),
    # <str:…>: a malformed id gets the API's own 404 body
    path("me/credentials/<str:credential_uuid>/", learner_views.MyCredentialView.as_view(),
         name="me-credential"),
]
