"""The Accredible client against a fake Accredible Credential API."""
from __future__ import annotations

import email.utils
import time
from collections.abc import Iterator
from datetime import UTC, datetime

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
from .fakes import FakeAccredible, Fault, lost_response, rate_limited, rejected, server_error, slow

GROUP = {"group_id": "4217"}
#: The body of Accredible's refusal of a duplicate credential, as the fake answers it.
DUPLICATE = {"errors": {"recipient.email": ["already has a credential in this group"]}}


@pytest.fixture
def strict_accredible() -> Iterator[FakeAccredible]:
    """A fake Accredible that ignores Idempotency-Key, like the real one."""
    with FakeAccredible(honour_idempotency_key=False).running() as fake:
        yield fake


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


def test_a_lost_response_resent_to_accredible_ignoring_keys_finds_the_credential(
        strict_accredible):
    """Accredible does not honour Idempotency-Key: the resent issue is refused as a duplicate."""
    strict_accredible.fail_next(lost_response(5.0))
    client = client_for(strict_accredible, timeout=FAST_TIMEOUT)
    with pytest.raises(ConnectionFailed):
        client.issue(make_payload(options=GROUP))
    assert list(strict_accredible.credentials) == ["10000001"]  # processed, the answer lost
    result = client.issue(make_payload(options=GROUP))  # the engine's retry, same key

    assert result.external_id == "10000001"
    assert "already issued" in result.response_summary
    assert "https://www.credential.net/10000001" in result.response_summary
    assert len(strict_accredible.credentials) == 1
    assert strict_accredible.accepted["microcred-delivery-41"] == 1  # the retry created nothing
    search = strict_accredible.requests[-1]
    assert (search.method, search.path) == ("POST", "/v1/credentials/search")
    assert search.json == {"group_id": 4217, "recipient": {"email": "alice@example.com"},
                           "page": 1, "page_size": 50}
    assert search.idempotency_key is None  # a read
    assert search.headers["Authorization"] == "Token token=accredible-key-91b0"


def test_a_duplicate_is_found_whatever_the_email_case(strict_accredible):
    first = client_for(strict_accredible).issue(make_payload(options=GROUP))
    again = client_for(strict_accredible).issue(make_payload(
        options=GROUP, recipient_email="Alice@Example.COM", idempotency_key="another-key"))
    assert again.external_id == first.external_id
    assert strict_accredible.requests[-1].json["recipient"] == {"email": "alice@example.com"}
    assert len(strict_accredible.credentials) == 1


def test_an_invalid_group_is_still_rejected_without_a_search(strict_accredible):
    with pytest.raises(Rejected) as caught:
        client_for(strict_accredible).issue(make_payload(options={"group_id": 1}))
    assert caught.value.status == 422
    assert "Invalid Group" in caught.value.body
    assert [r.path for r in strict_accredible.requests] == ["/v1/credentials"]


def test_a_duplicate_refusal_without_a_credential_to_find_stays_rejected(strict_accredible):
    strict_accredible.fail_next(rejected(422, body=DUPLICATE))
    with pytest.raises(Rejected) as caught:
        client_for(strict_accredible).issue(make_payload(options=GROUP))
    assert "already has a credential" in caught.value.body
    assert [r.path for r in strict_accredible.requests] == \
        ["/v1/credentials", "/v1/credentials/search"]


def test_an_expired_credential_of_another_credential_is_never_taken(strict_accredible):
    client = client_for(strict_accredible, clock=lambda: 1_767_225_600.0)  # 2026-01-01
    issued = client.issue(make_payload(options=GROUP))
    client.revoke(revoke_payload(external_id=issued.external_id))  # expired on 2026-01-15
    later = client_for(strict_accredible, clock=lambda: 1_770_000_000.0)  # 2026-02-02
    with pytest.raises(Rejected, match="422"):
        later.issue(make_payload(options=GROUP, idempotency_key="microcred-delivery-77",
                                 credential_uuid="5d1e0b7a-0000-4000-8000-000000000077"))
    # Its own credential is found even so (the UUID in meta_data).
    assert later.issue(make_payload(options=GROUP)).external_id == issued.external_id


def test_revoking_twice_counts_as_done(strict_accredible):
    client = client_for(strict_accredible)
    issued = client.issue(make_payload(options=GROUP))
    payload = revoke_payload(external_id=issued.external_id)
    client.revoke(payload)
    again = client.revoke(payload)
    assert again.external_id == issued.external_id
    assert "expired on 2026-01-15" in again.response_summary
    assert strict_accredible.credentials[issued.external_id]["expired_on"] == "2026-01-15"
    assert [r.method for r in strict_accredible.requests] == ["POST", "PUT", "PUT"]


def test_revoking_an_already_expired_credential_keeps_its_expiry(accredible):
    expired = make_payload(options=GROUP, expires_at=datetime(2025, 12, 1, tzinfo=UTC))
    issued = client_for(accredible).issue(expired)
    result = client_for(accredible).revoke(revoke_payload(
        external_id=issued.external_id, expires_at=datetime(2025, 12, 1, tzinfo=UTC)))
    assert accredible.requests[-1].json == {"credential": {"expired_on": "2025-12-01"}}
    assert accredible.credentials[issued.external_id]["expired_on"] == "2025-12-01"
    assert "already expired on 2025-12-01" in result.response_summary


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
