"""The crop a pose asks for: a square around its confident joints, turned upright along the
body; and the distances between people that localisation compares."""

from __future__ import annotations

import math

import numpy as np

from poseapp.joints import INDEX
from poseapp.localise.detector import Detection, upright_turn
from poseapp.pose import Box, Pose


def joint_box(pose: Pose, threshold: float, margin: float, minimum: float, turn: bool = False) -> Box | None:
    """A square around the joints scoring at least ``threshold``, ``margin`` times their extent;
    with ``turn``, turned upright along the body (``body_down``, ``detector.upright_turn``)."""
    kp = pose.keypoints
    good = kp[kp[:, 2] >= threshold]
    if len(good) < 4:
        return None
    angle = upright_turn(body_down(pose, threshold)) if turn else 0.0
    c, s = math.cos(angle), math.sin(angle)
    axes = np.array([[c, s], [-s, c]])  # rows: the crop's x and y axes in the image
    local = good[:, :2] @ axes.T
    lo, hi = local.min(0), local.max(0)
    side = max(float((hi - lo).max()) * margin, minimum)
    cx, cy = ((lo + hi) / 2) @ axes
    return Box(float(cx) - side / 2, float(cy) - side / 2, side, angle)


def body_down(pose: Pose, threshold: float) -> np.ndarray:
    """The direction ``pose``'s body points, from the thorax (else the neck) down to the pelvis
    (else the hips' midpoint); zero when those joints are not sure."""
    kp = pose.keypoints
    sure = kp[:, 2] >= threshold
    pelvis, thorax, neck = INDEX["pelvis"], INDEX["thorax"], INDEX["upper_neck"]
    hips = [INDEX["right_hip"], INDEX["left_hip"]]
    low = pelvis if sure[pelvis] else None
    high = thorax if sure[thorax] else (neck if sure[neck] else None)
    if high is None or (low is None and not sure[hips].all()):
        return np.zeros(2)
    bottom = kp[low, :2] if low is not None else kp[hips, :2].mean(0)
    return bottom - kp[high, :2]


def distance(box: Box | None, point: tuple[float, float]) -> float:
    """From ``point`` to a joint box: 0 inside it, else to its centre (infinite without a box)."""
    if box is None:
        return math.inf
    if box.holds(point):
        return 0.0
    return math.dist(box.centre, point)


def detection_box(d: Detection) -> Box:
    """A detection's box as a square around its centre (for ``distance`` to a point)."""
    (x0, y0), (x1, y1) = d.box[:2], d.box[2:]
    side = float(max(x1 - x0, y1 - y0))
    return Box(float(x0 + x1) / 2 - side / 2, float(y0 + y1) / 2 - side / 2, side)


def apart(a: Box, b: Box) -> bool:
    """Two joint boxes belong to different people when their centres are over half a box apart."""
    return math.dist(a.centre, b.centre) > 0.5 * max(a.size, b.size)
