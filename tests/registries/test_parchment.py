"""The Parchment Digital Badges (Badgr v2) client: OAuth2 grants, refresh, assertions."""
from __future__ import annotations

import json
import time

import pytest

from openedx_microcred.registries import (
    AuthFailed,
    ConnectionFailed,
    Misconfigured,
    ParchmentClient,
    RateLimited,
    Rejected,
    TokenCache,
)
from openedx_microcred.registries.parchment import HOSTS

from .conftest import FAST_TIMEOUT, make_payload, revoke_payload
from .fakes import Fault, lost_response, rate_limited, server_error, slow, unauthorized

BADGECLASS = {"badgeclass_entity_id": "bc-data-trade"}


def password_secret(fake, **overrides) -> str:
    return json.dumps({"username": fake.username, "password": fake.password, **overrides})


class Clock:
    def __init__(self, now: float = 1_760_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


def client_for(fake, **kwargs) -> ParchmentClient:
    return ParchmentClient(base_url=kwargs.pop("base_url", fake.url),
                           secret=kwargs.pop("secret", password_secret(fake)),
                           options=kwargs.pop("options", {}),
                           token_cache=kwargs.pop("token_cache", TokenCache()), **kwargs)


def calls(fake) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in fake.requests]


def test_issue_gets_a_token_then_awards_the_badgeclass(parchment):
    result = client_for(parchment).issue(make_payload(options=BADGECLASS))

    token_request, award = parchment.requests
    assert (token_request.method, token_request.path) == ("POST", "/o/token")
    assert token_request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert token_request.form == {"grant_type": "password", "username": "issuer@example.edu",
                                  "password": "pw-3d81c0", "scope": "rw:issuer"}
    assert token_request.idempotency_key is None  # not part of the delivery
    assert (award.method, award.path) == ("POST", "/v2/badgeclasses/bc-data-trade/assertions")
    assert award.headers["Authorization"].startswith("Bearer ")
    assert award.headers["Authorization"][7:] in parchment.access_tokens
    assert award.idempotency_key == "microcred-delivery-41"
    assert award.json == {
        "recipient": {"identity": "alice@example.com", "type": "email", "hashed": True},
        "issuedOn": "2025-09-01T10:00:00Z",
        "expires": "2028-09-01T10:00:00Z",
        "notify": True,
        "allowDuplicateAwards": False,
        "evidence": [{"url": "https://lms.example.com/microcred/verify/0b4c6bde/",
                      "narrative": "Verifiable Open Badges 3.0 credential for 数字贸易与管理"}],
    }
    [entity_id] = parchment.assertions
    assert result.external_id == entity_id
    assert parchment.accepted["microcred-delivery-41"] == 1


def test_client_credentials_grant(parchment):
    secret = json.dumps({"grant_type": "client_credentials", "client_id": "microcred-app",
                         "client_secret": "client-secret-77ab", "scope": "rw:issuer:iss-ecnu"})
    client_for(parchment, secret=secret).test_connection()
    assert parchment.requests[0].form == {
        "grant_type": "client_credentials", "client_id": "microcred-app",
        "client_secret": "client-secret-77ab", "scope": "rw:issuer:iss-ecnu"}
    assert calls(parchment)[1] == ("GET", "/v2/users/self")


def test_tokens_are_cached_across_clients(parchment):
    cache = TokenCache()
    client_for(parchment, token_cache=cache).issue(make_payload(options=BADGECLASS))
    client_for(parchment, token_cache=cache, options={"issuer_entity_id": "iss-ecnu"}) \
        .test_connection()
    assert calls(parchment) == [("POST", "/o/token"),
                                ("POST", "/v2/badgeclasses/bc-data-trade/assertions"),
                                ("GET", "/v2/issuers/iss-ecnu")]


