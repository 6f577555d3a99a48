"""
Credly (Pearson) Web Service API v1: issue and revoke badges of an organisation.

Documented API (https://www.credly.com/docs/web_service_api, .../docs/issued_badges):

- hosts ``https://api.credly.com`` and, for testing, ``https://sandbox-api.credly.com``; paths
  under ``/v1``; JSON requests and responses (``{"data": …, "metadata": …}``);
- HTTP Basic authentication with the organisation's authorization token as the user name and an
  empty password;
- issue: ``POST /v1/organizations/<organization_id>/badges`` with ``recipient_email``,
  ``badge_template_id``, ``issued_to_first_name``, ``issued_to_last_name``, ``issued_at`` and
  optional ``expires_at``, ``issuer_earner_id``, ``locale``,
  ``suppress_badge_notification_email``, ``evidence``;
- revoke: ``PUT /v1/organizations/<organization_id>/badges/<id>/revoke`` with ``reason`` and
  ``suppress_revoke_notification_email``;
- by default Credly refuses a duplicate badge (same template and same email or
  ``issuer_earner_id``): a resent issue cannot create a second badge, it is rejected.

Registry options: ``organization_id`` (required), ``sandbox`` (bool), ``locale``,
``suppress_badge_notification_email``, ``suppress_revoke_notification_email``. Programme options
(``DeliveryPayload.options``): ``badge_template_id`` (required), ``locale``.
"""
from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import datetime
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

__all__ = ["PRODUCTION_URL", "SANDBOX_URL", "CredlyClient", "split_name"]

PRODUCTION_URL = "https://api.credly.com"
SANDBOX_URL = "https://sandbox-api.credly.com"
DEFAULT_REVOCATION_REASON = "Revoked by the issuer"
#: Credly's documented ``issued_at`` format (``2014-04-01 09:41:00 -0500``).
TIME_FORMAT = "%Y-%m-%d %H:%M:%S %z"


class CredlyClient(RegistryClient):
    """Issues and revokes Credly badges for one organisation (see the module docstring)."""

    name = "credly"

    def __init__(
        self,
        *,
        base_url: str | None = None,
        secret: str,
        options: Mapping[str, Any],
        session: requests.Session | None = None,
        timeout: Timeout = DEFAULT_TIMEOUT,
    ):
        options = dict(options or {})
        if not secret:
            raise Misconfigured("credly: the organisation's authorization token is missing")
        organization_id = options.get("organization_id")
        if not organization_id:
            raise Misconfigured("credly: the registry option 'organization_id' is missing")
        self.organization_id = str(organization_id)
        basic = base64.b64encode(f"{secret}:".encode()).decode("ascii")
        self._authorization = Secret(f"Basic {basic}")
        self.locale: str | None = options.get("locale")
        self.suppress_badge_email = bool(options.get("suppress_badge_notification_email", False))
        self.suppress_revoke_email = bool(options.get("suppress_revoke_notification_email", False))
        url = without_suffix(base_url, "/v1") if base_url else \
            (SANDBOX_URL if options.get("sandbox") else PRODUCTION_URL)
        super().__init__(base_url=url, session=session, timeout=timeout, secrets=(secret, basic))

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": self._authorization.reveal()}

    @property
    def _organization_path(self) -> str:
        return f"v1/organizations/{path_segment(self.organization_id)}"

    def issue(self, payload: DeliveryPayload) -> DeliveryResult:
        """Issue the programme's badge template to the learner; the badge id is ``external_id``."""
        template = payload.options.get("badge_template_id")
        if not template:
            raise Misconfigured(f"credly: programme {payload.program_id!r} has no "
                                "'badge_template_id' option")
        first, last = split_name(payload.recipient_name, given=payload.recipient_given_name,
                                 family=payload.recipient_family_name)
        body: dict[str, Any] = {
            "badge_template_id": str(template),
            "recipient_email": payload.recipient_email,
            "issued_to_first_name": first,
            "issued_to_last_name": last,
            "issued_at": _credly_time(payload.issued_at),
            # Our credential's id, for reconciliation: Credly returns it, never shows it.
            "issuer_earner_id": payload.credential_uuid,
            "suppress_badge_notification_email": self.suppress_badge_email,
        }
        if payload.expires_at is not None:
            body["expires_at"] = _credly_time(payload.expires_at)
        locale = payload.options.get("locale") or self.locale
        if locale:
            body["locale"] = locale
        if payload.verification_url:
            body["evidence"] = [{
                "type": "UrlEvidence",
                "name": "Verifiable credential",
                "value": payload.verification_url,
                "description": f"Open Badges 3.0 credential for {payload.program_title}",
            }]
        document = self.request_json("POST", f"{self._organization_path}/badges",
                                     idempotency_key=payload.idempotency_key, json=body)
        badge = _data(document)
        badge_id = badge.get("id")
        if not badge_id:
            raise ConnectionFailed("credly: the issue response names no badge id")
        state = badge.get("state") or "issued"
        return DeliveryResult(external_id=str(badge_id),
                              response_summary=f"Credly badge {badge_id} ({state})")

    def revoke(self, payload: DeliveryPayload) -> DeliveryResult:
        """Revoke the badge ``payload.external_id`` with ``payload.reason``."""
        if not payload.external_id:
            raise Rejected("credly: nothing to revoke, the delivery has no Credly badge id")
        body = {
            "reason": payload.reason or DEFAULT_REVOCATION_REASON,
            "suppress_revoke_notification_email": self.suppress_revoke_email,
        }
        path = f"{self._organization_path}/badges/{path_segment(payload.external_id)}/revoke"
        document = self.request_json("PUT", path, idempotency_key=payload.idempotency_key,
                                     json=body)
        state = _data(document).get("state") or "revoked"
        return DeliveryResult(external_id=payload.external_id,
                              response_summary=f"Credly badge {payload.external_id} ({state})")

    def test_connection(self) -> None:
        """Read the organisation: checks the host, the organisation id and the token."""
        self.request_json("GET", self._organization_path)


def split_name(full_name: str, *, given: str | None = None,
               family: str | None = None) -> tuple[str, str]:
    """The (first, last) names Credly requires, both non-empty.

    The profile's given and family names when known; otherwise the full name split at its last
    space ("Ada King Lovelace" -> "Ada King", "Lovelace"). A name without a space (common for
    Chinese names, which Open edX stores as one field) cannot be split reliably: it is sent as
    both parts rather than guessed.
    """
    if given and given.strip() and family and family.strip():
        return given.strip(), family.strip()
    name = " ".join(full_name.split())
    if not name:
        raise Rejected("credly: the learner has no name (Credly requires first and last names)")
    if " " in name:
        first, last = name.rsplit(" ", 1)
        return first, last
    return name, name


def _credly_time(moment: datetime) -> str:
    return moment.strftime(TIME_FORMAT)


def _data(document: Any) -> dict[str, Any]:
    data = document.get("data") if isinstance(document, dict) else None
    if not isinstance(data, dict):
        raise ConnectionFailed("credly: the response has no 'data' object")
    return data
