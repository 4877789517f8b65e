"""Person localisation: which square of the frame the model looks at.

One interface, ``Localiser.locate(engine, rgb) -> Pose``, with the modes:

- ``full``: upstream's input, the whole frame padded to a square. Fine when the person fills it.
- ``auto``: a search for the person in a single image. A multi-scale grid of square windows is
  run as one batch through a search model (by default RT, the cheapest), each window scored by
  the mean of its 16 heatmap peaks; the chosen window's confident joints then give a tight crop,
  which the chosen variant refines (twice: the second crop comes from its own joints).
  Where several people are in the frame, the windows scoring close to the best are candidates and
  the one whose person is largest and most central wins (``choose``). Presence is decided by two
  pieces of evidence (``present``): the refined pose's mean joint score reaches ``min_score``
  (0.1), and the search model's pose in the chosen window agrees with the refined one on at
  least ``min_agreement`` of the joints (two looks at the same person see the same skeleton; a
  phantom made of a door and a mirror does not survive the second look). A pose that passes is
  given with its score however weak; one that fails is marked not found.

- ``track``: video. The next frame's crop comes from the previous pose's joints, one forward pass
  a frame, as MediaPipe does. When that crop's score drops under ``keep_score`` (the person moved
  more than the margin, as when a live view drops frames), a crop ``widen`` times larger around the
  same place is tried and refined (three passes); only when that fails too, and on the first frame,
  does it fall back to ``auto`` (about 26 passes). Stateful: one ``Track`` per video, ``reset()``
  on a seek.
"""

from __future__ import annotations

import math
from typing import Protocol

import numpy as np

from poseapp.errors import PoseappError
from poseapp.inference.engine import Engine
from poseapp.inference.preprocess import full_box
from poseapp.pose import Box, Pose

MODES = ("auto", "full", "track")


class Localiser(Protocol):
    mode: str

    def locate(self, engine: Engine, rgb: np.ndarray) -> Pose:
        """The pose of the person in ``rgb``, with the box the model looked at."""


class FullFrame:
    """Upstream's whole frame."""

    mode = "full"

    def locate(self, engine: Engine, rgb: np.ndarray) -> Pose:
        pose = engine.predict(rgb)
        pose.extra["forward_passes"] = engine.passes
        return pose


def joint_box(pose: Pose, threshold: float, margin: float, minimum: float) -> Box | None:
    """A square around the joints scoring at least ``threshold``, ``margin`` times their extent."""
    kp = pose.keypoints
    good = kp[kp[:, 2] >= threshold]
    if len(good) < 4:
        return None
    lo, hi = good[:, :2].min(0), good[:, :2].max(0)
    side = max(float((hi - lo).max()) * margin, minimum)
    cx, cy = (lo + hi) / 2
    return Box(cx - side / 2, cy - side / 2, side)


