"""
Database models.

DO NOT put business rules here: requirement evaluation lives in ``rules`` (pure), issuance in
``issuance``. Models hold state and the database constraints that keep it consistent:

* a published ``ProgramVersion`` is immutable (``save`` refuses to change it); a programme has
  at most one draft, its latest version, which authors edit in place;
* ``Program.revision`` counts the writes to a programme: authors send back the revision they
  read (``If-Match``) and a stale one is refused, so two authors never overwrite each other;
* at most one active credential per (learner, programme) is a UNIQUE constraint over
  ``(user, program, active)`` where ``active`` is True or NULL — NULLs never collide, and unlike a
  conditional constraint this works on MySQL/MariaDB, which has no partial indexes.
"""
from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ImmutableVersionError(Exception):
    """Raised when code tries to change a published programme version."""


class Program(models.Model):
    """A micro-programme; its definitions live in ``ProgramVersion`` rows."""

    program_id = models.SlugField(max_length=100, unique=True, help_text=_("The XML id."))
    org = models.CharField(max_length=255, db_index=True)
    published_version = models.ForeignKey(
        "ProgramVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text=_("The version learners are evaluated against."),
    )
    created = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(
        null=True, blank=True,
        help_text=_("Retired: no new credentials; those issued stay valid."))
    revision = models.PositiveIntegerField(
        default=1, help_text=_("Incremented by every change (optimistic concurrency)."))

    DRAFT = "draft"
    PUBLISHED = "published"
    RETIRED = "retired"

    def __str__(self) -> str:
        return self.program_id

    @property
    def status(self) -> str:
        """``retired``, ``published`` (a version is live) or ``draft`` (never published)."""
        if self.retired_at is not None:
            return self.RETIRED
        return self.PUBLISHED if self.published_version_id else self.DRAFT


class ProgramVersion(models.Model):
    """One version of a programme definition; immutable once published."""

    DRAFT = "draft"
    PUBLISHED = "published"
    STATUS_CHOICES = [(DRAFT, _("Draft")), (PUBLISHED, _("Published"))]

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=STATUS_CHOICES, default=DRAFT)
    definition_xml = models.TextField(help_text=_("The canonical XML definition."))
    title = models.CharField(max_length=500)
    credits = models.DecimalField(max_digits=9, decimal_places=3)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["program", "number"], name="microcred_version_number"),
        ]
        ordering = ["program", "number"]

    def __str__(self) -> str:
        return f"{self.program.program_id} v{self.number} ({self.status})"

    def save(self, *args, **kwargs):
        """Save, refusing any change to a version that is already published in the database."""
        if self.pk and ProgramVersion.objects.filter(pk=self.pk, status=self.PUBLISHED).exists():
            raise ImmutableVersionError(f"{self} is published and cannot change")
        super().save(*args, **kwargs)


class ProgramLeafIndex(models.Model):
    """Which published programmes a course, programme or external achievement can affect.

    Derived from the published version and rebuilt when a version is published; the evaluate task
    finds candidate programmes with one indexed query.
    """

    COURSE = "course"  # key: "org+number" (any run)
    COURSE_RUN = "course-run"  # key: the exact course key
    PROGRAM = "program"  # key: a programme id
    EXTERNAL = "external"  # key: an external id or "badge:<template uuid>"

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="leaf_index")
    kind = models.CharField(max_length=16)
    key = models.CharField(max_length=255)

    class Meta:
        indexes = [models.Index(fields=["kind", "key"], name="microcred_leaf_lookup")]
        constraints = [
            models.UniqueConstraint(fields=["program", "kind", "key"],
                                    name="microcred_leaf_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.program_id} {self.kind} {self.key}"


class CourseCompletion(models.Model):
    """A learner's latest known standing in one course run.

    Written only by ``completions.record_*`` upserts, each facet (passing, grade, certificate)
    ordered by its own event time: an older event never overwrites newer state.
    """

    # No database FK constraint: the receiver's single upsert must not be able to fail inside the
    # LMS's transaction. Django still cascades the delete when a user is removed.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+", db_constraint=False)
    course_key = models.CharField(max_length=255, help_text=_("The run as reported (CCX or not)."))
    counted_key = models.CharField(max_length=255,
                                   help_text=_("The run that counts (CCX → master)."))
    org = models.CharField(max_length=255)
    number = models.CharField(max_length=255)
    passing = models.BooleanField(null=True)
    passed_at = models.DateTimeField(null=True, blank=True)
    passing_event_at = models.DateTimeField(null=True, blank=True)
    grade = models.FloatField(null=True, blank=True)
    grade_event_at = models.DateTimeField(null=True, blank=True)
    certificate_status = models.CharField(max_length=32, null=True, blank=True)
    certificate_mode = models.CharField(max_length=64, null=True, blank=True)
    certificate_at = models.DateTimeField(null=True, blank=True)
    certificate_event_at = models.DateTimeField(null=True, blank=True)
    modified = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "course_key"], name="microcred_completion_run"),
        ]
        indexes = [models.Index(fields=["org", "number"], name="microcred_completion_course")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.course_key}"


