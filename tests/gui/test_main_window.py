"""The desktop window offscreen: playing a clip, switching variant while playing, recording, frame
dropping with a slow model, closing mid-play."""

from __future__ import annotations

import dataclasses
import json
import time

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QSettings, Qt
from PySide6.QtWidgets import QPushButton

from poseapp.gui.main_window import MainWindow
from poseapp.io.records import read_records
from poseapp.io.video import VideoReader
from poseapp.pipeline import LatestSlot
from tests.conftest import SHARED, UPSTREAM
from tests.io.test_video import POSETRACK


@pytest.fixture
def window(qtbot, tmp_path):
    store = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    made = []

    def make(stored: dict | None = None, **kwargs) -> MainWindow:
        for key, value in (stored or {}).items():
            store.setValue(key, value)
        w = MainWindow(store=store, output_dir=tmp_path / "out", **kwargs)
        w.setProperty("quiet", True)
        qtbot.addWidget(w)
        w.show()
        made.append(w)
        return w

    yield make
    for w in made:
        w.close()


def wait_for_results(qtbot, w: MainWindow, count: int, timeout: float = 180) -> list:
    got = []
    w.worker.result.connect(got.append)
    qtbot.waitUntil(lambda: len(got) >= count, timeout=int(timeout * 1000))
    return got


def recording(qtbot, w: MainWindow, clip) -> None:
    """``clip`` opened and recording, three frames analysed since Record."""
    w.open(clip)
    wait_for_results(qtbot, w, 1)
    w.record_action.setChecked(True)
    w.toggle_record()
    wait_for_results(qtbot, w, 3)


