"""
Fake registry servers: real HTTP on 127.0.0.1 (random ports), imitating each registry's
documented endpoints, authentication and error bodies.

Each fake runs a ``ThreadingHTTPServer`` (HTTP/1.1, keep-alive) in a background thread; use it as
``with FakeCredly().running() as fake:`` (the fixtures in ``conftest.py`` do). Besides the
registry's behaviour, every fake:

- records every request (``fake.requests``: method, path, query, headers, raw and JSON body,
  client port);
- honours ``Idempotency-Key`` on state-changing requests, as a well-behaved registry would: a
  repeated key (same method and path) answers the stored first response and creates nothing.
  ``fake.accepted[key]`` counts the records created under a key (exactly once = 1),
  ``fake.attempts[key]`` every request seen with it; a state-changing request without a key is
  refused with 400 (our clients must always send one);
- or, built with ``honour_idempotency_key=False`` (STRICT mode), ignores the header like the real
  Credly, Accredible and Badgr (none documents it): every request is processed, so a resent
  issue meets the registry's own duplicate rule (``accepted[key]`` then counts every 2xx);
- can be scripted per test with ``fake.fail_next(Fault(...), ...)``: faults are consumed in order
  by the next matching requests (``match`` is a substring of ``"METHOD /path"``). A fault with a
  ``status`` answers that status (the registry's documented error body by default) without
  processing; ``delay`` waits before answering (slower than a read timeout); ``delay`` with
  ``after_processing=True`` processes the request, then waits (the response is lost to a client
  that timed out, the record exists);
- ``closed_port_url()`` is a URL nothing listens on (connection refused).

Every wait is bounded and ``stop()`` releases waiting handlers at once.
"""
from __future__ import annotations

import base64
import contextlib
import itertools
import json
import re
import secrets
import socket
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from requests.structures import CaseInsensitiveDict

from openedx_microcred.registries.webhook import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    verify_webhook_signature,
)

CREDLY_TOKEN = "credly-org-token-5f2a"
ACCREDIBLE_KEY = "accredible-key-91b0"
PARCHMENT_PASSWORD = "pw-3d81c0"
PARCHMENT_CLIENT_SECRET = "client-secret-77ab"
WEBHOOK_SECRET = "whsec-0123456789abcdef"

MAX_BODY = 2 * 1024 * 1024
#: Upper bound of any scripted delay (seconds): a test can never hang on a fake.
MAX_DELAY = 10.0
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass
class Fault:
    """A scripted misbehaviour for the next matching request (see the module docstring)."""

    status: int | None = None
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    after_processing: bool = False
    match: str | None = None


def unauthorized(**kwargs: Any) -> Fault:
    return Fault(status=401, **kwargs)


def rejected(status: int = 422, **kwargs: Any) -> Fault:
    return Fault(status=status, **kwargs)


def rate_limited(retry_after: str | None = "7", status: int = 429, **kwargs: Any) -> Fault:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    return Fault(status=status, headers=headers, **kwargs)


def server_error(status: int = 500, **kwargs: Any) -> Fault:
    return Fault(status=status, **kwargs)


def slow(seconds: float, **kwargs: Any) -> Fault:
    return Fault(delay=seconds, **kwargs)


def lost_response(seconds: float, **kwargs: Any) -> Fault:
    """Process the request, then answer too late (the client has given up)."""
    return Fault(delay=seconds, after_processing=True, **kwargs)


