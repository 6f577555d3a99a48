"""The status -> exception mapping, Retry-After parsing, and what errors may show."""
from __future__ import annotations

import copy
import email.utils

import pytest
import requests

from openedx_microcred.registries import errors
from openedx_microcred.registries.errors import (
    AuthFailed,
    Conflict,
    ConnectionFailed,
    RateLimited,
    RegistryError,
    Rejected,
    error_for_response,
    parse_retry_after,
)

NOW = 1_760_000_000.0


URL = "https://api.example.com/v1/things?token=s3cr3t-query"


def response(status: int, body: str = "", headers: dict | None = None,
             url: str = URL) -> requests.Response:
    """A received response as ``requests`` builds it (no network needed for a pure mapping)."""
    prepared = requests.Request("POST", url).prepare()
    result = requests.Response()
    result.status_code = status
    result.reason = "Reason"
    result._content = body.encode()
    result.headers = requests.structures.CaseInsensitiveDict(headers or {})
    result.request = prepared
    result.url = url
    return result


@pytest.mark.parametrize(("status", "expected"), [
    (200, None), (201, None), (204, None),
    (301, Rejected), (302, Rejected), (307, Rejected),
    (400, Rejected), (404, Rejected), (405, Rejected), (410, Rejected), (413, Rejected),
    (422, Rejected),
    (401, AuthFailed), (403, AuthFailed),
    (408, ConnectionFailed),
    (409, Conflict),
    (429, RateLimited),
    (500, ConnectionFailed), (501, ConnectionFailed), (502, ConnectionFailed),
    (503, ConnectionFailed), (504, ConnectionFailed),
])
def test_status_maps_to_one_error_class(status, expected):
    error = error_for_response(response(status))
    if expected is None:
        assert error is None
    else:
        assert type(error) is expected
        assert error.status == status


def test_503_with_retry_after_is_rate_limited():
    error = error_for_response(response(503, headers={"Retry-After": "12"}))
    assert isinstance(error, RateLimited)
    assert error.retry_after == 12.0


def test_429_carries_retry_after_and_none_without_it():
    assert error_for_response(response(429, headers={"Retry-After": "7"})).retry_after == 7.0
    assert error_for_response(response(429)).retry_after is None


def test_retryable_flags_follow_the_spec():
    assert [cls.retryable for cls in (ConnectionFailed, RateLimited, Conflict)] == [True] * 3
    assert [cls.retryable for cls in (AuthFailed, Rejected, errors.Misconfigured)] == [False] * 3


@pytest.mark.parametrize(("value", "expected"), [
    ("7", 7.0), ("0", 0.0), (" 120 ", 120.0), ("1.5", 1.5), ("-3", 0.0),
    (None, None), ("", None), ("soon", None), ("inf", None), ("nan", None),
])
def test_parse_retry_after_seconds(value, expected):
    assert parse_retry_after(value, now=NOW) == expected


def test_parse_retry_after_http_date():
    in_30s = email.utils.formatdate(NOW + 30, usegmt=True)
    in_past = email.utils.formatdate(NOW - 600, usegmt=True)
    assert parse_retry_after(in_30s, now=NOW) == pytest.approx(30.0)
    assert parse_retry_after(in_past, now=NOW) == 0.0


def test_message_names_method_and_path_but_never_the_query_string():
    error = error_for_response(response(422))
    assert "POST /v1/things" in error.message
    assert "s3cr3t-query" not in str(error)
    assert "s3cr3t-query" not in repr(error)


def test_body_excerpt_is_bounded_and_secrets_are_masked():
    body = "token=abcd-SECRET-1234 " + "x" * 10_000
    error = error_for_response(response(500, body), secrets=["abcd-SECRET-1234"])
    assert len(error.body) <= errors.BODY_EXCERPT_LIMIT + 1
    assert "abcd-SECRET-1234" not in error.body
    assert "[redacted]" in error.body


def test_request_id_and_headers_are_kept_but_cookies_are_dropped():
    error = error_for_response(response(502, headers={
        "X-Request-Id": "req-42", "Set-Cookie": "session=secret", "Retry-After": "3"}))
    assert error.request_id == "req-42"
    assert "req-42" in str(error)
    assert "Set-Cookie" not in error.headers
    assert error.headers["Retry-After"] == "3"


def test_errors_survive_pickling_with_their_fields():
    # deepcopy goes through __reduce__, as pickle (Celery's exception transport) does
    original = RateLimited("slow down", retry_after=9.5, status=429, body="{}",
                           headers={"Retry-After": "9.5"}, request_id="r-1")
    restored = copy.deepcopy(original)
    assert type(restored) is RateLimited
    assert (restored.retry_after, restored.status, restored.request_id, str(restored)) == \
        (9.5, 429, "r-1", str(original))


def test_every_error_is_a_registry_error():
    for cls in (ConnectionFailed, RateLimited, Conflict, AuthFailed, Rejected,
                errors.Misconfigured):
        assert issubclass(cls, RegistryError)
