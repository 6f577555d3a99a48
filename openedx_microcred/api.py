"""
The public Python API of openedx-microcred: the only module other code should import.

Functions take keyword-only arguments and return plain, frozen data objects (never model
instances), so callers cannot couple to the schema.
"""
from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, OuterRef, Subquery

from . import (
    completions,
    delivery,
    encryption,
    issuance,
    issuers,
    platform,
    programs,
    registries,
    rules,
    signing,
    tasks,
    verification,
)
from .authoring import drafts, learners, review, roles
from .authoring.errors import (
    CourseAccessDenied,
    OrgAccessDenied,
    ProgramExists,
    ProgramStateError,
    StaleRevision,
)
from .credentials.achievement import completed_courses
from .definitions import (
    Problem,
    ProgramDefinitionError,
    definition_to_json,
    json_schema,
    serialize_program,
)
from .models import (
    Credential,
    Program,
    ProgramProgress,
    ProgramVersion,
    PublishJob,
    RegistryConnection,
    RegistryProgramMapping,
    StatusList,
)
from .programs import ProgramNotFound, ProgramRetired

__all__ = [
    "ProgramDefinitionError",
    "ProgramNotFound",
    "UnknownLearner",
    "CredentialData",
    "ProgramProgressData",
    "RequirementData",
    "import_program",
    "import_programs",
    "export_program",
    "record_external_achievement",
    "get_progress",
    "get_credentials",
    "CredentialNotFound",
    "VerificationData",
    "CourseEvidenceData",
    "revoke_credential",
    "get_credential_document",
    "get_clr_document",
    "get_status_list_document",
    "get_did_document",
    "get_verification",
    "rotate_issuer_key",
    "RegistryConfigurationError",
    "configure_registry",
    # authoring (course teams)
    "Problem",
    "StaleRevision",
    "ProgramStateError",
    "ProgramExists",
    "ProgramRetired",
    "CourseAccessDenied",
    "OrgAccessDenied",
    "AUTHOR",
    "VIEWER",
    "ProgramData",
    "VersionData",
    "DefinitionData",
    "PublishJobData",
    "ReviewData",
    "PreviewData",
    "DiffData",
    "PublishSummaryData",
    "LearnerRowData",
    "CourseData",
    "get_org_role",
    "can_write_course",
    "list_programs",
    "get_program",
    "create_program",
    "save_draft",
    "patch_program",
    "publish_program",
    "retire_program",
    "delete_program",
    "get_definition",
    "list_versions",
    "validate_definition",
    "preview_program",
    "diff_versions",
    "get_publish_summary",
    "get_publish_job",
    "list_publish_jobs",
    "learner_page",
    "iter_learners",
    "LEARNER_CSV_HEADER",
    "search_courses",
    "get_credential_program",
    "get_definition_json_schema",
    "OrgRoleData",
    "list_org_roles",
    "ImportedData",
    "import_definitions",
    "grant_org_role",
    "revoke_org_role",
]


class UnknownLearner(LookupError):
    """No user has the given id."""


class CredentialNotFound(LookupError):
    """No credential (or public document) has the given id."""


@dataclass(frozen=True)
class RequirementData:
    """A satisfied requirement: ``path`` in the tree (``""`` is the root), what it is."""

    path: str
    kind: str  # "group", "course", "program" or "external"
    key: str  # course key, programme id or external id ("" for groups)
    title: str


@dataclass(frozen=True)
class ProgramProgressData:
    """A learner's standing in one programme."""

    program_id: str
    title: str
    version: int
    complete: bool
    credits_earned: Decimal
    credits_required: Decimal
    satisfied: tuple[RequirementData, ...]


@dataclass(frozen=True)
class CredentialData:
    """A credential a learner holds or held."""

    uuid: UUID
    program_id: str
    title: str
    version: int
    status: str  # "awarded", "revoked" or "expired"
    issued_at: datetime
    expires_at: datetime | None
    credits_earned: Decimal


def import_program(xml: bytes | str, *, publish: bool = True) -> str:
    """Import a programme definition (DESIGN §3 XML); return its programme id.

    A new immutable version is created unless ``xml`` equals the latest version. Raises
    ``ProgramDefinitionError`` naming the line and problem for invalid input.
    """
    return programs.import_program(xml, publish=publish).program.program_id


