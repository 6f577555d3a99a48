"""Studio authoring pages, mounted by ``cms_urls`` at ``/microcred/studio/`` (DESIGN §5)."""
from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="studio-home"),
    path("programmes/new/", views.editor, name="studio-new"),
    path("programmes/<slug:program_id>/", views.editor, name="studio-editor"),
    # course keys contain "+" and ":" but never "/"
    path("courses/<str:course_key>/", views.course, name="studio-course"),
    path("jsi18n/", views.javascript_catalog, name="studio-jsi18n"),
]