def test_playing_a_clip_draws_poses(qtbot, window):
    """The PoseTrack clip (5 frames at 30 fps): the file waits for the model, then plays at its pace."""
    w = window()
    assert w.open(POSETRACK)
    got = wait_for_results(qtbot, w, 2)
    assert all(r.pose.keypoints.shape == (16, 3) for r in got) and got[0].frame.index == 0
    assert any(r.pose.found for r in got) and w.view.frames_shown >= 2
    assert w.view.last_image is not None and got[0].model == "RT"
    shown, h, w_ = w.view.qimage, *w.view.last_image.shape[:2]
    for y, x in ((0, 0), (h // 2, w_ // 3), (h - 1, w_ - 1)):  # the painted image keeps the frame's colours
        c = shown.pixelColor(x, y)
        assert (c.red(), c.green(), c.blue()) == tuple(int(v) for v in w.view.last_image[y, x])


def test_still_image_and_bad_file(qtbot, window, tmp_path):
    w = window()
    bad = tmp_path / "x.jpg"
    bad.write_text("no")
    assert not w.open(bad) and "cannot read" in w.statusBar().currentMessage()
    assert w.open(UPSTREAM / "MPII.jpg")
    got = wait_for_results(qtbot, w, 1)
    assert got[0].pose.found and got[0].angles


def test_variant_switch_while_playing(qtbot, window, pan_zoom_clip):
    w = window()
    w.open(pan_zoom_clip.path)
    wait_for_results(qtbot, w, 1)
    w.panel.model.setCurrentIndex(w.panel.model.findData("RT_LITE"))  # while the clip plays
    qtbot.waitUntil(lambda: "RT_LITE" in w.status_model.text(), timeout=300_000)
    got = wait_for_results(qtbot, w, 2)
    assert got[-1].model == "RT_LITE" and w.capture.isRunning()


def test_imported_trained_model_is_listed_and_runs(qtbot, window, tmp_path, pan_zoom_clip):
    from poseapp.weights import cache, install, models

    run = tmp_path / "knee-study"
    cache.save_state(run / "best.safetensors", install.load_state("RT"), {"variant": "RT"})
    w = window()
    w.open(pan_zoom_clip.path)
    wait_for_results(qtbot, w, 1)
    w.import_trained_model(tmp_path / "missing.safetensors")  # converted by the worker, not the GUI thread
    qtbot.waitUntil(lambda: "no trained checkpoint" in w.statusBar().currentMessage())
    try:
        with qtbot.waitSignal(w.worker.trained_imported, timeout=60_000) as imported:
            w.import_trained_model(run / "best.safetensors")
        assert imported.args == ["knee-study"]
        label = w.panel.model.itemText(w.panel.model.findData("knee-study"))
        assert label.startswith("knee-study (trained RT, 224 px")
        qtbot.waitUntil(lambda: "knee-study" in w.status_model.text(), timeout=300_000)
        assert wait_for_results(qtbot, w, 2)[-1].model == "knee-study"
    finally:
        models.cached_path("knee-study").unlink()


def test_recording_gives_a_valid_csv_and_the_annotated_video(qtbot, window, tmp_path, pan_zoom_clip):
    w = window()
    w.panel.record_video.setChecked(True)
    w.panel.exports["xlsx"].setChecked(True)
    w.open(pan_zoom_clip.path)
    wait_for_results(qtbot, w, 1)
    w.record_action.setChecked(True)
    w.toggle_record()
    wait_for_results(qtbot, w, 5)
    w.record_action.setChecked(False)
    w.toggle_record()
    qtbot.waitUntil(lambda: bool(list((tmp_path / "out").glob("recording-*.json"))), timeout=30_000)
    csv_path = next((tmp_path / "out").glob("recording-*.csv"))
    rec = read_records(csv_path)
    assert len(rec.values) >= 3 and rec.smoothed
    frames_col, times = rec.column("frame"), rec.column("time_s")
    # lined up with the source: its frame indices, every one of them (a file waits for the model
    # while recording), and the source's own times
    assert np.array_equal(frames_col, np.arange(frames_col[0], frames_col[0] + len(frames_col)))
    assert np.allclose(times, frames_col / pan_zoom_clip.fps, atol=1e-3)
    meta = json.loads(csv_path.with_suffix(".json").read_text())
    assert meta["source"]["path"] == str(pan_zoom_clip.path) and meta["source"]["fps"] == pytest.approx(30.0)
    assert meta["frames"] == len(rec.values) and meta["weights"]["RT"]["git_blob"]
    assert meta["range_of_motion"]["left_knee_flexion"]["frames"] >= 0
    assert csv_path.with_suffix(".xlsx").exists() and csv_path.with_suffix(".xlsx").name in meta["outputs"]
    video = VideoReader(csv_path.with_name(meta["annotated_video"]))
    frames = list(video)
    # real time: one video frame per source frame interval
    assert len(frames) == round((times[-1] - times[0]) * pan_zoom_clip.fps) + 1
    clip = VideoReader(pan_zoom_clip.path).info
    assert video.info.fps == pytest.approx(clip.fps) and frames[0].rgb.shape[:2] == (clip.height, clip.width)
    with qtbot.waitSignal(w.worker.saved):
        path = w.snapshot()
    assert path.stat().st_size > 1000 and "snapshot saved" in w.statusBar().currentMessage()


class SlowEngine:
    """A stand-in model that takes 0.25 s a frame and always sees the same pose."""

    class variant:  # noqa: N801 - mimics Engine.variant
        name = "SLOW"

    model = "SLOW"
    passes = 1

    class backend:  # noqa: N801
        device, name = "cpu", "slow"

    flip = False

    def predict(self, rgb, box=None):
        from poseapp.inference.preprocess import full_box
        from poseapp.pose import Pose

        time.sleep(0.25)
        kp = np.tile([[100.0, 100.0, 0.9]], (16, 1))
        kp[:, 1] += np.arange(16) * 10
        return Pose(kp, box or full_box(*rgb.shape[:2]), "SLOW")


def test_slow_model_drops_frames_not_falls_behind(qtbot, window, pan_zoom_clip):
    w = window(stored={"roi": "full", "smooth": "none"}, engine_factory=lambda settings, progress=None: SlowEngine())
    w.open(pan_zoom_clip.path)
    wait_for_results(qtbot, w, 1)
    start, captured = time.perf_counter(), w.capture.captured
    got = wait_for_results(qtbot, w, 6)
    elapsed = time.perf_counter() - start
    capture_rate = (w.capture.captured - captured) / elapsed
    assert capture_rate > 15  # the 30 fps clip keeps playing at its pace
    assert w.slot.dropped > 3 * len(got)  # while the model takes about one frame in eight
    newest = w.capture.captured
    assert got[-1].frame.index > newest - 15  # results are recent, not a backlog


def test_closing_mid_play_stops_every_thread(qtbot, window):
    w = window()
    w.open(POSETRACK)
    wait_for_results(qtbot, w, 1)
    w.close()
    assert not w.capture.isRunning() and not w.worker.isRunning()


def test_closing_mid_recording_completes_it_in_the_worker_thread(qtbot, window, tmp_path, monkeypatch, pan_zoom_clip):
    """The window closed while recording: the recording's files are completed and measured by the
    inference thread as it ends, as at Stop, never by the GUI thread."""
    import threading

    from poseapp.pipeline import LiveRecorder

    threads = []
    measure = LiveRecorder.measure
    monkeypatch.setattr(LiveRecorder, "measure",
                        lambda self: threads.append(threading.current_thread()) or measure(self))
    w = window()
    recording(qtbot, w, pan_zoom_clip.path)
    w.close()
    csv_path = next((tmp_path / "out").glob("recording-*.csv"))
    assert csv_path.with_suffix(".json").exists() and len(read_records(csv_path).values) >= 1
    assert len(threads) == 1 and threads[0] is not threading.main_thread()


def test_latest_slot_keeps_only_the_newest():
    slot = LatestSlot()
    for i in range(5):
        slot.put(i)
    assert slot.get(0) == 4 and slot.dropped == 4 and slot.get(0.01) is None


def test_missing_weights_download_with_progress_and_cancel(qtbot, window, tmp_path, monkeypatch):
    """A variant not in the cache downloads (here from a file:// base, through the real URL code)
    with a progress dialog; a cancelled download leaves the previous model running."""
    w = window()
    w.open(UPSTREAM / "MPII.jpg")
    wait_for_results(qtbot, w, 1)
    monkeypatch.setenv("POSEAPP_CACHE", str(tmp_path / "empty-cache"))
    monkeypatch.setenv("POSEAPP_WEIGHTS_SOURCE", UPSTREAM.as_uri())
    seen = []
    w.worker.download.connect(lambda m, done, total: seen.append((m, done, total)))
    w.worker.cancel_download()  # Cancel pressed as the download starts (a local one is too fast to catch)
    w.panel.model.setCurrentIndex(w.panel.model.findData("I_LITE"))
    qtbot.waitUntil(lambda: "cancelled" in w.statusBar().currentMessage(), timeout=120_000)
    assert w.worker.analyser.engine.variant.name == "RT" and "Still running RT" in w.statusBar().currentMessage()
    qtbot.waitUntil(lambda: w.download_dialog is None, timeout=10_000)
    assert seen[-1][1:] == (-1, -1)
    seen.clear()
    w.panel.model.setCurrentIndex(w.panel.model.findData("RT"))
    w.panel.model.setCurrentIndex(w.panel.model.findData("I_LITE"))
    failures = []
    w.worker.failed.connect(failures.append)
    qtbot.waitUntil(lambda: w.worker.analyser.engine.variant.name == "I_LITE" or bool(failures), timeout=300_000)
    assert not failures
    assert any(total > 0 and done == total for _, done, total in seen)


def test_about_and_icon_from_source():
    from poseapp.gui.about import about_text, icon_path

    assert icon_path() is not None and icon_path().name == "icon.png"
    assert "running from source" in about_text() and "Apache" in about_text()


def test_keyboard_plays_pauses_steps_and_snapshots(qtbot, window, pan_zoom_clip):
    """Space pauses and plays, Right steps one frame while paused, Ctrl+S saves a snapshot."""
    w = window()
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow)
    assert w.open(pan_zoom_clip.path)
    wait_for_results(qtbot, w, 2)
    box = w.panel.mirror  # a click on a box in the panel...
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))
    assert w.panel.mirror.isChecked()
    qtbot.keyClick(w.focusWidget() or w, Qt.Key.Key_Space)  # ...leaves Space to the player
    assert w.capture.paused and w.play_action.text() == "Play" and w.panel.mirror.isChecked()
    qtbot.wait(300)
    before = w.capture.captured
    qtbot.keyClick(w.view, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: w.capture.captured == before + 1)
    qtbot.wait(200)
    assert w.capture.captured == before + 1  # one frame, and still paused
    with qtbot.waitSignal(w.worker.saved):
        qtbot.keyClick(w.view, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert list(w.output_dir.glob("snapshot-*.png"))
    qtbot.keyClick(w.view, Qt.Key.Key_Space)
    assert not w.capture.paused
    qtbot.waitUntil(lambda: w.capture.captured > before + 3)
    assert "(Space)" in w.play_action.toolTip()


def test_opening_a_clip_keeps_the_person_from_the_first_frame(qtbot, window):
    """The reset that a new source asks for belongs to its first frame: frame 0 is searched, and
    every later frame follows that person (the batch path does the same on this clip)."""
    from poseapp.batch import VideoOptions, engine_for
    from poseapp.localise.localiser import make_localiser
    from tests.io.test_video import DEMO

    engine = engine_for(VideoOptions())
    track = make_localiser("track", engine)
    batch = [track.locate(engine, f.rgb) for f in VideoReader(DEMO)]
    w = window()
    w.open(POSETRACK)
    wait_for_results(qtbot, w, 1)
    got = []
    w.worker.result.connect(got.append)
    w.open(DEMO)
    qtbot.waitUntil(lambda: any(r.frame.index == 4 and r.epoch == w.capture.epoch for r in got), timeout=120_000)
    mine = [r for r in got if r.epoch == w.capture.epoch]
    assert mine[0].frame.index == 0 and mine[0].pose.extra["localised"] == "searched"
    assert all(r.pose.extra["localised"] != "searched" for r in mine[1:])
    for r in mine:  # on the same person as the batch: mean joint distance well under a limb
        gap = np.linalg.norm(r.pose.keypoints[:, :2] - batch[r.frame.index].keypoints[:, :2], axis=1)
        assert np.median(gap) < 20


def test_end_of_file_is_a_state_play_restarts_seek_and_step_work(qtbot, window):
    w = window()
    w.open(POSETRACK)  # 5 frames
    qtbot.waitUntil(lambda: w.capture.at_end, timeout=60_000)
    qtbot.waitUntil(lambda: "Play starts again" in w.statusBar().currentMessage(), timeout=5_000)
    assert w.play_action.text() == "Play" and w.seek.value() == w.seek.maximum() == 4
    got = []
    since = w.capture.epoch  # a result of the first pass may still come in: only later epochs count
    w.worker.result.connect(lambda r: got.append(r) if r.epoch > since else None)
    w.toggle_play()  # Play: from the start again
    qtbot.waitUntil(lambda: w.capture.at_end and any(r.frame.index == 4 for r in got), timeout=60_000)
    # from the start again; the newest frame wins, so on a loaded machine frame 0 may be dropped
    assert got[0].frame.index <= 1 and w.play_action.text() == "Play"
    since = w.capture.epoch
    got.clear()
    w._seek_to(2)  # seek back while at the end: that frame is shown, still paused
    qtbot.waitUntil(lambda: bool(got), timeout=30_000)
    assert got[-1].frame.index == 2 and w.capture.paused and not w.capture.at_end
    w.capture.step()
    qtbot.waitUntil(lambda: got[-1].frame.index == 3, timeout=30_000)


def test_switching_the_model_on_a_still_image_analyses_it_again(qtbot, window):
    w = window()
    w.open(UPSTREAM / "MPII.jpg")
    assert wait_for_results(qtbot, w, 1)[0].model == "RT"
    got = []
    w.worker.result.connect(got.append)
    w.panel.model.setCurrentIndex(w.panel.model.findData("RT_LITE"))
    qtbot.waitUntil(lambda: any(r.model == "RT_LITE" for r in got), timeout=300_000)
    assert w.last_result.model == "RT_LITE" and w.last_result.pose.found


def test_new_source_starts_its_own_drop_count(qtbot, window, pan_zoom_clip):
    w = window(stored={"roi": "full", "smooth": "none"}, engine_factory=lambda settings, progress=None: SlowEngine())
    w.open(pan_zoom_clip.path)
    wait_for_results(qtbot, w, 3)
    assert w.slot.dropped > 0
    w.open(UPSTREAM / "MPII.jpg")
    assert w.slot.dropped == 0
    w._update_status()
    assert "dropped 0" in w.status_rates.text() and "not drawn" in w.status_rates.text()
    assert w.plots.plots[w.plots.names[-1]].getAxis("bottom").labelText == "time before now (s)"


def test_damaged_settings_fall_back_to_defaults_and_say_so(qtbot, window):
    w = window(stored={"strength": "abc", "threshold": "nan", "roi": "sideways", "plot_window": "9999"})
    assert w.panel.strength.value() == 41 and w.panel.threshold.value() == pytest.approx(0.3)
    assert w.panel.roi.currentText() == "track" and w.panel.plot_window.value() == 10
    message = w.statusBar().currentMessage()
    assert "damaged" in message and "strength" in message and "roi" in message


def test_angle_labels_never_overlap_on_a_small_subject():
    """Ten labels around a subject 60 px tall: no two label boxes intersect."""
    from poseapp.gui.video_view import _free_spot

    placed: list = []
    rng = np.random.default_rng(0)
    for x, y in rng.uniform(100, 130, size=(10, 2)):
        _free_spot(int(x), int(y), 18, 10, placed)
    for i, a in enumerate(placed):
        for b in placed[i + 1:]:
            assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3])


