"""
The errors of the registry clients: one hierarchy, sorted by what the caller should do.

- ``ConnectionFailed`` (retryable): network error, timeout, HTTP 408 and 5xx (a 503 without
  ``Retry-After``), a 2xx whose body cannot be read.
- ``RateLimited`` (retryable): HTTP 429, and 503 with ``Retry-After``; ``retry_after`` holds the
  wait the registry asked for.
- ``Conflict`` (retryable): HTTP 409, the registry is busy with the same resource.
- ``AuthFailed`` (not retried): HTTP 401/403 or a refused OAuth grant; the operator must fix the
  credentials.
- ``Rejected`` (not retried): every other 4xx (400, 404, 410, 422…) and redirects; the request
  itself is wrong and would fail again.
- ``Misconfigured`` (not retried): raised before any request, for a missing or invalid registry
  or programme option (organisation id, badge template…).

``error_for_response`` is THE mapping from an HTTP response to one of these classes; the
decision to retry lives in ``retry.should_retry``. DO NOT put a secret (token, API key, password,
``Authorization`` header) in a message: errors are logged, stored on delivery rows and shown in
the admin. Bodies are kept as bounded excerpts, with known secrets masked by the client and the
values of secret-looking JSON keys (``access_token``, ``password``…) masked here.

The registry's own words are what an operator needs to act on a refusal (Credly's
``"issued_to_last_name": "is too long (maximum is 40 characters)"``), so ``str(error)`` ends with
``registry said: <excerpt>``: one line of at most ``REASON_LIMIT`` characters drawn from the
body. That string is what the delivery engine stores in ``Delivery.last_error``, what the admin
shows and what the clients log.
"""
from __future__ import annotations

import email.utils
import html
import json
import math
import re
import time
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:  # pragma: no cover
    import requests

__all__ = [
    "BODY_EXCERPT_LIMIT",
    "REASON_LIMIT",
    "AuthFailed",
    "Conflict",
    "ConnectionFailed",
    "Misconfigured",
    "RateLimited",
    "RegistryError",
    "Rejected",
    "body_excerpt",
    "body_mentions",
    "body_reason",
    "error_for_response",
    "parse_retry_after",
    "redact",
]

#: The most characters of a response body an error keeps.
BODY_EXCERPT_LIMIT = 500
#: The most characters of the body shown in an error's message (``str(error)``).
REASON_LIMIT = 300
#: JSON keys whose values are masked in kept bodies, whatever the registry echoes back.
SECRET_KEY_PATTERN = re.compile(
    r"token|secret|password|passwd|api[_-]?key|authori[sz]ation|cookie|session|signature",
    re.IGNORECASE)
_TAGS = re.compile(r"<[^<>]{0,1000}>")
_SPACES = re.compile(r"\s+")

REDACTED = "[redacted]"

#: Response headers that name the request on the registry's side (first one present wins).
REQUEST_ID_HEADERS = ("Request-Id", "X-Request-Id", "X-Amzn-RequestId", "X-Amzn-Trace-Id")

#: Response headers never kept on an error (they may carry session secrets).
DROPPED_HEADERS = frozenset({"set-cookie", "authorization", "proxy-authorization"})


class RegistryError(Exception):
    """Base class of every registry client error.

    ``status`` is the HTTP status (``None`` when no response arrived), ``body`` a bounded excerpt
    of the response body, ``headers`` the response headers (cookies dropped), ``request_id`` the
    registry's id of the request when it sent one. ``retryable`` tells the delivery engine whether
    the same request may succeed later (see ``retry.should_retry``).
    """

    retryable: ClassVar[bool] = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        body: str | None = None,
        headers: Mapping[str, str] | None = None,
        request_id: str | None = None,
    ):
        self.message = message
        self.status = status
        self.body = body_excerpt(body) if body is not None else None
        self.headers = {name: value for name, value in (headers or {}).items()
                        if name.lower() not in DROPPED_HEADERS}
        self.request_id = request_id
        super().__init__(message)

    def __str__(self) -> str:
        details = [f"HTTP {self.status}"] if self.status is not None else []
        if self.request_id:
            details.append(f"request id {self.request_id}")
        text = f"{self.message} ({', '.join(details)})" if details else self.message
        reason = body_reason(self.body or "")  # the registry's words, one bounded line
        return f"{text}; registry said: {reason}" if reason else text

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(message={self.message!r}, status={self.status!r}, "
                f"request_id={self.request_id!r})")

    def __reduce__(self):
        # Keyword-only fields survive pickling (Celery stores and re-raises task exceptions).
        return _restore, (type(self), self.message, dict(self.__dict__))


class ConnectionFailed(RegistryError):
    """The registry could not be reached or failed on its side (network, timeout, 5xx, 408).

    A timeout after the request was sent does not mean it was not processed: retry with the
    same idempotency key.
    """

    retryable = True


class RateLimited(RegistryError):
    """The registry asks to slow down (429, or 503 with ``Retry-After``).

    ``retry_after`` is the wait in seconds the registry asked for, ``None`` when it did not say.
    """

    retryable = True

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        status: int | None = None,
        body: str | None = None,
        headers: Mapping[str, str] | None = None,
        request_id: str | None = None,
    ):
        super().__init__(message, status=status, body=body, headers=headers, request_id=request_id)
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return f"{super().__repr__()[:-1]}, retry_after={self.retry_after!r})"


