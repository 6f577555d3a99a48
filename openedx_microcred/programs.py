"""
Programme catalogue: importing, publishing and exporting definitions, and finding them fast.

Publishing writes a new immutable ``ProgramVersion`` and rebuilds the programme's
``ProgramLeafIndex`` in one transaction. Parsed definitions are cached per version id for the life
of the process: a published version never changes, so the cache never goes stale.
"""
from __future__ import annotations

from collections.abc import Iterable
from graphlib import TopologicalSorter

from django.db import transaction
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


def definition_for(version_id: int) -> ProgramDefinition:
    """The parsed definition of ``ProgramVersion`` ``version_id``, cached: versions never change."""
    definition = _DEFINITIONS.get(version_id)
    if definition is None:
        xml = ProgramVersion.objects.values_list("definition_xml", flat=True).get(pk=version_id)
        definition = _DEFINITIONS[version_id] = parse_program(xml)
    return definition


def import_program(xml: bytes | str, *, publish: bool = True) -> ProgramVersion:
    """Validate ``xml`` and store it as a new version of its programme.

    Returns the new version — or the current one unchanged when ``xml`` says exactly what the
    latest version says (re-importing is idempotent). With ``publish`` the version becomes the one
    learners are evaluated against. Raises ``ProgramDefinitionError`` (with the line) for invalid
    XML, an unknown programme ``ref`` or a stacking cycle.
    """
    parsed = parse_program_with_lines(xml, max_bytes=setting("MICROCRED_MAX_DEFINITION_BYTES"))
    definition = parsed.definition
    _check_refs(parsed)
    with transaction.atomic():
        program, _ = Program.objects.select_for_update().get_or_create(
            program_id=definition.id, defaults={"org": definition.org})
        latest = program.versions.order_by("-number").first()
        if latest and definition_for(latest.pk) == definition:
            if publish and latest.status != ProgramVersion.PUBLISHED:
                publish_version(latest)
            return latest
        version = ProgramVersion.objects.create(
            program=program, number=(latest.number + 1) if latest else 1,
            definition_xml=serialize_program(definition), title=definition.title[:500],
            credits=definition.credits,
        )
        _DEFINITIONS[version.pk] = definition
        if publish:
            publish_version(version)
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


def publish_version(version: ProgramVersion) -> None:
    """Make ``version`` the published one and rebuild the programme's leaf index."""
    definition = definition_for(version.pk)
    with transaction.atomic():
        ProgramVersion.objects.filter(pk=version.pk).update(
            status=ProgramVersion.PUBLISHED, published_at=timezone.now())
        version.refresh_from_db()
        Program.objects.filter(pk=version.program_id).update(published_version=version)
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


def _check_refs(parsed: ParsedProgram) -> None:
    """Unknown programme refs and stacking cycles are definition errors, named with their line."""
    definition = parsed.definition
    refs = rules.program_refs(definition.requirements)
    if not refs:
        return
    known = set(Program.objects.filter(program_id__in=refs, published_version__isnull=False)
                .values_list("program_id", flat=True))
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