@dataclass
class Recorded:
    """One request as the fake received it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: CaseInsensitiveDict
    body: bytes
    client_port: int

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    @property
    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}

    @property
    def idempotency_key(self) -> str | None:
        return self.headers.get("Idempotency-Key")


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Recorded, dict[str, str]], Reply]


@dataclass
class Route:
    method: str
    pattern: re.Pattern
    handler: Handler
    authenticated: bool = True
    keyed: bool = True  # state-changing and idempotent by Idempotency-Key


class FakeRegistry:
    """The server machinery shared by the fakes; subclasses declare routes and auth."""

    name = "fake"

    def __init__(self, *, honour_idempotency_key: bool = True) -> None:
        self.honour_idempotency_key = honour_idempotency_key
        self.requests: list[Recorded] = []
        self.accepted: Counter[str] = Counter()
        self.attempts: Counter[str] = Counter()
        self.lock = threading.Lock()
        self._faults: list[Fault] = []
        self._replies: dict[tuple[str, str, str], Reply] = {}
        self._release = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._routes = self.routes()

    # Life cycle -----------------------------------------------------------------------------

    def start(self) -> FakeRegistry:
        server = _Server(("127.0.0.1", 0), _RequestHandler)
        server.fake = self
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01},
                                        name=f"{self.name}-fake", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @contextlib.contextmanager
    def running(self) -> Iterator[FakeRegistry]:
        self.start()
        try:
            yield self
        finally:
            self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the fake first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # Scripting ------------------------------------------------------------------------------

    def fail_next(self, *faults: Fault) -> None:
        with self.lock:
            self._faults.extend(faults)

    def requests_to(self, method: str, path_fragment: str = "") -> list[Recorded]:
        return [r for r in self.requests if r.method == method and path_fragment in r.path]

    # To implement ---------------------------------------------------------------------------

    def routes(self) -> list[Route]:
        return []

    def authenticated(self, request: Recorded) -> bool:
        return True

    def error_body(self, status: int, message: str) -> Any:
        """The registry's documented error body for ``status``."""
        return {"error": message}

    # Dispatch -------------------------------------------------------------------------------

    def dispatch(self, request: Recorded) -> Reply | None:
        """The reply to ``request`` (``None``: the client is gone, send nothing)."""
        key = request.idempotency_key
        with self.lock:
            self.requests.append(request)
            if key:
                self.attempts[key] += 1
            fault = self._take_fault(request)
        if fault is not None and not fault.after_processing and fault.delay:
            self._wait(fault.delay)
        if fault is not None and fault.status is not None:
            message = _phrase(fault.status)
            body = fault.body if fault.body is not None else self.error_body(fault.status, message)
            return Reply(fault.status, body, dict(fault.headers))
        reply = self._route(request)
        if fault is not None and fault.after_processing:
            self._wait(fault.delay)
        return reply

    def _take_fault(self, request: Recorded) -> Fault | None:
        target = f"{request.method} {request.path}"
        for index, fault in enumerate(self._faults):
            if fault.match is None or fault.match in target:
                return self._faults.pop(index)
        return None

    def _wait(self, seconds: float) -> None:
        self._release.wait(min(seconds, MAX_DELAY))

    def _route(self, request: Recorded) -> Reply:
        for route in self._routes:
            matched = route.pattern.fullmatch(request.path)
            if route.method != request.method or not matched:
                continue
            if route.authenticated and not self.authenticated(request):
                return Reply(401, self.error_body(401, "Unauthorized"))
            if not route.keyed or request.method not in STATE_CHANGING:
                return route.handler(request, matched.groupdict())
            return self._idempotent(route, request, matched.groupdict())
        return Reply(404, self.error_body(404, "Not found"))

    def _idempotent(self, route: Route, request: Recorded, params: dict[str, str]) -> Reply:
        key = request.idempotency_key
        if not self.honour_idempotency_key:  # STRICT: the header means nothing to the registry
            with self.lock:
                reply = route.handler(request, params)
                if key and 200 <= reply.status < 300:
                    self.accepted[key] += 1
            return reply
        if not key:
            return Reply(400, self.error_body(400, "Idempotency-Key header is required"))
        slot = (key, request.method, request.path)
        with self.lock:  # one request per key at a time, like a registry's key lock
            stored = self._replies.get(slot)
            if stored is not None:
                return Reply(stored.status, stored.body, {**stored.headers,
                                                          "Idempotent-Replayed": "true"})
            reply = route.handler(request, params)
            if 200 <= reply.status < 300:
                self._replies[slot] = reply
                self.accepted[key] += 1
        return reply


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeRegistry

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that timed out or dropped a connection is part of the scenario


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body leave at once: no delayed-ACK stalls

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._send(Reply(413, {"error": "too large"}))
            return
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        request = Recorded(
            method=self.command, path=parts.path, query=parse_qs(parts.query),
            headers=CaseInsensitiveDict(self.headers.items()), body=body,
            client_port=self.client_address[1],
        )
        reply = self.server.fake.dispatch(request)  # type: ignore[attr-defined]  # _Server
        if reply is not None:
            self._send(reply)

    def _send(self, reply: Reply) -> None:
        if isinstance(reply.body, bytes | str):
            data = reply.body.encode() if isinstance(reply.body, str) else reply.body
            content_type = "text/plain; charset=utf-8"
        elif reply.body is None:
            data, content_type = b"", "application/json"
        else:
            data, content_type = json.dumps(reply.body).encode(), "application/json"
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("X-Request-Id", f"req-{uuid.uuid4().hex[:12]}")
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client timed out and left

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output quiet


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "error"


