"""
The public Python API of openedx-microcred: the only module other code should import.

Functions take keyword-only arguments and return plain, frozen data objects (never model
instances), so callers cannot couple to the schema.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from django.contrib.auth import get_user_model
from django.db import transaction

from . import (
    catalog,
    certificates,
    completions,
    delivery,
    encryption,
    evidence,
    issuance,
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
from .credentials.achievement import completed_courses
from .definitions import ProgramDefinitionError
from .learners import LearnerCredentialData, LearnerProgrammeData
from .models import (
    Credential,
    Program,
    ProgramProgress,
    RegistryConnection,
    RegistryProgramMapping,
    StatusList,
)
from .programs import ProgramNotFound

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
    "EvidenceData",
    "revoke_credential",
    "get_credential_document",
    "get_clr_document",
    "get_status_list_document",
    "get_did_document",
    "get_verification",
    "rotate_issuer_key",
    "RegistryConfigurationError",
    "configure_registry",
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


EvidenceData = evidence.EvidenceItem


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


def revoke_credential(credential_uuid: UUID | str, *, reason: str) -> bool:
    """Revoke a credential: its status-list bit is set, the list re-signed, and a revocation
    queued for every registry that received it.

    The learner is emailed (unless notifications are off or they unsubscribed). Returns False
    when it was already revoked or expired. Raises ``CredentialNotFound``.
    """
    credential = _credential(credential_uuid)
    with transaction.atomic():
        revoked = issuance.revoke(credential, reason=reason or "revoked")
        if revoked:
            transaction.on_commit(lambda: tasks.dispatch_deliveries([credential.pk]))
            transaction.on_commit(lambda: tasks.dispatch_notifications([credential.pk]))
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
    satisfied = [rules.Evidence.from_json(item) for item in credential.evidence]
    courses = tuple(
        CourseEvidenceData(course_key=course.key, title=course.title, credits=course.credits,
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
