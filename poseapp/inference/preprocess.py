"""Upstream's preprocessing in numpy/OpenCV: a square crop, resized, normalised, in one pass.

``full_box`` is upstream's whole-frame input (the longer side fills the input, the shorter one is
zero-padded, centred); any other box crops the image the same way, padding with zeros outside it.
Only the part of the box inside the image is resized (straight from a view of the frame) and
pasted into a zeroed input, so a 1080p frame never gets a padded 1920x1920 copy. Large shrinks
go in two steps: OpenCV's fast whole-factor area average, then a linear resize by the remaining
factor (< 2); one area resize by a fractional factor costs ~4 ms on a 1080p frame. Where the box
sticks out of the image, the pasted part's edges are rounded to whole input pixels: the mapping
is then exact to within half an input pixel, below the decoder's one-pixel grid.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from poseapp.pose import Box

_MEAN = np.array([0.485, 0.456, 0.406], np.float32) * 255
_STD = np.array([0.229, 0.224, 0.225], np.float32) * 255


def full_box(height: int, width: int) -> Box:
    """The centred square around the whole frame, as upstream pads it."""
    side = max(height, width)
    return Box((width - side) // 2, (height - side) // 2, side)


def grid_starts(length: int, side: float, step: float, most: int) -> list[float]:
    """Starts of windows or tiles of ``side`` from 0 to ``length - side`` (centred when the
    window is longer), ``step`` apart or wider so that there are at most ``most``."""
    if side >= length:
        return [(length - side) / 2]
    n = min(math.ceil((length - side) / step) + 1, most)
    return list(np.linspace(0, length - side, n))


def crop_square(image: np.ndarray, box: Box, size: int) -> np.ndarray:
    """Cut ``box`` (integer-rounded) out of an HxWx3 image, zero outside it, resized to size x size;
    a turned box (``Box.angle``) is turned upright (``_turned``)."""
    if box.angle:
        return _turned(image, box, size)
    x0, y0, side = int(round(box.x)), int(round(box.y)), max(1, int(round(box.size)))
    h, w = image.shape[:2]
    sx0, sy0, sx1, sy1 = max(x0, 0), max(y0, 0), min(x0 + side, w), min(y0 + side, h)
    if (sx0, sy0, sx1, sy1) == (x0, y0, x0 + side, y0 + side):
        return _resize(image[sy0:sy1, sx0:sx1], size, size)
    out = np.zeros((size, size, 3), image.dtype)
    k = size / side
    dx0, dy0 = round((sx0 - x0) * k), round((sy0 - y0) * k)
    dx1, dy1 = round((sx1 - x0) * k), round((sy1 - y0) * k)
    if dx1 > dx0 and dy1 > dy0:
        out[dy0:dy1, dx0:dx1] = _resize(image[sy0:sy1, sx0:sx1], dx1 - dx0, dy1 - dy0)
    return out


def _turned(image: np.ndarray, box: Box, size: int) -> np.ndarray:
    """A turned crop: the upright square around it cut as usual (area-averaged when shrinking), at
    the resolution the crop asks for, then turned about its centre so the crop's axes are upright."""
    c, s = math.cos(box.angle), math.sin(box.angle)
    spread = abs(c) + abs(s)
    m = int(math.ceil(size * spread))
    cx, cy = box.centre
    half = box.size * spread / 2
    outer = Box(round(cx - half), round(cy - half), max(1, round(2 * half)))  # whole pixels, as cut
    region = crop_square(image, outer, m)
    per = m / outer.size  # region pixels per image pixel
    a = (box.size / size) * per * np.array([[c, -s], [s, c]])  # region pixels per crop pixel, turned
    t = (np.array([cx - outer.x, cy - outer.y]) * per - 0.5) + a @ np.array([0.5 - size / 2, 0.5 - size / 2])
    warp = np.hstack([a, t[:, None]]).astype(np.float32)
    return cv2.warpAffine(region, warp, (size, size), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                          borderMode=cv2.BORDER_CONSTANT)


def _resize(region: np.ndarray, width: int, height: int) -> np.ndarray:
    """Resize with area averaging when shrinking: a whole factor first (fast), then the rest."""
    h, w = region.shape[:2]
    factor = min(w // width, h // height)
    if factor >= 2:
        trimmed = region[:h - h % factor, :w - w % factor]
        region = cv2.resize(trimmed, (w // factor, h // factor), interpolation=cv2.INTER_AREA)
    area = factor < 2 and w > width
    return cv2.resize(region, (width, height), interpolation=cv2.INTER_AREA if area else cv2.INTER_LINEAR)


def normalise(rgb: np.ndarray, mode: str) -> np.ndarray:
    """uint8 RGB -> float32: 'torch' is ImageNet mean/std of x/255, 'tf' is x/127.5 - 1."""
    x = rgb.astype(np.float32)
    if mode == "tf":
        return x * (1 / 127.5) - 1
    return (x - _MEAN) * (1 / _STD)


def preprocess(rgb: np.ndarray, box: Box, size: int, mode: str) -> np.ndarray:
    """One HxWx3 uint8 RGB image -> a size x size x 3 float32 network input (NHWC row)."""
    return normalise(crop_square(rgb, box, size), mode)
