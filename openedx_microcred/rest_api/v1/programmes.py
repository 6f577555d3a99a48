"""
Course-team endpoints: programmes, their definitions, drafts, publishing, learners, and the
courses and credentials around them.

Optimistic concurrency: every programme response carries ``ETag: "<revision>"``; every change
to an existing programme must send it back as ``If-Match`` (428 without it, 409 when someone
changed the programme since). Definitions travel as XML (``application/xml``, the import/export
contract) or as their JSON form (``application/json``, ``definition-schema.json``).
"""
from __future__ import annotations

import csv
from collections.abc import Iterator

from django.http import StreamingHttpResponse
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from ... import api
from .base import MicrocredAPIView, MicrocredGenericAPIView
from .permissions import CanAuthorOrg
from .renderers import (
    BoundedJSONParser,
    TextXMLDefinitionParser,
    XMLDefinitionParser,
    XMLDefinitionRenderer,
)
from .serializers import (
    CourseQuerySerializer,
    CourseSerializer,
    DefinitionSerializer,
    DiffQuerySerializer,
    DiffSerializer,
    LearnerSerializer,
    OrgRoleSerializer,
    PreviewSerializer,
    ProgramFilterSerializer,
    ProgramSerializer,
    PublishJobSerializer,
    PublishSummarySerializer,
    ReviewSerializer,
    RevokeResultSerializer,
    RevokeSerializer,
    VersionSerializer,
)

DEFINITION_PARSERS = (BoundedJSONParser, XMLDefinitionParser, TextXMLDefinitionParser)
IF_MATCH = OpenApiParameter(
    "If-Match", OpenApiTypes.STR, OpenApiParameter.HEADER, required=True,
    description='The programme\'s ETag (its revision, e.g. "3") as last read.')
DEFINITION_BODY = {"application/json": OpenApiTypes.OBJECT, "application/xml": OpenApiTypes.STR}


def documented(**kwargs):
    """``extend_schema`` on drf-spectacular's ``AutoSchema`` whatever the host project's
    ``DEFAULT_SCHEMA_CLASS`` (the LMS and Studio set their own)."""
    def decorate(method):
        method.schema = AutoSchema
        return extend_schema(**kwargs)(method)
    return decorate


class PreconditionRequired(APIException):
    """A change to a programme sent without ``If-Match``."""

    status_code = 428
    default_detail = ('Send the programme\'s ETag in If-Match (e.g. If-Match: "3") so that '
                      "a change made meanwhile by someone else is not overwritten.")
    default_code = "precondition_required"


class ProgramView(MicrocredGenericAPIView):
    """A view on one programme: ``program()`` loads it and checks the object permission."""

    permission_classes = (IsAuthenticated, CanAuthorOrg)
    changes_state = True

    def program(self) -> api.ProgramData:
        """The programme of the URL, once the user's role in its org allows the request."""
        program = api.get_program(program_id=self.kwargs["program_id"])
        self.check_object_permissions(self.request, program)
        return program

    def if_match(self) -> int:
        """The revision the client read (``If-Match``); 428 without it."""
        header = (self.request.headers.get("If-Match") or "").strip()
        if not header:
            raise PreconditionRequired()
        value = header.removeprefix("W/").strip('"')
        if not value.isdigit():
            raise ValidationError({"If-Match": f'expected an ETag like "3", not {header}'})
        return int(value)


def source(request) -> dict:
    """The definition in the request body: ``{"xml": bytes}`` or ``{"data": dict}``."""
    if isinstance(request.data, (bytes, str)):
        return {"xml": request.data}
    return {"data": request.data}


def with_etag(response: Response, revision: int) -> Response:
    response["ETag"] = f'"{revision}"'
    return response