def test_an_expired_token_is_refreshed_before_use(parchment):
    clock, cache = Clock(), TokenCache()
    client = client_for(parchment, clock=clock, token_cache=cache)
    client.test_connection()
    clock.now += parchment.token_lifetime - 30  # inside the renewal margin
    client.test_connection()
    assert parchment.grants == ["password", "refresh_token"]
    refresh = parchment.requests_to("POST", "/o/token")[1]
    assert set(refresh.form) == {"grant_type", "refresh_token"}


def test_a_401_refreshes_the_token_and_retries_once(parchment):
    client = client_for(parchment)
    client.test_connection()
    parchment.expire_access_tokens()  # the registry revoked or expired it early
    result = client.issue(make_payload(options=BADGECLASS))
    assert result.external_id in parchment.assertions
    assert parchment.grants == ["password", "refresh_token"]
    awards = parchment.requests_to("POST", "/assertions")
    assert [r.idempotency_key for r in awards] == ["microcred-delivery-41"] * 2
    assert parchment.accepted["microcred-delivery-41"] == 1


def test_a_refused_refresh_token_falls_back_to_a_new_grant(parchment):
    clock = Clock()
    client = client_for(parchment, clock=clock)
    client.test_connection()
    parchment.refresh_tokens.clear()
    clock.now += parchment.token_lifetime
    client.test_connection()
    assert parchment.grants == ["password", "refresh_token", "password"]


def test_a_persistent_401_is_auth_failed_after_one_retry(parchment):
    parchment.fail_next(unauthorized(match="/v2/"), unauthorized(match="/v2/"))
    with pytest.raises(AuthFailed):
        client_for(parchment).issue(make_payload(options=BADGECLASS))
    assert len(parchment.requests_to("POST", "/assertions")) == 2
    assert parchment.assertions == {}


def test_wrong_credentials_are_auth_failed_without_calling_the_api(parchment):
    with pytest.raises(AuthFailed, match="invalid_grant") as caught:
        client_for(parchment, secret=password_secret(parchment, password="wrong-pw-1")).issue(
            make_payload(options=BADGECLASS))
    assert calls(parchment) == [("POST", "/o/token")]
    assert "wrong-pw-1" not in str(caught.value) + repr(caught.value) + (caught.value.body or "")


def test_revoke_sends_the_documented_request(parchment):
    client = client_for(parchment)
    issued = client.issue(make_payload(options=BADGECLASS))
    result = client.revoke(revoke_payload(external_id=issued.external_id))
    sent = parchment.requests[-1]
    assert (sent.method, sent.path) == ("DELETE", f"/v2/assertions/{issued.external_id}")
    assert sent.json == {"revocation_reason": "Academic misconduct"}
    assert sent.idempotency_key == "microcred-delivery-42"
    assert parchment.assertions[issued.external_id]["revoked"] is True
    assert result.response_summary.endswith("revoked")


def test_revoking_an_already_revoked_assertion_counts_as_done(parchment):
    client = client_for(parchment)
    issued = client.issue(make_payload(options=BADGECLASS))
    client.revoke(revoke_payload(external_id=issued.external_id))
    again = client.revoke(revoke_payload(external_id=issued.external_id,
                                         idempotency_key="registry-ignores-keys"))
    assert "already revoked" in again.response_summary


def test_a_processed_issue_resent_without_key_support_finds_the_existing_award(parchment):
    """Badgr does not document Idempotency-Key: a resent award is caught as a duplicate."""
    client = client_for(parchment)
    first = client.issue(make_payload(options=BADGECLASS))
    again = client.issue(make_payload(options=BADGECLASS, idempotency_key="key-not-honoured"))
    assert again.external_id == first.external_id
    assert "already awarded" in again.response_summary
    assert len(parchment.assertions) == 1
    assert calls(parchment)[-1] == ("GET", "/v2/badgeclasses/bc-data-trade/assertions")
    assert parchment.requests[-1].query == {"recipient": ["alice@example.com"]}


