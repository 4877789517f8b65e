"""A learned person detector before the pose model: MediaPipe's BlazePose detector, one pass.

The frame is letterboxed into the detector's 224x224 input (``preprocess.crop_square`` around
``full_box``, brightened when under-exposed: ``exposed``; values -1..1), run as an ONNX graph
(``weights.detector_file``), and its 2254 SSD anchors decoded and suppressed here in numpy, as
MediaPipe's own graph states
(``pose_detection_cpu.pbtxt``: anchors of strides 8, 16, 32, 32, 32 with fixed size, sigmoid
scores over 0.5, weighted non-maximum suppression at IoU 0.3). Each detection carries four
points: the hips' midpoint, a point whose distance from it gives the body's size and whose
direction its rotation, and the same two for the upper body.

``Detection.crop`` is the square the pose model sees: centred on the hips' midpoint, 2 x 1.25 x
the body-size radius wide (MediaPipe's own region of interest), turned so that the body stands
upright in it when it leans more than ``MIN_TILT`` (a person lying or upside down is shown to a
model trained on upright people as upright; an upright walker's crop is not jittered by a few
degrees). People too small for one pass are looked for on overlapping tiles (``detect_tiles``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from poseapp.inference.preprocess import crop_square, full_box, grid_starts, normalise
from poseapp.pose import Box

SIZE = 224
STRIDES = (8, 16, 32, 32, 32)
MIN_SCORE = 0.5
#: A tile shows clutter magnified: its detections must score higher (at 0.5 a tile of the truck
#: picture took its door for a person: ``tests/localise/test_search.py``'s nobody-pictures).
TILE_MIN_SCORE = 0.7
NMS_IOU = 0.3
ROI_SCALE = 1.25
MIN_TILT = math.radians(20)


def anchors() -> np.ndarray:
    """The (2254, 2) anchor centres in 0..1, in the order the detector's outputs list them:
    per stride (layers of one stride merged), per cell row-major, two anchors per layer."""
    centres = []
    i = 0
    while i < len(STRIDES):
        stride, per_cell = STRIDES[i], 0
        while i < len(STRIDES) and STRIDES[i] == stride:
            per_cell += 2  # aspect ratio 1 and its interpolated scale
            i += 1
        n = math.ceil(SIZE / stride)
        ys, xs = np.mgrid[0:n, 0:n]
        grid = np.stack([(xs + 0.5) / n, (ys + 0.5) / n], -1).reshape(-1, 1, 2)
        centres.append(np.repeat(grid, per_cell, axis=1).reshape(-1, 2))
    return np.concatenate(centres).astype(np.float32)


_ANCHORS = anchors()


def upright_turn(down: np.ndarray, min_tilt: float = MIN_TILT) -> float:
    """The ``Box.angle`` that stands a body upright in its crop, from the direction ``down`` its
    body points (head to hips, in image pixels); 0 when it leans no more than ``min_tilt``, so an
    upright walker's crop is not jittered by a few degrees."""
    if not np.hypot(*down):
        return 0.0
    angle = math.atan2(-float(down[0]), float(down[1]))
    return angle if abs(angle) > min_tilt else 0.0


@dataclass
class Detection:
    """One person: the detector's score, a box (x0, y0, x1, y1) and four points (4, 2), in image pixels."""

    score: float
    box: np.ndarray
    points: np.ndarray

    def crop(self, scale: float = ROI_SCALE, min_tilt: float = MIN_TILT) -> Box:
        """The square crop of the whole body: centred on the hips' midpoint, ``2 * scale`` times
        the body-size radius wide, rotated upright when the body leans more than ``min_tilt``."""
        hips, top = self.points[0], self.points[1]
        radius = max(float(np.hypot(*(hips - top))), 1.0)
        side = 2 * scale * radius
        return Box(float(hips[0]) - side / 2, float(hips[1]) - side / 2, side, upright_turn(hips - top, min_tilt))


def decode(raw: np.ndarray, logits: np.ndarray, min_score: float = MIN_SCORE) -> list[Detection]:
    """The detector's (2254, 12) raw boxes and (2254,) score logits -> detections over ``min_score``
    in 0..1 of its input, suppressed (``weighted_nms``), best first."""
    scores = 1 / (1 + np.exp(-np.clip(logits.astype(np.float64), -100, 100)))
    keep = np.flatnonzero(scores >= min_score)
    if not len(keep):
        return []
    r, a = raw[keep] / SIZE, _ANCHORS[keep]
    centre = r[:, :2] + a
    half = r[:, 2:4] / 2
    boxes = np.concatenate([centre - half, centre + half], 1)
    points = r[:, 4:12].reshape(-1, 4, 2) + a[:, None]
    return weighted_nms(scores[keep], boxes, points)


