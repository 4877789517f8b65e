"""An Excel workbook through ``xlsxwriter``: sheets for the angles, the joints, the range of
motion and the gait parameters, and a chart of the knee and hip angles over time."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from poseapp.joints import JOINTS
from poseapp.outputs.base import Output


def _cells(values) -> list:
    """Numbers as they are, NaN as an empty cell (Excel has no NaN)."""
    return [None if isinstance(v, float) and not np.isfinite(v) else v for v in values]


class XlsxOutput(Output):
    suffix = ".xlsx"
    kind = "xlsx"

    def save(self, tmp: Path, result: dict, events: list[dict] | None = None) -> None:
        import xlsxwriter

        book = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False, "strings_to_urls": False})
        bold = book.add_format({"bold": True})
        names, values = self.angle_table()
        times = self.times()
        angles = book.add_worksheet("angles")
        angles.write_row(0, 0, ["frame", "time_s", *[f"{n} (deg)" for n in names]], bold)
        for i, (row, v) in enumerate(zip(self.rows, values), start=1):
            angles.write_row(i, 0, _cells([row.frame, float(times[i - 1]), *map(float, v)]))
        angles.freeze_panes(1, 2)

        joints = book.add_worksheet("joints")
        xy, unit = self.points()
        header = ["frame", "time_s", "found"] + [f"{j}_{c}" for j in JOINTS for c in ("x", "y", "score")]
        joints.write_row(0, 0, header + [f"(x, y in {unit}{', y up' if unit == 'm' else ''})"], bold)
        for i, (row, p) in enumerate(zip(self.rows, xy), start=1):
            cells = [row.frame, float(row.time_s), int(row.found)]
            for (x, y), s in zip(p, row.keypoints[:, 2]):
                cells += [float(x), float(y), float(s)]
            joints.write_row(i, 0, _cells(cells))
        joints.freeze_panes(1, 3)

        rom = book.add_worksheet("range of motion")
        keys = ("min", "max", "mean", "range", "frames", "peak_speed_deg_s")
        rom.write_row(0, 0, ["angle", *keys], bold)
        for i, (name, stats) in enumerate((result.get("range_of_motion") or {}).items(), start=1):
            rom.write_row(i, 0, [name, *[stats.get(k) for k in keys]])

        gait = result.get("gait")
        if gait and "error" not in gait:
            sheet = book.add_worksheet("gait")
            sheet.write_row(0, 0, ["parameter", "mean", "sd", "n"], bold)
            r = 1
            for key, value in gait.items():
                if isinstance(value, dict) and "mean" in value:
                    sheet.write_row(r, 0, [key, value["mean"], value["sd"], value["n"]])
                elif isinstance(value, (int, float)):
                    sheet.write_row(r, 0, [key, value])
                else:
                    continue
                r += 1
            for key, value in (gait.get("symmetry_index_pct") or {}).items():
                sheet.write_row(r, 0, [f"symmetry index % of {key}", value])
                r += 1

        chart = book.add_chart({"type": "scatter", "subtype": "straight"})
        shown = [n for n in ("left_knee_flexion", "right_knee_flexion", "left_hip_flexion", "right_hip_flexion")
                 if n in names]
        for n in shown:
            col = 2 + names.index(n)
            chart.add_series({"name": ["angles", 0, col], "categories": ["angles", 1, 1, len(self.rows), 1],
                              "values": ["angles", 1, col, len(self.rows), col], "line": {"width": 1.25}})
        chart.set_title({"name": "knee and hip flexion"})
        chart.set_x_axis({"name": "time (s)"})
        chart.set_y_axis({"name": "degrees"})
        chart.set_size({"width": 900, "height": 420})
        book.add_worksheet("chart").insert_chart("A1", chart)
        book.close()
