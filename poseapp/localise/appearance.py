"""What the followed person looks like: colour histograms of the torso and the thighs.

Where the person was is no guide once the camera pans or the person has walked out and back in;
what they wear is. A signature is two colour histograms (shirt: shoulders to hips; trousers or
skirt: hips to knees), taken only from joints the model is sure of, so that a tracker can tell the
person it lost from another one it finds (``similarity``, 1 for the same colours, 0 for none in
common). Hue and saturation are binned finely, brightness in three coarse bins only (``BINS``): a
black shirt differs from a white one, while the same shirt in some shade mostly stays the same;
strong light changes (backlit against front-lit) still lower the similarity.
"""

from __future__ import annotations

import cv2
import numpy as np

from poseapp.joints import INDEX

_TORSO = [INDEX[n] for n in ("right_shoulder", "left_shoulder", "right_hip", "left_hip")]
_THIGHS = [INDEX[n] for n in ("right_hip", "left_hip", "right_knee", "left_knee")]
BINS = (12, 6, 3)


def _histogram(rgb: np.ndarray, corners: np.ndarray) -> np.ndarray | None:
    """The normalised hue-saturation-brightness histogram inside the box of ``corners``, its sides
    pulled in by a fifth (the background beside a narrow torso stays out)."""
    lo, hi = corners.min(0), corners.max(0)
    pad = (hi - lo) * np.array([0.2, 0.1])
    x0, y0 = np.maximum(lo + pad, 0).astype(int)
    x1, y1 = np.minimum(hi - pad, [rgb.shape[1], rgb.shape[0]]).astype(int)
    if x1 - x0 < 3 or y1 - y0 < 3:
        return None
    hsv = cv2.cvtColor(np.ascontiguousarray(rgb[y0:y1, x0:x1]), cv2.COLOR_RGB2HSV)
    hist = cv2.calcHist([hsv], [0, 1, 2], None, list(BINS), [0, 180, 0, 256, 0, 256])
    return cv2.normalize(hist, None, 1.0, 0.0, cv2.NORM_L1)


def signature(rgb: np.ndarray, keypoints: np.ndarray, threshold: float) -> list[np.ndarray] | None:
    """The person's two histograms from (16, 3) ``keypoints``; None when the shoulders and hips
    are not all sure (the thighs' histogram is left out when the knees are not)."""
    sure = keypoints[:, 2] >= threshold
    if not sure[_TORSO].all():
        return None
    parts = [_histogram(rgb, keypoints[_TORSO, :2])]
    if sure[_THIGHS].all():
        parts.append(_histogram(rgb, keypoints[_THIGHS, :2]))
    return None if parts[0] is None else [p for p in parts if p is not None]


def similarity(a: list[np.ndarray], b: list[np.ndarray]) -> float:
    """How alike two signatures are, 0-1: the mean Bhattacharyya coefficient of the parts both have."""
    pairs = list(zip(a, b))
    return float(np.mean([1 - cv2.compareHist(x, y, cv2.HISTCMP_BHATTACHARYYA) for x, y in pairs]))


def blend(old: list[np.ndarray] | None, new: list[np.ndarray], rate: float = 0.2) -> list[np.ndarray]:
    """A running signature: ``rate`` of the new look mixed into the old (light changes slowly); a
    part only one of them has is taken as it is."""
    if old is None:
        return new
    mixed = [(1 - rate) * o + rate * n for o, n in zip(old, new)]
    longer = old if len(old) > len(new) else new
    return mixed + longer[len(mixed):]
