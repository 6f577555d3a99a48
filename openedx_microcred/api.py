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
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Count, OuterRef, Subquery
from django.utils import timezone

from . import (
    catalog,
    certificates,
    completions,
    delivery,
    encryption,
    evaluation,
    eventtime,
    evidence,
    issuers,
    learners,
    notifications,
    platform,
    programs,
    registries,
    rules,
    signing,
    tasks,
    verification,
)
from .authoring import drafts, review, roles
from .authoring import learners as programme_learners  # a programme's learners, for its team
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
from .learners import LearnerCredentialData, LearnerProgrammeData
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
    "withdraw_external_achievement",
    "get_progress",
    "get_credentials",
    "CredentialNotFound",
    "DocumentUnavailable",
    "VerificationData",
    "CourseEvidenceData",
    "EvidenceData",
    "revoke_credential",
    "get_credential_document",
    "get_clr_document",
    "get_status_list_document",
    "get_did_document",
    "get_verification",
    "rotate_issuer_key",
    "IssuerData",
    "bootstrap_issuers",
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
    # the learner's own programmes and credentials (``learners``)
    "LearnerProgrammeData",
    "LearnerCredentialData",
    "get_learner_programmes",
    "get_learner_programme",
    "get_course_programmes",
    "course_in_programme",
    "get_learner_credentials",
    "get_learner_credential",
    "get_certificate_pdf",
    "get_badge_image",
    "get_lms_root_url",
    "PublicProgramData",
    "RequirementNodeData",
    "get_public_programs",
    "get_public_program",
    "get_program_achievement",
    "InvalidUnsubscribeToken",
    "is_unsubscribed",
    "unsubscribe",
]


UnknownLearner = completions.UnknownLearner  # no user has the given id


class CredentialNotFound(LookupError):
    """No credential (or public document) has the given id."""


