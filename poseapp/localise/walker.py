"""Who walks: the person a gait analysis follows, found by looking through the clip first.

A side-view walk may begin with someone else in view: in Sports2D's clip a man jumps on a box
for a second and a half before the walker comes in, and the person search's rule (largest, most
central) takes him. ``WalkerSearch`` looks at one frame every ``step`` seconds with the person
search (``AutoSearch.find_people``: every person it finds, not only the rule's choice), links the
people of successive looks into tracks (near where steady motion would have taken them, dressed
alike), and takes the track that moved one way, upright, for the longest time: a walk lasts
seconds, a jump, a turn or a dash out of view does not. ``poseapp video --person walker`` and the
window's "Who walks" then follow that person from the frame they were first seen in (the video,
which can hold frames, also back through the frames before it: ``track.HeldFrames``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from poseapp.inference.engine import Engine
from poseapp.io.video import Frame
from poseapp.joints import INDEX
from poseapp.localise.appearance import signature, similarity
from poseapp.localise.localiser import Localiser
from poseapp.localise.search import AutoSearch
from poseapp.localise.track import Track

_HIPS = [INDEX["right_hip"], INDEX["left_hip"]]
_KNEES = [INDEX["right_knee"], INDEX["left_knee"]]
_ANKLES = [INDEX["right_ankle"], INDEX["left_ankle"]]
_SHOULDERS = [INDEX["right_shoulder"], INDEX["left_shoulder"]]


@dataclass
class Sighting:
    """One person in one looked-at frame: where (joint box centre and side, pixels), whether
    upright, and what they wear."""

    index: int
    time_s: float
    x: float
    y: float
    size: float
    upright: bool
    look: list[np.ndarray] | None


@dataclass
class PersonTrack:
    sightings: list[Sighting] = field(default_factory=list)

    @property
    def last(self) -> Sighting:
        return self.sightings[-1]

    def walked_s(self, gap_s: float, min_speed: float) -> float:
        """The longest time this person moved one way at ``min_speed`` body sizes a second or more,
        upright at both ends of every step between looks no more than ``gap_s`` apart."""
        best = run = 0.0
        direction = 0
        for a, b in zip(self.sightings, self.sightings[1:]):
            dt = b.time_s - a.time_s
            speed = (b.x - a.x) / dt / max(0.5 * (a.size + b.size), 1.0) if dt > 0 else 0.0
            way = int(np.sign(speed))
            if dt > gap_s or not (a.upright and b.upright) or abs(speed) < min_speed:
                run, direction = 0.0, 0
                continue
            run = run + dt if way == direction else dt
            direction = way
            best = max(best, run)
        return best

    def summary(self, gap_s: float, min_speed: float) -> dict:
        """The track for a result's JSON: when it was seen, how far it went, how long it walked."""
        xs = [float(s.x) for s in self.sightings]
        return {"first_frame": self.sightings[0].index, "first_time_s": round(self.sightings[0].time_s, 3),
                "last_time_s": round(self.last.time_s, 3), "sightings": len(self.sightings),
                "travel_px": round(max(xs) - min(xs), 1),
                "walked_s": round(self.walked_s(gap_s, min_speed), 3)}


@dataclass
class Walker:
    """The person to follow: first seen in frame ``index`` at ``point`` (pixels), then along
    ``path`` (time, x, y of each sighting); ``tracks`` summarises everyone the look-through saw,
    the walker first."""

    index: int
    time_s: float
    point: tuple[float, float]
    walked_s: float
    path: list[tuple[float, float, float]]
    tracks: list[dict]
    looks: int = 0  # frames looked at
    passes: int = 0  # the search model's forward passes spent on them

    def where(self, time_s: float) -> tuple[float, float]:
        """Where the walker was at ``time_s``: between two sightings on the line joining them,
        before the first or after the last where they were first or last seen."""
        t, x, y = (np.array(v) for v in zip(*self.path))
        return float(np.interp(time_s, t, x)), float(np.interp(time_s, t, y))

    def to_json(self) -> dict:
        return {"first_frame": self.index, "first_time_s": round(self.time_s, 3),
                "point": [round(v, 1) for v in self.point], "walked_s": round(self.walked_s, 3),
                "frames_looked_at": self.looks, "forward_passes": self.passes, "people_seen": self.tracks}


def upright(keypoints: np.ndarray, threshold: float) -> bool:
    """Shoulders above hips above knees above ankles (image y grows downward), on the sure joints
    of each pair; a person bent double, lying or in the air upside down is not walking."""
    levels = []
    for pair in (_SHOULDERS, _HIPS, _KNEES, _ANKLES):
        sure = keypoints[pair, 2] >= threshold
        if not sure.any():
            return False
        levels.append(float(keypoints[pair, 1][sure].mean()))
    return all(a < b for a, b in zip(levels, levels[1:]))


