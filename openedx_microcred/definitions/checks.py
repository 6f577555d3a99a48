"""
Semantic checks of one programme definition: what the XML Schema cannot express.

Checks that need other programmes (an unknown ``ref``, a cycle through other programmes) are not
here: the importer makes them with ``ParsedProgram.ref_lines``. The checks run in document order,
so the error reported is the first problem an author would meet reading the file.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .. import rules
from .errors import Problem, ProgramDefinitionError
from .lexical import format_decimal
from .model import ProgramDefinition
from .reader import SourceLines


def check_definition(definition: ProgramDefinition, lines: SourceLines) -> None:
    """Raise ``ProgramDefinitionError`` (with the offending line) for the first problem found;
    its ``problems`` list every problem ``definition_problems`` finds.

    Problems: a completion window without bounds or ending before it starts; a group whose
    ``min-count`` is below 1 or above its number of children, or whose ``min-credits`` is above
    the credits available under it; a course ``mode`` without ``completion="certificate"``; a
    programme that requires itself; a course, programme, external id or badge template required
    twice (two leaves one fact would satisfy: the same run, or the same course under
    ``runs="any"``).
    """
    problems = definition_problems(definition, lines)
    if problems:
        raise ProgramDefinitionError.from_problems(problems)


def definition_problems(definition: ProgramDefinition, lines: SourceLines) -> list[Problem]:
    """Every problem ``check_definition`` looks for, in document order (at most one per node)."""
    problems: list[Problem] = []
    try:
        _check_window(definition, lines)
    except ProgramDefinitionError as error:
        problems.extend(error.problems)
    seen = _Seen()
    for path, node in rules.iter_nodes(definition.requirements):
        try:
            _check_node(definition, node, lines.nodes[path], seen)
        except ProgramDefinitionError as error:
            problems.extend(error.problems)
    return problems


def _check_node(definition: ProgramDefinition, node: rules.Node, line: int,
                seen: _Seen) -> None:
    if isinstance(node, rules.Group):
        _check_group(node, line)
    elif isinstance(node, rules.CourseLeaf):
        _check_mode(definition, node, line)
        seen.course(node, line)
    elif isinstance(node, rules.ProgramLeaf):
        _check_ref(definition, node, line)
        seen.program(node, line)
    else:
        seen.external(node, line)


def _check_window(definition: ProgramDefinition, lines: SourceLines) -> None:
    if "completion-window" not in lines.elements:
        return
    line = lines.elements["completion-window"]
    start, end = definition.window_from, definition.window_until
    if start is None and end is None:
        raise ProgramDefinitionError("<completion-window> needs a from or an until date",
                                     line=line)
    if start is not None and end is not None and start > end:
        raise ProgramDefinitionError(
            f"completion-window from {start} is after until {end}", line=line)


def _check_group(group: rules.Group, line: int) -> None:
    size = len(group.children)
    if group.min_count is not None and group.min_count < 1:
        raise ProgramDefinitionError(f"min-count {group.min_count} must be at least 1", line=line)
    if group.min_count is not None and group.min_count > size:
        raise ProgramDefinitionError(
            f"min-count {group.min_count} is more than the group's {size} "
            f"{'child' if size == 1 else 'children'}", line=line)
    if group.min_credits is not None:
        available = sum((leaf.credits for leaf in rules.iter_leaves(group)), rules.ZERO)
        if group.min_credits > available:
            raise ProgramDefinitionError(
                f"min-credits {format_decimal(group.min_credits)} is more than the "
                f"{format_decimal(available)} credits available in the group", line=line)


def _check_mode(definition: ProgramDefinition, leaf: rules.CourseLeaf, line: int) -> None:
    # Under completion="passing" no certificate is looked at, so a mode would silently not apply.
    if leaf.mode and definition.completion != rules.CERTIFICATE:
        raise ProgramDefinitionError(
            f"mode \"{leaf.mode}\" on course '{leaf.key}' needs completion=\"certificate\" "
            f"on <program> (it is \"{definition.completion}\")", line=line)


def _check_ref(definition: ProgramDefinition, leaf: rules.ProgramLeaf, line: int) -> None:
    if leaf.ref == definition.id:
        raise ProgramDefinitionError(
            f"programme '{leaf.ref}' requires itself (a cycle)", line=line)


@dataclass
class _Seen:
    """The leaves met so far, by what satisfies them, with their lines."""

    runs: dict[str, int] = field(default_factory=dict)
    courses: dict[tuple[str, str], tuple[rules.CourseLeaf, int]] = field(default_factory=dict)
    any_runs: dict[tuple[str, str], tuple[rules.CourseLeaf, int]] = field(default_factory=dict)
    refs: dict[str, int] = field(default_factory=dict)
    externals: dict[str, int] = field(default_factory=dict)
    templates: dict[str, int] = field(default_factory=dict)

    def course(self, leaf: rules.CourseLeaf, line: int) -> None:
        if leaf.key in self.runs:
            _twice(f"course '{leaf.key}'", self.runs[leaf.key], line)
        course = (leaf.org, leaf.number)
        # runs="any" accepts every run of org+number, so it overlaps any leaf of that course.
        overlap = self.courses.get(course) if leaf.runs == rules.RUNS_ANY else None
        other = overlap or self.any_runs.get(course)
        if other:
            raise ProgramDefinitionError(
                f"course '{leaf.key}' is the same course as '{other[0].key}' on line {other[1]} "
                f"(runs=\"any\" accepts every run of {leaf.org}+{leaf.number})", line=line)
        self.runs[leaf.key] = line
        self.courses.setdefault(course, (leaf, line))
        if leaf.runs == rules.RUNS_ANY:
            self.any_runs[course] = (leaf, line)

    def program(self, leaf: rules.ProgramLeaf, line: int) -> None:
        if leaf.ref in self.refs:
            _twice(f"programme '{leaf.ref}'", self.refs[leaf.ref], line)
        self.refs[leaf.ref] = line

    def external(self, leaf: rules.ExternalLeaf, line: int) -> None:
        if leaf.id in self.externals:
            _twice(f"external achievement '{leaf.id}'", self.externals[leaf.id], line)
        template = leaf.badge_template
        if template and template in self.templates:
            _twice(f"badge template '{template}'", self.templates[template], line)
        self.externals[leaf.id] = line
        if template:
            self.templates[template] = line


def _twice(what: str, first_line: int, line: int) -> None:
    raise ProgramDefinitionError(f"{what} is required twice (also on line {first_line})",
                                 line=line)
