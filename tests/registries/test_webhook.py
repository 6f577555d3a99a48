"""Signed webhooks: the request, the signature recipe, replay protection, failures."""
from __future__ import annotations

import hashlib
import hmac
import json
import re
import textwrap
import time
from pathlib import Path

import pytest

from openedx_microcred.registries import (
    AuthFailed,
    ConnectionFailed,
    Misconfigured,
    RateLimited,
    Rejected,
    WebhookClient,
    sign_webhook,
    verify_webhook_signature,
)

from .conftest import FAST_TIMEOUT, SIGNED_CREDENTIAL, make_payload, revoke_payload
from .fakes import lost_response, rate_limited, server_error, slow

SECRET = "whsec-0123456789abcdef"
NOW = 1_760_000_000


def client_for(fake, **kwargs) -> WebhookClient:
    return WebhookClient(base_url=kwargs.pop("base_url", fake.url + "/hooks/microcred?tenant=7"),
                         secret=kwargs.pop("secret", fake.secret),
                         options=kwargs.pop("options", {}), **kwargs)


def test_issue_posts_a_signed_event(receiver):
    result = client_for(receiver).issue(make_payload())

    [sent] = receiver.requests
    assert (sent.method, sent.path, sent.query) == ("POST", "/hooks/microcred", {"tenant": ["7"]})
    assert sent.headers["Content-Type"] == "application/json; charset=utf-8"
    assert sent.headers["Idempotency-Key"] == "microcred-delivery-41"
    assert sent.headers["X-Microcred-Event"] == "credential.issued"
    timestamp = sent.headers["X-Microcred-Timestamp"]
    assert abs(int(timestamp) - time.time()) < 5
    expected = hmac.new(SECRET.encode(), f"{timestamp}.".encode() + sent.body,
                        hashlib.sha256).hexdigest()
    assert sent.headers["X-Microcred-Signature"] == f"v1={expected}"
    assert verify_webhook_signature(SECRET, sent.body, timestamp,
                                    sent.headers["X-Microcred-Signature"])
    assert sent.json == {
        "event": "credential.issued",
        "id": "microcred-delivery-41",
        "occurred_at": "2025-09-01T10:00:00Z",
        "program_id": "ecnu-digital-trade",
        "credential_uuid": "0b4c6bde-8d8f-4d83-a7f5-5b3c1e5c11aa",
        "verification_url": "https://lms.example.com/microcred/verify/0b4c6bde/",
        "credential": SIGNED_CREDENTIAL,
        "clr": None,
    }
    assert "alice@example.com" not in sent.body.decode()  # no plain email leaves
    assert receiver.events == [sent.json]
    assert result.external_id is None
    assert result.response_summary == "webhook answered HTTP 200"


def test_revoke_posts_the_reason(receiver):
    client_for(receiver).revoke(revoke_payload(external_id=None))
    event = receiver.requests[-1].json
    assert event["event"] == "credential.revoked"
    assert event["reason"] == "Academic misconduct"
    assert event["occurred_at"] == "2026-01-15T08:30:00Z"
    assert receiver.requests[-1].headers["X-Microcred-Event"] == "credential.revoked"


def test_the_body_is_compact_sorted_utf8_json(receiver):
    client_for(receiver).issue(make_payload(program_id="数字贸易"))
    body = receiver.requests[-1].body
    assert "数字贸易".encode() in body
    document = json.loads(body)
    assert body == json.dumps(document, ensure_ascii=False, separators=(",", ":"),
                              sort_keys=True).encode()


def test_test_connection_sends_a_signed_ping(receiver):
    client_for(receiver).test_connection()
    ping = receiver.requests[-1]
    assert ping.json["event"] == "ping"
    assert ping.idempotency_key == ping.json["id"]
    assert receiver.accepted[ping.idempotency_key] == 1


def test_a_receiver_with_another_secret_refuses_the_delivery(receiver):
    with pytest.raises(AuthFailed) as caught:
        client_for(receiver, secret="whsec-not-the-right-one").issue(make_payload())
    assert caught.value.status == 401
    assert receiver.events == []


def test_a_lost_response_retried_with_its_key_is_received_once(receiver):
    receiver.fail_next(lost_response(5.0))
    client = client_for(receiver, timeout=FAST_TIMEOUT)
    with pytest.raises(ConnectionFailed):
        client.issue(make_payload())
    client.issue(make_payload())
    first, second = receiver.requests
    assert first.idempotency_key == second.idempotency_key == "microcred-delivery-41"
    assert first.json["id"] == second.json["id"]
    assert len(receiver.events) == 1
    assert receiver.accepted["microcred-delivery-41"] == 1


