"""
A local webhook receiver for the demo: an HTTP server on 127.0.0.1 (random port, background
thread) that checks each delivery's signature and counts credentials by idempotency key, as a
real receiver following docs/registries.rst would.
"""
from __future__ import annotations

import json
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from ..registries.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify_webhook_signature


class WebhookReceiver:
    """``with WebhookReceiver(secret) as receiver:`` … ``receiver.url``, ``receiver.events``."""

    def __init__(self, secret: str):
        self.secret = secret
        self.events: Counter[str] = Counter()  # event type -> distinct deliveries
        self.keys: set[str] = set()
        self.rejected = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}/microcred-webhook"

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _record(self, body: bytes, headers) -> int:
        if not verify_webhook_signature(self.secret, body, headers.get(TIMESTAMP_HEADER, ""),
                                        headers.get(SIGNATURE_HEADER, "")):
            with self._lock:
                self.rejected += 1
            return 401
        event = json.loads(body)
        with self._lock:
            if event["id"] not in self.keys:  # a re-sent delivery counts once
                self.keys.add(event["id"])
                self.events[event["event"]] += 1
        return 200

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length") or 0)
                status = receiver._record(self.rfile.read(length), self.headers)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format, *args):  # noqa: A002 (quiet demo output)
                return

        return Handler
