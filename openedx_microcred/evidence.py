"""
Everything behind a credential, for its public verification page: the courses, the stacked
programmes with the courses behind them (recursively), external achievements, hours, and the
learning outcomes and criteria its signed document states.

Public by design, like the page: only what the credential's evidence and signed document
already say (titles, keys, dates, credits, hours, grades); no evidence URLs recorded by staff,
no learner identifiers.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from . import programs, rules, signing
from .credentials.achievement import OUTCOME_TARGET_TYPE
from .models import Credential

MAX_DEPTH = 5  # stacking depth shown (cycles are rejected at import; this bounds the page)


@dataclass(frozen=True)
class EvidenceItem:
    """One satisfied requirement of a credential, in requirement-tree order.

    ``kind`` is ``course``, ``program`` (a stacked programme: ``parts`` are the evidence of the
    learner's credential for it, ``verify_url`` its verification page) or ``external``;
    ``hours`` only for courses whose definition gives them; ``grade`` a fraction.
    """

    kind: str
    key: str
    title: str
    credits: Decimal
    hours: Decimal | None
    achieved_at: datetime | None
    grade: float | None = None
    verify_url: str = ""
    parts: tuple[EvidenceItem, ...] = ()


@dataclass(frozen=True)
class SignedStatements:
    """What the signed document says about the achievement: outcomes, level, criteria (the
    Markdown narrative), and the achievement's id."""

    outcomes: tuple[str, ...]
    level: str
    criteria: str
    achievement_id: str


def evidence_of(credential: Credential, *, depth: int = 0) -> tuple[EvidenceItem, ...]:
    """The credential's evidence with titles and hours from its programme version; stacked
    programmes carry the evidence of the learner's credential for them."""
    definition = programs.definition_for(credential.version_id)
    leaves = dict(rules.iter_nodes(definition.requirements))
    items = [rules.Evidence.from_json(data) for data in credential.evidence]
    items.sort(key=lambda item: (tuple(int(p) for p in item.path.split(".") if p.isdigit()),
                                 item.key))
    # Public: a grade is shown only when the programme publishes grades (``public-grades``).
    return tuple(_item(credential, item, leaves.get(item.path), depth,
                       public_grades=definition.public_grades) for item in items)


def hours_of(items: tuple[EvidenceItem, ...]) -> Decimal | None:
    """The hours of the counted courses (None when no course gives hours)."""
    hours = [item.hours for item in items if item.kind == "course" and item.hours is not None]
    return sum(hours, Decimal(0)) if hours else None


def signed_statements(document: dict | None) -> SignedStatements:
    """Outcomes, level and criteria as the signed document states them (empty when absent)."""
    subject = (document or {}).get("credentialSubject") or {}
    achievement = (subject.get("achievement") or {}) if isinstance(subject, dict) else {}
    alignments = [entry for entry in achievement.get("alignment") or []
                  if isinstance(entry, dict)]
    outcomes = tuple(str(entry.get("targetName", "")) for entry in alignments
                     if entry.get("targetType") == OUTCOME_TARGET_TYPE)
    level = next((str(entry.get("targetName", "")) for entry in alignments
                  if entry.get("targetType") == "ext:QualificationsFrameworkLevel"), "")
    criteria = achievement.get("criteria") or {}
    return SignedStatements(
        outcomes=tuple(outcome for outcome in outcomes if outcome), level=level,
        criteria=str(criteria.get("narrative", "")) if isinstance(criteria, dict) else "",
        achievement_id=str(achievement.get("id", "")))


def _item(credential: Credential, item: rules.Evidence, leaf: rules.Node | None,
          depth: int, *, public_grades: bool) -> EvidenceItem:
    title = getattr(leaf, "title", "") or ""
    if item.kind == "course":
        hours = leaf.hours if isinstance(leaf, rules.CourseLeaf) else None
        return EvidenceItem(kind="course", key=item.key, title=title, credits=item.credits,
                            hours=hours, achieved_at=item.achieved_at,
                            grade=item.grade if public_grades else None)
    if item.kind == "program":
        stacked = _stacked_credential(credential, item.key)
        parts: tuple[EvidenceItem, ...] = ()
        url = ""
        if stacked is not None:
            title = title or programs.definition_for(stacked.version_id).title
            url = signing.verify_url(stacked.uuid)
            if depth < MAX_DEPTH:
                parts = evidence_of(stacked, depth=depth + 1)
        return EvidenceItem(kind="program", key=item.key, title=title, credits=item.credits,
                            hours=hours_of(parts), achieved_at=item.achieved_at,
                            verify_url=url, parts=parts)
    return EvidenceItem(kind="external", key=item.key, title=title, credits=item.credits,
                        hours=None, achieved_at=item.achieved_at)


def _stacked_credential(credential: Credential, program_id: str) -> Credential | None:
    """The learner's credential for a stacked programme that counted: the latest one issued
    no later than ``credential``."""
    return (Credential.objects.filter(user_id=credential.user_id,
                                      program__program_id=program_id,
                                      issued_at__lte=credential.issued_at)
            .order_by("-issued_at", "-pk").first())


__all__ = ["EvidenceItem", "SignedStatements", "evidence_of", "hours_of", "signed_statements"]