@pytest.fixture
def two_people_clip(tmp_path):
    """Sports2D's frames 100-111: the walker below and the man on the box (backlit) both in view."""
    from poseapp.io.video import VideoWriter

    clip = tmp_path / "two.mp4"
    writer = None
    for frame in VideoReader(SHARED / "data" / "sports2d-demo" / "demo.mp4"):
        if frame.index >= 112:
            break
        if frame.index >= 100:
            writer = writer or VideoWriter(clip, 30, frame.rgb.shape[1], frame.rgb.shape[0])
            writer.write(frame.rgb)
    writer.commit()
    return clip


def _played_and_pointed(qtbot, w: MainWindow, clip) -> QPoint:
    """``clip`` played to its end (paused on its last frame, the walker followed); the widget point
    over frame pixel (720, 250), the man on the box."""
    w.open(clip)
    qtbot.waitUntil(lambda: w.capture.at_end, timeout=60_000)
    qtbot.waitUntil(lambda: w.last_result is not None and w.last_result.frame.index == 11, timeout=60_000)
    assert np.nanmedian(w.last_result.pose.keypoints[:, 1]) > 550  # the walker, the larger one
    target = w.view.target()
    scale = target.width() / w.view.qimage.width()
    point = QPoint(int(target.x() + 720 * scale), int(target.y() + 250 * scale))
    assert w.view.frame_point(point.x(), point.y()) == pytest.approx((720, 250), abs=2 / scale)
    return point


