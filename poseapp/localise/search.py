"""The search for people in one frame (``auto``), for a single image and for a track that lost them.

First the learned person detector (``detector``, one pass; on overlapping tiles when the whole
frame finds nobody): each of the best three detections is one crop, turned upright, for the
chosen model, and the poses are chosen among as below. Where the detector finds nobody (or is
not on this machine), and ``fallback`` allows, the window search of earlier versions runs: a
multi-scale grid of square windows is run as one batch through a search model (by default RT,
the cheapest), each window scored by the mean of its 16 heatmap peaks. For the best windows on
distinct people, the chosen variant looks at the window itself and at two ever closer crops
around the joints (``refine``), and the best-scoring of these looks is the person's pose (a crop
drawn from misplaced joints cuts the person). Where several people are in the frame, those
scoring close to the best are candidates and the largest and most central wins (``choose``).
Presence is decided by two pieces of evidence (``present``): the closest look's mean joint score
still reaches ``min_score`` (0.1), and the search model's pose in the window agrees with it on at
least ``min_agreement`` of the joints (two looks at the same person see the same skeleton; a
phantom made of a door and a mirror does not survive the second look). A pose that passes is
given with its score however weak; one that fails is marked not found.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from poseapp.inference.engine import Engine
from poseapp.inference.preprocess import full_box, grid_starts
from poseapp.localise.choice import Person
from poseapp.localise.crop import apart, detection_box, distance, joint_box
from poseapp.localise.detector import Detector
from poseapp.pose import Box, Pose


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
                 min_agreement: float = 0.1, detector: Detector | None = None, fallback: bool = True) -> None:
        self.search = search
        self.detector = detector
        self.fallback = fallback
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
        self.person: Person = "auto"

    def set_person(self, person: Person, only: bool = False) -> None:
        """Whom to take where several people are in view (``choice``); ``only`` concerns a track."""
        self.person = person

    def windows(self, height: int, width: int) -> list[Box]:
        """The padded whole frame plus, per scale, a grid of squares covering the image."""
        boxes = [full_box(height, width)]
        short = min(height, width)
        for scale in self.scales:
            side = scale * short
            step = side * (1 - self.overlap)
            xs = grid_starts(width, side, step, self.max_positions)
            ys = grid_starts(height, side, step, self.max_positions)
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

    def shortlist(self, poses: list[Pose], person: Person = "auto",
                  alike: Callable[[Pose], float] | None = None) -> list[Pose]:
        """The best-scoring windows on distinct people (their joint boxes' centres apart), best first;
        for a point, the windows whose people are nearest it come first; with ``alike``, the windows
        scoring at least ``min_score`` whose people look most like someone (a person lost in a crowd)."""
        kept: list[tuple[Pose, Box]] = []
        order = sorted(poses, key=lambda p: -p.score)
        if isinstance(person, tuple):
            order = sorted(order, key=lambda p: distance(self.extent(p), person))
        if alike is not None:
            order = sorted(order, key=lambda p: -alike(p) if p.score >= self.min_score else math.inf)
        for p in order:
            box = self.extent(p)
            if box is None:
                continue
            if all(apart(box, other) for _, other in kept):
                kept.append((p, box))
            if len(kept) == self.people:
                break
        return [p for p, _ in kept] or [max(poses, key=lambda p: p.score)]

    def choose(self, poses: list[Pose], height: int, width: int, person: Person = "auto") -> Pose:
        """The person ``person`` asks for: a point takes the pose nearest it; otherwise, among poses
        scoring within ``tolerance`` of the best, the largest and most central (``auto``), the
        largest, or the one nearest the centre."""
        if isinstance(person, tuple):  # a pose without confident joints counts where it was looked for
            return min(poses, key=lambda p: distance(self.where(p), person))
        centre = (width / 2, height / 2)
        half_diagonal = math.hypot(width, height) / 2

        def merit(p: Pose) -> float:
            box = self.extent(p)
            if box is None:
                return -math.inf
            offset = distance(box, centre) / half_diagonal
            if person == "largest":
                return box.size
            if person == "centre":
                return -offset
            return box.size * (1 - 0.5 * offset)

        best = max(_rank(p) for p in poses)
        return max([p for p in poses if _rank(p) >= self.tolerance * best], key=merit)

    def extent(self, pose: Pose) -> Box | None:
        """The square around ``pose``'s confident joints (None with fewer than four)."""
        return joint_box(pose, self.joint_threshold, 1.0, 1.0)

    def where(self, pose: Pose) -> Box:
        """Where ``pose``'s person is: its confident joints' square, else the crop it was found in."""
        return self.extent(pose) or pose.box

    def refine(self, engine: Engine, rgb: np.ndarray, pose: Pose) -> list[Pose]:
        """``engine``'s looks at ever closer crops, each around the previous look's confident joints
        (``refinements`` of them, fewer when a look has under four). A crop never shrinks below half
        the previous one: joints collapsed onto one spot would otherwise zoom in on a fragment."""
        chain = []
        for _ in range(self.refinements):
            box = joint_box(pose, self.joint_threshold, self.margin, 0.5 * pose.box.size)
            if box is None:
                break
            pose = engine.predict(rgb, box)
            chain.append(pose)
        return chain

    def present(self, pose: Pose, seen: Pose, closest: Pose | None = None) -> bool:
        """Whether ``pose`` is a person, from two pieces of evidence: ``closest``, the chosen
        model's look at the closest crop (default: ``pose``), still scores ``min_score``; and
        ``seen``, the search model's pose in the window the person was found in, agrees with it on
        ``min_agreement`` of the joints (each within a quarter of ``pose``'s extent). A person
        survives being looked at again closer; a phantom made of a door and a mirror does not.
        The agreement is kept in ``pose.extra['agreement']``."""
        closest = pose if closest is None else closest
        extent = max(float(np.ptp(pose.keypoints[:, :2], axis=0).max()), 1.0)
        gaps = np.linalg.norm(seen.keypoints[:, :2] - closest.keypoints[:, :2], axis=1)
        pose.extra["agreement"] = round(float(np.mean(gaps < 0.25 * extent)), 3)
        return closest.score >= self.min_score and pose.extra["agreement"] >= self.min_agreement

    def detected_people(self, engine: Engine, rgb: np.ndarray, person: Person = "auto") -> tuple[list[Pose], int]:
        """The detector's people (at most ``people``: the best, or for a point the nearest it), each
        posed by ``engine`` on its crop (``Detection.crop``; a turned crop is also looked at upright
        and the better-scoring look kept: the detector's turn is unsure when the body is only partly
        in view), found when the pose scores ``min_score``; the tiles when the whole frame finds
        nobody. For a point, only detections whose box holds it (a backlit person the detector
        misses is not swapped for another). Returns the poses and the passes."""
        before = self.detector.passes
        found = self.detector.detect(rgb) or self.detector.detect_tiles(rgb)
        passes = self.detector.passes - before
        if isinstance(person, tuple):  # only someone whose box holds the point: else the search looks there
            found = [d for d in found if detection_box(d).holds(person)]
        found = found[:self.people]
        if not found:
            return [], passes
        crops = [d.crop() for d in found]
        turned = [i for i, c in enumerate(crops) if c.angle]
        upright = [Box(crops[i].x, crops[i].y, crops[i].size) for i in turned]
        looks = engine.predict_batch([rgb] * (len(crops) + len(upright)), crops + upright)
        poses = looks[:len(crops)]
        for i, other in zip(turned, looks[len(crops):]):  # the model's own confidence settles the turn
            if other.score > poses[i].score:
                poses[i] = other
        for pose, d in zip(poses, found):
            pose.found = pose.score >= self.min_score
            pose.extra.update(detector_score=round(d.score, 3), rank_score=pose.score, localiser="detector")
        return poses, passes + len(looks) * engine.passes

    def find_people(self, engine: Engine, rgb: np.ndarray, person: Person = "auto",
                    alike: Callable[[Pose], float] | None = None, search: bool = False) -> tuple[list[Pose], int]:
        """The people in the frame, each with ``present`` decided, and the forward passes spent: the
        detector's (``detected_people``); where it finds nobody, with ``fallback`` or at a picked
        point, the window search's shortlist (``shortlist``), each as ``engine`` refined them; else one pose not
        found. ``search``: the window search at once (a person the detector never found)."""
        spent = 0
        if self.detector is not None and not search:
            people, spent = self.detected_people(engine, rgb, person)
            if people:
                return people, spent
            if not (self.fallback or isinstance(person, tuple)):
                nobody = Pose(np.zeros((16, 3), np.float32), full_box(*rgb.shape[:2]), engine.model, found=False)
                nobody.extra.update(localiser="detector", refused="the person detector found nobody")
                return [nobody], spent
        windows = self.candidates(engine, rgb)
        short = self.shortlist(windows, person, alike)
        looks = short if self.search is None else engine.predict_batch([rgb] * len(short), [p.box for p in short])
        people, own = [], len(short) if self.search is not None else 0
        for seen, look in zip(short, looks):
            chain = self.refine(engine, rgb, seen)
            closest = chain[-1] if chain else seen  # no chain: too few sure joints to look closer
            pose = closest_kept(look, chain)
            pose.found = self.present(pose, seen, closest)
            pose.extra["rank_score"] = closest.score  # what ``choose`` compares: people are ranked alike
            people.append(pose)
            own += len(chain)
        for pose in people:
            pose.extra.update(windows=len(windows), search_variant=(self.search or engine).variant.name,
                              localiser="window search")
        return people, spent + len(windows) + own * engine.passes

    def locate(self, engine: Engine, rgb: np.ndarray, person: Person | None = None) -> Pose:
        """The chosen person's pose; ``person`` overrides ``self.person`` for this call."""
        person = self.person if person is None else person
        people, passes = self.find_people(engine, rgb, person)
        pose = self.choose(people, *rgb.shape[:2], person)
        if pose.found and pose.extra.get("localiser") == "detector" and self.refinements:
            pose, closer = self.closer_look(engine, rgb, pose)
            passes += closer
        pose.extra["forward_passes"] = passes
        return pose

    def closer_look(self, engine: Engine, rgb: np.ndarray, pose: Pose) -> tuple[Pose, int]:
        """The chosen person looked at once more, on the crop their joints ask for (``margin``
        around them, turned upright with the body); the better-scoring of the two looks is kept
        (the detector's crop is sized from two points, the joints' from the whole skeleton).
        Returns the pose and the passes spent."""
        box = joint_box(pose, self.joint_threshold, self.margin, 0.5 * pose.box.size, turn=True)
        if box is None:
            return pose, 0
        closer = engine.predict(rgb, box)
        if closer.score <= pose.score:
            return pose, engine.passes
        closer.found = True
        closer.extra.update({k: v for k, v in pose.extra.items() if k != "rank_score"}, closer_look=True)
        return closer, engine.passes


def _rank(pose: Pose) -> float:
    """The score people are compared by: their closest look's (``find_people``), else their own."""
    return pose.extra.get("rank_score", pose.score)


def closest_kept(look: Pose, chain: list[Pose], cut: float = 1.5) -> Pose:
    """The pose of a person: the closest crop's look (its joints are placed most finely), unless the
    first look at the whole window scores ``cut`` times higher: then the closer crops, drawn from
    misplaced joints, cut the person off (a seated subject whose legs the search model missed)."""
    if not chain or look.score >= cut * chain[-1].score:
        return look
    return chain[-1]