def import_programs(xmls: list[bytes | str], *, publish: bool = True) -> list[str]:
    """Import several definitions in dependency order (stacked programmes last); all or nothing."""
    versions = programs.import_programs(xmls, publish=publish)
    return [version.program.program_id for version in versions]


def export_program(program_id: str) -> str:
    """The canonical XML of a programme's published version. Raises ``ProgramNotFound``."""
    return programs.export_program(program_id)


def record_external_achievement(*, user_id: int, external_id: str, achieved_at: datetime,
                                evidence_url: str | None = None) -> None:
    """Record that a learner achieved ``external_id`` (for ``<external>`` requirements).

    Recording again keeps the earliest time. Programmes containing ``external_id`` are
    re-evaluated after the transaction commits. Raises ``UnknownLearner`` or ``ValueError``.
    """
    external_id = (external_id or "").strip()
    if not external_id or len(external_id) > 255:
        raise ValueError("external_id must be 1 to 255 characters")
    if achieved_at.tzinfo is None:
        raise ValueError("achieved_at must be timezone-aware")
    if not get_user_model().objects.filter(pk=user_id).exists():
        raise UnknownLearner(user_id)
    with transaction.atomic():
        completions.record_external(user_id=user_id, external_id=external_id,
                                    achieved_at=achieved_at, evidence_url=evidence_url or "")
        transaction.on_commit(lambda: tasks.enqueue_evaluation(user_id, external_id=external_id))


def get_progress(*, user_id: int) -> list[ProgramProgressData]:
    """The learner's progress in every programme they have started, by programme id."""
    rows = (ProgramProgress.objects.filter(user_id=user_id)
            .select_related("program", "version").order_by("program__program_id"))
    return [_progress_data(row) for row in rows]


def get_credentials(*, user_id: int) -> list[CredentialData]:
    """Every credential the learner holds or held, newest first."""
    rows = (Credential.objects.filter(user_id=user_id).select_related("program", "version")
            .order_by("-issued_at", "-pk"))
    return [
        CredentialData(
            uuid=row.uuid, program_id=row.program.program_id, title=row.version.title,
            version=row.version.number, status=row.current_status(), issued_at=row.issued_at,
            expires_at=row.expires_at, credits_earned=row.credits_earned,
        )
        for row in rows
    ]


@dataclass(frozen=True)
class CourseEvidenceData:
    """A course that counted towards a credential."""

    course_key: str
    title: str
    credits: Decimal
    completed_at: datetime | None


@dataclass(frozen=True)
class VerificationData:
    """Everything the public verification page shows about one credential."""

    uuid: UUID
    program_id: str
    program_title: str
    program_description: str
    lang: str
    learner_name: str
    issuer_name: str
    issuer_url: str
    issuer_did: str
    issued_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    credits_earned: Decimal
    credits_available: Decimal
    courses: tuple[CourseEvidenceData, ...]
    verdict: str  # "valid", "revoked", "expired" or "invalid"
    verdict_reason: str
    checks: dict[str, bool]  # signature, issuer_key, not_revoked, not_expired
    credential_url: str
    clr_url: str
    verify_url: str


def revoke_credential(credential_uuid: UUID | str, *, reason: str) -> bool:
    """Revoke a credential: its status-list bit is set, the list re-signed, and a revocation
    queued for every registry that received it.

    Returns False when it was already revoked or expired. Raises ``CredentialNotFound``.
    """
    credential = _credential(credential_uuid)
    with transaction.atomic():
        revoked = issuance.revoke(credential, reason=reason or "revoked")
        if revoked:
            transaction.on_commit(lambda: tasks.dispatch_deliveries([credential.pk]))
    return revoked


class RegistryConfigurationError(ValueError):
    """``configure_registry`` was given something it cannot use."""


REGISTRY_KINDS = ("credly", "accredible", "parchment", "webhook")


