"""The retry decision table and the backoff/jitter bounds: no test sleeps."""
from __future__ import annotations

import random

import pytest

from openedx_microcred.registries.errors import (
    AuthFailed,
    Conflict,
    ConnectionFailed,
    Misconfigured,
    RateLimited,
    Rejected,
)
from openedx_microcred.registries.retry import (
    RETRYABLE_ERRORS,
    backoff_delay,
    next_delay,
    should_retry,
)


class Fixed:
    """A random source that always draws ``value``."""

    def __init__(self, value: float):
        self.value = value

    def random(self) -> float:
        return self.value


ALMOST_ONE = 1 - 1e-12


@pytest.mark.parametrize(("error", "retry"), [
    (ConnectionFailed("timeout"), True),
    (RateLimited("429", retry_after=3), True),
    (RateLimited("429"), True),
    (Conflict("409"), True),
    (AuthFailed("401"), False),
    (Rejected("422"), False),
    (Misconfigured("no template"), False),
    (ValueError("a bug"), False),
    (KeyError("a bug"), False),
])
def test_should_retry_decision_table(error, retry):
    assert should_retry(error) is retry
    assert (next_delay(error, 0, rng=Fixed(0.5)) is not None) is retry


def test_retryable_errors_tuple_matches_the_table():
    assert set(RETRYABLE_ERRORS) == {ConnectionFailed, RateLimited, Conflict}


def test_ceiling_doubles_from_base_until_the_cap():
    ceilings = [backoff_delay(n, base=2.0, cap=100.0, rng=Fixed(ALMOST_ONE)) for n in range(8)]
    assert ceilings == pytest.approx([2, 4, 8, 16, 32, 64, 100, 100])


def test_full_jitter_spans_zero_to_the_ceiling():
    assert backoff_delay(5, base=1.0, cap=60.0, rng=Fixed(0.0)) == 0.0
    assert backoff_delay(5, base=1.0, cap=60.0, rng=Fixed(0.25)) == pytest.approx(8.0)
    draws = [backoff_delay(3, base=1.0, cap=60.0, rng=random.Random(seed)) for seed in range(500)]
    assert all(0.0 <= draw < 8.0 for draw in draws)
    assert max(draws) > 6.0 and min(draws) < 2.0  # really spread, not a constant


def test_huge_attempt_numbers_stay_at_the_cap():
    assert backoff_delay(10_000, base=2.0, cap=600.0, rng=Fixed(ALMOST_ONE)) \
        == pytest.approx(600.0)


def test_a_broken_rng_cannot_escape_the_bounds():
    assert backoff_delay(2, base=1.0, cap=10.0, rng=Fixed(7.0)) == 4.0
    assert backoff_delay(2, base=1.0, cap=10.0, rng=Fixed(-1.0)) == 0.0


def test_negative_attempt_or_bounds_are_refused():
    with pytest.raises(ValueError):
        backoff_delay(-1)
    with pytest.raises(ValueError):
        backoff_delay(0, base=-1.0)


def test_retry_after_wins_over_backoff_and_is_bounded():
    assert next_delay(RateLimited("429", retry_after=30.0), 0, rng=Fixed(0.0)) == 30.0
    assert next_delay(RateLimited("429", retry_after=0.0), 4, rng=Fixed(0.9)) == 0.0
    assert next_delay(RateLimited("429", retry_after=10**9), 0, retry_after_cap=900.0) == 900.0


def test_rate_limited_without_retry_after_backs_off():
    assert next_delay(RateLimited("503"), 3, base=1.0, rng=Fixed(0.5)) == pytest.approx(4.0)


def test_connection_failures_back_off_with_the_given_rng():
    assert next_delay(ConnectionFailed("x"), 2, base=2.0, cap=5.0, rng=Fixed(0.5)) \
        == pytest.approx(2.5)
