"""Gait events and parameters from a side view: Zeni's method on the 16 MPII joints.

Zeni, Richards and Higginson (Gait & Posture 2008) time heel strike at the foot's most forward
position relative to the pelvis and toe off at its most backward one. The 16 joints have no heel
or toe, so the ankle stands in for both (the README states the accuracy to expect).

The steps, all on (T, 16, 2) raw image coordinates (joints under the score threshold missing):

1. Coordinates turned so that x runs along the floor (the calibration's or the measured tilt).
2. The walking direction is found, not assumed: where the pelvis moves (faster than 0.15 leg
   lengths a second) its direction splits the recording into passes (a walk there and back is two);
   where it hardly moves (a treadmill, a camera that pans with the walker) the feet tell: an ankle
   moves backward relative to the pelvis for longer (stance) than forward (swing).
3. Events without trusting the model's left/right labels, which side views often exchange or
   give both to one foot: heel strikes are the peaks of the foremost ankle ahead of the pelvis,
   toe offs the troughs of the hindmost one (each signal median-filtered over 0.1 s and
   low-passed at 6 Hz), at least 0.25 s apart and standing out by 0.1 leg lengths. Sides
   alternate; which came first is what most of the labels say.
4. The legs' labels are then put right frame by frame (the striking foot is in front until the
   other passes it), so a left knee curve never hops to the right knee.
5. Steps (a heel strike to the other side's next: time, and the feet's distance at the strike),
   strides (to the same side's next), stance, swing and double support; lengths in metres with a
   calibration, in pixels without; walking speed from the pelvis.
6. Knee and hip flexion over each stride, normalised to 0-100% of the cycle; mean and SD per side.
   These are sagittal angles from the segment angles with forward positive: knee = thigh - shank,
   hip = thigh + trunk lean, so both are 0 standing straight and positive in flexion.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from poseapp.angles import angles_from_xy, continuous
from poseapp.calibration import Calibration
from poseapp.errors import PoseappError
from poseapp.joints import INDEX

SIDES = ("left", "right")
MOVING_LEGS_PER_S = 0.15
MIN_STEP_GAP_S = 0.25  # 240 steps a minute: faster than any walk
PROMINENCE_LEGS = 0.1
CYCLE_POINTS = 101
MIN_FPS = 15.0
#: From a heel strike to the next toe off, as a share of a step: the double support in walking
#: (0.2 at an ordinary pace, 0.5 at stance 75%), the landing foot's own stance in running, where
#: the other foot left the ground first (0.7 and more). Over this share the recording is a run.
RUNNING_SHARE = 0.6


@dataclass(frozen=True)
class GaitEvent:
    frame: int
    time_s: float
    side: str  # 'left' | 'right'
    kind: str  # 'heel_strike' | 'toe_off'


@dataclass(frozen=True)
class Pass:
    start: int  # first frame
    stop: int  # one past the last frame
    direction: int  # +1: toward the image's right (along the floor), -1: toward its left


#: A mean over fewer steps or strides than this is marked ``few`` wherever it is shown.
FEW = 3


def _mean_sd(values: list[float]) -> dict[str, float | int | bool | None]:
    """Mean, SD and n of the finite ``values``; ``few`` when n is under ``FEW`` (the SD of one
    stride is no spread at all)."""
    v = np.array([x for x in values if x is not None and np.isfinite(x)], dtype=np.float64)
    if not len(v):
        return {"mean": None, "sd": None, "n": 0, "few": True}
    return {"mean": round(float(v.mean()), 4), "sd": round(float(v.std(ddof=1)) if len(v) > 1 else 0.0, 4),
            "n": int(len(v)), "few": len(v) < FEW}


def mean_text(stat: dict | None, digits: int = 2) -> str:
    """"mean ± sd (n=N)", with "too few" when n is under ``FEW``; "-" without a value."""
    if not stat or stat.get("mean") is None:
        return "-"
    n = stat.get("n", 0)
    few = ", too few" if isinstance(n, int) and n < FEW else ""
    return f"{stat['mean']:.{digits}f} ± {stat['sd']:.{digits}f} (n={n}{few})"


def symmetry_index(left: float | None, right: float | None) -> float | None:
    """Robinson's symmetry index in percent: 100 |L - R| / ((L + R) / 2); 0 is perfect symmetry."""
    if left is None or right is None or left + right == 0:
        return None
    return round(100.0 * abs(left - right) / ((left + right) / 2), 2)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    edges = np.diff(np.r_[0, mask.astype(np.int8), 0])
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)))


