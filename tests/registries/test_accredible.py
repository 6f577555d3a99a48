"""The Accredible client against a fake Accredible Credential API."""
from __future__ import annotations

import email.utils
import time

import pytest

from openedx_microcred.registries import (
    AccredibleClient,
    AuthFailed,
    ConnectionFailed,
    Misconfigured,
    RateLimited,
    Rejected,
)
from openedx_microcred.registries.accredible import HOSTS, SANDBOX_URL

from .conftest import FAST_TIMEOUT, make_payload, revoke_payload
from .fakes import Fault, lost_response, rate_limited, server_error, slow

GROUP = {"group_id": "4217"}


def client_for(fake, **kwargs) -> AccredibleClient:
    return AccredibleClient(base_url=kwargs.pop("base_url", fake.url),
                            secret=kwargs.pop("secret", fake.api_key),
                            options=kwargs.pop("options", {}), **kwargs)


def test_issue_sends_the_documented_request(accredible):
    result = client_for(accredible).issue(make_payload(
        options={**GROUP, "custom_attributes": {"credits": "12"}}))

    [sent] = accredible.requests
    assert (sent.method, sent.path) == ("POST", "/v1/credentials")
    assert sent.headers["Authorization"] == "Token token=accredible-key-91b0"
    assert sent.idempotency_key == "microcred-delivery-41"
    assert sent.json == {"credential": {
        "recipient": {"name": "Alice Liddell", "email": "alice@example.com"},
        "group_id": 4217,
        "issued_on": "2025-09-01",
        "expired_on": "2028-09-01",
        "custom_attributes": {"credits": "12"},
        "evidence_items": [{
            "description": "Verifiable credential (Open Badges 3.0)",
            "url": "https://lms.example.com/microcred/verify/0b4c6bde/",
            "category": "url",
        }],
        "meta_data": {"credential_uuid": "0b4c6bde-8d8f-4d83-a7f5-5b3c1e5c11aa",
                      "program_id": "ecnu-digital-trade"},
    }}
    assert result.external_id == "10000001"
    assert "https://www.credential.net/10000001" in result.response_summary
    assert accredible.accepted["microcred-delivery-41"] == 1


def test_revoke_expires_the_credential_on_the_revocation_date(accredible):
    issued = client_for(accredible).issue(make_payload(options=GROUP))
    result = client_for(accredible).revoke(revoke_payload(external_id=issued.external_id))

    sent = accredible.requests[-1]
    assert (sent.method, sent.path) == ("PUT", "/v1/credentials/10000001")
    assert sent.json == {"credential": {"expired_on": "2026-01-15"}}
    assert sent.idempotency_key == "microcred-delivery-42"
    assert accredible.credentials["10000001"]["expired_on"] == "2026-01-15"
    assert "expired on 2026-01-15" in result.response_summary


def test_revoke_without_a_date_uses_the_clock(accredible):
    issued = client_for(accredible).issue(make_payload(options=GROUP))
    client = client_for(accredible, clock=lambda: 1_767_225_600.0)  # 2026-01-01T00:00Z
    client.revoke(revoke_payload(external_id=issued.external_id, occurred_at=None))
    assert accredible.requests[-1].json == {"credential": {"expired_on": "2026-01-01"}}


def test_test_connection_reads_the_issuer(accredible):
    client_for(accredible).test_connection()
    assert [(r.method, r.path) for r in accredible.requests] == [("GET", "/v1/issuer/details")]
    with pytest.raises(AuthFailed):
        client_for(accredible, secret="wrong-key").test_connection()


def test_an_unknown_group_is_rejected_with_accredibles_message(accredible):
    with pytest.raises(Rejected) as caught:
        client_for(accredible).issue(make_payload(options={"group_id": 1}))
    assert caught.value.status == 422
    assert "Invalid Group" in caught.value.body
    assert accredible.credentials == {}


def test_rate_limit_with_an_http_date(accredible):
    when = email.utils.formatdate(time.time() + 90, usegmt=True)
    accredible.fail_next(Fault(status=429, headers={"Retry-After": when}))
    with pytest.raises(RateLimited) as caught:
        client_for(accredible).issue(make_payload(options=GROUP))
    assert 80 <= caught.value.retry_after <= 90


@pytest.mark.parametrize(("fault", "error"), [
    (Fault(status=401), AuthFailed),
    (Fault(status=403), AuthFailed),
    (Fault(status=404), Rejected),
    (server_error(500), ConnectionFailed),
    (rate_limited(None, status=503), ConnectionFailed),
    (rate_limited("2"), RateLimited),
])
def test_failures_map_to_what_the_caller_should_do(accredible, fault, error):
    accredible.fail_next(fault)
    with pytest.raises(error):
        client_for(accredible).issue(make_payload(options=GROUP))


def test_timeouts_and_refused_connections(accredible, refused_url):
    accredible.fail_next(slow(5.0))
    started = time.monotonic()
    with pytest.raises(ConnectionFailed):
        client_for(accredible, timeout=FAST_TIMEOUT).issue(make_payload(options=GROUP))
    assert time.monotonic() - started < 2.0
    with pytest.raises(ConnectionFailed):
        client_for(accredible, base_url=refused_url, timeout=FAST_TIMEOUT).test_connection()


def test_a_lost_response_retried_with_its_key_creates_one_credential(accredible):
    accredible.fail_next(lost_response(5.0))
    client = client_for(accredible, timeout=FAST_TIMEOUT)
    with pytest.raises(ConnectionFailed):
        client.issue(make_payload(options=GROUP))
    assert client.issue(make_payload(options=GROUP)).external_id == "10000001"
    assert len(accredible.credentials) == 1
    assert accredible.attempts["microcred-delivery-41"] == 2
    assert accredible.accepted["microcred-delivery-41"] == 1


def test_hosts_follow_region_and_sandbox():
    assert AccredibleClient(secret="k", options={}).base_url == HOSTS["us"]
    assert AccredibleClient(secret="k", options={"region": "EU"}).base_url == \
        "https://eu.api.accredible.com"
    assert AccredibleClient(secret="k", options={"sandbox": True}).base_url == SANDBOX_URL
    with pytest.raises(Misconfigured, match="region"):
        AccredibleClient(secret="k", options={"region": "mars"})


def test_missing_configuration_fails_before_any_request(accredible):
    with pytest.raises(Misconfigured, match="API key"):
        AccredibleClient(base_url=accredible.url, secret="", options={})
    with pytest.raises(Misconfigured, match="group_id"):
        client_for(accredible).issue(make_payload())
    with pytest.raises(Rejected, match="nothing to revoke"):
        client_for(accredible).revoke(revoke_payload(external_id=None))
    assert accredible.requests == []


def test_the_api_key_never_shows(accredible):
    accredible.fail_next(Fault(status=401, body={"errors": "key accredible-key-91b0 revoked"}))
    client = client_for(accredible)
    with pytest.raises(AuthFailed) as caught:
        client.issue(make_payload(options=GROUP))
    shown = " ".join([repr(client), str(vars(client)), repr(caught.value), str(caught.value),
                      caught.value.body or ""])
    assert "accredible-key-91b0" not in shown
