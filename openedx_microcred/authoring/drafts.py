"""
Writing programmes as a course team: create, edit the draft, publish, retire, delete.

Every function locks the ``Program`` row, checks the revision the author read (when given) and
bumps it on change, so two authors never silently overwrite each other. Adding a course to a
programme needs Studio write access to that course (``platform.can_write_course``); a definition
the author does not change does not need it again.
"""
from __future__ import annotations

import functools
from typing import Any

from django.db import transaction
from django.utils import timezone

from .. import platform, programs, rules, tasks
from ..conf import setting
from ..definitions import (
    ParsedProgram,
    ProgramDefinition,
    ProgramDefinitionError,
    definition_to_json,
    parse_program_json,
    parse_program_with_lines,
)
from ..models import Program, ProgramVersion, PublishJob
from .errors import (
    CourseAccessDenied,
    OrgAccessDenied,
    ProgramExists,
    ProgramStateError,
    StaleRevision,
)

IMMUTABLE_MEMBERS = ("id", "org")


def parse_source(*, xml: bytes | str | None = None, data: Any = None) -> ParsedProgram:
    """Parse a definition given as XML or as its JSON form (exactly one).

    Raises ``ProgramDefinitionError`` (XML lines or JSON Pointers).
    """
    limit = setting("MICROCRED_MAX_DEFINITION_BYTES")
    if xml is not None:
        return parse_program_with_lines(xml, max_bytes=limit)
    return parse_program_json(data, max_bytes=limit)[0]


def get_program(program_id: str, *, lock: bool = False) -> Program:
    """The programme, locked for update when ``lock``. Raises ``ProgramNotFound``."""
    rows = Program.objects.select_for_update() if lock else Program.objects
    program = rows.filter(program_id=program_id).first()
    if program is None:
        raise programs.ProgramNotFound(program_id)
    return program


def current_version(program: Program) -> ProgramVersion | None:
    """The draft when there is one, else the published version (what an author edits)."""
    return program.versions.order_by("-number").first()


def create_program(parsed: ParsedProgram, *, user=None) -> ProgramVersion:
    """Create a programme as a draft. Raises ``ProgramExists``, ``OrgAccessDenied`` (``user``
    is no author of the definition's org) or ``CourseAccessDenied``."""
    definition = parsed.definition
    if user is not None and platform.org_role(user, definition.org) != platform.AUTHOR:
        raise OrgAccessDenied(f"you may not author programmes of org '{definition.org}'")
    with transaction.atomic():
        if Program.objects.filter(program_id=definition.id).exists():
            raise ProgramExists(f"programme '{definition.id}' exists already")
        _check_course_access(user, None, definition)
        return programs.save_definition(parsed, user_id=_user_id(user))


def save_draft(program_id: str, parsed: ParsedProgram, *, user=None,
               expected_revision: int | None = None) -> ProgramVersion:
    """Replace the programme's draft with ``parsed`` (opening one after a publication).

    Raises ``ProgramNotFound``, ``StaleRevision``, ``ProgramDefinitionError`` (another id or
    org), ``ProgramRetired`` or ``CourseAccessDenied``.
    """
    definition = parsed.definition
    if definition.id != program_id:
        raise ProgramDefinitionError(
            f"the definition's id '{definition.id}' is not this programme's ('{program_id}')",
            path="/id")
    with transaction.atomic():
        program = _locked(program_id, expected_revision)
        current = current_version(program)
        _check_course_access(user, programs.definition_for(current.pk) if current else None,
                             definition)
        return programs.save_definition(parsed, user_id=_user_id(user))


def patch_draft(program_id: str, changes: dict[str, Any], *, user=None,
                expected_revision: int | None = None) -> ProgramVersion:
    """Change top-level members of the JSON form (``{"title": …, "requirements": …}``) in the
    draft. ``id`` and ``org`` never change. Raises as ``save_draft``."""
    for member in IMMUTABLE_MEMBERS:
        if member in changes:
            raise ProgramDefinitionError(f"a programme's {member} cannot change",
                                         path=f"/{member}")
    with transaction.atomic():
        program = _locked(program_id, expected_revision)
        current = current_version(program)
        if current is None:
            raise ProgramStateError(f"programme '{program_id}' has no definition to change")
        data = {**definition_to_json(programs.definition_for(current.pk)), **changes}
        parsed = parse_source(data=data)
        return save_draft(program_id, parsed, user=user)


