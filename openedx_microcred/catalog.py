"""
The public programme catalogue: what ``/microcred/programmes/`` shows about published programmes,
and the OB 3.0 ``Achievement`` a credential's ``achievement.id`` dereferences to.

Public by design: only what the definition says (no learner data). A programme is listed once it
has a published version; any published version can be read by its number (credentials name the
version they were earned against); drafts never are.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from . import programs, rules, signing
from .credentials.achievement import build_program_achievement
from .definitions import ProgramDefinition
from .models import Program, ProgramVersion
from .programs import ProgramNotFound


@dataclass(frozen=True)
class RequirementNode:
    """One node of a programme's requirement tree, as the public page shows it.

    ``kind`` is ``group``, ``course``, ``program`` (a stacked programme: ``key`` is its id,
    ``title`` its published title) or ``external``; ``children`` only for groups; ``min_count``
    and ``min_credits`` are a group's rules (neither: all children); ``runs``, ``min_grade``
    (a fraction) and ``mode`` only for courses.
    """

    kind: str
    title: str
    key: str = ""
    credits: Decimal = Decimal(0)
    hours: Decimal | None = None
    min_count: int | None = None
    min_credits: Decimal | None = None
    runs: str = ""
    min_grade: float | None = None
    mode: str | None = None
    listed: bool = False  # a stacked programme with a public page of its own
    children: tuple[RequirementNode, ...] = ()


@dataclass(frozen=True)
class PublicProgram:
    """Every descriptive field of one published programme version."""

    program_id: str
    version: int
    latest_version: int
    published_at: datetime | None
    achievement_id: str
    title: str
    description: str
    lang: str
    org: str
    achievement_type: str
    completion: str  # "passing" or "certificate"
    issuer_name: str
    issuer_url: str
    issuer_country: str
    audiences: tuple[str, ...]
    outcomes: tuple[str, ...]
    field_of_study: str
    level_framework: str
    level_value: str
    assessment: str
    participation: str
    quality_assurance: str
    duration: str
    fee: str
    pathway: str
    credits: Decimal
    hours: Decimal | None
    window_from: date | None
    window_until: date | None
    valid_months: int | None
    course_count: int
    program_count: int  # stacked programmes among the requirements
    requirements: RequirementNode


def published_programs() -> list[PublicProgram]:
    """Every programme with a published version (its latest), by issuer then title."""
    rows = (Program.objects.filter(published_version__isnull=False)
            .select_related("published_version"))
    titles = programs.published_titles()
    found = [_public(row, latest, latest.number, titles)
             for row in rows if (latest := row.published_version) is not None]
    return sorted(found, key=lambda item: (item.issuer_name, item.title, item.program_id))


def public_program(program_id: str, *, version: int | None = None) -> PublicProgram:
    """The published programme ``program_id`` (its latest published version, or ``version``).

    Raises ``ProgramNotFound`` for an unknown programme, one never published, or a version
    number that is not published.
    """
    program = (Program.objects.filter(program_id=program_id, published_version__isnull=False)
               .select_related("published_version").first())
    latest = program.published_version if program is not None else None
    if program is None or latest is None:
        raise ProgramNotFound(program_id)
    chosen: ProgramVersion | None = latest
    if version is not None and version != latest.number:
        chosen = ProgramVersion.objects.filter(program=program, number=version,
                                               status=ProgramVersion.PUBLISHED).first()
    if chosen is None:
        raise ProgramNotFound(f"{program_id} v{version}")
    return _public(program, chosen, latest.number, programs.published_titles())


def achievement_document(program_id: str, *, version: int | None = None) -> dict:
    """The OB 3.0 ``Achievement`` of a published programme version, as JSON-LD: the object its
    credentials embed under ``credentialSubject.achievement``. Raises ``ProgramNotFound``."""
    found = public_program(program_id, version=version)
    version_row = ProgramVersion.objects.get(program__program_id=program_id,
                                             number=found.version)
    return build_program_achievement(
        definition=programs.definition_for(version_row.pk), achievement_id=found.achievement_id,
        version=str(found.version))


def _public(program: Program, version: ProgramVersion, latest: int,
            titles: dict[str, str]) -> PublicProgram:
    definition = programs.definition_for(version.pk)
    issuer = definition.issuer
    level = definition.level
    return PublicProgram(
        program_id=program.program_id, version=version.number, latest_version=latest,
        published_at=version.published_at,
        achievement_id=signing.program_achievement_id(program.program_id, version.number),
        title=definition.title, description=definition.description, lang=definition.lang,
        org=definition.org, achievement_type=definition.achievement_type,
        completion=definition.completion,
        issuer_name=issuer.name if issuer else definition.org,
        issuer_url=issuer.url if issuer else "", issuer_country=issuer.country if issuer else "",
        audiences=definition.audiences, outcomes=definition.outcomes,
        field_of_study=definition.field_of_study,
        level_framework=level.framework if level else "", level_value=level.value if level else "",
        assessment=definition.assessment, participation=definition.participation,
        quality_assurance=definition.quality_assurance, duration=definition.duration,
        fee=definition.fee, pathway=definition.pathway, credits=definition.credits,
        hours=definition.hours, window_from=definition.window_from,
        window_until=definition.window_until, valid_months=definition.valid_months,
        course_count=_count(definition, rules.CourseLeaf),
        program_count=_count(definition, rules.ProgramLeaf),
        requirements=_node(definition.requirements, titles),
    )


def _node(node: rules.Node, titles: dict[str, str]) -> RequirementNode:
    if isinstance(node, rules.Group):
        return RequirementNode(kind="group", title=node.title, min_count=node.min_count,
                               min_credits=node.min_credits,
                               children=tuple(_node(child, titles) for child in node.children))
    if isinstance(node, rules.CourseLeaf):
        return RequirementNode(kind="course", title=node.title, key=node.key,
                               credits=node.credits, hours=node.hours, runs=node.runs,
                               min_grade=node.min_grade, mode=node.mode)
    if isinstance(node, rules.ProgramLeaf):
        return RequirementNode(kind="program", title=node.title or titles.get(node.ref, ""),
                               key=node.ref, credits=node.credits, listed=node.ref in titles)
    return RequirementNode(kind="external", title=node.title, key=node.id, credits=node.credits)


def _count(definition: ProgramDefinition, kind: type) -> int:
    return sum(1 for leaf in rules.iter_leaves(definition.requirements) if isinstance(leaf, kind))




__all__ = ["RequirementNode", "PublicProgram", "published_programs", "public_program",
           "achievement_document"]
