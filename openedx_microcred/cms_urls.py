"""URLs Studio mounts at its root: the shared ones and the authoring app (DESIGN §5)."""
from django.urls import include, path

from . import urls

app_name = urls.app_name

urlpatterns = [
    *urls.urlpatterns,
    path("microcred/studio/", include("openedx_microcred.studio.urls")),
]
