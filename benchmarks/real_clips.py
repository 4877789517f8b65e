"""Clips for following the person on real footage, built at run time from ../shared.

Each clip is 48 frames of a camera window (640x360) panning and zooming over a still, written to
MP4 and read back as the app reads video: the subject is in view, the window pans until the
subject has left it, stays away a few frames, comes back and closes in (``wide`` clips: the
people of the image test bed pasted into real scenes, 20-40% of the scene high, a quarter of them
darkened), or starts close on one annotated person of a crowded picture and backs out and away
so that only the others are in view for a while (``crowd`` clips: the PoseTrack and COCO frames
with several people; the follow must not move to anyone else). Scored per frame with the
subject in view (at least four of its limb joints inside the frame): limbs PCK@0.5 over the
limb joints in view, a frame without a pose costing them all; plus the share of those frames
with a pose, and the share of frames with the subject out of view where a pose was reported
anyway (on somebody else or on nothing).

    python benchmarks/real_clips.py [--models RT II | --quality fast balanced accurate]
                                    [--wide 8] [--crowd 4] [--no-hold] [--rule P K]
                                    [--localiser detector|search] [--json OUT]

Tune with care: the scenes are few and the hidden clips are different.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from real_footage import LIMBS, SAMPLES, Case, _coco_people, build, measure_and_report

from poseapp.inference.engine import Engine
from poseapp.io.images import read_rgb
from poseapp.io.video import VideoReader, VideoWriter
from poseapp.localise.localiser import make_localiser
from poseapp.localise.track import HeldFrames
from poseapp.presets import PRESETS

SIZE = (640, 360)
FRAMES = 48


@dataclass
class Clip:
    name: str
    frames: list[np.ndarray]
    joints: np.ndarray  # (T, 16, 2) in clip pixels
    visible: np.ndarray  # (16,) annotated joints


def _interpolate(keys: list[tuple[float, float, float, float]], t: float) -> tuple[float, float, float]:
    """Centre x, y and width at phase ``t`` between keyframes (t, x, y, width), eased."""
    for (t0, *a), (t1, *b) in zip(keys, keys[1:]):
        if t0 <= t <= t1:
            s = 0.5 - 0.5 * np.cos(np.pi * (t - t0) / max(t1 - t0, 1e-9))
            return tuple(float(u + (v - u) * s) for u, v in zip(a, b))
    return tuple(keys[-1][1:])


def film(name: str, rgb: np.ndarray, joints: np.ndarray, visible: np.ndarray, start_close: bool,
         rng: np.random.Generator) -> Clip:
    """A clip over ``rgb`` whose window leaves the person of ``joints`` and comes back."""
    h, w = rgb.shape[:2]
    aspect = SIZE[0] / SIZE[1]
    pts = joints[visible]
    lo, hi = pts.min(0), pts.max(0)
    cx, cy = (lo + hi) / 2
    person_w, person_h = hi - lo
    wide = min(w, h * aspect)
    close = min(max(1.8 * person_h * aspect, 1.8 * person_w), wide)
    middle = (wide + close) / 2
    side = 1.0 if (cx < w / 2) != (rng.random() < 0.2) else -1.0  # towards the larger part, mostly
    away_w = 0.7 * wide
    away_x = cx + side * (0.5 * away_w + 0.5 * person_w + 0.05 * w)
    inside = min(max(away_x, away_w / 2), w - away_w / 2)  # more scene, less grey, where the subject still leaves
    if abs(inside - cx) > 0.5 * (away_w + person_w):
        away_x = inside
    wide_x = w / 2 + (cx - w / 2) * 0.5
    if start_close:
        keys = [(0.0, cx, cy, close), (0.2, cx, cy, middle), (0.45, away_x, h / 2, away_w),
                (0.62, away_x, h / 2, away_w), (0.85, cx, cy, middle), (1.0, cx, cy, close)]
    else:
        keys = [(0.0, wide_x, h / 2, wide), (0.25, wide_x, h / 2, wide), (0.45, away_x, h / 2, away_w),
                (0.6, away_x, h / 2, away_w), (0.85, cx, cy, close), (1.0, cx, cy, middle)]
    frames, truth = [], np.zeros((FRAMES, 16, 2))
    for i in range(FRAMES):
        x, y, width = _interpolate(keys, i / (FRAMES - 1))
        scale = SIZE[0] / width
        m = np.array([[scale, 0, SIZE[0] / 2 - scale * x], [0, scale, SIZE[1] / 2 - scale * y]])
        frames.append(cv2.warpAffine(rgb, m, SIZE, flags=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR,
                                     borderValue=(90, 90, 90)))
        truth[i] = joints @ m[:, :2].T + m[:, 2]
    return Clip(name, frames, truth, visible)


def crowd_subjects() -> list[tuple[Path, np.ndarray, np.ndarray]]:
    """Annotated people (image, joints, visibility) in pictures with at least three annotated
    people, the tallest first in each picture."""
    people = _coco_people(SAMPLES / "posetrack18" / "annotations" / "test_posetrack18_val.json",
                          SAMPLES / "posetrack18")
    people += _coco_people(SAMPLES / "coco" / "test_coco.json", SAMPLES / "coco")
    by_image: dict[Path, list] = {}
    for p in people:
        if p.visible[list(LIMBS)].sum() >= 10:
            by_image.setdefault(p.image, []).append(p)
    chosen = []
    for image, group in by_image.items():
        if len(group) >= 3:
            group.sort(key=lambda p: -np.ptp(p.joints[p.visible][:, 1]))
            chosen += [(image, p.joints, p.visible) for p in group[:2]]
    return chosen


def build_clips(wide: int, crowd: int, seed: int = 0) -> list[Clip]:
    """``wide`` clips over the image test bed's cases and ``crowd`` over crowded pictures."""
    rng = np.random.default_rng(seed)
    cases: list[Case] = build(wide, seed + 1)
    clips = [film(f"wide {c.name}", c.rgb, c.joints, c.visible, False, rng) for c in cases]
    for image, joints, visible in crowd_subjects()[:crowd]:
        clips.append(film(f"crowd {image.parent.name}/{image.name}", read_rgb(image), joints, visible, True, rng))
    return clips


