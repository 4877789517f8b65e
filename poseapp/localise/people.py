"""Every person in view, each followed with a stable id (``poseapp video --people all``).

A person is taken only on a detection of the person detector (no skeleton on furniture) whose
pose scores ``min_score``. From then on each one is followed as one person is (``track.Track``):
the next frame's crop from this frame's joints, all people in one batch, so the cost grows with
the number of people, never with a search grid. The detector runs again every ``detect_every``
frames for newcomers (the whole frame and its tiles: far people too), and on any frame where
someone was lost; a detection whose hips lie inside a followed person's joints is that person.
Someone lost is kept ``memory`` frames: a newcomer who looks like them (``appearance``,
``same_look``) takes their id back. Two followed people whose crops slid onto the same person
are one: the older id stays.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from poseapp.inference.engine import Engine
from poseapp.localise.appearance import blend, signature, similarity
from poseapp.localise.crop import joint_box
from poseapp.localise.detector import Detector
from poseapp.pose import Box, Pose


@dataclass
class Followed:
    """One person: their id, last pose, frames lost (0: in view) and colours."""

    id: int
    pose: Pose
    lost: int = 0
    look: list[np.ndarray] | None = field(default=None, repr=False)


class People:
    """Follows everyone the detector finds; ``update`` returns the people in view by id."""

    def __init__(self, detector: Detector, keep_score: float = 0.25, min_score: float = 0.1,
                 detect_every: int = 10, memory: int = 90, same_look: float = 0.5, threshold: float = 0.2,
                 margin: float = 1.35, same_place: float = 0.25) -> None:
        self.detector = detector
        self.keep_score = keep_score
        self.min_score = min_score
        self.detect_every = detect_every
        self.memory = memory
        self.same_look = same_look
        self.threshold = threshold
        self.margin = margin
        self.same_place = same_place
        self.people: list[Followed] = []
        self.next_id = 1
        self.frames = 0

    def reset(self) -> None:
        """A seek or a frame analysed again: nobody is in view until detected afresh, and everyone
        followed is lost, so a person seen again who looks like them gets their id back."""
        for p in self.people:
            p.lost = max(p.lost, 1)
        self.frames = 0

    def update(self, engine: Engine, rgb: np.ndarray) -> dict[int, Pose]:
        """The people in ``rgb``, by id, each pose with its ``forward_passes`` share in ``extra``."""
        lost_now = self._follow(engine, rgb)
        if self.frames % self.detect_every == 0 or lost_now or not self._in_view():
            self._detect(engine, rgb)
        self._merge()
        for p in self.people:
            if p.lost:
                p.lost += 1
        self.people = [p for p in self.people if p.lost <= self.memory]
        self.frames += 1
        return {p.id: p.pose for p in self.people if not p.lost}

    def at(self, point: tuple[float, float]) -> Pose | None:
        """The pose of the person in view (or in view until a reset, or lost on the last frame)
        whose crop (their joints with ``margin``) holds ``point``, the nearest one where several
        do; None when nobody's does (a click)."""
        boxes = [(p, joint_box(p.pose, self.threshold, self.margin, 1.0)) for p in self.people if p.lost <= 1]
        hit = [(math.dist(b.centre, point), p.id, p.pose) for p, b in boxes if b is not None and b.holds(point)]
        return min(hit, key=lambda h: h[:2])[2] if hit else None

    def _in_view(self) -> list[Followed]:
        return [p for p in self.people if not p.lost]

    def _follow(self, engine: Engine, rgb: np.ndarray) -> bool:
        """Each person in view on the crop of their last joints; False when all were kept."""
        active = self._in_view()
        if not active:
            return False
        boxes = [joint_box(p.pose, self.threshold, self.margin, 0.5 * p.pose.box.size, turn=True) or p.pose.box
                 for p in active]
        lost = False
        for p, pose in zip(active, engine.predict_batch([rgb] * len(active), boxes)):
            if pose.score >= self._keep(p.pose):
                p.pose = pose
                self._learn(p, rgb)
            else:
                p.lost, lost = 1, True
        return lost

    def _keep(self, last: Pose) -> float:
        """The score a followed pose must reach: ``keep_score``; for a person the model sees only
        weakly (backlit, far), 80% of their last score, never under ``min_score`` (as ``track.Track``)."""
        if last.score >= self.keep_score + 0.05:
            return self.keep_score
        return max(self.min_score, 0.8 * last.score)

    def _detect(self, engine: Engine, rgb: np.ndarray) -> None:
        """Newcomers from the detector: a detection not on anyone in view is posed on its crop and,
        scoring ``min_score``, given the id of a lost person who looks like them, or a new one."""
        extents = [b for b in (joint_box(p.pose, self.threshold, 1.0, 1.0) for p in self._in_view()) if b is not None]
        new = [d for d in self.detector.detect_everyone(rgb) if not any(b.holds(d.points[0]) for b in extents)]
        if not new:
            return
        for pose in engine.predict_batch([rgb] * len(new), [d.crop() for d in new]):
            if pose.score < self.min_score:
                continue
            look = signature(rgb, pose.keypoints, self.threshold)
            gone = [p for p in self.people if p.lost and p.look is not None and look is not None]
            alike = max(gone, key=lambda p: similarity(p.look, look), default=None)
            if alike is not None and similarity(alike.look, look) >= self.same_look:
                alike.pose, alike.lost = pose, 0
            else:
                self.people.append(Followed(self.next_id, pose, look=look))
                self.next_id += 1
            extents += [b for b in [joint_box(pose, self.threshold, 1.0, 1.0)] if b is not None]

    def _merge(self) -> None:
        """Two people in view whose joints sit on one spot (centres within ``same_place`` of their
        size) are one person: the newer id is dropped."""
        kept: list[tuple[Followed, Box]] = []
        for p in sorted(self._in_view(), key=lambda p: p.id):
            box = joint_box(p.pose, self.threshold, 1.0, 1.0)
            if box is None:
                continue
            if any(math.dist(box.centre, b.centre) < self.same_place * max(box.size, b.size) for _, b in kept):
                self.people.remove(p)
                continue
            kept.append((p, box))

    def _learn(self, p: Followed, rgb: np.ndarray) -> None:
        sig = signature(rgb, p.pose.keypoints, self.threshold)
        if sig is not None:
            p.look = blend(p.look, sig)


def followed_id(pose: Pose, people: dict[int, Pose], threshold: float) -> int | None:
    """The id of the person the chosen pose is on: the nearest joint box, within the chosen pose's
    size (the two are posed on crops of their own, so their joints differ a little)."""
    mine = joint_box(pose, threshold, 1.0, 1.0) if pose.found else None
    if mine is None:
        return None
    near = {i: math.dist(mine.centre, b.centre) for i, b in
            ((i, joint_box(p, threshold, 1.0, 1.0)) for i, p in people.items()) if b is not None}
    best = min(near, key=near.get, default=None)
    return best if best is not None and near[best] < mine.size else None


def detector_of(localiser: object) -> Detector | None:
    """The person detector a localiser (a search, or a track's search) runs; None without one."""
    return getattr(getattr(localiser, "search", localiser), "detector", None)
