"""URLs the LMS and Studio mount at their root (DESIGN §5; stable: others rely on them)."""
from django.urls import include, path, re_path

from . import views

app_name = "openedx_microcred"

urlpatterns = [
    path("microcred/", views.learner_dashboard, name="learner-dashboard"),
    path("microcred/credentials/<uuid:credential_uuid>.jsonld", views.credential_document,
         name="credential-document"),
    path("microcred/credentials/<uuid:credential_uuid>/clr.jsonld", views.clr_document,
         name="clr-document"),
    re_path(r"^microcred/status/(?P<list_id>[-a-zA-Z0-9_]+)$", views.status_list_document,
            name="status-list"),
    re_path(r"^microcred/issuers/(?P<org>[^/]+)/did\.json$", views.did_document,
            name="did-document"),
    # <str:…>, not <uuid:…>: a malformed id gets the page's own friendly 404
    path("microcred/verify/<str:credential_uuid>/", views.verify_page, name="verify"),
    path("api/microcred/v1/", include("openedx_microcred.rest_api.v1.urls")),
]
