"""The Credly client against a fake Credly Web Service API."""
from __future__ import annotations

import base64
import time
from collections.abc import Iterator

import pytest

from openedx_microcred.registries import (
    AuthFailed,
    ConnectionFailed,
    CredlyClient,
    Misconfigured,
    RateLimited,
    Rejected,
    should_retry,
)
from openedx_microcred.registries.credly import PRODUCTION_URL, SANDBOX_URL, split_name

from .conftest import FAST_TIMEOUT, make_payload, revoke_payload
from .fakes import (
    FakeCredly,
    Fault,
    lost_response,
    rate_limited,
    rejected,
    server_error,
    slow,
    unauthorized,
)

TEMPLATE = {"badge_template_id": "tmpl-data-trade"}
#: The body of Credly's refusal of a duplicate badge, as the fake answers it.
DUPLICATE = {"data": {"message": "Validation failed", "errors": [
    {"attribute": "recipient_email", "messages": ["already has this badge"]}]}, "metadata": {}}


@pytest.fixture
def strict_credly() -> Iterator[FakeCredly]:
    """A fake Credly that ignores Idempotency-Key, like the real one."""
    with FakeCredly(honour_idempotency_key=False).running() as fake:
        yield fake


def client_for(fake, **kwargs) -> CredlyClient:
    options = {"organization_id": fake.organization_id, **kwargs.pop("options", {})}
    return CredlyClient(base_url=kwargs.pop("base_url", fake.url),
                        secret=kwargs.pop("secret", fake.token), options=options, **kwargs)


def test_issue_sends_the_documented_request(credly):
    result = client_for(credly).issue(make_payload(options=TEMPLATE))

    [sent] = credly.requests
    assert (sent.method, sent.path) == ("POST", "/v1/organizations/org-7c1e/badges")
    assert sent.headers["Authorization"] == \
        "Basic " + base64.b64encode(b"credly-org-token-5f2a:").decode()
    assert sent.headers["Content-Type"] == "application/json"
    assert sent.idempotency_key == "microcred-delivery-41"
    assert sent.json == {
        "badge_template_id": "tmpl-data-trade",
        "recipient_email": "alice@example.com",
        "issued_to_first_name": "Alice",
        "issued_to_last_name": "Liddell",
        "issued_at": "2025-09-01 10:00:00 +0000",
        "expires_at": "2028-09-01 10:00:00 +0000",
        "issuer_earner_id": "0b4c6bde-8d8f-4d83-a7f5-5b3c1e5c11aa",
        "suppress_badge_notification_email": False,
        "evidence": [{
            "type": "UrlEvidence",
            "name": "Verifiable credential",
            "value": "https://lms.example.com/microcred/verify/0b4c6bde/",
            "description": "Open Badges 3.0 credential for 数字贸易与管理",
        }],
    }
    [badge_id] = credly.badges
    assert result.external_id == badge_id
    assert badge_id in result.response_summary
    assert credly.accepted["microcred-delivery-41"] == 1


def test_issue_sends_only_what_credly_needs(credly):
    client_for(credly, options={"locale": "zh-CN"}).issue(
        make_payload(options=TEMPLATE, expires_at=None, credential={"big": "document"}))
    body = credly.requests[-1].json
    assert "expires_at" not in body  # the template's default expiry applies
    assert body["locale"] == "zh-CN"
    assert "credential" not in body and "big" not in str(body)  # the OB document stays home


def test_revoke_sends_the_documented_request(credly):
    issued = client_for(credly).issue(make_payload(options=TEMPLATE))
    result = client_for(credly, options={"suppress_revoke_notification_email": True}).revoke(
        revoke_payload(external_id=issued.external_id, options=TEMPLATE))

    sent = credly.requests[-1]
    assert (sent.method, sent.path) == \
        ("PUT", f"/v1/organizations/org-7c1e/badges/{issued.external_id}/revoke")
    assert sent.json == {"reason": "Academic misconduct",
                         "suppress_revoke_notification_email": True}
    assert sent.idempotency_key == "microcred-delivery-42"
    assert credly.badges[issued.external_id]["state"] == "revoked"
    assert result.external_id == issued.external_id


