"""
Every secret stored encrypted (``encryption``): which ones the configured keys open, and moving
them all under the first key (``manage.py microcred_reencrypt``).

``ENCRYPTED_FIELDS`` lists every encrypted model field; a new one MUST be added here, or a key
rotation would leave it behind (``tests/test_keys.py`` checks the list against the models).
DO NOT log or return plaintexts: only labels (``secret_label``) and counts leave this module.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from . import encryption
from .models import IssuerKey, RegistryConnection

#: (model, field) of every encrypted secret.
ENCRYPTED_FIELDS: tuple[tuple[Any, str], ...] = (
    (IssuerKey, "encrypted_private_key"),
    (RegistryConnection, "encrypted_secret"),
)

CURRENT, REENCRYPTED, UNREADABLE = "current", "reencrypted", "unreadable"


@dataclass(frozen=True)
class SecretState:
    """One stored secret: its label, whether any key opens it, whether the first key does."""

    label: str
    readable: bool
    current: bool


@dataclass(frozen=True)
class ReencryptResult:
    """What ``reencrypt_all`` did: counts, and the labels of the secrets no key opens."""

    total: int
    reencrypted: int
    current: int
    unreadable: tuple[str, ...]


def states() -> list[SecretState]:
    """The state of every stored secret (empty secrets are skipped)."""
    result = []
    for row, field in _rows():
        token = getattr(row, field)
        current = encryption.is_current(token)
        result.append(SecretState(label=row.secret_label, current=current,
                                  readable=current or _readable(token)))
    return result


def count() -> int:
    """How many non-empty encrypted secrets are stored."""
    return sum(model.objects.exclude(**{field: ""}).count() for model, field in ENCRYPTED_FIELDS)


def reencrypt_all(*, progress: Callable[[int, str], None] | None = None) -> ReencryptResult:
    """Encrypt every stored secret again under the first key. Idempotent: secrets the first key
    already opens are left as they are.

    ``progress(done, outcome)`` is called after each secret. A secret no key opens is counted
    and named in the result, never changed. Each row is updated only if its token did not
    change meanwhile (a concurrent rotation or admin edit wins).
    """
    reencrypted = current = done = 0
    unreadable: list[str] = []
    for row, field in _rows():
        outcome = _reencrypt_row(row, field)
        done += 1
        reencrypted += outcome == REENCRYPTED
        current += outcome == CURRENT
        if outcome == UNREADABLE:
            unreadable.append(row.secret_label)
        if progress:
            progress(done, outcome)
    return ReencryptResult(total=done, reencrypted=reencrypted, current=current,
                           unreadable=tuple(unreadable))


def _reencrypt_row(row: Any, field: str) -> str:
    token = getattr(row, field)
    if encryption.is_current(token):
        return CURRENT
    try:
        fresh = encryption.reencrypt(token, what=row.secret_label)
    except encryption.DecryptionError:
        return UNREADABLE
    type(row).objects.filter(pk=row.pk, **{field: token}).update(**{field: fresh})
    return REENCRYPTED


def _rows() -> Iterator[tuple[Any, str]]:
    for model, field in ENCRYPTED_FIELDS:
        rows = model.objects.exclude(**{field: ""}).order_by("pk").iterator(chunk_size=200)
        for row in rows:
            yield row, field


def _readable(token: str) -> bool:
    try:
        encryption.decrypt(token)
    except encryption.DecryptionError:
        return False
    return True
