"""Pixels to metres and the floor's tilt, from the subject's height or a line of known length.

- Height: the pixel height is the median length, over the frames where at least one leg has a
  straight hip and knee (both under 15 degrees of flexion: mid-stance in a walk), of the chain
  head top - upper neck - thorax - pelvis plus the straight legs' hip - knee - ankle (their mean). The 16 joints stop at
  the ankle: the ankle's height above the floor is 0.039 of stature (Winter, *Biomechanics and
  Motor Control of Human Movement*, 4th ed., table 4.1), so the chain is divided by 0.961 (the
  head top is the top of the head in MPII's annotation). A 2-D side view shortens segments that
  lean toward the camera; the median over straight frames keeps that small for a walk across.
- Line: two image points and the distance between them in metres (a floor tape, a walkway).
- Floor: a straight line fitted through the ankles while they stand still (stance), its tilt in
  degrees counter-clockwise as seen (a camera that is not level); segment angles then take the
  floor's normal as their vertical and metre coordinates run along the floor.

A ``Calibration`` saves to and loads from a small JSON file that ``poseapp video``, ``poseapp gait``
and the GUI share, and is recorded in result JSON.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from poseapp.errors import PoseappError
from poseapp.io.atomic import write_json
from poseapp.io.schema import CALIBRATION, MAX_METRES_PER_PIXEL, InvalidError, read_json
from poseapp.joints import INDEX

#: Stature over the head-top-to-ankle chain (the ankle joint sits 0.039 of stature above the floor).
ANKLE_HEIGHT_SHARE = 0.039
HEIGHT_RANGE_M = (0.5, 2.5)
STRAIGHT_DEG = 15.0
FILE_KIND = "poseapp-calibration"


@dataclass(frozen=True)
class Calibration:
    metres_per_pixel: float
    floor_deg: float = 0.0  # the floor's tilt in the image, counter-clockwise as seen
    method: str = "line"  # 'height' | 'line'
    height_m: float | None = None
    line: tuple[float, float, float, float, float] | None = None  # x1, y1, x2, y2, metres
    frames_used: int = 0  # height: the straight frames the pixel height came from
    origin_px: tuple[float, float] = (0.0, 0.0)  # the image point at x = 0, y = origin_up_m
    origin_up_m: float = 0.0  # how high above the floor the origin lies

    def to_metres(self, xy: np.ndarray) -> np.ndarray:
        """(..., 2) image pixels to metres: x along the floor, y up (from the floor where the
        ankles were seen standing: their line, lowered by the ankle's height when the stature is
        known; else from the image's top-left corner)."""
        xy = np.asarray(xy, dtype=np.float64) - np.asarray(self.origin_px)
        a = math.radians(self.floor_deg)
        x, y_up = xy[..., 0], -xy[..., 1]
        along = x * math.cos(a) + y_up * math.sin(a)
        up = -x * math.sin(a) + y_up * math.cos(a)
        return np.stack([along * self.metres_per_pixel, up * self.metres_per_pixel + self.origin_up_m], -1)

    def describe(self) -> str:
        how = (f"height {self.height_m:.2f} m over {self.frames_used} straight frames" if self.method == "height"
               else f"a line of {self.line[4]:.3f} m")
        return f"{1000 * self.metres_per_pixel:.3f} mm per pixel from {how}; floor tilted {self.floor_deg:.1f} deg"

    def to_json(self) -> dict:
        return {"kind": FILE_KIND, "version": 1, **asdict(self)}

    def save(self, path: str | Path) -> Path:
        return write_json(path, self.to_json())


def check_height(height_m: float) -> float:
    """The subject's height in metres, or a PoseappError that says what is wrong with it."""
    low, high = HEIGHT_RANGE_M
    if not math.isfinite(height_m) or height_m <= 0:
        raise PoseappError(f"--height must be a person's height in metres, such as 1.72 (got {height_m})")
    if 50 <= height_m <= 250:
        raise PoseappError(f"--height is in metres: {height_m} looks like centimetres; give {height_m / 100:.2f}")
    if not low <= height_m <= high:
        raise PoseappError(f"--height {height_m} m is outside {low}-{high} m")
    return float(height_m)


def parse_scale_line(text: str) -> tuple[float, float, float, float, float]:
    """``X1,Y1,X2,Y2,METRES`` checked: five numbers, two distinct points, a positive length."""
    parts = [p.strip() for p in str(text).split(",")]
    try:
        values = tuple(float(p) for p in parts)
    except ValueError:
        values = ()
    if len(values) != 5 or not all(math.isfinite(v) for v in values):
        raise PoseappError(f"--scale-line wants X1,Y1,X2,Y2,METRES (five numbers), got {text!r}")
    x1, y1, x2, y2, metres = values
    if metres <= 0:
        raise PoseappError(f"--scale-line: the length must be more than 0 metres (got {metres})")
    if math.hypot(x2 - x1, y2 - y1) < 1:
        raise PoseappError("--scale-line: the two points are the same pixel; click two ends of the known length")
    if metres / math.hypot(x2 - x1, y2 - y1) > MAX_METRES_PER_PIXEL:
        raise PoseappError(f"--scale-line: {metres:g} m over {math.hypot(x2 - x1, y2 - y1):.0f} pixels is over "
                           f"{MAX_METRES_PER_PIXEL:g} m a pixel: is the length in metres?")
    return values


def from_line(line: tuple[float, float, float, float, float] | str, floor_deg: float = 0.0) -> Calibration:
    """Scale from two points a known distance apart."""
    x1, y1, x2, y2, metres = parse_scale_line(",".join(map(str, line)) if not isinstance(line, str) else line)
    return Calibration(metres / math.hypot(x2 - x1, y2 - y1), floor_deg, "line", None, (x1, y1, x2, y2, metres))


def _length(xy: np.ndarray, a: str, b: str) -> np.ndarray:
    return np.linalg.norm(xy[:, INDEX[a]] - xy[:, INDEX[b]], axis=-1)


def pixel_height(xy: np.ndarray) -> tuple[float, int]:
    """The person's stature in pixels from (T, 16, 2) coordinates (NaN: missing) and the number of
    straight frames it came from; PoseappError when too few frames show the body with a straight leg."""
    from poseapp.angles import angles_from_xy

    xy = np.asarray(xy, dtype=np.float64)
    spine = sum(_length(xy, a, b) for a, b in (("head_top", "upper_neck"), ("upper_neck", "thorax"),
                                              ("thorax", "pelvis")))
    legs = []
    for s in ("left", "right"):
        flex = angles_from_xy(xy, (f"{s}_knee_flexion", f"{s}_hip_flexion"))
        straight = np.all([np.abs(np.nan_to_num(v, nan=180.0)) < STRAIGHT_DEG for v in flex.values()], axis=0)
        leg = _length(xy, f"{s}_hip", f"{s}_knee") + _length(xy, f"{s}_knee", f"{s}_ankle")
        legs.append(np.where(straight, leg, np.nan))
    legs = np.stack(legs)
    count = np.isfinite(legs).sum(0)
    chain = spine + np.nansum(legs, 0) / np.where(count > 0, count, np.nan)
    use = straight & np.isfinite(chain)
    if use.sum() < 3:
        raise PoseappError("cannot calibrate from the height: fewer than 3 frames show the whole body with straight "
                           "hips and knees (give --scale-line instead, or film the whole body)")
    return float(np.median(chain[use]) / (1 - ANKLE_HEIGHT_SHARE)), int(use.sum())


def from_height(xy: np.ndarray, height_m: float, floor_deg: float = 0.0) -> Calibration:
    """Scale from the subject's height (see the module's notes on the chain and its factor)."""
    height_m = check_height(height_m)
    px, frames = pixel_height(xy)
    return Calibration(height_m / px, floor_deg, "height", height_m, None, frames)


def floor_angle(xy: np.ndarray, times: np.ndarray, still_share: float = 0.5) -> float:
    """The floor's tilt in degrees (counter-clockwise as seen); see ``floor_line``."""
    return floor_line(xy, times, still_share)[0]


def floor_line(xy: np.ndarray, times: np.ndarray, still_share: float = 0.5) -> tuple[float, float | None]:
    """The floor's tilt in degrees (counter-clockwise as seen) and the image y of the standing
    ankles' line at x = 0 (None when no ankle was seen standing), from the ankles while still.

    An ankle is taken as standing when its speed is in the slowest ``still_share`` of its own
    speeds; a line through those points gives the tilt. The tilt is 0 when the still ankles span
    too little of the image across (under one shank's length) to tell a tilt from noise.
    """
    xy, t = np.asarray(xy, dtype=np.float64), np.asarray(times, dtype=np.float64)
    points = []
    for side in ("left", "right"):
        ankle = xy[:, INDEX[f"{side}_ankle"]]
        speed = np.linalg.norm(np.gradient(ankle, t, axis=0), axis=-1) if len(t) > 2 else np.full(len(t), np.nan)
        ok = np.isfinite(speed)
        if ok.sum() < 5:
            continue
        points.append(ankle[ok & (speed <= np.quantile(speed[ok], still_share))])
    if not points or not len(np.concatenate(points)):
        return 0.0, None
    pts = np.concatenate(points)
    shank = np.nanmedian(np.concatenate([_length(xy, f"{s}_knee", f"{s}_ankle") for s in ("left", "right")]))
    if len(pts) < 6 or not np.isfinite(shank) or np.ptp(pts[:, 0]) < shank:
        return 0.0, float(np.median(pts[:, 1]))
    slope, intercept = np.polyfit(pts[:, 0], pts[:, 1], 1)
    return float(np.degrees(np.arctan(-slope))), float(intercept)


def load(path: str | Path) -> Calibration:
    """A calibration file written by ``Calibration.save``; PoseappError for anything else."""
    path = Path(path)
    return from_json(read_json(path, "a poseapp calibration", CALIBRATION), str(path))


def from_json(data: object, source: str) -> Calibration:
    """A calibration from ``Calibration.to_json``'s dict (a file's, or a result's); PoseappError
    naming ``source`` when it is not one."""
    if not isinstance(data, dict) or data.get("kind") != FILE_KIND:
        raise PoseappError(f"{source} is not a poseapp calibration")
    try:
        CALIBRATION(data, "calibration")
    except InvalidError as exc:
        raise PoseappError(f"{source}: {exc}") from None
    try:
        cal = Calibration(float(data["metres_per_pixel"]), float(data.get("floor_deg", 0.0)), str(data["method"]),
                          data.get("height_m"), tuple(data["line"]) if data.get("line") else None,
                          int(data.get("frames_used", 0)), tuple(map(float, data.get("origin_px", (0.0, 0.0)))),
                          float(data.get("origin_up_m", 0.0)))
    except (KeyError, TypeError, ValueError) as exc:
        raise PoseappError(f"{source}: a calibration field is missing or wrong ({exc})") from exc
    if not (math.isfinite(cal.metres_per_pixel) and cal.metres_per_pixel > 0):
        raise PoseappError(f"{source}: metres_per_pixel must be a positive number")
    return cal


def calibrate(xy: np.ndarray, times: np.ndarray, height_m: float | None = None, scale_line: str | None = None,
              path: str | Path | None = None) -> Calibration | None:
    """The calibration a command asked for (a file, a line, or a height; at most one), with the
    floor's tilt measured from these frames unless the file gives one; None when none was asked for."""
    given = [x is not None for x in (height_m, scale_line, path)]
    if sum(given) > 1:
        raise PoseappError("give one of --height, --scale-line and --calibration")
    if path is not None:
        return load(path)
    if not any(given):
        return None
    floor, ankles_y = floor_line(xy, times)
    cal = from_line(scale_line, floor) if scale_line is not None else from_height(xy, height_m, floor)
    if ankles_y is None:
        return cal
    ankle_m = ANKLE_HEIGHT_SHARE * cal.height_m if cal.height_m else 0.0
    return replace(cal, origin_px=(0.0, ankles_y), origin_up_m=ankle_m)