class ProgramListView(MicrocredGenericAPIView):
    """``GET``: the programmes of the orgs the user has a role in. ``POST``: create a programme
    (a draft) from an XML or JSON definition; needs the author role in its org."""

    serializer_class = ProgramSerializer
    parser_classes = DEFINITION_PARSERS

    @documented(parameters=[ProgramFilterSerializer], responses=ProgramSerializer(many=True))
    def get(self, request):
        filters = ProgramFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        found = api.list_programs(user=request.user, **filters.validated_data)
        page = self.paginate_queryset(found)
        return self.get_paginated_response(ProgramSerializer(page, many=True).data)

    @documented(request=DEFINITION_BODY, responses={201: ProgramSerializer})
    def post(self, request):
        program = api.create_program(user=request.user, **source(request))
        response = Response(ProgramSerializer(program).data, status=status.HTTP_201_CREATED)
        response["Location"] = request.build_absolute_uri(f"{program.program_id}/")
        return with_etag(response, program.revision)


class ProgramDetailView(ProgramView):
    """``GET`` a programme; ``PATCH`` top-level members of its draft's JSON form (not ``id`` or
    ``org``); ``DELETE`` it if it was never published (retire a published one)."""

    serializer_class = ProgramSerializer

    def get(self, request, program_id):
        program = self.program()
        return with_etag(Response(ProgramSerializer(program).data), program.revision)

    @documented(parameters=[IF_MATCH], request=OpenApiTypes.OBJECT,
                   responses=ProgramSerializer)
    def patch(self, request, program_id):
        self.program()
        if not isinstance(request.data, dict):
            raise ValidationError("send a JSON object of the definition members to change")
        program = api.patch_program(program_id=program_id, user=request.user,
                                    changes=dict(request.data), expected_revision=self.if_match())
        return with_etag(Response(ProgramSerializer(program).data), program.revision)

    @documented(parameters=[IF_MATCH], responses={204: None})
    def delete(self, request, program_id):
        self.program()
        api.delete_program(program_id=program_id, expected_revision=self.if_match())
        return Response(status=status.HTTP_204_NO_CONTENT)


class DefinitionView(ProgramView):
    """``GET`` the definition (the draft, else the published version; ``?version=N`` for
    another) as JSON, or as XML with ``Accept: application/xml`` or ``?format=xml``. ``PUT``
    an XML or JSON definition: it replaces the draft (opening one after a publication)."""

    serializer_class = DefinitionSerializer
    parser_classes = DEFINITION_PARSERS
    renderer_classes = (JSONRenderer, XMLDefinitionRenderer)

    @documented(parameters=[OpenApiParameter("version", int)],
                   responses={(200, "application/json"): DefinitionSerializer,
                              (200, "application/xml"): OpenApiTypes.STR})
    def get(self, request, program_id):
        program = self.program()
        version = request.query_params.get("version")
        if version is not None and not version.isdigit():
            raise ValidationError({"version": "a version number"})
        definition = api.get_definition(program_id=program_id,
                                        version=int(version) if version else None)
        if request.accepted_renderer.format == "xml":
            return with_etag(Response(definition.xml), program.revision)
        return with_etag(Response(DefinitionSerializer(definition).data), program.revision)

    @documented(parameters=[IF_MATCH], request=DEFINITION_BODY,
                   responses={(200, "application/json"): DefinitionSerializer})
    def put(self, request, program_id):
        self.program()
        program = api.save_draft(program_id=program_id, user=request.user,
                                 expected_revision=self.if_match(), **source(request))
        definition = api.get_definition(program_id=program_id)
        if request.accepted_renderer.format == "xml":
            return with_etag(Response(definition.xml), program.revision)
        return with_etag(Response(DefinitionSerializer(definition).data), program.revision)


class ValidateView(ProgramView):
    """``POST`` a definition (XML or JSON) to get every error and warning without saving it;
    with no body, the programme's current draft is checked. Viewers may use it."""

    serializer_class = ReviewSerializer
    parser_classes = DEFINITION_PARSERS
    changes_state = False

    @documented(request=DEFINITION_BODY, responses=ReviewSerializer)
    def post(self, request, program_id):
        self.program()
        body = source(request) if request.data else {}
        result = api.validate_definition(program_id=program_id, **body)
        return Response(ReviewSerializer(result).data)


