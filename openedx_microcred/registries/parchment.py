"""
Parchment Digital Badges / Canvas Credentials (the Badgr API v2): OAuth2, assertions.

Documented API (developerdocs.instructure.com/services/parchment-digital-badges, the open-source
badgr-server it runs):

- regional hosts (``https://api.badgr.io``, ``api.eu.badgr.io``, ``api.au.badgr.io``,
  ``api.ca.badgr.io``, ``api.sg.badgr.io``, ``api.test.badgr.com``…);
- OAuth2 token endpoint ``POST /o/token`` (form-encoded): the ``password`` grant (a Badgr user's
  email and password) or the ``client_credentials`` grant (a registered application), answering
  ``{"access_token", "token_type": "Bearer", "expires_in", "refresh_token"?}``; an expired
  access token gets 401, and ``grant_type=refresh_token`` renews it;
- issue: ``POST /v2/badgeclasses/<entityId>/assertions`` with ``recipient`` (``identity`` = the
  email, ``type: "email"``, ``hashed: true``: Badgr salts and hashes it in the published
  assertion), ``issuedOn``, ``expires``, ``evidence`` (``url``/``narrative``), ``narrative``,
  ``notify``, ``allowDuplicateAwards``; answers the ``{"status", "result": [assertion]}``
  envelope, errors carry ``fieldErrors``/``validationErrors``;
- revoke: ``DELETE /v2/assertions/<entityId>`` with ``{"revocation_reason": …}``.

The secret is a JSON object (the admin stores it encrypted)::

    {"grant_type": "password", "username": "issuer@example.edu", "password": "…",
     "client_id": "public", "scope": "rw:issuer"}
    {"grant_type": "client_credentials", "client_id": "…", "client_secret": "…",
     "scope": "rw:issuer"}

``grant_type`` defaults to ``password`` when a ``username`` is given, else
``client_credentials``; ``scope`` defaults to ``rw:issuer``; ``client_id`` is only sent when set.

Registry options: ``region`` (default ``"us"``), ``notify`` (Badgr emails the learner; default
true), ``issuer_entity_id`` (the connection test reads that issuer). Programme options:
``badgeclass_entity_id`` (required), ``narrative``.

Issues are sent with ``allowDuplicateAwards: false``: a resent issue whose first attempt was
processed (a lost response) is refused as a duplicate, and the client then finds the existing
assertion (``GET /v2/badgeclasses/<entityId>/assertions?recipient=<email>``) and returns it. A
revoke of an assertion that is already revoked counts as done.
"""
from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC
from typing import Any

import requests

from .errors import AuthFailed, ConnectionFailed, Misconfigured, Rejected
from .http import (
    DEFAULT_TIMEOUT,
    RegistryClient,
    Secret,
    Timeout,
    path_segment,
    without_suffix,
)
from .payload import DeliveryPayload, DeliveryResult

__all__ = ["HOSTS", "SHARED_TOKEN_CACHE", "ParchmentClient", "TokenCache"]

HOSTS = {
    "us": "https://api.badgr.io",
    "eu": "https://api.eu.badgr.io",
    "au": "https://api.au.badgr.io",
    "ca": "https://api.ca.badgr.io",
    "sg": "https://api.sg.badgr.io",
    "demo": "https://api.demo.badgr.com",
    "test": "https://api.test.badgr.com",
}
OAUTH_PATH = "o/token"
DEFAULT_SCOPE = "rw:issuer"
DEFAULT_REVOCATION_REASON = "Revoked by the issuer"
#: A token this close to its expiry is renewed before use (seconds).
EXPIRY_MARGIN = 60.0
#: Lifetime assumed when the token answer has no ``expires_in`` (seconds).
DEFAULT_TOKEN_LIFETIME = 3600.0
#: OAuth2 error codes (RFC 6749 §5.2) that mean the credentials or grant are wrong.
REFUSED_GRANT_ERRORS = frozenset({"invalid_grant", "invalid_client", "unauthorized_client",
                                  "invalid_scope", "unsupported_grant_type"})
DUPLICATE_AWARD = "previous award of this badge already exists"
ALREADY_REVOKED = "already revoked"


@dataclass(frozen=True)
class _Token:
    access: str
    refresh: str | None
    expires_at: float


class TokenCache:
    """OAuth tokens shared by the clients of one process, keyed by token URL and secret digest.

    A Celery worker builds a client per delivery; the cache spares the token endpoint one
    request per delivery. Thread-safe; tokens never leave memory.
    """

    def __init__(self) -> None:
        self._tokens: dict[str, _Token] = {}
        self.lock = threading.RLock()

    def get(self, key: str) -> _Token | None:
        with self.lock:
            return self._tokens.get(key)

    def put(self, key: str, token: _Token) -> None:
        with self.lock:
            self._tokens[key] = token

    def discard(self, key: str, access: str | None = None) -> None:
        """Forget the token of ``key`` (only if it is still ``access``, when given)."""
        with self.lock:
            token = self._tokens.get(key)
            if token is not None and (access is None or token.access == access):
                del self._tokens[key]

    def clear(self) -> None:
        with self.lock:
            self._tokens.clear()


