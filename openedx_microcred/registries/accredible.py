"""
Accredible Credential API v1: issue credentials into a group, revoke them by expiry.

Documented API (https://docs.api.accredible.com, github.com/accredible/api-documentation):

- hosts ``https://api.accredible.com`` (US), ``https://eu.api.accredible.com`` (EU) and
  ``https://sandbox.api.accredible.com`` (sandbox); JSON bodies;
- ``Authorization: Token token=<API key>``;
- issue: ``POST /v1/credentials`` with ``{"credential": {"recipient": {"name", "email"},
  "group_id", "issued_on", "expired_on"?, "custom_attributes"?, "evidence_items"?,
  "meta_data"?}}``; dates are ``YYYY-MM-DD``; the answer is ``{"credential": {"id", "url", …}}``;
- update: ``PUT /v1/credentials/<id>`` with the fields to change. Accredible has no revocation
  endpoint: a revoked credential is expired as of the revocation date (the credential page then
  shows it as expired), which is what ``revoke`` does;
- search: ``POST /v1/credentials/search`` with ``group_id``, ``recipient.email``, ``page``,
  ``page_size`` answers ``{"credentials": [credential…], "meta": …}`` (a read: it changes
  nothing and carries no idempotency key; ``GET /v1/all_credentials`` is the deprecated form);
- ``GET /v1/issuer/details`` reads the account (the connection test);
- a group refuses duplicate credentials for the same recipient (422) unless the group allows
  them; ``Idempotency-Key`` is not documented.

A resent issue whose first attempt was processed (a lost response, a read timeout, a worker
killed mid-request) is therefore refused as a duplicate: the client then searches the group for
the learner's credential and returns it, so the delivery completes with the credential's id.
Only a 422 whose body speaks of a duplicate (``already``/``duplicate``) is looked up; the
credential carrying this credential's UUID in ``meta_data`` is taken, else one of the learner's
credentials in the group that has not expired; when none is found the original refusal stands.
An update is a plain ``PUT``: revoking again answers 200 with the same date, so a repeated
revocation is done; a credential whose own expiry date is already past keeps that date (a
revocation never moves an expiry later).

Registry options: ``region`` (``"us"``, default, or ``"eu"``), ``sandbox`` (bool). Programme
options: ``group_id`` (required), ``custom_attributes`` (a mapping shown on the design).
"""
from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from typing import Any

import requests

from .errors import ConnectionFailed, Misconfigured, Rejected, body_mentions
from .http import (
    DEFAULT_TIMEOUT,
    RegistryClient,
    Secret,
    Timeout,
    path_segment,
    without_suffix,
)
from .payload import DeliveryPayload, DeliveryResult

__all__ = ["HOSTS", "SANDBOX_URL", "AccredibleClient"]

HOSTS = {"us": "https://api.accredible.com", "eu": "https://eu.api.accredible.com"}
SANDBOX_URL = "https://sandbox.api.accredible.com"
#: Words of a 422 that refuses a duplicate credential in a group (an unknown group says "Invalid
#: Group"); the credential is then looked up before the refusal is set aside.
DUPLICATE_MARKERS = ("already", "duplicate")
#: Credentials read per search: one learner has a handful in a group.
SEARCH_PAGE_SIZE = 50