def publish(program_id: str, *, user=None, expected_revision: int | None = None) -> PublishJob:
    """Publish the draft and start evaluating the learners with completions in its courses.

    Returns the ``PublishJob`` whose counts show the evaluation's progress (a Celery task,
    enqueued when the transaction commits). Raises ``ProgramNotFound``, ``StaleRevision``,
    ``ProgramStateError`` (no draft: nothing to publish; retired).
    """
    with transaction.atomic():
        program = _locked(program_id, expected_revision)
        if program.retired_at is not None:
            raise ProgramStateError(f"programme '{program_id}' is retired")
        version = current_version(program)
        if version is None or version.status != ProgramVersion.DRAFT:
            raise ProgramStateError(f"programme '{program_id}' has no draft to publish")
        programs.publish_version(version, user_id=_user_id(user))
        job = PublishJob.objects.create(program=program, version=version,
                                        requested_by_id=_user_id(user))
        transaction.on_commit(lambda: tasks.enqueue_publish_job(job.pk))
        return job


def retire(program_id: str, *, expected_revision: int | None = None) -> Program:
    """Retire a published programme: it issues no new credential; issued ones stay valid.

    Raises ``ProgramNotFound``, ``StaleRevision``, ``ProgramStateError`` (never published, or
    retired already: delete a draft instead).
    """
    with transaction.atomic():
        program = _locked(program_id, expected_revision)
        if program.retired_at is not None:
            raise ProgramStateError(f"programme '{program_id}' is retired already")
        if program.published_version_id is None:
            raise ProgramStateError(
                f"programme '{program_id}' was never published: delete the draft instead")
        program.retired_at = timezone.now()
        program.revision += 1
        program.save(update_fields=["retired_at", "revision"])
        return program


def delete(program_id: str, *, expected_revision: int | None = None) -> None:
    """Delete a programme that was never published. Raises ``ProgramNotFound``,
    ``StaleRevision``, ``ProgramStateError`` (published once: retire it instead)."""
    with transaction.atomic():
        program = _locked(program_id, expected_revision)
        if (program.published_version_id is not None
                or program.versions.filter(status=ProgramVersion.PUBLISHED).exists()):
            raise ProgramStateError(
                f"programme '{program_id}' has been published: retire it instead of deleting it")
        program.delete()


def import_definitions(xmls: list[bytes | str], *, publish: bool,
                       ) -> list[tuple[ProgramVersion, PublishJob | None]]:
    """Import several XML definitions in dependency order, all or nothing (operators: no
    permission checks). With ``publish`` each newly published version starts a publish job
    evaluating the learners who already have completions in its courses."""
    with transaction.atomic():
        before = dict(Program.objects.values_list("program_id", "published_version_id"))
        result = []
        for version in programs.import_programs(xmls, publish=publish):
            job = None
            if publish and before.get(version.program.program_id) != version.pk:
                job = PublishJob.objects.create(program=version.program, version=version)
                transaction.on_commit(functools.partial(tasks.enqueue_publish_job, job.pk))
            result.append((version, job))
        return result


def _locked(program_id: str, expected_revision: int | None) -> Program:
    program = get_program(program_id, lock=True)
    if expected_revision is not None and expected_revision != program.revision:
        raise StaleRevision(program_id, expected=expected_revision, current=program.revision)
    return program


def _check_course_access(user, before: ProgramDefinition | None,
                         after: ProgramDefinition) -> None:
    """Courses ``after`` adds to ``before`` need the user's Studio write access."""
    if user is None:  # an operator (management command, Python API): no course-team check
        return
    added = sorted(_course_keys(after) - (_course_keys(before) if before else set()))
    refused = [key for key in added if not platform.can_write_course(user, key)]
    if refused:
        raise CourseAccessDenied(refused)


def _course_keys(definition: ProgramDefinition) -> set[str]:
    return {leaf.key for leaf in rules.iter_leaves(definition.requirements)
            if isinstance(leaf, rules.CourseLeaf)}


def _user_id(user) -> int | None:
    return user.pk if user is not None and user.is_authenticated else None
