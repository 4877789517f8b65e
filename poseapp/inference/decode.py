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


#: Where ``summits``' values lie around each peak: the peak, then left, right, up, down.
AROUND = ((0, 0), (0, -1), (0, 1), (-1, 0), (1, 0))


def peaks(heatmaps: np.ndarray, refine: bool = True) -> np.ndarray:
    """(J, H, W) heatmaps -> (J, 3): x, y in input pixels (pixel edges, upstream's +0.5), score."""
    ys, xs, around = summits(blur(heatmaps))
    return finish(ys, xs, around, *heatmaps.shape[1:], refine)


def summits(smooth: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each blurred plane's highest pixel (row, column) and the values ``AROUND`` it, (J, 5),
    edges clamped. A GPU backend computes the same on the device, so only these come back."""
    j, h, w = smooth.shape
    ys, xs = np.divmod(smooth.reshape(j, -1).argmax(1), w)
    cols = np.arange(j)[:, None]
    dy, dx = np.array(AROUND).T
    return ys, xs, smooth[cols, np.clip(ys[:, None] + dy, 0, h - 1), np.clip(xs[:, None] + dx, 0, w - 1)]


def finish(ys: np.ndarray, xs: np.ndarray, around: np.ndarray, h: int, w: int, refine: bool = True) -> np.ndarray:
    """Summits -> (J, 3) joints: the peak's pixel edge (+0.5), shifted by at most half a pixel on
    each axis to the top of a parabola through it and its neighbours when ``refine``; its score."""
    out = np.empty((len(ys), 3), np.float32)
    out[:, 2] = around[:, 0]
    dx = _parabola(around[:, 1], around[:, 0], around[:, 2], (xs > 0) & (xs < w - 1)) if refine else 0
    dy = _parabola(around[:, 3], around[:, 0], around[:, 4], (ys > 0) & (ys < h - 1)) if refine else 0
    out[:, 0] = xs + 0.5 + dx
    out[:, 1] = ys + 0.5 + dy
    return out


def _parabola(a: np.ndarray, b: np.ndarray, c: np.ndarray, inside: np.ndarray) -> np.ndarray:
    """The offset of the top of the parabola through (-1, a), (0, b), (1, c), within half a pixel;
    0 at the map's edge or where the three do not bend down."""
    denom = a - 2 * b + c
    safe = inside & (denom < 0)
    off = np.where(safe, 0.5 * (a - c) / np.where(safe, denom, 1), 0)
    return np.clip(off, -0.5, 0.5).astype(np.float32)


def to_image(points: np.ndarray, box: Box, size: int) -> np.ndarray:
    """Input-pixel joints -> original-image pixels, undoing the crop, resize and turn of ``box``."""
    out = points.copy()
    scale = box.size / size
    if not box.angle:
        out[:, 0] = box.x + points[:, 0] * scale
        out[:, 1] = box.y + points[:, 1] * scale
        return out
    c, s = np.cos(box.angle), np.sin(box.angle)
    u, v = (points[:, 0] - size / 2) * scale, (points[:, 1] - size / 2) * scale
    cx, cy = box.centre
    out[:, 0] = cx + u * c - v * s
    out[:, 1] = cy + u * s + v * c
    return out
