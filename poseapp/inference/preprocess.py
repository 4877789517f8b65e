"""Upstream's preprocessing in numpy/OpenCV: a square crop, resized, normalised in one pass.

``full_box`` is upstream's whole-frame input (the longer side fills the input, the shorter one is
zero-padded, centred); any other box crops the image the same way, padding with zeros outside it.
"""

from __future__ import annotations

import cv2
import numpy as np

from poseapp.pose import Box

_MEAN = np.array([0.485, 0.456, 0.406], np.float32) * 255
_STD = np.array([0.229, 0.224, 0.225], np.float32) * 255


def full_box(height: int, width: int) -> Box:
    """The centred square around the whole frame, as upstream pads it."""
    side = max(height, width)
    return Box((width - side) // 2, (height - side) // 2, side)


def crop_square(image: np.ndarray, box: Box, size: int) -> np.ndarray:
    """Cut ``box`` (integer-rounded) out of an HxWx3 image, zero outside it, resized to size x size."""
    x0, y0, side = int(round(box.x)), int(round(box.y)), max(1, int(round(box.size)))
    h, w = image.shape[:2]
    sx0, sy0, sx1, sy1 = max(x0, 0), max(y0, 0), min(x0 + side, w), min(y0 + side, h)
    if sx0 == 0 and sy0 == 0 and sx1 - sx0 == side and sy1 - sy0 == side:
        square = image
    else:
        square = np.zeros((side, side, 3), image.dtype)
        if sx1 > sx0 and sy1 > sy0:
            square[sy0 - y0:sy1 - y0, sx0 - x0:sx1 - x0] = image[sy0:sy1, sx0:sx1]
    interp = cv2.INTER_AREA if side > size else cv2.INTER_LINEAR
    return cv2.resize(square, (size, size), interpolation=interp)


def normalise(rgb: np.ndarray, mode: str) -> np.ndarray:
    """uint8 RGB -> float32: 'torch' is ImageNet mean/std of x/255, 'tf' is x/127.5 - 1."""
    x = rgb.astype(np.float32)
    if mode == "tf":
        return x * (1 / 127.5) - 1
    return (x - _MEAN) * (1 / _STD)


def preprocess(rgb: np.ndarray, box: Box, size: int, mode: str) -> np.ndarray:
    """One HxWx3 uint8 RGB image -> a size x size x 3 float32 network input (NHWC row)."""
    return normalise(crop_square(rgb, box, size), mode)