class ExternalAchievement(models.Model):
    """An achievement outside the LMS: recorded by staff, or a badge (credentials service)."""

    STAFF = "staff"
    BADGE = "badge"

    # No database FK constraint, as for ``CourseCompletion`` (written by a receiver).
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                             db_constraint=False)
    external_id = models.CharField(max_length=255)
    achieved_at = models.DateTimeField()
    evidence_url = models.URLField(max_length=1000, blank=True, default="")
    source = models.CharField(max_length=16, default=STAFF)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "external_id"], name="microcred_external_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.external_id}"


class ProgramProgress(models.Model):
    """The latest evaluation of one learner against one programme."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="progress")
    version = models.ForeignKey(ProgramVersion, on_delete=models.PROTECT, related_name="+")
    complete = models.BooleanField(default=False)
    credits_earned = models.DecimalField(max_digits=9, decimal_places=3, default=0)
    satisfied = models.JSONField(default=list, help_text=_("Paths of the satisfied requirements."))
    evaluated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "program"], name="microcred_progress_once"),
        ]
        verbose_name_plural = "program progress"

    def __str__(self) -> str:
        return f"{self.user_id} {self.program_id} {'complete' if self.complete else 'in progress'}"


class Credential(models.Model):
    """What a learner earned: against which programme version, when, from which completions."""

    AWARDED = "awarded"
    REVOKED = "revoked"
    EXPIRED = "expired"
    STATUS_CHOICES = [(AWARDED, _("Awarded")), (REVOKED, _("Revoked")), (EXPIRED, _("Expired"))]

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="credentials")
    version = models.ForeignKey(ProgramVersion, on_delete=models.PROTECT,
                                related_name="credentials")
    status = models.CharField(max_length=16, choices=STATUS_CHOICES, default=AWARDED)
    # True while the credential holds the learner's one active slot for the programme, else NULL.
    active = models.BooleanField(null=True, default=True, editable=False)
    issued_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revocation_reason = models.CharField(max_length=255, blank=True, default="")
    BY_STAFF = "staff"
    BY_RULE = "rule"
    revoked_by = models.CharField(
        max_length=8, blank=True, default="",
        choices=[(BY_STAFF, _("Staff")), (BY_RULE, _("Requirements no longer met"))],
        help_text=_("Staff revocations are final: the programme is not issued again "
                    "automatically. Revocations by the rules are undone by earning it again."))
    credits_earned = models.DecimalField(max_digits=9, decimal_places=3)
    status_list = models.ForeignKey("StatusList", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="credentials")
    status_index = models.PositiveIntegerField(null=True, blank=True)
    document = models.JSONField(null=True, blank=True, editable=False,
                                help_text=_("The signed Open Badges 3.0 AchievementCredential."))
    clr_document = models.JSONField(null=True, blank=True, editable=False,
                                    help_text=_("The signed CLR 2.0 ClrCredential."))
    evidence = models.JSONField(default=list,
                                help_text=_("The satisfied requirements that counted."))
    completions = models.ManyToManyField(CourseCompletion, related_name="credentials", blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "program", "active"],
                                    name="microcred_one_active_credential"),
            # A status-list index is never reused: each credential owns its bit for good.
            models.UniqueConstraint(fields=["status_list", "status_index"],
                                    name="microcred_status_index_once"),
        ]

    def __str__(self) -> str:
        return f"{self.uuid} {self.program_id} {self.status}"

    def current_status(self, now=None) -> str:
        """``status``, reporting an awarded credential past ``expires_at`` as expired."""
        now = now or timezone.now()
        if self.status == self.AWARDED and self.expires_at and self.expires_at <= now:
            return self.EXPIRED
        return self.status


class LearnerLock(models.Model):
    """One row per learner, locked (``SELECT … FOR UPDATE``) while the learner is evaluated."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="+", db_constraint=False)

    def __str__(self) -> str:
        return str(self.user_id)


