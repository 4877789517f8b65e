"""Following one person through a video (``track``).

The next frame's crop comes from the previous pose's joints, one forward pass a frame, as
MediaPipe does. When that crop's score drops under ``keep_score`` or under ``weaken`` times the
previous frame's (the person moved more than the margin, as when a live view drops frames, or
the crop cut them), a crop ``widen`` times larger around the same place is tried and refined (up
to three passes), and the better of the two looks is kept. Only when both fail, and on the first
frame, does it search the whole frame (``search``); once the person has been seen, the search
takes only someone who looks like them (``appearance``): a person who walks out and back in, or
a camera that pans away and back, finds them again, and nobody else is taken for them.
Stateful: one ``Track`` per video, ``reset()`` on a seek.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from poseapp.inference.engine import Engine
from poseapp.joints import FLIP
from poseapp.localise.appearance import blend, signature, similarity
from poseapp.localise.choice import Person
from poseapp.localise.crop import distance, joint_box
from poseapp.localise.search import AutoSearch
from poseapp.pose import Box, Pose
from poseapp.sides import mirrored_closer

if TYPE_CHECKING:
    from poseapp.localise.localiser import Localiser


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
        self.given: Pose | None = None  # a picked person's pose, followed from the next frame's crop
        self.last_seen: tuple[float, float, float] | None = None  # centre x, y and size of the person
        self.lost_frames = 0
        self.kept = False  # whether a follow has kept the person (not only searches found them)
        self.seen_score = 0.0  # the score of the last pose that found them
        self.found_by = "detector"  # how they were found: one the detector misses is looked for by the search

    def reset(self) -> None:
        """Forget the person: the next frame is searched for (after a seek or a scene cut)."""
        self.previous, self.last_seen, self.lost_frames, self.look, self.looks = None, None, 0, None, 0
        self.since_check, self.kept, self.seen_score, self.found_by = 0, False, 0.0, "detector"

    def pick(self, x: float, y: float, pose: Pose | None = None) -> None:
        """Follow the person at or nearest (x, y) from the next frame on (a click, ``--person X,Y``);
        ``pose``: that person as already posed (one of everyone followed by id), followed from its
        crop, the point searched only if that follow fails."""
        self.reset()
        self.point = (float(x), float(y))
        self.given = pose

    def set_person(self, person: Person, only: bool = False) -> None:
        """A rule for the searches, or a point whose person is followed from the next frame on;
        ``only``: once lost, nobody but someone who looks like them is taken, however long they
        are gone (the walker of a gait clip, never the bystander left in view)."""
        if not isinstance(person, tuple):
            self.search.person = person
            return
        self.pick(*person)
        if only:
            self.memory = math.inf

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
        if prev is None and self.given is not None:
            prev, self.given = self.given, None
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
                pose, self.point = best, None
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
            if distance(self.search.where(pose), near[:2]) > self.reach * near[2]:
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
        near = distance(box, self.last_seen[:2]) <= self.reach * self.last_seen[2]
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