def configure_registry(*, kind: str, name: str, base_url: str, secret: str | None = None,
                       options: dict | None = None, programs: list[str] | None = None) -> int:
    """Create or update the registry connection ``name``; return its id.

    ``kind`` is one of credly, accredible, parchment, webhook. ``secret`` (token, client
    secret, webhook signing key) is encrypted at rest; None keeps the stored one. ``programs``
    None means every programme; a list of programme ids (the XML ``id``) limits the connection
    to those — give per-programme options (a Credly badge template…) as
    ``options={"programs": {"<id>": {...}}}``. The client is built once to validate the
    configuration. Raises ``RegistryConfigurationError``.
    """
    if kind not in REGISTRY_KINDS:
        raise RegistryConfigurationError(f"kind must be one of {', '.join(REGISTRY_KINDS)}")
    if not name or len(name) > 120:
        raise RegistryConfigurationError("name must be 1 to 120 characters")
    options = dict(options or {})
    per_program = options.pop("programs", {}) or {}
    known = dict(Program.objects.filter(program_id__in=list(programs or []) + list(per_program))
                 .values_list("program_id", "pk"))
    missing = sorted(set(programs or []) - set(known))
    if missing:
        raise RegistryConfigurationError(f"unknown programmes: {', '.join(missing)}")
    with transaction.atomic():
        connection, _ = RegistryConnection.objects.get_or_create(name=name,
                                                                 defaults={"kind": kind})
        connection.kind, connection.base_url, connection.options = kind, base_url or "", options
        connection.all_programs = programs is None
        if secret is not None:
            connection.encrypted_secret = encryption.encrypt_text(secret)
        try:
            delivery.build_client(connection).close()
        except registries.RegistryError as error:
            raise RegistryConfigurationError(str(error)) from error
        connection.save()
        connection.mappings.all().delete()
        for program_id in sorted(set(programs or []) | set(per_program) & set(known)):
            RegistryProgramMapping.objects.create(
                connection=connection, program_id=known[program_id],
                options=per_program.get(program_id, {}))
    return connection.pk


def get_credential_document(credential_uuid: UUID | str) -> dict:
    """The signed Open Badges 3.0 AchievementCredential. Raises ``CredentialNotFound``."""
    document = _credential(credential_uuid).document
    if not document:
        raise CredentialNotFound(credential_uuid)
    return document


def get_clr_document(credential_uuid: UUID | str) -> dict:
    """The signed CLR 2.0 ClrCredential. Raises ``CredentialNotFound``."""
    credential = _credential(credential_uuid)
    if not credential.document:
        raise CredentialNotFound(credential_uuid)
    return signing.clr_for(credential)


def get_status_list_document(list_id: str) -> dict:
    """The signed BitstringStatusListCredential. Raises ``CredentialNotFound``."""
    document = (StatusList.objects.filter(list_id=list_id)
                .values_list("document", flat=True).first())
    if not document:
        raise CredentialNotFound(list_id)
    return document


def get_did_document(org: str) -> dict:
    """The did:web DID document of an issuing org. Raises ``CredentialNotFound``."""
    document = issuers.did_document_for(org)
    if document is None:
        raise CredentialNotFound(org)
    return document


def rotate_issuer_key(org: str) -> str:
    """Give ``org`` a new signing key; return its public key (multibase). Old keys stay valid."""
    return issuers.rotate_key(org).public_key


def get_verification(credential_uuid: UUID | str) -> VerificationData:
    """What the public verification page shows, with a verdict computed now.

    Raises ``CredentialNotFound``.
    """
    credential = _credential(credential_uuid)
    definition = programs.definition_for(credential.version_id)
    verdict = verification.verify(credential)
    evidence = [rules.Evidence.from_json(item) for item in credential.evidence]
    courses = tuple(
        CourseEvidenceData(course_key=course.key, title=course.title, credits=course.credits,
                           completed_at=course.completed_at)
        for course in completed_courses(definition, evidence))
    issuer = definition.issuer
    document = credential.document or {}
    return VerificationData(
        uuid=credential.uuid, program_id=credential.program.program_id,
        program_title=definition.title, program_description=definition.description,
        lang=definition.lang, learner_name=platform.get_user_display_name(credential.user_id),
        issuer_name=issuer.name if issuer else definition.org,
        issuer_url=issuer.url if issuer else "",
        issuer_did=str((document.get("issuer") or {}).get("id", "")),
        issued_at=credential.issued_at, expires_at=credential.expires_at,
        revoked_at=credential.revoked_at, credits_earned=credential.credits_earned,
        credits_available=definition.credits, courses=courses, verdict=verdict.status,
        verdict_reason=verdict.reason, checks=dataclasses.asdict(verdict.checks),
        credential_url=signing.credential_url(credential.uuid),
        clr_url=signing.clr_url(credential.uuid), verify_url=signing.verify_url(credential.uuid),
    )