def weighted_nms(scores: np.ndarray, boxes: np.ndarray, points: np.ndarray, iou: float = NMS_IOU) -> list[Detection]:
    """MediaPipe's weighted suppression: the best remaining detection takes every other one that
    overlaps it by more than ``iou`` and becomes their score-weighted mean (its own score kept)."""
    order = list(np.argsort(-scores))
    out = []
    while order:
        best = order[0]
        overlaps = _iou(boxes[best], boxes[order])
        group = [k for k, o in zip(order, overlaps) if o > iou]
        w = scores[group][:, None]
        out.append(Detection(float(scores[best]), (boxes[group] * w).sum(0) / w.sum(),
                             (points[group] * w[:, :, None]).sum(0) / w.sum()))
        order = [k for k, o in zip(order, overlaps) if o <= iou]
    return out


def _iou(box: np.ndarray, others: np.ndarray) -> np.ndarray:
    lo, hi = np.maximum(box[:2], others[:, :2]), np.minimum(box[2:], others[:, 2:])
    inter = np.prod(np.clip(hi - lo, 0, None), axis=1)
    area = lambda b: np.prod(np.clip(b[..., 2:] - b[..., :2], 0, None), axis=-1)  # noqa: E731
    return inter / np.maximum(area(box) + area(others) - inter, 1e-9)


class Detector:
    """MediaPipe's pose detector run by ONNX Runtime; ``detect`` one frame in one pass.

    ``path`` None takes the converted graph from the cache, fetching and converting it first
    (``weights.detector_file.ensure_detector``; MissingWeightsError offline without it)."""

    def __init__(self, path: str | None = None, threads: int | None = None, spin: bool = True) -> None:
        import onnxruntime as ort

        from poseapp.inference.backends import session_options
        from poseapp.weights.detector_file import ensure_detector

        self.session = ort.InferenceSession(str(path or ensure_detector()), session_options(threads, spin),
                                            providers=["CPUExecutionProvider"])
        self.passes = 0  # detector passes run, for the forward-pass count of a result

    def run(self, rgb: np.ndarray, box: Box, min_score: float = MIN_SCORE) -> list[Detection]:
        """The people in ``box`` of ``rgb`` (a square, letterboxed into the input) scoring at least
        ``min_score``, in image pixels."""
        x = normalise(exposed(crop_square(rgb, box, SIZE)), "tf")[None]
        raw, logits = self.session.run(["Identity", "Identity_1"], {"image": x})
        self.passes += 1
        found = decode(raw[0], logits[0, :, 0], min_score)
        for d in found:
            d.box = d.box * box.size + np.array([box.x, box.y] * 2, np.float32)
            d.points = d.points * box.size + np.array([box.x, box.y], np.float32)
        return found

    def detect(self, rgb: np.ndarray) -> list[Detection]:
        """Everyone the detector finds in the whole frame, best first."""
        return self.run(rgb, full_box(*rgb.shape[:2]))

    def detect_tiles(self, rgb: np.ndarray, fraction: float = 0.6, overlap: float = 1 / 3,
                     most: int = 4) -> list[Detection]:
        """People too small for the whole frame's pass: the detector on overlapping square tiles
        ``fraction`` of the shorter side (at most ``most`` along a side), scoring ``TILE_MIN_SCORE``,
        merged by suppression."""
        h, w = rgb.shape[:2]
        side = fraction * min(h, w)
        step = side * (1 - overlap)
        found = [d for y in grid_starts(h, side, step, most) for x in grid_starts(w, side, step, most)
                 for d in self.run(rgb, Box(x, y, side), TILE_MIN_SCORE)]
        return merged(found)

    def detect_everyone(self, rgb: np.ndarray) -> list[Detection]:
        """The whole frame's people and the tiles' (the far ones too), merged: for following
        everyone in view, where one pass would leave the small people out."""
        return merged(self.detect(rgb) + self.detect_tiles(rgb))


def exposed(rgb: np.ndarray, dark: float = 128, target: float = 230) -> np.ndarray:
    """An under-exposed input brightened for the detector (its 99th percentile under ``dark``
    raised to ``target``), as a camera's auto-exposure would: the detector was trained on ordinary
    exposures (the image test bed's darkened pictures: ``groups`` in its JSON). The pose model
    still sees the frame as it is."""
    top = float(np.percentile(rgb[::2, ::2], 99))
    if top >= dark:
        return rgb
    return np.clip(rgb.astype(np.float32) * (target / max(top, 1.0)), 0, 255).astype(np.uint8)


def merged(found: list[Detection]) -> list[Detection]:
    """Detections from several passes as one list, the same person's suppressed into one."""
    if not found:
        return []
    return weighted_nms(np.array([d.score for d in found]), np.stack([d.box for d in found]),
                        np.stack([d.points for d in found]))