def test_a_click_on_a_person_follows_them(qtbot, window, two_people_clip):
    """A click on the man on the box (a frame pixel through the view's scaling) switches the
    skeleton to him."""
    w = window()
    point = _played_and_pointed(qtbot, w, two_people_clip)
    got, before = [], w.capture.epoch
    w.worker.result.connect(got.append)
    qtbot.mouseClick(w.view, Qt.MouseButton.LeftButton, pos=point)
    assert "following the person" in w.statusBar().currentMessage()
    qtbot.waitUntil(lambda: any(r.epoch > before for r in got), timeout=60_000)  # the frame analysed again
    assert np.nanmedian(got[-1].pose.keypoints[:, 1]) < 400 and "following the person" in w.statusBar().currentMessage()


def test_everyone_is_drawn_with_an_id_and_a_click_picks_among_them(qtbot, window, two_people_clip):
    """People drawn "all": both people of the clip come with an id, the walker is the followed one
    (drawn with her box and "(followed)"); a click on the man makes him the followed id, and the
    plots' pose is his."""
    w = window({"people": "all"})
    assert w.panel.settings().people == "all"
    point = _played_and_pointed(qtbot, w, two_people_clip)
    last = w.last_result
    assert len(last.people) >= 2 and last.chosen in last.people
    walker_id = last.chosen
    man = [i for i, p in last.people.items() if np.nanmedian(p.keypoints[:, 1]) < 400]
    assert man and walker_id not in man
    drawn_all = w.view.qimage.copy()
    got, before = [], w.capture.epoch
    w.worker.result.connect(got.append)
    qtbot.mouseClick(w.view, Qt.MouseButton.LeftButton, pos=point)
    qtbot.waitUntil(lambda: any(r.epoch > before for r in got), timeout=60_000)
    now = got[-1]
    assert np.nanmedian(now.pose.keypoints[:, 1]) < 400 and now.chosen is not None and now.chosen != walker_id
    assert walker_id in now.people  # the walker is still drawn, no longer followed
    assert w.view.qimage != drawn_all