def _credential(credential_uuid: UUID | str) -> Credential:
    try:
        key = UUID(str(credential_uuid))
    except ValueError as error:
        raise CredentialNotFound(credential_uuid) from error
    credential = (Credential.objects.select_related("program", "version", "status_list")
                  .filter(uuid=key).first())
    if credential is None:
        raise CredentialNotFound(credential_uuid)
    return credential


def _progress_data(row: ProgramProgress) -> ProgramProgressData:
    definition = programs.definition_for(row.version_id)
    nodes = dict(rules.iter_nodes(definition.requirements))
    return ProgramProgressData(
        program_id=row.program.program_id, title=definition.title, version=row.version.number,
        complete=row.complete, credits_earned=row.credits_earned,
        credits_required=definition.credits,
        satisfied=tuple(_requirement(path, nodes[path]) for path in row.satisfied if path in nodes),
    )


def _requirement(path: str, node: rules.Node) -> RequirementData:
    if isinstance(node, rules.Group):
        return RequirementData(path, "group", "", node.title)
    if isinstance(node, rules.CourseLeaf):
        return RequirementData(path, "course", node.key, node.title)
    if isinstance(node, rules.ProgramLeaf):
        return RequirementData(path, "program", node.ref, node.title)
    return RequirementData(path, "external", node.id, node.title)


# ------------------------------------------------------------------- authoring (course teams)

AUTHOR = platform.AUTHOR
VIEWER = platform.VIEWER
LEARNER_CSV_HEADER = learners.CSV_HEADER
LearnerRowData = learners.LearnerRow


@dataclass(frozen=True)
class ProgramData:
    """A programme as its course team lists it. ``revision`` is what writes must send back
    (``If-Match``); ``status`` is draft (never published), published or retired."""

    program_id: str
    org: str
    title: str
    status: str
    revision: int
    published_version: int | None
    draft_version: int | None
    created: datetime
    retired_at: datetime | None
    learners: int
    credentials: int


@dataclass(frozen=True)
class VersionData:
    """One version of a programme definition."""

    number: int
    status: str  # "draft" or "published"
    title: str
    credits: Decimal
    created: datetime
    updated: datetime
    published_at: datetime | None
    created_by: str
    published_by: str


@dataclass(frozen=True)
class DefinitionData:
    """A programme's definition as an author edits it: the draft, else the published version."""

    program_id: str
    revision: int
    version: int
    status: str
    xml: str
    json: dict


@dataclass(frozen=True)
class PublishJobData:
    """The evaluation a publication started, with its progress."""

    id: int
    program_id: str
    version: int
    status: str  # "pending", "running", "done" or "failed"
    learners_total: int
    learners_done: int
    issued: int
    revoked: int
    error: str
    created: datetime
    started_at: datetime | None
    finished_at: datetime | None


@dataclass(frozen=True)
class ReviewData:
    """A dry run: ``valid`` when there are no ``errors``; ``warnings`` never block."""

    valid: bool
    errors: tuple[Problem, ...]
    warnings: tuple[Problem, ...]


@dataclass(frozen=True)
class PreviewData:
    """The learner-facing requirement text (Markdown) and the credential as it would be issued
    (unsigned, with a sample recipient)."""

    program_id: str
    version: int
    narrative: str
    credential: dict


DiffData = review.Diff


@dataclass(frozen=True)
class PublishSummaryData:
    """What publishing the draft changes, and how many learners it would newly complete."""

    diff: review.Diff
    learners: int
    newly_complete: int


@dataclass(frozen=True)
class CourseData:
    """A course run for the course picker."""

    course_key: str
    title: str
    org: str


def get_org_role(*, user, org: str) -> str | None:
    """``AUTHOR``, ``VIEWER`` or None: what ``user`` may do with ``org``'s programmes."""
    return platform.org_role(user, org)


def can_write_course(*, user, course_key: str) -> bool:
    """Whether ``user`` has Studio write access to ``course_key``."""
    return platform.can_write_course(user, course_key)


