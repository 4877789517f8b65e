"""The pose CSV: its versioned schema (in this one place), a flushing atomic writer, and a reader.

Schema 2, one row per frame, in this order:

- ``frame`` (0-based index of the frame in its source), ``time_s`` (the source's time of it),
  ``found`` (1 when a person was found), ``score`` (mean joint score);
- ``<joint>_x``, ``<joint>_y``, ``<joint>_score`` for the 16 joints in ``JOINTS`` order, raw, in
  original-frame pixels (empty when no person was found);
- with smoothing on: ``<joint>_x_smooth``, ``<joint>_y_smooth`` for the 16 joints (low-score joints
  and long gaps empty);
- with a calibration (``poseapp.calibration``): ``<joint>_x_m``, ``<joint>_y_m`` for the 16 joints
  in metres, x along the floor, y up from it through the image's top-left corner;
- every angle of ``ANGLE_NAMES`` in degrees (from the smoothed coordinates when smoothing is on;
  empty where a joint it needs is missing); segment angles continue across their seam (no jump
  of 360 between rows).

Schema 1 (poseapp before the clinical measures) lacks the segment angles and the metre columns; it is
still read.

Both ``poseapp video`` and the GUI's recorder write through ``RecordWriter``; ``read_records``
checks a file against the schema.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from poseapp.angles import ANGLE_NAMES, JOINT_ANGLE_NAMES, SEGMENT_NAMES, continue_from
from poseapp.errors import PoseappError
from poseapp.io.atomic import check_target, commit, partial_path
from poseapp.io.schema import regular_file
from poseapp.joints import JOINTS

SCHEMA_VERSION = 2
_LEAD = ("frame", "time_s", "found", "score")


def columns(smoothed: bool, metres: bool = False, schema: int = SCHEMA_VERSION) -> list[str]:
    """The header of a CSV: with or without the smoothed coordinates and the metre coordinates."""
    cols = list(_LEAD) + [f"{j}_{c}" for j in JOINTS for c in ("x", "y", "score")]
    if smoothed:
        cols += [f"{j}_{c}_smooth" for j in JOINTS for c in ("x", "y")]
    if schema == 1:
        return cols + list(JOINT_ANGLE_NAMES)
    if metres:
        cols += [f"{j}_{c}_m" for j in JOINTS for c in ("x", "y")]
    return cols + list(ANGLE_NAMES)


def spreadsheet_safe(text: str) -> str:
    """A text cell a spreadsheet shows as text: one starting with = + - @ (or a tab or carriage
    return) would run as a formula in Excel or LibreOffice, so it gets a leading apostrophe (OWASP)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _cell(value: float, digits: int) -> str:
    return "" if value is None or not math.isfinite(value) else f"{value:.{digits}f}"


class RecordWriter:
    """Rows written to a hidden partial file, flushed every ``flush_every`` rows, renamed on ``commit()``.

    A crash loses at most the unflushed rows and leaves the partial file for inspection; the
    finished name only ever holds a complete file. Use as a context manager: an exception discards.
    """

    def __init__(self, path: str | Path, smoothed: bool, flush_every: int = 30, metres: bool = False) -> None:
        self.path = Path(path)
        check_target(self.path)
        self.smoothed = smoothed
        self.metres = metres
        self.flush_every = flush_every
        self._tmp = partial_path(self.path)
        self._file = open(self._tmp, "w", newline="")
        self._csv = csv.writer(self._file)
        self._csv.writerow(columns(smoothed, metres))
        self._last = dict.fromkeys(SEGMENT_NAMES, np.nan)
        self.rows = 0

    def write(self, frame: int, time_s: float, found: bool, keypoints: np.ndarray,
              smoothed_xy: np.ndarray | None, angles: dict[str, float], metres_xy: np.ndarray | None = None) -> None:
        """One frame: (16, 3) raw keypoints, (16, 2) smoothed coordinates when smoothing is on, (16, 2)
        metres when the file has them; segment angles are continued from the rows before."""
        if self.smoothed != (smoothed_xy is not None) or self.metres != (metres_xy is not None):
            raise ValueError("smoothed and metre coordinates must be given exactly when the file has their columns")
        kp = keypoints if found else np.full((16, 3), np.nan)
        score = float(np.nanmean(keypoints[:, 2])) if found else math.nan  # a frame without the person has no score
        row = [str(frame), f"{time_s:.6f}", "1" if found else "0", _cell(score, 4)]
        row += [_cell(float(v), 4 if i % 3 == 2 else 2) for i, v in enumerate(kp.ravel())]
        if smoothed_xy is not None:
            row += [_cell(float(v), 2) for v in smoothed_xy.ravel()]
        if metres_xy is not None:
            row += [_cell(float(v), 4) for v in metres_xy.ravel()]
        angles = dict(angles)
        for name in SEGMENT_NAMES:
            value = continue_from(self._last[name], float(angles.get(name, np.nan)))
            angles[name] = value
            if np.isfinite(value):
                self._last[name] = value
        row += [_cell(float(angles.get(name, np.nan)), 2) for name in ANGLE_NAMES]
        self._csv.writerow(row)
        self.rows += 1
        if self.rows % self.flush_every == 0:
            self._file.flush()

    def commit(self) -> None:
        self._file.close()
        commit(self._tmp, self.path)

    def discard(self) -> None:
        self._file.close()
        self._tmp.unlink(missing_ok=True)

    def __enter__(self) -> RecordWriter:
        return self

    def __exit__(self, kind: type | None, *rest: object) -> None:
        if kind is None:
            self.commit()
        else:
            self.discard()