def _pelvis(xy: np.ndarray) -> np.ndarray:
    pelvis = xy[:, INDEX["pelvis"]]
    hips = (xy[:, INDEX["left_hip"]] + xy[:, INDEX["right_hip"]]) / 2
    return np.where(np.isfinite(pelvis), pelvis, hips)


def leg_length(xy: np.ndarray) -> float:
    """The median hip-knee-ankle length in the coordinates' unit (NaN when never seen)."""
    legs = [np.linalg.norm(xy[:, INDEX[f"{s}_hip"]] - xy[:, INDEX[f"{s}_knee"]], axis=-1)
            + np.linalg.norm(xy[:, INDEX[f"{s}_knee"]] - xy[:, INDEX[f"{s}_ankle"]], axis=-1) for s in SIDES]
    legs = np.concatenate(legs)
    return float(np.median(legs[np.isfinite(legs)])) if np.isfinite(legs).any() else float("nan")


def walking_passes(along: np.ndarray, times: np.ndarray, leg: float) -> list[Pass]:
    """The stretches of walking one way (see the module's step 3); ``along`` is (T, 16) joint
    positions along the floor."""
    fps = (len(times) - 1) / (times[-1] - times[0])
    pelvis = _pelvis(along[..., None])[..., 0]
    seen = np.isfinite(pelvis)
    velocity = np.full(len(pelvis), np.nan)
    for start, stop in _runs(seen):
        if stop - start > 2:
            velocity[start:stop] = np.gradient(pelvis[start:stop], times[start:stop])
    moving = np.abs(np.nan_to_num(velocity)) > MOVING_LEGS_PER_S * leg
    passes: list[Pass] = []
    if moving.sum() >= 0.3 * max(seen.sum(), 1):
        for sign in (1, -1):
            for start, stop in _runs(moving & (np.sign(np.nan_to_num(velocity)) == sign)):
                if stop - start >= fps:  # a second at least: shorter ones are shuffles and turns
                    passes.append(Pass(int(start), int(stop), sign))
        return sorted(passes, key=lambda p: p.start)
    rel = np.stack([along[:, INDEX[f"{s}_ankle"]] - pelvis for s in SIDES])
    step = np.diff(rel, axis=1)
    step = step[np.isfinite(step)]
    if len(step) < fps:
        return []
    # walking toward +x, the foot moves backward (negative) relative to the pelvis during stance
    direction = -1 if np.median(step) > 0 else 1
    return [Pass(int(s), int(e), direction) for s, e in _runs(seen) if e - s >= fps]


def _median3(signal: np.ndarray) -> np.ndarray:
    """A running median of three (NaN where any of the three is missing): one-frame outliers out."""
    padded = np.r_[signal[:1], signal, signal[-1:]]
    return np.median(np.stack([padded[:-2], padded[1:-1], padded[2:]]), axis=0)


def _refined(peaks: list[int], light: np.ndarray, fps: float) -> list[int]:
    """Peaks found on the filtered signal moved to the unfiltered signal's own maximum within 0.03 s
    (a frame at 30 fps): low-passing rounds a foot's sharp turn and shifts its peak by a frame or two."""
    w = max(1, round(0.03 * fps))
    out = []
    for k in peaks:
        lo, hi = max(0, k - w), min(len(light), k + w + 1)
        seg = light[lo:hi]
        out.append(lo + int(np.nanargmax(seg)) if np.isfinite(seg).any() else k)
    return out


def _filtered(signal: np.ndarray, fps: float) -> np.ndarray:
    """A 1-D signal with short outliers removed (a running median over about 0.1 s), gaps of up to
    10 frames filled and low-passed at 6 Hz (zero lag); NaN stays where the gaps were longer."""
    from scipy.ndimage import median_filter

    from poseapp.smoothing import butterworth, fill_gaps

    out = np.array(signal, dtype=np.float64, copy=True)
    size = max(3, 2 * round(0.05 * fps) + 1)
    for start, stop in _runs(np.isfinite(out)):
        if stop - start >= size:
            out[start:stop] = median_filter(out[start:stop], size=size, mode="nearest")
    return butterworth(fill_gaps(out, 10), fps, min(6.0, 0.45 * fps))