def list_programs(*, user, org: str | None = None, status: str | None = None,
                  course: str | None = None) -> list[ProgramData]:
    """The programmes of the orgs ``user`` may read, by id; filtered by ``org``, ``status``
    (draft / published / retired) and ``course`` (a course run key its definition names)."""
    rows = _with_summary(Program.objects.order_by("program_id"))
    if org:
        rows = rows.filter(org=org)
    orgs = {name: get_org_role(user=user, org=name)
            for name in set(rows.values_list("org", flat=True))}
    found = [row for row in rows if orgs.get(row.org)]
    if status:
        found = [row for row in found if row.status == status]
    if course:
        found = [row for row in found if _names_course(row, course)]
    return [_program_data(row) for row in found]


def get_program(*, program_id: str) -> ProgramData:
    """One programme. Raises ``ProgramNotFound``."""
    return _program_data(drafts.get_program(program_id))


def create_program(*, user, xml: bytes | str | None = None, data: dict | None = None,
                   ) -> ProgramData:
    """Create a programme as a draft from its XML or JSON definition.

    Raises ``ProgramDefinitionError``, ``ProgramExists``, ``CourseAccessDenied``.
    """
    parsed = drafts.parse_source(xml=xml, data=data)
    drafts.create_program(parsed, user=user)
    return get_program(program_id=parsed.definition.id)


def save_draft(*, program_id: str, user, xml: bytes | str | None = None,
               data: dict | None = None, expected_revision: int | None = None) -> ProgramData:
    """Replace the programme's draft with an XML or JSON definition.

    Raises ``ProgramNotFound``, ``ProgramDefinitionError``, ``StaleRevision``,
    ``ProgramRetired``, ``CourseAccessDenied``.
    """
    parsed = drafts.parse_source(xml=xml, data=data)
    drafts.save_draft(program_id, parsed, user=user, expected_revision=expected_revision)
    return get_program(program_id=program_id)


def patch_program(*, program_id: str, user, changes: dict,
                  expected_revision: int | None = None) -> ProgramData:
    """Change top-level members of the draft's JSON form; raises as ``save_draft`` and
    ``ProgramStateError``."""
    drafts.patch_draft(program_id, changes, user=user, expected_revision=expected_revision)
    return get_program(program_id=program_id)


def publish_program(*, program_id: str, user=None,
                    expected_revision: int | None = None) -> PublishJobData:
    """Publish the draft; learners with completions in its courses are evaluated by a task
    whose progress ``get_publish_job`` reports. Raises ``ProgramNotFound``, ``StaleRevision``,
    ``ProgramStateError``."""
    return _job_data(drafts.publish(program_id, user=user, expected_revision=expected_revision))


def retire_program(*, program_id: str, expected_revision: int | None = None) -> ProgramData:
    """Retire a published programme (no new credentials; issued ones stay valid)."""
    return _program_data(drafts.retire(program_id, expected_revision=expected_revision))


def delete_program(*, program_id: str, expected_revision: int | None = None) -> None:
    """Delete a never-published programme. Raises ``ProgramStateError`` once published."""
    drafts.delete(program_id, expected_revision=expected_revision)


def get_definition(*, program_id: str, version: int | None = None) -> DefinitionData:
    """The definition an author edits (draft, else published), or version ``version``.

    Raises ``ProgramNotFound``.
    """
    program = drafts.get_program(program_id)
    rows = program.versions.order_by("-number")
    row = (rows.filter(number=version) if version is not None else rows).first()
    if row is None:
        raise ProgramNotFound(program_id if version is None else f"{program_id} v{version}")
    definition = programs.definition_for(row.pk)
    return DefinitionData(program_id=program_id, revision=program.revision, version=row.number,
                          status=row.status, xml=serialize_program(definition),
                          json=definition_to_json(definition))


def list_versions(*, program_id: str) -> list[VersionData]:
    """Every version, newest first. Raises ``ProgramNotFound``."""
    program = drafts.get_program(program_id)
    rows = program.versions.select_related("created_by", "published_by").order_by("-number")
    return [VersionData(number=row.number, status=row.status, title=row.title,
                        credits=row.credits, created=row.created, updated=row.updated,
                        published_at=row.published_at,
                        created_by=row.created_by.get_username() if row.created_by else "",
                        published_by=row.published_by.get_username() if row.published_by else "")
            for row in rows]