class AutoSearch:
    """Find the person by a batched multi-scale window search, then refine the crop.

    scales: window sides as fractions of the image's shorter side (the padded whole frame is
    always a window too); overlap: the fraction of a window its neighbour shares; max_positions:
    at most this many windows along each axis per scale (a long strip gets wider steps, so the
    search costs the same bounded number of passes whatever the image's shape).
    """

    mode = "auto"

    def __init__(self, search: Engine | None = None, scales: tuple[float, ...] = (1.0, 0.7, 0.5, 0.35),
                 overlap: float = 1 / 3, refinements: int = 2, margin: float = 1.35,
                 joint_threshold: float = 0.2, min_score: float = 0.1, people: int = 3,
                 tolerance: float = 0.8, batch: int = 16, max_positions: int = 8,
                 min_agreement: float = 0.1) -> None:
        self.search = search
        self.scales = scales
        self.overlap = overlap
        self.refinements = refinements
        self.margin = margin
        self.joint_threshold = joint_threshold
        self.min_score = min_score
        self.people = people
        self.tolerance = tolerance
        self.batch = batch
        self.max_positions = max_positions
        self.min_agreement = min_agreement

    def windows(self, height: int, width: int) -> list[Box]:
        """The padded whole frame plus, per scale, a grid of squares covering the image."""
        boxes = [full_box(height, width)]
        short = min(height, width)
        for scale in self.scales:
            side = scale * short
            step = side * (1 - self.overlap)
            xs = _positions(width, side, step, self.max_positions)
            ys = _positions(height, side, step, self.max_positions)
            boxes += [Box(x, y, side) for y in ys for x in xs]
        return boxes

    def candidates(self, engine: Engine, rgb: np.ndarray) -> list[Pose]:
        """Every window's pose from the search model, in batches, never flipped (it only ranks)."""
        searcher = self.search or engine
        boxes = self.windows(*rgb.shape[:2])
        poses: list[Pose] = []
        for i in range(0, len(boxes), self.batch):
            chunk = boxes[i:i + self.batch]
            poses += searcher.predict_batch([rgb] * len(chunk), chunk, flip=False)
        return poses

    def shortlist(self, poses: list[Pose]) -> list[Pose]:
        """The best-scoring windows on distinct people (their joint boxes' centres apart), best first."""
        kept: list[tuple[Pose, Box]] = []
        for p in sorted(poses, key=lambda p: -p.score):
            box = joint_box(p, self.joint_threshold, 1.0, 1.0)
            if box is None:
                continue
            if all(_apart(box, other) for _, other in kept):
                kept.append((p, box))
            if len(kept) == self.people:
                break
        return [p for p, _ in kept] or [max(poses, key=lambda p: p.score)]

    def choose(self, poses: list[Pose], height: int, width: int) -> Pose:
        """Among poses scoring within ``tolerance`` of the best, the largest, most central person."""
        best = max(p.score for p in poses)
        centre = np.array([width, height]) / 2
        half_diagonal = math.hypot(width, height) / 2

        def merit(p: Pose) -> float:
            box = joint_box(p, self.joint_threshold, 1.0, 1.0)
            if box is None:
                return 0.0
            offset = np.hypot(*(np.array([box.x, box.y]) + box.size / 2 - centre)) / half_diagonal
            return box.size * (1 - 0.5 * offset)

        return max([p for p in poses if p.score >= self.tolerance * best], key=merit)

    def refine(self, engine: Engine, rgb: np.ndarray, pose: Pose) -> Pose:
        """Re-run ``engine`` on the crop around ``pose``'s confident joints, ``refinements`` times.

        A crop never shrinks below half the previous one: joints collapsed onto one spot (a person
        the model half sees) would otherwise zoom in on a fragment.
        """
        for _ in range(self.refinements):
            box = joint_box(pose, self.joint_threshold, self.margin, 0.5 * pose.box.size)
            if box is None:
                break
            pose = engine.predict(rgb, box)
        return pose

    def present(self, pose: Pose, seen: Pose) -> bool:
        """Whether ``pose`` (refined) is a person: its score reaches ``min_score`` and ``seen``, the
        search model's pose in the window it came from, agrees on ``min_agreement`` of the joints
        (each within a quarter of the refined skeleton's extent). The agreement is kept in
        ``pose.extra['agreement']``."""
        extent = max(float(np.ptp(pose.keypoints[:, :2], axis=0).max()), 1.0)
        gaps = np.linalg.norm(seen.keypoints[:, :2] - pose.keypoints[:, :2], axis=1)
        pose.extra["agreement"] = round(float(np.mean(gaps < 0.25 * extent)), 3)
        return pose.score >= self.min_score and pose.extra["agreement"] >= self.min_agreement

    def locate(self, engine: Engine, rgb: np.ndarray) -> Pose:
        height, width = rgb.shape[:2]
        windows = self.candidates(engine, rgb)
        short = self.shortlist(windows)
        people = [self.refine(engine, rgb, p) for p in short]
        pose = self.choose(people, height, width)
        pose.found = self.present(pose, short[[id(p) for p in people].index(id(pose))])
        pose.extra["forward_passes"] = len(windows) + len(people) * self.refinements * engine.passes
        pose.extra["windows"] = len(windows)
        pose.extra["search_score"] = max(p.score for p in windows)
        pose.extra["search_variant"] = (self.search or engine).variant.name
        return pose