@dataclass
class Records:
    columns: list[str]
    values: np.ndarray  # (rows, columns) float, NaN for empty cells
    smoothed: bool
    metres: bool = False
    schema: int = SCHEMA_VERSION

    def column(self, name: str) -> np.ndarray:
        return self.values[:, self.columns.index(name)]

    def keypoints(self) -> np.ndarray:
        """(rows, 16, 3) raw x, y, score (NaN where no person was found)."""
        return np.stack([np.stack([self.column(f"{j}_{c}") for c in ("x", "y", "score")], -1) for j in JOINTS], 1)

    def xy(self, smoothed: bool = True) -> np.ndarray:
        """(rows, 16, 2) pixels: the smoothed columns when the file has them and ``smoothed``, else raw."""
        tail = "_smooth" if smoothed and self.smoothed else ""
        return np.stack([np.stack([self.column(f"{j}_{c}{tail}") for c in ("x", "y")], -1) for j in JOINTS], 1)


def _header_kind(header: list[str]) -> tuple[int, bool, bool] | None:
    """(schema, smoothed, metres) of a known header, else None."""
    for schema in (SCHEMA_VERSION, 1):
        for smoothed in (False, True):
            for metres in (False, True) if schema > 1 else (False,):
                if header == columns(smoothed, metres, schema):
                    return schema, smoothed, metres
    return None


#: The largest pose CSV read (an hour at 240 fps with every column is about 1.5 GB); the rows are
#: read as a stream into arrays, so memory stays near the table's size in numbers.
MAX_CSV_BYTES = 2 * 2**30


def _rows(path: Path, rows: Iterator[list[str]], width: int, block: int = 4096) -> np.ndarray:
    """The table's cells as floats (NaN for empty), parsed a block of rows at a time."""
    blocks, current = [], []
    for i, r in enumerate(rows, start=2):
        if len(r) != width:
            raise PoseappError(f"{path}, line {i}: {len(r)} cells where the header has {width}")
        try:
            current.append([float(c) if c else np.nan for c in r])
        except ValueError as exc:
            raise PoseappError(f"{path}, line {i} has a cell that is not a number: {exc}") from exc
        if len(current) == block:
            blocks.append(np.array(current, np.float64))
            current = []
    blocks.append(np.array(current, np.float64).reshape(-1, width))
    return np.concatenate(blocks)


def read_records(path: str | Path) -> Records:
    """A pose CSV, checked against the schema; PoseappError naming what is wrong: not a regular
    file or too large, a header of neither schema, a row of the wrong length or with text, an
    infinite value, frame numbers not whole and increasing, times not finite and increasing."""
    path = Path(path)
    regular_file(path, "a pose CSV", MAX_CSV_BYTES)
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:  # -sig: a byte-order mark (Excel) is not a column
            reader = csv.reader(f)
            header = next(reader, None)
            if header is None:
                raise PoseappError(f"{path} is empty")
            kind = _header_kind(header)
            if kind is None:
                raise PoseappError(f"{path} is not a poseapp pose CSV (its header follows neither schema 1 nor "
                                   f"{SCHEMA_VERSION}: first columns {', '.join(header[:4])})")
            values = _rows(path, reader, len(header))
    except OSError as exc:
        raise PoseappError(f"cannot read {path}: {exc.strerror}") from exc
    except (UnicodeDecodeError, csv.Error) as exc:  # a video or another binary file given for the CSV
        raise PoseappError(f"{path} is not a poseapp pose CSV (not a text table: {exc})") from exc
    schema, smoothed, metres = kind
    bad = np.argwhere(np.isinf(values))
    if len(bad):
        row, col = bad[0]
        raise PoseappError(f"{path}, line {row + 2}: {header[col]} is infinite (values are numbers or empty)")
    frames, times = values[:, 0], values[:, 1]
    if len(values) and (np.any(frames < 0) or np.any(frames != np.round(frames)) or np.any(np.diff(frames) <= 0)):
        raise PoseappError(f"{path}: frame numbers are not whole, non-negative and increasing")
    if np.isnan(times).any():
        raise PoseappError(f"{path}, line {int(np.argmax(np.isnan(times))) + 2}: time_s is empty")
    back = np.flatnonzero(np.diff(times) <= 0)
    if len(back):
        i = int(back[0])
        raise PoseappError(f"{path}, line {i + 3}: time_s {times[i + 1]:g} does not come after {times[i]:g} "
                           "(times must increase)")
    return Records(header, values, smoothed, metres, schema)
