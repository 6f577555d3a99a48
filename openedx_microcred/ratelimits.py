"""
Rate limits of the public pages and documents (django-ratelimit, counted in Django's cache).

Two buckets per client address: the HTML verification page (``MICROCRED_VERIFY_RATE_LIMIT``),
and the documents verifiers fetch — credentials, CLRs, status lists, DID documents
(``MICROCRED_DOCUMENT_RATE_LIMIT``, larger: one verification fetches several documents, and
a verifier checking many credentials fetches the same status list again and again).

The client address is read the way the host says (``MICROCRED_CLIENT_ADDRESS``):

* ``REMOTE_ADDR``: the peer of the Django process. Right when nothing sits in front of it; behind
  a reverse proxy every client shares the proxy's address (and its bucket).
* ``X-Forwarded-For``: each proxy appends the address it received the request from, so with
  ``MICROCRED_TRUSTED_PROXY_COUNT`` = N proxies of the operator's own, the client is the Nth
  entry from the right. Entries further left were sent by the client and are never trusted
  (else anyone could pick a fresh bucket per request). A header with fewer entries, or an entry
  that is not an IP address, falls back to ``REMOTE_ADDR``.

IPv6 addresses count per /64 network, as django-ratelimit's own ``ip`` key does: one host
commonly holds a whole /64.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from django_ratelimit.core import get_usage

from .conf import setting

IPV6_PREFIX = 64


@dataclass(frozen=True)
class Bucket:
    """A django-ratelimit group and the setting holding its rate."""

    group: str
    rate_setting: str


PAGE = Bucket("openedx_microcred.verify", "MICROCRED_VERIFY_RATE_LIMIT")
DOCUMENTS = Bucket("openedx_microcred.documents", "MICROCRED_DOCUMENT_RATE_LIMIT")


def limited(request, bucket: Bucket) -> int | None:
    """Count this request in ``bucket``; the seconds to wait when over the limit, else None."""
    usage = get_usage(request, group=bucket.group, key=_key,
                      rate=lambda group, request: setting(bucket.rate_setting), increment=True)
    if usage and usage["should_limit"]:
        return max(1, int(usage["time_left"]))
    return None


def client_address(request) -> str:
    """The client's address as the host's proxies report it (see the module docstring)."""
    remote = request.META.get("REMOTE_ADDR", "")
    if setting("MICROCRED_CLIENT_ADDRESS") == "X-Forwarded-For":
        count = setting("MICROCRED_TRUSTED_PROXY_COUNT")
        entries = [entry.strip() for entry in
                   request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        if count >= 1 and len(entries) >= count and _is_ip(entries[-count]):
            return entries[-count]
    return remote


def _key(group, request) -> str:
    address = client_address(request)
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if parsed.version == 6:
        return str(ipaddress.ip_network(f"{parsed}/{IPV6_PREFIX}", strict=False))
    return str(parsed)


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True
