"""
Programme catalogue: importing, publishing and exporting definitions, and finding them fast.

Imports and edits write the programme's draft: its latest version while unpublished, edited in
place (a new draft version is opened after the latest was published). Publishing makes the draft
the immutable published version and rebuilds the programme's ``ProgramLeafIndex`` in one
transaction. Parsed definitions of published versions are cached per version id for the life of
the process: a published version never changes, so the cache never goes stale (drafts are parsed
on each use). A programme's org never changes, and a retired programme takes no new definition.
"""
from __future__ import annotations

from collections.abc import Iterable
from graphlib import TopologicalSorter

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from . import rules
from .conf import setting
from .definitions import ProgramDefinition, ProgramDefinitionError
from .definitions.parser import ParsedProgram, parse_program, parse_program_with_lines
from .definitions.serializer import serialize_program
from .models import Program, ProgramLeafIndex, ProgramVersion

_DEFINITIONS: dict[int, ProgramDefinition] = {}


class ProgramNotFound(LookupError):
    """No programme has the given id."""


class ProgramRetired(Exception):
    """The programme is retired: it takes no new definition and issues nothing new."""


def definition_for(version_id: int) -> ProgramDefinition:
    """The parsed definition of ``ProgramVersion`` ``version_id`` (cached once published)."""
    definition = _DEFINITIONS.get(version_id)
    if definition is None:
        xml, status = (ProgramVersion.objects.values_list("definition_xml", "status")
                       .get(pk=version_id))
        definition = parse_program(xml)
        if status == ProgramVersion.PUBLISHED:
            _DEFINITIONS[version_id] = definition
    return definition


def import_program(xml: bytes | str, *, publish: bool = True, user_id: int | None = None,
                   ) -> ProgramVersion:
    """Validate ``xml`` and store it as its programme's draft (a new programme if need be).

    Returns the draft — or the latest version unchanged when ``xml`` says exactly what it says
    (re-importing is idempotent). With ``publish`` the draft becomes the published version that
    learners are evaluated against. Raises ``ProgramDefinitionError`` (with the line) for
    invalid XML, an unknown programme ``ref``, a stacking cycle or another org than the
    programme's; ``ProgramRetired`` for a retired programme.
    """
    parsed = parse_program_with_lines(xml, max_bytes=setting("MICROCRED_MAX_DEFINITION_BYTES"))
    return save_definition(parsed, publish=publish, user_id=user_id)


def save_definition(parsed: ParsedProgram, *, publish: bool = False,
                    user_id: int | None = None) -> ProgramVersion:
    """Store a parsed definition as its programme's draft; see ``import_program``."""
    definition = parsed.definition
    check_refs(parsed, published_only=publish)
    with transaction.atomic():
        program, _ = Program.objects.select_for_update().get_or_create(
            program_id=definition.id, defaults={"org": definition.org})
        check_org(program, definition)
        if program.retired_at is not None:
            raise ProgramRetired(program.program_id)
        version = _write_draft(program, definition, user_id)
        if publish and version.status != ProgramVersion.PUBLISHED:
            publish_version(version, user_id=user_id)
        return version


def check_org(program: Program, definition: ProgramDefinition) -> None:
    """Refuse a definition whose org is not the programme's: credentials already issued are
    signed by that org, and a programme moves only as an explicit operator act."""
    if definition.org != program.org:
        raise ProgramDefinitionError(
            f"programme '{program.program_id}' belongs to org '{program.org}'; its org cannot "
            f"change to '{definition.org}' (to move a programme, export it, import it under a "
            f"new id and the new org, and retire this one)", path="/org")


def _write_draft(program: Program, definition: ProgramDefinition,
                 user_id: int | None) -> ProgramVersion:
    """The programme's draft holding ``definition``, written only if something changed."""
    latest = program.versions.order_by("-number").first()
    if latest is not None and definition_for(latest.pk) == definition:
        return latest
    values = {"definition_xml": serialize_program(definition),
              "title": definition.title[:500], "credits": definition.credits}
    if latest is not None and latest.status == ProgramVersion.DRAFT:
        for name, value in values.items():
            setattr(latest, name, value)
        latest.save()
        version = latest
    else:
        version = ProgramVersion.objects.create(
            program=program, number=(latest.number + 1) if latest else 1,
            created_by_id=user_id, **values)
    Program.objects.filter(pk=program.pk).update(revision=F("revision") + 1)
    return version


def import_programs(xmls: Iterable[bytes | str], *, publish: bool = True) -> list[ProgramVersion]:
    """Import several definitions, those a definition stacks on first; all or nothing."""
    parsed = [(parse_program(x, max_bytes=setting("MICROCRED_MAX_DEFINITION_BYTES")), x)
              for x in xmls]
    by_id = {definition.id: (definition, xml) for definition, xml in parsed}
    graph = {program_id: rules.program_refs(definition.requirements) & by_id.keys()
             for program_id, (definition, _) in by_id.items()}
    cycle = rules.find_cycle(graph)
    if cycle:
        raise ProgramDefinitionError(f"programme references form a cycle: {' -> '.join(cycle)}")
    ordered = list(TopologicalSorter(graph).static_order())  # refs before their stacks
    with transaction.atomic():
        return [import_program(by_id[pid][1], publish=publish) for pid in ordered]


