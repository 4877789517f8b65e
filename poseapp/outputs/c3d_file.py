"""C3D through the ``c3d`` package: the 16 joints as points, their residuals from the joint
scores, the frame rate and units, and the gait events as C3D events.

Points are in millimetres (x along the floor, y up, z 0) when calibrated, else in pixels with y
negated (``POINT:UNITS`` ``px``). Each point's residual is 1 - its score (0 for a sure joint, in
steps of 0.01); a joint not seen is invalid (residual -1), as C3D marks a missing marker. Gait
events (``poseapp.gait``) go into the ``EVENT`` group as Vicon and Visual3D name them: "Foot
Strike" and "Foot Off", context "Left" or "Right", times in minutes and seconds. A parameter's
dimensions are single bytes in C3D, so a file holds at most 255 events: a longer walk keeps its
first 255 in the C3D (``events_left_out`` words the notice its callers report; the gait JSON and
the workbook hold them all).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from poseapp.joints import JOINTS
from poseapp.outputs.base import Output

RESIDUAL_STEP = 0.01
EVENT_NAMES = {"heel_strike": "Foot Strike", "toe_off": "Foot Off"}
MAX_EVENTS = 255  # a C3D parameter's dimension is one byte


def events_left_out(events: list[dict] | None, kinds: tuple[str, ...] | list[str] = ("c3d",)) -> str | None:
    """What the C3D among the formats ``kinds`` leaves out of ``events`` (a notice), or None when
    there is no C3D or it holds them all."""
    kept = [e for e in (events or []) if e.get("kind") in EVENT_NAMES]
    if C3dOutput.kind not in kinds or len(kept) <= MAX_EVENTS:
        return None
    return (f"the C3D holds the first {MAX_EVENTS} of the {len(kept)} gait events (the format's limit, to "
            f"{kept[MAX_EVENTS - 1]['time_s']:.1f} s); the gait JSON holds them all")


class C3dOutput(Output):
    suffix = ".c3d"
    kind = "c3d"

    def save(self, tmp: Path, result: dict, events: list[dict] | None = None) -> None:
        import c3d

        xy, unit = self.points()
        scale, units = (1000.0, "mm") if unit == "m" else (1.0, "px")
        xy = xy * np.array([scale, scale if unit == "m" else -scale])
        first = int(self.rows[0].frame) + 1 if self.rows else 1
        writer = _writer(c3d, first)(point_rate=float(self.session.fps), analog_rate=0.0,
                                     point_scale=-RESIDUAL_STEP, point_units=units.ljust(4))
        frames = []
        for row, p in zip(self.rows, xy):
            points = np.zeros((len(JOINTS), 5), np.float32)
            seen = np.isfinite(p).all(1) & row.found
            points[seen, :2] = p[seen]
            score = np.nan_to_num(row.keypoints[:, 2], nan=0.0).clip(0, 1)
            points[:, 3] = np.where(seen, 1.0 - score, -1.0)
            frames.append((points, np.zeros((0, 0), np.float32)))
        writer.add_frames(frames)
        writer.set_point_labels(list(JOINTS))
        writer.set_start_frame(first)
        events = [e for e in (events or []) if e.get("kind") in EVENT_NAMES][:MAX_EVENTS]
        if events:
            _add_events(writer, events)
        with open(tmp, "wb") as handle, warnings.catch_warnings():
            warnings.filterwarnings("ignore", "No analog data", UserWarning)  # none is meant: points only
            writer.write(handle)


def _writer(c3d, first: int) -> type:
    """``c3d.Writer`` starting at trial frame ``first`` (1-based). The header's first frame is 16
    bits (65535 at most); past it the start is in ``TRIAL:ACTUAL_START_FIELD`` (a 32-bit number
    in two 16-bit words, low first, as Vicon writes it). The package's writer reads that number
    back with 65535 for a word's weight instead of 65536 and so starts a file past frame 65535
    early; this one knows its start."""

    class Writer(c3d.Writer):
        @property
        def first_frame(self) -> int:
            return first

    return Writer


def _add_events(writer, events: list[dict]) -> None:
    """The ``EVENT`` group: USED, LABELS, CONTEXTS, TIMES (2 x n: minutes, seconds)."""
    used = [k for k, _ in enumerate(writer.group_values(), start=1)]  # the groups made so far are numbered 1..n
    group = writer.add_group(len(used) + 10, "EVENT", "gait events")
    n = len(events)
    labels = [EVENT_NAMES[e["kind"]] for e in events]
    contexts = [e["side"].capitalize() for e in events]
    group.add("USED", "number of events", 2, "<H", n)
    for name, values in (("LABELS", labels), ("CONTEXTS", contexts)):
        width = max(len(v) for v in values)
        group.add_str(name, name.lower(), "".join(v.ljust(width) for v in values), width, n)
    times = np.array([[0.0, e["time_s"]] for e in events], dtype="<f4")
    group.add_param("TIMES", desc="minutes, seconds", bytes_per_element=4, bytes=times.tobytes(), dimensions=[2, n])
