"""Geometry of augmentation and targets: flipped peaks on the swapped joints, rotated PAFs along the limbs."""

from __future__ import annotations

import math

import numpy as np

from poseapp.io.images import read_rgb
from poseapp.io.mpii import load_mpii
from poseapp.joints import INDEX
from poseapp.training.augment import NONE, Augmentation, make_example
from poseapp.training.schedule import cyclical_lr, highest_stable, range_test_rates, suggested_rate
from poseapp.training.targets import LIMBS, heatmaps, pafs, sigma_at
from tests.conftest import MPII_DIR

SIZE, OUT = 224, 28


def sample_and_image():
    s = next(s for s in load_mpii(MPII_DIR) if s.visible.all())
    return s, read_rgb(s.image)


def peaks(maps: np.ndarray) -> np.ndarray:
    """(J, 2) argmax positions (x, y) in map pixels."""
    flat = maps.reshape(len(maps), -1).argmax(1)
    return np.stack([flat % maps.shape[2], flat // maps.shape[2]], 1)


def test_flip_puts_peaks_on_the_swapped_joints():
    s, rgb = sample_and_image()
    _, plain, _ = make_example(s, rgb, SIZE, None, NONE)
    rng = np.random.default_rng(0)
    _, flipped, vis = make_example(s, rgb, SIZE, rng, Augmentation(flip=1.0, scale=(1, 1), rotation=0))
    # the left knee of the flipped crop is the mirror of the right knee of the plain one
    left, right = INDEX["left_knee"], INDEX["right_knee"]
    assert np.allclose(flipped[left], [SIZE - 1 - plain[right][0], plain[right][1]], atol=1e-3)
    maps = heatmaps(flipped, vis, SIZE, OUT, sigma=1.0)
    expected = np.floor(flipped * OUT / SIZE).astype(int)
    assert np.abs(peaks(maps)[vis] - expected[vis]).max() <= 1


def test_rotation_turns_the_pafs_with_the_limbs():
    s, rgb = sample_and_image()
    rng = np.random.default_rng(3)
    _, joints, vis = make_example(s, rgb, SIZE, rng, Augmentation(flip=0, scale=(1, 1), rotation=45))
    _, plain, _ = make_example(s, rgb, SIZE, None, NONE)
    fields = pafs(joints, vis, SIZE, OUT, width=1.0)
    checked = 0
    for k, (a, b) in enumerate(LIMBS):
        i, j = INDEX[a], INDEX[b]
        if not (vis[i] and vis[j]):
            continue
        d = joints[j] - joints[i]
        if np.hypot(*d) < 16:
            continue
        u = d / np.hypot(*d)
        mid = np.floor((joints[i] + joints[j]) / 2 * OUT / SIZE).astype(int)
        assert np.allclose(fields[2 * k:2 * k + 2, mid[1], mid[0]], u, atol=1e-5)
        d0 = plain[j] - plain[i]
        turn = np.degrees(np.arctan2(d[1], d[0]) - np.arctan2(d0[1], d0[0]))
        turns = (turn + 180) % 360 - 180
        checked += 1
    assert checked >= 8 and 0 < abs(turns) <= 45.01  # every limb turned by the same sampled angle


def test_schedules():
    assert sigma_at(0, 200, 46) == 2.0 and sigma_at(199, 200, 46) == 1.0 and sigma_at(100, 200, 46) == 1.5
    assert sigma_at(0, 200, 28) < 2.0  # scaled with the pass resolution
    peaks_by_cycle = [cyclical_lr(c * 100 + 50, 100, 1e-4, 1e-2) for c in range(3)]
    assert peaks_by_cycle[0] == 1e-2 and peaks_by_cycle[1] < peaks_by_cycle[0]
    assert cyclical_lr(0, 100, 1e-4, 1e-2) == 1e-4
    rates = range_test_rates(1e-4, 1.0, 5)
    assert highest_stable(rates, [1.0, 0.8, 0.5, 3.0, float("nan")]) == rates[2]


def test_suggested_rate_sits_well_below_divergence():
    """A loss that falls, bottoms out near 1e-2 and diverges past 1e-1 (the shape the range test
    gave on the MPII images): the suggestion is a tenth of the lowest loss's rate or less, never
    the divergence point that sent training to NaN."""
    rates = range_test_rates(1e-5, 1.0, 40)
    losses = [1.0 - 0.8 / (1 + math.exp(-3 * (math.log10(r) + 3))) + (30 * (r - 0.05) if r > 0.05 else 0)
              for r in rates]
    verdict = suggested_rate(rates, losses)
    assert verdict["highest_stable"] > 0.05 and verdict["suggested"] <= verdict["lowest_loss"] / 10
    assert verdict["suggested"] < verdict["highest_stable"] / 10
    assert 1e-4 <= verdict["steepest_descent"] <= 1e-2  # where the loss falls fastest
