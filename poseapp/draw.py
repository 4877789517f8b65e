"""Draws a pose (skeleton, joints, crop box) onto an RGB image with OpenCV; no Qt."""

from __future__ import annotations

import cv2
import numpy as np

from poseapp.joints import EDGES, INDEX, JOINTS, side
from poseapp.pose import Pose

COLOURS = {"left": (40, 120, 255), "right": (255, 80, 40), "centre": (60, 200, 60)}  # RGB
BOX_COLOUR = (255, 220, 0)
#: The one rule for every drawing (``image --out``, annotated videos, the window's default): a joint
#: scoring under it is not drawn, nor are its bones. Scores are heatmap peaks (0-1).
DRAW_THRESHOLD = 0.3
#: A found pose whose mean joint score is under this is weak (found on little evidence): its
#: skeleton is drawn faded, so it is seen as a guess, not hidden.
WEAK_SCORE = 0.2


def legend_text(threshold: float) -> str:
    """What a drawing leaves out, in words (written on images, shown in the window's status bar)."""
    return f"joints scoring under {threshold:.2f} not drawn"


def draw_label(image: np.ndarray, text: str, at, size: float | None = None, thickness: int | None = None) -> None:
    """White text with a black outline at ``at`` (its baseline's left end, moved inside the image),
    in place: readable on any background. ``size`` and ``thickness`` default to the image's size."""
    scale = max(1, round(max(image.shape[:2]) / 400))
    size = 0.5 * scale if size is None else size
    thickness = scale if thickness is None else thickness
    (w, h), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, size, thickness)
    at = (int(min(max(at[0], 0), image.shape[1] - w - 2)), int(min(max(at[1], h + 2), image.shape[0] - 2)))
    # the outline as the text shifted all round: OpenCV 5 caps a stroke's thickness, so a thicker black
    # stroke under the white one (the usual way) comes out no wider than the white and is hidden by it
    for dx in (-thickness, 0, thickness):
        for dy in (-thickness, 0, thickness):
            if dx or dy:
                cv2.putText(image, text, (at[0] + dx, at[1] + dy), cv2.FONT_HERSHEY_SIMPLEX, size, (0, 0, 0),
                            thickness, cv2.LINE_AA)
    cv2.putText(image, text, at, cv2.FONT_HERSHEY_SIMPLEX, size, (255, 255, 255), thickness, cv2.LINE_AA)


def draw_pose(rgb: np.ndarray, pose: Pose, threshold: float = DRAW_THRESHOLD, draw_box: bool = True,
              legend: bool = False) -> np.ndarray:
    """A copy of ``rgb`` with the crop box and the skeleton (joints under ``threshold`` hidden).

    A pose marked not found draws nothing of its own (no box on an empty scene). ``legend``
    writes the threshold rule in the bottom-left corner. A weak pose (score under ``WEAK_SCORE``)
    is drawn at 40% opacity.
    """
    out = rgb.copy()
    scale = max(1, round(max(out.shape[:2]) / 400))
    if draw_box and pose.found:
        corners = np.round(pose.box.corners()).astype(np.int32)
        cv2.polylines(out, [corners], True, BOX_COLOUR, scale, cv2.LINE_AA)
    if not pose.found:
        return _legend(out, threshold, scale) if legend else out
    base = out.copy() if pose.score < WEAK_SCORE else None
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
    if base is not None:
        out = cv2.addWeighted(out, 0.4, base, 0.6, 0)
    return _legend(out, threshold, scale) if legend else out


def _legend(image: np.ndarray, threshold: float, scale: int) -> np.ndarray:
    """The threshold rule in the bottom-left corner, in place, over the box and the skeleton (drawn
    last: no crop box runs across it)."""
    draw_label(image, legend_text(threshold), (4 * scale, image.shape[0] - 6 * scale), 0.4 * scale, scale)
    return image


def draw_people(rgb: np.ndarray, pose: Pose, people: dict[int, Pose], chosen: int | None,
                threshold: float = DRAW_THRESHOLD, legend: bool = False) -> np.ndarray:
    """Every person's skeleton with their id, the chosen one (``pose``, the plots' and the
    recording's) with its crop box and "followed" beside the id; ``legend`` as for ``draw_pose``."""
    out = draw_pose(rgb, pose, threshold)
    for i, p in people.items():
        if i != chosen:
            out = draw_pose(out, p, threshold, draw_box=False)
        kp = p.keypoints[p.keypoints[:, 2] >= threshold]
        if len(kp):
            draw_label(out, f"id {i}" + (" (followed)" if i == chosen else ""), kp[:, :2].min(0))
    return _legend(out, threshold, max(1, round(max(out.shape[:2]) / 400))) if legend else out
