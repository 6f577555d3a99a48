"""
What the delivery engine hands to a registry client, and what it gets back.

A ``DeliveryPayload`` is built from one Delivery row (and its credential) right before an attempt;
it is plain data so the clients stay free of Django. Every attempt of the same delivery carries
the same ``idempotency_key`` (derived from the row, e.g. ``"microcred-delivery-<id>"``), so a
registry that honours ``Idempotency-Key`` returns the first attempt's result instead of creating
a second record.

The learner's email and name are kept out of ``repr`` (payloads end up in logs and tracebacks);
each client sends only what its registry needs (see ``docs/registries.rst``).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

__all__ = ["ACTIONS", "MAX_SUMMARY_LENGTH", "Action", "DeliveryPayload", "DeliveryResult"]

Action = Literal["issue", "revoke"]
ACTIONS: tuple[Action, ...] = ("issue", "revoke")

#: Idempotency keys longer than this are refused (registries commonly cap them at 255).
MAX_IDEMPOTENCY_KEY_LENGTH = 255
#: ``DeliveryResult.response_summary`` is cut to this many characters.
MAX_SUMMARY_LENGTH = 500


@dataclass(frozen=True, kw_only=True)
class DeliveryPayload:
    """One delivery attempt's input.

    - ``idempotency_key``: stable across the attempts of one delivery (ASCII, 1-255 chars).
    - ``action``: ``"issue"`` or ``"revoke"``.
    - ``credential_uuid``, ``program_id``, ``program_title``: the credential and its programme.
    - ``recipient_email``, ``recipient_name``: the learner (never in ``repr``); the name is the
      one the learner gave their profile, "" without one (never the username);
      ``recipient_given_name``/``recipient_family_name`` when the profile has them (Credly wants
      the two parts; without them the full name is split, see ``credly.split_name``).
    - ``issued_at``, ``expires_at``: timezone-aware datetimes.
    - ``verification_url``: the public verification page of the credential.
    - ``credential``: the signed Open Badges 3.0 document (dict) or ``None``; ``clr``: the signed
      CLR 2.0 transcript or ``None``.
    - ``options``: the programme's settings for this registry, e.g.
      ``{"badge_template_id": …}`` (Credly), ``{"group_id": …}`` (Accredible),
      ``{"badgeclass_entity_id": …}`` (Parchment).
    - ``external_id``: the registry's id of the record created by the earlier issue (revoke).
    - ``reason``: the revocation reason (revoke).
    - ``occurred_at``: when the event happened; defaults to ``issued_at`` for an issue, to the
      time of the attempt for a revoke.

    Raises ``ValueError`` for an unknown action, an empty or over-long idempotency key, or a
    naive datetime.
    """

    idempotency_key: str
    action: str  # one of ACTIONS (checked): a plain str, as read from a model field
    credential_uuid: str
    program_id: str
    program_title: str
    recipient_email: str = field(repr=False)
    recipient_name: str = field(repr=False)
    issued_at: datetime
    expires_at: datetime | None = None
    verification_url: str
    credential: Mapping[str, Any] | None = field(default=None, repr=False)
    clr: Mapping[str, Any] | None = field(default=None, repr=False)
    options: Mapping[str, Any] = field(default_factory=dict)
    external_id: str | None = None
    reason: str | None = None
    recipient_given_name: str | None = field(default=None, repr=False)
    recipient_family_name: str | None = field(default=None, repr=False)
    occurred_at: datetime | None = None

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise ValueError(f"action must be one of {ACTIONS}, not {self.action!r}")
        key = self.idempotency_key
        if not key or len(key) > MAX_IDEMPOTENCY_KEY_LENGTH or not key.isascii() \
                or not key.isprintable():
            raise ValueError("idempotency_key must be 1-255 printable ASCII characters")
        for name in ("issued_at", "expires_at", "occurred_at"):
            value = getattr(self, name)
            if value is not None and value.utcoffset() is None:
                raise ValueError(f"{name} must be timezone-aware")


@dataclass(frozen=True)
class DeliveryResult:
    """The outcome of a successful attempt.

    ``external_id`` is the registry's id of the record (a Credly badge id, an Accredible
    credential id, a Badgr assertion entityId), ``None`` when the registry gives none (webhooks);
    store it on the delivery row: a later revoke needs it. ``response_summary`` is a short,
    secret-free description for the admin (at most ``MAX_SUMMARY_LENGTH`` characters).
    """

    external_id: str | None
    response_summary: str

    def __post_init__(self) -> None:
        if len(self.response_summary) > MAX_SUMMARY_LENGTH:
            object.__setattr__(self, "response_summary",
                               self.response_summary[:MAX_SUMMARY_LENGTH - 1] + "…")
