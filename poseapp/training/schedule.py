"""The learning-rate policy: a decaying triangular cycle (Smith 2017), and the range test that bounds it."""

from __future__ import annotations

import math


def cyclical_lr(step: int, cycle_steps: int, low: float, high: float, decay: float = 0.5) -> float:
    """Triangular cycles between ``low`` and a peak that starts at ``high`` and is multiplied by
    ``decay`` each cycle, so the rate converges toward ``low``."""
    cycle = step // max(cycle_steps, 1)
    phase = (step % max(cycle_steps, 1)) / max(cycle_steps, 1)
    peak = low + (high - low) * decay**cycle
    return low + (peak - low) * (1 - abs(2 * phase - 1))


def range_test_rates(low: float = 1e-5, high: float = 1.0, steps: int = 50) -> list[float]:
    """Exponentially spaced rates for the learning-rate range test."""
    return [low * (high / low) ** (i / max(steps - 1, 1)) for i in range(steps)]


def highest_stable(rates: list[float], losses: list[float], blowup: float = 4.0) -> float:
    """The highest rate before the loss diverged (exceeded ``blowup`` times its best so far, or NaN)."""
    best, chosen = math.inf, rates[0]
    for rate, loss in zip(rates, losses):
        if not math.isfinite(loss) or loss > blowup * best:
            break
        best, chosen = min(best, loss), rate
    return chosen
