"""
The HTTP base of the registry clients: one ``requests.Session``, timeouts, idempotency keys,
errors mapped in one place.

Every request:

- goes through the client's session (injectable: share one per worker to reuse connections);
- has a ``(connect, read)`` timeout, and its response body is read up to ``MAX_RESPONSE_BYTES``;
- never follows redirects (a redirect would replay credentials and signatures to another URL);
- carries ``User-Agent: openedx-microcred/<version>`` and, when it changes state (POST, PUT,
  PATCH, DELETE), the caller's ``Idempotency-Key`` (the same on every attempt of a delivery); a
  POST that only reads (a registry's search endpoint, ``read_only=True``) needs none;
- maps ``requests`` exceptions (connection refused, DNS, TLS, timeouts) to ``ConnectionFailed``
  and non-2xx responses through ``errors.error_for_response``.

DO NOT log or put in an error: tokens, API keys, passwords, ``Authorization`` headers, query
strings (operators put tokens in webhook URLs). Log lines name the registry, method, path,
status, duration and idempotency key only; known secrets are masked in body excerpts.
"""
from __future__ import annotations

import json as jsonlib
import logging
import os
import re
import time
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, Protocol
from urllib.parse import quote, urlsplit

import requests

from .. import __version__
from .errors import ConnectionFailed, Misconfigured, RegistryError, error_for_response, redact
from .payload import DeliveryPayload, DeliveryResult

__all__ = [
    "DEFAULT_TIMEOUT",
    "MAX_RESPONSE_BYTES",
    "ClientFactory",
    "USER_AGENT",
    "RegistryClient",
    "Secret",
    "Timeout",
    "dumps",
    "path_segment",
    "without_suffix",
]

logger = logging.getLogger(__name__)

#: (connect, read) seconds: a connect slightly above a multiple of 3 s (the TCP retransmission
#: window), a read long enough for a registry that renders a badge image synchronously.
DEFAULT_TIMEOUT: tuple[float, float] = (3.05, 10.0)
#: The largest response body read; a bigger one fails the attempt (retryable).
MAX_RESPONSE_BYTES = 1024 * 1024
USER_AGENT = f"openedx-microcred/{__version__} (+https://github.com/openedx/openedx-microcred)"

Timeout = tuple[float, float]

STATE_CHANGING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
_QUERY = re.compile(r"\?[^\s'\")]*")
_DETAIL_LIMIT = 200


class Secret:
    """A credential that never shows in ``repr``/``str`` (client attributes reach tracebacks)."""

    __slots__ = ("_value",)

    def __init__(self, value: str):
        self._value = value

    def reveal(self) -> str:
        """The secret itself: only for building a request."""
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__


class ClientFactory(Protocol):
    """How every registry client class is constructed (what ``client_class`` returns).

    ``base_url`` ``None`` picks the registry's production host from ``options`` (required for
    webhooks); ``secret`` is the decrypted credential; ``options`` the registry-level settings.
    Raises ``Misconfigured`` for unusable settings.
    """

    def __call__(
        self,
        *,
        base_url: str | None = None,
        secret: str,
        options: Mapping[str, Any],
        session: requests.Session | None = None,
        timeout: Timeout = DEFAULT_TIMEOUT,
    ) -> RegistryClient:
        ...


def without_suffix(url: str, suffix: str) -> str:
    """``url`` without a trailing API version (``…/v1``): operators often paste the API root."""
    stripped = url.rstrip("/")
    return stripped[: -len(suffix)] if stripped.endswith(suffix) else url


def path_segment(value: object) -> str:
    """``value`` quoted as one URL path segment (an id can never add ``/`` or ``..``)."""
    return quote(str(value), safe="")


def _session_for(base_url: str) -> requests.Session:
    """A session that reads proxy and CA-bundle settings from the environment once, here.

    By default requests re-scans the whole environment on every request (``trust_env``), which
    costs more than a keep-alive round trip to a nearby registry; the settings it would find are
    the same for the life of the client.
    """
    session = requests.Session()
    session.proxies.update(requests.utils.get_environ_proxies(base_url))  # honours NO_PROXY
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle:
        session.verify = bundle
    session.trust_env = False
    return session


