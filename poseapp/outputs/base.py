"""The one interface every result format implements: open, write a frame, finish atomically,
discard on failure. A new format is one new file with one ``Output`` subclass, listed in
``poseapp.outputs.FORMATS``."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from poseapp.io.atomic import check_target, commit, partial_path


@dataclass
class Row:
    """One analysed frame as every format sees it."""

    frame: int  # the source's frame index
    time_s: float
    found: bool
    keypoints: np.ndarray  # (16, 3) raw x, y, score in pixels
    smoothed: np.ndarray | None = None  # (16, 2) pixels, when smoothing is on
    metres: np.ndarray | None = None  # (16, 2) metres along the floor and up, when calibrated
    angles: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Session:
    """What a format needs to know before the first frame."""

    name: str  # the outputs' name (``<name>.<suffix>``)
    fps: float
    smoothed: bool = False
    calibrated: bool = False


class Output:
    """A result file built at a hidden partial path and renamed into place by ``finish``.

    ``write`` takes frames in order; ``finish(result, events)`` gets the result's metadata (the
    JSON's content: range of motion, calibration, gait figures) and the gait events
    (``poseapp.gait``'s, or None) and completes the file; ``discard`` removes the
    partial file. Formats that need every frame first (their header counts frames) keep rows.
    """

    suffix = ""
    kind = ""

    def __init__(self, path: Path, session: Session) -> None:
        self.path = Path(path)
        check_target(self.path)
        self.session = session
        self.tmp = partial_path(self.path)
        self.rows: list[Row] = []

    def write(self, row: Row) -> None:
        self.rows.append(row)

    def finish(self, result: dict, events: list[dict] | None = None) -> None:
        self.save(self.tmp, result, events)
        commit(self.tmp, self.path)

    def save(self, tmp: Path, result: dict, events: list[dict] | None = None) -> None:
        """Write the whole file to ``tmp`` (formats that keep their rows)."""
        raise NotImplementedError

    def discard(self) -> None:
        self.tmp.unlink(missing_ok=True)

    # helpers the formats share
    def points(self) -> tuple[np.ndarray, str]:
        """(T, 16, 2) the joints to export, in metres (x along the floor, y up) when calibrated, else
        in pixels (the smoothed ones when smoothing was on; y down), and their unit."""
        if self.session.calibrated:
            return np.stack([r.metres for r in self.rows]) if self.rows else np.zeros((0, 16, 2)), "m"
        if self.session.smoothed:
            xy = [r.smoothed for r in self.rows]
        else:
            xy = [np.where(r.found, r.keypoints[:, :2], np.nan) for r in self.rows]
        return (np.stack(xy) if xy else np.zeros((0, 16, 2))), "px"

    def times(self) -> np.ndarray:
        return np.array([r.time_s for r in self.rows], dtype=np.float64)

    def angle_table(self) -> tuple[list[str], np.ndarray]:
        """The angle names and a (T, angles) array of degrees, NaN where missing."""
        from poseapp.angles import ANGLE_NAMES

        values = np.array([[r.angles.get(n, np.nan) for n in ANGLE_NAMES] for r in self.rows], dtype=np.float64)
        return list(ANGLE_NAMES), values.reshape(len(self.rows), len(ANGLE_NAMES))
