"""MPII annotations: the JSON form (mmpose's ``test_mpii.json``) read into one sample type."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from poseapp.errors import PoseappError
from poseapp.joints import FROM_MPII
from poseapp.pose import Box


@dataclass
class Sample:
    """One annotated person: joints (16, 2) in our joint order, visibility, centre and scale."""

    image: Path
    joints: np.ndarray
    visible: np.ndarray
    center: np.ndarray
    scale: float  # person height / 200 px, MPII's convention
    head_box: np.ndarray | None = None  # x1, y1, x2, y2 when the annotation has one

    def person_box(self) -> Box:
        """The paper's crop: MPII's centre (moved 15*scale px down) and 1.25x the scale, squared."""
        side = self.scale * 200 * 1.25
        cx, cy = self.center[0], self.center[1] + 15 * self.scale
        return Box(cx - side / 2, cy - side / 2, side)


def load_mpii(folder: str | Path) -> list[Sample]:
    """Every annotated person in the MPII JSON files of ``folder`` (images beside them)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise PoseappError(f"{folder} is not a folder")
    files = sorted(folder.glob("*.json"))
    if not files:
        raise PoseappError(f"{folder} has no MPII annotation file (*.json with joints, center, scale)")
    samples = []
    for f in files:
        try:
            records = json.loads(f.read_text())
            for r in records:
                joints = np.asarray(r["joints"], np.float32)[list(FROM_MPII)]
                visible = np.asarray(r.get("joints_vis", np.ones(16)), np.float32)[list(FROM_MPII)] > 0
                head = np.asarray(r["headbox"], np.float32).ravel() if "headbox" in r else None
                samples.append(Sample(folder / r["image"], joints, visible,
                                      np.asarray(r["center"], np.float32), float(r["scale"]), head))
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise PoseappError(f"{f} is not an MPII annotation file: {exc!r}") from exc
    return samples
