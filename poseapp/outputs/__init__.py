"""Result files, one interface (``base.Output``: open, write a frame, finish atomically, discard on
failure) and one table of formats, used alike by ``poseapp video``, the window's recorder and
``poseapp export``. A new format is one new file and one line in ``FORMATS``."""

from __future__ import annotations

from pathlib import Path

from poseapp.errors import PoseappError
from poseapp.outputs.base import Output, Row, Session
from poseapp.outputs.c3d_file import C3dOutput
from poseapp.outputs.mot import MotOutput
from poseapp.outputs.result_json import JsonOutput
from poseapp.outputs.table import CsvOutput
from poseapp.outputs.trc import TrcOutput
from poseapp.outputs.workbook import XlsxOutput

FORMATS: dict[str, type[Output]] = {cls.kind: cls for cls in (CsvOutput, JsonOutput, TrcOutput, MotOutput,
                                                              C3dOutput, XlsxOutput)}
DEFAULT_FORMATS = ("csv", "json")
DESCRIPTIONS = {
    "csv": "pose CSV: joints, smoothed and metre coordinates, angles",
    "json": "result: metadata, calibration, range of motion, gait figures",
    "trc": "OpenSim markers (the 16 joints)",
    "mot": "OpenSim motion: the angles",
    "c3d": "C3D: points with residuals, gait events",
    "xlsx": "Excel: angles, joints, range of motion, gait, a chart",
}

__all__ = ["DEFAULT_FORMATS", "DESCRIPTIONS", "FORMATS", "OutputSet", "Row", "Session", "exports_among",
           "parse_formats"]


def parse_formats(text: str | list[str] | tuple[str, ...], always: tuple[str, ...] = ()) -> tuple[str, ...]:
    """``csv,json,trc`` (or a list) checked against the table, with the ``always`` ones added."""
    names = [n.strip().lower() for n in (text.split(",") if isinstance(text, str) else text) if n.strip()]
    unknown = [n for n in names if n not in FORMATS]
    if unknown:
        raise PoseappError(f"unknown format {', '.join(unknown)}; choose from {', '.join(FORMATS)}")
    return tuple(dict.fromkeys([*always, *names]))


def exports_among(formats: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """The formats a result can be exported to afterwards (``poseapp export``): all but the CSV and
    JSON it always has."""
    return tuple(k for k in parse_formats(formats) if k not in DEFAULT_FORMATS)


class OutputSet:
    """The chosen formats of one result, named ``<folder>/<name>.<suffix>``: each frame goes to
    every one; ``finish`` completes them in the table's order with the JSON last, ``discard``
    removes every partial file (and the finished ones of this set when a later one failed)."""

    def __init__(self, folder: Path, session: Session, formats: tuple[str, ...]) -> None:
        self.outputs: list[Output] = []
        try:
            for kind in sorted(formats, key=lambda k: k == "json"):
                cls = FORMATS[kind]
                self.outputs.append(cls(Path(folder) / f"{session.name}{cls.suffix}", session))
        except BaseException:
            self.discard()
            raise

    @property
    def paths(self) -> list[Path]:
        return [o.path for o in self.outputs]

    def write(self, row: Row) -> None:
        for o in self.outputs:
            o.write(row)

    def finish(self, result: dict, events: list[dict] | None = None) -> None:
        done: list[Output] = []
        try:
            for o in self.outputs:
                o.finish(result, events)
                done.append(o)
        except BaseException:
            for o in done:
                o.path.unlink(missing_ok=True)
            self.discard()
            raise

    def discard(self) -> None:
        for o in self.outputs:
            o.discard()
