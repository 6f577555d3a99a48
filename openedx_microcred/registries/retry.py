"""
When and how soon to try a failed delivery again: pure functions, no clock, no sleeping.

The delivery engine (a Celery task) asks ``next_delay(error, attempt)`` after a failed attempt:
``None`` means give up (dead-letter the delivery, or wait for the operator for ``AuthFailed`` and
``Misconfigured``), a number is the countdown in seconds before the next attempt. The backoff is
exponential with "full jitter" (a uniform draw between 0 and the exponential ceiling), which
spreads the retries of many workers hitting the same registry; a registry's ``Retry-After`` wins
over the backoff, bounded so a hostile or buggy value cannot park a delivery for days.

``rng`` is injectable so tests check the bounds with a fixed or extreme generator, never by
sleeping.
"""
from __future__ import annotations

import random
from typing import Protocol

from .errors import Conflict, ConnectionFailed, RateLimited, RegistryError

__all__ = [
    "DEFAULT_BASE",
    "DEFAULT_CAP",
    "DEFAULT_RETRY_AFTER_CAP",
    "RETRYABLE_ERRORS",
    "backoff_delay",
    "next_delay",
    "should_retry",
]

#: Ceiling of the first retry, in seconds.
DEFAULT_BASE = 2.0
#: The most any backoff waits, in seconds (the ceiling stops doubling there).
DEFAULT_CAP = 600.0
#: The most a registry's ``Retry-After`` is honoured, in seconds.
DEFAULT_RETRY_AFTER_CAP = 3600.0

#: Exponents above this would only overflow: the cap is long reached.
_MAX_EXPONENT = 62


class RandomSource(Protocol):
    """What ``backoff_delay`` needs from a random generator (``random.Random`` fits)."""

    def random(self) -> float:
        """A float in [0, 1)."""


#: The error classes worth retrying, e.g. for Celery's ``autoretry_for``.
RETRYABLE_ERRORS: tuple[type[RegistryError], ...] = (ConnectionFailed, RateLimited, Conflict)


def should_retry(error: BaseException) -> bool:
    """Whether the attempt that raised ``error`` may succeed if made again.

    True for ``ConnectionFailed``, ``RateLimited`` and ``Conflict``; False for ``AuthFailed``,
    ``Rejected``, ``Misconfigured`` and anything that is not a ``RegistryError`` (a bug is not
    fixed by retrying).
    """
    return isinstance(error, RegistryError) and error.retryable


def backoff_delay(
    attempt: int,
    *,
    base: float = DEFAULT_BASE,
    cap: float = DEFAULT_CAP,
    rng: RandomSource | None = None,
) -> float:
    """A full-jitter exponential backoff: uniform in ``[0, min(cap, base * 2**attempt))``.

    ``attempt`` counts the retries already made (0 before the first retry, as Celery's
    ``self.request.retries``). Raises ``ValueError`` for a negative attempt or bounds.
    """
    if attempt < 0:
        raise ValueError(f"attempt must be >= 0, not {attempt}")
    if base < 0 or cap < 0:
        raise ValueError("base and cap must be >= 0")
    ceiling = min(cap, base * 2.0 ** min(attempt, _MAX_EXPONENT))
    draw = (rng or random).random()
    return ceiling * min(max(draw, 0.0), 1.0)


def next_delay(
    error: BaseException,
    attempt: int,
    *,
    base: float = DEFAULT_BASE,
    cap: float = DEFAULT_CAP,
    retry_after_cap: float = DEFAULT_RETRY_AFTER_CAP,
    rng: RandomSource | None = None,
) -> float | None:
    """Seconds to wait before retrying after ``error``, or ``None`` when it must not be retried.

    A ``RateLimited`` error carrying ``retry_after`` waits exactly that long, at most
    ``retry_after_cap``; every other retryable error gets ``backoff_delay(attempt, …)``.
    """
    if not should_retry(error):
        return None
    if isinstance(error, RateLimited) and error.retry_after is not None:
        return min(max(error.retry_after, 0.0), retry_after_cap)
    return backoff_delay(attempt, base=base, cap=cap, rng=rng)