class AccredibleClient(RegistryClient):
    """Issues Accredible credentials and expires them on revocation (see the module docstring)."""

    name = "accredible"

    def __init__(
        self,
        *,
        base_url: str | None = None,
        secret: str,
        options: Mapping[str, Any],
        session: requests.Session | None = None,
        timeout: Timeout = DEFAULT_TIMEOUT,
        clock: Callable[[], float] = time.time,
    ):
        options = dict(options or {})
        if not secret:
            raise Misconfigured("accredible: the API key is missing")
        region = str(options.get("region") or "us").lower()
        if region not in HOSTS:
            raise Misconfigured(f"accredible: unknown region {region!r} (one of {sorted(HOSTS)})")
        self._authorization = Secret(f"Token token={secret}")
        self._clock = clock
        url = without_suffix(base_url, "/v1") if base_url else \
            (SANDBOX_URL if options.get("sandbox") else HOSTS[region])
        super().__init__(base_url=url, session=session, timeout=timeout, secrets=(secret,))

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": self._authorization.reveal()}

    def issue(self, payload: DeliveryPayload) -> DeliveryResult:
        """Create the learner's credential in the programme's group; its id is ``external_id``."""
        group_id = payload.options.get("group_id")
        if not group_id:
            raise Misconfigured(f"accredible: programme {payload.program_id!r} has no 'group_id' "
                                "option")
        if not payload.recipient_name.strip():  # never a username in its place
            raise Rejected("accredible: the learner has no name (Accredible requires a "
                           "recipient name; the learner can set one in their profile)")
        credential: dict[str, Any] = {
            "recipient": {"name": payload.recipient_name, "email": payload.recipient_email},
            "group_id": _group_id(group_id),
            "issued_on": _date(payload.issued_at),
            "meta_data": {"credential_uuid": payload.credential_uuid,
                          "program_id": payload.program_id},
        }
        if payload.expires_at is not None:
            credential["expired_on"] = _date(payload.expires_at)
        custom_attributes = payload.options.get("custom_attributes")
        if custom_attributes:
            credential["custom_attributes"] = dict(custom_attributes)
        if payload.verification_url:
            credential["evidence_items"] = [{
                "description": "Verifiable credential (Open Badges 3.0)",
                "url": payload.verification_url,
                "category": "url",
            }]
        try:
            document = self.request_json("POST", "v1/credentials",
                                         idempotency_key=payload.idempotency_key,
                                         json={"credential": credential})
        except Rejected as error:
            if error.status != 422 or not body_mentions(error, *DUPLICATE_MARKERS):
                raise
            existing = self._existing_credential(payload, credential["group_id"])
            if existing is None:
                raise
            return DeliveryResult(external_id=str(existing["id"]),
                                  response_summary=_summary(existing, " (already issued: an "
                                                            "earlier attempt was processed)"))
        created = _credential(document)
        if created.get("id") in (None, ""):
            raise ConnectionFailed("accredible: the issue response names no credential id")
        return DeliveryResult(external_id=str(created["id"]), response_summary=_summary(created))

    def revoke(self, payload: DeliveryPayload) -> DeliveryResult:
        """Expire the credential ``payload.external_id`` as of the revocation date.

        A credential whose own expiry date is already past keeps it (the update then changes
        nothing); sending the same date again is a plain update Accredible accepts, so a
        repeated revocation counts as done.
        """
        if not payload.external_id:
            raise Rejected("accredible: nothing to revoke, the delivery has no Accredible "
                           "credential id")
        revoked_on = _date(payload.occurred_at or datetime.fromtimestamp(self._clock(), UTC))
        expired_on, already = revoked_on, False
        if payload.expires_at is not None and _date(payload.expires_at) < revoked_on:
            expired_on, already = _date(payload.expires_at), True  # ISO dates compare as text
        self.request_json("PUT", f"v1/credentials/{path_segment(payload.external_id)}",
                          idempotency_key=payload.idempotency_key,
                          json={"credential": {"expired_on": expired_on}})
        summary = (f"Accredible credential {payload.external_id} had already expired on "
                   f"{expired_on}" if already else
                   f"Accredible credential {payload.external_id} expired on {expired_on}")
        return DeliveryResult(external_id=payload.external_id, response_summary=summary)

    def test_connection(self) -> None:
        """Read the issuer's details: checks the host and the API key."""
        self.request_json("GET", "v1/issuer/details")

    # Lookups ----------------------------------------------------------------------------------

    def _search_credentials(self, group_id: int | str, email: str) -> list[dict[str, Any]]:
        """The group's credentials issued to ``email`` (``POST /v1/credentials/search``).

        The email is sent in lower case (as Accredible's own integrations search); the answer is
        checked again here (group, email case-insensitively).
        """
        document = self.request_json("POST", "v1/credentials/search", read_only=True, json={
            "group_id": group_id, "recipient": {"email": email.strip().lower()},
            "page": 1, "page_size": SEARCH_PAGE_SIZE})
        credentials = document.get("credentials") if isinstance(document, dict) else None
        if not isinstance(credentials, list):
            raise ConnectionFailed("accredible: the search response has no 'credentials' list")
        wanted = email.strip().casefold()
        found = []
        for credential in credentials:
            if not isinstance(credential, dict) or credential.get("id") in (None, ""):
                continue
            group = credential.get("group_id")
            if group is not None and str(group) != str(group_id):
                continue
            recipient = credential.get("recipient")
            address = recipient.get("email") if isinstance(recipient, dict) else None
            if isinstance(address, str) and address.strip().casefold() != wanted:
                continue
            found.append(credential)
        return found

    def _existing_credential(self, payload: DeliveryPayload,
                             group_id: int | str) -> dict[str, Any] | None:
        """The learner's credential in the group that refused a resent issue, if any.

        The one carrying this credential's UUID in ``meta_data`` first; otherwise one that has
        not expired (an expired one stands for an earlier, revoked credential).
        """
        found = self._search_credentials(group_id, payload.recipient_email)
        for credential in found:
            meta_data = credential.get("meta_data")
            if isinstance(meta_data, dict) \
                    and meta_data.get("credential_uuid") == payload.credential_uuid:
                return credential
        today = datetime.fromtimestamp(self._clock(), UTC).date()
        return next((c for c in found if not _expired(c.get("expired_on"), today)), None)


def _date(moment: datetime) -> str:
    return moment.astimezone(UTC).date().isoformat()


def _group_id(value: Any) -> int | str:
    """Group ids are numbers in Accredible's documentation; keep a numeric string a number."""
    text = str(value)
    return int(text) if text.isdigit() else text


def _expired(value: Any, today: date) -> bool:
    """Whether an ``expired_on`` (``YYYY-MM-DD``, perhaps with a time) is past; unreadable: yes."""
    if value in (None, ""):
        return False
    try:
        return date.fromisoformat(str(value)[:10]) < today
    except ValueError:
        return True


def _summary(credential: dict[str, Any], note: str = "") -> str:
    summary = f"Accredible credential {credential['id']}{note}"
    if credential.get("url"):
        summary += f" {credential['url']}"
    return summary


def _credential(document: Any) -> dict[str, Any]:
    credential = document.get("credential") if isinstance(document, dict) else None
    if not isinstance(credential, dict):
        raise ConnectionFailed("accredible: the response has no 'credential' object")
    return credential
