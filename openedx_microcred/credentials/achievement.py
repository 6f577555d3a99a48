"""
Open Badges 3.0 ``AchievementCredential`` documents (unsigned): one for a programme credential
(the micro-credential a learner earns) and one per course that counted towards it (the parts of
the CLR 2.0 transcript, see ``clr``). Frozen dataclasses and plain values in, plain dicts out;
the same inputs always give the same document. The caller signs with ``proof.sign``.

Conventions (DESIGN §4; docs/eu-annex-i-mapping.rst for every element of the EU Council
Recommendation on micro-credentials, Annex I):

- ``@context`` is VC 2.0, OB ``context-3.0.3.json``, OB ``extensions.json`` (which defines the
  ``1EdTechJsonSchemaValidator2019`` type of ``credentialSchema``), in that order; ``type``,
  ``credentialSchema``, ``identifier``, ``alignment`` are arrays, as the OB JSON Schema wants.
- The recipient is a salted-hash ``IdentityObject`` (``recipient.hashed_email_identity``).
- Dates are XML Schema dateTimes in UTC with a ``Z``, to the second.
- Credits are JSON numbers (integers when whole, else the shortest float that reads back as the
  same decimal, e.g. 3.125); every value is one a JavaScript verifier reads the same way.
- Learning outcomes are ``alignment`` entries (``targetType`` ``ceasn:Competency``); the level
  is an ``alignment`` to its framework (EQF levels to their EU vocabulary URIs); Annex I
  elements without an OB property (workload hours, assessment, participation, quality
  assurance, audience/prerequisites, stackability, duration) are ``alignment`` entries whose
  ``targetFramework`` is the Recommendation and ``targetCode`` the element. Only terms that the
  OB 3.0 context defines are used: documents canonicalize in safe mode.

DO NOT add a property here without checking the bundled contexts define it in that position:
``canonical.canonize`` refuses undefined terms, and a verifier would reject the credential.
"""
from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .. import rules
from .documents import (
    CREDENTIALS_V2_URL,
    OB_ACHIEVEMENT_CREDENTIAL_SCHEMA_URL,
    OB_EXTENSIONS_URL,
    OB_V3P0_URL,
)
from .narrative import (
    Strings,
    course_criteria_narrative,
    credits_text,
    criteria_narrative,
    day,
    format_decimal,
    percent,
    strings_for,
    with_details,
)

if TYPE_CHECKING:
    from ..definitions.model import Level, ProgramDefinition

__all__ = [
    "ACHIEVEMENT_CONTEXT",
    "ACHIEVEMENT_CREDENTIAL_TYPE",
    "ANNEX_I_TARGET_TYPE",
    "EU_ANNEX_I_FRAMEWORK",
    "EU_ANNEX_I_URL",
    "SCHEMA_VALIDATOR_TYPE",
    "CompletedCourse",
    "IssuerProfile",
    "build_achievement_credential",
    "build_course_credential",
    "build_program_achievement",
    "completed_courses",
    "json_number",
    "language_tag",
    "valid_until_for",
    "xsd_datetime",
]

ACHIEVEMENT_CONTEXT = (CREDENTIALS_V2_URL, OB_V3P0_URL, OB_EXTENSIONS_URL)
ACHIEVEMENT_CREDENTIAL_TYPE = ("VerifiableCredential", "OpenBadgeCredential")
SCHEMA_VALIDATOR_TYPE = "1EdTechJsonSchemaValidator2019"
COURSE_ACHIEVEMENT_TYPE = "Course"

