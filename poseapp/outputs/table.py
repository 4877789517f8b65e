"""The pose CSV (schema in ``poseapp.io.records``), written row by row as frames come."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from poseapp.io.records import RecordWriter
from poseapp.outputs.base import Output, Row, Session


class CsvOutput(Output):
    suffix = ".csv"
    kind = "csv"

    def __init__(self, path: Path, session: Session) -> None:
        super().__init__(path, session)
        self.writer = RecordWriter(self.path, session.smoothed, metres=session.calibrated)

    def write(self, row: Row) -> None:
        smoothed = row.smoothed if row.smoothed is not None else np.full((16, 2), np.nan)
        metres = row.metres if row.metres is not None else np.full((16, 2), np.nan)
        self.writer.write(row.frame, row.time_s, row.found, row.keypoints, smoothed if self.session.smoothed else None,
                          row.angles, metres if self.session.calibrated else None)

    def finish(self, result: dict, events: list[dict] | None = None) -> None:
        self.writer.commit()

    def discard(self) -> None:
        self.writer.discard()
