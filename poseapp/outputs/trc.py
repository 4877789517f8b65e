"""OpenSim's marker file (TRC): the 16 joints as markers, tab-separated.

Layout (OpenSim's "TRC file" documentation): ``PathFileType 4 (X/Y/Z) <file>``; the names
``DataRate CameraRate NumFrames NumMarkers Units OrigDataRate OrigDataStartFrame OrigNumFrames``
and their values; ``Frame# Time`` and each marker name over its three columns; ``X1 Y1 Z1 ...``;
an empty line; then one row per frame numbered from 1. Y points up (OpenSim's convention): in
metres along the floor when calibrated, else in pixels with y negated (Units ``px``); Z is 0 (one
camera: the image plane). A joint not seen is ``NaN``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from poseapp.joints import JOINTS
from poseapp.outputs.base import Output


def _cell(v: float) -> str:
    return f"{v:.6f}" if np.isfinite(v) else "NaN"


class TrcOutput(Output):
    suffix = ".trc"
    kind = "trc"

    def save(self, tmp: Path, result: dict, events: list[dict] | None = None) -> None:
        xy, unit = self.points()
        if unit == "px":
            xy = xy * np.array([1.0, -1.0])
        fps, n = self.session.fps, len(self.rows)
        lines = [f"PathFileType\t4\t(X/Y/Z)\t{self.path.name}",
                 "DataRate\tCameraRate\tNumFrames\tNumMarkers\tUnits\tOrigDataRate\tOrigDataStartFrame\tOrigNumFrames",
                 f"{fps:.6g}\t{fps:.6g}\t{n}\t{len(JOINTS)}\t{unit}\t{fps:.6g}\t1\t{n}",
                 "Frame#\tTime\t" + "\t\t\t".join(JOINTS) + "\t\t",
                 "\t\t" + "\t".join(f"X{i}\tY{i}\tZ{i}" for i in range(1, len(JOINTS) + 1)),
                 ""]
        for i, (row, p) in enumerate(zip(self.rows, xy)):
            cells = [str(i + 1), f"{row.time_s:.6f}"]
            for x, y in p:
                cells += [_cell(x), _cell(y), "0.000000" if np.isfinite(x) and np.isfinite(y) else "NaN"]
            lines.append("\t".join(cells))
        tmp.write_text("\n".join(lines) + "\n")
