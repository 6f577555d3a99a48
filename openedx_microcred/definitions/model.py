"""The parsed form of a programme definition (pure dataclasses, no Django)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cached_property

from .. import rules


@dataclass(frozen=True)
class Issuer:
    """The awarding body named in the credential."""

    name: str
    url: str = ""
    country: str = ""


@dataclass(frozen=True)
class Level:
    """A qualifications-framework level, e.g. ``Level("EQF", "6")``."""

    framework: str
    value: str


@dataclass(frozen=True)
class ProgramDefinition:
    """Everything a ``<program>`` element says. ``requirements`` is the root all-of group."""

    id: str
    org: str
    title: str
    requirements: rules.Group
    lang: str = "en"
    achievement_type: str = "MicroCredential"
    completion: str = rules.PASSING
    declared_credits: Decimal | None = None
    description: str = ""
    issuer: Issuer | None = None
    audiences: tuple[str, ...] = ()
    outcomes: tuple[str, ...] = ()
    field_of_study: str = ""
    level: Level | None = None
    assessment: str = ""
    participation: str = ""
    quality_assurance: str = ""
    duration: str = ""
    fee: str = ""
    pathway: str = ""
    workload_hours: Decimal | None = None
    window_from: date | None = None
    window_until: date | None = None
    valid_months: int | None = None
    #: Whether per-course grades appear in public documents (``public-grades``; default no).
    public_grades: bool = False

    @cached_property
    def rules(self) -> rules.ProgramRules:
        """What ``rules.evaluate`` needs of this definition."""
        return rules.ProgramRules(
            program_id=self.id, root=self.requirements, completion=self.completion,
            window_from=self.window_from, window_until=self.window_until, credits=self.credits,
        )

    @cached_property
    def credits(self) -> Decimal:
        """The programme's credits: as declared, else the least total that can complete it."""
        if self.declared_credits is not None:
            return self.declared_credits
        return rules.minimum_credits(self.requirements)

    @property
    def hours(self) -> Decimal | None:
        """The notional workload: as declared, else the sum of the course hours (None if none)."""
        if self.workload_hours is not None:
            return self.workload_hours
        hours = [leaf.hours for leaf in rules.iter_leaves(self.requirements)
                 if isinstance(leaf, rules.CourseLeaf) and leaf.hours is not None]
        return sum(hours, Decimal(0)) if hours else None