class RegistryClient:
    """Base of the registry clients: ``issue``, ``revoke`` and ``test_connection`` over HTTP.

    Subclasses set ``name``, build requests with ``request``/``request_json`` and add their
    credentials in ``auth_headers``. A client owns the session it created (``close`` or a
    ``with`` block releases it) and leaves an injected one open.
    """

    name: ClassVar[str] = "registry"

    def __init__(
        self,
        *,
        base_url: str,
        session: requests.Session | None = None,
        timeout: Timeout = DEFAULT_TIMEOUT,
        secrets: Iterable[str] = (),
        allow_insecure_http: bool = False,
    ):
        # The full URL may carry a token in its query string (webhooks): kept as a Secret.
        self._base_url = Secret(_check_base_url(base_url, allow_insecure_http=allow_insecure_http))
        self.timeout = _check_timeout(timeout)
        self._session = session if session is not None else _session_for(self._base_url.reveal())
        self._owns_session = session is None
        self._secrets = tuple(Secret(secret) for secret in secrets if secret)

    # The registry operations -------------------------------------------------------------

    def issue(self, payload: DeliveryPayload) -> DeliveryResult:
        """Create the learner's record on the registry; raises a ``RegistryError``."""
        raise NotImplementedError

    def revoke(self, payload: DeliveryPayload) -> DeliveryResult:
        """Revoke the record ``payload.external_id``; raises a ``RegistryError``."""
        raise NotImplementedError

    def test_connection(self) -> None:
        """Check the URL and credentials with a cheap authenticated request; raises on failure."""
        raise NotImplementedError

    def deliver(self, payload: DeliveryPayload) -> DeliveryResult:
        """``issue`` or ``revoke``, after ``payload.action``."""
        return self.issue(payload) if payload.action == "issue" else self.revoke(payload)

    # Life cycle ---------------------------------------------------------------------------

    def close(self) -> None:
        """Release the session if this client created it."""
        if self._owns_session:
            self._session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.base_url}>"

    @property
    def base_url(self) -> str:
        """The registry URL without its query string (for display and comparisons)."""
        return _display_url(self._base_url.reveal())

    # HTTP ---------------------------------------------------------------------------------

    def auth_headers(self) -> dict[str, str]:
        """The headers that authenticate a request (none by default)."""
        return {}

    def redactions(self) -> tuple[str, ...]:
        """The secret values masked in error bodies and messages."""
        return tuple(secret.reveal() for secret in self._secrets)

    def url(self, path: str) -> str:
        """``path`` joined to the base URL (an empty path is the base URL itself)."""
        base_url = self._base_url.reveal()
        if not path:
            return base_url
        return base_url.rstrip("/") + "/" + path.lstrip("/")

    def request(
        self,
        method: str,
        path: str,
        *,
        idempotency_key: str | None = None,
        json: Any = None,
        data: bytes | Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        authenticate: bool = True,
        read_only: bool = False,
    ) -> requests.Response:
        """Send one request and return its 2xx response; raise a ``RegistryError`` otherwise.

        ``idempotency_key`` is required for state-changing methods, except for an
        unauthenticated request (``authenticate=False``: an OAuth token request) and a POST that
        only reads (``read_only=True``: a registry's search endpoint).
        """
        method = method.upper()
        if method in STATE_CHANGING_METHODS and authenticate and not read_only \
                and not idempotency_key:
            raise ValueError(f"{method} requests need an idempotency key")
        url = self.url(path)
        display = f"{method} {urlsplit(url).path or '/'}"
        sent_headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if authenticate:
            sent_headers.update(self.auth_headers())
        if idempotency_key:
            sent_headers["Idempotency-Key"] = idempotency_key
        sent_headers.update(headers or {})
        started = time.monotonic()
        try:
            response = self._session.request(
                method, url, params=params, data=data, json=json, headers=sent_headers,
                timeout=self.timeout, allow_redirects=False, stream=True,
            )
            _read_bounded(response, self.name)
        except RegistryError as oversized:
            self._log(display, idempotency_key, started, error=oversized)
            raise
        except requests.RequestException as exc:
            failed = self._connection_error(display, exc)
            self._log(display, idempotency_key, started, error=failed)
            raise failed from None  # the cause's text holds the full URL
        refused = error_for_response(response, secrets=self.redactions())
        if refused is not None:
            refused.message = f"{self.name}: {refused.message}"
            refused.args = (refused.message,)
        self._log(display, idempotency_key, started, status=response.status_code, error=refused)
        if refused is not None:
            raise refused
        return response

    def request_json(self, method: str, path: str, **kwargs: Any) -> Any:
        """``request`` and its JSON body (``None`` for an empty body).

        A 2xx whose body is not JSON raises ``ConnectionFailed``: the registry (or a proxy in
        front of it) misbehaved, and a retry with the same idempotency key is safe.
        """
        response = self.request(method, path, **kwargs)
        if not response.content.strip():
            return None
        try:
            return response.json()
        except ValueError:
            raise ConnectionFailed(
                f"{self.name}: {method.upper()} answered {response.status_code} with a body that "
                "is not JSON", status=response.status_code,
                body=redact(response.text, self.redactions()),
            ) from None

    # Internals ----------------------------------------------------------------------------

    def _connection_error(self, display: str, exc: requests.RequestException) -> RegistryError:
        connect, read = self.timeout
        if isinstance(exc, requests.ConnectTimeout):
            what = f"could not connect within {connect:g} s"
        elif isinstance(exc, requests.Timeout):
            what = (f"no response within the {read:g} s read timeout (the request may have "
                    "been processed: retry with the same idempotency key)")
        elif isinstance(exc, requests.exceptions.InvalidURL | requests.exceptions.InvalidSchema
                        | requests.exceptions.MissingSchema | requests.exceptions.InvalidHeader):
            return Misconfigured(f"{self.name}: {display}: invalid request "
                                 f"({type(exc).__name__}: {self._scrub(exc)})")
        else:
            what = f"connection failed ({type(exc).__name__}: {self._scrub(exc)})"
        return ConnectionFailed(f"{self.name}: {display}: {what}")

    def _scrub(self, exc: BaseException) -> str:
        text = redact(_QUERY.sub("?[query]", str(exc)), self.redactions())
        return text if len(text) <= _DETAIL_LIMIT else text[:_DETAIL_LIMIT] + "…"

    def _log(self, display: str, key: str | None, started: float, *, status: int | None = None,
             error: RegistryError | None = None) -> None:
        elapsed = (time.monotonic() - started) * 1000
        if error is None:
            logger.info("%s: %s -> %s in %.0f ms (idempotency key %s)",
                        self.name, display, status, elapsed, key)
        else:
            logger.warning("%s: %s failed in %.0f ms (idempotency key %s): %s: %s",
                           self.name, display, elapsed, key, type(error).__name__, error)


