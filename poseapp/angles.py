"""Joint angles in degrees from the 16 joints: every angle defined once, in ``ANGLES``.

All angles are measured in the image plane (2-D). Four kinds:

- ``flexion``: three joints a-b-c; 180 minus the angle at b, so 0 at full extension (0-180).
- ``sagittal``: an angle with a clinical sign, from a side view: hip flexion (trunk to thigh),
  knee flexion (thigh to shank) and trunk lean (the trunk from the vertical). Positive is flexion
  (the thigh ahead of the trunk, the shank folded behind the thigh, the trunk leaning forward),
  negative extension (the thigh behind the trunk, a knee bent backward, a trunk leaning back).
  "Forward" is where the person faces (``facing``): the side their bent knees point to, carried
  through the frames where both legs are straight; where it is never seen, the values keep
  their size and count as positive.
- ``between``: the angle between segment 1 (from its first joint to its second) and segment 2 (0-180).
- ``segment``: a segment's signed angle from the vertical: 0 along it (the trunk pointing up, a
  limb hanging down), positive when the segment's far end lies toward the image's right,
  negative toward its left. With a calibration the vertical is the floor's normal, not the
  image's (``floor_deg``). A segment pointing against its zero direction is at the seam, +-180:
  ``continuous`` unwraps a series across it so that it never jumps by 360. The gait analysis turns
  these into "forward is positive" from the walking direction.

The first three kinds are continuous by construction (no seam). A joint scoring under the
threshold, or a segment of zero length, gives NaN, never an exception.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from poseapp.joints import INDEX


@dataclass(frozen=True)
class Angle:
    name: str
    kind: str  # 'flexion' | 'sagittal' | 'between' | 'segment'
    joints: tuple[str, ...]  # flexion: a, b, c; sagittal and between: s1 from, s1 to, s2 from, s2 to
    # (sagittal's s1 empty: the vertical); segment: from, to
    convention: str
    flexes: int = 1  # sagittal: the turn from s1 to s2 that is flexion, facing right (+1 counter-clockwise as seen)

    @property
    def vertex(self) -> str:
        """The joint where the angle is shown: the middle joint, the limb's root, or the segment's base."""
        if self.kind == "flexion":
            return self.joints[1]
        return self.joints[2] if self.kind in ("between", "sagittal") else self.joints[0]


ANGLES: tuple[Angle, ...] = (
    Angle("left_elbow_flexion", "flexion", ("left_shoulder", "left_elbow", "left_wrist"),
          "0 with the arm straight, grows as the forearm folds toward the upper arm"),
    Angle("right_elbow_flexion", "flexion", ("right_shoulder", "right_elbow", "right_wrist"),
          "0 with the arm straight, grows as the forearm folds toward the upper arm"),
    Angle("left_knee_flexion", "sagittal", ("left_hip", "left_knee", "left_knee", "left_ankle"),
          "0 with the leg straight, positive as the shank folds behind the thigh, negative bent backward", -1),
    Angle("right_knee_flexion", "sagittal", ("right_hip", "right_knee", "right_knee", "right_ankle"),
          "0 with the leg straight, positive as the shank folds behind the thigh, negative bent backward", -1),
    Angle("left_hip_flexion", "sagittal", ("thorax", "pelvis", "left_hip", "left_knee"),
          "trunk (thorax to pelvis) to thigh (hip to knee): 0 standing, 90 sitting upright, negative with "
          "the thigh behind the trunk (extension)"),
    Angle("right_hip_flexion", "sagittal", ("thorax", "pelvis", "right_hip", "right_knee"),
          "trunk (thorax to pelvis) to thigh (hip to knee): 0 standing, 90 sitting upright, negative with "
          "the thigh behind the trunk (extension)"),
    Angle("left_shoulder_elevation", "between", ("thorax", "pelvis", "left_shoulder", "left_elbow"),
          "trunk (thorax to pelvis) to upper arm (shoulder to elbow): 0 arm down, 90 level, 180 overhead"),
    Angle("right_shoulder_elevation", "between", ("thorax", "pelvis", "right_shoulder", "right_elbow"),
          "trunk (thorax to pelvis) to upper arm (shoulder to elbow): 0 arm down, 90 level, 180 overhead"),
    Angle("trunk_inclination", "sagittal", ("", "", "pelvis", "thorax"),
          "pelvis to thorax against the vertical: 0 upright, positive leaning forward, negative leaning back"),
    Angle("neck_flexion", "between", ("pelvis", "thorax", "upper_neck", "head_top"),
          "trunk (pelvis to thorax) to head (upper neck to head top): 0 in line with the trunk"),
    Angle("trunk_segment", "segment", ("pelvis", "thorax"),
          "pelvis to thorax from the vertical: 0 upright, positive leaning toward the image's right"),
    *(Angle(f"{side}_{name}_segment", "segment", (f"{side}_{a}", f"{side}_{b}"),
            f"{a.replace('_', ' ')} to {b.replace('_', ' ')} from the downward vertical: 0 hanging straight "
            "down, positive with its far end toward the image's right")
      for side in ("left", "right")
      for name, a, b in (("thigh", "hip", "knee"), ("shank", "knee", "ankle"), ("upper_arm", "shoulder", "elbow"),
                         ("forearm", "elbow", "wrist"))),
)
ANGLE_NAMES: tuple[str, ...] = tuple(a.name for a in ANGLES)
#: The joint angles (charts, normal ranges) and the segment angles (signed, with a seam).
JOINT_ANGLE_NAMES: tuple[str, ...] = tuple(a.name for a in ANGLES if a.kind != "segment")
SEGMENT_NAMES: tuple[str, ...] = tuple(a.name for a in ANGLES if a.kind == "segment")
BY_NAME: dict[str, Angle] = {a.name: a for a in ANGLES}

#: Typical active range of motion in degrees (American Academy of Orthopaedic Surgeons' normal
#: values), drawn as bands on the live plots; 2-D image angles only approximate them.
NORMAL_RANGES: dict[str, tuple[float, float]] = {
    "left_elbow_flexion": (0, 150), "right_elbow_flexion": (0, 150),
    "left_knee_flexion": (0, 135), "right_knee_flexion": (0, 135),
    "left_hip_flexion": (-30, 120), "right_hip_flexion": (-30, 120),
    "left_shoulder_elevation": (0, 180), "right_shoulder_elevation": (0, 180),
    "neck_flexion": (0, 45),
}


#: A knee bent at least this much (degrees) shows which way its person faces.
FACING_BEND_DEG = 20.0


def _turn(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Signed degrees from image vectors ``u`` to ``v`` (..., 2), counter-clockwise as seen positive;
    NaN where either has zero length."""
    cross = u[..., 0] * -v[..., 1] + u[..., 1] * v[..., 0]  # y flipped: image y grows downward
    dot = np.einsum("...i,...i->...", u, v)
    ok = (np.linalg.norm(u, axis=-1) > 1e-9) & (np.linalg.norm(v, axis=-1) > 1e-9)
    return np.where(ok, np.degrees(np.arctan2(cross, dot)), np.nan)


