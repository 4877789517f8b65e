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


def suggested_rate(rates: list[float], losses: list[float], blowup: float = 4.0, smoothing: float = 0.7) -> dict:
    """What the range test recommends as the cycle's peak (``--lr-high``), with its reasons.

    The highest stable rate is where divergence starts, not a rate to train at: a cycle that
    peaks there sends the loss to NaN. The usual rules sit well below it: where the (smoothed)
    loss falls fastest against log(rate), and a tenth of the rate at the lowest loss; the smaller
    of the two is suggested.
    """
    stable = highest_stable(rates, losses, blowup)
    kept = [(r, v) for r, v in zip(rates, losses) if r <= stable and math.isfinite(v)]
    smooth, value = [], None
    for _, v in kept:
        value = v if value is None else smoothing * value + (1 - smoothing) * v
        smooth.append(value)
    lowest = kept[min(range(len(kept)), key=lambda i: smooth[i])][0]
    slopes = [(smooth[i + 1] - smooth[i]) / math.log(kept[i + 1][0] / kept[i][0]) for i in range(len(kept) - 1)]
    steepest = kept[min(range(len(slopes)), key=lambda i: slopes[i])][0] if slopes else lowest
    return {"suggested": min(steepest, lowest / 10), "steepest_descent": steepest, "lowest_loss": lowest,
            "highest_stable": stable}
