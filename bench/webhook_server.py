"""
A fast local webhook receiver for the delivery bench, run as its OWN process (so its CPU time
is not the worker's):

    python bench/webhook_server.py --secret <signing secret> [--cpu N]

It prints ``PORT <n>`` once listening on 127.0.0.1, then serves until stdin is closed; a line
``stats`` on stdin makes it print one JSON line of counters. Every POST is HTTP/1.1 keep-alive
(``protocol_version``; the response has a Content-Length), is checked like a real receiver
would (``X-Microcred-Signature`` = v1=HMAC-SHA256(secret, "<timestamp>." + body), the
``Idempotency-Key`` header is the body's ``"id"``, found without parsing the JSON) and
answered ``200 {}`` at once. It counts requests per idempotency key, TCP connections accepted
(``setup`` runs once per connection) and keeps the arrival time of each request, so the bench
can tell a rate that decays with the backlog from a flat one.

Standard library only: nothing of the product is imported here.
"""
from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Counters:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.keys: dict[str, int] = {}
        self.connections = 0
        self.requests = 0
        self.bad_signatures = 0
        self.key_mismatches = 0
        self.body_bytes = 0
        self.arrivals: list[float] = []  # time.monotonic() of each request, in order
        self.started_cpu = time.process_time()

    def snapshot(self) -> dict:
        with self.lock:
            repeated = sum(1 for count in self.keys.values() if count > 1)
            return {
                "requests": self.requests, "unique_keys": len(self.keys),
                "repeated_keys": repeated, "connections": self.connections,
                "bad_signatures": self.bad_signatures, "key_mismatches": self.key_mismatches,
                "body_bytes": self.body_bytes, "arrivals": list(self.arrivals),
                "keys": sorted(self.keys), "cpu_s": time.process_time() - self.started_cpu,
            }


def make_handler(secret: bytes, counters: Counters) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: one connection serves many requests
        disable_nagle_algorithm = True  # headers and body go out without a delayed-ACK stall

        def setup(self) -> None:  # once per TCP connection
            super().setup()
            with counters.lock:
                counters.connections += 1

        def do_POST(self) -> None:  # noqa: N802 (the http.server naming)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            arrived = time.monotonic()
            timestamp = self.headers.get("X-Microcred-Timestamp", "")
            signature = self.headers.get("X-Microcred-Signature", "")
            key = self.headers.get("Idempotency-Key", "")
            expected = "v1=" + hmac.new(secret, timestamp.encode() + b"." + body,
                                        hashlib.sha256).hexdigest()
            signed = hmac.compare_digest(signature.encode(), expected.encode())
            # The body is compact JSON: its "id" is the key (no full parse: answer quickly).
            same_key = bool(key) and f'"id":"{key}"'.encode() in body
            with counters.lock:
                counters.requests += 1
                counters.body_bytes += length
                counters.arrivals.append(arrived)
                counters.keys[key] = counters.keys.get(key, 0) + 1
                counters.bad_signatures += not signed
                counters.key_mismatches += not same_key
            reply = b"{}" if signed else b'{"error": "bad signature"}'
            self.send_response(200 if signed else 401)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format: str, *args) -> None:  # noqa: A002 (the base signature)
            pass

    return Handler


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--secret", required=True)
    parser.add_argument("--cpu", type=int, help="pin this process to one CPU")
    args = parser.parse_args()
    if args.cpu is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.cpu})
    counters = Counters()
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(args.secret.encode(), counters))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                     daemon=True).start()
    print(f"PORT {server.server_address[1]}", flush=True)
    for line in sys.stdin:
        if line.strip() == "stats":
            print(json.dumps(counters.snapshot()), flush=True)
    server.shutdown()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
