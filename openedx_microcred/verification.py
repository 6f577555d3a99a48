"""
The server-side verdict shown on the public verification page.

The stored document is checked the way an independent verifier would check it — proof
(eddsa-rdfc-2022) against the issuer's published keys, status-list bit, validity dates — plus
that the proof's key belongs to the issuing org. Only local data is used: no network.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from . import issuers, statuslists
from .credentials import proof
from .credentials.did import key_resolver, resolve_did_key
from .models import Credential

VALID = "valid"
REVOKED = "revoked"
EXPIRED = "expired"
INVALID = "invalid"


@dataclass(frozen=True)
class Checks:
    """Each check behind the verdict (True = passed)."""

    signature: bool
    issuer_key: bool
    not_revoked: bool
    not_expired: bool


@dataclass(frozen=True)
class Verdict:
    """``status`` is one of valid / revoked / expired / invalid; ``reason`` explains a failure."""

    status: str
    checks: Checks
    reason: str = ""


def verify(credential: Credential, *, now: datetime | None = None) -> Verdict:
    """Check ``credential``'s stored signed document; see the module docstring."""
    document = credential.document
    if not document:
        return Verdict(INVALID, Checks(False, False, False, False), "no signed document")
    issuer_did = _issuer_id(document)
    org = issuers.org_of_did(issuer_did) if issuer_did else None
    result = proof.verify(document, resolve_key=_resolver(issuer_did, org))
    issuer_ok = org is not None and org == credential.program.org
    revoked = (credential.status_list is not None and credential.status_index is not None
               and statuslists.is_set(credential.status_list, credential.status_index))
    expired = _expired(document, now or timezone.now())
    checks = Checks(signature=result.verified, issuer_key=issuer_ok, not_revoked=not revoked,
                    not_expired=not expired)
    if not result.verified:
        return Verdict(INVALID, checks, result.message or str(result.reason))
    if not issuer_ok:
        return Verdict(INVALID, checks, "the signing key does not belong to the issuer")
    if revoked:
        return Verdict(REVOKED, checks, credential.revocation_reason)
    if expired:
        return Verdict(EXPIRED, checks)
    return Verdict(VALID, checks)


def _issuer_id(document: dict) -> str | None:
    issuer = document.get("issuer")
    return issuer.get("id") if isinstance(issuer, dict) else issuer


def _resolver(issuer_did: str | None, org: str | None):
    if issuer_did and issuer_did.startswith("did:key:"):
        return resolve_did_key
    did_document = issuers.did_document_for(org) if org else None
    if did_document is None:
        return lambda _method: None
    return key_resolver(did_document)


def _expired(document: dict, now: datetime) -> bool:
    until = document.get("validUntil")
    parsed = parse_datetime(until) if isinstance(until, str) else None
    return parsed is not None and parsed <= now
