"""Serializers of the learner's own programmes and credentials (``me/…``).

They read the frozen dataclasses ``api`` returns (never models). Decimals are strings
("3.125"), datetimes ISO 8601 UTC, dates ``YYYY-MM-DD``.
"""
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


class GroupRuleSerializer(serializers.Serializer):
    """What a group needs: ``kind`` all | count | credits | count_credits."""

    kind = serializers.CharField()
    total = serializers.IntegerField(help_text="Children in the group.")
    needed = serializers.IntegerField(help_text="Children the group needs (count rules).")
    satisfied = serializers.IntegerField(help_text="Children done.")
    remaining = serializers.IntegerField(help_text="Children still needed (0 once met).")
    credits_needed = serializers.DecimalField(max_digits=9, decimal_places=3, allow_null=True)
    credits_counted = serializers.DecimalField(max_digits=9, decimal_places=3)


class RequirementSerializer(serializers.Serializer):
    """A node of the requirement tree with the learner's state.

    ``state``: done | in_progress | not_started | not_needed (an enclosing group is satisfied
    without it). ``children`` (groups) are nodes of this same shape.
    """

    path = serializers.CharField(help_text='Position in the tree: "" is the root, "0.1"…')
    kind = serializers.ChoiceField(choices=["group", "course", "program", "external"])
    key = serializers.CharField(help_text="Course key, programme id or external id.")
    title = serializers.CharField()
    state = serializers.ChoiceField(choices=["done", "in_progress", "not_started",
                                             "not_needed"])
    achieved_at = serializers.DateTimeField(allow_null=True)
    credits = serializers.DecimalField(max_digits=9, decimal_places=3)
    hours = serializers.DecimalField(max_digits=9, decimal_places=3, allow_null=True)
    rule = GroupRuleSerializer(allow_null=True)
    children = serializers.SerializerMethodField()

    @extend_schema_field(serializers.ListField(child=serializers.DictField(),
                                               help_text="Requirement nodes (same shape)."))
    def get_children(self, node) -> list:
        return RequirementSerializer(node.children, many=True).data


class NextStepSerializer(serializers.Serializer):
    """What to do next: finish ``requirements`` (choose ``choose`` of them when set)."""

    requirements = serializers.SerializerMethodField()
    choose = serializers.IntegerField(allow_null=True)
    group_title = serializers.CharField()

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_requirements(self, step) -> list:
        return [{"path": leaf.path, "kind": leaf.kind, "key": leaf.key, "title": leaf.title,
                 "state": leaf.state} for leaf in step.leaves]


class ProgrammeSummarySerializer(serializers.Serializer):
    """A programme the learner has started. ``uses_credits`` false: read ``hours_*``."""

    program_id = serializers.CharField()
    title = serializers.CharField()
    version = serializers.IntegerField()
    lang = serializers.CharField()
    issuer_name = serializers.CharField()
    complete = serializers.BooleanField()
    started = serializers.BooleanField()
    uses_credits = serializers.BooleanField()
    credits_earned = serializers.DecimalField(max_digits=9, decimal_places=3)
    credits_required = serializers.DecimalField(max_digits=9, decimal_places=3)
    hours_earned = serializers.DecimalField(max_digits=9, decimal_places=3)
    hours_required = serializers.DecimalField(max_digits=9, decimal_places=3, allow_null=True)
    window_from = serializers.DateField(allow_null=True)
    window_until = serializers.DateField(allow_null=True, help_text="Deadline, inclusive.")
    credential_uuid = serializers.UUIDField(allow_null=True)
    next_step = NextStepSerializer()


class ProgrammeDetailSerializer(ProgrammeSummarySerializer):
    """A programme with its requirement tree."""

    requirements = RequirementSerializer(source="tree")


class CredentialItemSerializer(serializers.Serializer):
    """A requirement that counted towards the credential."""

    kind = serializers.CharField()
    key = serializers.CharField()
    title = serializers.CharField()
    credits = serializers.DecimalField(max_digits=9, decimal_places=3)
    hours = serializers.DecimalField(max_digits=9, decimal_places=3, allow_null=True)
    achieved_at = serializers.DateTimeField(allow_null=True)


class CredentialLinksSerializer(serializers.Serializer):
    """Where the credential's representations are."""

    verification = serializers.CharField(source="verify_url")
    document = serializers.CharField(source="credential_url",
                                     help_text="The signed Open Badges 3.0 credential.")
    clr = serializers.CharField(source="clr_url", help_text="The signed CLR 2.0 transcript.")
    pdf = serializers.CharField(source="pdf_url",
                                help_text="PDF certificate (holder only; empty once revoked).")
    image = serializers.CharField(
        source="image_url",
        help_text="PNG badge with the credential baked in (empty once revoked).")


class CredentialSerializer(serializers.Serializer):
    """A credential the learner holds or held. ``status``: awarded | revoked | expired."""

    uuid = serializers.UUIDField()
    program_id = serializers.CharField()
    title = serializers.CharField()
    issuer_name = serializers.CharField()
    status = serializers.ChoiceField(choices=["awarded", "revoked", "expired"])
    issued_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)
    revoked_by = serializers.CharField(help_text='"staff", "rule" or "".')
    revocation_reason = serializers.CharField()
    credits_earned = serializers.DecimalField(max_digits=9, decimal_places=3)
    credits_available = serializers.DecimalField(max_digits=9, decimal_places=3)
    hours = serializers.DecimalField(max_digits=9, decimal_places=3, allow_null=True)
    links = CredentialLinksSerializer(source="*")


class CredentialDetailSerializer(CredentialSerializer):
    """A credential with what counted towards it."""

    items = CredentialItemSerializer(many=True)
