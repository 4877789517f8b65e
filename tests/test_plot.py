"""The OpenCV charts: layout, normal bands, the compared session, and lettering that scales for print."""

from __future__ import annotations

import numpy as np
import pytest

from poseapp.plot import _BAND, _OTHER, angle_chart, cycle_chart

T = np.linspace(0, 4, 120)
KNEE = {"left_knee_flexion": 40 + 30 * np.sin(3 * T), "right_knee_flexion": 35 + 25 * np.sin(3 * T + 1),
        "trunk_angle": 5 + 2 * np.sin(T)}


def title_width(image: np.ndarray, text: float) -> int:
    """How far the first panel's title reaches (its rightmost near-black pixel above the frame)."""
    band = image[5:5 + round(14 * text), 5:460]
    return int(np.flatnonzero((band.max(axis=2) < 90).any(axis=0)).max())


def test_panels_bands_and_a_compared_session():
    image = angle_chart(T, KNEE, columns=2, panel=(400, 160), bands={"left_knee_flexion": (0, 140)},
                        compared=(T, {"left_knee_flexion": 60 + 10 * np.sin(T)}))
    assert image.shape == (2 * 160 + 10, 2 * 400 + 10, 3)
    left = image[5:165, 5:405].reshape(-1, 3).astype(int)
    shaded = np.abs(left - (0.35 * np.array(_BAND) + 0.65 * 255)).sum(1) < 6
    assert shaded.mean() > 0.3  # the normal range fills most of the left knee's panel
    assert not (np.abs(image[5:165, 410:].reshape(-1, 3).astype(int) - left[shaded][0]).sum(1) < 6).any()
    assert (np.abs(left - _OTHER).sum(1) < 60).sum() > 50  # the compared session, in orange


def test_lettering_scales_for_print_and_stays_inside():
    screen = angle_chart(T, KNEE, panel=(460, 200))
    printed = angle_chart(T, KNEE, panel=(460, 200), text=1.7)
    assert 1.5 < title_width(printed, 1.7) / title_width(screen, 1.0) < 2.2  # strokes thicken too
    mean = list(40 + 20 * np.sin(np.linspace(0, 2 * np.pi, 101)))
    cycles = {side: {"knee_flexion": {"mean": mean, "sd": 3.0, "n": 3}} for side in ("left", "right")}
    for text in (1.0, 1.7):
        image = cycle_chart(cycles, panel=(520, 340), text=text)
        labels = image[-40:, -60:]  # the "100%" under the right end of the axis
        assert (labels.max(axis=2) < 90).any() and (image[-40:, -6:].max(axis=2) > 200).all()


def test_the_time_axis_has_round_marks_not_its_two_ends():
    """Issue 35, item 21: the report's time axis read "2 s" and "7.633 s" only."""
    from poseapp.plot import time_ticks

    assert time_ticks(2.0, 7.633) == [2, 3, 4, 5, 6, 7]
    assert time_ticks(0.0, 0.4) == pytest.approx([0, 0.1, 0.2, 0.3, 0.4])
    assert time_ticks(0.0, 120.0) == [0, 20, 40, 60, 80, 100, 120]
    assert time_ticks(3.3, 3.9) == pytest.approx([3.4, 3.6, 3.8])
