"""Routes of the course-team endpoints (relative to ``/api/microcred/v1/``)."""
from django.urls import path

from . import programmes as views

P = "programmes/<slug:program_id>/"

urlpatterns = [
    path("definition-schema.json", views.DefinitionSchemaView.as_view(),
         name="definition-schema"),
    path("programmes/", views.ProgramListView.as_view(), name="programmes"),
    path(P, views.ProgramDetailView.as_view(), name="programme"),
    path(P + "definition", views.DefinitionView.as_view(), name="programme-definition"),
    path(P + "validate", views.ValidateView.as_view(), name="programme-validate"),
    path(P + "preview", views.PreviewView.as_view(), name="programme-preview"),
    path(P + "publish", views.PublishView.as_view(), name="programme-publish"),
    path(P + "publish-summary", views.PublishSummaryView.as_view(),
         name="programme-publish-summary"),
    path(P + "publish-jobs/", views.PublishJobListView.as_view(), name="programme-publish-jobs"),
    path(P + "publish-jobs/<int:job_id>/", views.PublishJobDetailView.as_view(),
         name="programme-publish-job"),
    path(P + "retire", views.RetireView.as_view(), name="programme-retire"),
    path(P + "versions/", views.VersionListView.as_view(), name="programme-versions"),
    path(P + "diff", views.DiffView.as_view(), name="programme-diff"),
    path(P + "learners/", views.LearnerListView.as_view(), name="programme-learners"),
    path(P + "learners.csv", views.LearnerCSVView.as_view(), name="programme-learners-csv"),
    path("courses/", views.CourseSearchView.as_view(), name="courses"),
    path("orgs/", views.OrgRoleListView.as_view(), name="orgs"),
    path("courses/<str:course_key>/programmes/", views.CourseProgramListView.as_view(),
         name="course-programmes"),
    path("credentials/<uuid:credential_uuid>/revoke", views.CredentialRevokeView.as_view(),
         name="credential-revoke"),
]
