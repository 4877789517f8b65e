"""Training targets: Gaussian confidence maps per joint and part affinity fields per limb.

Maps are made at a detection pass's output resolution from joints given in input pixels. Sigma is
in output pixels; ``sigma_at`` gives the paper's stepwise shrinking schedule.
"""

from __future__ import annotations

import numpy as np

from poseapp.joints import EDGES, INDEX

#: The 14 limbs of the PAF pass: the skeleton's edges without upper_neck-thorax (a few pixels long
#: in MPII, no direction worth learning). Upstream published no order; this one is ours.
LIMBS: tuple[tuple[str, str], ...] = tuple(e for e in EDGES if e != ("upper_neck", "thorax"))


def heatmaps(joints: np.ndarray, visible: np.ndarray, input_size: int, out_size: int, sigma: float) -> np.ndarray:
    """(16, out, out) float32: exp(-d^2 / 2 sigma^2) around each visible joint, zeros for the others."""
    scale = out_size / input_size
    grid = np.arange(out_size, dtype=np.float32) + 0.5
    maps = np.zeros((len(joints), out_size, out_size), np.float32)
    for j, ((x, y), v) in enumerate(zip(joints * scale, visible)):
        if v:
            gx = np.exp(-((grid - x) ** 2) / (2 * sigma**2))
            gy = np.exp(-((grid - y) ** 2) / (2 * sigma**2))
            maps[j] = np.outer(gy, gx)
    return maps


def pafs(joints: np.ndarray, visible: np.ndarray, input_size: int, out_size: int, width: float) -> np.ndarray:
    """(28, out, out) float32: for each limb, the unit vector from its first joint to its second on
    pixels within ``width`` (output pixels) of the segment, zero elsewhere (x then y per limb)."""
    scale = out_size / input_size
    pts = joints * scale
    ys, xs = np.mgrid[0:out_size, 0:out_size].astype(np.float32) + 0.5
    fields = np.zeros((2 * len(LIMBS), out_size, out_size), np.float32)
    for k, (a, b) in enumerate(LIMBS):
        i, j = INDEX[a], INDEX[b]
        if not (visible[i] and visible[j]):
            continue
        d = pts[j] - pts[i]
        length = float(np.hypot(*d))
        if length < 1e-6:
            continue
        u = d / length
        rx, ry = xs - pts[i][0], ys - pts[i][1]
        along = rx * u[0] + ry * u[1]
        across = np.abs(rx * u[1] - ry * u[0])
        on = (along >= -width) & (along <= length + width) & (across <= width)
        fields[2 * k][on] = u[0]
        fields[2 * k + 1][on] = u[1]
    return fields


def sigma_at(epoch: int, epochs: int, out_size: int, start: float = 2.0, end: float = 1.0, steps: int = 3) -> float:
    """Stepwise-shrinking sigma in output pixels: ``steps`` equal stages from ``start`` to ``end``
    (values for EfficientPose II's 46-pixel passes, scaled linearly with ``out_size`` as upstream's
    authors describe for the other variants)."""
    stage = min(steps - 1, epoch * steps // max(epochs, 1))
    value = start + (end - start) * stage / max(steps - 1, 1)
    return value * out_size / 46
