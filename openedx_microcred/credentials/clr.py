"""
The CLR 2.0 ``ClrCredential`` (Comprehensive Learner Record) of a programme credential: a
transcript wrapping the signed programme ``AchievementCredential`` and the signed course
credentials (and stacked programme credentials) behind it, with an ``isPartOf`` association
from each part to the programme. Plain dicts in and out, deterministic; the caller signs the
result with ``proof.sign`` (the embedded credentials keep their own proofs, verifiable alone).

``@context`` is VC 2.0, CLR ``context-2.0.1.json``, OB ``context-3.0.3.json``: the CLR 2.0
specification requires these three first, in this order. There is no ``credentialSchema``: the
1EdTech CLR 2.0 JSON Schema is not bundled (nothing is fetched at issuance), so the credential
does not name a schema it was never validated against; for the same reason the OB
``extensions.json`` context (which only defines the schema validator type) is not needed, though
the embedded credentials carry it in their own ``@context``.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from .achievement import IssuerProfile, _require_uri, xsd_datetime
from .documents import CLR_V2P0_URL, CREDENTIALS_V2_URL, OB_V3P0_URL
from .narrative import strings_for

__all__ = [
    "CLR_CONTEXT",
    "CLR_CREDENTIAL_TYPE",
    "IS_PART_OF",
    "build_clr_credential",
]

CLR_CONTEXT = (CREDENTIALS_V2_URL, CLR_V2P0_URL, OB_V3P0_URL)
CLR_CREDENTIAL_TYPE = ("VerifiableCredential", "ClrCredential")
IS_PART_OF = "isPartOf"


def build_clr_credential(
    *,
    credential_id: str,
    issuer: IssuerProfile,
    recipient: Mapping[str, Any],
    valid_from: datetime,
    program_credential: Mapping[str, Any],
    course_credentials: Sequence[Mapping[str, Any]] = (),
    stacked_credentials: Sequence[Mapping[str, Any]] = (),
    name: str | None = None,
    description: str | None = None,
    valid_until: datetime | None = None,
    status: Mapping[str, Any] | None = None,
    partial: bool = True,
) -> dict[str, Any]:
    """The unsigned ``ClrCredential`` of ``program_credential``.

    ``program_credential``, ``course_credentials`` (the counted courses) and
    ``stacked_credentials`` (credentials of stacked programmes that counted) are SIGNED
    AchievementCredentials, embedded verbatim; each course and stacked achievement is
    ``isPartOf`` the programme achievement. ``name`` defaults to "Learner record: <programme
    name>" in the programme's language. ``partial`` (true by default) says the record holds the
    achievements of one programme, not every achievement the issuer knows of the learner.
    Raises ``ValueError`` for an unsigned part, or parts of another recipient or issuer.
    """
    recipient = dict(recipient)
    if recipient.get("type") != "IdentityObject":
        raise ValueError("the recipient must be an IdentityObject (recipient.py)")
    parts = [*course_credentials, *stacked_credentials]
    for part in (program_credential, *parts):
        _check_part(part, issuer)
    program_achievement = program_credential["credentialSubject"]["achievement"]
    achievements = _unique_by_id([program_achievement] + [
        part["credentialSubject"]["achievement"] for part in parts])
    associations = [
        {"type": "Association", "associationType": IS_PART_OF,
         "sourceId": achievement["id"], "targetId": program_achievement["id"]}
        for achievement in achievements[1:]
    ]
    lang = program_achievement.get("inLanguage", "en")
    title = program_credential.get("name") or program_achievement["name"]
    subject: dict[str, Any] = {
        "type": ["ClrSubject"],
        "identifier": [recipient],
        "verifiableCredential": [dict(program_credential), *(dict(part) for part in parts)],
        "achievement": achievements,
    }
    if associations:
        subject["association"] = associations
    credential: dict[str, Any] = {
        "@context": list(CLR_CONTEXT),
        "id": _require_uri(credential_id, "credential_id"),
        "type": list(CLR_CREDENTIAL_TYPE),
        "name": name or strings_for(lang).clr_name.format(title=title),
    }
    if description:
        credential["description"] = description
    credential["issuer"] = issuer.profile()
    credential["validFrom"] = xsd_datetime(valid_from)
    if valid_until is not None:
        if valid_until <= valid_from:
            raise ValueError("validUntil must be after validFrom")
        credential["validUntil"] = xsd_datetime(valid_until)
    credential["partial"] = partial
    credential["credentialSubject"] = subject
    if status is not None:
        if not isinstance(status, Mapping) or not status.get("type"):
            raise ValueError("credentialStatus must be an object with a type (statuslist.py)")
        credential["credentialStatus"] = dict(status)
    return credential


def _check_part(credential: Mapping[str, Any], issuer: IssuerProfile) -> None:
    if not credential.get("proof"):
        raise ValueError(f"credential {credential.get('id')!r} is not signed: a CLR embeds "
                         "signed credentials")
    part_issuer = credential.get("issuer")
    issuer_id = part_issuer.get("id") if isinstance(part_issuer, Mapping) else part_issuer
    if issuer_id != issuer.id:
        raise ValueError(f"credential {credential.get('id')!r} has another issuer")
    subject = credential.get("credentialSubject")
    if not isinstance(subject, Mapping) or not isinstance(subject.get("achievement"), Mapping):
        raise ValueError(f"credential {credential.get('id')!r} is not an AchievementCredential")


def _unique_by_id(achievements: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for achievement in achievements:
        seen.setdefault(achievement["id"], dict(achievement))
    return list(seen.values())

