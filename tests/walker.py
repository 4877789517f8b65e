"""A synthetic side-view walker with known gait events, for the gait and calibration tests.

Built from the definitions, not from the detector: each ankle stands still on the floor during
stance (60% of the stride) and swings forward during swing; the pelvis moves at constant speed
and its height follows the stance leg, kept almost straight (inverted pendulum); knees come from
the hip and ankle by two-link geometry. Heel strike is the end of swing, toe off the end of
stance. Segment lengths are fixed, the head-top-to-ankle chain is 0.961 of the stature (the
ankle 0.039 above the floor), as ``poseapp.calibration`` assumes for real people.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from poseapp.joints import INDEX

THIGH = SHANK = 0.43  # metres, so the leg is 0.86
SPINE = (("pelvis", "thorax", 0.552), ("thorax", "upper_neck", 0.07), ("upper_neck", "head_top", 0.20))


@dataclass
class Walk:
    xy: np.ndarray  # (T, 16, 2) image pixels
    times: np.ndarray
    events: list[tuple[float, str, str]] = field(default_factory=list)  # time, side, kind
    speed: float = 0.0
    stride_time: float = 0.0
    height: float = 0.0

    @property
    def cadence(self) -> float:
        return 120.0 / self.stride_time

    @property
    def step_length(self) -> float:
        return self.speed * self.stride_time / 2

    def keypoints(self) -> np.ndarray:
        return np.concatenate([self.xy, np.ones(self.xy.shape[:2] + (1,))], -1)


def _knee(hip: np.ndarray, ankle: np.ndarray, forward: float) -> np.ndarray:
    """The knee of a two-link leg from hip to ankle (metres, y up), bent toward ``forward``."""
    d = ankle - hip
    dist = min(float(np.linalg.norm(d)), THIGH + SHANK - 1e-9)
    a = math.acos((THIGH ** 2 + dist ** 2 - SHANK ** 2) / (2 * THIGH * dist))
    u = d / np.linalg.norm(d)
    rot = a if forward * u[1] < 0 else -a  # turn the hip-to-ankle direction toward the front
    c, s = math.cos(rot), math.sin(rot)
    return hip + THIGH * np.array([c * u[0] - s * u[1], s * u[0] + c * u[1]])


def walk(seconds: float = 6.0, fps: float = 60.0, speed: float = 1.1, stride_time: float = 1.1,
         stance: float = 0.6, direction: int = 1, height: float = 1.75, px_per_m: float = 200.0,
         start_m: float = 0.5, tilt_deg: float = 0.0, asymmetry: float = 0.0) -> Walk:
    """Walking one way (running, with a flight phase, when ``stance`` is under 0.5). ``asymmetry``
    shifts the right heel strike later in the cycle by that share of the stride (0: the right foot
    lands exactly half a stride after the left)."""
    t = np.arange(round(seconds * fps)) / fps
    reach = 0.5 * stance * speed * stride_time  # how far ahead of the pelvis a foot lands (and behind it leaves)
    phase = {"left": 0.25 * stride_time, "right": (0.75 + asymmetry) * stride_time}
    ankle_h = 0.039 * height
    out = np.zeros((len(t), 16, 2))
    events = []
    for side, p in phase.items():
        k = math.floor(-p / stride_time)
        while p + k * stride_time < t[-1]:
            hs = p + k * stride_time
            for when, kind in ((hs, "heel_strike"), (hs + stance * stride_time, "toe_off")):
                if 0 <= when <= t[-1]:
                    events.append((when, side, kind))
            k += 1
    hip_up = ankle_h + 0.95 * (THIGH + SHANK)
    for i, ti in enumerate(t):
        pelvis_x = start_m + direction * speed * ti
        rel, up, standing = {}, {}, []
        for side, p in phase.items():
            u = ((ti - p) % stride_time) / stride_time
            if u < stance:
                rel[side] = reach - speed * u * stride_time
                up[side] = ankle_h
                standing.append(rel[side])
            else:
                s = (u - stance) / (1 - stance)
                rel[side] = -reach + 2 * reach * (1 - math.cos(math.pi * s)) / 2
                up[side] = ankle_h + 0.06 * math.sin(math.pi * s)
        if standing:  # in a run's flight phase (``stance`` under 0.5) the pelvis keeps its height
            hip_up = ankle_h + min(0.995 * math.sqrt(max((THIGH + SHANK) ** 2 - r ** 2, 0.0)) for r in standing)
        hip = np.array([pelvis_x, hip_up])
        pts = {"pelvis": hip, "left_hip": hip, "right_hip": hip}
        lean = math.radians(5) * direction
        for a, b, length in SPINE:
            pts[b] = pts[a] + length * np.array([math.sin(lean), math.cos(lean)])
        for side, p in phase.items():
            ankle = np.array([pelvis_x + direction * rel[side], up[side]])
            pts[f"{side}_ankle"] = ankle
            pts[f"{side}_knee"] = _knee(hip, ankle, direction)
            swing = math.radians(15) * math.sin(2 * math.pi * (ti - p) / stride_time) * direction
            shoulder = pts["thorax"]
            pts[f"{side}_shoulder"] = shoulder
            pts[f"{side}_elbow"] = shoulder + 0.30 * np.array([-math.sin(swing), -math.cos(swing)])
            fore = 1.5 * swing
            pts[f"{side}_wrist"] = pts[f"{side}_elbow"] + 0.25 * np.array([-math.sin(fore), -math.cos(fore)])
        for name, (x, y) in pts.items():
            out[i, INDEX[name]] = x * px_per_m, 1000.0 - y * px_per_m
    if tilt_deg:
        a = math.radians(tilt_deg)
        centre = np.array([960.0, 540.0])
        d = out - centre
        rot = np.array([[math.cos(a), math.sin(a)], [-math.sin(a), math.cos(a)]])  # counter-clockwise as seen
        out = centre + d @ rot.T
    return Walk(out, t, sorted(events), speed, stride_time, height)


def there_and_back(fps: float = 60.0, **kw: float) -> Walk:
    """Walk right for 5 s, stand for 1 s, walk back left for 5 s."""
    a = walk(seconds=5.0, fps=fps, direction=1, **kw)
    end = a.xy[-1]
    stand = np.repeat(end[None], round(fps), 0)
    b = walk(seconds=5.0, fps=fps, direction=-1, start_m=a.xy[-1, INDEX["pelvis"], 0] / 200.0, **kw)
    xy = np.concatenate([a.xy, stand, b.xy])
    t = np.arange(len(xy)) / fps
    offset = (len(a.xy) + len(stand)) / fps
    events = a.events + [(when + offset, side, kind) for when, side, kind in b.events]
    return Walk(xy, t, events, a.speed, a.stride_time, a.height)
