"""OpenSim's motion file (MOT, "Storage" format): the angles over time, in degrees.

Layout (OpenSim's "Storage (.sto) and motion (.mot) files" documentation): a name line,
``version=1``, ``nRows=``, ``nColumns=`` (time included), ``inDegrees=yes``, ``endheader``, then a
tab-separated header starting with ``time`` and one row per frame. A missing angle is ``NaN``.
These are 2-D image-plane angles (``poseapp.angles``), not an OpenSim model's coordinates.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from poseapp.outputs.base import Output


class MotOutput(Output):
    suffix = ".mot"
    kind = "mot"

    def save(self, tmp: Path, result: dict, events: list[dict] | None = None) -> None:
        names, values = self.angle_table()
        lines = [self.path.stem, "version=1", f"nRows={len(self.rows)}", f"nColumns={len(names) + 1}",
                 "inDegrees=yes", "endheader", "\t".join(["time", *names])]
        for t, row in zip(self.times(), values):
            lines.append("\t".join([f"{t:.6f}"] + [f"{v:.4f}" if np.isfinite(v) else "NaN" for v in row]))
        tmp.write_text("\n".join(lines) + "\n")
