"""Person crops with the paper's augmentation (flip, scale 0.75-1.25, rotation +-45 deg) in one affine warp.

The crop is the annotated person's box (MPII centre and scale, as ``Sample.person_box``); the
same matrix moves the joints, so image and joints always agree. Seeded: a ``numpy`` Generator.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from poseapp.io.mpii import Sample
from poseapp.joints import FLIP


@dataclass(frozen=True)
class Augmentation:
    flip: float = 0.5  # probability
    scale: tuple[float, float] = (0.75, 1.25)
    rotation: float = 45.0  # degrees, uniform in +-rotation


NONE = Augmentation(flip=0.0, scale=(1.0, 1.0), rotation=0.0)


def crop_matrix(sample: Sample, size: int, scale: float = 1.0, degrees: float = 0.0, flip: bool = False
                ) -> np.ndarray:
    """2x3 affine map from image pixels to the size x size crop: box centre to crop centre, rotated
    by ``degrees`` (counter-clockwise), zoomed by ``scale``, mirrored when ``flip``."""
    box = sample.person_box()
    cx, cy = box.centre
    k = scale * size / box.size
    m = cv2.getRotationMatrix2D((float(cx), float(cy)), degrees, k)
    m[:, 2] += np.array([size / 2 - cx, size / 2 - cy])
    if flip:
        m = np.array([[-1, 0, size - 1], [0, 1, 0]], np.float64) @ np.vstack([m, [0, 0, 1]])
    return m


def make_example(sample: Sample, rgb: np.ndarray, size: int, rng: np.random.Generator | None,
                 aug: Augmentation = NONE) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(size x size x 3 uint8 crop, (16, 2) joints in crop pixels, (16,) visibility), augmented when
    ``rng`` is given. A flip also swaps left and right joints, so 'left_knee' stays the left knee."""
    flip, scale, degrees = False, 1.0, 0.0
    if rng is not None:
        flip = bool(rng.random() < aug.flip)
        scale = float(rng.uniform(*aug.scale))
        degrees = float(rng.uniform(-aug.rotation, aug.rotation))
    m = crop_matrix(sample, size, scale, degrees, flip)
    crop = cv2.warpAffine(rgb, m, (size, size), flags=cv2.INTER_LINEAR, borderValue=(0, 0, 0))
    joints = sample.joints @ m[:, :2].T + m[:, 2]
    visible = sample.visible.astype(bool).copy()
    if flip:
        joints, visible = joints[list(FLIP)], visible[list(FLIP)]
    inside = (joints >= 0).all(1) & (joints < size).all(1)
    return crop, joints.astype(np.float32), visible & inside
