"""Heatmaps -> joints, as upstream decodes them, plus optional sub-pixel refinement.

Upstream: Gaussian blur (sigma 1) of each final heatmap, argmax, +0.5 pixel, normalise by the
input size, undo the padding. The refinement fits a parabola through the peak and its two
neighbours on each axis (a shift of at most half a pixel).
"""

from __future__ import annotations

import cv2
import numpy as np

from poseapp.pose import Box


def blur(heatmaps: np.ndarray) -> np.ndarray:
    """Gaussian blur of each (J, H, W) plane, sigma 1, radius 4, reflecting (scipy's gaussian_filter)."""
    return np.stack([cv2.GaussianBlur(plane, (9, 9), 1.0, borderType=cv2.BORDER_REFLECT) for plane in heatmaps])


def peaks(heatmaps: np.ndarray, refine: bool = True) -> np.ndarray:
    """(J, H, W) heatmaps -> (J, 3): x, y in input pixels (pixel edges, upstream's +0.5), score."""
    j, h, w = heatmaps.shape
    smooth = blur(heatmaps)
    flat = smooth.reshape(j, -1).argmax(1)
    ys, xs = np.divmod(flat, w)
    out = np.empty((j, 3), np.float32)
    cols = np.arange(j)
    out[:, 2] = smooth[cols, ys, xs]
    dx = np.zeros(j, np.float32)
    dy = np.zeros(j, np.float32)
    if refine:
        dx = _parabola(smooth, ys, xs, cols, 0, 1, w)
        dy = _parabola(smooth, ys, xs, cols, 1, 0, h)
    out[:, 0] = xs + 0.5 + dx
    out[:, 1] = ys + 0.5 + dy
    return out


def _parabola(m: np.ndarray, ys, xs, cols, sy: int, sx: int, n: int) -> np.ndarray:
    pos = xs if sx else ys
    ok = (pos > 0) & (pos < n - 1)
    ym, yp = np.clip(ys - sy, 0, None), np.clip(ys + sy, None, m.shape[1] - 1)
    xm, xp = np.clip(xs - sx, 0, None), np.clip(xs + sx, None, m.shape[2] - 1)
    a, b, c = m[cols, ym, xm], m[cols, ys, xs], m[cols, yp, xp]
    denom = a - 2 * b + c
    safe = ok & (denom < 0)
    off = np.where(safe, 0.5 * (a - c) / np.where(safe, denom, 1), 0)
    return np.clip(off, -0.5, 0.5).astype(np.float32)


def to_image(points: np.ndarray, box: Box, size: int) -> np.ndarray:
    """Input-pixel joints -> original-image pixels, undoing the crop and resize of ``box``."""
    out = points.copy()
    scale = box.size / size
    out[:, 0] = box.x + points[:, 0] * scale
    out[:, 1] = box.y + points[:, 1] * scale
    return out