@dataclass
class _Pass:
    """One pass's label-free foot signals and the events found in them."""

    p: Pass
    front: np.ndarray  # the foremost ankle's position ahead of the pelvis (filtered), this pass's frames
    back: np.ndarray  # the hindmost one's
    strikes: list[int]  # frames (absolute) of heel strikes, in order
    strike_sides: list[str]
    crossings: list[int]  # after each strike but the last: where the other foot passes the striking one
    placements: list[float]  # where each striking foot stood, along the walking direction
    offs: list[int]
    off_sides: list[str]


def _other(side: str) -> str:
    return "right" if side == "left" else "left"


def _sides_by_alternation(strikes: list[int], rel: dict[str, np.ndarray]) -> list[str]:
    """Sides of successive heel strikes: left and right alternate; which one came first is what the
    model's labels say at most strikes (the landing foot is the one in front). A gap of over 1.6
    median steps (a missed strike) starts a new alternation, voted on by itself."""
    if not strikes:
        return []
    gaps = np.diff(strikes)
    typical = float(np.median(gaps)) if len(gaps) else 0.0
    groups, current = [], [strikes[0]]
    for a, b in zip(strikes, strikes[1:]):
        if typical and b - a > 1.6 * typical:
            groups.append(current)
            current = []
        current.append(b)
    groups.append(current)
    sides = []
    for group in groups:
        votes = 0.0
        for k, frame in enumerate(group):
            ahead = rel["left"][frame] - rel["right"][frame]
            if np.isfinite(ahead):
                votes += np.sign(ahead) * (1 if k % 2 == 0 else -1)  # + : the first strike is left
        first = "left" if votes >= 0 else "right"
        sides += [first if k % 2 == 0 else _other(first) for k in range(len(group))]
    return sides


def detect_events(raw_along: np.ndarray, pelvis: np.ndarray, times: np.ndarray, passes: list[Pass],
                  leg: float) -> list[_Pass]:
    """Heel strikes and toe offs per pass (the module's step 4), without trusting the left/right
    labels: heel strikes are the peaks of the foremost ankle ahead of the pelvis, toe offs the
    troughs of the hindmost one, whichever leg the model called them; sides then alternate."""
    from scipy.signal import find_peaks

    fps = (len(times) - 1) / (times[-1] - times[0])
    out = []
    for p in passes:
        span = slice(p.start, p.stop)
        rel = {s: np.full(len(times), np.nan) for s in SIDES}
        for s in SIDES:
            rel[s][span] = (raw_along[span, INDEX[f"{s}_ankle"]] - pelvis[span]) * p.direction
        both = np.isfinite(rel["left"][span]) & np.isfinite(rel["right"][span])
        raw_front = np.where(both, np.fmax(rel["left"][span], rel["right"][span]), np.nan)
        raw_back = np.where(both, np.fmin(rel["left"][span], rel["right"][span]), np.nan)
        front, back = _filtered(raw_front, fps), _filtered(raw_back, fps)
        found = {}
        for kind, signal, light in (("heel_strike", front, raw_front), ("toe_off", -back, -raw_back)):
            peaks = []
            for start, stop in _runs(np.isfinite(signal)):
                k, _ = find_peaks(signal[start:stop], distance=max(1, round(MIN_STEP_GAP_S * fps)),
                                  prominence=PROMINENCE_LEGS * leg)
                peaks += [p.start + i for i in _refined([start + int(i) for i in k], light, fps)]
            found[kind] = sorted(set(peaks))
        strikes = found["heel_strike"]
        sides = _sides_by_alternation(strikes, rel)
        off_sides = []
        for frame in found["toe_off"]:
            before = [i for i, h in enumerate(strikes) if h < frame]
            # the foot that leaves after a strike is the other one; before the first strike, the striker's
            off_sides.append(_other(sides[before[-1]]) if before else (sides[0] if sides else "left"))
        crossings, placements = _placements(strikes, front - back, raw_along, p)
        out.append(_Pass(p, front, back, strikes, sides, crossings, placements, found["toe_off"], off_sides))
    return out


