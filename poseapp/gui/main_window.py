"""The main window, first cut: open an image, see the skeleton the chosen variant finds.

The model loads and runs in a worker thread; this module only wires widgets to the core.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QComboBox, QFileDialog, QLabel, QMainWindow, QPushButton, QToolBar

from poseapp.draw import draw_pose
from poseapp.errors import PoseappError
from poseapp.model.variants import VARIANTS


class PoseWorker(QObject):
    """Owns the engine in its thread; emits results and errors, never touches widgets."""

    finished = Signal(object, object)  # rgb, Pose
    failed = Signal(str)
    status = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self._engine = None
        self._localiser = None

    @Slot(str, object)
    def run(self, variant: str, rgb: np.ndarray) -> None:
        try:
            if self._engine is None or self._engine.variant.name != variant:
                self.status.emit(f"loading {variant}…")
                from poseapp.inference.engine import Engine
                from poseapp.inference.roi import make_localiser

                self._engine = Engine(variant)
                self._localiser = make_localiser("auto", self._engine)
            self.finished.emit(rgb, self._localiser.locate(self._engine, rgb))
        except PoseappError as exc:
            self.failed.emit(str(exc))


class MainWindow(QMainWindow):
    request = Signal(str, object)

    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle("poseapp")
        self.resize(900, 700)
        self.view = QLabel("Open an image to see its pose.", alignment=Qt.AlignmentFlag.AlignCenter)
        self.setCentralWidget(self.view)
        bar = QToolBar()
        self.addToolBar(bar)
        open_button = QPushButton("Open image…")
        open_button.clicked.connect(self.choose_image)
        bar.addWidget(open_button)
        self.variant = QComboBox()
        self.variant.addItems(list(VARIANTS))
        bar.addWidget(self.variant)
        self.last_pose = None
        self._thread = QThread(self)
        self.worker = PoseWorker()
        self.worker.moveToThread(self._thread)
        self.request.connect(self.worker.run)
        self.worker.finished.connect(self.show_pose)
        self.worker.failed.connect(lambda msg: self.statusBar().showMessage(msg))
        self.worker.status.connect(lambda msg: self.statusBar().showMessage(msg))
        self._thread.start()

    def choose_image(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open image", "", "Images (*.png *.jpg *.jpeg *.bmp)")
        if path:
            self.open_image(Path(path))

    def open_image(self, path: Path) -> None:
        from poseapp.io.images import read_rgb

        try:
            rgb = read_rgb(path)
        except PoseappError as exc:
            self.statusBar().showMessage(str(exc))
            return
        self.statusBar().showMessage(f"running {self.variant.currentText()} on {path.name}…")
        self.request.emit(self.variant.currentText(), rgb)

    @Slot(object, object)
    def show_pose(self, rgb: np.ndarray, pose) -> None:
        self.last_pose = pose
        drawn = np.ascontiguousarray(draw_pose(rgb, pose))
        h, w = drawn.shape[:2]
        image = QImage(drawn.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()
        self.view.setPixmap(QPixmap.fromImage(image).scaled(
            self.view.size(), Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation))
        self.statusBar().showMessage(f"{pose.variant}: mean joint score {pose.score:.2f}")

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        self._thread.quit()
        self._thread.wait()
        super().closeEvent(event)
