"""The HTTP base: timeouts, refused connections, headers, sessions, redirects, size limits."""
from __future__ import annotations

import logging
import re
import time
from typing import Any

import pytest
import requests

from openedx_microcred.registries.errors import ConnectionFailed, Misconfigured, Rejected
from openedx_microcred.registries.http import (
    MAX_RESPONSE_BYTES,
    USER_AGENT,
    RegistryClient,
    Secret,
)

from .conftest import FAST_TIMEOUT
from .fakes import FakeRegistry, Recorded, Reply, Route, lost_response, slow


class EchoFake(FakeRegistry):
    """Answers ``/thing`` with JSON, ``/redirect`` with a 302, ``/huge`` with 2 MiB, ``/html``."""

    name = "echo"

    def routes(self) -> list[Route]:
        return [
            Route("GET", re.compile("/thing"), self._thing),
            Route("POST", re.compile("/thing"), self._thing),
            Route("GET", re.compile("/redirect"),
                  lambda r, p: Reply(302, None, {"Location": "/thing"})),
            Route("GET", re.compile("/huge"), lambda r, p: Reply(200, "x" * (2 * 1024 * 1024))),
            Route("GET", re.compile("/html"), lambda r, p: Reply(200, "<html>captive</html>")),
        ]

    def _thing(self, request: Recorded, params: dict[str, str]) -> Reply:
        return Reply(200, {"ok": True})


class Client(RegistryClient):
    name = "echo"

    def __init__(self, **kwargs: Any):
        self._token = Secret("tok-SECRET-0042")
        super().__init__(secrets=("tok-SECRET-0042",), **kwargs)

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token.reveal()}"}


@pytest.fixture
def echo():
    with EchoFake().running() as fake:
        yield fake


def test_every_request_has_user_agent_auth_and_timeout_bounded(echo):
    client = Client(base_url=echo.url)
    client.request_json("GET", "/thing")
    sent = echo.requests[-1]
    assert sent.headers["User-Agent"] == USER_AGENT
    assert sent.headers["Accept"] == "application/json"
    assert sent.headers["Authorization"] == "Bearer tok-SECRET-0042"
    assert "Idempotency-Key" not in sent.headers


def test_state_changing_requests_need_an_idempotency_key(echo):
    client = Client(base_url=echo.url)
    with pytest.raises(ValueError, match="idempotency key"):
        client.request("POST", "/thing", json={})
    assert echo.requests == []  # refused before sending
    client.request("POST", "/thing", json={}, idempotency_key="delivery-7")
    assert echo.requests[-1].idempotency_key == "delivery-7"


def test_a_response_slower_than_the_read_timeout_fails_fast(echo):
    echo.fail_next(slow(5.0))
    client = Client(base_url=echo.url, timeout=FAST_TIMEOUT)
    started = time.monotonic()
    with pytest.raises(ConnectionFailed, match="read timeout") as caught:
        client.request_json("GET", "/thing")
    assert time.monotonic() - started < 2.0
    assert caught.value.status is None


def test_a_lost_response_is_retryable_and_says_the_request_may_have_been_processed(echo):
    echo.fail_next(lost_response(5.0))
    with pytest.raises(ConnectionFailed, match="may have been processed"):
        Client(base_url=echo.url, timeout=FAST_TIMEOUT).request(
            "POST", "/thing", json={}, idempotency_key="k-1")
    assert echo.accepted["k-1"] == 1  # processed, answer lost


def test_connection_refused_is_connection_failed(refused_url):
    started = time.monotonic()
    with pytest.raises(ConnectionFailed, match="connection failed"):
        Client(base_url=refused_url, timeout=FAST_TIMEOUT).request_json("GET", "/thing")
    assert time.monotonic() - started < 2.0


def test_an_injected_session_reuses_one_connection_and_stays_open(echo, session):
    client = Client(base_url=echo.url, session=session)
    for _ in range(3):
        client.request_json("GET", "/thing")
    assert len({r.client_port for r in echo.requests}) == 1  # keep-alive: one TCP connection
    client.close()
    Client(base_url=echo.url, session=session).request_json("GET", "/thing")  # still usable


def test_redirects_are_not_followed(echo):
    with pytest.raises(Rejected, match="redirects are not followed"):
        Client(base_url=echo.url).request_json("GET", "/redirect")
    assert [r.path for r in echo.requests] == ["/redirect"]


def test_oversized_bodies_are_refused(echo):
    assert MAX_RESPONSE_BYTES < 2 * 1024 * 1024
    with pytest.raises(ConnectionFailed, match="larger than"):
        Client(base_url=echo.url).request_json("GET", "/huge")


def test_a_2xx_that_is_not_json_is_retryable(echo):
    with pytest.raises(ConnectionFailed, match="not JSON"):
        Client(base_url=echo.url).request_json("GET", "/html")


@pytest.mark.parametrize("url", [
    "http://registry.example.com",  # plain http off the loopback
    "ftp://127.0.0.1/x",
    "https://user:pass@registry.example.com",
    "",
    "not a url",
])
def test_bad_base_urls_are_misconfigured(url):
    with pytest.raises(Misconfigured):
        Client(base_url=url)


def test_plain_http_is_allowed_on_loopback_or_when_asked():
    Client(base_url="http://127.0.0.1:9")
    Client(base_url="http://hooks.internal", allow_insecure_http=True)


@pytest.mark.parametrize("timeout", [(0, 1), (1, -1), 5, ("a", "b")])
def test_timeouts_must_be_a_positive_pair(timeout):
    with pytest.raises(ValueError):
        Client(base_url="https://registry.example.com", timeout=timeout)


def test_repr_and_logs_never_show_secrets_or_query_strings(echo, caplog):
    caplog.set_level(logging.DEBUG, logger="openedx_microcred.registries")
    client = Client(base_url=echo.url + "/thing?token=QUERY-SECRET-9")
    client.request_json("GET", "")
    echo.fail_next(slow(5.0))
    slow_client = Client(base_url=echo.url + "/thing?token=QUERY-SECRET-9", timeout=FAST_TIMEOUT)
    with pytest.raises(ConnectionFailed) as caught:
        slow_client.request_json("GET", "")
    shown = " ".join([repr(client), str(vars(client)), repr(caught.value), str(caught.value),
                      caplog.text])
    assert "tok-SECRET-0042" not in shown
    assert "QUERY-SECRET-9" not in shown
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_connection_errors_mask_secrets_from_the_url(refused_url):
    with pytest.raises(ConnectionFailed) as caught:
        Client(base_url=refused_url + "/hook?sig=tok-SECRET-0042",
               timeout=FAST_TIMEOUT).request_json("GET", "")
    assert "tok-SECRET-0042" not in str(caught.value)


def test_own_session_is_closed_with_the_client(echo):
    with Client(base_url=echo.url) as client:
        client.request_json("GET", "/thing")
        session = client._session
    assert isinstance(session, requests.Session)
    assert not session.adapters["http://"].poolmanager.pools  # connections released