class DocumentUnavailable(RuntimeError):
    """A document that exists cannot be produced now (its issuer's key cannot be decrypted)."""


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
    re-evaluated after the transaction commits. Raises ``UnknownLearner``, or ``ValueError``
    for an ``external_id`` that is not 1 to 255 characters, a naive or implausible
    ``achieved_at`` (``eventtime.ImplausibleTime``: in the future or before the floor), or an
    ``evidence_url`` that is not an http(s) URL of at most 1,000 characters.
    """
    if not isinstance(external_id, str) or not 0 < len(external_id.strip()) <= 255:
        raise ValueError("external_id must be 1 to 255 characters")
    external_id = external_id.strip()
    if not isinstance(achieved_at, datetime) or achieved_at.tzinfo is None:
        raise ValueError("achieved_at must be a timezone-aware datetime")
    eventtime.check(achieved_at)
    _check_evidence_url(evidence_url)
    with transaction.atomic():
        completions.record_external(user_id=user_id, external_id=external_id,
                                    achieved_at=achieved_at, evidence_url=evidence_url or "")
        transaction.on_commit(lambda: tasks.enqueue_evaluation(user_id, external_id=external_id))


def withdraw_external_achievement(*, user_id: int, external_id: str, reason: str,
                                  withdrawn_by: str, withdrawn_at: datetime | None = None,
                                  ) -> bool:
    """Withdraw a learner's external achievement (recorded by staff or from a badge).

    It no longer counts toward any programme; the row keeps the audit trail (``withdrawn_by``,
    ``withdrawn_at``, default now, and ``reason``). The programmes containing it are
    re-evaluated after the transaction commits, under the same policy as a revoked certificate:
    with ``MICROCRED_REVOKE_ON_REGRESSION`` a credential whose requirements are no longer met is
    revoked. Returns False when there was nothing to withdraw (none recorded, already withdrawn,
    or awarded after ``withdrawn_at``). Raises ``ValueError`` for an empty reason or withdrawer,
    or a naive ``withdrawn_at``.
    """
    reason, withdrawn_by = (reason or "").strip(), (withdrawn_by or "").strip()
    if not reason or not withdrawn_by:
        raise ValueError("a withdrawal needs a reason and who withdrew it")
    when = withdrawn_at or timezone.now()
    if when.tzinfo is None:
        raise ValueError("withdrawn_at must be timezone-aware")
    with transaction.atomic():
        withdrawn = completions.withdraw_external(
            user_id=user_id, external_id=external_id, withdrawn_at=when, by=withdrawn_by,
            reason=reason)
        if withdrawn:
            transaction.on_commit(
                lambda: tasks.enqueue_evaluation(user_id, external_id=external_id))
    return withdrawn


def _check_evidence_url(url: str | None) -> None:
    if url is None or url == "":
        return
    if not isinstance(url, str) or len(url) > 1000:
        raise ValueError("evidence_url must be a URL of at most 1000 characters")
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise ValueError("evidence_url must be an http(s) URL") from None


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
    """A course that counted towards a credential; ``credits`` are those it counted (0 for a
    surplus elective beyond a ``min-count`` group's best N)."""

    course_key: str
    title: str
    credits: Decimal
    completed_at: datetime | None


EvidenceData = evidence.EvidenceItem


@dataclass(frozen=True)
class VerificationData:
    """Everything the public verification page shows about one credential."""

    uuid: UUID
    program_id: str
    program_title: str
    program_description: str
    lang: str
    learner_name: str  # the learner's profile name; "" without one (never the username)
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
    # Every satisfied requirement (stacked programmes with the evidence behind them, external
    # achievements), in requirement-tree order.
    evidence: tuple[EvidenceData, ...] = ()
    hours_earned: Decimal | None = None  # the counted courses' hours (None: no course has any)
    hours_available: Decimal | None = None  # the programme's workload
    # As the signed document states them: learning outcomes, level, Markdown criteria.
    outcomes: tuple[str, ...] = ()
    level: str = ""
    criteria: str = ""
    achievement_id: str = ""  # the programme version's public page (or a URN)


def revoke_credential(credential_uuid: UUID | str, *, reason: str, note: str = "") -> bool:
    """Revoke a credential: its status-list bit is set, the list re-signed, and a revocation
    queued for every registry that received it. Programmes stacking on it are re-evaluated in
    the same transaction: with ``MICROCRED_REVOKE_ON_REGRESSION`` their credentials are revoked
    at once, the same way.

    ``reason`` is public: the verification page shows it and registries receive it. ``note``
    is internal (who asked, a ticket number…): kept for staff, never published or sent.

    When the org's signing key cannot be decrypted the revocation is still recorded (status,
    bit, registry deliveries) and an error is logged; the served status list is signed by the
    periodic sweep once the key is available again (``microcred_status`` lists it meanwhile).
    The learners are emailed (unless notifications are off or they unsubscribed). Returns False
    when it was already revoked or expired. Raises ``CredentialNotFound``.
    """
    credential = _credential(credential_uuid)
    with transaction.atomic():
        outcome = evaluation.revoke_credential(credential.pk, reason=reason or "revoked",
                                               note=note or "")
        if outcome.credential_ids:
            transaction.on_commit(lambda: tasks.dispatch_credential_work(outcome.credential_ids))
    return bool(outcome.credential_ids)


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
        except (registries.RegistryError, encryption.DecryptionError) as error:
            raise RegistryConfigurationError(str(error)) from error
        connection.save()
        connection.mappings.all().delete()
        for program_id in sorted(set(programs or []) | set(per_program) & set(known)):
            RegistryProgramMapping.objects.create(
                connection=connection, program_id=known[program_id],
                options=per_program.get(program_id, {}))
    return connection.pk


PublicProgramData = catalog.PublicProgram
RequirementNodeData = catalog.RequirementNode


def get_public_programs() -> list[PublicProgramData]:
    """Every published programme (its latest version), for the public catalogue."""
    return catalog.published_programs()


def get_public_program(program_id: str, *, version: int | None = None) -> PublicProgramData:
    """A published programme's public description (latest version, or published ``version``).

    Raises ``ProgramNotFound`` (also for drafts and unpublished version numbers).
    """
    return catalog.public_program(program_id, version=version)


def get_program_achievement(program_id: str, *, version: int | None = None) -> dict:
    """The OB 3.0 ``Achievement`` JSON-LD that the programme version's credentials embed (what
    their ``achievement.id`` dereferences to). Raises ``ProgramNotFound``."""
    return catalog.achievement_document(program_id, version=version)


class InvalidUnsubscribeToken(ValueError):
    """The unsubscribe token is forged, damaged, or names no learner."""


def is_unsubscribed(*, token: str) -> bool:
    """Whether the learner an email's unsubscribe token names has unsubscribed.

    Raises ``InvalidUnsubscribeToken``.
    """
    return notifications.opted_out(_token_user(token))


def unsubscribe(*, token: str) -> bool:
    """Stop the plugin's emails to the learner the token names (pending ones are dropped);
    return False when they had already unsubscribed. Raises ``InvalidUnsubscribeToken``."""
    return notifications.opt_out(_token_user(token))


def _token_user(token: str) -> int:
    user_id = notifications.user_for_token(token)
    if user_id is None or not get_user_model().objects.filter(pk=user_id).exists():
        raise InvalidUnsubscribeToken("invalid unsubscribe link")
    return user_id


def get_credential_document(credential_uuid: UUID | str) -> dict:
    """The signed Open Badges 3.0 AchievementCredential. Raises ``CredentialNotFound``."""
    document = _credential(credential_uuid).document
    if not document:
        raise CredentialNotFound(credential_uuid)
    return document


def get_clr_document(credential_uuid: UUID | str) -> dict:
    """The signed CLR 2.0 ClrCredential (signed on first use). Raises ``CredentialNotFound``,
    or ``DocumentUnavailable`` when it must be signed and the org's key cannot be decrypted."""
    credential = _credential(credential_uuid)
    if not credential.document:
        raise CredentialNotFound(credential_uuid)
    try:
        return signing.clr_for(credential)
    except encryption.DecryptionError as error:
        raise DocumentUnavailable(str(error)) from error


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


@dataclass(frozen=True)
class IssuerData:
    """An issuing org's identity: its DID, active public key and DID document URL."""

    org: str
    did: str  # did:web:… (or did:key:… without an issuer host)
    public_key: str  # multibase (Multikey) of the active key
    did_document_url: str  # "" for did:key: the DID is the key, nothing is served
    created: bool  # this call created the key


def bootstrap_issuers() -> list[IssuerData]:
    """Give every org that has a programme an active signing key (idempotent: existing keys are
    kept); return each org's identity, ordered by org. DID documents are served from the keys,
    so nothing else is stored."""
    orgs = Program.objects.order_by("org").values_list("org", flat=True).distinct()
    identities = []
    for org in orgs:
        key, created = issuers.ensure_key(org)
        identities.append(IssuerData(
            org=org, did=issuers.signer_for(org).did, public_key=key.public_key,
            did_document_url=issuers.did_document_url(org), created=created))
    return identities


def get_verification(credential_uuid: UUID | str) -> VerificationData:
    """What the public verification page shows, with a verdict computed now.

    Raises ``CredentialNotFound``.
    """
    credential = _credential(credential_uuid)
    definition = programs.definition_for(credential.version_id)
    verdict = verification.verify(credential)
    satisfied = [rules.Evidence.from_json(item) for item in credential.evidence]
    courses = tuple(
        CourseEvidenceData(course_key=course.key, title=course.title,
                           credits=course.counted_credits,
                           completed_at=course.completed_at)
        for course in completed_courses(definition, satisfied))
    issuer = definition.issuer
    document = credential.document or {}
    items = evidence.evidence_of(credential)
    statements = evidence.signed_statements(document)
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
        evidence=items, hours_earned=evidence.hours_of(items), hours_available=definition.hours,
        outcomes=statements.outcomes, level=statements.level, criteria=statements.criteria,
        achievement_id=statements.achievement_id,
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
LEARNER_CSV_HEADER = programme_learners.CSV_HEADER
LearnerRowData = programme_learners.LearnerRow


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
    return (programme_learners.progress_rows(program),
            lambda page: programme_learners.learner_rows(program, page))


def iter_learners(*, program_id: str):
    """Every ``LearnerRowData`` of the programme, streamed in batches (for CSV export)."""
    return programme_learners.iter_learner_rows(drafts.get_program(program_id))


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


# --- The learner's own programmes and credentials ----------------------------------------------

def get_learner_programmes(*, user_id: int) -> list[LearnerProgrammeData]:
    """Every programme the learner has started, with the requirement tree and its states."""
    return learners.learner_programmes(user_id=user_id)


def get_learner_programme(*, user_id: int, program_id: str) -> LearnerProgrammeData:
    """One published programme as the learner sees it. Raises ``ProgramNotFound``."""
    return learners.learner_programme(user_id=user_id, program_id=program_id)


def get_course_programmes(*, user_id: int, course_key: str) -> list[LearnerProgrammeData]:
    """The published programmes ``course_key`` counts towards, with the learner's progress."""
    return learners.course_programmes(user_id=user_id, course_key=course_key)


def course_in_programme(course_key: str) -> bool:
    """Whether ``course_key`` belongs to a published programme (the course tab shows then)."""
    return learners.course_in_programme(course_key)


def get_learner_credentials(*, user_id: int) -> list[LearnerCredentialData]:
    """Every credential the learner holds or held, newest first, with its URLs."""
    return learners.learner_credentials(user_id=user_id)


def get_learner_credential(*, user_id: int, credential_uuid: UUID | str) -> LearnerCredentialData:
    """One of the learner's credentials. Raises ``CredentialNotFound`` (also for someone
    else's: whether it exists is not disclosed)."""
    try:
        return learners.learner_credential(user_id=user_id, credential_uuid=credential_uuid)
    except LookupError as error:
        raise CredentialNotFound(credential_uuid) from error


def get_certificate_pdf(*, user_id: int, credential_uuid: UUID | str) -> bytes:
    """The PDF certificate of the learner's credential, in the active language. Raises
    ``CredentialNotFound`` (not found, not theirs, or revoked)."""
    try:
        return certificates.certificate_pdf(user_id=user_id, credential_uuid=credential_uuid)
    except LookupError as error:
        raise CredentialNotFound(credential_uuid) from error


def get_badge_image(*, user_id: int, credential_uuid: UUID | str) -> bytes:
    """The PNG badge with the signed credential baked in. Raises ``CredentialNotFound``
    (not found, not theirs, or revoked)."""
    try:
        return certificates.badge_png(user_id=user_id, credential_uuid=credential_uuid)
    except LookupError as error:
        raise CredentialNotFound(credential_uuid) from error


def get_lms_root_url() -> str:
    """The LMS root URL (empty when unknown)."""
    return platform.get_lms_root_url()
