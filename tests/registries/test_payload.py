"""The delivery payload contract, the package surface, and its independence from Django."""
from __future__ import annotations

import dataclasses
import inspect
import subprocess
import sys
from datetime import datetime

import pytest

from openedx_microcred.registries import (
    CLIENTS,
    DeliveryResult,
    Misconfigured,
    client_class,
)
from openedx_microcred.registries.payload import MAX_SUMMARY_LENGTH

from .conftest import make_payload


def test_a_payload_is_frozen_and_hides_the_learner_in_repr():
    payload = make_payload()
    with pytest.raises(dataclasses.FrozenInstanceError):
        payload.action = "revoke"
    shown = repr(payload)
    assert "alice@example.com" not in shown and "Alice" not in shown
    assert "microcred-delivery-41" in shown


@pytest.mark.parametrize("overrides", [
    {"action": "delete"},
    {"idempotency_key": ""},
    {"idempotency_key": "k" * 256},
    {"idempotency_key": "clé-non-ascii"},
    {"idempotency_key": "line\nbreak"},
    {"issued_at": datetime(2025, 9, 1)},
    {"expires_at": datetime(2028, 9, 1)},
])
def test_invalid_payloads_are_refused(overrides):
    with pytest.raises(ValueError):
        make_payload(**overrides)


def test_result_summary_is_bounded():
    result = DeliveryResult(external_id="1", response_summary="x" * 5000)
    assert len(result.response_summary) == MAX_SUMMARY_LENGTH


def test_every_client_is_built_the_same_way():
    for kind, cls in CLIENTS.items():
        assert client_class(kind) is cls
        parameters = inspect.signature(cls).parameters
        for name in ("base_url", "secret", "options", "session", "timeout"):
            assert parameters[name].kind is inspect.Parameter.KEYWORD_ONLY, (kind, name)
        assert parameters["timeout"].default == (3.05, 10.0)
    with pytest.raises(Misconfigured):
        client_class("myspace")


def test_the_package_imports_without_django():
    code = ("import sys, openedx_microcred.registries, openedx_microcred.registries.webhook; "
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('django', 'celery')); "
            "print(bad); sys.exit(1 if bad else 0)")
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                               timeout=30, check=False)
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_registry_dates_are_utc_whatever_zone_a_datetime_carries():
    from datetime import datetime, timedelta, timezone

    from openedx_microcred.registries import credly, parchment, webhook
    shanghai = datetime(2025, 4, 1, 4, 0, tzinfo=timezone(timedelta(hours=8)))
    assert parchment._iso(shanghai) == "2025-03-31T20:00:00Z"
    assert webhook._iso(shanghai) == "2025-03-31T20:00:00Z"
    assert credly._credly_time(shanghai) == "2025-03-31 20:00:00 +0000"
