"""The result JSON: metadata, options, weights, calibration, range of motion, gait headline
figures. Written last: its presence marks a result complete."""

from __future__ import annotations

from poseapp.io.atomic import write_json
from poseapp.outputs.base import Output, Row


class JsonOutput(Output):
    suffix = ".json"
    kind = "json"

    def write(self, row: Row) -> None:
        """Frames are in the CSV; the JSON holds what describes them."""

    def finish(self, result: dict, events: list[dict] | None = None) -> None:
        write_json(self.path, result)
