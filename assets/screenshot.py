"""Takes assets/screenshot.png: the real window under Xvfb, playing the pan-and-zoom clip with overlay and plots;
with ``--end``, assets/screenshot-end.png: Sports2D's walking clip played to its end (the end-of-file state);
with ``--recording``, assets/screenshot-recording.png (Sports2D's walker picked by a click, everyone drawn with
their id, recording) and assets/screenshot-recorded.png (Stop: the Recording panel with her gait).

    xvfb-run -a -s "-screen 0 1400x860x24" python assets/screenshot.py [--end | --recording]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QEventLoop, QSettings, QTimer
from PySide6.QtWidgets import QApplication

from poseapp.gui.main_window import MainWindow
from poseapp.io.mpii import load_mpii
from poseapp.pan_zoom import build_clip

HERE = Path(__file__).resolve().parent
MPII = HERE.parents[1] / "shared" / "data" / "mmpose-samples" / "mpii"
WALK = HERE.parents[1] / "shared" / "data" / "sports2d-demo" / "demo.mp4"


def wait(seconds: float, until=lambda: False) -> None:
    """Let the window run for ``seconds`` (less once ``until()`` holds)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not until():
        loop = QEventLoop()
        QTimer.singleShot(100, loop.quit)
        loop.exec()


def recording(app: QApplication, tmp: Path) -> None:
    """Sports2D's clip from 2 s on: the walker clicked, everyone drawn by id, the subject's height
    given, Record; a picture while recording and one of the Recording panel after Stop."""
    store = QSettings(str(tmp / "s.ini"), QSettings.Format.IniFormat)
    store.setValue("angles", "left_knee_flexion,right_knee_flexion,left_hip_flexion,right_hip_flexion")
    store.setValue("people", "all")
    store.setValue("height_m", 1.65)
    window = MainWindow(store=store, output_dir=tmp)
    window.resize(1400, 820)
    window.move(0, 0)
    window.show()
    window.open(WALK)
    wait(60, lambda: window.last_result is not None)
    window.toggle_play()
    window.capture.seek(60)
    wait(30, lambda: window.last_result is not None and window.last_result.frame.index >= 60)
    window.pick_person(1390, 730)
    wait(2)
    window.record_action.setChecked(True)
    window.toggle_record()
    wait(60, lambda: window.last_result is not None and window.last_result.frame.index >= 150)
    app.primaryScreen().grabWindow(0).save(str(HERE / "screenshot-recording.png"))
    wait(120, lambda: window.capture.at_end)
    window.record_action.setChecked(False)
    window.toggle_record()
    wait(120, lambda: window.last_recording is not None)
    wait(1)
    app.primaryScreen().grabWindow(0).save(str(HERE / "screenshot-recorded.png"))
    window.close()


def main() -> int:
    end = "--end" in sys.argv[1:]
    app = QApplication(sys.argv[:1])
    with tempfile.TemporaryDirectory() as tmp:
        if "--recording" in sys.argv[1:]:
            recording(app, Path(tmp))
            return 0
        sample = next(s for s in load_mpii(MPII) if s.image.name == "051423444.jpg")
        clip = build_clip(sample, Path(tmp) / "walkaround.mp4", frames=300).path
        store = QSettings(str(Path(tmp) / "s.ini"), QSettings.Format.IniFormat)
        store.setValue("angles", "left_elbow_flexion,left_shoulder_elevation,left_knee_flexion,trunk_inclination")
        window = MainWindow(store=store, output_dir=Path(tmp))
        window.resize(1400, 820)
        window.move(0, 0)
        window.show()
        window.open(WALK if end else clip)
        deadline = time.monotonic() + (120 if end else 7)
        while time.monotonic() < deadline and not (end and window.capture.at_end):
            loop = QEventLoop()
            QTimer.singleShot(200, loop.quit)
            loop.exec()
        for _ in range(10):  # the last results and the end message reach the window
            loop = QEventLoop()
            QTimer.singleShot(100, loop.quit)
            loop.exec()
        app.primaryScreen().grabWindow(0).save(str(HERE / ("screenshot-end.png" if end else "screenshot.png")))
        window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
