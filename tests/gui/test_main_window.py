"""The first window, offscreen: open an image, the worker thread returns a pose."""

from __future__ import annotations

from poseapp.gui.main_window import MainWindow
from tests.conftest import UPSTREAM


def test_open_image_shows_pose_and_closes_cleanly(qtbot):
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.worker.finished, timeout=120_000):
        window.open_image(UPSTREAM / "MPII.jpg")
    assert window.last_pose is not None and window.last_pose.keypoints.shape == (16, 3)
    assert not window.view.pixmap().isNull()
    window.close()
    assert not window._thread.isRunning()


def test_unreadable_image_is_a_message(qtbot, tmp_path):
    window = MainWindow()
    qtbot.addWidget(window)
    bad = tmp_path / "x.jpg"
    bad.write_text("no")
    window.open_image(bad)
    assert "cannot read" in window.statusBar().currentMessage()
    window.close()
