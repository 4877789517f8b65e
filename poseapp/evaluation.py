"""PCKh evaluation: the fraction of joints within a fraction of the head size of the truth."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from poseapp.inference.engine import Engine
from poseapp.io.images import read_rgb
from poseapp.io.mpii import Sample
from poseapp.joints import INDEX, JOINTS
from poseapp.localise.localiser import make_localiser
from poseapp.pan_zoom import PanZoomClip
from poseapp.pose import Pose

PROTOCOLS = ("crop", "auto", "full")


def head_size(sample: Sample) -> tuple[float, str]:
    """MPII's head size (0.6 x head-box diagonal) when a box is given, else head_top-upper_neck."""
    if sample.head_box is not None:
        x1, y1, x2, y2 = sample.head_box
        return 0.6 * float(np.hypot(x2 - x1, y2 - y1)), "MPII head box"
    d = sample.joints[INDEX["head_top"]] - sample.joints[INDEX["upper_neck"]]
    return float(np.hypot(*d)), "head_top to upper_neck distance"


@dataclass
class PCKhResult:
    per_joint: dict[str, dict[str, float]]  # joint -> {"0.5": %, "0.1": %}
    overall: dict[str, float]
    images: int
    head_size: str
    ms_per_image: float
    passes_per_image: float

    def as_dict(self) -> dict:
        return {"overall": self.overall, "per_joint": self.per_joint, "images": self.images,
                "head_size": self.head_size, "ms_per_image": round(self.ms_per_image, 1),
                "forward_passes_per_image": round(self.passes_per_image, 1)}


def pckh(pred: np.ndarray, truth: np.ndarray, visible: np.ndarray, heads: np.ndarray,
         thresholds: tuple[float, ...] = (0.5, 0.1)) -> tuple[dict, dict]:
    """Per-joint and overall PCKh in percent over visible joints, for each threshold."""
    dist = np.linalg.norm(pred - truth, axis=-1) / heads[:, None]
    per_joint, overall = {}, {}
    for t in thresholds:
        hit = (dist <= t) & visible
        key = f"{t:g}"
        overall[key] = round(100 * hit.sum() / max(visible.sum(), 1), 2)
        for j, name in enumerate(JOINTS):
            per_joint.setdefault(name, {})[key] = round(100 * hit[:, j].sum() / max(visible[:, j].sum(), 1), 2)
    return per_joint, overall


def evaluate(engine: Engine, samples: list[Sample], protocol: str = "crop", detector: bool = True) -> PCKhResult:
    """Run ``engine`` on every sample under ``protocol`` and score it.

    crop: the annotated person's box (the paper's protocol); auto: the app's own person search on
    the whole image (``detector`` False: the window search alone); full: upstream's whole frame.
    """
    localiser = None if protocol == "crop" else make_localiser(protocol, engine, detector)

    def locate(rgb: np.ndarray, sample: Sample) -> Pose:
        if localiser is None:
            return engine.predict(rgb, sample.person_box())
        return localiser.locate(engine, rgb)

    if samples:  # warm-up: a runtime's first call allocates and plans; it is not a per-image cost
        locate(read_rgb(samples[0].image), samples[0])
    preds, truths, vis, heads, kinds, spent, passes = [], [], [], [], set(), 0.0, 0
    for s in samples:
        rgb = read_rgb(s.image)
        t0 = time.perf_counter()
        pose = locate(rgb, s)
        spent += time.perf_counter() - t0
        passes += pose.extra.get("forward_passes", engine.passes)
        size, kind = head_size(s)
        preds.append(pose.keypoints[:, :2])
        truths.append(s.joints)
        vis.append(s.visible)
        heads.append(size)
        kinds.add(kind)
    per_joint, overall = pckh(np.array(preds), np.array(truths), np.array(vis), np.array(heads))
    n = max(len(samples), 1)
    return PCKhResult(per_joint, overall, len(samples), ", ".join(sorted(kinds)), 1000 * spent / n, passes / n)


@dataclass
class ClipResult:
    mode: str
    pckh: float  # mean over the frames evaluated, PCKh@0.5 in percent
    frames: int
    ms_per_frame: float
    passes_per_frame: float
    every: int = 1

    def as_dict(self) -> dict:
        return {"mode": self.mode, "every": self.every, "pckh@0.5": round(self.pckh, 1), "frames": self.frames,
                "ms_per_frame": round(self.ms_per_frame, 1), "fps": round(1000 / max(self.ms_per_frame, 1e-9), 1),
                "forward_passes_per_frame": round(self.passes_per_frame, 2)}


def evaluate_clip(engine: Engine, clip: PanZoomClip, mode: str, every: int = 1) -> ClipResult:
    """Mean PCKh@0.5 of localisation ``mode`` over a pan-and-zoom clip, every ``every``-th frame.

    ``track`` on every n-th frame is a live view whose model drops the frames in between.
    """
    from poseapp.io.video import VideoReader
    from poseapp.pan_zoom import pckh_per_frame

    localiser = make_localiser(mode, engine)
    preds, used, spent, passes = [], [], 0.0, 0
    for frame in VideoReader(clip.path):
        if frame.index % every:
            continue
        t0 = time.perf_counter()
        pose = localiser.locate(engine, frame.rgb)
        spent += time.perf_counter() - t0
        passes += pose.extra.get("forward_passes", engine.passes)
        preds.append(pose.keypoints[:, :2] if pose.found else np.full((16, 2), np.nan))
        used.append(frame.index)
    scores = pckh_per_frame(np.array(preds), clip.subset(used))
    n = max(len(used), 1)
    return ClipResult(mode, float(scores.mean()), len(used), 1000 * spent / n, passes / n, every)