def _same_email(stored: str, asked: str) -> bool:
    """Registries match addresses case-insensitively."""
    return stored.strip().casefold() == asked.strip().casefold()


def closed_port_url() -> str:
    """An http URL on 127.0.0.1 where nothing listens (bind a port, then close it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


# Credly ------------------------------------------------------------------------------------


class FakeCredly(FakeRegistry):
    """Credly Web Service API v1 for one organisation.

    HTTP Basic auth (token as user name, empty password); ``{"data": …, "metadata": …}``
    envelopes; 422 for missing required fields, an unknown template or a duplicate badge (same
    template and email, revoked badges included). Credly's docs show the envelope but not its
    error keys: errors here are
    ``{"data": {"message": …, "errors": [{"attribute", "messages"}]}, "metadata": {}}``, a
    duplicate saying ``recipient_email`` "already has this badge".

    ``GET …/badges`` lists the organisation's badges, filtered by Credly's
    ``filter=key::value|key::value`` (keys ``recipient_email``, ``recipient_email_all`` — both
    case-insensitive here —, ``badge_template_id``, ``state``, comma-separated values; another
    key is refused with 400). Badges carry ``badge_template: {"id"}`` as Credly's do (and the
    request's flat ``badge_template_id``). Revoking a revoked badge is not documented: here it
    is refused with 422 (the client must also accept a 200).
    """

    name = "credly"
    REQUIRED = ("recipient_email", "badge_template_id", "issued_to_first_name",
                "issued_to_last_name", "issued_at")
    FILTER_KEYS = frozenset({"recipient_email", "recipient_email_all", "badge_template_id",
                             "state"})

    def __init__(self, *, organization_id: str = "org-7c1e", token: str = CREDLY_TOKEN,
                 templates: tuple[str, ...] = ("tmpl-data-trade",),
                 honour_idempotency_key: bool = True):
        self.organization_id = organization_id
        self.token = token
        self.templates = set(templates)
        self.badges: dict[str, dict[str, Any]] = {}
        super().__init__(honour_idempotency_key=honour_idempotency_key)

    def routes(self) -> list[Route]:
        org = r"/v1/organizations/(?P<org>[^/]+)"
        return [
            Route("GET", re.compile(org), self._organization),
            Route("POST", re.compile(org + "/badges"), self._issue),
            Route("GET", re.compile(org + "/badges"), self._list),
            Route("PUT", re.compile(org + r"/badges/(?P<badge>[^/]+)/revoke"), self._revoke),
        ]

    def authenticated(self, request: Recorded) -> bool:
        expected = "Basic " + base64.b64encode(f"{self.token}:".encode()).decode()
        return request.headers.get("Authorization") == expected

    def error_body(self, status: int, message: str, errors: list | None = None) -> Any:
        data: dict[str, Any] = {"message": message}
        if errors is not None:
            data["errors"] = errors
        return {"data": data, "metadata": {}}

    def _organization(self, request: Recorded, params: dict[str, str]) -> Reply:
        if params["org"] != self.organization_id:
            return Reply(404, self.error_body(404, "Organization not found"))
        return Reply(200, {"data": {"id": self.organization_id, "name": "Fake University"},
                           "metadata": {}})

    def _issue(self, request: Recorded, params: dict[str, str]) -> Reply:
        if params["org"] != self.organization_id:
            return Reply(404, self.error_body(404, "Organization not found"))
        body = request.json or {}
        missing = [name for name in self.REQUIRED if not body.get(name)]
        if missing:
            return Reply(422, self.error_body(422, "Validation failed", [
                {"attribute": name, "messages": ["can't be blank"]} for name in missing]))
        if body["badge_template_id"] not in self.templates:
            return Reply(422, self.error_body(422, "Validation failed", [
                {"attribute": "badge_template_id", "messages": ["is invalid"]}]))
        for badge in self.badges.values():
            if badge["badge_template_id"] == body["badge_template_id"] \
                    and _same_email(badge["recipient_email"], body["recipient_email"]):
                return Reply(422, self.error_body(422, "Validation failed", [
                    {"attribute": "recipient_email", "messages": ["already has this badge"]}]))
        badge_id = str(uuid.uuid4())
        badge = {**body, "id": badge_id, "state": "pending",
                 "badge_template": {"id": body["badge_template_id"]}}
        self.badges[badge_id] = badge
        return Reply(201, {"data": badge, "metadata": {}})

    def _list(self, request: Recorded, params: dict[str, str]) -> Reply:
        if params["org"] != self.organization_id:
            return Reply(404, self.error_body(404, "Organization not found"))
        conditions: dict[str, set[str]] = {}
        for condition in filter(None, (request.query.get("filter") or [""])[0].split("|")):
            key, separator, value = condition.partition("::")
            if not separator or key not in self.FILTER_KEYS:
                return Reply(400, self.error_body(400, f"Invalid filter {condition!r}"))
            conditions[key] = {part.strip() for part in value.split(",")}

        def matches(badge: dict[str, Any]) -> bool:
            for key, values in conditions.items():
                if key.startswith("recipient_email"):
                    if not any(_same_email(badge["recipient_email"], v) for v in values):
                        return False
                elif str(badge[key]) not in values:
                    return False
            return True

        with self.lock:
            found = [dict(badge) for badge in self.badges.values() if matches(badge)]
        return Reply(200, {"data": found, "metadata": {
            "count": len(found), "current_page": 1, "total_count": len(found), "total_pages": 1,
            "per": 50, "previous_page_url": None, "next_page_url": None}})

    def _revoke(self, request: Recorded, params: dict[str, str]) -> Reply:
        badge = self.badges.get(params["badge"])
        if params["org"] != self.organization_id or badge is None:
            return Reply(404, self.error_body(404, "Badge not found"))
        if badge["state"] == "revoked":
            return Reply(422, self.error_body(422, "Badge has already been revoked"))
        badge.update(state="revoked", revoke_reason=(request.json or {}).get("reason"))
        return Reply(200, {"data": badge, "metadata": {}})


# Accredible --------------------------------------------------------------------------------


class FakeAccredible(FakeRegistry):
    """Accredible Credential API v1: ``Token token=<key>``, credentials in known groups.

    Errors carry ``{"errors": …}``, a string or an object of field messages (as Accredible's
    own Moodle plugin handles them, e.g. ``{"errors": "Invalid Group"}`` with 422); a duplicate
    in a group (same email, case-insensitive; expired credentials included) is refused with 422
    ``{"errors": {"recipient.email": ["already has a credential in this group"]}}`` (the docs
    state the rule, not the body).

    ``POST /v1/credentials/search`` (a read: no idempotency key) filters by ``group_id``,
    ``recipient.email`` and ``meta_data`` pairs and answers ``{"credentials", "meta"}``;
    ``PUT /v1/credentials/<id>`` is a plain update (the same ``expired_on`` again: 200).
    """

    name = "accredible"

    def __init__(self, *, api_key: str = ACCREDIBLE_KEY, groups: tuple[int, ...] = (4217,),
                 honour_idempotency_key: bool = True):
        self.api_key = api_key
        self.groups = set(groups)
        self.credentials: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(10000001)
        super().__init__(honour_idempotency_key=honour_idempotency_key)

    def routes(self) -> list[Route]:
        return [
            Route("GET", re.compile("/v1/issuer/details"), self._details),
            Route("POST", re.compile("/v1/credentials"), self._create),
            Route("POST", re.compile("/v1/credentials/search"), self._search, keyed=False),
            Route("PUT", re.compile(r"/v1/credentials/(?P<id>[^/]+)"), self._update),
        ]

    def authenticated(self, request: Recorded) -> bool:
        return request.headers.get("Authorization") == f"Token token={self.api_key}"

    def error_body(self, status: int, message: str) -> Any:
        return {"errors": message}

    def _details(self, request: Recorded, params: dict[str, str]) -> Reply:
        return Reply(200, {"issuer": {"id": 4897, "name": "Fake University"}})

    def _create(self, request: Recorded, params: dict[str, str]) -> Reply:
        credential = (request.json or {}).get("credential") or {}
        recipient = credential.get("recipient") or {}
        if not recipient.get("name") or not recipient.get("email"):
            return Reply(422, {"errors": "Recipient name and email are required"})
        if credential.get("group_id") not in self.groups:
            return Reply(422, {"errors": "Invalid Group"})
        for existing in self.credentials.values():
            if existing["group_id"] == credential["group_id"] \
                    and _same_email(existing["recipient"]["email"], recipient["email"]):
                return Reply(422, {"errors": {"recipient.email": [
                    "already has a credential in this group"]}})
        credential_id = str(next(self._ids))
        stored = {**credential, "id": credential_id, "expired_on": credential.get("expired_on"),
                  "url": f"https://www.credential.net/{credential_id}"}
        self.credentials[credential_id] = stored
        return Reply(200, {"credential": stored})

    def _search(self, request: Recorded, params: dict[str, str]) -> Reply:
        query = request.json or {}
        group_id = query.get("group_id")
        email = (query.get("recipient") or {}).get("email")
        meta_data = query.get("meta_data") or {}
        with self.lock:
            found = [dict(c) for c in self.credentials.values()
                     if (group_id is None or str(c["group_id"]) == str(group_id))
                     and (email is None or _same_email(c["recipient"]["email"], email))
                     and all((c.get("meta_data") or {}).get(k) == v for k, v in meta_data.items())]
        return Reply(200, {"credentials": found, "meta": {
            "current_page": 1, "next_page": None, "prev_page": None, "total_pages": 1,
            "total_count": len(found)}})

    def _update(self, request: Recorded, params: dict[str, str]) -> Reply:
        stored = self.credentials.get(params["id"])
        if stored is None:
            return Reply(404, {"errors": "Credential not found"})
        stored.update((request.json or {}).get("credential") or {})
        return Reply(200, {"credential": stored})


# Parchment Digital Badges (Badgr API v2) ---------------------------------------------------


class FakeParchment(FakeRegistry):
    """Badgr API v2 with its OAuth2 token endpoint.

    ``/o/token`` grants ``password``, ``client_credentials`` and ``refresh_token`` (RFC 6749
    error bodies); bearer tokens can be expired server-side (``expire_access_tokens``); answers
    use the ``{"status": {"success", "description"}, "result": […]}`` envelope and errors add
    ``fieldErrors``/``validationErrors`` (HTTP 400, as badgr-server's serializers do).
    """

    name = "parchment"

    def __init__(self, *, username: str = "issuer@example.edu", password: str = PARCHMENT_PASSWORD,
                 client_id: str = "microcred-app", client_secret: str = PARCHMENT_CLIENT_SECRET,
                 badgeclasses: tuple[str, ...] = ("bc-data-trade",), issuer: str = "iss-ecnu",
                 token_lifetime: int = 86400):
        self.username, self.password = username, password
        self.client_id, self.client_secret = client_id, client_secret
        self.badgeclasses = set(badgeclasses)
        self.issuer = issuer
        self.token_lifetime = token_lifetime
        self.access_tokens: set[str] = set()
        self.refresh_tokens: set[str] = set()
        self.grants: list[str] = []
        self.assertions: dict[str, dict[str, Any]] = {}
        super().__init__()

    def routes(self) -> list[Route]:
        assertions = r"/v2/badgeclasses/(?P<badgeclass>[^/]+)/assertions"
        return [
            Route("POST", re.compile("/o/token"), self._token, authenticated=False, keyed=False),
            Route("GET", re.compile("/v2/users/self"), self._self),
            Route("GET", re.compile(r"/v2/issuers/(?P<issuer>[^/]+)"), self._issuer),
            Route("POST", re.compile(assertions), self._award),
            Route("GET", re.compile(assertions), self._list),
            Route("DELETE", re.compile(r"/v2/assertions/(?P<id>[^/]+)"), self._revoke),
        ]

    def authenticated(self, request: Recorded) -> bool:
        scheme, _, token = (request.headers.get("Authorization") or "").partition(" ")
        return scheme == "Bearer" and token in self.access_tokens

    def error_body(self, status: int, message: str) -> Any:
        if status == 401:
            return {"detail": "Authentication credentials were not provided."}
        return self.envelope([], success=False, description=message)

    def expire_access_tokens(self) -> None:
        """Every access token handed out so far now gets 401."""
        with self.lock:
            self.access_tokens.clear()

    @staticmethod
    def envelope(result: list, *, success: bool = True, description: str = "ok",
                 field_errors: dict | None = None, validation_errors: list | None = None) -> dict:
        document: dict[str, Any] = {"status": {"success": success, "description": description},
                                    "result": result}
        if field_errors is not None or validation_errors is not None:
            document["fieldErrors"] = field_errors or {}
            document["validationErrors"] = validation_errors or []
        return document

    def _token(self, request: Recorded, params: dict[str, str]) -> Reply:
        form = request.form
        grant = form.get("grant_type", "password")
        self.grants.append(grant)
        if grant == "password":
            ok = form.get("username") == self.username and form.get("password") == self.password
        elif grant == "client_credentials":
            ok = form.get("client_id") == self.client_id \
                and form.get("client_secret") == self.client_secret
        elif grant == "refresh_token":
            ok = form.get("refresh_token") in self.refresh_tokens
            self.refresh_tokens.discard(form.get("refresh_token", ""))  # single use
        else:
            return Reply(400, {"error": "unsupported_grant_type"})
        if not ok:
            return Reply(400, {"error": "invalid_grant",
                               "error_description": "Invalid credentials given."})
        access, refresh = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        self.access_tokens.add(access)
        self.refresh_tokens.add(refresh)
        return Reply(200, {"access_token": access, "token_type": "Bearer",
                           "expires_in": self.token_lifetime, "refresh_token": refresh,
                           "scope": form.get("scope", "rw:issuer")})

    def _self(self, request: Recorded, params: dict[str, str]) -> Reply:
        return Reply(200, self.envelope([{"entityType": "BadgeUser", "entityId": "user-1"}]))

    def _issuer(self, request: Recorded, params: dict[str, str]) -> Reply:
        if params["issuer"] != self.issuer:
            return Reply(404, self.error_body(404, "Not found"))
        return Reply(200, self.envelope([{"entityType": "Issuer", "entityId": self.issuer}]))

    def _award(self, request: Recorded, params: dict[str, str]) -> Reply:
        if params["badgeclass"] not in self.badgeclasses:
            return Reply(404, self.error_body(404, "Not found"))
        body = request.json or {}
        recipient = body.get("recipient") or {}
        identity = recipient.get("identity")
        if not identity or "@" not in identity:
            return Reply(400, self.envelope([], success=False, description="bad request",
                                            field_errors={"recipient": ["Enter a valid email."]}))
        if body.get("allowDuplicateAwards") is False and any(
                a["recipient"]["plaintextIdentity"] == identity and not a["revoked"]
                and a["badgeclass"] == params["badgeclass"] for a in self.assertions.values()):
            return Reply(400, self.envelope(
                [], success=False, description="bad request", validation_errors=[
                    "A previous award of this badge already exists for this recipient."]))
        entity_id = uuid.uuid4().hex[:22]
        assertion = {
            "entityType": "Assertion", "entityId": entity_id, "badgeclass": params["badgeclass"],
            "issuedOn": body.get("issuedOn"), "expires": body.get("expires"),
            "evidence": body.get("evidence", []), "narrative": body.get("narrative"),
            "revoked": False, "revocationReason": None,
            "recipient": {"identity": "sha256$" + uuid.uuid4().hex, "type": "email",
                          "hashed": True, "plaintextIdentity": identity},
        }
        self.assertions[entity_id] = assertion
        return Reply(201, self.envelope([assertion]))

    def _list(self, request: Recorded, params: dict[str, str]) -> Reply:
        wanted = set(request.query.get("recipient", []))
        found = [a for a in self.assertions.values() if a["badgeclass"] == params["badgeclass"]
                 and not a["revoked"]
                 and (not wanted or a["recipient"]["plaintextIdentity"] in wanted)]
        return Reply(200, self.envelope(found))

    def _revoke(self, request: Recorded, params: dict[str, str]) -> Reply:
        assertion = self.assertions.get(params["id"])
        if assertion is None:
            return Reply(404, self.error_body(404, "Not found"))
        reason = (request.json or {}).get("revocation_reason")
        if not reason:
            return Reply(400, self.envelope([], success=False, description="bad request",
                                            field_errors={"revocation_reason": [
                                                "This field is required"]}))
        if assertion["revoked"]:
            return Reply(400, self.envelope([], success=False, description="bad request",
                                            validation_errors=["Assertion is already revoked."]))
        assertion.update(revoked=True, revocationReason=reason)
        return Reply(200, self.envelope([assertion]))


# Webhook receiver --------------------------------------------------------------------------


class FakeWebhookReceiver(FakeRegistry):
    """An operator's receiver following docs/registries.rst: verify, then de-duplicate by id."""

    name = "webhook"

    def __init__(self, *, secret: str = WEBHOOK_SECRET, tolerance: int = 300):
        self.secret = secret
        self.tolerance = tolerance
        self.events: list[dict[str, Any]] = []
        super().__init__()

    def routes(self) -> list[Route]:
        return [Route("POST", re.compile("/.*"), self._receive, authenticated=False)]

    def _receive(self, request: Recorded, params: dict[str, str]) -> Reply:
        if not verify_webhook_signature(
                self.secret, request.body, request.headers.get(TIMESTAMP_HEADER, ""),
                request.headers.get(SIGNATURE_HEADER, ""), tolerance=self.tolerance):
            return Reply(401, {"error": "bad signature"})
        self.events.append(request.json)
        return Reply(200, {"received": True})
