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
- search: ``GET /v1/organizations/<organization_id>/badges`` with
  ``filter=recipient_email::<email>|badge_template_id::<id>`` answers the matching badges
  (``{"data": [badge…], "metadata": …}``, each with its ``id``, ``state`` — ``pending``,
  ``accepted``, ``rejected`` or ``revoked`` — and ``issuer_earner_id``);
- by default Credly refuses a duplicate badge (same template and same email or
  ``issuer_earner_id``) with 422, and does not document ``Idempotency-Key``.

A resent issue whose first attempt was processed (a lost response, a read timeout, a worker
killed mid-request) is therefore refused as a duplicate: the client then looks up the learner's
badge of that template and returns it, so the delivery completes with the badge's id. Only a 422
whose body speaks of a duplicate (``already``/``duplicate``) is looked up, and only a badge that
is not revoked is taken (the one whose ``issuer_earner_id`` is this credential's UUID first); when
none is found the original refusal stands. Revoking a badge that is already revoked counts as
done: Credly does not document that answer, so a 400/422 to the revoke is checked by finding the
badge and reading its ``state``.

Registry options: ``organization_id`` (required), ``sandbox`` (bool), ``locale``,
``suppress_badge_notification_email``, ``suppress_revoke_notification_email``. Programme options
(``DeliveryPayload.options``): ``badge_template_id`` (required), ``locale``.
"""
from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import UTC, datetime
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

__all__ = ["PRODUCTION_URL", "SANDBOX_URL", "CredlyClient", "split_name"]

PRODUCTION_URL = "https://api.credly.com"
SANDBOX_URL = "https://sandbox-api.credly.com"
DEFAULT_REVOCATION_REASON = "Revoked by the issuer"
#: Credly's documented ``issued_at`` format (``2014-04-01 09:41:00 -0500``).
TIME_FORMAT = "%Y-%m-%d %H:%M:%S %z"
#: Words of a 422 that refuses a duplicate badge (an unknown template or a missing field says
#: "is invalid"/"can't be blank"); the badge is then looked up before the refusal is set aside.
DUPLICATE_MARKERS = ("already", "duplicate")
#: The statuses a revoke of an already revoked badge may get (Credly does not document it).
REVOKE_REFUSALS = frozenset({400, 422})


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
        try:
            document = self.request_json("POST", f"{self._organization_path}/badges",
                                         idempotency_key=payload.idempotency_key, json=body)
        except Rejected as error:
            if error.status != 422 or not body_mentions(error, *DUPLICATE_MARKERS):
                raise
            existing = self._existing_badge(payload, str(template))
            if existing is None:
                raise
            badge_id, state = existing["id"], existing.get("state") or "issued"
            return DeliveryResult(external_id=str(badge_id),
                                  response_summary=f"Credly badge {badge_id} ({state}; already "
                                                   "issued: an earlier attempt was processed)")
        badge = _data(document)
        badge_id = badge.get("id")
        if not badge_id:
            raise ConnectionFailed("credly: the issue response names no badge id")
        state = badge.get("state") or "issued"
        return DeliveryResult(external_id=str(badge_id),
                              response_summary=f"Credly badge {badge_id} ({state})")

    def revoke(self, payload: DeliveryPayload) -> DeliveryResult:
        """Revoke the badge ``payload.external_id``; an already revoked badge counts as done."""
        if not payload.external_id:
            raise Rejected("credly: nothing to revoke, the delivery has no Credly badge id")
        body = {
            "reason": payload.reason or DEFAULT_REVOCATION_REASON,
            "suppress_revoke_notification_email": self.suppress_revoke_email,
        }
        path = f"{self._organization_path}/badges/{path_segment(payload.external_id)}/revoke"
        try:
            document = self.request_json("PUT", path, idempotency_key=payload.idempotency_key,
                                         json=body)
        except Rejected as error:
            if error.status not in REVOKE_REFUSALS or not self._already_revoked(payload):
                raise
            return DeliveryResult(external_id=payload.external_id,
                                  response_summary=f"Credly badge {payload.external_id} was "
                                                   "already revoked")
        state = _data(document).get("state") or "revoked"
        return DeliveryResult(external_id=payload.external_id,
                              response_summary=f"Credly badge {payload.external_id} ({state})")

    def test_connection(self) -> None:
        """Read the organisation: checks the host, the organisation id and the token."""
        self.request_json("GET", self._organization_path)

    # Lookups ----------------------------------------------------------------------------------

    def _find_badges(self, email: str, template: str | None = None) -> list[dict[str, Any]]:
        """The organisation's badges issued to ``email`` (of ``template`` when given).

        ``GET /v1/organizations/<id>/badges`` with Credly's ``filter`` (``key::value`` pairs
        joined by ``|``); the answer is checked again here (email case-insensitively, template),
        in case a filter key is ignored. The first page (Credly's default 50) is plenty for one
        learner and one template.
        """
        conditions = [f"recipient_email::{email}"]
        if template:
            conditions.append(f"badge_template_id::{template}")
        document = self.request_json("GET", f"{self._organization_path}/badges",
                                     params={"filter": "|".join(conditions)})
        badges = document.get("data") if isinstance(document, dict) else None
        if not isinstance(badges, list):
            raise ConnectionFailed("credly: the badge search response has no 'data' list")
        wanted = email.strip().casefold()
        found = []
        for badge in badges:
            if not isinstance(badge, dict) or not badge.get("id"):
                continue
            recipient = badge.get("recipient_email")
            if isinstance(recipient, str) and recipient.strip().casefold() != wanted:
                continue
            badge_template = _template_of(badge)
            if template and badge_template is not None and badge_template != template:
                continue
            found.append(badge)
        return found

    def _existing_badge(self, payload: DeliveryPayload, template: str) -> dict[str, Any] | None:
        """The learner's badge of ``template`` that refused a resent issue, if it is live.

        A revoked badge is never taken (it cannot stand for a credential being issued); the badge
        carrying this credential's UUID as ``issuer_earner_id`` is preferred.
        """
        live = [badge for badge in self._find_badges(payload.recipient_email, template)
                if badge.get("state") != "revoked"]
        for badge in live:
            if badge.get("issuer_earner_id") == payload.credential_uuid:
                return badge
        return live[0] if live else None

    def _already_revoked(self, payload: DeliveryPayload) -> bool:
        """Whether the badge ``payload.external_id`` exists and is revoked."""
        template = payload.options.get("badge_template_id")
        badges = self._find_badges(payload.recipient_email, str(template) if template else None)
        return any(str(badge["id"]) == payload.external_id and badge.get("state") == "revoked"
                   for badge in badges)


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
    return moment.astimezone(UTC).strftime(TIME_FORMAT)


def _template_of(badge: dict[str, Any]) -> str | None:
    """A badge's template id (``badge_template.id`` in Credly's answers, or the flat field)."""
    nested = badge.get("badge_template")
    value = nested.get("id") if isinstance(nested, dict) else None
    if value is None:
        value = badge.get("badge_template_id")
    return str(value) if value is not None else None


def _data(document: Any) -> dict[str, Any]:
    data = document.get("data") if isinstance(document, dict) else None
    if not isinstance(data, dict):
        raise ConnectionFailed("credly: the response has no 'data' object")
    return data
