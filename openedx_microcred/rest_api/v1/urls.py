"""URLs of REST API v1, mounted at ``/api/microcred/v1/`` (DESIGN §5; namespace ``api-v1``):
the endpoints in ``routes.py`` and their OpenAPI 3 document at ``schema/``."""
from django.urls import path
from drf_spectacular.views import SpectacularAPIView

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


urlpatterns = [
    path("schema/", SchemaView.as_view(), name="schema"),
    *routes,
]
