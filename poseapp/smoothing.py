"""Smoothing of joint trajectories: One-Euro for live use, zero-lag Butterworth for recordings.

Joints scoring under a threshold count as missing (NaN). Gaps of up to ``max_gap`` frames are
filled by linear interpolation before filtering; longer gaps stay missing and split a trajectory
into segments filtered on their own. Inputs are never modified: callers keep the raw values.
"""

from __future__ import annotations

import math

import numpy as np

METHODS = ("none", "oneeuro", "butterworth")


def mask_low_scores(keypoints: np.ndarray, threshold: float) -> np.ndarray:
    """(T, J, 3) keypoints -> (T, J, 2) coordinates with NaN where the score is under ``threshold``."""
    kp = np.asarray(keypoints, dtype=np.float64)
    return np.where(kp[..., 2:3] >= threshold, kp[..., :2], np.nan)


def positions(keypoints: np.ndarray, smoothed: np.ndarray | None, threshold: float) -> np.ndarray:
    """(T, J, 2) the positions a result's angles and metres come from: the smoothed ones when
    smoothing ran, else the raw ones scoring at least ``threshold`` (NaN elsewhere)."""
    return smoothed if smoothed is not None else mask_low_scores(keypoints, threshold)


def _runs(missing: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) of each run of True in a 1-D mask."""
    edges = np.diff(np.r_[0, missing.astype(np.int8), 0])
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)))


def fill_gaps(values: np.ndarray, max_gap: int) -> np.ndarray:
    """Linearly interpolate NaN runs of at most ``max_gap`` frames along axis 0 (inner runs only)."""
    out = np.array(values, dtype=np.float64, copy=True)
    flat = out.reshape(len(out), -1)
    for column in flat.T:
        for start, stop in _runs(np.isnan(column)):
            if start > 0 and stop < len(column) and stop - start <= max_gap:
                column[start:stop] = np.interp(np.arange(start, stop), [start - 1, stop],
                                               [column[start - 1], column[stop]])
    return out


def butterworth(values: np.ndarray, fps: float, cutoff: float = 6.0, order: int = 4,
                report: dict | None = None) -> np.ndarray:
    """Zero-lag low-pass (``filtfilt``) along axis 0, per finite segment; segments too short stay raw.

    ``report``, when given, receives ``samples`` (finite values) and ``unfiltered`` (those left raw
    because their segment was too short for the filter), so a caller can say so.
    """
    from scipy.signal import butter, filtfilt

    if not 0 < cutoff < fps / 2:
        raise ValueError(f"the cut-off ({cutoff} Hz) must lie between 0 and half the frame rate ({fps / 2} Hz)")
    b, a = butter(order, cutoff / (fps / 2))
    pad = 3 * max(len(a), len(b))
    out = np.array(values, dtype=np.float64, copy=True)
    flat = out.reshape(len(out), -1)
    samples = unfiltered = 0
    for column in flat.T:
        for start, stop in _runs(np.isfinite(column)):
            samples += stop - start
            if stop - start > pad:
                column[start:stop] = filtfilt(b, a, column[start:stop])
            else:
                unfiltered += stop - start
    if report is not None:
        report.update(samples=samples, unfiltered=unfiltered, shortest_filtered_segment=pad + 1)
    return out


class OneEuro:
    """The One-Euro filter (Casiez et al. 2012) on an array of signals sampled together.

    min_cutoff (Hz) sets the smoothing at rest, beta how fast the cut-off rises with speed. A NaN
    sample passes through and restarts that signal.
    """

    def __init__(self, min_cutoff: float = 1.0, beta: float = 0.05, d_cutoff: float = 1.0) -> None:
        self.min_cutoff, self.beta, self.d_cutoff = min_cutoff, beta, d_cutoff
        self.reset()

    def reset(self) -> None:
        self._t: float | None = None
        self._x: np.ndarray | None = None
        self._dx: np.ndarray | None = None

    @staticmethod
    def _alpha(cutoff: np.ndarray | float, dt: float) -> np.ndarray | float:
        tau = 1.0 / (2 * math.pi * cutoff)
        return 1.0 / (1.0 + tau / dt)

    def __call__(self, t: float, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        if self._t is None or self._x is None or t <= self._t:
            self._t, self._x, self._dx = t, x.copy(), np.zeros_like(x)
            return x.copy()
        dt = t - self._t
        prev = np.where(np.isnan(self._x), x, self._x)
        dx = (x - prev) / dt
        dx_hat = self._dx + self._alpha(self.d_cutoff, dt) * (dx - self._dx)
        dx_hat = np.where(np.isfinite(dx_hat), dx_hat, 0.0)
        cutoff = self.min_cutoff + self.beta * np.abs(dx_hat)
        x_hat = prev + self._alpha(cutoff, dt) * (x - prev)
        self._t, self._x, self._dx = t, x_hat, dx_hat
        return x_hat.copy()


def smooth_trajectory(xy: np.ndarray, times: np.ndarray, method: str, max_gap: int = 10,
                      cutoff: float = 6.0, min_cutoff: float = 1.0, beta: float = 0.05,
                      report: dict | None = None) -> np.ndarray:
    """Smooth (T, ...) coordinates sampled at ``times`` (seconds) with ``method``; gaps filled first.

    ``report`` (Butterworth) receives the cut-off used (at most 0.45 of the frame rate) and how many
    values stayed unfiltered (see ``butterworth``)."""
    if method not in METHODS:
        raise ValueError(f"unknown smoothing {method!r}; choose from {', '.join(METHODS)}")
    filled = fill_gaps(xy, max_gap)
    if method == "none":
        return filled
    if method == "butterworth":
        duration = float(times[-1] - times[0]) if len(times) > 1 else 0.0
        fps = (len(times) - 1) / duration if duration > 0 else 30.0
        used = min(cutoff, 0.45 * fps)
        if report is not None:
            report["cutoff_hz_used"] = round(used, 3)
        return butterworth(filled, fps, used, report=report)
    euro = OneEuro(min_cutoff, beta)
    return np.stack([euro(float(t), frame) for t, frame in zip(times, filled)])