class IssuerKey(models.Model):
    """An organisation's Ed25519 signing key; the private half is encrypted at rest.

    One active key per org (``active`` True or NULL, as for credentials). Retired keys stay: they
    remain in the org's DID document so credentials signed before a rotation still verify.
    """

    org = models.CharField(max_length=255, db_index=True)
    public_key = models.CharField(max_length=100, unique=True,
                                  help_text=_("Multikey (multibase base58btc) public key."))
    encrypted_private_key = models.TextField(editable=False)
    active = models.BooleanField(null=True, default=True, editable=False)
    created = models.DateTimeField(default=timezone.now)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["org", "active"], name="microcred_one_active_key"),
        ]

    def __str__(self) -> str:
        return f"{self.org} {self.public_key[:16]}… ({'active' if self.active else 'retired'})"


class StatusList(models.Model):
    """A Bitstring Status List (v1.0) of an issuing org, served as a signed credential."""

    REVOCATION = "revocation"

    list_id = models.SlugField(max_length=120, unique=True)
    org = models.CharField(max_length=255, db_index=True)
    purpose = models.CharField(max_length=32, default=REVOCATION)
    size = models.PositiveIntegerField()
    next_index = models.PositiveIntegerField(default=0)
    bits = models.BinaryField(editable=False)
    document = models.JSONField(null=True, blank=True, editable=False,
                                help_text=_("The signed BitstringStatusListCredential."))
    updated = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.list_id} ({self.next_index}/{self.size} used)"


class RegistryConnection(models.Model):
    """An operator's account on an external registry (Credly, Accredible, Parchment, webhook).

    The secret (API token, OAuth client secret, webhook signing key) is encrypted at rest and
    write-only in the admin; it is never rendered or logged.
    """

    CREDLY = "credly"
    ACCREDIBLE = "accredible"
    PARCHMENT = "parchment"
    WEBHOOK = "webhook"
    KIND_CHOICES = [(CREDLY, "Credly"), (ACCREDIBLE, "Accredible"),
                    (PARCHMENT, "Parchment Digital Badges (Badgr)"), (WEBHOOK, _("Webhook"))]

    name = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=16, choices=KIND_CHOICES)
    base_url = models.URLField(max_length=500, blank=True, default="",
                               help_text=_("API root; empty for the registry's default host."))
    encrypted_secret = models.TextField(blank=True, default="", editable=False)
    options = models.JSONField(default=dict, blank=True,
                               help_text=_("Registry settings, e.g. organization_id, sandbox."))
    all_programs = models.BooleanField(
        default=True, help_text=_("Deliver every programme's credentials (else mapped ones)."))
    active = models.BooleanField(default=True)
    rate_limit = models.PositiveIntegerField(
        default=10, help_text=_("Most requests per second to this registry."))
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"


