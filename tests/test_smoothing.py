"""Gap filling, the zero-lag Butterworth and the One-Euro filter on known signals."""

from __future__ import annotations

import numpy as np
import pytest

from poseapp.smoothing import OneEuro, butterworth, fill_gaps, mask_low_scores, smooth_trajectory


def test_low_scores_become_missing_and_short_gaps_are_filled():
    kp = np.zeros((6, 1, 3))
    kp[:, 0, 0] = np.arange(6) * 10.0
    kp[:, 0, 2] = [1, 0.1, 0.1, 1, 1, 1]
    xy = mask_low_scores(kp, 0.5)
    assert np.isnan(xy[1:3, 0, 0]).all()
    assert fill_gaps(xy, 2)[1:3, 0, 0] == pytest.approx([10, 20])
    assert np.isnan(fill_gaps(xy, 1)[1:3, 0, 0]).all()  # too long a gap stays missing
    assert np.isnan(xy[1, 0, 0])  # the input is untouched


def test_butterworth_removes_noise_without_lag():
    fps, t = 50.0, np.arange(200) / 50.0
    slow = np.sin(2 * np.pi * 0.5 * t)
    noisy = slow + 0.2 * np.sin(2 * np.pi * 20 * t)
    out = butterworth(noisy[:, None], fps, cutoff=4.0)[:, 0]
    assert np.abs(out - slow)[20:-20].max() < 0.02  # zero lag: matches the slow signal in phase
    with pytest.raises(ValueError, match="cut-off"):
        butterworth(noisy[:, None], fps, cutoff=30)


def test_butterworth_filters_segments_around_long_gaps():
    values = np.r_[np.ones(40), np.full(20, np.nan), np.ones(40) * 2][:, None]
    out = butterworth(values, 30.0, 3.0)
    assert np.isnan(out[40:60]).all() and out[:40] == pytest.approx(1) and out[60:] == pytest.approx(2)


def test_one_euro_smooths_jitter_and_follows_motion():
    rng = np.random.default_rng(0)
    t = np.arange(300) / 30.0
    still = 100 + rng.normal(0, 2, 300)
    euro = OneEuro(min_cutoff=1.0, beta=0.05)
    out = np.array([euro(ti, np.array([x]))[0] for ti, x in zip(t, still)])
    assert out[30:].std() < 0.5 * still[30:].std()
    euro.reset()
    ramp = 10 * t * 30  # 300 px/s
    followed = np.array([euro(ti, np.array([x]))[0] for ti, x in zip(t, ramp)])
    assert abs(followed[-1] - ramp[-1]) < 15


def test_smooth_trajectory_methods():
    t = np.arange(100) / 25.0
    xy = np.stack([np.sin(t), np.cos(t)], -1)[:, None, :]
    for method in ("none", "oneeuro", "butterworth"):
        assert smooth_trajectory(xy, t, method).shape == xy.shape
    with pytest.raises(ValueError, match="unknown smoothing"):
        smooth_trajectory(xy, t, "kalman")