def test_test_connection_reads_the_organization(credly):
    client_for(credly).test_connection()
    assert [(r.method, r.path) for r in credly.requests] == [("GET", "/v1/organizations/org-7c1e")]
    with pytest.raises(AuthFailed):
        client_for(credly, secret="wrong-token").test_connection()
    with pytest.raises(Rejected) as caught:
        client_for(credly, options={"organization_id": "other-org"}).test_connection()
    assert caught.value.status == 404


@pytest.mark.parametrize(("fault", "error", "retryable"), [
    (unauthorized(), AuthFailed, False),
    (Fault(status=403), AuthFailed, False),
    (rejected(), Rejected, False),
    (rate_limited("7"), RateLimited, True),
    (server_error(500), ConnectionFailed, True),
    (server_error(503), ConnectionFailed, True),
    (rate_limited("30", status=503), RateLimited, True),
])
def test_failures_map_to_what_the_caller_should_do(credly, fault, error, retryable):
    credly.fail_next(fault)
    with pytest.raises(error) as caught:
        client_for(credly).issue(make_payload(options=TEMPLATE))
    assert type(caught.value) is error
    assert should_retry(caught.value) is retryable
    if isinstance(caught.value, RateLimited):
        assert caught.value.retry_after == float(fault.headers["Retry-After"])
    assert credly.badges == {}


def test_validation_errors_are_rejected_with_the_registry_message(credly):
    with pytest.raises(Rejected) as caught:
        client_for(credly).issue(make_payload(options={"badge_template_id": "unknown"}))
    assert caught.value.status == 422
    assert "badge_template_id" in caught.value.body


def test_a_duplicate_badge_is_not_created_twice_and_the_first_is_returned(credly):
    first = client_for(credly).issue(make_payload(options=TEMPLATE))
    again = client_for(credly).issue(make_payload(options=TEMPLATE, idempotency_key="another-key"))
    assert again.external_id == first.external_id
    assert "already issued" in again.response_summary
    assert len(credly.badges) == 1


def test_a_lost_response_resent_to_credly_ignoring_keys_finds_the_badge(strict_credly):
    """Credly does not honour Idempotency-Key: the resent issue is refused as a duplicate."""
    strict_credly.fail_next(lost_response(5.0))
    client = client_for(strict_credly, timeout=FAST_TIMEOUT)
    with pytest.raises(ConnectionFailed):
        client.issue(make_payload(options=TEMPLATE))
    [badge_id] = strict_credly.badges  # processed, the answer lost
    result = client.issue(make_payload(options=TEMPLATE))  # the engine's retry, same key

    assert result.external_id == badge_id
    assert "already issued" in result.response_summary
    assert len(strict_credly.badges) == 1
    assert strict_credly.attempts["microcred-delivery-41"] == 2
    assert strict_credly.accepted["microcred-delivery-41"] == 1  # the retry created nothing
    lookup = strict_credly.requests[-1]
    assert (lookup.method, lookup.path) == ("GET", "/v1/organizations/org-7c1e/badges")
    assert lookup.query == {
        "filter": ["recipient_email::alice@example.com|badge_template_id::tmpl-data-trade"]}
    assert lookup.idempotency_key is None  # a read


def test_a_duplicate_is_found_whatever_the_email_case(strict_credly):
    first = client_for(strict_credly).issue(make_payload(options=TEMPLATE))
    again = client_for(strict_credly).issue(
        make_payload(options=TEMPLATE, recipient_email="Alice@Example.COM"))
    assert again.external_id == first.external_id
    assert len(strict_credly.badges) == 1


def test_a_validation_error_is_still_rejected_without_a_lookup(strict_credly):
    with pytest.raises(Rejected) as caught:
        client_for(strict_credly).issue(make_payload(options={"badge_template_id": "unknown"}))
    assert caught.value.status == 422
    assert "is invalid" in caught.value.body
    assert [r.method for r in strict_credly.requests] == ["POST"]