@pytest.mark.parametrize(("fault", "error"), [
    (server_error(500), ConnectionFailed),
    (server_error(502), ConnectionFailed),
    (rate_limited("3"), RateLimited),
    (server_error(410), Rejected),
])
def test_receiver_failures_map_to_what_the_caller_should_do(receiver, fault, error):
    receiver.fail_next(fault)
    with pytest.raises(error):
        client_for(receiver).issue(make_payload())


def test_timeouts_and_refused_connections(receiver, refused_url):
    receiver.fail_next(slow(5.0))
    started = time.monotonic()
    with pytest.raises(ConnectionFailed):
        client_for(receiver, timeout=FAST_TIMEOUT).issue(make_payload())
    assert time.monotonic() - started < 2.0
    with pytest.raises(ConnectionFailed):
        client_for(receiver, base_url=refused_url, timeout=FAST_TIMEOUT).issue(make_payload())


def test_configuration_is_checked():
    with pytest.raises(Misconfigured, match="at least 16"):
        WebhookClient(base_url="https://hooks.example.com", secret="short", options={})
    with pytest.raises(Misconfigured, match="https"):
        WebhookClient(base_url="http://hooks.example.com", secret=SECRET, options={})
    WebhookClient(base_url="http://hooks.internal", secret=SECRET,
                  options={"allow_insecure_http": True})


def test_the_secret_and_url_query_never_show(receiver):
    client = client_for(receiver, base_url=receiver.url + "/h?key=QUERY-TOKEN-1",
                        secret="whsec-not-the-right-one")
    with pytest.raises(AuthFailed) as caught:
        client.issue(make_payload())
    shown = " ".join([repr(client), str(vars(client)), repr(caught.value), str(caught.value)])
    assert "whsec-not-the-right-one" not in shown
    assert "QUERY-TOKEN-1" not in shown


# verify_webhook_signature: what receivers rely on ----------------------------------------


def signed(body: bytes = b'{"event":"credential.issued"}', timestamp: int = NOW,
           secret: str = SECRET) -> tuple[bytes, str, str]:
    return body, str(timestamp), sign_webhook(secret, str(timestamp), body)


def test_a_fresh_authentic_request_verifies():
    body, timestamp, signature = signed()
    assert verify_webhook_signature(SECRET, body, timestamp, signature, now=NOW + 299)
    assert verify_webhook_signature(SECRET.encode(), body, timestamp, signature, now=NOW)


def test_a_tampered_body_or_timestamp_fails():
    body, timestamp, signature = signed()
    assert not verify_webhook_signature(SECRET, body + b" ", timestamp, signature, now=NOW)
    assert not verify_webhook_signature(SECRET, body.replace(b"issued", b"revoked"), timestamp,
                                        signature, now=NOW)
    assert not verify_webhook_signature(SECRET, body, str(NOW + 1), signature, now=NOW)
    assert not verify_webhook_signature("whsec-another-secret-0000", body, timestamp, signature,
                                        now=NOW)


def test_an_old_or_future_timestamp_fails_replay_protection():
    body, timestamp, signature = signed()
    assert not verify_webhook_signature(SECRET, body, timestamp, signature, now=NOW + 301)
    assert not verify_webhook_signature(SECRET, body, timestamp, signature, now=NOW - 301)
    assert verify_webhook_signature(SECRET, body, timestamp, signature, now=NOW + 3000,
                                    tolerance=3600)


@pytest.mark.parametrize(("timestamp", "signature"), [
    ("", "v1=00"), ("17e8", "v1=00"), ("-5", "v1=00"), ("١٢٣", "v1=00"),
    (str(NOW), ""), (str(NOW), "v0=abc"), (str(NOW), "garbage"), (str(NOW), "v1=é"),
])
def test_malformed_headers_fail_without_raising(timestamp, signature):
    assert verify_webhook_signature(SECRET, b"{}", timestamp, signature, now=NOW) is False


def test_several_signatures_accept_any_match_during_rotation():
    body, timestamp, signature = signed()
    old = sign_webhook("whsec-old-secret-00000000", timestamp, body)
    assert verify_webhook_signature(SECRET, body, timestamp, f"{old}, {signature}", now=NOW)
    assert not verify_webhook_signature(SECRET, body, timestamp, old, now=NOW)


