"""Serializers of the course-team endpoints: input validation and the shapes of the responses
(read from the frozen dataclasses ``openedx_microcred.api`` returns)."""
from __future__ import annotations

from rest_framework import serializers

STATUSES = ("draft", "published", "retired")


class ProgramFilterSerializer(serializers.Serializer):
    """Query parameters of ``GET programmes/``."""

    org = serializers.CharField(required=False, max_length=255)
    status = serializers.ChoiceField(choices=STATUSES, required=False)
    course = serializers.CharField(required=False, max_length=255,
                                   help_text="A course run key the programme counts.")


class ProgramSerializer(serializers.Serializer):
    """A programme. ``revision`` is its ETag: send it back in ``If-Match`` when changing it."""

    program_id = serializers.CharField()
    org = serializers.CharField()
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=STATUSES)
    revision = serializers.IntegerField()
    published_version = serializers.IntegerField(allow_null=True)
    draft_version = serializers.IntegerField(allow_null=True)
    created = serializers.DateTimeField()
    retired_at = serializers.DateTimeField(allow_null=True)
    learners = serializers.IntegerField()
    credentials = serializers.IntegerField()


class DefinitionSerializer(serializers.Serializer):
    """A definition in its JSON form (``definition``, see ``definition-schema.json``)."""

    program_id = serializers.CharField()
    revision = serializers.IntegerField()
    version = serializers.IntegerField()
    status = serializers.CharField()
    definition = serializers.JSONField(source="json")


class ProblemSerializer(serializers.Serializer):
    """One problem: where (an XML line or a JSON Pointer) and what."""

    line = serializers.IntegerField(allow_null=True)
    path = serializers.CharField(allow_null=True)
    message = serializers.CharField()


class ReviewSerializer(serializers.Serializer):
    """A dry run's result."""

    valid = serializers.BooleanField()
    errors = ProblemSerializer(many=True)
    warnings = ProblemSerializer(many=True)


class PreviewSerializer(serializers.Serializer):
    """The learner-facing requirement text (Markdown) and the unsigned credential."""

    program_id = serializers.CharField()
    version = serializers.IntegerField()
    narrative = serializers.CharField()
    credential = serializers.JSONField()


class VersionSerializer(serializers.Serializer):
    """One version of a programme."""

    number = serializers.IntegerField()
    status = serializers.CharField()
    title = serializers.CharField()
    credits = serializers.DecimalField(max_digits=9, decimal_places=3, coerce_to_string=False)
    created = serializers.DateTimeField()
    updated = serializers.DateTimeField()
    published_at = serializers.DateTimeField(allow_null=True)
    created_by = serializers.CharField()
    published_by = serializers.CharField()


class DiffQuerySerializer(serializers.Serializer):
    """``from`` / ``to`` version numbers (defaults: the published version, the latest)."""

    from_version = serializers.IntegerField(required=False, min_value=1)
    to_version = serializers.IntegerField(required=False, min_value=1)


class DiffSerializer(serializers.Serializer):
    """The changes between two versions: a unified diff of the canonical XML and a summary."""

    from_version = serializers.IntegerField(allow_null=True)
    to_version = serializers.IntegerField(allow_null=True)
    unified = serializers.CharField(allow_blank=True)
    added_courses = serializers.ListField(child=serializers.CharField())
    removed_courses = serializers.ListField(child=serializers.CharField())
    credits_before = serializers.CharField(allow_null=True)
    credits_after = serializers.CharField(allow_null=True)


class PublishSummarySerializer(serializers.Serializer):
    """What publishing the draft changes, and how many learners it newly completes."""

    diff = DiffSerializer()
    learners = serializers.IntegerField()
    newly_complete = serializers.IntegerField()


class PublishJobSerializer(serializers.Serializer):
    """The evaluation a publication started, with its progress."""

    id = serializers.IntegerField()
    program_id = serializers.CharField()
    version = serializers.IntegerField()
    status = serializers.ChoiceField(choices=("pending", "running", "done", "failed"))
    learners_total = serializers.IntegerField()
    learners_done = serializers.IntegerField()
    issued = serializers.IntegerField()
    revoked = serializers.IntegerField()
    error = serializers.CharField(allow_blank=True)
    created = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)


class LearnerSerializer(serializers.Serializer):
    """A learner's standing in a programme."""

    username = serializers.CharField()
    name = serializers.CharField(allow_blank=True)
    requirements_met = serializers.IntegerField()
    requirements = serializers.IntegerField()
    credits_earned = serializers.DecimalField(max_digits=9, decimal_places=3,
                                              coerce_to_string=False)
    complete = serializers.BooleanField()
    credential_uuid = serializers.UUIDField(allow_null=True)
    credential_status = serializers.CharField(allow_blank=True)


class RevokeSerializer(serializers.Serializer):
    """Why a credential is revoked (sent to the registries that received it)."""

    reason = serializers.CharField(max_length=255, trim_whitespace=True)


class RevokeResultSerializer(serializers.Serializer):
    """Whether this request revoked it (False: it was revoked or expired already)."""

    uuid = serializers.UUIDField()
    revoked = serializers.BooleanField()


class CourseSerializer(serializers.Serializer):
    """A course run for the course picker."""

    course_key = serializers.CharField()
    title = serializers.CharField(allow_blank=True)
    org = serializers.CharField()


class CourseQuerySerializer(serializers.Serializer):
    """``search``: part of a course key or title."""

    search = serializers.CharField(required=False, allow_blank=True, max_length=200)


class OrgRoleSerializer(serializers.Serializer):
    """An org the user has a course-team role in."""

    org = serializers.CharField()
    role = serializers.ChoiceField(choices=("author", "viewer"))