class PreviewView(ProgramView):
    """``GET`` the requirement text learners read and the credential as it would be issued
    (unsigned) for the draft, or ``?version=N``."""

    serializer_class = PreviewSerializer

    @documented(parameters=[OpenApiParameter("version", int)], responses=PreviewSerializer)
    def get(self, request, program_id):
        self.program()
        version = request.query_params.get("version")
        if version is not None and not version.isdigit():
            raise ValidationError({"version": "a version number"})
        shown = api.preview_program(program_id=program_id,
                                    version=int(version) if version else None)
        return Response(PreviewSerializer(shown).data)


class PublishView(ProgramView):
    """``POST``: publish the draft. Answers 202 with the job evaluating the learners who
    already have completions in its courses; follow its progress at ``publish-jobs/{id}/``."""

    serializer_class = PublishJobSerializer

    @documented(parameters=[IF_MATCH], request=None, responses={202: PublishJobSerializer})
    def post(self, request, program_id):
        self.program()
        job = api.publish_program(program_id=program_id, user=request.user,
                                  expected_revision=self.if_match())
        response = Response(PublishJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)
        response["Location"] = request.build_absolute_uri(f"publish-jobs/{job.id}/")
        return with_etag(response, api.get_program(program_id=program_id).revision)


class PublishSummaryView(ProgramView):
    """``GET`` what publishing the draft would change and how many learners it would newly
    complete (404 when there is no draft)."""

    serializer_class = PublishSummarySerializer

    def get(self, request, program_id):
        self.program()
        return Response(PublishSummarySerializer(
            api.get_publish_summary(program_id=program_id)).data)


class PublishJobListView(ProgramView):
    """``GET`` the programme's publish jobs, newest first."""

    serializer_class = PublishJobSerializer

    @documented(responses=PublishJobSerializer(many=True))
    def get(self, request, program_id):
        self.program()
        page = self.paginate_queryset(api.list_publish_jobs(program_id=program_id))
        return self.get_paginated_response(PublishJobSerializer(page, many=True).data)


class PublishJobDetailView(ProgramView):
    """``GET`` one publish job: its status and counts (learners evaluated, issued)."""

    serializer_class = PublishJobSerializer

    def get(self, request, program_id, job_id):
        self.program()
        return Response(PublishJobSerializer(
            api.get_publish_job(program_id=program_id, job_id=job_id)).data)


class RetireView(ProgramView):
    """``POST``: retire a published programme. No new credentials; issued ones stay valid."""

    serializer_class = ProgramSerializer

    @documented(parameters=[IF_MATCH], request=None, responses=ProgramSerializer)
    def post(self, request, program_id):
        self.program()
        program = api.retire_program(program_id=program_id, expected_revision=self.if_match())
        return with_etag(Response(ProgramSerializer(program).data), program.revision)


class VersionListView(ProgramView):
    """``GET`` every version of the programme, newest first."""

    serializer_class = VersionSerializer

    @documented(responses=VersionSerializer(many=True))
    def get(self, request, program_id):
        self.program()
        page = self.paginate_queryset(api.list_versions(program_id=program_id))
        return self.get_paginated_response(VersionSerializer(page, many=True).data)


class DiffView(ProgramView):
    """``GET`` the changes between two versions (``from_version``, ``to_version``; defaults:
    the published version and the latest one)."""

    serializer_class = DiffSerializer

    @documented(parameters=[DiffQuerySerializer], responses=DiffSerializer)
    def get(self, request, program_id):
        program = self.program()
        query = DiffQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        latest = program.draft_version or program.published_version
        to_version = query.validated_data.get("to_version", latest)
        default_from = program.published_version if program.published_version != to_version \
            else (to_version - 1 if to_version and to_version > 1 else None)
        from_version = query.validated_data.get("from_version", default_from)
        changes = api.diff_versions(program_id=program_id, from_version=from_version,
                                    to_version=to_version)
        return Response(DiffSerializer(changes).data)


