"""Person localisation: which square of the frame the model looks at.

One interface, ``Localiser.locate(engine, rgb) -> Pose``, with the modes:

- ``full``: upstream's input, the whole frame padded to a square. Fine when the person fills it.
- ``auto``: a search for the person in a single image. First the learned person detector
  (``detector``, one pass; on overlapping tiles when the whole frame finds nobody): each of the
  best three detections is one crop, turned upright, for the chosen model, and the poses are
  chosen among as below. Where the detector finds nobody (or is not on this machine), and
  ``fallback`` allows, the window search of earlier versions runs: a multi-scale grid of square windows is
  run as one batch through a search model (by default RT, the cheapest), each window scored by
  the mean of its 16 heatmap peaks. For the best windows on distinct people, the chosen variant
  looks at the window itself and at two ever closer crops around the joints (``refine``), and the
  best-scoring of these looks is the person's pose (a crop drawn from misplaced joints cuts the
  person). Where several people are in the frame, those scoring close to the best are candidates
  and the largest and most central wins (``choose``). Presence is decided by two pieces of
  evidence (``present``): the closest look's mean joint score still reaches ``min_score`` (0.1),
  and the search model's pose in the window agrees with it on at least ``min_agreement`` of the
  joints (two looks at the same person see the same skeleton; a
  phantom made of a door and a mirror does not survive the second look). A pose that passes is
  given with its score however weak; one that fails is marked not found.

- ``track``: video. The next frame's crop comes from the previous pose's joints, one forward pass
  a frame, as MediaPipe does. When that crop's score drops under ``keep_score`` or under ``weaken``
  times the previous frame's (the person moved more than the margin, as when a live view drops
  frames, or the crop cut them), a crop ``widen`` times larger around the same place is tried and
  refined (up to three passes), and the better of the two looks is kept. Only when both fail, and
  on the first frame, does it search the whole frame (``auto``); once the person has been seen,
  the search takes only someone who looks like them (``appearance``): a person who walks out and
  back in, or a camera that pans away and back, finds them again, and nobody else is taken for
  them. Stateful: one ``Track`` per video, ``reset()`` on a seek.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import Protocol

import numpy as np

from poseapp.errors import MissingWeightsError, PoseappError
from poseapp.inference.appearance import blend, signature, similarity
from poseapp.inference.detector import Detection, Detector, upright_turn
from poseapp.inference.engine import Engine
from poseapp.inference.preprocess import full_box, grid_starts
from poseapp.joints import FLIP, INDEX
from poseapp.pose import Box, Pose
from poseapp.sides import mirrored_closer

log = logging.getLogger(__name__)
MODES = ("auto", "full", "track")
#: Whom to take where several people are in view: ``auto`` the largest, most central one;
#: ``largest``; ``centre`` (nearest the frame's centre); or a point (x, y) in frame pixels: the
#: person at or nearest it. A recorded video has one more, ``walker``: the person who walks
#: steadily the longest, found by looking through the clip first (``poseapp.inference.walker``).
PERSON_RULES = ("auto", "largest", "centre")
WALKER = "walker"
Person = str | tuple[float, float]


def parse_person(text: str, video: bool = False) -> Person:
    """``--person``: a rule of ``PERSON_RULES`` (with ``video``, also ``walker``) or ``X,Y``
    (pixels of the first frame); ValueError if neither."""
    rule = text.strip().lower()
    rules = PERSON_RULES + ((WALKER,) if video else ())
    if rule in rules or rule == "center":
        return "centre" if rule == "center" else rule
    if rule == WALKER:
        raise ValueError(f"{WALKER!r} needs a recorded video: it looks through the clip for who walks")
    try:
        x, y = (float(v) for v in rule.split(","))
    except ValueError:
        raise ValueError(f"{text!r} is not one of {', '.join(rules)} nor a point X,Y") from None
    if not (math.isfinite(x) and math.isfinite(y)):
        raise ValueError(f"{text!r} is not a point in the frame")
    return (x, y)


def check_point(person: Person, height: int, width: int) -> None:
    """PoseappError when a point lies outside a ``width`` x ``height`` frame."""
    if isinstance(person, tuple) and not (0 <= person[0] < width and 0 <= person[1] < height):
        raise PoseappError(f"--person {person[0]:g},{person[1]:g} lies outside the {width}x{height} frame")


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


def joint_box(pose: Pose, threshold: float, margin: float, minimum: float, turn: bool = False) -> Box | None:
    """A square around the joints scoring at least ``threshold``, ``margin`` times their extent;
    with ``turn``, turned upright along the body (``body_down``, ``detector.upright_turn``)."""
    kp = pose.keypoints
    good = kp[kp[:, 2] >= threshold]
    if len(good) < 4:
        return None
    angle = upright_turn(body_down(pose, threshold)) if turn else 0.0
    c, s = math.cos(angle), math.sin(angle)
    axes = np.array([[c, s], [-s, c]])  # rows: the crop's x and y axes in the image
    local = good[:, :2] @ axes.T
    lo, hi = local.min(0), local.max(0)
    side = max(float((hi - lo).max()) * margin, minimum)
    cx, cy = ((lo + hi) / 2) @ axes
    return Box(float(cx) - side / 2, float(cy) - side / 2, side, angle)


def body_down(pose: Pose, threshold: float) -> np.ndarray:
    """The direction ``pose``'s body points, from the thorax (else the neck) down to the pelvis
    (else the hips' midpoint); zero when those joints are not sure."""
    kp = pose.keypoints
    sure = kp[:, 2] >= threshold
    pelvis, thorax, neck = INDEX["pelvis"], INDEX["thorax"], INDEX["upper_neck"]
    hips = [INDEX["right_hip"], INDEX["left_hip"]]
    low = pelvis if sure[pelvis] else None
    high = thorax if sure[thorax] else (neck if sure[neck] else None)
    if high is None or (low is None and not sure[hips].all()):
        return np.zeros(2)
    bottom = kp[low, :2] if low is not None else kp[hips, :2].mean(0)
    return bottom - kp[high, :2]


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
            order = sorted(order, key=lambda p: _distance(self.extent(p), person))
        if alike is not None:
            order = sorted(order, key=lambda p: -alike(p) if p.score >= self.min_score else math.inf)
        for p in order:
            box = self.extent(p)
            if box is None:
                continue
            if all(_apart(box, other) for _, other in kept):
                kept.append((p, box))
            if len(kept) == self.people:
                break
        return [p for p, _ in kept] or [max(poses, key=lambda p: p.score)]

    def choose(self, poses: list[Pose], height: int, width: int, person: Person = "auto") -> Pose:
        """The person ``person`` asks for: a point takes the pose nearest it; otherwise, among poses
        scoring within ``tolerance`` of the best, the largest and most central (``auto``), the
        largest, or the one nearest the centre."""
        if isinstance(person, tuple):  # a pose without confident joints counts where it was looked for
            return min(poses, key=lambda p: _distance(self.where(p), person))
        centre = (width / 2, height / 2)
        half_diagonal = math.hypot(width, height) / 2

        def merit(p: Pose) -> float:
            box = self.extent(p)
            if box is None:
                return -math.inf
            offset = _distance(box, centre) / half_diagonal
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
            found = [d for d in found if _detection_box(d).holds(person)]
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


class Track:
    """Follow one person through a video: crop from the previous pose, search again when lost.

    A follow is kept while its score stays near what this person has been scoring (a weak,
    backlit subject is not dropped for being weak), while the crop still shows someone who looks
    like them (``drift_look``), and, checked every ``recheck`` frames, while the search model still
    agrees that a person is there. When lost, for ``memory`` frames, the search takes only someone
    who looks like the person (``_look_again``), or before their look is known (from ``min_looks``
    confident frames), someone near where they were last seen (``reach``): the frame reports
    nobody rather than another person. Only a person a follow has kept at least once, or last
    found with a score above the weak (``_weak``, as for ``_keep``), has that claim: a
    weak pose the search finds again and again that no follow from its own crop keeps (a phantom
    in the leaves of a dark frame) would otherwise keep out the person who comes into view. Frames
    whose left and right sides come out exchanged against the previous frame are put back
    (``unswap``).

    A frame with nobody to follow costs a whole search (about 60 windows: half a second with RT on
    two cores, over a second with II), so after ``patience`` frames in a row without anyone (a
    recording that starts before the subject walks in, or after they left) the frame is searched
    only every ``search_every`` frames; the others report nobody at no cost (``localised``:
    "not searched"). Someone who comes into view then waits at most ``search_every`` - 1 frames.
    Live, frames come as fast as the searches end, so the rule is in time there: ``rest`` > 0
    leaves ``rest`` times the last search's duration (by ``clock``) before the next search, so
    searching takes at most 1 / (1 + ``rest``) of the time on any machine.
    """

    mode = "track"

    def __init__(self, search: AutoSearch, keep_score: float = 0.25, widen: float = 2.0, memory: int = 90,
                 reach: float = 1.5, near_agreement: float = 0.3, weaken: float = 0.75,
                 same_look: float = 0.5, drift_look: float = 0.35, distinct: float = 0.15, stay: float = 0.5,
                 recheck: int = 30, min_looks: int = 5, patience: int = 30, search_every: int = 3,
                 rest: float = 0.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.search = search
        self.patience = patience
        self.search_every = search_every
        self.rest = rest
        self.clock = clock
        self.rest_until = -math.inf  # ``clock`` when the live rule searches again
        self.keep_score = keep_score
        self.widen = widen
        self.weaken = weaken
        self.same_look = same_look
        self.drift_look = drift_look
        self.distinct = distinct
        self.stay = stay
        self.recheck = recheck
        self.since_check = 0
        self.look: list[np.ndarray] | None = None  # the person's colours (``appearance.signature``)
        self.looks = 0  # confident frames the look was taken from
        self.min_looks = min_looks
        self.memory = memory
        self.reach = reach
        self.near_agreement = near_agreement
        self.previous: Pose | None = None
        self.point: tuple[float, float] | None = None
        self.last_seen: tuple[float, float, float] | None = None  # centre x, y and size of the person
        self.lost_frames = 0
        self.kept = False  # whether a follow has kept the person (not only searches found them)
        self.seen_score = 0.0  # the score of the last pose that found them
        self.found_by = "detector"  # how they were found: one the detector misses is looked for by the search

    def reset(self) -> None:
        """Forget the person: the next frame is searched for (after a seek or a scene cut)."""
        self.previous, self.last_seen, self.lost_frames, self.look, self.looks = None, None, 0, None, 0
        self.since_check, self.kept, self.seen_score, self.found_by = 0, False, 0.0, "detector"

    def pick(self, x: float, y: float) -> None:
        """Follow the person at or nearest (x, y) from the next frame on (a click, ``--person X,Y``)."""
        self.reset()
        self.point = (float(x), float(y))

    def follow(self, engine: Engine, rgb: np.ndarray, box: Box) -> Pose:
        """The pose in ``box``, the crop around the previous frame's joints."""
        pose = engine.predict(rgb, box)
        pose.extra["forward_passes"] = engine.passes
        return pose

    def recover(self, engine: Engine, rgb: np.ndarray, box: Box) -> Pose:
        """The person near where they were: a ``widen`` times larger crop, refined when someone is there."""
        pose = engine.predict(rgb, box.scaled(self.widen))
        chain = self.search.refine(engine, rgb, pose) if pose.score >= self.keep_score else []
        pose = chain[-1] if chain else pose  # the wide crop only finds them: its joints are coarse
        pose.extra["forward_passes"] = (1 + len(chain)) * engine.passes
        return pose

    def _weak(self, score: float) -> bool:
        """A score of a person the model sees only weakly (backlit, far, half hidden, or nobody):
        under ``keep_score`` + 0.05."""
        return score < self.keep_score + 0.05

    def _keep(self, prev: Pose) -> float:
        """The score a followed pose must reach: ``keep_score``; for a person the model has only
        ever seen weakly (last score ``_weak``), 80% of their last score, never under the search's
        presence score."""
        if not self._weak(prev.score):
            return self.keep_score
        return max(self.search.min_score, 0.8 * prev.score)

    def locate(self, engine: Engine, rgb: np.ndarray) -> Pose:
        prev, box, spent, pose, how = self.previous, None, 0, None, "searched"
        if prev is not None and prev.found:
            box = self._crop_from(prev)
        if box is not None:  # something to follow
            best = None
            for name, attempt in (("followed", self.follow), ("recovered", self.recover)):
                candidate = attempt(engine, rgb, box)
                spent += candidate.extra["forward_passes"]
                if not self._same_person(rgb, candidate):
                    continue
                if best is None or candidate.score > best.score:
                    best, how = candidate, name
                if candidate.score >= max(self._keep(prev), self.weaken * prev.score):
                    break
            if best is not None and best.score >= self._keep(prev):
                pose = best
                spent -= pose.extra["forward_passes"]
                self.since_check += 1
                if self.since_check >= self.recheck:
                    pose, checked = self._still_a_person(engine, rgb, pose)
                    spent += checked
        if pose is None and self._rest(prev):
            pose, how = self._nobody(prev), "not searched"
        elif pose is None:
            started = self.clock()
            pose, how = self._search(engine, rgb), "searched"
            ended = self.clock()
            self.rest_until = ended + self.rest * (ended - started)
        elif prev is not None and unswap(pose, prev, self.search.joint_threshold):
            pose.extra["swapped"] = True
        pose.extra["forward_passes"] += spent
        pose.extra["tracked"] = how != "searched"
        pose.extra["localised"] = how
        self.kept = self.kept or how in ("followed", "recovered")
        self._remember(pose, rgb)
        self.previous = pose
        return pose

    def _rest(self, prev: Pose | None) -> bool:
        """Whether this frame goes unsearched: nobody for ``patience`` frames, and not one of every
        ``search_every``th (live: within the rest after the last search); never when a person was
        just picked by a point."""
        if prev is None or prev.found or self.point is not None or self.lost_frames < self.patience:
            return False
        if self.rest > 0:
            return self.clock() < self.rest_until
        return (self.lost_frames - self.patience) % self.search_every != self.search_every - 1

    def _crop_from(self, pose: Pose) -> Box:
        """The crop for a neighbouring frame: around ``pose``'s confident joints, turned upright
        along a leaning body (a weak pose without any: its own crop again)."""
        return joint_box(pose, self.search.joint_threshold, self.search.margin, 0.5 * pose.box.size,
                         turn=True) or pose.box

    def look_back(self, engine: Engine, rgbs: list[np.ndarray], found: Pose) -> list[Pose | None]:
        """The person of ``found`` followed back through the earlier frames ``rgbs`` (oldest first,
        where nobody was followed) for as long as they are kept as in a follow; None for each frame
        they were not. A recorded video can hold those frames (``HeldFrames``), so the frames
        between a person's coming into view and the frame that found them are not lost."""
        poses: list[Pose | None] = [None] * len(rgbs)
        after = found
        for i in range(len(rgbs) - 1, -1, -1):
            pose = self.follow(engine, rgbs[i], self._crop_from(after))
            if pose.score < self._keep(after) or not self._same_person(rgbs[i], pose):
                break
            pose.extra.update(tracked=True, localised="followed back")
            poses[i] = after = pose
        return poses

    @staticmethod
    def _nobody(prev: Pose) -> Pose:
        """A frame reported without a person and without a look: no joint, no score."""
        pose = Pose(np.zeros_like(prev.keypoints), prev.box, prev.variant, found=False)
        pose.extra["forward_passes"] = 0
        return pose

    def _search(self, engine: Engine, rgb: np.ndarray) -> Pose:
        """The whole frame searched: the person at the picked point; within ``memory`` frames of
        losing the person, the one who looks most like them (``_look_again``), or without a look of
        them yet, the one nearest where they were last seen, refused when farther than ``reach``
        times their size or when the two looks agree on under ``near_agreement`` of the joints
        (nearest-first takes weaker candidates than the search's own rule); else by the search's
        own rule."""
        claim = self.kept or not self._weak(self.seen_score)
        near = self.last_seen if self.last_seen is not None and self.lost_frames < self.memory and claim else None
        if self.point is None and near is not None and self.looks >= self.min_looks:
            return self._look_again(engine, rgb)
        pose = self.search.locate(engine, rgb, self.point or (near[:2] if near else None))
        if pose.found and self.point is None and near is not None:
            if _distance(self.search.where(pose), near[:2]) > self.reach * near[2]:
                pose.found = False
                pose.extra["refused"] = "another person, away from where the followed one was"
            elif pose.extra.get("agreement", 1.0) < self.near_agreement:
                pose.found = False  # nearest-first takes weaker candidates: a second look must agree more
                pose.extra["refused"] = "too little agreement for a pose found by nearness"
        if pose.found:
            self.point = None
        return pose

    def _still_a_person(self, engine: Engine, rgb: np.ndarray, pose: Pose) -> tuple[Pose | None, int]:
        """Every ``recheck`` frames of following, the search model's look at a crop ``widen`` times
        larger must still agree (``AutoSearch.present``): a follow that slid onto a shadow or a mirror is dropped and
        the frame searched, so a person who was never the one followed is not kept for long.
        Returns the pose (None when dropped) and the passes the check took."""
        self.since_check = 0
        searcher = self.search.search or engine
        seen = searcher.predict_batch([rgb], [pose.box.scaled(self.widen)], flip=False)[0]
        return (pose if self.search.present(pose, seen) else None), 1

    def _alike(self, rgb: np.ndarray, pose: Pose) -> float:
        """How much ``pose``'s person looks like the one followed (``appearance.similarity``); -1
        when either look is unknown."""
        known = self.look is not None and self.looks >= self.min_looks
        sig = signature(rgb, pose.keypoints, self.search.joint_threshold) if known else None
        return -1.0 if sig is None else similarity(self.look, sig)

    def _same_person(self, rgb: np.ndarray, pose: Pose) -> bool:
        """False when a followed crop has slid onto someone who looks different (similarity under
        ``drift_look``: lower than ``same_look``, the frames between make it likely the same person)."""
        alike = self._alike(rgb, pose)
        return alike < 0 or alike >= self.drift_look

    def _look_again(self, engine: Engine, rgb: np.ndarray) -> Pose:
        """The person found who looks most like the one lost, wherever in the frame (the camera may
        have moved, the person walked out and back); nobody when no one looks alike enough
        (``same_look``; on the spot where the follow dropped them, centres within ``stay`` of
        their size apart, ``drift_look`` as for a follow: light and background change a walker's
        colours along the way), or when someone else looks nearly as alike (within ``distinct``:
        a team in one colour) and the best is not where the person was last seen (within ``reach``).
        A person first found by the window search (the detector missed them) is looked for by it again."""
        people, passes = self.search.find_people(engine, rgb, alike=lambda p: self._alike(rgb, p),
                                                 search=self.found_by == "window search")
        alike = [self._alike(rgb, p) if p.found else -1.0 for p in people]
        order = np.argsort(alike)[::-1]
        pose, best = people[order[0]], alike[order[0]]
        runner_up = alike[order[1]] if len(order) > 1 else -1.0
        pose.extra["forward_passes"] = passes
        pose.extra["look"] = round(best, 3)
        box = self.search.where(pose)
        near = _distance(box, self.last_seen[:2]) <= self.reach * self.last_seen[2]
        on_the_spot = box is not None and math.dist(box.centre, self.last_seen[:2]) <= self.stay * self.last_seen[2]
        if best < (self.drift_look if on_the_spot else self.same_look):
            pose.found = False
            pose.extra["refused"] = "nobody who looks like the person followed"
        elif best - runner_up < self.distinct and not near:
            pose.found = False
            pose.extra["refused"] = "several people look like the person followed, none where they were"
        return pose

    def _remember(self, pose: Pose, rgb: np.ndarray) -> None:
        """Where the person was and, from confident frames, what they look like."""
        if not pose.found:
            self.lost_frames += 1
            return
        box = self.search.where(pose)
        self.last_seen, self.lost_frames, self.seen_score = (*box.centre, box.size), 0, pose.score
        self.found_by = pose.extra.get("localiser", self.found_by)
        if pose.score >= self.keep_score:
            sig = signature(rgb, pose.keypoints, self.search.joint_threshold)
            if sig is not None:
                self.look = blend(self.look, sig)
                self.looks += 1


class HeldFrames:
    """A recorded video's frames in, frames with their poses out, a few frames late: every frame
    without the person (unsearched by the empty-stretch rule, searched in vain, or refused as
    somebody else) is held, and when a later frame has them, they are followed back through the
    held frames (``Track.look_back``) until the follow fails. A person coming into view is not lost
    for the frames the search skipped or missed, and a follow the tracker dropped is mended from
    the far side. Live frames cannot wait; the window reports them as they come.

    On the clip test bed (``benchmarks/real_clips.py``) this took II from 70.3 to 73.1 and RT from
    61.6 to 62.1, with no more poses while the person was away. It does not make a sparser search
    free: one search in four after two empty frames took RT from 62.1 to 53.8 and one in five
    after 30 to 60.9 (``--rule``; a weak subject in the dark is found only on searched frames and
    is too weak to follow back), so the rule stays ``Track``'s."""

    def __init__(self, localiser: Localiser, engine: Engine, most: int = 16) -> None:
        self.localiser, self.engine, self.most = localiser, engine, most
        self.held: list[tuple[object, Pose]] = []

    def add(self, frame, pose: Pose) -> list[tuple[object, Pose]]:
        """``frame`` (anything with ``rgb``) and its pose; returns the frames ready, in order. At
        most ``most`` frames wait (a 4K frame is 25 MB): beyond that the oldest goes as it is."""
        if not pose.found:
            self.held.append((frame, pose))
            if len(self.held) > self.most:
                return [self.held.pop(0)]
            return []
        ready, self.held = self.held, []
        if ready and isinstance(self.localiser, Track):
            back = self.localiser.look_back(self.engine, [f.rgb for f, _ in ready], pose)
            ready = [(f, b if b is not None else p) for (f, p), b in zip(ready, back)]
        return ready + [(frame, pose)]

    def flush(self) -> list[tuple[object, Pose]]:
        """The frames still held, as they are (the video ended without the person found again)."""
        ready, self.held = self.held, []
        return ready


def unswap(pose: Pose, prev: Pose, threshold: float) -> bool:
    """Put back a frame whose left and right joints came out exchanged (``sides.mirrored_closer``
    on the joints both frames are sure of): swap ``pose``'s sides in place."""
    def sure(p: Pose) -> np.ndarray:
        return np.where(p.keypoints[:, 2:3] >= threshold, p.keypoints[:, :2], np.nan)

    if not mirrored_closer(sure(pose), sure(prev)):
        return False
    pose.keypoints = pose.keypoints[list(FLIP)].copy()
    return True


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


def _distance(box: Box | None, point: tuple[float, float]) -> float:
    """From ``point`` to a joint box: 0 inside it, else to its centre (infinite without a box)."""
    if box is None:
        return math.inf
    if box.holds(point):
        return 0.0
    return math.dist(box.centre, point)


def _detection_box(d: Detection) -> Box:
    """A detection's box as a square around its centre (for ``_distance`` to a point)."""
    (x0, y0), (x1, y1) = d.box[:2], d.box[2:]
    side = float(max(x1 - x0, y1 - y0))
    return Box(float(x0 + x1) / 2 - side / 2, float(y0 + y1) / 2 - side / 2, side)


def _apart(a: Box, b: Box) -> bool:
    """Two joint boxes belong to different people when their centres are over half a box apart."""
    return math.dist(a.centre, b.centre) > 0.5 * max(a.size, b.size)


def choose_person(localiser: Localiser, person: Person, only: bool = False) -> None:
    """Point ``localiser`` at ``person``: a rule for every search, or a point whose person a track
    then follows (``auto`` takes the person nearest the point in every frame); ``full`` ignores it.
    ``only``: once lost, a track takes nobody but someone who looks like them, however long
    they are gone (the walker of a gait clip, never the bystander left in view)."""
    search = localiser.search if isinstance(localiser, Track) else localiser
    if not isinstance(search, AutoSearch):
        return
    if isinstance(person, tuple) and isinstance(localiser, Track):
        localiser.pick(*person)
        if only:
            localiser.memory = math.inf
    else:
        search.person = person


def make_detector(engine: Engine) -> Detector | None:
    """The person detector on ``engine``'s threads; None (said once in the log) when its file
    cannot be had here (offline, never fetched): localisation then falls back to the window search."""
    try:
        return Detector(threads=getattr(engine, "threads", None), spin=getattr(engine, "spin", True))
    except (MissingWeightsError, PoseappError, ImportError) as exc:
        log.warning("no person detector (%s): the window search finds people instead", exc)
        return None


def make_localiser(mode: str, engine: Engine, detector: bool = True) -> Localiser:
    """A new localiser for ``mode``: the person detector first (``detector``); the window search
    (``auto`` on single images as a fallback where the detector finds nobody, and everywhere
    without a detector) uses RT beside a bigger ``engine``. A video track starts only on a
    detection: no fallback there (the search's phantoms on furniture).

    If RT's weights cannot be had, ``engine`` searches itself: slower, never wrong.
    """
    if mode == "full":
        return FullFrame()
    if mode not in MODES:
        raise PoseappError(f"unknown localisation mode {mode!r}; choose from {', '.join(MODES)}")
    found = make_detector(engine) if detector else None
    fallback = mode == "auto" or found is None
    search = None
    if engine.model != "RT" and fallback:
        try:
            search = Engine("RT", device=engine.backend.device, backend=engine.backend.name,
                            spin=getattr(engine, "spin", True), threads=getattr(engine, "threads", None))
        except PoseappError:
            search = None
    auto = AutoSearch(search, detector=found, fallback=fallback)
    return Track(auto) if mode == "track" else auto