def validate_definition(*, xml: bytes | str | None = None, data: dict | None = None,
                        program_id: str | None = None, catalogue: bool = True) -> ReviewData:
    """Dry run: every error and warning of an XML or JSON definition, or of the programme's
    current draft when neither is given. ``catalogue`` False leaves out the checks against
    other programmes (for a batch that brings them along). Writes nothing."""
    if xml is None and data is None:
        xml = get_definition(program_id=program_id or "").xml
    result = review.review(xml=xml, data=data, catalogue=catalogue)
    return ReviewData(valid=not result.errors, errors=result.errors, warnings=result.warnings)


def preview_program(*, program_id: str, version: int | None = None) -> PreviewData:
    """The requirement text and the unsigned credential of the draft (or ``version``)."""
    current = get_definition(program_id=program_id, version=version)
    program = drafts.get_program(program_id)
    row = program.versions.get(number=current.version)
    shown = review.preview(programs.definition_for(row.pk), version=row.number)
    return PreviewData(program_id=program_id, version=row.number, narrative=shown.narrative,
                       credential=shown.credential)


def diff_versions(*, program_id: str, from_version: int | None,
                  to_version: int | None) -> review.Diff:
    """The changes between two version numbers (None: nothing). Raises ``ProgramNotFound``."""
    return review.diff(drafts.get_program(program_id), from_version, to_version)


def get_publish_summary(*, program_id: str) -> PublishSummaryData:
    """What publishing the draft would change and how many learners it would newly complete.
    Raises ``ProgramNotFound`` (also when there is no draft)."""
    summary = review.publish_summary(drafts.get_program(program_id))
    return PublishSummaryData(diff=summary.diff, learners=summary.learners,
                              newly_complete=summary.newly_complete)


def get_publish_job(*, program_id: str, job_id: int) -> PublishJobData:
    """One publish job of the programme. Raises ``ProgramNotFound``."""
    job = PublishJob.objects.select_related("program", "version").filter(
        pk=job_id, program__program_id=program_id).first()
    if job is None:
        raise ProgramNotFound(f"{program_id} job {job_id}")
    return _job_data(job)


def list_publish_jobs(*, program_id: str) -> list[PublishJobData]:
    """The programme's publish jobs, newest first."""
    program = drafts.get_program(program_id)
    return [_job_data(job) for job in program.publish_jobs.select_related("program", "version")
            .order_by("-created", "-pk")]


def learner_page(*, program_id: str):
    """``(rows, to_data)``: the programme's progress rows (a queryset to paginate) and the
    function turning a page of them into ``LearnerRowData``. Raises ``ProgramNotFound``."""
    program = drafts.get_program(program_id)
    return learners.progress_rows(program), lambda page: learners.learner_rows(program, page)


def iter_learners(*, program_id: str):
    """Every ``LearnerRowData`` of the programme, streamed in batches (for CSV export)."""
    return learners.iter_learner_rows(drafts.get_program(program_id))


def search_courses(*, user, query: str = "", limit: int = 20) -> list[CourseData]:
    """Course runs for the picker: of the orgs the user may author (all for global staff)."""
    found = platform.search_courses(query, limit=max(limit * 5, 100))
    allowed: dict[str, bool] = {}
    result = []
    for course in found:
        if course.org not in allowed:
            allowed[course.org] = get_org_role(user=user, org=course.org) == AUTHOR
        if allowed[course.org]:
            result.append(CourseData(course.course_key, course.title, course.org))
    return result[:limit]


def get_credential_program(credential_uuid: UUID | str) -> tuple[str, str]:
    """``(programme id, org)`` of a credential. Raises ``CredentialNotFound``."""
    credential = _credential(credential_uuid)
    return credential.program.program_id, credential.program.org


@dataclass(frozen=True)
class ImportedData:
    """One imported definition: its programme, the version written, and the publish job that
    evaluates learners (None unless it was newly published)."""

    program_id: str
    version: int
    status: str
    job_id: int | None