class Track:
    """Follow one person through a video: crop from the previous pose, search again when lost."""

    mode = "track"

    def __init__(self, search: AutoSearch, keep_score: float = 0.25, widen: float = 2.0) -> None:
        self.search = search
        self.keep_score = keep_score
        self.widen = widen
        self.previous: Pose | None = None

    def reset(self) -> None:
        """Forget the person: the next frame is searched for (after a seek or a scene cut)."""
        self.previous = None

    def follow(self, engine: Engine, rgb: np.ndarray, box: Box) -> Pose:
        """The pose in ``box``, the crop around the previous frame's joints."""
        pose = engine.predict(rgb, box)
        pose.extra["forward_passes"] = engine.passes
        return pose

    def recover(self, engine: Engine, rgb: np.ndarray, box: Box) -> Pose:
        """The person near where they were: a ``widen`` times larger crop, refined when someone is there."""
        pose = engine.predict(rgb, box.scaled(self.widen))
        passes = engine.passes
        if pose.score >= self.keep_score:
            pose = self.search.refine(engine, rgb, pose)
            passes *= 1 + self.search.refinements
        pose.extra["forward_passes"] = passes
        return pose

    def locate(self, engine: Engine, rgb: np.ndarray) -> Pose:
        prev, box, spent, pose, how = self.previous, None, 0, None, "searched"
        if prev is not None and prev.found:
            box = joint_box(prev, self.search.joint_threshold, self.search.margin, 0.5 * prev.box.size)
        if box is not None:  # something to follow
            for name, attempt in (("followed", self.follow), ("recovered", self.recover)):
                candidate = attempt(engine, rgb, box)
                if candidate.score >= self.keep_score:
                    pose, how = candidate, name
                    break
                spent += candidate.extra["forward_passes"]
        if pose is None:
            pose = self.search.locate(engine, rgb)
        pose.extra["forward_passes"] += spent
        pose.extra["tracked"] = how != "searched"
        pose.extra["localised"] = how
        self.previous = pose
        return pose


def _apart(a: Box, b: Box) -> bool:
    """Two joint boxes belong to different people when their centres are over half a box apart."""
    d = math.hypot(a.x + a.size / 2 - b.x - b.size / 2, a.y + a.size / 2 - b.y - b.size / 2)
    return d > 0.5 * max(a.size, b.size)


def _positions(length: int, side: float, step: float, most: int) -> list[float]:
    """Window starts from 0 to ``length - side`` (centred when the window is longer), at most ``most``."""
    if side >= length:
        return [(length - side) / 2]
    n = min(math.ceil((length - side) / step) + 1, most)
    return list(np.linspace(0, length - side, n))


def make_localiser(mode: str, engine: Engine) -> Localiser:
    """A new localiser for ``mode``; ``auto`` (and ``track``'s searches) use RT beside a bigger ``engine``.

    If RT's weights cannot be had, ``engine`` searches itself: slower, never wrong.
    """
    if mode == "full":
        return FullFrame()
    if mode not in MODES:
        raise PoseappError(f"unknown localisation mode {mode!r}; choose from {', '.join(MODES)}")
    search = None
    if engine.model != "RT":
        try:
            search = Engine("RT", device=engine.backend.device, backend=engine.backend.name,
                            spin=getattr(engine, "spin", True))
        except PoseappError:
            search = None
    auto = AutoSearch(search)
    return Track(auto) if mode == "track" else auto
