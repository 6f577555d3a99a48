"""
Signed webhooks: POST each credential event to an operator's URL.

The body is compact, key-sorted UTF-8 JSON::

    {"event": "credential.issued" | "credential.revoked", "id": <delivery idempotency key>,
     "occurred_at": "2025-09-01T10:00:00Z", "program_id": …, "credential_uuid": …,
     "verification_url": …, "credential": <signed OB 3.0 document> | null,
     "clr": <signed CLR 2.0 document> | null, "reason": … (revocations only)}

and the request carries, Stripe-style::

    Idempotency-Key: <the same id, on every attempt>
    X-Microcred-Event: credential.issued
    X-Microcred-Timestamp: <Unix seconds of this attempt>
    X-Microcred-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>." + body)>

The signature covers the timestamp, so a receiver that refuses timestamps older than a few
minutes (``verify_webhook_signature``'s ``tolerance``) cannot be fed a replayed request; it
de-duplicates retries by ``id``. ``test_connection`` sends a signed ``{"event": "ping"}``.
The receiver's recipe is in ``docs/registries.rst``.

Registry options: ``allow_insecure_http`` (bool: plain http to a non-loopback host, for a
receiver on a private network; https otherwise).
"""
from __future__ import annotations

import hashlib
import hmac
import math
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import requests

from .errors import Misconfigured
from .http import DEFAULT_TIMEOUT, RegistryClient, Secret, Timeout, dumps
from .payload import DeliveryPayload, DeliveryResult

__all__ = [
    "DEFAULT_TOLERANCE",
    "EVENTS",
    "MAX_SIGNATURE_LENGTH",
    "MAX_TIMESTAMP_DIGITS",
    "MIN_SECRET_LENGTH",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "WebhookClient",
    "sign_webhook",
    "verify_webhook_signature",
]

EVENTS = {"issue": "credential.issued", "revoke": "credential.revoked"}
PING_EVENT = "ping"
EVENT_HEADER = "X-Microcred-Event"
TIMESTAMP_HEADER = "X-Microcred-Timestamp"
SIGNATURE_HEADER = "X-Microcred-Signature"
SIGNATURE_SCHEME = "v1"
#: Seconds a receiver accepts between the signed timestamp and its clock.
DEFAULT_TOLERANCE = 300
#: A shorter signing secret is refused (an HMAC key should not be guessable).
MIN_SECRET_LENGTH = 16
#: Longest ``X-Microcred-Timestamp`` a receiver reads (Unix seconds have 10 digits until 2286).
MAX_TIMESTAMP_DIGITS = 12
#: Longest ``X-Microcred-Signature`` a receiver reads: room for a few ``v1=`` signatures while a
#: secret is rotated (each is 67 characters).
MAX_SIGNATURE_LENGTH = 1024


class WebhookClient(RegistryClient):
    """POSTs signed credential events to one URL (see the module docstring)."""

    name = "webhook"

    def __init__(
        self,
        *,
        base_url: str | None = None,
        secret: str,
        options: Mapping[str, Any] | None = None,
        session: requests.Session | None = None,
        timeout: Timeout = DEFAULT_TIMEOUT,
        clock: Callable[[], float] = time.time,
    ):
        options = dict(options or {})
        if not base_url:
            raise Misconfigured("webhook: the receiver URL is missing")
        if not secret or len(secret) < MIN_SECRET_LENGTH:
            raise Misconfigured(f"webhook: the signing secret must have at least "
                                f"{MIN_SECRET_LENGTH} characters")
        self._secret = Secret(secret)
        self._clock = clock
        super().__init__(base_url=base_url, session=session, timeout=timeout, secrets=(secret,),
                         allow_insecure_http=bool(options.get("allow_insecure_http", False)))

    def issue(self, payload: DeliveryPayload) -> DeliveryResult:
        """POST ``credential.issued``; the receiver's answer is summarised, no external id."""
        return self._post(self.event_body(payload), payload.idempotency_key)

    def revoke(self, payload: DeliveryPayload) -> DeliveryResult:
        """POST ``credential.revoked`` with the reason."""
        return self._post(self.event_body(payload), payload.idempotency_key)

    def test_connection(self) -> None:
        """POST a signed ``ping`` event; any 2xx answer passes."""
        key = f"ping-{uuid.uuid4()}"
        self._post({"event": PING_EVENT, "id": key, "occurred_at": _iso(self._now())}, key)

    def event_body(self, payload: DeliveryPayload) -> dict[str, Any]:
        """The JSON document sent for ``payload`` (before serialisation)."""
        if payload.occurred_at is not None:
            occurred = payload.occurred_at
        else:
            occurred = payload.issued_at if payload.action == "issue" else self._now()
        body: dict[str, Any] = {
            "event": EVENTS[payload.action],
            "id": payload.idempotency_key,
            "occurred_at": _iso(occurred),
            "program_id": payload.program_id,
            "credential_uuid": payload.credential_uuid,
            "verification_url": payload.verification_url,
            "credential": dict(payload.credential) if payload.credential is not None else None,
            "clr": dict(payload.clr) if payload.clr is not None else None,
        }
        if payload.action == "revoke":
            body["reason"] = payload.reason
        return body

    def _post(self, document: dict[str, Any], key: str) -> DeliveryResult:
        body = dumps(document)
        timestamp = str(int(self._clock()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            EVENT_HEADER: str(document["event"]),
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign_webhook(self._secret.reveal(), timestamp, body),
        }
        response = self.request("POST", "", idempotency_key=key, data=body, headers=headers)
        return DeliveryResult(external_id=None,
                              response_summary=f"webhook answered HTTP {response.status_code}")

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)