def test_a_recorded_walk_shows_its_gait_and_a_short_one_says_why_not(qtbot, window, tmp_path):
    from poseapp.pipeline import measure_recording
    from tests.test_gait import write_csv
    from tests.walker import walk

    w = window({"height_m": 1.75})
    assert w.panel.height() == 1.75
    write_csv(tmp_path / "walk.csv", walk(fps=60))
    w._recorded(str(tmp_path / "walk.csv"), measure_recording(tmp_path / "walk.csv", ("csv",), w.panel.height()))
    text = w.recording_text.toPlainText()
    assert w.recording_dock.isVisible() and "cadence" in text and "walking speed" in text and "height 1.75 m" in text
    assert (tmp_path / "walk_gait.json").exists() and (tmp_path / "walk_gait.png").exists()
    write_csv(tmp_path / "short.csv", walk(seconds=1.0))
    w._recorded(str(tmp_path / "short.csv"), measure_recording(tmp_path / "short.csv", ("csv",), 1.75))
    assert w.statusBar().currentMessage() == "recording saved: short.csv; no gait parameters (Recording panel)"
    text = w.recording_text.toPlainText()
    assert "no gait parameters: too little walking" in text and "height 1.75 m" in text and "lengths in metres" in text
    assert "cadence" not in text and not (tmp_path / "short_gait.json").exists()