def in_view(clip: Clip) -> np.ndarray:
    """(T, 16): annotated joints inside the frame."""
    x, y = clip.joints[..., 0], clip.joints[..., 1]
    return clip.visible & (x >= 0) & (y >= 0) & (x < SIZE[0]) & (y < SIZE[1])


def score(clip: Clip, poses: list[np.ndarray | None]) -> dict:
    """Limbs PCK@0.5 on the frames with the subject in view, the share of them with a pose, and
    the frames with the subject gone that got a pose anyway."""
    view = in_view(clip)[:, list(LIMBS)]
    correct = counted = shown = present = absent = ghosts = 0
    for i, pred in enumerate(poses):
        j = clip.joints[i]
        n = int(view[i].sum())
        if n == 0:
            absent += 1
            ghosts += pred is not None
            continue
        if n < 4:
            continue
        present += 1
        counted += n
        if pred is None:
            continue
        shown += 1
        size = 0.25 * (np.linalg.norm(j[6] - j[10]) + np.linalg.norm(j[2] - j[13]))
        dist = np.linalg.norm(pred[list(LIMBS)] - j[list(LIMBS)], axis=1)
        correct += int(((dist <= size) & view[i]).sum())
    return {"correct": correct, "counted": counted, "frames_in_view": present, "frames_with_pose": shown,
            "frames_away": absent, "poses_while_away": ghosts}


def run_clip(engine: Engine, clip: Clip, folder: Path, hold: bool = True,
             rule: tuple[int, int] | None = None, detector: bool = True) -> tuple[dict, float]:
    """The default video path's localisation (``track``, the frames without the person held and
    the person followed back through them as ``poseapp video`` does; ``hold=False``: as the window,
    which cannot hold) over the clip as an MP4; its score and time. ``rule``: the track's
    ``patience`` and ``search_every`` instead of its own; ``detector`` False: the window search
    alone, as before the person detector."""
    path = folder / "clip.mp4"
    writer = VideoWriter(path, 30.0, *SIZE)
    for frame in clip.frames:
        writer.write(frame)
    writer.commit()
    localiser = make_localiser("track", engine, detector)
    if rule is not None:
        localiser.patience, localiser.search_every = rule
    held = HeldFrames(localiser, engine) if hold else None
    poses: list[np.ndarray | None] = []

    def keep(ready: list) -> None:
        poses.extend(p.keypoints[:, :2] if p.found else None for _, p in ready)

    start = time.perf_counter()
    for frame in VideoReader(path):
        pose = localiser.locate(engine, frame.rgb)
        keep([(frame, pose)] if held is None else held.add(frame, pose))
    keep(held.flush() if held else [])
    return score(clip, poses), time.perf_counter() - start


def evaluate(engine: Engine, clips: list[Clip], hold: bool = True, rule: tuple[int, int] | None = None,
             detector: bool = True) -> dict:
    """Totals over the clips, each clip's own figures too."""
    totals: dict[str, int] = {}
    details, spent = [], 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for clip in clips:
            figures, seconds = run_clip(engine, clip, Path(tmp), hold, rule, detector)
            spent += seconds
            for k, v in figures.items():
                totals[k] = totals.get(k, 0) + v
            pck = round(100 * figures["correct"] / max(figures["counted"], 1), 1)
            details.append({"clip": clip.name, "limbs_pck": pck, **figures})
    group = {kind: [d for d in details if d["clip"].startswith(kind)] for kind in ("wide", "crowd")}

    def pck(rows: list[dict]) -> float | None:
        counted = sum(r["counted"] for r in rows)
        return round(100 * sum(r["correct"] for r in rows) / counted, 1) if counted else None

    return {"limbs_pck@0.5": pck(details), "wide": pck(group["wide"]), "crowd": pck(group["crowd"]),
            "with_a_pose": round(totals["frames_with_pose"] / max(totals["frames_in_view"], 1), 3),
            "pose_while_away": round(totals["poses_while_away"] / max(totals["frames_away"], 1), 3),
            "ms_per_frame": round(1000 * spent / (FRAMES * len(clips)), 1), "clips": details}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", nargs="+", default=["RT", "II"])
    p.add_argument("--quality", nargs="+", choices=tuple(PRESETS), help="presets instead of --models")
    p.add_argument("--wide", type=int, default=8, help="clips over people pasted into scenes")
    p.add_argument("--crowd", type=int, default=4, help="clips over one person among several")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--no-hold", action="store_true",
                   help="no frames held and followed back, as in the window")
    p.add_argument("--rule", type=int, nargs=2, metavar=("PATIENCE", "EVERY"),
                   help="search one frame in EVERY after PATIENCE frames without anyone (default: the track's)")
    p.add_argument("--localiser", choices=("detector", "search"), default="detector",
                   help="the person detector first (default), or the window search alone as before it")
    p.add_argument("--json")
    args = p.parse_args()
    clips = build_clips(args.wide, args.crowd, args.seed)
    rule = tuple(args.rule) if args.rule else None
    detector = args.localiser == "detector"
    measure_and_report(args, lambda engine: evaluate(engine, clips, not args.no_hold, rule, detector),
                       {"clips": len(clips), "frames": FRAMES, "size": list(SIZE), "held": not args.no_hold,
                        "rule": rule, "localiser": args.localiser}, ("clips",))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