def test_a_duplicate_refusal_without_a_badge_to_find_stays_rejected(strict_credly):
    strict_credly.fail_next(rejected(422, body=DUPLICATE))
    with pytest.raises(Rejected) as caught:
        client_for(strict_credly).issue(make_payload(options=TEMPLATE))
    assert "already has this badge" in caught.value.body
    assert [r.method for r in strict_credly.requests] == ["POST", "GET"]
    assert strict_credly.badges == {}


def test_a_revoked_badge_is_never_taken_for_a_new_issue(strict_credly):
    client = client_for(strict_credly)
    issued = client.issue(make_payload(options=TEMPLATE))
    client.revoke(revoke_payload(external_id=issued.external_id, options=TEMPLATE))
    with pytest.raises(Rejected, match="422"):  # the template refuses duplicates, even revoked
        client.issue(make_payload(options=TEMPLATE, idempotency_key="microcred-delivery-77",
                                  credential_uuid="5d1e0b7a-0000-4000-8000-000000000077"))
    assert len(strict_credly.badges) == 1


def test_a_failed_lookup_is_retryable(strict_credly):
    strict_credly.fail_next(rejected(422, body=DUPLICATE), server_error(503))
    with pytest.raises(ConnectionFailed):
        client_for(strict_credly).issue(make_payload(options=TEMPLATE))


def test_revoking_twice_counts_as_done(strict_credly):
    client = client_for(strict_credly)
    issued = client.issue(make_payload(options=TEMPLATE))
    first = client.revoke(revoke_payload(external_id=issued.external_id, options=TEMPLATE))
    again = client.revoke(revoke_payload(external_id=issued.external_id, options=TEMPLATE))

    assert first.response_summary.endswith("(revoked)")
    assert again.external_id == issued.external_id
    assert "already revoked" in again.response_summary
    assert strict_credly.badges[issued.external_id]["state"] == "revoked"
    assert [(r.method, r.path.rsplit("/", 1)[-1]) for r in strict_credly.requests[-3:]] == [
        ("PUT", "revoke"), ("PUT", "revoke"), ("GET", "badges")]


def test_a_revoke_whose_answer_was_lost_is_done_when_resent(strict_credly):
    client = client_for(strict_credly, timeout=FAST_TIMEOUT)
    issued = client.issue(make_payload(options=TEMPLATE))
    strict_credly.fail_next(lost_response(5.0))
    payload = revoke_payload(external_id=issued.external_id, options=TEMPLATE)
    with pytest.raises(ConnectionFailed):
        client.revoke(payload)
    assert "already revoked" in client.revoke(payload).response_summary


def test_a_revoke_refused_for_another_reason_stays_rejected(strict_credly):
    client = client_for(strict_credly)
    issued = client.issue(make_payload(options=TEMPLATE))
    strict_credly.fail_next(rejected(422, match="PUT"))
    with pytest.raises(Rejected):
        client.revoke(revoke_payload(external_id=issued.external_id, options=TEMPLATE))
    assert strict_credly.requests[-1].method == "GET"  # looked up: the badge is not revoked
    assert strict_credly.badges[issued.external_id]["state"] == "pending"
    with pytest.raises(Rejected) as caught:  # no such badge: 404, no lookup
        client.revoke(revoke_payload(external_id="no-such-badge", options=TEMPLATE))
    assert caught.value.status == 404
    assert strict_credly.requests[-1].method == "PUT"


def test_slow_credly_times_out_quickly(credly):
    credly.fail_next(slow(5.0))
    started = time.monotonic()
    with pytest.raises(ConnectionFailed):
        client_for(credly, timeout=FAST_TIMEOUT).issue(make_payload(options=TEMPLATE))
    assert time.monotonic() - started < 2.0