def documented_verify():
    """The ``verify`` recipe of docs/registries.rst, executed as written."""
    docs = Path(__file__).resolve().parents[2] / "docs" / "registries.rst"
    blocks = re.findall(r"\.\. code-block:: python\n\n((?:   .*\n|\n)+)", docs.read_text())
    [recipe] = [block for block in blocks if "def verify(" in block]
    namespace: dict = {}
    exec(textwrap.dedent(recipe), namespace)  # noqa: S102 - our own documentation
    return namespace["verify"]


def test_the_documented_receiver_recipe_verifies_real_deliveries(receiver):
    verify = documented_verify()
    client_for(receiver).issue(make_payload())
    sent = receiver.requests[-1]
    timestamp, signature = sent.headers["X-Microcred-Timestamp"], sent.headers[
        "X-Microcred-Signature"]
    assert verify(receiver.secret, sent.body, timestamp, signature)
    assert not verify(receiver.secret, sent.body + b"\n", timestamp, signature)
    assert not verify("whsec-another-secret-0000", sent.body, timestamp, signature)
    assert not verify(receiver.secret, sent.body, str(int(timestamp) - 301), signature)
    assert not verify(receiver.secret, sent.body, "", signature)


# Malformed input of every kind is False, never an exception ---------------------------------

MALFORMED_ARGUMENTS = [
    pytest.param({"timestamp": "9" * 5000}, id="5000-digit timestamp"),
    pytest.param({"timestamp": "1" * 13}, id="13-digit timestamp"),
    pytest.param({"timestamp": NOW}, id="int timestamp"),
    pytest.param({"timestamp": None}, id="None timestamp"),
    pytest.param({"timestamp": str(NOW).encode()}, id="bytes timestamp"),
    pytest.param({"signature": None}, id="None signature"),
    pytest.param({"signature": b"v1=00"}, id="bytes signature"),
    pytest.param({"signature": ["v1=00"]}, id="list signature"),
    pytest.param({"signature": "v1=" + "0" * 5000}, id="oversized signature"),
    pytest.param({"body": "{}"}, id="str body"),
    pytest.param({"body": None}, id="None body"),
    pytest.param({"body": 12}, id="int body"),
    pytest.param({"secret": ""}, id="empty secret"),
    pytest.param({"secret": b""}, id="empty bytes secret"),
    pytest.param({"secret": None}, id="None secret"),
    pytest.param({"secret": 1234}, id="int secret"),
    pytest.param({"tolerance": "300"}, id="str tolerance"),
    pytest.param({"tolerance": float("nan")}, id="NaN tolerance"),
    pytest.param({"tolerance": -1}, id="negative tolerance"),
    pytest.param({"now": "now"}, id="str now"),
    pytest.param({"now": float("inf")}, id="infinite now"),
]


@pytest.mark.parametrize("override", MALFORMED_ARGUMENTS)
def test_malformed_arguments_are_false_not_an_exception(override):
    body, timestamp, signature = signed()
    arguments = {"secret": SECRET, "body": body, "timestamp": timestamp, "signature": signature,
                 "tolerance": 300, "now": NOW, **override}
    assert verify_webhook_signature(
        arguments["secret"], arguments["body"], arguments["timestamp"], arguments["signature"],
        tolerance=arguments["tolerance"], now=arguments["now"]) is False


def test_the_same_arguments_well_formed_verify():
    """The fixture of the malformed cases is itself valid: each case fails for its own reason."""
    body, timestamp, signature = signed()
    assert verify_webhook_signature(SECRET, body, timestamp, signature, tolerance=300, now=NOW)
    assert verify_webhook_signature(SECRET, bytearray(body), timestamp, signature, now=NOW)


def test_an_empty_secret_never_verifies_a_signature_made_with_it():
    body = b'{"event":"credential.issued"}'
    forged = "v1=" + hmac.new(b"", f"{NOW}.".encode() + body, hashlib.sha256).hexdigest()
    assert verify_webhook_signature("", body, str(NOW), forged, now=NOW) is False
    with pytest.raises(ValueError, match="must not be empty"):
        sign_webhook("", str(NOW), body)


@pytest.mark.parametrize("override", MALFORMED_ARGUMENTS[:16])
def test_the_documented_recipe_is_false_for_malformed_input(override):
    verify = documented_verify()
    body, timestamp, signature = signed(timestamp=int(time.time()))
    arguments = {"secret": SECRET, "body": body, "timestamp": timestamp, "signature": signature,
                 **override}
    assert verify(arguments["secret"], arguments["body"], arguments["timestamp"],
                  arguments["signature"]) is False
    assert verify(SECRET, body, timestamp, signature) is True