class Conflict(RegistryError):
    """HTTP 409: the registry is processing a conflicting request for the same resource.

    Retryable: with the same idempotency key, a later attempt returns the first one's result.
    """

    retryable = True


class AuthFailed(RegistryError):
    """HTTP 401/403 or a refused OAuth grant: the operator must fix the credentials. No retry."""


class Rejected(RegistryError):
    """The registry refused the request itself (400, 404, 422, …): sending it again cannot help."""


class Misconfigured(RegistryError):
    """A registry or programme option is missing or invalid; raised before any request is sent."""


def _restore(cls: type[RegistryError], message: str, state: dict) -> RegistryError:
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    return error


def body_excerpt(body: str, limit: int = BODY_EXCERPT_LIMIT) -> str:
    """``body`` cut to ``limit`` characters (an ellipsis marks the cut)."""
    return body if len(body) <= limit else body[:limit] + "…"


def body_reason(body: str, limit: int = REASON_LIMIT) -> str:
    """``body`` as one line for a message: HTML tags dropped, whitespace collapsed, at most
    ``limit`` characters (an ellipsis marks the cut)."""
    if "<" in body and ">" in body:
        body = html.unescape(_TAGS.sub(" ", body))
    return body_excerpt(_SPACES.sub(" ", body).strip(), limit)


def scrub_body(text: str) -> str:
    """A JSON body compacted, with the values of secret-looking keys masked; other text as is.

    Compact JSON keeps more of the registry's words within the excerpt's bound.
    """
    try:
        document = json.loads(text)
    except ValueError:
        return text
    return json.dumps(_scrubbed(document), ensure_ascii=False, separators=(",", ":"))


def _scrubbed(value: object) -> object:
    if isinstance(value, dict):
        return {key: REDACTED if isinstance(key, str) and SECRET_KEY_PATTERN.search(key)
                and isinstance(value[key], str | int) else _scrubbed(value[key])
                for key in value}
    if isinstance(value, list):
        return [_scrubbed(item) for item in value]
    return value


def body_mentions(error: RegistryError, *phrases: str) -> bool:
    """Whether the error's body excerpt contains one of ``phrases`` (case-insensitive).

    For recognising one documented refusal among the answers of a status (a duplicate among
    the 422s); the caller must confirm what the body suggests before acting on it.
    """
    body = (error.body or "").lower()
    return any(phrase.lower() in body for phrase in phrases)


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every occurrence of each (non-trivial) secret replaced by ``[redacted]``."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, REDACTED)
    return text


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """The wait in seconds a ``Retry-After`` header asks for, ``None`` when absent or unreadable.

    Both forms of RFC 9110 §10.2.3 are read: delay-seconds (``"120"``) and an HTTP-date
    (``"Wed, 21 Oct 2015 07:28:00 GMT"``, relative to ``now``, a Unix time, default the clock).
    A date in the past gives 0.
    """
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(seconds, 0.0) if math.isfinite(seconds) else None
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:  # an HTTP-date is always GMT
        return None
    reference = time.time() if now is None else now
    return max(moment.timestamp() - reference, 0.0)


def error_for_response(
    response: requests.Response, *, secrets: Iterable[str] = ()
) -> RegistryError | None:
    """The error a response stands for, or ``None`` for a 2xx.

    The single status -> exception mapping (see the module docstring). The message names the
    method and path (never the query string or host credentials); ``secrets`` are masked in
    the body excerpt.
    """
    status = response.status_code
    if 200 <= status < 300:
        return None
    secrets = list(secrets)
    request = response.request
    method = request.method if request is not None else "?"
    path = _path(request.path_url) if request is not None else "?"
    reason = f" {response.reason}" if response.reason else ""
    message = redact(f"{method} {path} answered {status}{reason}", secrets)
    request_id = next((response.headers[h] for h in REQUEST_ID_HEADERS if response.headers.get(h)),
                      None)
    # Mask first: no half-secret at the cut.
    body = body_excerpt(redact(scrub_body(_text(response)), secrets))
    headers = dict(response.headers.items())

    def build(cls: type[RegistryError], text: str = message) -> RegistryError:
        return cls(text, status=status, body=body, headers=headers, request_id=request_id)

    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    if status == 429 or (status == 503 and retry_after is not None):
        return RateLimited(message, retry_after=retry_after, status=status, body=body,
                           headers=headers, request_id=request_id)
    if status == 408 or status >= 500:
        return build(ConnectionFailed)
    if status == 409:
        return build(Conflict)
    if status in (401, 403):
        return build(AuthFailed)
    if 300 <= status < 400:
        return build(Rejected, f"{message}: redirects are not followed (check the registry URL)")
    return build(Rejected)


def _path(path_url: str) -> str:
    """The path of a request, without its query string (which may carry tokens)."""
    return path_url.split("?", 1)[0] or "/"


def _text(response: requests.Response) -> str:
    try:
        return response.text
    except Exception:  # an unreadable body is just not shown
        return ""
