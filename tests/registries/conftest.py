"""Fixtures of the registry client tests: running fake registries and delivery payloads."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from openedx_microcred.registries import DeliveryPayload

from .fakes import (
    FakeAccredible,
    FakeCredly,
    FakeParchment,
    FakeWebhookReceiver,
    closed_port_url,
)

#: Short timeouts: a slow fake is detected in a fraction of a second, nothing sleeps long.
FAST_TIMEOUT = (1.0, 0.3)
SIGNED_CREDENTIAL = {
    "@context": ["https://www.w3.org/ns/credentials/v2"],
    "type": ["VerifiableCredential", "OpenBadgeCredential"],
    "id": "urn:uuid:0b4c6bde-8d8f-4d83-a7f5-5b3c1e5c11aa",
    "credentialSubject": {"identifier": [{"identityHash": "sha256$abc", "salt": "s1"}]},
    "proof": [{"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022"}],
}


@pytest.fixture
def credly() -> Iterator[FakeCredly]:
    with FakeCredly().running() as fake:
        yield fake


@pytest.fixture
def accredible() -> Iterator[FakeAccredible]:
    with FakeAccredible().running() as fake:
        yield fake


@pytest.fixture
def parchment() -> Iterator[FakeParchment]:
    with FakeParchment().running() as fake:
        yield fake


@pytest.fixture
def receiver() -> Iterator[FakeWebhookReceiver]:
    with FakeWebhookReceiver().running() as fake:
        yield fake


@pytest.fixture
def refused_url() -> str:
    return closed_port_url()


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as shared:
        yield shared


def make_payload(**overrides: Any) -> DeliveryPayload:
    """A complete issue payload; ``overrides`` replace fields."""
    fields: dict[str, Any] = {
        "idempotency_key": "microcred-delivery-41",
        "action": "issue",
        "credential_uuid": "0b4c6bde-8d8f-4d83-a7f5-5b3c1e5c11aa",
        "program_id": "ecnu-digital-trade",
        "program_title": "数字贸易与管理",
        "recipient_email": "alice@example.com",
        "recipient_name": "Alice Liddell",
        "issued_at": datetime(2025, 9, 1, 10, 0, tzinfo=UTC),
        "expires_at": datetime(2028, 9, 1, 10, 0, tzinfo=UTC),
        "verification_url": "https://lms.example.com/microcred/verify/0b4c6bde/",
        "credential": SIGNED_CREDENTIAL,
        "clr": None,
        "options": {},
    }
    fields.update(overrides)
    return DeliveryPayload(**fields)


def revoke_payload(**overrides: Any) -> DeliveryPayload:
    """A revoke payload for ``external_id`` (pass it)."""
    fields: dict[str, Any] = {
        "idempotency_key": "microcred-delivery-42",
        "action": "revoke",
        "reason": "Academic misconduct",
        "occurred_at": datetime(2026, 1, 15, 8, 30, tzinfo=UTC),
    }
    fields.update(overrides)
    return make_payload(**fields)
