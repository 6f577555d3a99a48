"""
Registry clients: deliver issued and revoked credentials to Credly, Accredible, Parchment
Digital Badges (Badgr) and signed webhooks. Pure Python over ``requests``, no Django.

The delivery engine (models, outbox sweep, Celery tasks) builds a ``DeliveryPayload`` from a
Delivery row, picks the client class with ``client_class(kind)``, and calls ``issue``/``revoke``
(or ``deliver``). A client returns a ``DeliveryResult`` or raises a ``RegistryError`` whose class
says what to do: retry (``retry.should_retry``/``retry.next_delay``), wait for the operator
(``AuthFailed``, ``Misconfigured``), or give up (``Rejected``).

Every client is built the same way::

    client_class("credly")(base_url=None, secret=token, options={"organization_id": …},
                           session=shared_session, timeout=(3.05, 10))

DO NOT import Django, the models or Celery here: the package must stay usable and testable
alone, and the engine passes plain data in. DO NOT log payloads or secrets.
"""
from __future__ import annotations

from .accredible import AccredibleClient
from .credly import CredlyClient
from .errors import (
    AuthFailed,
    Conflict,
    ConnectionFailed,
    Misconfigured,
    RateLimited,
    RegistryError,
    Rejected,
    error_for_response,
    parse_retry_after,
)
from .http import DEFAULT_TIMEOUT, ClientFactory, RegistryClient
from .parchment import ParchmentClient, TokenCache
from .payload import DeliveryPayload, DeliveryResult
from .retry import RETRYABLE_ERRORS, backoff_delay, next_delay, should_retry
from .webhook import WebhookClient, sign_webhook, verify_webhook_signature

__all__ = [
    "CLIENTS",
    "DEFAULT_TIMEOUT",
    "RETRYABLE_ERRORS",
    "AccredibleClient",
    "AuthFailed",
    "ClientFactory",
    "Conflict",
    "ConnectionFailed",
    "CredlyClient",
    "DeliveryPayload",
    "DeliveryResult",
    "Misconfigured",
    "ParchmentClient",
    "RateLimited",
    "RegistryClient",
    "RegistryError",
    "Rejected",
    "TokenCache",
    "WebhookClient",
    "backoff_delay",
    "client_class",
    "error_for_response",
    "next_delay",
    "parse_retry_after",
    "should_retry",
    "sign_webhook",
    "verify_webhook_signature",
]

#: Registry kind (as stored on the registry configuration) -> client class.
CLIENTS: dict[str, ClientFactory] = {
    "credly": CredlyClient,
    "accredible": AccredibleClient,
    "parchment": ParchmentClient,
    "webhook": WebhookClient,
}


def client_class(kind: str) -> ClientFactory:
    """The client class of a registry kind; raises ``Misconfigured`` for an unknown kind."""
    try:
        return CLIENTS[kind]
    except KeyError:
        raise Misconfigured(f"unknown registry kind {kind!r} (one of {sorted(CLIENTS)})") from None