def test_validation_errors_are_rejected(parchment):
    with pytest.raises(Rejected) as caught:
        client_for(parchment).issue(make_payload(options=BADGECLASS, recipient_email="nobody"))
    assert caught.value.status == 400
    assert "fieldErrors" in caught.value.body
    with pytest.raises(Rejected) as caught:
        client_for(parchment).issue(make_payload(options={"badgeclass_entity_id": "unknown"}))
    assert caught.value.status == 404


@pytest.mark.parametrize(("fault", "error"), [
    (rate_limited("4", match="/v2/"), RateLimited),
    (server_error(500, match="/v2/"), ConnectionFailed),
    (server_error(503, match="/o/token"), ConnectionFailed),
    (Fault(status=403, match="/v2/"), AuthFailed),
])
def test_failures_map_to_what_the_caller_should_do(parchment, fault, error):
    parchment.fail_next(fault)
    with pytest.raises(error):
        client_for(parchment).issue(make_payload(options=BADGECLASS))
    assert parchment.assertions == {}


def test_timeouts_and_refused_connections(parchment, refused_url):
    parchment.fail_next(slow(5.0, match="/v2/"))
    started = time.monotonic()
    with pytest.raises(ConnectionFailed):
        client_for(parchment, timeout=FAST_TIMEOUT).issue(make_payload(options=BADGECLASS))
    assert time.monotonic() - started < 2.0
    with pytest.raises(ConnectionFailed):
        client_for(parchment, base_url=refused_url, timeout=FAST_TIMEOUT).test_connection()


def test_a_lost_response_retried_with_its_key_creates_one_assertion(parchment):
    parchment.fail_next(lost_response(5.0, match="/assertions"))
    client = client_for(parchment, timeout=FAST_TIMEOUT)
    with pytest.raises(ConnectionFailed):
        client.issue(make_payload(options=BADGECLASS))
    result = client.issue(make_payload(options=BADGECLASS))
    assert list(parchment.assertions) == [result.external_id]
    assert parchment.accepted["microcred-delivery-41"] == 1


@pytest.mark.parametrize(("secret", "message"), [
    ("", "missing"),
    ("not json pw-secret-1", "JSON object"),
    ('["pw-secret-1"]', "JSON object"),
    ('{"username": "u"}', "password"),
    ('{"grant_type": "client_credentials", "client_id": "c"}', "client_secret"),
    ('{"grant_type": "implicit", "password": "pw-secret-1"}', "unsupported"),
])
def test_bad_secrets_are_misconfigured_without_echoing_them(secret, message):
    with pytest.raises(Misconfigured, match=message) as caught:
        ParchmentClient(secret=secret, options={})
    assert "pw-secret-1" not in str(caught.value)


def test_regions_and_missing_badgeclass(parchment):
    secret = password_secret(parchment)
    assert ParchmentClient(secret=secret, options={}).base_url == HOSTS["us"]
    assert ParchmentClient(secret=secret, options={"region": "eu"}).base_url == \
        "https://api.eu.badgr.io"
    with pytest.raises(Misconfigured, match="region"):
        ParchmentClient(secret=secret, options={"region": "moon"})
    with pytest.raises(Misconfigured, match="badgeclass_entity_id"):
        client_for(parchment).issue(make_payload())
    with pytest.raises(Rejected, match="nothing to revoke"):
        client_for(parchment).revoke(revoke_payload(external_id=None))
    assert parchment.requests == []


def test_tokens_and_passwords_never_show(parchment):
    client = client_for(parchment)
    client.test_connection()
    [access] = parchment.access_tokens
    parchment.fail_next(Fault(status=422, body={"detail": f"token {access} pw-3d81c0"},
                              match="/v2/"))
    with pytest.raises(Rejected) as caught:
        client.issue(make_payload(options=BADGECLASS))
    shown = " ".join([repr(client), str(vars(client)), repr(caught.value), str(caught.value),
                      caught.value.body or ""])
    assert access not in shown
    assert "pw-3d81c0" not in shown
