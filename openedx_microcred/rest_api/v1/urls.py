"""URLs of REST API v1, mounted at ``/api/microcred/v1/`` (DESIGN §5; namespace ``api-v1``):
the endpoints in ``routes.py`` and their OpenAPI 3 document at ``schema/``."""
from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny

from .base import MicrocredAPIView
from .routes import urlpatterns as routes

app_name = "api-v1"


class SchemaView(SpectacularAPIView):
    """The OpenAPI 3 document of this API version: public, like the API's own documentation."""

    authentication_classes: list = []
    permission_classes: list = []
    urlconf = "openedx_microcred.rest_api.v1.routes"  # the endpoints only, not the host's
    serve_public = True
    custom_settings = {
        "TITLE": "openedx-microcred API",
        "DESCRIPTION": "Stackable, verifiable micro-credentials for Open edX: programmes, "
                       "learners' progress and credentials.",
        "VERSION": "1",
        # paths come from routes.py; the prefix is where the plugin's urls.py mounts them
        "SCHEMA_PATH_PREFIX_INSERT": "/api/microcred/v1",
    }


class NoSuchEndpoint(MicrocredAPIView):
    """Any other path under the API (a malformed id included): a 404 in the API's error shape,
    not the host's HTML page."""

    permission_classes = (AllowAny,)

    def get(self, request, *args, **kwargs):
        raise NotFound("no such endpoint (check the path and the id's format)")

    post = put = patch = delete = get


urlpatterns = [
    path("schema/", SchemaView.as_view(), name="schema"),
    *routes,
    re_path(r"^.*$", NoSuchEndpoint.as_view()),
]
