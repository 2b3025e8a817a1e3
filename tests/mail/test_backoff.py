"""next_attempt_delay: exponential growth, the cap, and bounded jitter."""

from __future__ import annotations

import random

import pytest

from feedback.mail.backoff import MAX_ATTEMPTS, next_attempt_delay


class FixedUniform:
    """Stands in for `random`: always returns the same point of the range."""

    def __init__(self, where: float) -> None:
        self.where = where  # 0 = low end, 1 = high end

    def uniform(self, a: float, b: float) -> float:
        return a + (b - a) * self.where


def test_doubles_from_base_without_jitter():
    delays = [next_attempt_delay(n, jitter=0) for n in range(1, 6)]
    assert delays == [30.0, 60.0, 120.0, 240.0, 480.0]


def test_never_exceeds_the_cap_even_for_huge_attempts():
    assert next_attempt_delay(8, jitter=0) == 3600.0  # 30 * 2**7 = 3840 > cap
    assert next_attempt_delay(10_000) <= 3600.0
    assert next_attempt_delay(10_000, rng=FixedUniform(1.0)) == 3600.0


def test_jitter_spreads_within_its_bounds():
    assert next_attempt_delay(3, rng=FixedUniform(0.0)) == pytest.approx(120 * 0.9)
    assert next_attempt_delay(3, rng=FixedUniform(1.0)) == pytest.approx(120 * 1.1)
    rng = random.Random(7)
    delays = {next_attempt_delay(3, rng=rng) for _ in range(50)}
    assert len(delays) > 1
    assert all(108 <= d <= 132 for d in delays)


def test_custom_parameters():
    assert next_attempt_delay(3, base=10, factor=3, cap=1000, jitter=0) == 90.0


@pytest.mark.parametrize(
    "kwargs", [{"attempt": 0}, {"attempt": 1, "jitter": 1.5}, {"attempt": 1, "factor": 0.5}]
)
def test_nonsense_is_refused(kwargs):
    with pytest.raises(ValueError):
        next_attempt_delay(**kwargs)


def test_giving_up_takes_hours_not_days():
    total = sum(next_attempt_delay(n, jitter=0) for n in range(1, MAX_ATTEMPTS))
    assert 3600 <= total <= 24 * 3600
