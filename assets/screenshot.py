"""Takes assets/screenshot.png: the real window under Xvfb, playing the pan-and-zoom clip with overlay and plots.

    xvfb-run -a -s "-screen 0 1400x860x24" python assets/screenshot.py
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
from poseapp.io.pan_zoom import build_clip

HERE = Path(__file__).resolve().parent
MPII = HERE.parents[1] / "shared" / "data" / "mmpose-samples" / "mpii"


def main() -> int:
    app = QApplication(sys.argv[:1])
    with tempfile.TemporaryDirectory() as tmp:
        sample = next(s for s in load_mpii(MPII) if s.image.name == "051423444.jpg")
        clip = build_clip(sample, Path(tmp) / "walkaround.mp4", frames=300).path
        store = QSettings(str(Path(tmp) / "s.ini"), QSettings.Format.IniFormat)
        store.setValue("angles", "left_elbow_flexion,left_shoulder_elevation,left_knee_flexion,trunk_inclination")
        window = MainWindow(store=store, output_dir=Path(tmp))
        window.resize(1400, 820)
        window.move(0, 0)
        window.show()
        window.open(clip)
        loop = QEventLoop()
        QTimer.singleShot(7000, loop.quit)
        loop.exec()
        time.sleep(0.2)
        app.processEvents()
        app.primaryScreen().grabWindow(0).save(str(HERE / "screenshot.png"))
        window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