def test_calibrating_with_two_clicks(qtbot, window, monkeypatch):
    from PySide6.QtWidgets import QInputDialog

    w = window()
    monkeypatch.setattr(QInputDialog, "getDouble", lambda *a, **k: (2.0, True))
    w.start_scale_line()
    w.pick_person(100, 500)
    assert "other end" in w.statusBar().currentMessage()
    w.pick_person(500, 500)
    assert w.scale_line() == "100.0,500.0,500.0,500.0,2" and "5.000 mm per pixel" in w.statusBar().currentMessage()
    w.start_scale_line()
    w.pick_person(100, 500)
    assert w.view.marks == [(100, 500)]  # issue 35, item 10: each end is marked as it is clicked
    w.pick_person(100, 500)  # the same point twice: refused, the earlier line stays
    assert "same pixel" in w.statusBar().currentMessage() and w.scale_line().endswith(",2")
    assert w.view.marks == [(100.0, 500.0), (500.0, 500.0)] and w.view.mark_text == "2 m"  # the line in use
    assert "the line of 2 m" in w.panel.calibration_note.text()
    w.panel.height_m.setValue(1.7)  # both given: the panel says the line wins
    assert "(not the height)" in w.panel.calibration_note.text()


def test_report_of_the_last_recording(qtbot, window, tmp_path):
    from poseapp.pipeline import measure_recording
    from tests.outputs.test_formats import write_result

    w = window()
    assert not w.report_action.isEnabled()
    result = write_result(tmp_path)
    w._recorded(str(result.with_suffix(".csv")), measure_recording(result.with_suffix(".csv"), ("csv", "json")))
    assert w.report_action.isEnabled()
    out = w.make_report("P-1")
    assert out == tmp_path / "clip_report.pdf" and out.stat().st_size > 10_000
    assert out.with_suffix(".html").exists() and "report written" in w.statusBar().currentMessage()


def test_missing_weights_are_their_own_signal_and_other_failures_are_not(qtbot, window):
    """A model whose weights cannot be had is told apart by its type (the window then offers an
    import), not by the word "weights" in a message."""
    from poseapp.errors import MissingWeightsError, PoseappError

    def factory(options, progress):
        if options.model == "I":
            raise MissingWeightsError("no weights for I: the folder has none")
        raise PoseappError("the weights file is odd")  # says "weights" but is another failure

    w = window(engine_factory=factory)
    missing, failed = [], []
    w.worker.weights_missing.connect(missing.append)
    w.worker.failed.connect(failed.append)
    w.worker.apply(dataclasses.replace(w.panel.settings(), model="II"))  # fails the other way
    qtbot.waitUntil(lambda: bool(failed), timeout=30_000)
    assert failed[-1] == "the weights file is odd" and not missing
    w.worker.apply(dataclasses.replace(w.panel.settings(), model="I"))
    qtbot.waitUntil(lambda: bool(missing), timeout=30_000)
    assert missing == ["no weights for I: the folder has none"]  # the details, behind the dialog's button
    message = w.statusBar().currentMessage()  # issue 35, item 13: plain words, no "loading…" left beside them
    assert "weights are not on this computer" in message and "Errno" not in message
    assert w.status_model.text() == "no model"  # every model fails here