def facing(xy: np.ndarray) -> np.ndarray:
    """Which way the person faces in each frame of (..., 16, 2) coordinates: +1 toward the image's
    right, -1 toward its left, NaN unknown. A knee bent ``FACING_BEND_DEG`` or more points forward
    (the shank folds behind the thigh); both knees bent must agree."""
    votes = []
    for side in ("left", "right"):
        hip, knee, ankle = (xy[..., INDEX[f"{side}_{j}"], :] for j in ("hip", "knee", "ankle"))
        bend = _turn(knee - hip, ankle - knee)  # facing right, a flexed knee turns clockwise as seen
        votes.append(np.where(np.abs(bend) >= FACING_BEND_DEG, -np.sign(bend), np.nan))
    a, b = votes
    return np.where(np.isnan(a), b, np.where(np.isnan(b) | (a == b), a, np.nan))


def settled_facing(per_frame: np.ndarray) -> np.ndarray:
    """A (T,) facing series with its unknown frames filled: from the frame before (the person
    turns only when seen turning), before the first known frame from the first; +1 where no frame
    shows it."""
    out = np.asarray(per_frame, dtype=np.float64)
    known = np.isfinite(out)
    if not known.any():
        return np.ones_like(out)
    source = np.maximum.accumulate(np.where(known, np.arange(len(out)), int(np.argmax(known))))
    return out[source]  # each frame takes the last known frame at or before it (the first, before it)