def sign_webhook(secret: str | bytes, timestamp: str, body: bytes) -> str:
    """The ``X-Microcred-Signature`` value: ``v1=<hex HMAC-SHA256(secret, timestamp.body)>``.

    Raises ``ValueError`` for an empty secret (a signature anyone could make).
    """
    if not secret:
        raise ValueError("a webhook signing secret must not be empty")
    return f"{SIGNATURE_SCHEME}={_digest(secret, timestamp, body)}"


def verify_webhook_signature(
    secret: str | bytes,
    body: bytes,
    timestamp: str,
    signature: str,
    *,
    tolerance: int = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> bool:
    """Whether a received webhook is authentic and fresh.

    ``body`` is the raw request body (bytes, exactly as received), ``timestamp`` and
    ``signature`` the ``X-Microcred-Timestamp`` and ``X-Microcred-Signature`` headers. True when
    the timestamp is within ``tolerance`` seconds of ``now`` (default: the clock) and one of the
    comma-separated ``v1=`` signatures matches (several appear while a secret is rotated).
    Compares in constant time.

    Never raises: anything malformed is False — an empty secret (an HMAC under an empty key is
    forgeable by anyone), a body that is not bytes, a timestamp that is not 1 to
    ``MAX_TIMESTAMP_DIGITS`` ASCII digits (``int`` of a 5,000-digit string raises), a signature
    header that is not a string or is longer than ``MAX_SIGNATURE_LENGTH``, a tolerance or
    ``now`` that is not a finite number.
    """
    if not _well_formed(secret, body, timestamp, signature, tolerance, now):
        return False
    reference = time.time() if now is None else now
    if abs(reference - int(timestamp)) > tolerance:
        return False
    expected = _digest(secret, timestamp, body).encode("ascii")
    return any(
        hmac.compare_digest(value.encode("utf-8", "replace"), expected)
        for scheme, _, value in (part.strip().partition("=") for part in signature.split(","))
        if scheme == SIGNATURE_SCHEME
    )


def _well_formed(secret: object, body: object, timestamp: object, signature: object,
                 tolerance: object, now: object) -> bool:
    """The argument checks of ``verify_webhook_signature`` (types, emptiness, bounds)."""
    def finite(value: object) -> bool:
        return (isinstance(value, int | float) and not isinstance(value, bool)
                and math.isfinite(value))

    return (isinstance(secret, str | bytes) and len(secret) > 0
            and isinstance(body, bytes | bytearray)
            and isinstance(timestamp, str) and 0 < len(timestamp) <= MAX_TIMESTAMP_DIGITS
            and timestamp.isascii() and timestamp.isdigit()
            and isinstance(signature, str) and 0 < len(signature) <= MAX_SIGNATURE_LENGTH
            and finite(tolerance) and tolerance >= 0  # type: ignore[operator]
            and (now is None or finite(now)))


def _digest(secret: str | bytes, timestamp: str, body: bytes | bytearray) -> str:
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    return hmac.new(key, timestamp.encode("ascii") + b"." + body, hashlib.sha256).hexdigest()


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
