"""What the window's controls do with each kind of source (issue 35, items 5-9 and 12): Record,
Play, Step and the seek bar as the source allows, the view cleared on a new source, a click on
the seek bar, Space from any settings control, and the question on closing mid-recording."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt

from poseapp.gui.seek_bar import SeekBar
from tests.conftest import UPSTREAM
from tests.gui.test_main_window import recording, wait_for_results, window  # noqa: F401  (the fixture)


def test_controls_follow_the_source(qtbot, window, pan_zoom_clip):  # noqa: F811
    w = window()
    assert not w.play_action.isEnabled() and w.play_action.text() == "Play"  # nothing open: no "Pause"
    assert not w.record_action.isEnabled() and not w.step_action.isEnabled() and not w.seek.isEnabled()
    w.record_action.setChecked(True)
    w.toggle_record()  # by a shortcut, say: refused with a message, no recording
    assert not w.worker.recording and not w.record_action.isChecked()
    assert "nothing to record" in w.statusBar().currentMessage()
    assert w.open(UPSTREAM / "MPII.jpg")
    assert not w.play_action.isEnabled() and not w.step_action.isEnabled() and not w.seek.isEnabled()
    assert w.record_action.isEnabled()
    wait_for_results(qtbot, w, 1)
    assert w.open(pan_zoom_clip.path)
    assert w.view.qimage is None and "opening" in w.view.hint  # the baseball picture is gone at once
    assert w.play_action.isEnabled() and w.play_action.text() == "Pause" and w.step_action.isEnabled()
    qtbot.waitUntil(w.seek.isEnabled)


def test_record_plays_what_it_records(qtbot, window, pan_zoom_clip):  # noqa: F811
    """Record on a paused clip starts it (the status bar promised "Record for the gait")."""
    w = window()
    w.open(pan_zoom_clip.path)
    wait_for_results(qtbot, w, 1)
    w.toggle_play()
    assert w.capture.paused
    w.record_action.setChecked(True)
    w.toggle_record()
    assert not w.capture.paused and w.play_action.text() == "Pause"
    qtbot.waitUntil(lambda: w.worker.recording)
    wait_for_results(qtbot, w, 2)
    w.record_action.setChecked(False)
    w.toggle_record()
    qtbot.waitUntil(lambda: not w.worker.recording)


def test_a_click_on_the_seek_bar_jumps_to_the_point_clicked(qtbot):
    bar = SeekBar()
    bar.setRange(0, 200)
    bar.resize(420, 24)
    qtbot.addWidget(bar)
    bar.show()
    got = []
    bar.chosen.connect(got.append)
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=QPoint(int(0.75 * bar.width()), bar.height() // 2))
    assert got and got[-1] == bar.value() and abs(bar.value() - 150) <= 8  # not one page step from 0
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=QPoint(2, bar.height() // 2))
    assert bar.value() == 0


@pytest.mark.parametrize("control", ["quality", "roi", "threshold", "plot_window"])
def test_space_plays_and_pauses_from_any_settings_control(qtbot, window, pan_zoom_clip, control):  # noqa: F811
    w = window()
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow)
    w.open(pan_zoom_clip.path)
    wait_for_results(qtbot, w, 1)
    widget = getattr(w.panel, control)
    widget.setFocus()
    qtbot.waitUntil(widget.hasFocus)
    before = (widget.currentIndex() if hasattr(widget, "currentIndex") else widget.value())
    qtbot.keyClick(widget, Qt.Key.Key_Space)
    assert w.capture.paused and w.play_action.text() == "Play"
    qtbot.keyClick(widget, Qt.Key.Key_Space)
    assert not w.capture.paused
    assert (widget.currentIndex() if hasattr(widget, "currentIndex") else widget.value()) == before


@pytest.mark.parametrize("choice", ["cancel", "discard", "finish"])
def test_closing_mid_recording_asks_finish_discard_or_cancel(qtbot, window, tmp_path, pan_zoom_clip,  # noqa: F811
                                                             choice):
    w = window()
    w._close_choice = lambda: choice
    recording(qtbot, w, pan_zoom_clip.path)
    w.close()
    made = sorted(p.suffix for p in (tmp_path / "out").glob("recording-*"))
    if choice == "cancel":
        assert w.isVisible() and w.worker.recording and not made
        w._close_choice = lambda: "discard"
        w.close()
        made = sorted(p.suffix for p in (tmp_path / "out").glob("recording-*"))
    if choice in ("cancel", "discard"):
        assert made == [] and not list((tmp_path / "out").glob(".*partial*"))
    else:
        assert ".csv" in made and ".json" in made


def test_at_the_smallest_window_the_main_actions_and_the_plots_stay_in_view(qtbot, window):  # noqa: F811
    """Issue 35, item 15: the settings scroll rather than squeeze the plots to their axes, and
    Record, Report, Who walks and Calibrate stay on the toolbar (not behind its "››")."""
    w = window()
    w.resize(w.minimumSize())
    qtbot.wait(200)
    for action in (w.play_action, w.record_action, w.report_action):
        assert w.toolbar.widgetForAction(action).isVisible(), action.text()
    shown = [w.toolbar.widgetForAction(a) for a in w.toolbar.actions() if a.text() in ("Who walks", "Calibrate…")]
    assert len(shown) == 2 and all(x.isVisible() for x in shown)
    assert w.plots.width() >= 150 and w.view.width() >= 320
