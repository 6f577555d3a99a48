"""
Reviewing a programme before publishing: validation with warnings, preview, diffs, and what a
publication would change for learners. Nothing here writes.
"""
from __future__ import annotations

import difflib
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from .. import backfill, evaluation, issuers, platform, programs, rules, signing
from ..conf import setting
from ..credentials.achievement import IssuerProfile, build_achievement_credential
from ..credentials.narrative import criteria_narrative
from ..credentials.recipient import hashed_email_identity
from ..definitions import (
    Problem,
    ProgramDefinition,
    ProgramDefinitionError,
    find_problems,
    parse_program_json,
    parse_program_with_lines,
    serialize_program,
)
from ..definitions.jsonform import json_problems
from ..definitions.lexical import format_decimal
from ..models import Credential, Program, ProgramVersion

# Group titles that promise a choice ("Electives", "Choose two", "选修", "任选") while the group,
# with neither rule, needs every child.
_CHOICE_TITLE = re.compile(
    r"elective|choose|choice|option|select|pick|any\b|one of|two of|选修|任选|选择|选", re.I)


@dataclass(frozen=True)
class Review:
    """Validation of a definition: ``errors`` stop it from being saved or published;
    ``warnings`` are well-formed but probably wrong."""

    errors: tuple[Problem, ...]
    warnings: tuple[Problem, ...]
    definition: ProgramDefinition | None


def review(*, xml: bytes | str | None = None, data: Any = None,
           catalogue: bool = True) -> Review:
    """Every error and warning of a definition given as XML or as its JSON form; with
    ``catalogue`` also what needs the other programmes (unknown refs, cycles, another org)."""
    limit = setting("MICROCRED_MAX_DEFINITION_BYTES")
    if xml is not None:
        problems = find_problems(xml, max_bytes=limit)
        if problems:
            return Review(tuple(problems), (), None)
        parse = lambda: parse_program_with_lines(xml, max_bytes=limit)  # noqa: E731
    else:
        problems = json_problems(data)
        if problems:
            return Review(tuple(problems), (), None)
        parse = lambda: parse_program_json(data, max_bytes=limit)[0]  # noqa: E731
    try:
        parsed = parse()
        existing = Program.objects.filter(program_id=parsed.definition.id).first()
        if catalogue:
            programs.check_refs(parsed, published_only=False)
        if catalogue and existing is not None:
            programs.check_org(existing, parsed.definition)
    except ProgramDefinitionError as error:
        return Review(error.problems, (), None)
    return Review((), tuple(warnings(parsed.definition)), parsed.definition)


def warnings(definition: ProgramDefinition) -> list[Problem]:
    """What is well-formed but probably wrong: a course key no course has, declared credits
    that differ from what the requirement tree needs, a group whose title suggests a choice
    but which needs all of its children."""
    found: list[Problem] = []
    least = rules.minimum_credits(definition.requirements)
    if definition.declared_credits is not None and definition.declared_credits != least:
        found.append(Problem(
            f"the programme declares {format_decimal(definition.declared_credits)} credits, but "
            f"its requirements are completed with {format_decimal(least)}", path="/credits"))
    for path, node in rules.iter_nodes(definition.requirements):
        pointer = tree_pointer(path)
        if isinstance(node, rules.CourseLeaf) and not platform.course_exists(node.key):
            found.append(Problem(f"no course has the key '{node.key}' (a typo, or a course "
                                 f"not created yet?)", path=pointer + "/key"))
        elif (isinstance(node, rules.Group) and path and len(node.children) > 1
              and node.min_count is None and node.min_credits is None
              and _CHOICE_TITLE.search(node.title or "")):
            found.append(Problem(
                f"the group '{node.title}' sounds like a choice but needs all "
                f"{len(node.children)} of its children: set min-count or min-credits",
                path=pointer))
    return found


def tree_pointer(path: str) -> str:
    """The JSON Pointer of the requirement at ``rules.iter_nodes`` path ``path`` ("0.2")."""
    return "/requirements" + "".join(f"/children/{index}" for index in path.split(".") if path)


@dataclass(frozen=True)
class Preview:
    """What learners will read, and the credential as it would be issued (unsigned)."""

    narrative: str
    credential: dict[str, Any]