def publish_version(version: ProgramVersion, *, user_id: int | None = None) -> None:
    """Make ``version`` the published one and rebuild the programme's leaf index.

    Raises ``ProgramDefinitionError`` when it stacks on a programme that is not published.
    """
    definition = definition_for(version.pk)
    unpublished = sorted(rules.program_refs(definition.requirements) - set(
        Program.objects.filter(published_version__isnull=False)
        .values_list("program_id", flat=True)))
    if unpublished:
        raise ProgramDefinitionError(
            f"publish the programmes it stacks on first: {', '.join(unpublished)}")
    with transaction.atomic():
        ProgramVersion.objects.filter(pk=version.pk).update(
            status=ProgramVersion.PUBLISHED, published_at=timezone.now(), published_by_id=user_id)
        version.refresh_from_db()
        _DEFINITIONS[version.pk] = definition
        Program.objects.filter(pk=version.program_id).update(
            published_version=version, revision=F("revision") + 1)
        ProgramLeafIndex.objects.filter(program_id=version.program_id).delete()
        ProgramLeafIndex.objects.bulk_create(
            [ProgramLeafIndex(program_id=version.program_id, kind=kind, key=key)
             for kind, key in sorted(leaf_keys(definition))])


def leaf_keys(definition: ProgramDefinition) -> set[tuple[str, str]]:
    """The ``(kind, key)`` index entries through which events reach ``definition``."""
    keys: set[tuple[str, str]] = set()
    for leaf in rules.iter_leaves(definition.requirements):
        if isinstance(leaf, rules.CourseLeaf):
            if leaf.runs == rules.RUNS_THIS:
                keys.add((ProgramLeafIndex.COURSE_RUN, leaf.key))
            else:
                keys.add((ProgramLeafIndex.COURSE, course_index_key(leaf.org, leaf.number)))
        elif isinstance(leaf, rules.ProgramLeaf):
            keys.add((ProgramLeafIndex.PROGRAM, leaf.ref))
        else:
            keys.add((ProgramLeafIndex.EXTERNAL, leaf.id))
            if leaf.badge_template:
                keys.add((ProgramLeafIndex.EXTERNAL, rules.badge_key(leaf.badge_template)))
    return keys


def course_index_key(org: str, number: str) -> str:
    """The index key of "any run of this course"."""
    return f"{org}+{number}"


def export_program(program_id: str) -> str:
    """The canonical XML of the programme's published version (else its latest draft)."""
    program = Program.objects.filter(program_id=program_id).first()
    if program is None:
        raise ProgramNotFound(program_id)
    version = program.published_version or program.versions.order_by("-number").first()
    if version is None:
        raise ProgramNotFound(program_id)
    return serialize_program(definition_for(version.pk))


def check_refs(parsed: ParsedProgram, *, published_only: bool = True) -> None:
    """Unknown programme refs and stacking cycles are definition errors, named with their line.

    A draft may stack on a programme that is itself only a draft (``published_only`` False);
    what is published may stack only on published programmes.
    """
    definition = parsed.definition
    refs = rules.program_refs(definition.requirements)
    if not refs:
        return
    rows = Program.objects.filter(program_id__in=refs)
    if published_only:
        rows = rows.filter(published_version__isnull=False)
    known = set(rows.values_list("program_id", flat=True))
    for ref in sorted(refs - known):
        raise ProgramDefinitionError(f"unknown programme ref '{ref}'",
                                     line=parsed.ref_lines.get(ref))
    graph = _reference_graph()
    graph[definition.id] = refs
    cycle = rules.find_cycle(graph)
    if cycle and definition.id in cycle:
        first = cycle[cycle.index(definition.id) + 1]
        raise ProgramDefinitionError(
            f"programme references form a cycle: {' -> '.join(cycle)}",
            line=parsed.ref_lines.get(first))


def _reference_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    rows = (ProgramLeafIndex.objects.filter(kind=ProgramLeafIndex.PROGRAM)
            .values_list("program__program_id", "key"))
    for program_id, ref in rows:
        graph.setdefault(program_id, set()).add(ref)
    return graph


def published_titles(program_ids: Iterable[str] | None = None) -> dict[str, str]:
    """``{programme id: title of its published version}`` for ``program_ids`` (every published
    programme when None): what a stacked requirement is called when its leaf has no title."""
    rows = Program.objects.filter(published_version__isnull=False)
    if program_ids is not None:
        rows = rows.filter(program_id__in=list(program_ids))
    return dict(rows.values_list("program_id", "published_version__title"))