EU_ANNEX_I_FRAMEWORK = (
    "Council Recommendation on a European approach to micro-credentials for lifelong learning "
    "and employability (2022/C 243/02), Annex I"
)
EU_ANNEX_I_URL = "https://eur-lex.europa.eu/legal-content/EN/TXT/?uri=CELEX:32022H0627(02)"
ANNEX_I_TARGET_TYPE = "ext:EUMicroCredentialElement"
OUTCOME_TARGET_TYPE = "ceasn:Competency"
LEVEL_TARGET_TYPE = "ext:QualificationsFrameworkLevel"
#: Frameworks whose levels have a published URI: framework -> (full name, URI template).
LEVEL_FRAMEWORKS: Mapping[str, tuple[str, str]] = {
    "EQF": ("European Qualifications Framework", "http://data.europa.eu/snb/eqf/{value}"),
}
EQF_LEVELS = frozenset(str(level) for level in range(1, 9))

# JavaScript reads JSON numbers as doubles.
MAX_SAFE_INTEGER = 2**53 - 1
_ABSOLUTE_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+\-.]*:\S+$")
# The OB 3.0 JSON Schema's LanguageCode.
_LANGUAGE_CODE = re.compile(r"^[a-z]{2,4}(-[A-Z][a-z]{3})?(-([A-Z]{2}|[0-9]{3}))?$")


@dataclass(frozen=True)
class IssuerProfile:
    """The issuer of a credential: ``id`` is its DID (``did:web`` or ``did:key``), whose key
    signs; ``name``, ``url`` and ``country`` (ISO 3166-1 alpha-2) describe the awarding body."""

    id: str
    name: str
    url: str = ""
    country: str = ""

    @classmethod
    def from_definition(cls, definition: ProgramDefinition, issuer_id: str) -> IssuerProfile:
        """The awarding body named by ``definition`` (its ``org`` when it names none), signing
        as ``issuer_id``."""
        issuer = definition.issuer
        if issuer is None:
            return cls(id=issuer_id, name=definition.org)
        return cls(id=issuer_id, name=issuer.name, url=issuer.url, country=issuer.country)

    def profile(self) -> dict[str, Any]:
        """The OB 3.0 ``Profile`` of the issuer."""
        _require_uri(self.id, "issuer id")
        if not self.name:
            raise ValueError("the issuer needs a name")
        profile: dict[str, Any] = {"id": self.id, "type": ["Profile"], "name": self.name}
        if self.url:
            profile["url"] = self.url
        if self.country:
            profile["address"] = {"type": ["Address"], "addressCountryCode": self.country}
        return profile


@dataclass(frozen=True)
class CompletedCourse:
    """A course that counted towards a programme, as its course credential shows it.

    ``key`` is the course run the learner completed; ``grade`` a fraction (0.85 = 85%);
    ``completion``, ``min_grade`` and ``mode`` are the rule it was held to.
    """

    key: str
    title: str = ""
    credits: Decimal = Decimal(0)
    hours: Decimal | None = None
    completed_at: datetime | None = None
    grade: float | None = None
    min_grade: float | None = None
    completion: str = rules.PASSING
    mode: str | None = None


def completed_courses(definition: ProgramDefinition,
                      evidence: Iterable[rules.Evidence]) -> tuple[CompletedCourse, ...]:
    """The courses among ``evidence`` (from ``rules.evaluate``), described by the leaves of
    ``definition`` they satisfied, in requirement-tree order."""
    leaves = dict(rules.iter_nodes(definition.requirements))
    courses = []
    for item in _tree_order(evidence):
        leaf = leaves.get(item.path)
        if item.kind != "course" or not isinstance(leaf, rules.CourseLeaf):
            continue
        courses.append(CompletedCourse(
            key=item.key, title=leaf.title, credits=item.credits, hours=leaf.hours,
            completed_at=item.achieved_at, grade=item.grade, min_grade=leaf.min_grade,
            completion=definition.completion, mode=leaf.mode,
        ))
    return tuple(courses)