def test_unreachable_credly_is_connection_failed(credly, refused_url):
    with pytest.raises(ConnectionFailed):
        client_for(credly, base_url=refused_url, timeout=FAST_TIMEOUT).issue(
            make_payload(options=TEMPLATE))


def test_every_attempt_carries_the_same_idempotency_key(credly, session):
    credly.fail_next(server_error(502), rate_limited("1"))
    client = client_for(credly, session=session)
    outcomes = []
    for _ in range(3):  # what the delivery engine does across retries
        try:
            outcomes.append(client.issue(make_payload(options=TEMPLATE)))
        except (ConnectionFailed, RateLimited) as error:
            outcomes.append(error)
    assert [type(o).__name__ for o in outcomes] == \
        ["ConnectionFailed", "RateLimited", "DeliveryResult"]
    assert [r.idempotency_key for r in credly.requests] == ["microcred-delivery-41"] * 3
    assert credly.attempts["microcred-delivery-41"] == 3
    assert credly.accepted["microcred-delivery-41"] == 1


def test_a_lost_response_retried_with_its_key_creates_one_badge(credly):
    credly.fail_next(lost_response(5.0))
    client = client_for(credly, timeout=FAST_TIMEOUT)
    with pytest.raises(ConnectionFailed):
        client.issue(make_payload(options=TEMPLATE))
    result = client.issue(make_payload(options=TEMPLATE))
    assert [result.external_id] == list(credly.badges)
    assert credly.accepted["microcred-delivery-41"] == 1


def test_hosts_follow_the_sandbox_option():
    base = {"organization_id": "o"}
    assert CredlyClient(secret="t", options=base).base_url == PRODUCTION_URL
    assert CredlyClient(secret="t", options={**base, "sandbox": True}).base_url == SANDBOX_URL
    assert CredlyClient(base_url="http://127.0.0.1:1", secret="t", options={
        **base, "sandbox": True}).base_url == "http://127.0.0.1:1"


def test_missing_configuration_fails_before_any_request(credly):
    with pytest.raises(Misconfigured, match="organization_id"):
        CredlyClient(base_url=credly.url, secret="t", options={})
    with pytest.raises(Misconfigured, match="token"):
        CredlyClient(base_url=credly.url, secret="", options={"organization_id": "o"})
    with pytest.raises(Misconfigured, match="badge_template_id"):
        client_for(credly).issue(make_payload(options={}))
    with pytest.raises(Rejected, match="nothing to revoke"):
        client_for(credly).revoke(revoke_payload(external_id=None))
    assert credly.requests == []


def test_the_token_never_shows(credly):
    echoed = "credly-org-token-5f2a " + base64.b64encode(b"credly-org-token-5f2a:").decode()
    credly.fail_next(Fault(status=401, body={"data": {"message": f"bad token {echoed}"}}))
    client = client_for(credly)
    with pytest.raises(AuthFailed) as caught:
        client.issue(make_payload(options=TEMPLATE))
    shown = " ".join([repr(client), str(vars(client)), repr(caught.value), str(caught.value),
                      caught.value.body or ""])
    assert "credly-org-token-5f2a" not in shown
    assert base64.b64encode(b"credly-org-token-5f2a:").decode() not in shown


@pytest.mark.parametrize(("name", "given", "family", "expected"), [
    ("Alice Liddell", None, None, ("Alice", "Liddell")),
    ("Ada King  Lovelace", None, None, ("Ada King", "Lovelace")),
    ("张三", None, None, ("张三", "张三")),
    ("张三", "三", "张", ("三", "张")),
    ("Whatever", " Grace ", "Hopper", ("Grace", "Hopper")),
])
def test_split_name(name, given, family, expected):
    assert split_name(name, given=given, family=family) == expected


def test_a_learner_without_a_name_is_rejected():
    with pytest.raises(Rejected):
        split_name("   ")


def test_a_pasted_api_root_is_tolerated(credly):
    client = client_for(credly, base_url=credly.url + "/v1/")
    client.test_connection()
    assert credly.requests[-1].path == "/v1/organizations/org-7c1e"