def _between(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Unsigned angle in degrees between vectors (..., 2); NaN where either has zero length."""
    nu, nv = np.linalg.norm(u, axis=-1), np.linalg.norm(v, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        cos = np.einsum("...i,...i->...", u, v) / (nu * nv)
    cos = np.where((nu > 1e-9) & (nv > 1e-9), cos, np.nan)
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def compute_angles(keypoints: np.ndarray, threshold: float = 0.0,
                   names: tuple[str, ...] = ANGLE_NAMES, floor_deg: float = 0.0) -> dict[str, np.ndarray]:
    """Angles for (..., 16, 3) keypoints (x, y, score); one array of shape (...) per angle name."""
    kp = np.asarray(keypoints, dtype=np.float64)
    return angles_from_xy(np.where(kp[..., 2:3] >= threshold, kp[..., :2], np.nan), names, floor_deg)


def _facing_of(xy: np.ndarray, given: float | np.ndarray | None) -> np.ndarray:
    """The facing the sagittal angles of ``xy`` use: ``given``, else measured (a series settled
    over its frames, a single frame +1 where unknown)."""
    if given is not None:
        return np.broadcast_to(np.asarray(given, dtype=np.float64), xy.shape[:-2])
    measured = facing(xy)
    if xy.ndim == 3:
        return settled_facing(measured)
    return np.where(np.isfinite(measured), measured, 1.0)


def _segment(d: np.ndarray, up: bool, floor_deg: float) -> np.ndarray:
    """Signed degrees of image vectors (..., 2) from the vertical (up or down), toward +x positive,
    in [-180, 180); ``floor_deg`` is the floor's tilt (counter-clockwise as seen) that the vertical
    follows."""
    x, y_up = d[..., 0], -d[..., 1]
    # a floor turned counter-clockwise turns the downward vertical toward +x and the upward one away
    tilt = floor_deg if up else -floor_deg
    return (np.degrees(np.arctan2(x, y_up if up else -y_up)) + tilt + 180.0) % 360.0 - 180.0


def angles_from_xy(xy: np.ndarray, names: tuple[str, ...] = ANGLE_NAMES, floor_deg: float = 0.0,
                   faces: float | np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Angles for (..., 16, 2) coordinates where NaN marks a missing joint (smoothed tracks, say);
    segment angles and the trunk's lean are measured from the floor's normal when ``floor_deg``
    gives the floor's tilt. ``faces``: the facing for the sagittal angles (+1 right, -1 left, per
    frame or one for all); by default measured (``facing``, a (T, 16, 2) series settled over time)."""
    xy = np.asarray(xy, dtype=np.float64)
    out = {}
    sign = None
    for angle in ANGLES:
        if angle.name not in names:
            continue
        p = [xy[..., INDEX[j], :] if j else None for j in angle.joints]
        if angle.kind == "sagittal":
            sign = _facing_of(xy, faces) if sign is None else sign
            if p[0] is None:  # from the vertical: forward lean turns the trunk toward where the person faces
                value = sign * _segment(p[3] - p[2], True, floor_deg)
            else:
                value = sign * angle.flexes * _turn(p[1] - p[0], p[3] - p[2])
        elif angle.kind == "flexion":
            value = 180.0 - _between(p[0] - p[1], p[2] - p[1])
        elif angle.kind == "between":
            value = _between(p[1] - p[0], p[3] - p[2])
        else:
            value = _segment(p[1] - p[0], angle.name == "trunk_segment", floor_deg)
        out[angle.name] = value
    return out


def continue_from(last: float, value: float) -> float:
    """``value`` moved by whole turns to lie within 180 degrees of ``last`` (a segment angle that
    crossed its seam); unchanged when either is missing."""
    if not (np.isfinite(last) and np.isfinite(value)):
        return value
    return value + 360.0 * round((last - value) / 360.0)


def continuous(values: np.ndarray) -> np.ndarray:
    """A segment angle's series (T,) without jumps of 360 at its seam: each value within 180 degrees
    of the last one seen before it (missing values are skipped, not filled)."""
    out = np.array(values, dtype=np.float64, copy=True)
    last = np.nan
    for i, v in enumerate(out):
        if np.isfinite(v):
            out[i] = last = continue_from(last, v)
    return out


def angular_velocity(values: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Degrees per second (T,) by central differences over consecutive values; NaN next to a gap."""
    v, t = np.asarray(values, dtype=np.float64), np.asarray(times, dtype=np.float64)
    out = np.full(len(v), np.nan)
    if len(v) < 2:
        return out
    step = np.diff(v) / np.where(np.diff(t) > 0, np.diff(t), np.nan)  # NaN across a missing value
    both = np.vstack([np.r_[np.nan, step], np.r_[step, np.nan]])
    have = np.isfinite(both)
    out[have.any(0)] = np.nansum(np.where(have, both, 0), 0)[have.any(0)] / have.sum(0)[have.any(0)]
    return out


def range_of_motion(angles: dict[str, np.ndarray], times: np.ndarray | None = None
                    ) -> dict[str, dict[str, float | int | None]]:
    """Min, max, mean and range in degrees, and the frames with a value, per angle (None: never seen);
    with ``times`` also the peak angular speed in degrees per second."""
    out: dict[str, dict[str, float | int | None]] = {}
    for name, values in angles.items():
        v = values[np.isfinite(values)]
        if not len(v):
            out[name] = {"min": None, "max": None, "mean": None, "range": None, "frames": 0}
        else:
            lo, hi = float(v.min()), float(v.max())
            out[name] = {"min": round(lo, 2), "max": round(hi, 2), "mean": round(float(v.mean()), 2),
                         "range": round(hi - lo, 2), "frames": int(len(v))}
        if times is not None:
            speed = np.abs(angular_velocity(values, times))
            out[name]["peak_speed_deg_s"] = round(float(np.nanmax(speed)), 1) if np.isfinite(speed).any() else None
    return out