class RegistryProgramMapping(models.Model):
    """Which programmes go to a connection, with per-programme settings (a badge template…)."""

    connection = models.ForeignKey(RegistryConnection, on_delete=models.CASCADE,
                                   related_name="mappings")
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    options = models.JSONField(default=dict, blank=True, help_text=_(
        "e.g. badge_template_id (Credly), group_id (Accredible), "
        "badgeclass_entity_id (Parchment)."))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "program"],
                                    name="microcred_mapping_once"),
        ]

    def __str__(self) -> str:
        return f"{self.connection_id} → {self.program_id}"


class Delivery(models.Model):
    """The outbox: one row per (credential, connection, action), written with the credential.

    A row is claimed (``select_for_update(skip_locked=True)``) and leased while it is being
    sent; a lease that expires (a worker died) makes it due again, and the registry
    de-duplicates the re-send by ``idempotency_key``.
    """

    ISSUE = "issue"
    REVOKE = "revoke"
    ACTION_CHOICES = [(ISSUE, _("Issue")), (REVOKE, _("Revoke"))]
    PENDING = "pending"
    SENDING = "sending"
    DELIVERED = "delivered"
    DEAD = "dead"
    STATUS_CHOICES = [(PENDING, _("Pending")), (SENDING, _("Sending")),
                      (DELIVERED, _("Delivered")), (DEAD, _("Dead letter"))]

    credential = models.ForeignKey(Credential, on_delete=models.CASCADE, related_name="deliveries")
    connection = models.ForeignKey(RegistryConnection, on_delete=models.CASCADE,
                                   related_name="deliveries")
    action = models.CharField(max_length=8, choices=ACTION_CHOICES)
    status = models.CharField(max_length=16, choices=STATUS_CHOICES, default=PENDING)
    idempotency_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    external_id = models.CharField(max_length=255, blank=True, default="")
    created = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["credential", "connection", "action"],
                                    name="microcred_delivery_once"),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="microcred_due")]
        verbose_name_plural = "deliveries"

    def __str__(self) -> str:
        return f"{self.action} {self.credential_id} → {self.connection_id} ({self.status})"


class RejectedEvent(models.Model):
    """An event payload a receiver could not use: kept for operators instead of raising."""

    event_type = models.CharField(max_length=255)
    event_id = models.CharField(max_length=64, blank=True, default="")
    reason = models.CharField(max_length=500)
    received_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.event_type}: {self.reason}"


class BackfillCheckpoint(models.Model):
    """Where an interrupted ``microcred_backfill`` run resumes."""

    name = models.CharField(max_length=120, unique=True)
    last_user_id = models.BigIntegerField(default=0)
    updated = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name} @ {self.last_user_id}"


class OrgRole(models.Model):
    """A course-team role for an org's programmes, for the ``standalone`` platform backend.

    Inside edx-platform (the ``edxapp`` backend) the platform's own org roles decide and these
    rows are not read. ``author`` may create, edit, publish and retire the org's programmes and
    revoke their credentials; ``viewer`` may read them, their learners and their history.
    """

    AUTHOR = "author"
    VIEWER = "viewer"
    ROLE_CHOICES = [(AUTHOR, _("Author")), (VIEWER, _("Viewer"))]

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    org = models.CharField(max_length=255, db_index=True)
    role = models.CharField(max_length=16, choices=ROLE_CHOICES, default=AUTHOR)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "org"], name="microcred_org_role_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.role} of {self.org}"


class PublishJob(models.Model):
    """The evaluation that publishing starts: learners with completions in the programme's
    courses are evaluated against the new version, with counts the author can watch."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    STATUS_CHOICES = [(PENDING, _("Pending")), (RUNNING, _("Running")), (DONE, _("Done")),
                      (FAILED, _("Failed"))]

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="publish_jobs")
    version = models.ForeignKey(ProgramVersion, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=16, choices=STATUS_CHOICES, default=PENDING)
    learners_total = models.PositiveIntegerField(default=0)
    learners_done = models.PositiveIntegerField(default=0)
    issued = models.PositiveIntegerField(default=0)
    revoked = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True, default="")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"publish {self.program_id} v{self.version_id} ({self.status})"
