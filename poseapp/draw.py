"""Draws a pose (skeleton, joints, crop box) onto an RGB image with OpenCV; no Qt."""

from __future__ import annotations

import cv2
import numpy as np

from poseapp.joints import EDGES, INDEX, JOINTS, side
from poseapp.pose import Pose

COLOURS = {"left": (40, 120, 255), "right": (255, 80, 40), "centre": (60, 200, 60)}  # RGB
BOX_COLOUR = (255, 220, 0)


def draw_pose(rgb: np.ndarray, pose: Pose, threshold: float = 0.0, draw_box: bool = True) -> np.ndarray:
    """A copy of ``rgb`` with the crop box and the skeleton (joints under ``threshold`` hidden).

    A pose marked not found draws only its box: where the model looked and saw nobody.
    """
    out = rgb.copy()
    scale = max(1, round(max(out.shape[:2]) / 400))
    if draw_box:
        b = pose.box
        cv2.rectangle(out, (int(b.x), int(b.y)), (int(b.x + b.size), int(b.y + b.size)), BOX_COLOUR, scale)
    if not pose.found:
        return out
    kp = pose.keypoints
    for a, b in EDGES:
        i, j = INDEX[a], INDEX[b]
        if kp[i, 2] >= threshold and kp[j, 2] >= threshold:
            colour = COLOURS[side(b) if side(b) != "centre" else side(a)]
            cv2.line(out, tuple(int(v) for v in kp[i, :2]), tuple(int(v) for v in kp[j, :2]),
                     colour, 2 * scale, cv2.LINE_AA)
    for name, (x, y, s) in zip(JOINTS, kp):
        if s >= threshold:
            cv2.circle(out, (int(x), int(y)), 3 * scale, COLOURS[side(name)], -1, cv2.LINE_AA)
    return out