class LearnerListView(ProgramView):
    """``GET`` the learners evaluated against the programme (paginated, by learner)."""

    serializer_class = LearnerSerializer

    @documented(responses=LearnerSerializer(many=True))
    def get(self, request, program_id):
        self.program()
        rows, to_data = api.learner_page(program_id=program_id)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(LearnerSerializer(to_data(page), many=True).data)


class _Echo:
    """A file-like object whose ``write`` returns what it is given (for streaming csv)."""

    def write(self, value: str) -> str:
        return value


class LearnerCSVView(ProgramView):
    """``GET`` the same learners as a CSV file, streamed."""

    serializer_class = LearnerSerializer

    @documented(responses={(200, "text/csv"): OpenApiTypes.STR})
    def get(self, request, program_id):
        self.program()
        writer = csv.writer(_Echo())

        def lines() -> Iterator[str]:
            yield writer.writerow(api.LEARNER_CSV_HEADER)
            for row in api.iter_learners(program_id=program_id):
                yield writer.writerow([_csv_safe(value) for value in row.csv_values()])

        response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{program_id}-learners.csv"'
        return response


def _csv_safe(value: str) -> str:
    """Neutralise spreadsheet formulas (CSV injection) in learner-supplied text."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


class CourseProgramListView(MicrocredGenericAPIView):
    """``GET`` the programmes that count this course run (of the orgs the user has a role in)."""

    serializer_class = ProgramSerializer

    @documented(responses=ProgramSerializer(many=True))
    def get(self, request, course_key):
        page = self.paginate_queryset(api.list_programs(user=request.user, course=course_key))
        return self.get_paginated_response(ProgramSerializer(page, many=True).data)


class CourseSearchView(MicrocredGenericAPIView):
    """``GET`` course runs for the course picker (``?search=``), of the orgs the user authors."""

    serializer_class = CourseSerializer

    @documented(parameters=[CourseQuerySerializer], responses=CourseSerializer(many=True))
    def get(self, request):
        query = CourseQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        found = api.search_courses(user=request.user, query=query.validated_data.get("search", ""))
        page = self.paginate_queryset(found)
        return self.get_paginated_response(CourseSerializer(page, many=True).data)


class CredentialRevokeView(MicrocredGenericAPIView):
    """``POST {"reason": …}``: revoke a credential of a programme the user authors."""

    permission_classes = (IsAuthenticated, CanAuthorOrg)
    serializer_class = RevokeSerializer

    @documented(request=RevokeSerializer, responses=RevokeResultSerializer)
    def post(self, request, credential_uuid):
        _, org = api.get_credential_program(credential_uuid)
        self.check_object_permissions(request, _Org(org))
        body = RevokeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        revoked = api.revoke_credential(credential_uuid, reason=body.validated_data["reason"])
        return Response(RevokeResultSerializer(
            {"uuid": credential_uuid, "revoked": revoked}).data)


class _Org:
    """The object of a permission check that is only an org."""

    def __init__(self, org: str):
        self.org = org


class OrgRoleListView(MicrocredGenericAPIView):
    """``GET`` the orgs the user has a course-team role in (author or viewer): the orgs a new
    programme may name."""

    serializer_class = OrgRoleSerializer

    @documented(responses=OrgRoleSerializer(many=True))
    def get(self, request):
        page = self.paginate_queryset(api.list_org_roles(user=request.user))
        return self.get_paginated_response(OrgRoleSerializer(page, many=True).data)


class DefinitionSchemaView(MicrocredAPIView):
    """``GET`` the JSON Schema of the JSON form of a definition (public documentation)."""

    authentication_classes: tuple = ()
    permission_classes = (AllowAny,)

    @documented(responses={(200, "application/schema+json"): OpenApiTypes.OBJECT})
    def get(self, request):
        return Response(api.get_definition_json_schema())