def build_achievement_credential(
    *,
    credential_id: str,
    achievement_id: str,
    definition: ProgramDefinition,
    issuer: IssuerProfile,
    recipient: Mapping[str, Any],
    valid_from: datetime,
    credits_earned: Decimal,
    valid_until: datetime | None = None,
    activity_end_date: datetime | None = None,
    status: Mapping[str, Any] | None = None,
    evidence: Sequence[rules.Evidence] = (),
    image: str | None = None,
    version: str | None = None,
    program_titles: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The unsigned OB 3.0 ``AchievementCredential`` of a programme credential.

    ``credential_id`` and ``achievement_id`` are absolute URIs (the achievement id names the
    programme version, the same for every learner); ``recipient`` is an ``IdentityObject``;
    ``status`` a ``BitstringStatusListEntry`` (``statuslist.status_entry``); ``evidence`` the
    satisfied leaves (``Evaluation.evidence``), shown as OB ``Evidence``; ``image`` the URL of
    the badge image; ``version`` the programme version; ``program_titles`` the titles of stacked
    programmes, for the criteria narrative. Raises ``ValueError`` for inputs that cannot make a
    valid credential.
    """
    text = strings_for(definition.lang)
    achievement = _program_achievement(definition, achievement_id, text, image=image,
                                       version=version, program_titles=program_titles)
    subject = _subject(recipient, achievement, credits=(
        credits_earned if (credits_earned or definition.credits) else None),
        activity_end_date=activity_end_date)
    credential = _credential(
        credential_id=credential_id, name=definition.title,
        description=achievement["description"], issuer=issuer, valid_from=valid_from,
        valid_until=valid_until, subject=subject, status=status)
    leaves = dict(rules.iter_nodes(definition.requirements))
    items = [_evidence(item, leaves.get(item.path), text, program_titles or {})
             for item in _tree_order(evidence)]
    if items:
        credential["evidence"] = items
    return credential


def build_program_achievement(*, definition: ProgramDefinition, achievement_id: str,
                              version: str | None = None,
                              program_titles: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The OB 3.0 ``Achievement`` of a programme version as a JSON-LD document of its own: what
    its ``achievement.id`` dereferences to. The same object (plus ``@context``) that
    ``build_achievement_credential`` embeds for the same inputs. Raises ``ValueError``."""
    achievement = _program_achievement(definition, achievement_id, strings_for(definition.lang),
                                       image=None, version=version,
                                       program_titles=program_titles)
    return {"@context": list(ACHIEVEMENT_CONTEXT), **achievement}


def build_course_credential(
    *,
    credential_id: str,
    achievement_id: str,
    course: CompletedCourse,
    issuer: IssuerProfile,
    recipient: Mapping[str, Any],
    valid_from: datetime,
    lang: str = "en",
    valid_until: datetime | None = None,
    status: Mapping[str, Any] | None = None,
    image: str | None = None,
) -> dict[str, Any]:
    """The unsigned OB 3.0 ``AchievementCredential`` (``achievementType`` ``Course``) of one
    course that counted towards a programme: a part of the programme's CLR transcript.

    Same conventions as ``build_achievement_credential``; ``lang`` is the language of the
    programme (of its texts). The grade, when known, is a ``Result`` (percent) of the
    achievement's ``ResultDescription``.
    """
    text = strings_for(lang)
    name = course.title or course.key
    details = []
    if course.credits:
        details.append(credits_text(course.credits, text))
    if course.hours is not None:
        details.append(text.hours.format(value=format_decimal(course.hours)))
    achievement: dict[str, Any] = {
        "id": _require_uri(achievement_id, "achievement_id"),
        "type": ["Achievement"],
        "achievementType": COURSE_ACHIEVEMENT_TYPE,
        "name": name,
        "description": with_details(text.course_description.format(title=name), details, text),
        "criteria": {"narrative": course_criteria_narrative(
            lang=lang, completion=course.completion, min_grade=course.min_grade,
            mode=course.mode)},
    }
    if course.credits:
        achievement["creditsAvailable"] = json_number(course.credits)
    achievement["humanCode"] = _course_number(course.key)
    achievement["otherIdentifier"] = [
        {"type": "IdentifierEntry", "identifier": course.key, "identifierType": "systemId"}]
    _set_language(achievement, lang)
    if course.hours is not None:
        achievement["alignment"] = [_annex_alignment(
            "workload", text.workload, text.hours.format(value=format_decimal(course.hours)),
            text)]
    grade_id = _fragment(achievement_id, "grade")
    if course.grade is not None or course.min_grade is not None:
        description: dict[str, Any] = {
            "id": grade_id, "type": ["ResultDescription"], "name": text.grade,
            "resultType": "Percent", "valueMin": "0", "valueMax": "100",
        }
        if course.min_grade is not None:
            description["requiredValue"] = percent(course.min_grade)
        achievement["resultDescription"] = [description]
    if image:
        achievement["image"] = _image(image, name)
    subject = _subject(recipient, achievement,
                       credits=course.credits if course.credits else None,
                       activity_end_date=course.completed_at)
    if course.grade is not None:
        subject["result"] = [{"type": ["Result"], "resultDescription": grade_id,
                              "value": percent(course.grade), "status": "Completed"}]
    return _credential(
        credential_id=credential_id, name=name, description=achievement["description"],
        issuer=issuer, valid_from=valid_from, valid_until=valid_until, subject=subject,
        status=status)


def valid_until_for(definition: ProgramDefinition, valid_from: datetime) -> datetime | None:
    """When a credential of ``definition`` issued at ``valid_from`` expires: ``valid_months``
    calendar months later (the last day of a shorter month), or None without expiry."""
    months = definition.valid_months
    if not months:
        return None
    month_index = valid_from.month - 1 + months
    year, month = valid_from.year + month_index // 12, month_index % 12 + 1
    last_day = calendar.monthrange(year, month)[1]
    return valid_from.replace(year=year, month=month, day=min(valid_from.day, last_day))


def xsd_datetime(value: datetime) -> str:
    """An aware ``value`` as an XML Schema dateTime in UTC, to the second: 2025-06-01T08:00:00Z.
    Raises ``ValueError`` for a naive datetime (its instant is unknown)."""
    if not isinstance(value, datetime):
        raise TypeError(f"expected a datetime, not {type(value).__name__}")
    if value.utcoffset() is None:
        raise ValueError("dates in credentials must be aware datetimes")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def json_number(value: Decimal | int) -> int | float:
    """``value`` as the JSON number that JavaScript reads as the same decimal (credits).

    Raises ``ValueError`` for a negative, non-finite or unrepresentable value.
    """
    number = Decimal(value)
    if not number.is_finite() or number < 0:
        raise ValueError(f"credits must be finite and non-negative, not {value}")
    if number == number.to_integral_value():
        if number > MAX_SAFE_INTEGER:
            raise ValueError(f"{value} is too large for a JavaScript number")
        return int(number)
    as_float = float(number)
    if Decimal(repr(as_float)) != number:
        raise ValueError(f"{value} has no exact shortest double form; round it")
    return as_float


def language_tag(lang: str) -> str | None:
    """``lang`` in the case convention of BCP 47 (``zh-hans-cn`` -> ``zh-Hans-CN``), or None
    when it is not of the form the OB JSON Schema accepts (language[-Script][-REGION])."""
    parts = [part for part in re.split(r"[-_]", (lang or "").strip()) if part]
    if not parts:
        return None
    cased = [parts[0].lower()]
    for part in parts[1:]:
        if len(part) == 4 and part.isalpha():
            cased.append(part.title())
        elif len(part) == 2 or part.isdigit():
            cased.append(part.upper())
        else:
            cased.append(part)
    tag = "-".join(cased)
    return tag if _LANGUAGE_CODE.match(tag) else None


# ---------------------------------------------------------------------------------------------


def _credential(*, credential_id: str, name: str, description: str, issuer: IssuerProfile,
                valid_from: datetime, valid_until: datetime | None, subject: dict[str, Any],
                status: Mapping[str, Any] | None) -> dict[str, Any]:
    credential: dict[str, Any] = {
        "@context": list(ACHIEVEMENT_CONTEXT),
        "id": _require_uri(credential_id, "credential_id"),
        "type": list(ACHIEVEMENT_CREDENTIAL_TYPE),
        "name": name,
        "description": description,
        "issuer": issuer.profile(),
        "validFrom": xsd_datetime(valid_from),
    }
    if valid_until is not None:
        if valid_until <= valid_from:
            raise ValueError("validUntil must be after validFrom")
        credential["validUntil"] = xsd_datetime(valid_until)
    credential["credentialSchema"] = [
        {"id": OB_ACHIEVEMENT_CREDENTIAL_SCHEMA_URL, "type": SCHEMA_VALIDATOR_TYPE}]
    credential["credentialSubject"] = subject
    if status is not None:
        credential["credentialStatus"] = _status(status)
    return credential


def _subject(recipient: Mapping[str, Any], achievement: dict[str, Any], *,
             credits: Decimal | None, activity_end_date: datetime | None) -> dict[str, Any]:
    if not isinstance(recipient, Mapping) or recipient.get("type") != "IdentityObject":
        raise ValueError("the recipient must be an IdentityObject (recipient.py)")
    subject: dict[str, Any] = {
        "type": ["AchievementSubject"],
        "identifier": [dict(recipient)],
        "achievement": achievement,
    }
    if credits is not None:
        subject["creditsEarned"] = json_number(credits)
    if activity_end_date is not None:
        subject["activityEndDate"] = xsd_datetime(activity_end_date)
    return subject


def _program_achievement(definition: ProgramDefinition, achievement_id: str, text: Strings, *,
                         image: str | None, version: str | None,
                         program_titles: Mapping[str, str] | None) -> dict[str, Any]:
    achievement: dict[str, Any] = {
        "id": _require_uri(achievement_id, "achievement_id"),
        "type": ["Achievement"],
        "achievementType": definition.achievement_type,
        "name": definition.title,
        "description": definition.description or definition.title,
        "criteria": {"narrative": criteria_narrative(definition,
                                                     program_titles=program_titles)},
    }
    if definition.credits:
        achievement["creditsAvailable"] = json_number(definition.credits)
    if definition.field_of_study:
        achievement["fieldOfStudy"] = definition.field_of_study
    achievement["humanCode"] = definition.id
    _set_language(achievement, definition.lang)
    if version:
        achievement["version"] = version
    alignment = _program_alignment(definition, achievement_id, text)
    if alignment:
        achievement["alignment"] = alignment
    tags = _unique([definition.field_of_study,
                    text.participation_modes.get(definition.participation,
                                                 definition.participation)])
    if tags:
        achievement["tag"] = tags
    if image:
        achievement["image"] = _image(image, definition.title)
    return achievement


def _program_alignment(definition: ProgramDefinition, achievement_id: str,
                       text: Strings) -> list[dict[str, Any]]:
    alignment = []
    if definition.level is not None:
        alignment.append(_level_alignment(definition.level, achievement_id, text))
    for number, outcome in enumerate(definition.outcomes, start=1):
        alignment.append({
            "type": ["Alignment"],
            "targetType": OUTCOME_TARGET_TYPE,
            "targetName": outcome,
            "targetCode": f"LO{number}",
            "targetFramework": definition.title,
            "targetUrl": _fragment(achievement_id, f"outcome-{number}"),
        })
    workload = []
    if definition.credits:
        workload.append(credits_text(definition.credits, text))
    if definition.hours is not None:
        workload.append(text.hours.format(value=format_decimal(definition.hours)))
    annex = [
        ("workload", text.workload, text.separator.join(workload)),
        ("assessment", text.assessment, definition.assessment),
        ("participation", text.participation,
         text.participation_modes.get(definition.participation, definition.participation)),
        ("quality-assurance", text.quality_assurance, definition.quality_assurance),
        ("prerequisites", text.prerequisites, text.list_separator.join(definition.audiences)),
        ("stackability", text.stackability, definition.pathway),
        ("duration", text.duration, definition.duration),
    ]
    alignment.extend(_annex_alignment(code, label, value, text)
                     for code, label, value in annex if value)
    return alignment


def _level_alignment(level: Level, achievement_id: str, text: Strings) -> dict[str, Any]:
    framework = level.framework.strip()
    known = LEVEL_FRAMEWORKS.get(framework.upper())
    if known and (framework.upper() != "EQF" or level.value in EQF_LEVELS):
        framework_name, url = known[0], known[1].format(value=level.value)
    else:
        framework_name, url = framework, _fragment(achievement_id, "level")
    return {
        "type": ["Alignment"],
        "targetType": LEVEL_TARGET_TYPE,
        "targetName": text.level.format(framework=framework, value=level.value),
        "targetCode": level.value,
        "targetFramework": framework_name,
        "targetUrl": url,
    }


def _annex_alignment(code: str, label: str, value: str, text: Strings) -> dict[str, Any]:
    return {
        "type": ["Alignment"],
        "targetType": ANNEX_I_TARGET_TYPE,
        "targetName": text.label_value.format(label=label, value=value),
        "targetDescription": value,
        "targetCode": code,
        "targetFramework": EU_ANNEX_I_FRAMEWORK,
        "targetUrl": EU_ANNEX_I_URL,
    }


def _evidence(item: rules.Evidence, leaf: rules.Node | None, text: Strings,
              program_titles: Mapping[str, str]) -> dict[str, Any]:
    if item.kind == "course":
        genre, template = text.genre_course, text.evidence_course
        name = leaf.title if isinstance(leaf, rules.CourseLeaf) and leaf.title else item.key
    elif item.kind == "program":
        genre, template = text.genre_program, text.evidence_program
        title = leaf.title if isinstance(leaf, rules.ProgramLeaf) else ""
        name = title or program_titles.get(item.key) or item.key
    else:
        genre, template = text.genre_external, text.evidence_external
        name = leaf.title if isinstance(leaf, rules.ExternalLeaf) and leaf.title else item.key
    narrative = template.format(key=item.key)
    if item.achieved_at is not None:
        narrative += text.evidence_on.format(date=day(item.achieved_at))
    narrative += text.full_stop
    if item.grade is not None:
        narrative += text.evidence_grade.format(value=percent(item.grade))
    if item.credits:
        narrative += text.evidence_credits.format(value=format_decimal(item.credits))
    return {"type": ["Evidence"], "name": name, "genre": genre, "narrative": narrative}


def _status(status: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(status, Mapping) or not status.get("type"):
        raise ValueError("credentialStatus must be an object with a type (statuslist.py)")
    if "id" in status:
        _require_uri(status["id"], "credentialStatus id")
    return dict(status)


def _image(url: str, caption: str) -> dict[str, Any]:
    return {"id": _require_uri(url, "image"), "type": "Image", "caption": caption}


def _set_language(achievement: dict[str, Any], lang: str) -> None:
    tag = language_tag(lang)
    if tag:
        achievement["inLanguage"] = tag


def _course_number(key: str) -> str:
    # course-v1:Org+Number+Run -> Number; anything else is shown whole.
    _, _, rest = key.partition(":")
    parts = rest.split("+")
    return parts[1] if key.startswith("course-v1:") and len(parts) == 3 and parts[1] else key


def _fragment(base: str, name: str) -> str:
    return f"{base}-{name}" if "#" in base else f"{base}#{name}"


def _tree_order(evidence: Iterable[rules.Evidence]) -> list[rules.Evidence]:
    def order(item: rules.Evidence) -> tuple[tuple[int, ...], str]:
        path = tuple(int(part) for part in item.path.split(".") if part.isdigit())
        return path, item.key
    return sorted(evidence, key=order)


def _unique(values: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for value in values:
        if value:
            seen.setdefault(value, None)
    return list(seen)


def _require_uri(value: Any, what: str) -> str:
    if not isinstance(value, str) or not _ABSOLUTE_URI.match(value):
        raise ValueError(f"{what} must be an absolute URI, not {value!r}")
    return value
