"""The inference worker's command queue: order, the newest settings and click, errors as messages."""

from __future__ import annotations

import dataclasses

import numpy as np

from poseapp.gui.worker import InferenceWorker
from poseapp.pipeline import LatestSlot, LiveSettings


def worker_with_log(monkeypatch) -> tuple[InferenceWorker, list]:
    """A worker (thread not started) whose model loading and actions are logged, not done."""
    w = InferenceWorker(LatestSlot(), LiveSettings())
    log: list = []
    monkeypatch.setattr(w, "_configure", lambda settings: log.append(("configure", settings.model)))
    monkeypatch.setattr(w.analyser, "pick", lambda x, y: log.append(("pick", (x, y))))
    return w, log


def test_commands_run_in_order_with_only_the_newest_settings_and_click(monkeypatch, tmp_path):
    w, log = worker_with_log(monkeypatch)
    real_action = w._action
    monkeypatch.setattr(w, "_action", lambda kind, arg: log.append((kind, None)) or real_action(kind, arg))
    base = LiveSettings()
    w.apply(dataclasses.replace(base, model="I"))
    w.apply(dataclasses.replace(base, model="II"))
    w.pick(1, 2)
    w.pick(3, 4)
    w.stop_recording()  # the settings asked before it are in force first
    w.apply(dataclasses.replace(base, model="RT_LITE"))
    assert w._run_commands()
    # the settings the worker started with, then I, then II: only II is loaded
    assert log == [("configure", "II"), ("stop_recording", None), ("configure", "RT_LITE"), ("pick", (3, 4))]
    w._commands.put(("stop", None))
    assert not w._run_commands()


def test_snapshots_and_imports_run_in_the_worker_and_failures_are_messages(qtbot, monkeypatch, tmp_path):
    w, _ = worker_with_log(monkeypatch)
    saved, failed, imported = [], [], []
    w.saved.connect(saved.append)
    w.failed.connect(failed.append)
    w.imported.connect(imported.append)
    w.snapshot(np.full((40, 60, 3), 200, np.uint8), tmp_path / "snaps" / "one.png")
    w.import_folder(tmp_path / "nowhere")
    w.import_folder(tmp_path)  # a folder without upstream files: nothing imported
    w.import_trained(tmp_path / "missing.safetensors")
    assert w._run_commands()
    assert saved == [str(tmp_path / "snaps" / "one.png")] and (tmp_path / "snaps" / "one.png").stat().st_size > 0
    assert imported == [[]]
    assert "is not a folder" in failed[0] and "no trained checkpoint" in failed[1]


def test_a_recording_stopped_before_its_first_frame_is_a_message(qtbot, monkeypatch, tmp_path):
    w, _ = worker_with_log(monkeypatch)
    failed, recorded = [], []
    w.failed.connect(failed.append)
    w.recorded.connect(lambda path, gait: recorded.append(path))
    w.start_recording(tmp_path / "rec.csv", {"name": "camera 0"}, formats=("csv", "json", "c3d"))
    w.stop_recording(1.75, None)
    assert w._run_commands()
    assert recorded == [] and "nothing was recorded" in failed[0] and list(tmp_path.iterdir()) == []
    assert not w.recording  # the worker goes on, ready for the next recording


def test_an_action_that_breaks_is_a_message_and_the_worker_goes_on(qtbot, monkeypatch, tmp_path):
    w, log = worker_with_log(monkeypatch)
    failed, saved = [], []
    w.failed.connect(failed.append)
    w.saved.connect(saved.append)
    w.snapshot(np.zeros((0, 0, 3), np.uint8), tmp_path / "empty.png")  # OpenCV cannot encode it
    w.snapshot(np.full((4, 4, 3), 9, np.uint8), tmp_path / "fine.png")
    w.pick(5, 6)
    assert w._run_commands()
    assert len(failed) == 1 and failed[0].startswith("snapshot failed: error(")  # OpenCV's own error type
    assert saved == [str(tmp_path / "fine.png")] and log[-1] == ("pick", (5, 6))


def test_a_file_recorded_frame_by_frame_uses_the_batch_rule_for_empty_stretches(qtbot, monkeypatch, tmp_path):
    """Recording a file analyses every frame, as ``poseapp video`` does, so nobody in view is
    searched every third frame there; a camera, and the file once the recording stops, rest in
    time (``LiveAnalyser.REST``)."""
    from poseapp.localise.search import AutoSearch
    from poseapp.localise.track import Track
    from poseapp.pipeline import LiveAnalyser

    w, _ = worker_with_log(monkeypatch)
    w.analyser.localiser = Track(AutoSearch())
    w.analyser.every_frame(False)
    assert w.analyser.localiser.rest == LiveAnalyser.REST
    w.start_recording(tmp_path / "cam.csv", {"name": "camera 0", "live": True})
    assert w._run_commands() and w.analyser.localiser.rest == LiveAnalyser.REST
    w.start_recording(tmp_path / "file.csv", {"name": "walk.mp4", "live": False})
    assert w._run_commands() and w.analyser.localiser.rest == 0
    w.stop_recording()
    assert w._run_commands() and w.analyser.localiser.rest == LiveAnalyser.REST