def preview(definition: ProgramDefinition, *, version: int) -> Preview:
    """The learner-facing requirement text and an unsigned sample credential of ``definition``
    (a sample recipient, every credit earned, issued now)."""
    titles = programs.published_titles(rules.program_refs(definition.requirements))
    now = timezone.now().replace(microsecond=0)
    issuer_id = issuers.org_did(definition.org) or f"urn:microcred:issuer:{definition.org}"
    credential = build_achievement_credential(
        credential_id=f"urn:uuid:{uuid.UUID(int=0)}",
        achievement_id=signing.achievement_id("program", f"{definition.id}:v{version}"),
        definition=definition, credits_earned=definition.credits, version=str(version),
        issuer=IssuerProfile.from_definition(definition, issuer_id),
        recipient=hashed_email_identity("learner@example.org", "preview"),
        valid_from=now, program_titles=titles)
    return Preview(narrative=criteria_narrative(definition, program_titles=titles),
                   credential=credential)


@dataclass(frozen=True)
class Diff:
    """What changed between two versions (``None``: nothing on that side)."""

    from_version: int | None
    to_version: int | None
    unified: str
    added_courses: tuple[str, ...]
    removed_courses: tuple[str, ...]
    credits_before: str | None
    credits_after: str | None


def diff(program: Program, from_number: int | None, to_number: int | None) -> Diff:
    """The changes from version ``from_number`` to ``to_number`` (None: nothing).

    Raises ``ProgramNotFound`` for a version number the programme does not have.
    """
    before = _definition(program, from_number)
    after = _definition(program, to_number)
    old = serialize_program(before).splitlines(keepends=True) if before else []
    new = serialize_program(after).splitlines(keepends=True) if after else []
    unified = "".join(difflib.unified_diff(
        old, new, fromfile=f"v{from_number}" if from_number else "/dev/null",
        tofile=f"v{to_number}" if to_number else "/dev/null"))
    keys_before, keys_after = _course_keys(before), _course_keys(after)
    return Diff(from_version=from_number, to_version=to_number, unified=unified,
                added_courses=tuple(sorted(keys_after - keys_before)),
                removed_courses=tuple(sorted(keys_before - keys_after)),
                credits_before=format_decimal(before.credits) if before else None,
                credits_after=format_decimal(after.credits) if after else None)


@dataclass(frozen=True)
class PublishSummary:
    """What publishing the draft would do: the changes, and the learners it would evaluate and
    newly complete (those holding no credential of the programme)."""

    diff: Diff
    learners: int
    newly_complete: int


def publish_summary(program: Program) -> PublishSummary:
    """The summary of publishing ``program``'s draft. Raises ``ProgramNotFound`` without one."""
    draft = program.versions.filter(status=ProgramVersion.DRAFT).order_by("-number").first()
    if draft is None:
        raise programs.ProgramNotFound(f"{program.program_id} has no draft")
    published = program.published_version
    changes = diff(program, published.number if published else None, draft.number)
    definition = programs.definition_for(draft.pk)
    learners = newly = 0
    for batch in _chunks(backfill.learners_for_definition(definition), 1000):
        learners += len(batch)
        withheld = set(Credential.objects.filter(
            program=program, revoked_by=Credential.BY_STAFF, user_id__in=batch)
            .values_list("user_id", flat=True))
        for user_id, record in evaluation.load_records(batch).items():
            if program.program_id in record.credentials or user_id in withheld:
                continue
            if rules.evaluate(definition.rules, record).complete:
                newly += 1
    return PublishSummary(diff=changes, learners=learners, newly_complete=newly)


def _chunks(items: Iterator[int], size: int) -> Iterator[list[int]]:
    batch: list[int] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _definition(program: Program, number: int | None) -> ProgramDefinition | None:
    if number is None:
        return None
    version = program.versions.filter(number=number).values_list("pk", flat=True).first()
    if version is None:
        raise programs.ProgramNotFound(f"{program.program_id} v{number}")
    return programs.definition_for(version)


def _course_keys(definition: ProgramDefinition | None) -> set[str]:
    if definition is None:
        return set()
    return {leaf.key for leaf in rules.iter_leaves(definition.requirements)
            if isinstance(leaf, rules.CourseLeaf)}