def import_definitions(xmls: list[bytes | str], *, publish: bool = False,
                       ) -> list[ImportedData]:
    """Import XML definitions as drafts (operators), in dependency order, all or nothing; with
    ``publish`` publish them and evaluate the learners who already completed their courses.

    Raises ``ProgramDefinitionError`` (for another org than a programme's too) or
    ``ProgramRetired``.
    """
    return [ImportedData(program_id=version.program.program_id, version=version.number,
                         status=version.status, job_id=job.pk if job else None)
            for version, job in drafts.import_definitions(list(xmls), publish=publish)]


def grant_org_role(*, username: str, org: str, role: str = AUTHOR) -> bool:
    """Give a user an org role (``standalone`` backend); True when it changed anything.

    Raises ``LookupError`` (unknown user) or ``ValueError`` (unknown role, empty org).
    """
    return roles.grant(username=username, org=org, role=role)


def revoke_org_role(*, username: str, org: str) -> bool:
    """Take a user's org role away (``standalone`` backend); True when they had one."""
    return roles.revoke(username=username, org=org)


@dataclass(frozen=True)
class OrgRoleData:
    """An org the user has a course-team role in, and the role."""

    org: str
    role: str


def list_org_roles(*, user) -> list[OrgRoleData]:
    """The orgs ``user`` may author or view (known orgs: with courses or programmes), by name."""
    orgs = platform.known_orgs() | set(Program.objects.values_list("org", flat=True).distinct())
    roles_by_org = {org: get_org_role(user=user, org=org) for org in sorted(orgs)}
    return [OrgRoleData(org, role) for org, role in roles_by_org.items() if role]


def get_definition_json_schema() -> dict:
    """The JSON Schema (2020-12) of the JSON form of a programme definition."""
    return copy.deepcopy(json_schema())


def _with_summary(rows):
    """Programme rows annotated with what ``_program_data`` shows (one query for them all)."""
    latest = ProgramVersion.objects.filter(program=OuterRef("pk")).order_by("-number")
    return rows.select_related("published_version").annotate(
        latest_number=Subquery(latest.values("number")[:1]),
        latest_status=Subquery(latest.values("status")[:1]),
        latest_title=Subquery(latest.values("title")[:1]),
        learner_count=Subquery(ProgramProgress.objects.filter(program=OuterRef("pk"))
                               .order_by().values("program").annotate(n=Count("pk"))
                               .values("n")[:1]),
        credential_count=Subquery(Credential.objects.filter(program=OuterRef("pk"))
                                  .order_by().values("program").annotate(n=Count("pk"))
                                  .values("n")[:1]))


def _program_data(program: Program) -> ProgramData:
    if not hasattr(program, "latest_number"):
        program = _with_summary(Program.objects.filter(pk=program.pk)).get()
    summary: Any = program  # the annotations of ``_with_summary``
    published = program.published_version
    return ProgramData(
        program_id=program.program_id, org=program.org,
        title=summary.latest_title or program.program_id,
        status=program.status, revision=program.revision,
        published_version=published.number if published else None,
        draft_version=(summary.latest_number if summary.latest_status == ProgramVersion.DRAFT
                       else None),
        created=program.created, retired_at=program.retired_at,
        learners=summary.learner_count or 0, credentials=summary.credential_count or 0)


def _names_course(program: Program, course_key: str) -> bool:
    """Whether the programme's current definition counts ``course_key`` (this run, or any run
    of the course under ``runs="any"``)."""
    version = program.versions.order_by("-number").values_list("pk", flat=True).first()
    if version is None:
        return False
    body = course_key.split(":", 1)[-1].split("+")
    org_number = (body[0], body[1]) if len(body) >= 3 else None
    for leaf in rules.iter_leaves(programs.definition_for(version).requirements):
        if isinstance(leaf, rules.CourseLeaf) and (leaf.key == course_key or (
                leaf.runs == rules.RUNS_ANY and (leaf.org, leaf.number) == org_number)):
            return True
    return False


def _job_data(job: PublishJob) -> PublishJobData:
    return PublishJobData(
        id=job.pk, program_id=job.program.program_id, version=job.version.number,
        status=job.status, learners_total=job.learners_total, learners_done=job.learners_done,
        issued=job.issued, revoked=job.revoked, error=job.error, created=job.created,
        started_at=job.started_at, finished_at=job.finished_at)