def test_who_walks_is_found_and_followed_from_where_she_comes_in(qtbot, window):
    """Sports2D's clip opens on the man on the box; "Who walks" looks through it, seeks to the
    frame the woman walking in from the right is first seen in, and follows her there."""
    w = window()
    w.find_walker()
    assert "open a video file first" in w.statusBar().currentMessage()
    w.open(SHARED / "data" / "sports2d-demo" / "demo.mp4")
    wait_for_results(qtbot, w, 1)
    found, progress = [], []
    w.worker.walker_found.connect(lambda path, walker: found.append(walker))
    w.worker.walker_progress.connect(lambda done, length: progress.append((done, length)))
    w.find_walker()
    assert "looking through demo.mp4" in w.statusBar().currentMessage() and w.capture.paused
    assert w.walker_dialog is not None and w.walker_dialog.isVisible()
    qtbot.waitUntil(lambda: bool(found), timeout=180_000)
    walker = found[0]
    assert walker is not None and 30 <= walker.index <= 60
    assert w.walker_dialog is None and len(progress) == walker.looks
    assert progress[-1][0] > 7 and 7.5 < progress[-1][1] < 8  # every half second of the 7.7 s clip
    assert "following who walks" in w.statusBar().currentMessage()
    qtbot.waitUntil(lambda: w.last_result is not None and w.last_result.frame.index == walker.index, timeout=60_000)
    pose = w.last_result.pose
    assert pose.found and np.nanmedian(pose.keypoints[:, 0]) > 1300  # her, on the right; he stands at x 640


def test_looking_for_who_walks_can_be_cancelled(qtbot, window):
    """Cancel in the progress dialog: the look-through ends at its next frame, nobody is sought to,
    and the video can be looked through again."""
    w = window()
    w.open(SHARED / "data" / "sports2d-demo" / "demo.mp4")
    wait_for_results(qtbot, w, 1)
    found, progress = [], []
    w.worker.walker_found.connect(lambda path, walker: found.append(walker))
    w.worker.walker_progress.connect(lambda done, length: progress.append(done))
    w.find_walker()
    qtbot.waitUntil(lambda: bool(progress), timeout=60_000)
    qtbot.mouseClick(w.walker_dialog.findChild(QPushButton), Qt.MouseButton.LeftButton)
    assert w.walker_dialog is None and "stopped looking for who walks" in w.statusBar().currentMessage()
    shown = w.last_result
    w.capture.refresh()  # analysed once the worker is done with the look-through
    qtbot.waitUntil(lambda: w.last_result is not shown, timeout=60_000)
    assert not found and len(progress) < 16
    w.find_walker()  # again; closing the window then ends this one too
    assert w.walker_dialog is not None


def test_the_clip_is_shown_at_once_and_its_first_pose_comes_within_a_second(qtbot, window):
    """Issue 34: Sports2D's clip opened in the window shows its frames as read before the first
    pose is drawn (the view never stays blank while the analysis starts), and the first pose is of
    a frame within the clip's first second: one detector pass and one crop, not a 60-window search
    (frames are paced at the clip's own rate, so a slow first pose would come on a later frame)."""
    w = window()
    qtbot.waitUntil(lambda: w.worker.analyser.engine is not None, timeout=120_000)
    events = []
    show = w.view.show_rgb
    w.view.show_rgb = lambda rgb: (events.append("shown"), show(rgb))
    w.worker.result.connect(lambda r: events.append(r))
    assert w.open(SHARED / "data" / "sports2d-demo" / "demo.mp4")
    qtbot.waitUntil(lambda: any(not isinstance(e, str) and e.pose.found for e in events), timeout=60_000)
    results = [e for e in events if not isinstance(e, str)]
    first = results[0]
    assert events.index("shown") < events.index(first) and w.raw_frames_shown >= 1
    found = next(r for r in results if r.pose.found)
    assert found.frame.index < 30 and found.pose.extra["localiser"] == "detector"
    assert found.pose.extra["forward_passes"] <= 5
