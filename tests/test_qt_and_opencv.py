"""OpenCV and PySide6 in one process, and a core that never imports Qt."""

from __future__ import annotations

import os

import cv2
import numpy as np

from tests.helpers import run_without


def test_opencv_and_pyside6_share_a_process(qtbot):
    from PySide6.QtGui import QImage
    from PySide6.QtWidgets import QLabel

    rgb = cv2.cvtColor(np.full((48, 64, 3), (10, 20, 30), np.uint8), cv2.COLOR_BGR2RGB)
    image = QImage(rgb.data, 64, 48, 3 * 64, QImage.Format.Format_RGB888).copy()
    label = QLabel()
    qtbot.addWidget(label)
    assert image.pixelColor(0, 0).red() == 30
    # the GUI build of opencv-python points Qt at its own plugins; the headless build must not
    assert "cv2" not in os.environ.get("QT_QPA_PLATFORM_PLUGIN_PATH", "")


def test_qt_binding_keeps_reference_counts(qtbot):
    """PySide6 6.12.0 released a reference to None (a void call) or True (an emit) that it never took:
    at the window's few hundred calls a second, None's count ran out within minutes and Python aborted."""
    import sys

    from PySide6.QtCore import QObject, Signal
    from PySide6.QtWidgets import QWidget

    class Emitter(QObject):
        fired = Signal(object)

    widget, emitter, got = QWidget(), Emitter(), []
    qtbot.addWidget(widget)
    emitter.fired.connect(got.append)
    calls = 2000
    none, true = sys.getrefcount(None), sys.getrefcount(True)
    for i in range(calls):
        widget.update()
        widget.setWindowTitle("poseapp")
        emitter.fired.emit(i)
    assert len(got) == calls
    assert sys.getrefcount(None) > none - calls // 2, "the Qt binding drops references to None (PySide6 6.12.0?)"
    assert sys.getrefcount(True) > true - calls // 2, "the Qt binding drops references to True (PySide6 6.12.0?)"


def test_every_module_outside_the_gui_imports_without_qt():
    """Every module of poseapp but poseapp.gui, found by walking the package (a new module is
    checked without being listed), imports with Qt and pyqtgraph blocked."""
    import pkgutil

    import poseapp

    core = [m.name for m in pkgutil.walk_packages(poseapp.__path__, "poseapp.")
            if not m.name.startswith("poseapp.gui") and m.name != "poseapp.__main__"]
    assert len(core) >= 50 and "poseapp.localise.track" in core and "poseapp.training.trainer" in core
    result = run_without(("PySide6", "shiboken6", "pyqtgraph"), "".join(f"import {m}\n" for m in core))
    assert result.returncode == 0, result.stderr
