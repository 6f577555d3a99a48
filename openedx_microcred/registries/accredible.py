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
- ``GET /v1/issuer/details`` reads the account (the connection test);
- a group refuses duplicate credentials for the same recipient unless the group allows them.

Registry options: ``region`` (``"us"``, default, or ``"eu"``), ``sandbox`` (bool). Programme
options: ``group_id`` (required), ``custom_attributes`` (a mapping shown on the design).
"""
from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import requests

from .errors import ConnectionFailed, Misconfigured, Rejected
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
        document = self.request_json("POST", "v1/credentials",
                                     idempotency_key=payload.idempotency_key,
                                     json={"credential": credential})
        created = _credential(document)
        credential_id = created.get("id")
        if credential_id in (None, ""):
            raise ConnectionFailed("accredible: the issue response names no credential id")
        summary = f"Accredible credential {credential_id}"
        if created.get("url"):
            summary += f" {created['url']}"
        return DeliveryResult(external_id=str(credential_id), response_summary=summary)

    def revoke(self, payload: DeliveryPayload) -> DeliveryResult:
        """Expire the credential ``payload.external_id`` as of the revocation date."""
        if not payload.external_id:
            raise Rejected("accredible: nothing to revoke, the delivery has no Accredible "
                           "credential id")
        revoked_on = _date(payload.occurred_at or datetime.fromtimestamp(self._clock(), UTC))
        self.request_json("PUT", f"v1/credentials/{path_segment(payload.external_id)}",
                          idempotency_key=payload.idempotency_key,
                          json={"credential": {"expired_on": revoked_on}})
        return DeliveryResult(external_id=payload.external_id,
                              response_summary=f"Accredible credential {payload.external_id} "
                                               f"expired on {revoked_on}")

    def test_connection(self) -> None:
        """Read the issuer's details: checks the host and the API key."""
        self.request_json("GET", "v1/issuer/details")


def _date(moment: datetime) -> str:
    return moment.astimezone(UTC).date().isoformat()


def _group_id(value: Any) -> int | str:
    """Group ids are numbers in Accredible's documentation; keep a numeric string a number."""
    text = str(value)
    return int(text) if text.isdigit() else text


def _credential(document: Any) -> dict[str, Any]:
    credential = document.get("credential") if isinstance(document, dict) else None
    if not isinstance(credential, dict):
        raise ConnectionFailed("accredible: the response has no 'credential' object")
    return credential