def _read_bounded(response: requests.Response, name: str) -> None:
    """Load a streamed body, refusing more than ``MAX_RESPONSE_BYTES``."""
    chunks, size = [], 0
    for chunk in response.iter_content(chunk_size=64 * 1024):
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            response.close()
            raise ConnectionFailed(
                f"{name}: response to {response.request.method} {urlsplit(response.url).path} "
                f"is larger than {MAX_RESPONSE_BYTES} bytes", status=response.status_code)
        chunks.append(chunk)
    response._content = b"".join(chunks)


def _check_base_url(base_url: str, *, allow_insecure_http: bool) -> str:
    if not isinstance(base_url, str) or not base_url:
        raise Misconfigured("the registry URL is missing")
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Misconfigured("the registry URL must be an http(s) URL, not "
                            f"{_display_url(base_url)!r}")
    if parts.username or parts.password:
        raise Misconfigured("the registry URL must not embed credentials (use the secret)")
    if parts.scheme == "http" and not allow_insecure_http and parts.hostname not in LOOPBACK_HOSTS:
        raise Misconfigured(f"the registry URL must use https: {_display_url(base_url)!r}")
    return base_url


def _check_timeout(timeout: Timeout) -> Timeout:
    try:
        connect, read = (float(part) for part in timeout)
    except (TypeError, ValueError):
        raise ValueError(f"timeout must be a (connect, read) pair of seconds, not {timeout!r}") \
            from None
    if not (connect > 0 and read > 0):
        raise ValueError("timeouts must be positive")
    return (connect, read)


def _display_url(url: str) -> str:
    """``url`` without credentials or query string, for messages and ``repr``."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


def dumps(document: Any) -> bytes:
    """Compact, key-sorted UTF-8 JSON (what webhooks sign and send)."""
    return jsonlib.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=True,
                         allow_nan=False).encode("utf-8")
