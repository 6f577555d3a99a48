"""
The endpoints of REST API v1 (relative to ``/api/microcred/v1/``): the URLs the OpenAPI schema
describes. Each area adds its own ``path(…)`` lines or ``include(…)`` of its URL module here.
"""
from django.urls import URLPattern, URLResolver, include, path

urlpatterns: list[URLPattern | URLResolver] = [
    path("", include("openedx_microcred.rest_api.v1.programme_urls")),
]