def _placements(strikes: list[int], spread: np.ndarray, raw_along: np.ndarray, p: Pass
                ) -> tuple[list[int], list[float]]:
    """Where the feet cross between strikes, and where each striking foot stood: the median position
    along the walking direction of the foremost ankle from its strike until the other foot passes
    it (flat on the floor: heel to heel distances, as a walkway's footprints give them)."""
    ahead = np.fmax(raw_along[:, INDEX["left_ankle"]] * p.direction, raw_along[:, INDEX["right_ankle"]] * p.direction)
    crossings, placements = [], []
    for k, a in enumerate(strikes):
        if k + 1 < len(strikes):
            sep = spread[a - p.start:strikes[k + 1] - p.start]
            cross = a + int(np.nanargmin(sep)) if np.isfinite(sep).any() else (a + strikes[k + 1]) // 2
            crossings.append(cross)
        else:
            cross = min(p.stop, a + (a - strikes[k - 1]) // 2) if k else a + 1
        stood = ahead[a:max(cross, a + 1)]
        placements.append(float(np.nanmedian(stood)) if np.isfinite(stood).any() else float("nan"))
    return crossings, placements


def relabel_legs(raw_xy: np.ndarray, raw_along: np.ndarray, found: list[_Pass], leg: float) -> tuple[np.ndarray, int]:
    """Leg joints put on the side the events say: from a heel strike until the other foot passes
    it (where the feet are closest), the striking foot is the front one; where the ankles are
    too close to tell (under 0.05 leg lengths apart), the labelling nearer the frame before wins.
    Returns the coordinates and the number of frames whose legs were exchanged."""
    from poseapp.joints import FLIP
    from poseapp.sides import mirrored_closer

    out = np.array(raw_xy, dtype=np.float64, copy=True)
    legs = [INDEX[f"{s}_{j}"] for s in SIDES for j in ("hip", "knee", "ankle")]
    only_legs = np.full((16, 2), np.nan)
    exchanged = 0
    for fp in found:
        for k, cross in enumerate(fp.crossings):
            a, b = fp.strikes[k], fp.strikes[k + 1]
            for t in range(a, b):
                should = fp.strike_sides[k] if t < cross else fp.strike_sides[k + 1]
                ahead = (raw_along[t, INDEX["left_ankle"]] - raw_along[t, INDEX["right_ankle"]]) * fp.p.direction
                if np.isfinite(ahead) and abs(ahead) >= 0.05 * leg:
                    swap = (ahead > 0) != (should == "left")
                else:
                    now, before = only_legs.copy(), only_legs.copy()
                    now[legs], before[legs] = out[t, legs], out[t - 1, legs]
                    swap = t > 0 and mirrored_closer(now, before, ratio=1.0)
                if swap:
                    out[t, legs] = raw_xy[t, [FLIP[j] for j in legs]]
                    exchanged += 1
    return out, exchanged


def _sagittal(xy: np.ndarray, floor_deg: float, direction: np.ndarray) -> dict[str, np.ndarray]:
    """Knee and hip flexion per side, forward positive (see the module's step 6)."""
    seg = angles_from_xy(xy, ("trunk_segment", "left_thigh_segment", "left_shank_segment", "right_thigh_segment",
                              "right_shank_segment"), floor_deg)
    seg = {k: continuous(v) * direction for k, v in seg.items()}
    out = {}
    for s in SIDES:
        out[f"{s}_knee_flexion"] = seg[f"{s}_thigh_segment"] - seg[f"{s}_shank_segment"]
        out[f"{s}_hip_flexion"] = seg[f"{s}_thigh_segment"] + seg["trunk_segment"]
    return out


def low_passed(keypoints: np.ndarray, times: np.ndarray, threshold: float = 0.3) -> np.ndarray:
    """(T, 16, 2) coordinates of the joints scoring at least ``threshold`` in (T, 16, 3) keypoints
    (NaN: not found), gaps of up to 10 frames filled and Butterworth-filtered at 6 Hz."""
    from poseapp.smoothing import smooth_trajectory

    raw = masked(keypoints, threshold)
    if len(times) < 20:
        return raw
    return smooth_trajectory(raw, times, "butterworth", max_gap=10, cutoff=6.0)


def masked(keypoints: np.ndarray, threshold: float = 0.3) -> np.ndarray:
    """(T, 16, 2) raw coordinates of the joints scoring at least ``threshold`` (NaN elsewhere)."""
    from poseapp.smoothing import mask_low_scores

    return mask_low_scores(np.nan_to_num(keypoints, nan=0.0), threshold)


#: Normal walking at the key events of the gait cycle, sagittal, in degrees: the curve's peak
#: ("max") or trough ("min") within a part of the cycle (percent), and its normal low and high,
#: after Perry and Burnfield's and Kadaba's normal curves (about the mean +- 2 SD): the knee's
#: loading-response peak, its stance minimum and its swing peak; the hip's flexion at heel strike,
#: its greatest extension in late stance and its flexion in late swing.
NORMAL_GAIT: dict[str, tuple[tuple[str, int, int, float, float], ...]] = {
    "knee_flexion": (("max", 5, 25, 5.0, 30.0), ("min", 30, 50, -5.0, 15.0), ("max", 60, 85, 50.0, 75.0)),
    "hip_flexion": (("max", 0, 5, 10.0, 45.0), ("min", 40, 65, -25.0, 0.0), ("max", 75, 95, 15.0, 45.0)),
}
#: How far outside those bands a stride's curve may go before it is "check this stride": 2-D angles
#: of a side view differ from marker-based ones by about 4-6 degrees on average and more in single
#: frames, and people walk differently.
GAIT_MARGIN_DEG = 20.0


def outside_normal(name: str, curve: np.ndarray) -> str:
    """Where a stride's ``name`` curve (101 points over the cycle) lies more than ``GAIT_MARGIN_DEG``
    outside ``NORMAL_GAIT`` (the words for "check this stride"); empty when it does not."""
    for kind, start, stop, low, high in NORMAL_GAIT.get(name, ()):
        part = curve[round(start * (len(curve) - 1) / 100):round(stop * (len(curve) - 1) / 100) + 1]
        value = float(part.max() if kind == "max" else part.min())
        if value < low - GAIT_MARGIN_DEG or value > high + GAIT_MARGIN_DEG:
            return (f"{'peak' if kind == 'max' else 'least'} {value:.0f} deg in {start}-{stop}% of the cycle, "
                    f"normal {low:g} to {high:g}")
    return ""


def _cycle(values: np.ndarray, start: int, stop: int) -> np.ndarray | None:
    """``values[start:stop+1]`` resampled to ``CYCLE_POINTS`` points; None with a gap inside."""
    piece = values[start:stop + 1]
    if len(piece) < 3 or not np.isfinite(piece).all():
        return None
    return np.interp(np.linspace(0, len(piece) - 1, CYCLE_POINTS), np.arange(len(piece)), piece)


def _steps_and_strides(found: list[_Pass], times: np.ndarray, k: float, unit: str,
                       sagittal: dict[str, np.ndarray]) -> tuple[list[GaitEvent], list[dict], list[dict], dict]:
    """The events, steps and strides of every pass (lengths times ``k``, in ``unit``), and per side
    the knee and hip curves of each stride over 0-100% of the cycle."""
    events: list[GaitEvent] = []
    steps, strides = [], []
    cycles: dict[str, dict[str, list[np.ndarray]]] = {s: {"knee_flexion": [], "hip_flexion": []} for s in SIDES}
    for fp in found:
        events += [GaitEvent(f, float(times[f]), s, "heel_strike") for f, s in zip(fp.strikes, fp.strike_sides)]
        events += [GaitEvent(f, float(times[f]), s, "toe_off") for f, s in zip(fp.offs, fp.off_sides)]
        step = np.diff(np.r_[np.nan, fp.placements]) * k  # from the other foot's placement to this one's
        hs = list(zip(fp.strikes, fp.strike_sides, step))
        for (a, sa, _), (b, sb, lb) in zip(hs, hs[1:]):
            if sa != sb:
                steps.append({"side": sb, "start_frame": a, "end_frame": b,
                              "time_s": round(float(times[b] - times[a]), 4), f"length_{unit}": round(float(lb), 4)})
        for i in range(len(hs) - 2):
            (a, side, _), (o, o_side, lo), (b, b_side, lb) = hs[i], hs[i + 1], hs[i + 2]
            if not (b_side == side != o_side):
                continue
            t = float(times[b] - times[a])
            own_off = next((f for f, s in zip(fp.offs, fp.off_sides) if s == side and o <= f < b), None)
            other_off = next((f for f, s in zip(fp.offs, fp.off_sides) if s != side and a <= f < o), None)
            stride = {"side": side, "start_frame": a, "end_frame": b, "time_s": round(t, 4),
                      f"length_{unit}": round(float(lo + lb), 4),
                      "stance_pct": None, "swing_pct": None, "double_support_pct": None}
            if own_off is not None:
                stride["stance_pct"] = round(100 * float(times[own_off] - times[a]) / t, 2)
                stride["swing_pct"] = round(100 - stride["stance_pct"], 2)
                if other_off is not None:
                    both = float(times[other_off] - times[a] + times[own_off] - times[o])
                    stride["double_support_pct"] = round(100 * both / t, 2)
            strides.append(stride)
            for name in ("knee_flexion", "hip_flexion"):
                curve = _cycle(sagittal[f"{side}_{name}"], a, b)
                if curve is None:
                    continue
                outside = outside_normal(name, curve)
                if outside:  # a curve no walk has: said, and kept out of the mean curve
                    stride.setdefault("check", []).append(f"{name.replace('_', ' ')}: {outside}")
                else:
                    cycles[side][name].append(curve)
    events.sort(key=lambda e: (e.frame, e.kind))
    return events, steps, strides, cycles


def _parameters(steps: list[dict], strides: list[dict], unit: str) -> dict:
    """Cadence, the means and SDs of every step and stride measure, per side and together, and the
    symmetry index of each."""
    sides = {}
    for s in SIDES:
        mine = [x for x in strides if x["side"] == s]
        sides[s] = {
            "step_time_s": _mean_sd([x["time_s"] for x in steps if x["side"] == s]),
            f"step_length_{unit}": _mean_sd([x[f"length_{unit}"] for x in steps if x["side"] == s]),
            "stride_time_s": _mean_sd([x["time_s"] for x in mine]),
            f"stride_length_{unit}": _mean_sd([x[f"length_{unit}"] for x in mine]),
            "stance_pct": _mean_sd([x["stance_pct"] for x in mine]),
            "swing_pct": _mean_sd([x["swing_pct"] for x in mine]),
            "double_support_pct": _mean_sd([x["double_support_pct"] for x in mine]),
        }
    step_time = _mean_sd([x["time_s"] for x in steps])["mean"]
    return {
        "cadence_steps_per_min": round(60.0 / step_time, 2) if step_time else None,
        "step_time_s": _mean_sd([x["time_s"] for x in steps]),
        "stride_time_s": _mean_sd([x["time_s"] for x in strides]),
        f"step_length_{unit}": _mean_sd([x[f"length_{unit}"] for x in steps]),
        f"stride_length_{unit}": _mean_sd([x[f"length_{unit}"] for x in strides]),
        "stance_pct": _mean_sd([x["stance_pct"] for x in strides]),
        "double_support_pct": _mean_sd([x["double_support_pct"] for x in strides]),
        "sides": sides,
        "symmetry_index_pct": {
            key: symmetry_index(sides["left"][key]["mean"], sides["right"][key]["mean"])
            for key in ("step_time_s", f"step_length_{unit}", "stride_time_s", "stance_pct", "swing_pct")},
    }


class GaitError(PoseappError):
    """Joints that were read (and calibrated) hold no gait to measure (``analyse_gait``)."""


class NoWalkError(GaitError):
    """The recording holds no walk to measure (no legs, too few strides): perhaps the person
    followed is not the one who walked."""


class RunningError(GaitError):
    """The recording is a run (a flight phase between steps): the walking parameters do not apply."""


def landing_share(events: list[GaitEvent]) -> float | None:
    """The median time from a heel strike to the next toe off (of either foot, within the step), as
    a share of the median step (heel strike to heel strike): ``RUNNING_SHARE`` tells a run; None
    with fewer than two steps."""
    ordered = sorted(events, key=lambda e: e.time_s)
    strikes = [e.time_s for e in ordered if e.kind == "heel_strike"]
    if len(strikes) < 3:
        return None
    gaps = []
    for a, b in zip(strikes, strikes[1:]):
        offs = [e.time_s for e in ordered if e.kind == "toe_off" and a < e.time_s < b]
        if offs:
            gaps.append(offs[0] - a)
    return float(np.median(gaps) / np.median(np.diff(strikes))) if gaps else None


def analyse_gait(raw_xy: np.ndarray, times: np.ndarray, calibration: Calibration | None = None,
                 floor_deg: float | None = None) -> dict:
    """The gait parameters of a side-view walk in (T, 16, 2) raw pixel coordinates (NaN: missing;
    ``masked``); GaitError when it holds too little walking to measure."""
    from poseapp.smoothing import smooth_trajectory

    raw_xy, times = np.asarray(raw_xy, dtype=np.float64), np.asarray(times, dtype=np.float64)
    if len(times) < 20 or times[-1] <= times[0]:
        raise GaitError(f"{len(times)} frames are too few for a gait analysis (a walk of four steps or more)")
    fps = (len(times) - 1) / (times[-1] - times[0])
    if fps < MIN_FPS:
        raise GaitError(f"the recording's {fps:.1f} frames per second are too few to time steps "
                           f"(at least {MIN_FPS:.0f}; 50-60 recommended)")
    floor = calibration.floor_deg if calibration is not None else (floor_deg or 0.0)
    to_floor = Calibration(1.0, floor)
    raw_along = to_floor.to_metres(raw_xy)[..., 0]  # pixels along the floor
    smooth = smooth_trajectory(raw_xy, times, "butterworth", max_gap=10, cutoff=6.0)
    along = to_floor.to_metres(smooth)[..., 0]
    pelvis = _pelvis(along[..., None])[..., 0]
    leg = leg_length(smooth)
    if not np.isfinite(leg):
        raise NoWalkError("no legs in the recording: the hips, knees and ankles were never seen")
    passes = walking_passes(along, times, leg)
    found = detect_events(raw_along, pelvis, times, passes, leg)
    relabelled, exchanged = relabel_legs(raw_xy, raw_along, found, leg)
    scale = calibration.metres_per_pixel if calibration is not None else None
    unit = "m" if scale else "px"
    k = scale or 1.0

    direction = np.full(len(times), np.nan)
    for p in passes:
        direction[p.start:p.stop] = p.direction
    sagittal = _sagittal(smooth_trajectory(relabelled, times, "butterworth", max_gap=10, cutoff=6.0), floor,
                         direction)

    events, steps, strides, cycles = _steps_and_strides(found, times, k, unit, sagittal)
    strikes = [e for e in events if e.kind == "heel_strike"]
    share = landing_share(events)
    if share is not None and share > RUNNING_SHARE:
        raise RunningError(
            f"running: each foot leaves the ground before the other lands (from a heel strike to the next toe "
            f"off takes {100 * share:.0f}% of a step; walking stays under {100 * RUNNING_SHARE:.0f}%): the gait "
            "parameters are for walking, and a run is not measured")

    per_side = {s: sum(1 for x in strides if x["side"] == s) for s in SIDES}
    if min(per_side.values()) < 1 or len(steps) < 2:
        raise NoWalkError(
            f"too little walking to measure: {len(strikes)} heel strikes, {per_side['left']} left and "
            f"{per_side['right']} right strides found (at least one stride per side and two steps are needed); "
            "film a side view of the person walking across for at least four steps")

    result = {
        "method": "Zeni et al. 2008 on the foremost and hindmost ankle against the pelvis along the walking "
                  "direction; sides by alternation",
        "frames": len(times), "fps": round(fps, 3), "unit": unit,
        "calibration": calibration.to_json() if calibration is not None else None,
        "floor_deg": round(floor, 2), "leg_labels_exchanged_frames": exchanged,
        "passes": [{"start_frame": p.start, "end_frame": p.stop - 1,
                    "direction": "right" if p.direction > 0 else "left"} for p in passes],
        "events": [asdict(e) for e in events],
        "steps": steps, "strides": strides, **_parameters(steps, strides, unit),
        "cycles": {s: {name: {"mean": np.mean(c, 0).round(2).tolist(), "sd": np.std(c, 0).round(2).tolist(),
                              "n": len(c)} if c else None for name, c in curves.items()}
                   for s, curves in cycles.items()},
    }
    if scale:
        result["speed_m_per_s"] = _speed(pelvis, times, passes, strikes, scale)
    return result


def _speed(pelvis: np.ndarray, times: np.ndarray, passes: list[Pass], strikes: list[GaitEvent],
           scale: float) -> float | None:
    """Walking speed: the pelvis's distance along the floor between each pass's first and last heel
    strike over the time between them, pooled over the passes."""
    distance = duration = 0.0
    for p in passes:
        hs = [e for e in strikes if p.start <= e.frame < p.stop]
        if len(hs) < 2 or not np.isfinite(pelvis[[hs[0].frame, hs[-1].frame]]).all():
            continue
        distance += abs(pelvis[hs[-1].frame] - pelvis[hs[0].frame]) * scale
        duration += hs[-1].time_s - hs[0].time_s
    return round(distance / duration, 4) if duration > 0 else None


def gait_of_recording(path: str, height_m: float | None = None, scale_line: str | None = None,
                      calibration: str | None = None) -> tuple[dict, Calibration | None]:
    """``analyse_gait`` on a pose CSV (a recording re-analysed without the model), calibrated as
    asked (``calibration.calibrate``); the result and the calibration used."""
    from poseapp.calibration import floor_angle
    from poseapp.io.records import read_records

    records = read_records(path)
    times, smooth, cal = _calibrated(records, height_m, scale_line, calibration)
    result = analyse_gait(masked(records.keypoints()), times, cal,
                          None if cal is not None else floor_angle(smooth, times))
    result["source"] = str(path)
    return result, cal


def calibration_of_recording(path: str | Path, height_m: float | None = None,
                             scale_line: str | None = None) -> Calibration | None:
    """The calibration asked for, measured on a pose CSV alone: a recording without measurable
    walking (a squat, a reach) still gets its exports in metres."""
    from poseapp.io.records import read_records

    return _calibrated(read_records(str(path)), height_m, scale_line, None)[2]


def _calibrated(records, height_m: float | None, scale_line: str | None, calibration: str | None
                ) -> tuple[np.ndarray, np.ndarray, Calibration | None]:
    """The records' times, low-passed joints and the calibration asked for (``calibration.calibrate``)."""
    from poseapp.calibration import calibrate

    times = records.column("time_s")
    smooth = low_passed(records.keypoints(), times)
    return times, smooth, calibrate(smooth, times, height_m, scale_line, calibration)


def summary_lines(result: dict) -> list[str]:
    """The parameters as lines of text for a terminal or a status panel."""
    unit = result["unit"]

    lines = [f"{len(result['events'])} events in {len(result['passes'])} pass(es) "
             f"({', '.join(p['direction'] for p in result['passes'])}); "
             f"{len(result['steps'])} steps, {len(result['strides'])} strides"]
    if result.get("speed_m_per_s") is not None:
        lines.append(f"walking speed        {result['speed_m_per_s']:.2f} m/s")
    lines.append(f"cadence              {result['cadence_steps_per_min']:.1f} steps/min")
    lines.append(f"{'':20} {'left':>28} {'right':>28} {'symmetry %':>11}")
    rows = (("step time (s)", "step_time_s", 3), (f"step length ({unit})", f"step_length_{unit}", 3),
            ("stride time (s)", "stride_time_s", 3), (f"stride length ({unit})", f"stride_length_{unit}", 3),
            ("stance (%)", "stance_pct", 1), ("swing (%)", "swing_pct", 1),
            ("double support (%)", "double_support_pct", 1))
    for label, key, digits in rows:
        si = result["symmetry_index_pct"].get(key)
        lines.append(f"{label:20} {mean_text(result['sides']['left'][key], digits):>28} "
                     f"{mean_text(result['sides']['right'][key], digits):>28} {'' if si is None else f'{si:.1f}':>11}")
    for stride in result.get("strides", []):
        for what in stride.get("check", []):
            lines.append(f"check this stride: {stride['side']}, frames {stride['start_frame']}-{stride['end_frame']}, "
                         f"{what} (left out of the mean curve)")
    if result.get("sides_swapped_frames"):
        lines.append(f"left/right labels put back in {result['sides_swapped_frames']} frames")
    return lines


def gait_files(csv_path: str | Path, height_m: float | None = None, scale_line: str | None = None
               ) -> tuple[dict, Calibration | None, list[Path]]:
    """A recording's gait beside it: ``<stem>_gait.json`` and ``<stem>_gait.png`` (the cycle chart),
    each written whole or not at all; the result, the calibration and the two paths."""
    from poseapp.io.atomic import write_json
    from poseapp.io.images import write_image
    from poseapp.plot import cycle_chart

    csv_path = Path(csv_path)
    result, cal = gait_of_recording(str(csv_path), height_m, scale_line)
    paths = [csv_path.with_name(csv_path.stem + "_gait.json"), csv_path.with_name(csv_path.stem + "_gait.png")]
    write_json(paths[0], result)
    write_image(paths[1], cycle_chart(result["cycles"]))
    return result, cal, paths