SHARED_TOKEN_CACHE = TokenCache()


class ParchmentClient(RegistryClient):
    """Issues and revokes Badgr v2 assertions with an OAuth2 bearer token."""

    name = "parchment"

    def __init__(
        self,
        *,
        base_url: str | None = None,
        secret: str,
        options: Mapping[str, Any],
        session: requests.Session | None = None,
        timeout: Timeout = DEFAULT_TIMEOUT,
        token_cache: TokenCache | None = None,
        clock: Callable[[], float] = time.time,
    ):
        options = dict(options or {})
        grant = _parse_secret(secret)
        region = str(options.get("region") or "us").lower()
        if base_url is None and region not in HOSTS:
            raise Misconfigured(f"parchment: unknown region {region!r} (one of {sorted(HOSTS)})")
        self._grant = {key: Secret(value) for key, value in grant.items()}
        self._tokens = token_cache if token_cache is not None else SHARED_TOKEN_CACHE
        self._clock = clock
        self.notify = bool(options.get("notify", True))
        self.issuer_entity_id: str | None = options.get("issuer_entity_id")
        secrets = [value for key, value in grant.items()
                   if key in ("password", "client_secret")]
        url = without_suffix(base_url, "/v2") if base_url else HOSTS[region]
        super().__init__(base_url=url, session=session, timeout=timeout, secrets=secrets)
        self._cache_key = hashlib.sha256(
            f"{self.url(OAUTH_PATH)}\n{secret}".encode()).hexdigest()

    # Registry operations -------------------------------------------------------------------

    def issue(self, payload: DeliveryPayload) -> DeliveryResult:
        """Award the programme's BadgeClass to the learner; the assertion's entityId is returned."""
        badgeclass = payload.options.get("badgeclass_entity_id")
        if not badgeclass:
            raise Misconfigured(f"parchment: programme {payload.program_id!r} has no "
                                "'badgeclass_entity_id' option")
        body: dict[str, Any] = {
            "recipient": {"identity": payload.recipient_email, "type": "email", "hashed": True},
            "issuedOn": _iso(payload.issued_at),
            "notify": self.notify,
            "allowDuplicateAwards": False,
        }
        if payload.expires_at is not None:
            body["expires"] = _iso(payload.expires_at)
        if payload.verification_url:
            body["evidence"] = [{
                "url": payload.verification_url,
                "narrative": f"Verifiable Open Badges 3.0 credential for {payload.program_title}",
            }]
        if payload.options.get("narrative"):
            body["narrative"] = str(payload.options["narrative"])
        path = f"v2/badgeclasses/{path_segment(badgeclass)}/assertions"
        try:
            document = self._api("POST", path, idempotency_key=payload.idempotency_key, json=body)
        except Rejected as error:
            if DUPLICATE_AWARD not in (error.body or "").lower():
                raise
            existing = self._existing_award(path, payload.recipient_email)
            if existing is None:
                raise
            return DeliveryResult(external_id=existing,
                                  response_summary=f"Parchment assertion {existing} (already "
                                                   "awarded: an earlier attempt was processed)")
        entity_id = _first_result(document).get("entityId")
        if not entity_id:
            raise ConnectionFailed("parchment: the issue response names no assertion entityId")
        return DeliveryResult(external_id=str(entity_id),
                              response_summary=f"Parchment assertion {entity_id}")

    def revoke(self, payload: DeliveryPayload) -> DeliveryResult:
        """Revoke the assertion ``payload.external_id``; an already revoked one counts as done."""
        if not payload.external_id:
            raise Rejected("parchment: nothing to revoke, the delivery has no assertion entityId")
        path = f"v2/assertions/{path_segment(payload.external_id)}"
        reason = payload.reason or DEFAULT_REVOCATION_REASON
        try:
            self._api("DELETE", path, idempotency_key=payload.idempotency_key,
                      json={"revocation_reason": reason})
        except Rejected as error:
            if error.status != 400 or ALREADY_REVOKED not in (error.body or "").lower():
                raise
            summary = f"Parchment assertion {payload.external_id} was already revoked"
        else:
            summary = f"Parchment assertion {payload.external_id} revoked"
        return DeliveryResult(external_id=payload.external_id, response_summary=summary)

    def test_connection(self) -> None:
        """Obtain a token and read the issuer (or the token's user): checks host and secret."""
        if self.issuer_entity_id:
            self._api("GET", f"v2/issuers/{path_segment(self.issuer_entity_id)}")
        else:
            self._api("GET", "v2/users/self")

    # OAuth2 ---------------------------------------------------------------------------------

    def _api(self, method: str, path: str, **kwargs: Any) -> Any:
        """An authenticated request; on 401 the token is renewed and the request sent once more."""
        token = self._access_token()
        try:
            return self.request_json(method, path, headers=_bearer(token), **kwargs)
        except AuthFailed as error:
            if error.status != 401:
                raise
        token = self._access_token(stale=token)
        return self.request_json(method, path, headers=_bearer(token), **kwargs)

    def _access_token(self, *, stale: str | None = None) -> str:
        """A valid access token: cached, refreshed, or newly granted.

        ``stale`` is a token the registry just refused: it is not used again.
        """
        with self._tokens.lock:
            token = self._tokens.get(self._cache_key)
            if token is not None and token.access != stale \
                    and token.expires_at - EXPIRY_MARGIN > self._clock():
                return token.access
            if token is not None and token.refresh:
                try:
                    return self._store(self._token_request(
                        {"grant_type": "refresh_token", "refresh_token": token.refresh}))
                except (AuthFailed, Rejected):
                    pass  # a refresh token can expire or be single-use: grant afresh
            self._tokens.discard(self._cache_key)
            return self._store(self._token_request(self._grant_form()))

    def _grant_form(self) -> dict[str, str]:
        grant = {key: value.reveal() for key, value in self._grant.items()}
        form = {"grant_type": grant["grant_type"], "scope": grant.get("scope") or DEFAULT_SCOPE}
        fields = ("username", "password") if form["grant_type"] == "password" else ()
        for key in (*fields, "client_id", "client_secret"):
            if grant.get(key):
                form[key] = grant[key]
        return form

    def _token_request(self, form: dict[str, str]) -> dict[str, Any]:
        if form["grant_type"] == "refresh_token":
            for key in ("client_id", "client_secret"):
                if key in self._grant:
                    form[key] = self._grant[key].reveal()
        try:
            document = self.request_json("POST", OAUTH_PATH, data=form, authenticate=False)
        except Rejected as error:
            if error.status in (400, 401) and _oauth_error(error.body) in REFUSED_GRANT_ERRORS:
                raise AuthFailed(f"parchment: the OAuth2 {form['grant_type']} grant was refused "
                                 f"({_oauth_error(error.body)})", status=error.status,
                                 body=error.body, request_id=error.request_id) from None
            raise
        if not isinstance(document, dict) or not document.get("access_token"):
            raise ConnectionFailed("parchment: the token response has no access_token")
        return document

    def _store(self, document: dict[str, Any]) -> str:
        lifetime = document.get("expires_in")
        try:
            seconds = float(lifetime) if lifetime is not None else DEFAULT_TOKEN_LIFETIME
        except (TypeError, ValueError):
            seconds = DEFAULT_TOKEN_LIFETIME
        token = _Token(access=str(document["access_token"]),
                       refresh=document.get("refresh_token") or None,
                       expires_at=self._clock() + seconds)
        self._tokens.put(self._cache_key, token)
        return token.access

    def redactions(self) -> tuple[str, ...]:
        token = self._tokens.get(self._cache_key)
        dynamic = (token.access, token.refresh or "") if token is not None else ()
        return (*super().redactions(), *dynamic)

    # Helpers --------------------------------------------------------------------------------

    def _existing_award(self, path: str, email: str) -> str | None:
        """The entityId of the learner's active assertion of this BadgeClass, if any."""
        document = self._api("GET", path, params={"recipient": email})
        results = document.get("result") if isinstance(document, dict) else None
        for assertion in results or []:
            if isinstance(assertion, dict) and assertion.get("entityId") \
                    and not assertion.get("revoked"):
                return str(assertion["entityId"])
        return None