class WalkerSearch:
    """Looks at frames ``step`` seconds apart, then links the people seen into tracks.

    A sighting continues a track last seen within ``gap_s`` when it lies within ``reach`` body
    sizes, plus ``drift`` sizes a second, of where the track's last two sightings say the person
    would be by then (steady motion); the lowest cost wins, the distance from there plus how
    unalike the two looks are (``appearance``: a soft term, as sunlight and shade change a
    person's colours along a walk). Sightings under ``min_size`` of the clip's median size (a
    fragment of someone in the air, a limb) are left out. ``min_walk``: the seconds of steady
    walking (``min_speed`` sizes a second, one way, upright) that make a walker.
    """

    def __init__(self, search: AutoSearch, engine: Engine, step: float = 0.5, gap_s: float = 1.6,
                 reach: float = 0.5, drift: float = 1.0, min_size: float = 0.4,
                 min_speed: float = 0.15, min_walk: float = 1.0) -> None:
        self.search, self.engine = search, engine
        self.step, self.gap_s, self.reach, self.drift, self.min_size = step, gap_s, reach, drift, min_size
        self.min_speed, self.min_walk = min_speed, min_walk
        self.seen: list[list[Sighting]] = []
        self.passes = 0

    def look(self, frame: Frame) -> None:
        """Everyone the search finds in ``frame`` (one person found twice counted once)."""
        people, passes = self.search.find_people(self.engine, frame.rgb)
        self.passes += passes
        threshold = self.search.joint_threshold
        here: list[Sighting] = []
        for pose in sorted(people, key=lambda p: -p.score):
            box = self.search.extent(pose)
            if not pose.found or box is None:
                continue
            x, y = box.centre
            if any(abs(x - s.x) < s.size / 2 and abs(y - s.y) < s.size / 2 for s in here):
                continue
            here.append(Sighting(frame.index, frame.time_s, x, y, box.size, upright(pose.keypoints, threshold),
                                 signature(frame.rgb, pose.keypoints, threshold)))
        self.seen.append(here)

    def tracks(self) -> list[PersonTrack]:
        """The sightings linked into tracks, look by look."""
        sizes = [s.size for here in self.seen for s in here]
        smallest = self.min_size * float(np.median(sizes)) if sizes else 0.0
        tracks: list[PersonTrack] = []
        for here in self.seen:
            here = [s for s in here if s.size >= smallest]
            costs = sorted((self._cost(s, t), i, j) for i, s in enumerate(here) for j, t in enumerate(tracks))
            linked: dict[int, int] = {}
            for cost, i, j in costs:
                if math.isfinite(cost) and i not in linked and j not in linked.values():
                    linked[i] = j
            for i, s in enumerate(here):
                if i in linked:
                    tracks[linked[i]].sightings.append(s)
                else:
                    tracks.append(PersonTrack([s]))
        return tracks

    def _cost(self, s: Sighting, track: PersonTrack) -> float:
        """How unlikely ``s`` continues ``track``: infinite when it cannot (too long ago, too far
        from where steady motion would have taken the person); else that distance in body sizes
        plus how unalike the looks are (0.5 when either is unknown)."""
        last = track.last
        dt = s.time_s - last.time_s
        if dt <= 0 or dt > self.gap_s:
            return math.inf
        vx = vy = 0.0
        if len(track.sightings) > 1:
            before = track.sightings[-2]
            span = last.time_s - before.time_s
            if 0 < span <= self.gap_s:
                vx, vy = (last.x - before.x) / span, (last.y - before.y) / span
        size = max(last.size, s.size)
        distance = math.hypot(s.x - last.x - vx * dt, s.y - last.y - vy * dt) / size
        if distance > self.reach + self.drift * dt:
            return math.inf
        alike = similarity(last.look, s.look) if last.look is not None and s.look is not None else 0.5
        return distance + (1.0 - alike)

    def frames(self, frames: Iterable[Frame], looked: Callable[[Frame], bool | None] | None = None) -> bool:
        """Look at the frames ``step`` seconds apart (the first, then the first at or after each
        mark); ``looked`` is told of each frame looked at (progress) and stops the look-through by
        returning False. Returns whether every frame was looked through."""
        due = -math.inf
        for frame in frames:
            if frame.time_s >= due:
                self.look(frame)
                due = frame.time_s + self.step - 1e-6
                if looked is not None and looked(frame) is False:
                    return False
        return True

    def walker(self) -> Walker | None:
        """The track that walked longest (at least ``min_walk`` seconds), or None."""
        tracks = self.tracks()
        walked = [t.walked_s(self.gap_s, self.min_speed) for t in tracks]
        order = sorted(range(len(tracks)), key=lambda i: -walked[i])
        if not order or walked[order[0]] < self.min_walk:
            return None
        chosen = tracks[order[0]].sightings
        return Walker(chosen[0].index, chosen[0].time_s, (float(chosen[0].x), float(chosen[0].y)), walked[order[0]],
                      [(s.time_s, float(s.x), float(s.y)) for s in chosen],
                      [tracks[i].summary(self.gap_s, self.min_speed) for i in order], len(self.seen), self.passes)


def walker_search(localiser: Localiser, engine: Engine) -> WalkerSearch | None:
    """A look-through with the localiser's search model (RT beside a bigger ``engine``) finding
    and refining people alike; None for ``full``, which does not search."""
    search = localiser.search if isinstance(localiser, Track) else localiser
    if not isinstance(search, AutoSearch):
        return None
    return WalkerSearch(AutoSearch(), search.search or engine)
