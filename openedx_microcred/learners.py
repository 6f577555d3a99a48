"""
What one learner sees of their programmes and credentials (the learner page, the course tab,
the dashboard widget and the ``me/…`` REST endpoints).

Everything is read for the signed-in learner only: every function takes the learner's user id
and never returns another learner's data (a credential of someone else is "not found", so its
existence is not disclosed). Progress is recomputed from the learner's facts with the pure
``rules.evaluate`` (the same inputs the evaluation task used), so every leaf carries the date
it was achieved; ``requirement_states`` turns the result into the tree the learner reads.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from ccx_keys.locator import CCXLocator
from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey

from . import issuers, platform, programs, requirement_states, rules, signing
from .credentials.achievement import completed_courses
from .definitions import ProgramDefinition
from .evaluation import load_record
from .models import Credential, Program, ProgramLeafIndex, ProgramProgress, ProgramVersion

__all__ = ["LearnerProgrammeData", "LearnerCredentialData", "CredentialItemData",
           "learner_programmes", "learner_programme", "course_programmes", "course_in_programme",
           "learner_credentials", "learner_credential", "owned_credential", "credential_links"]

ZERO = Decimal(0)


@dataclass(frozen=True)
class LearnerProgrammeData:
    """One programme as the learner sees it.

    ``uses_credits`` False means the programme has no credits: ``hours_*`` are shown instead
    (``hours_required`` None when no course states its hours). ``remaining`` lists every open
    leaf; ``outstanding`` says which of them are needed (all, or N of a group's options).
    ``credential_uuid`` is the learner's active credential for it, if any.
    """

    program_id: str
    title: str
    version: int
    lang: str
    issuer_name: str
    complete: bool
    started: bool
    uses_credits: bool
    credits_earned: Decimal
    credits_required: Decimal
    hours_earned: Decimal
    hours_required: Decimal | None
    window_from: date | None
    window_until: date | None
    tree: requirement_states.RequirementState
    remaining: tuple[requirement_states.RequirementState, ...]
    outstanding: tuple[requirement_states.Outstanding, ...]
    next_step: requirement_states.NextStep
    credential_uuid: UUID | None


@dataclass(frozen=True)
class CredentialItemData:
    """A requirement that counted towards a credential: a course, stacked programme or
    external achievement, with its credits and (courses) hours."""

    kind: str
    key: str
    title: str
    credits: Decimal
    hours: Decimal | None
    achieved_at: datetime | None


@dataclass(frozen=True)
class LearnerCredentialData:
    """A credential the learner holds or held, with what they may do with it.

    ``status`` is ``awarded``, ``revoked`` or ``expired``; ``revoked_by`` is ``staff`` or
    ``rule`` and ``revocation_reason`` the reason recorded with the revocation (both empty
    unless revoked). URLs are absolute when the LMS root URL is known.
    """

    uuid: UUID
    program_id: str
    title: str
    lang: str
    issuer_name: str
    learner_name: str
    status: str
    issued_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    revoked_by: str
    revocation_reason: str
    credits_earned: Decimal
    credits_available: Decimal
    hours: Decimal | None
    items: tuple[CredentialItemData, ...]
    verify_url: str
    credential_url: str
    clr_url: str
    pdf_url: str
    image_url: str


def learner_programmes(*, user_id: int) -> list[LearnerProgrammeData]:
    """Every programme the learner has progress in, by title."""
    rows = list(ProgramProgress.objects.filter(user_id=user_id)
                .select_related("program").values_list("program__program_id", "version_id"))
    return _programmes(user_id, rows)


def learner_programme(*, user_id: int, program_id: str) -> LearnerProgrammeData:
    """One programme for the learner: the version they were evaluated against, else the
    published one (nothing started yet). Raises ``programs.ProgramNotFound``."""
    version_id = (ProgramProgress.objects.filter(user_id=user_id, program__program_id=program_id)
                  .values_list("version_id", flat=True).first())
    if version_id is None:
        version_id = (Program.objects.filter(program_id=program_id)
                      .values_list("published_version_id", flat=True).first())
    if version_id is None:
        raise programs.ProgramNotFound(program_id)
    return _programmes(user_id, [(program_id, version_id)])[0]


def course_programmes(*, user_id: int, course_key: str) -> list[LearnerProgrammeData]:
    """The published programmes that ``course_key`` counts towards, with the learner's
    progress (a CCX key counts as its master course). Empty for a malformed key."""
    program_ids = _programme_ids_for_course(course_key)
    if not program_ids:
        return []
    started = dict(ProgramProgress.objects
                   .filter(user_id=user_id, program__program_id__in=program_ids)
                   .values_list("program__program_id", "version_id"))
    published = dict(Program.objects.filter(program_id__in=program_ids,
                                            published_version__isnull=False)
                     .values_list("program_id", "published_version_id"))
    rows = [(pid, started.get(pid) or published[pid]) for pid in program_ids if pid in published]
    return _programmes(user_id, rows)


def course_in_programme(course_key: str) -> bool:
    """Whether ``course_key`` belongs to at least one published programme."""
    return bool(_programme_ids_for_course(course_key))


def learner_credentials(*, user_id: int) -> list[LearnerCredentialData]:
    """Every credential the learner holds or held, newest first."""
    rows = list(Credential.objects.filter(user_id=user_id).select_related("program", "version")
                .order_by("-issued_at", "-pk"))
    if not rows:
        return []
    # Once for all rows: the learner's name, and the titles of every stacked programme.
    name = platform.get_user_display_name(user_id)
    titles = _stacked_titles([programs.definition_for(row.version_id) for row in rows])
    return [_credential_data(row, learner_name=name, titles=titles) for row in rows]


def learner_credential(*, user_id: int, credential_uuid: UUID | str) -> LearnerCredentialData:
    """One of the learner's credentials. Raises ``LookupError`` when it does not exist or is
    not theirs (the two are indistinguishable on purpose)."""
    row = owned_credential(user_id=user_id, credential_uuid=credential_uuid)
    return _credential_data(
        row, learner_name=platform.get_user_display_name(user_id),
        titles=_stacked_titles([programs.definition_for(row.version_id)]))


def owned_credential(*, user_id: int, credential_uuid: UUID | str) -> Credential:
    """The learner's own credential row. Raises ``LookupError`` (not found, or not theirs)."""
    try:
        key = UUID(str(credential_uuid))
    except ValueError as error:
        raise LookupError(credential_uuid) from error
    row = (Credential.objects.select_related("program", "version")
           .filter(uuid=key, user_id=user_id).first())
    if row is None or not row.document:
        raise LookupError(credential_uuid)
    return row


def credential_links(credential_uuid: UUID | str) -> dict[str, str]:
    """The credential's URLs: ``verify``, ``credential``, ``clr``, ``pdf``, ``image``
    (absolute when the LMS root URL is known, else site-relative)."""
    base = issuers.base_url()
    root = f"{base}/microcred/credentials/{credential_uuid}"
    return {
        "verify": signing.verify_url(credential_uuid)
        or f"/microcred/verify/{credential_uuid}/",
        "credential": f"{root}.jsonld",
        "clr": f"{root}/clr.jsonld",
        "pdf": f"{root}/certificate.pdf",
        "image": f"{root}/badge.png",
    }


# --- Building the data ------------------------------------------------------------------------

def _programmes(user_id: int, rows: list[tuple[str, int]]) -> list[LearnerProgrammeData]:
    if not rows:
        return []
    record, _ = load_record(user_id)
    started = set(ProgramProgress.objects.filter(user_id=user_id)
                  .values_list("program__program_id", flat=True))
    credentials = dict(Credential.objects.filter(user_id=user_id, active=True)
                       .values_list("program__program_id", "uuid"))
    titles = _stacked_titles([programs.definition_for(version_id) for _, version_id in rows])
    numbers = dict(ProgramVersion.objects.filter(pk__in=[v for _, v in rows])
                   .values_list("pk", "number"))
    result = [_programme(programs.definition_for(version_id), numbers[version_id], record,
                         started, credentials, titles)
              for _, version_id in rows]
    return sorted(result, key=lambda item: (item.title.casefold(), item.program_id))


def _programme(definition: ProgramDefinition, version: int, record: rules.LearnerRecord,
               started: set[str], credentials: dict[str, UUID],
               titles: dict[str, str]) -> LearnerProgrammeData:
    evaluation = rules.evaluate(definition.rules, record)
    tree = _with_titles(requirement_states.requirement_states(
        definition.rules, evaluation, record, started_programs=started), titles)
    credits_required = definition.credits
    uses_credits = credits_required > 0
    has_hours = requirement_states.has_hours(definition.requirements)
    hours_required = (definition.workload_hours if definition.workload_hours is not None
                      else requirement_states.hours_required(definition.requirements))
    return LearnerProgrammeData(
        program_id=definition.id, title=definition.title, version=version,
        lang=definition.lang,
        issuer_name=definition.issuer.name if definition.issuer else definition.org,
        complete=evaluation.complete, started=definition.id in started,
        uses_credits=uses_credits,
        credits_earned=min(evaluation.credits_earned, credits_required) if uses_credits
        else ZERO,
        credits_required=credits_required,
        hours_earned=requirement_states.hours_counted(tree),
        hours_required=hours_required if has_hours or definition.workload_hours else None,
        window_from=definition.window_from, window_until=definition.window_until,
        tree=tree, remaining=requirement_states.remaining(tree),
        outstanding=requirement_states.outstanding(tree),
        next_step=requirement_states.next_step(tree),
        credential_uuid=credentials.get(definition.id),
    )


def _stacked_titles(definitions: list[ProgramDefinition]) -> dict[str, str]:
    """Titles of the programmes that ``definitions`` stack on (a ``program`` leaf's own title
    is often empty)."""
    refs: set[str] = set()
    for definition in definitions:
        refs |= rules.program_refs(definition.requirements)
    return programs.published_titles(refs) if refs else {}


def _with_titles(node: requirement_states.RequirementState,
                 titles: dict[str, str]) -> requirement_states.RequirementState:
    children = tuple(_with_titles(child, titles) for child in node.children)
    title = node.title or (titles.get(node.key, node.key) if node.kind == "program" else node.key)
    return dataclasses.replace(node, title=title, children=children)


def _programme_ids_for_course(course_key: str) -> list[str]:
    try:
        key = CourseKey.from_string(course_key)
    except InvalidKeyError:
        return []
    if isinstance(key, CCXLocator):  # a CCX counts as its master course
        key = key.to_course_locator()
    any_run = programs.course_index_key(str(key.org), str(key.course))
    rows = (ProgramLeafIndex.objects.filter(kind=ProgramLeafIndex.COURSE, key=any_run)
            | ProgramLeafIndex.objects.filter(kind=ProgramLeafIndex.COURSE_RUN, key=str(key)))
    return sorted(set(rows.filter(program__published_version__isnull=False)
                      .values_list("program__program_id", flat=True)))


def _credential_data(row: Credential, *, learner_name: str,
                     titles: dict[str, str]) -> LearnerCredentialData:
    definition = programs.definition_for(row.version_id)
    evidence = [rules.Evidence.from_json(item) for item in row.evidence]
    links = credential_links(row.uuid)
    status = row.current_status()
    return LearnerCredentialData(
        uuid=row.uuid, program_id=row.program.program_id, title=definition.title,
        lang=definition.lang,
        issuer_name=definition.issuer.name if definition.issuer else definition.org,
        learner_name=learner_name, status=status,
        issued_at=row.issued_at, expires_at=row.expires_at, revoked_at=row.revoked_at,
        revoked_by=row.revoked_by if status == Credential.REVOKED else "",
        revocation_reason=row.revocation_reason if status == Credential.REVOKED else "",
        credits_earned=row.credits_earned, credits_available=definition.credits,
        hours=_hours(definition, evidence), items=_items(definition, evidence, titles),
        verify_url=links["verify"], credential_url=links["credential"], clr_url=links["clr"],
        # a revoked credential has no certificate or badge to download (both answer 404)
        pdf_url="" if status == Credential.REVOKED else links["pdf"],
        image_url="" if status == Credential.REVOKED else links["image"],
    )


def _items(definition: ProgramDefinition, evidence: list[rules.Evidence],
           titles: dict[str, str]) -> tuple[CredentialItemData, ...]:
    leaves = dict(rules.iter_nodes(definition.requirements))
    items = []
    for item in sorted(evidence, key=lambda e: tuple(int(p) for p in e.path.split("."))):
        leaf = leaves.get(item.path)
        title = getattr(leaf, "title", "") or titles.get(item.key, item.key)
        hours = leaf.hours if isinstance(leaf, rules.CourseLeaf) else None
        items.append(CredentialItemData(kind=item.kind, key=item.key, title=title,
                                        credits=item.credits, hours=hours,
                                        achieved_at=item.achieved_at))
    return tuple(items)


def _hours(definition: ProgramDefinition, evidence: list[rules.Evidence]) -> Decimal | None:
    courses = completed_courses(definition, evidence)
    hours = [course.hours for course in courses if course.hours is not None]
    return sum(hours, ZERO) if hours else None
