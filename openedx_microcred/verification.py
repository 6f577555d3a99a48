"""
The server-side verdict shown on the public verification page.

The stored document is checked the way an independent verifier would check it — proof
(eddsa-rdfc-2022) against the issuer's published keys, the status list credential (the one
named, validly signed, by the credential's issuer) and its bit, validity dates — plus that the
proof's key belongs to the issuing org. Only local data is used: no network.
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
    status_list: bool = True  # the list is the one named, signed by the credential's issuer


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
    list_problem = _status_list_problem(credential, document, issuer_did)
    checks = Checks(signature=result.verified, issuer_key=issuer_ok, not_revoked=not revoked,
                    not_expired=not expired, status_list=not list_problem)
    if not result.verified:
        return Verdict(INVALID, checks, result.message or str(result.reason))
    if not issuer_ok:
        return Verdict(INVALID, checks, "the signing key does not belong to the issuer")
    if list_problem:
        return Verdict(INVALID, checks, list_problem)
    if revoked:
        return Verdict(REVOKED, checks, credential.revocation_reason)
    if expired:
        return Verdict(EXPIRED, checks)
    return Verdict(VALID, checks)


def _status_list_problem(credential: Credential, document: dict,
                         issuer_did: str | None) -> str:
    """What a standard verifier (``vc-bitstring-status-list``) would refuse in the credential's
    status list ("" when nothing): the list credential must be the one the entry names, carry a
    valid proof and have the credential's issuer (Bitstring Status List v1.0 §3.2)."""
    entry = document.get("credentialStatus")
    if not entry:
        return ""
    status_list = credential.status_list
    listed = status_list.document if status_list is not None else None
    if not listed:
        return "the status list credential is missing"
    if isinstance(entry, dict) and entry.get("statusListCredential") != listed.get("id"):
        return "the status list credential is not the one the credential names"
    list_issuer = _issuer_id(listed)
    if list_issuer != issuer_did:
        return ("the issuers of the status list credential and the credential do not match")
    org = issuers.org_of_did(list_issuer) if list_issuer else None
    if not proof.verify(listed, resolve_key=_resolver(list_issuer, org)).verified:
        return "the status list credential's proof does not verify"
    return ""


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
