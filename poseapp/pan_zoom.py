"""A long annotated test clip from one annotated still: a camera window panning and zooming over it.

The window starts wider than the whole image (the picture small in a grey frame, as a person far
from the camera), closes in on the annotated person while drifting sideways, and backs out again,
``cycles`` times; every frame is the window resized to the clip's size, and the ground-truth joints
move with it through the same affine map. Used by the tests and the
tracking benchmark, so no media is committed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from poseapp.io.images import read_rgb
from poseapp.io.mpii import Sample
from poseapp.io.video import VideoWriter
from poseapp.joints import INDEX


@dataclass
class PanZoomClip:
    path: Path
    joints: np.ndarray  # (T, 16, 2) ground truth in clip pixels
    visible: np.ndarray  # (16,) the annotation's visibility
    head_sizes: np.ndarray  # (T,) head_top to upper_neck distance in clip pixels
    fps: float

    def subset(self, frames: list[int]) -> PanZoomClip:
        """The truth of some frames only (to score a method run on every n-th frame)."""
        return PanZoomClip(self.path, self.joints[frames], self.visible, self.head_sizes[frames], self.fps)


def _window(t: float, image_wh: np.ndarray, person: np.ndarray, tight: float, aspect: float,
            cycles: float, wide: float) -> tuple[np.ndarray, float]:
    """Centre and width of the camera window at phase ``t`` in [0, 1]."""
    s = 0.5 - 0.5 * np.cos(2 * np.pi * cycles * t)  # 0: wide on the image, 1: close on the person
    full_w = wide * max(image_wh[0], image_wh[1] * aspect)
    width = full_w + (tight - full_w) * s
    drift = np.array([0.25 * width * np.sin(2 * np.pi * 1.5 * cycles * t), 0.0])
    centre = image_wh / 2 + (person + drift - image_wh / 2) * s
    return centre, width


def build_clip(sample: Sample, path: str | Path, frames: int = 300, size: tuple[int, int] = (640, 480),
               fps: float = 30.0, cycles: float = 1.5, wide: float = 1.6) -> PanZoomClip:
    """Write the clip to ``path`` (MP4) and return its per-frame ground truth.

    wide: the widest window as a multiple of the image's size; tightest: 1.25x the person.
    """
    rgb = read_rgb(sample.image)
    image_wh = np.array([rgb.shape[1], rgb.shape[0]], np.float64)
    visible = sample.visible.astype(bool)
    pts = sample.joints[visible]
    person = (pts.min(0) + pts.max(0)) / 2
    aspect = size[0] / size[1]
    tight = max(float(np.ptp(pts[:, 0])), float(np.ptp(pts[:, 1])) * aspect) * 1.25
    writer = VideoWriter(Path(path), fps, *size)
    truth = np.zeros((frames, 16, 2))
    try:
        for i in range(frames):
            centre, width = _window(i / max(frames - 1, 1), image_wh, person, tight, aspect, cycles, wide)
            scale = size[0] / width
            m = np.array([[scale, 0, size[0] / 2 - scale * centre[0]], [0, scale, size[1] / 2 - scale * centre[1]]])
            frame = cv2.warpAffine(rgb, m, size, flags=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR,
                                   borderValue=(90, 90, 90))
            writer.write(frame)
            truth[i] = sample.joints @ m[:, :2].T + m[:, 2]
    except BaseException:
        writer.discard()
        raise
    writer.commit()
    head = np.linalg.norm(truth[:, INDEX["head_top"]] - truth[:, INDEX["upper_neck"]], axis=-1)
    return PanZoomClip(Path(path), truth, visible, head, fps)


def pckh_per_frame(pred: np.ndarray, clip: PanZoomClip, threshold: float = 0.5) -> np.ndarray:
    """PCKh in percent for each frame: (T, 16, 2+) predictions against the clip's truth (NaN: a miss)."""
    dist = np.linalg.norm(pred[..., :2] - clip.joints, axis=-1) / clip.head_sizes[:, None]
    hit = np.nan_to_num(dist, nan=np.inf) <= threshold
    return 100 * (hit & clip.visible).sum(1) / max(int(clip.visible.sum()), 1)
