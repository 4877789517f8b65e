"""The live chain's recorder at its edges: a recording stopped before its first frame leaves
nothing behind and says so; an empty result is refused by ``poseapp export``."""

from __future__ import annotations

import pytest

from poseapp.errors import PoseappError
from poseapp.outputs import FORMATS, OutputSet, Session
from poseapp.pipeline import LiveRecorder, LiveSettings


def test_a_recording_without_frames_leaves_nothing_and_says_why(tmp_path):
    recorder = LiveRecorder(tmp_path / "rec.csv", LiveSettings(), {"name": "camera 0"}, formats=tuple(FORMATS))
    with pytest.raises(PoseappError, match="nothing was recorded"):
        recorder.stop()
    assert list(tmp_path.iterdir()) == []  # no partial files, no empty CSV


def test_exporting_a_result_without_frames_is_a_message(tmp_path):
    from poseapp.cli import main
    from poseapp.outputs.export import export_result

    OutputSet(tmp_path, Session("empty", 30.0), ("csv", "json")).finish({"poseapp": "test", "csv_schema": 2})
    with pytest.raises(PoseappError, match="holds no frames"):
        export_result(tmp_path / "empty.json", ("c3d",))
    assert main(["export", str(tmp_path / "empty.json"), "--formats", "c3d,trc"]) == 2
    assert not (tmp_path / "empty.c3d").exists()
