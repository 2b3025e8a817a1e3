"""When to try a temporarily refused message again, and when to stop trying."""

from __future__ import annotations

import random
from typing import Protocol

__all__ = ["MAX_ATTEMPTS", "next_attempt_delay"]

#: Delivery attempts before a message that keeps getting "retry" is given up
#: (marked failed). With the default delays the last attempt happens about three
#: hours after the first: 30 s, 1, 2, 4, 8, 16, 32 min, then hourly.
MAX_ATTEMPTS = 10


class _UniformSource(Protocol):
    def uniform(self, a: float, b: float, /) -> float: ...


def next_attempt_delay(
    attempt: int,
    *,
    base: float = 30.0,
    factor: float = 2.0,
    cap: float = 3600.0,
    jitter: float = 0.1,
    rng: _UniformSource = random,
) -> float:
    """Seconds to wait after failed attempt number `attempt` (1 for the first).

    The delay is `base * factor ** (attempt - 1)`, limited to `cap`, then spread by
    a random factor in [1 - jitter, 1 + jitter] so that messages refused together
    do not all come back at the same moment; the result never exceeds `cap`.
    Pass `rng` (anything with `uniform`, e.g. `random.Random(0)`) for repeatable
    delays.
    """
    if attempt < 1:
        raise ValueError(f"attempt counts from 1, not {attempt}")
    if base < 0 or cap < 0 or factor < 1 or not 0 <= jitter < 1:
        raise ValueError("need base >= 0, cap >= 0, factor >= 1 and 0 <= jitter < 1")
    try:
        delay = min(cap, base * factor ** (attempt - 1))
    except OverflowError:
        delay = cap
    if jitter:
        delay *= 1 + rng.uniform(-jitter, jitter)
    return min(cap, max(0.0, delay))
