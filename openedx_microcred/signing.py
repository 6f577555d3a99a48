"""
Building and signing a credential's public documents at issuance (DESIGN §4).

Called by ``issuance.issue`` inside the issuing transaction, after the credential row and its
status-list index exist: the Open Badges 3.0 AchievementCredential and the CLR 2.0 transcript
(one signed AchievementCredential per counted course, the programme credential, ``isPartOf``
associations) are signed with the org's key and stored on the credential. Everything here is
local computation: no network (contexts are bundled), no registry calls.
"""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from urllib.parse import quote

from . import issuers, platform, programs, rules, statuslists
from .credentials import proof
from .credentials.achievement import (
    IssuerProfile,
    build_achievement_credential,
    build_course_credential,
    completed_courses,
)
from .credentials.clr import build_clr_credential
from .credentials.recipient import hashed_email_identity, new_salt
from .definitions import ProgramDefinition
from .models import Credential


def credential_url(credential_uuid: uuid.UUID | str) -> str:
    """The URL (or URN without an LMS host) of the signed credential."""
    base = issuers.base_url()
    return f"{base}/microcred/credentials/{credential_uuid}.jsonld" if base \
        else f"urn:uuid:{credential_uuid}"


def clr_url(credential_uuid: uuid.UUID | str) -> str:
    """The URL (or URN) of the signed CLR transcript."""
    base = issuers.base_url()
    return f"{base}/microcred/credentials/{credential_uuid}/clr.jsonld" if base \
        else f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'clr:{credential_uuid}')}"


def verify_url(credential_uuid: uuid.UUID | str) -> str:
    """The public verification page ("" without an LMS host)."""
    base = issuers.base_url()
    return f"{base}/microcred/verify/{credential_uuid}/" if base else ""


def achievement_id(kind: str, key: str) -> str:
    """A stable URN for an achievement (a course; a programme version without an LMS host)."""
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'microcred:{kind}:{key}')}"


def program_achievement_id(program_id: str, version: int) -> str:
    """The ``achievement.id`` of a programme version: its public programme page, which serves
    the ``Achievement`` as JSON-LD to ``Accept: application/ld+json`` (DESIGN §5). A URN without
    an LMS host. Credentials signed before programme pages existed keep their URN (a signed
    document never changes) and stay verifiable."""
    base = issuers.base_url()
    if not base:
        return achievement_id("program", f"{program_id}:v{version}")
    return f"{base}/microcred/programmes/{quote(program_id, safe='')}/?version={version}"


def sign_documents(credential: Credential, definition: ProgramDefinition,
                   evaluation: rules.Evaluation) -> None:
    """Build, sign and store ``credential.document``, the Open Badges 3.0 credential.

    The CLR transcript is built on first use (``clr_for``): it signs one credential per course,
    so keeping it out of the issuing transaction keeps issuance (and the status-list row lock it
    holds) short.
    """
    signer = issuers.signer_for(definition.org)
    if credential.status_list is None or credential.status_index is None:
        raise ValueError("allocate the credential's status-list index before signing")
    version = credential.version.number
    credential.document = _sign(signer, build_achievement_credential(
        credential_id=credential_url(credential.uuid),
        achievement_id=program_achievement_id(definition.id, version),
        definition=definition, credits_earned=credential.credits_earned,
        activity_end_date=_latest(evaluation), evidence=evaluation.evidence,
        version=str(version), issuer=IssuerProfile.from_definition(definition, signer.did),
        recipient=hashed_email_identity(platform.get_user_email(credential.user_id), new_salt()),
        valid_from=credential.issued_at, valid_until=credential.expires_at,
        status=statuslists.entry(credential.status_list, credential.status_index),
    ), credential.issued_at)
    credential.save(update_fields=["document"])


def clr_for(credential: Credential) -> dict:
    """The credential's signed CLR 2.0 transcript, built and stored on first use.

    Signed by the key that signed the credential, for the same recipient identity, with the
    same status entry and dates: building it twice gives the same document.
    """
    if credential.clr_document:
        return credential.clr_document
    if not credential.document:
        raise ValueError("the credential has no signed document")
    definition = programs.definition_for(credential.version_id)
    document = credential.document
    signer = issuers.signer_for_method(definition.org,
                                       document["proof"][0]["verificationMethod"])
    evidence = [rules.Evidence.from_json(item) for item in credential.evidence]
    common: dict[str, Any] = {
        "issuer": IssuerProfile.from_definition(definition, signer.did),
        "recipient": document["credentialSubject"]["identifier"][0],
        "valid_from": credential.issued_at, "valid_until": credential.expires_at,
        "status": document.get("credentialStatus"),
    }
    courses = [
        _sign(signer, build_course_credential(
            credential_id=f"urn:uuid:{uuid.uuid5(credential.uuid, course.key)}",
            achievement_id=achievement_id("course", course.key), course=course,
            lang=definition.lang, **common), credential.issued_at)
        for course in completed_courses(definition, evidence)
    ]
    clr = _sign(signer, build_clr_credential(
        credential_id=clr_url(credential.uuid), program_credential=document,
        course_credentials=courses,
        stacked_credentials=_stacked(credential, evidence, signer.did), **common),
        credential.issued_at)
    Credential.objects.filter(pk=credential.pk, clr_document__isnull=True).update(
        clr_document=clr)
    credential.clr_document = clr
    return clr


def _stacked(credential: Credential, evidence: list[rules.Evidence],
             issuer_did: str) -> list[dict]:
    """The signed credentials of the stacked programmes that counted (same issuer only: a CLR
    is one issuer's record)."""
    refs = [item.key for item in evidence if item.kind == "program"]
    if not refs:
        return []
    rows = (Credential.objects.filter(user_id=credential.user_id, active=True,
                                      program__program_id__in=refs, document__isnull=False)
            .values_list("document", flat=True))
    return [doc for doc in rows if doc and doc.get("issuer", {}).get("id") == issuer_did]


def _sign(signer: issuers.Signer, unsigned: dict, created: datetime) -> dict:
    return proof.sign(unsigned, private_key=signer.private_key,
                      verification_method=signer.verification_method, created=created)


def _latest(evaluation: rules.Evaluation) -> datetime | None:
    dates = [item.achieved_at for item in evaluation.evidence if item.achieved_at]
    return max(dates) if dates else None