def _parse_secret(secret: str) -> dict[str, str]:
    """The grant settings of the JSON secret; never echoes the secret in an error."""
    if not secret:
        raise Misconfigured("parchment: the OAuth2 secret is missing")
    try:
        grant = json.loads(secret)
    except ValueError:
        raise Misconfigured("parchment: the secret must be a JSON object (see the docs)") from None
    if not isinstance(grant, dict) or not all(isinstance(v, str) for v in grant.values()):
        raise Misconfigured("parchment: the secret must be a JSON object of strings")
    grant_type = grant.setdefault(
        "grant_type", "password" if grant.get("username") else "client_credentials")
    required = {"password": ("username", "password"),
                "client_credentials": ("client_id", "client_secret")}.get(grant_type)
    if required is None:
        raise Misconfigured(f"parchment: unsupported grant_type {grant_type!r} "
                            "(password or client_credentials)")
    missing = [key for key in required if not grant.get(key)]
    if missing:
        raise Misconfigured(f"parchment: the {grant_type} grant needs {', '.join(missing)} in "
                            "the secret")
    return grant


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _oauth_error(body: str | None) -> str | None:
    try:
        document = json.loads(body or "")
    except ValueError:
        return None
    error = document.get("error") if isinstance(document, dict) else None
    return error if isinstance(error, str) else None


def _iso(moment: Any) -> str:
    # Always UTC: the same instant reads the same whatever time zone the datetime carries.
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _first_result(document: Any) -> dict[str, Any]:
    results = document.get("result") if isinstance(document, dict) else None
    if not isinstance(results, list) or not results or not isinstance(results[0], dict):
        raise ConnectionFailed("parchment: the response has no result")
    return results[0]
