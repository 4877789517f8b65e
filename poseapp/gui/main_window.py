"""The main window: wires sources, the capture thread, the inference worker, view, plots and settings.

Frames go capture thread -> LatestSlot -> inference worker -> ``result`` signal -> this window,
which only draws. Nothing here runs the model or writes files itself (a finished recording's
gait files come from ``poseapp.gait.gait_files``).
"""

from __future__ import annotations

import threading
import time
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer, Slot
from PySide6.QtGui import QAction, QFontDatabase, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDockWidget,
    QFileDialog,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QProgressDialog,
    QScrollArea,
    QSplitter,
    QToolBar,
    QToolButton,
)

from poseapp.calibration import from_line, parse_scale_line
from poseapp.draw import legend_text
from poseapp.errors import PoseappError
from poseapp.gait import summary_lines
from poseapp.gui.about import icon_path, show_about
from poseapp.gui.angle_plots import AnglePlots
from poseapp.gui.capture import CaptureThread
from poseapp.gui.report_pdf import write_report
from poseapp.gui.seek_bar import SeekBar
from poseapp.gui.settings_panel import SettingsPanel
from poseapp.gui.shortcuts import WindowKeys
from poseapp.gui.video_view import VideoView, overlay
from poseapp.gui.worker import InferenceWorker
from poseapp.io.sources import IMAGE_SUFFIXES, camera_names, open_source
from poseapp.io.video import VIDEO_SUFFIXES
from poseapp.pipeline import LatestSlot, LiveResult, RecordingGait
from poseapp.report import build_report


def user_folder() -> Path:
    """Where recordings and snapshots go by default: the user's documents, never the install folder."""
    from platformdirs import user_documents_dir

    return Path(user_documents_dir()) / "poseapp"


#: Frames as read are shown once the last analysed frame is this old (s): a slow model's poses
#: are not painted over at the camera's rate, and a source never waits for its first pose.
RAW_AFTER_S = 1.0


class MainWindow(QMainWindow):
    def __init__(self, store: QSettings | None = None, engine_factory=None, output_dir: Path | None = None) -> None:
        super().__init__()
        self.setWindowTitle("poseapp")
        if icon_path() is not None:
            self.setWindowIcon(QIcon(str(icon_path())))
        self.resize(1280, 760)
        self.setAcceptDrops(True)
        self.store = store or QSettings("poseapp", "poseapp")
        self.output_dir = output_dir or user_folder()
        self.panel = SettingsPanel(self.store)
        self.view = VideoView()
        self.plots = AnglePlots()
        split = QSplitter()
        split.addWidget(self.view)
        split.addWidget(self.plots)
        split.setSizes([860, 420])
        self.setCentralWidget(split)
        dock = QDockWidget("Settings", self)
        scroll = QScrollArea()  # a small window scrolls the settings before it squeezes the video and plots
        scroll.setWidget(self.panel)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        scroll.setMinimumWidth(200)
        dock.setWidget(scroll)
        self.settings_dock = dock
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
        self.recording_text = QPlainTextEdit()
        self.recording_text.setReadOnly(True)
        self.recording_text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.recording_dock = QDockWidget("Recording", self)
        self.recording_dock.setWidget(self.recording_text)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.recording_dock)
        self.recording_dock.hide()
        self._line_points: list[tuple[float, float]] | None = None
        self.last_recording: Path | None = None

        self.slot: LatestSlot = LatestSlot()
        ready = threading.Event()
        self.capture = CaptureThread(self.slot, ready, self)
        self.worker = InferenceWorker(self.slot, self.panel.settings(), engine_factory, ready, self)
        self.last_result: LiveResult | None = None
        self.source_name = ""
        self.source_fps = 30.0
        self.source_info: dict = {}
        self.source_epoch = 0
        self._result_at = 0.0  # when the last analysed frame was shown (perf_counter)
        self.raw_frames_shown = 0  # frames shown as read, before or between analysed ones
        self.latency_ms = 0.0
        self._build_toolbar()
        self._build_status()
        # the smallest window holds the whole toolbar (no action behind its "››"), the video and the plots
        self.setMinimumSize(max(900, self.toolbar.sizeHint().width() + 16), 600)
        self._keys = WindowKeys(self)
        QApplication.instance().installEventFilter(self._keys)
        self._controls(None)

        self.capture.opened.connect(self._opened)
        self.capture.position.connect(self._position)
        self.capture.ended.connect(self._ended)
        self.worker.result.connect(self.show_result)
        self.capture.frame_read.connect(self.show_frame)
        self.worker.loading.connect(self._loading)
        self.worker.loaded.connect(self._loaded)
        self.worker.configured.connect(self.capture.refresh)
        self.worker.failed.connect(self._failed)
        self.worker.weights_missing.connect(self._weights_missing)
        self.worker.recorded.connect(self._recorded)
        self.worker.download.connect(self._download_progress)
        self.worker.imported.connect(self._imported)
        self.worker.trained_imported.connect(self._trained_imported)
        self.worker.saved.connect(lambda path: self.message(f"snapshot saved: {path}"))
        self.worker.walker_found.connect(self._walker_found)
        self.worker.walker_progress.connect(self._walker_progress)
        self.download_dialog: QProgressDialog | None = None
        self.walker_dialog: QProgressDialog | None = None
        self.panel.changed.connect(self._settings_changed)
        self.view.clicked.connect(self.pick_person)
        self.panel.view_changed.connect(self._view_changed)
        self.panel.view_changed.connect(self._show_calibration)
        self._view_changed()
        self._show_calibration()
        if self.panel.bad_settings:
            self.message("some saved settings were damaged and are back to their defaults: "
                         + ", ".join(self.panel.bad_settings))
        self.capture.start()
        self.worker.start()
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._update_status)
        self._timer.start(500)

    # building
    def _build_toolbar(self) -> None:
        bar = QToolBar("Source")
        self.addToolBar(bar)
        self.cameras = QComboBox()
        self.cameras.addItem("Camera…", None)
        for index, name in camera_names():
            self.cameras.addItem(f"{index}: {name}", index)
        self.cameras.activated.connect(self._camera_chosen)
        bar.addWidget(self.cameras)
        self._add(bar, "Open video…", self.choose_video, QKeySequence.StandardKey.Open)
        self._add(bar, "Open image…", self.choose_image, "Ctrl+Shift+O")
        bar.addSeparator()
        self.play_action = self._add(bar, "Play", self.toggle_play, "Space", tip="Play or pause")
        self.step_action = self._add(bar, "Step", self.capture.step, "Right")
        self.seek = SeekBar()
        self.seek.setMinimumWidth(200)
        self.seek.setEnabled(False)
        self.seek.chosen.connect(self._seek_to)
        bar.addWidget(self.seek)
        bar.addSeparator()
        self.record_action = self._add(bar, "Record", self.toggle_record, "Ctrl+R")
        self.record_action.setCheckable(True)
        self._add(bar, "Snapshot", self.snapshot, "Ctrl+S")
        self.report_action = self._add(bar, "Report", lambda: self.make_report(), "Ctrl+P",
                                       tip="A PDF and HTML report of the last recording, beside it")
        self.report_action.setEnabled(False)
        self._add(bar, "Who walks", self.find_walker, "Ctrl+G",
                  tip="Look through the video for the person walking across it, then follow them from where "
                      "they come in (for gait; a click on a person follows them instead)")
        self._add(bar, "Calibrate…", self.start_scale_line, "Ctrl+L",
                  tip="Click two points a known distance apart on the video (pause first), then give the distance")
        bar.addSeparator()
        more = QToolButton()  # the rarely used actions in one menu: the main ones stay in view in a small window
        more.setText("More")
        more.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(more)
        menu.addAction("Import trained model…", self.choose_trained_model)
        menu.addAction("About", lambda: show_about(self))
        more.setMenu(menu)
        bar.addWidget(more)
        self.seek.setMinimumWidth(120)
        self.toolbar = bar

    def _add(self, bar: QToolBar, text: str, slot, key: str | QKeySequence.StandardKey,
             tip: str | None = None) -> QAction:
        """A toolbar action with a keyboard shortcut, named in its tooltip (Space plays and pauses,
        as in video players)."""
        action = bar.addAction(text, slot)
        action.setShortcut(QKeySequence(key))
        action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)  # also from the docks and dialogs
        keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        action.setToolTip(f"{tip or text.rstrip('…')} ({keys})")
        return action

    def _build_status(self) -> None:
        self.status_rates = QLabel()
        self.status_model = QLabel()
        self.statusBar().addPermanentWidget(self.status_rates)
        self.statusBar().addPermanentWidget(self.status_model)

    def message(self, text: str) -> None:
        self.statusBar().showMessage(text, 8000)

    # sources
    def open(self, spec: str | int | Path) -> bool:
        """Open a camera index or a file; a bad one is a message, the app keeps running."""
        try:
            source = open_source(spec)
        except PoseappError as exc:
            self.message(str(exc))
            return False
        self.plots.clear()
        self.last_result = None
        self.source_info = {"name": source.name, "path": str(getattr(source, "path", "")) or None,
                            "fps": source.fps, "frame_count": source.frame_count, "live": source.live}
        self.worker.forget_walker()
        self.view.clear(f"opening {source.name}…")  # the old picture never stays under the new name
        self.capture.open(source)
        self.source_epoch = self.capture.epoch
        self._controls(self.source_info)
        return True

    def _controls(self, info: dict | None) -> None:
        """Controls as the source allows: nothing open, only opening is possible; a still image is
        analysed once (no play, step or seek); a video or a camera plays (Pause shown while it does)."""
        moving = bool(info) and (info.get("live") or (info.get("frame_count") or 0) != 1)
        self.play_action.setEnabled(moving)
        self.step_action.setEnabled(moving and not info.get("live"))
        self.play_action.setText("Pause" if moving else "Play")
        self.record_action.setEnabled(bool(info))
        if not moving:
            self.seek.setEnabled(False)

    def open_image(self, path: Path) -> bool:
        return self.open(Path(path))

    def choose_video(self) -> None:
        pattern = " ".join(f"*{s}" for s in VIDEO_SUFFIXES)
        path, _ = QFileDialog.getOpenFileName(self, "Open video", "", f"Videos ({pattern})")
        if path:
            self.open(Path(path))

    def choose_image(self) -> None:
        pattern = " ".join(f"*{s}" for s in IMAGE_SUFFIXES)
        path, _ = QFileDialog.getOpenFileName(self, "Open image", "", f"Images ({pattern})")
        if path:
            self.open(Path(path))

    def _camera_chosen(self, i: int) -> None:
        index = self.cameras.itemData(i)
        if index is not None:
            self.open(int(index))

    def dragEnterEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        urls = [u for u in event.mimeData().urls() if u.isLocalFile()]
        if urls:
            self.open(Path(urls[0].toLocalFile()))

    @Slot(str, int, float)
    def _opened(self, name: str, frames: int, fps: float) -> None:
        self.source_name = name
        self.source_fps = fps if fps > 0 else 30.0
        self.seek.setEnabled(frames > 1)
        self.seek.setRange(0, max(frames - 1, 0))
        self.message(f"playing {name}" + (f" ({frames} frames, {fps:.0f} fps)" if frames > 1 else ""))

    @Slot(int)
    def _position(self, index: int) -> None:
        if not self.seek.isSliderDown():
            self.seek.setValue(index)

    @Slot(str, int)
    def _ended(self, why: str, last: int) -> None:
        """The end of a file is a state, not a dead end: Play starts again, seek and step work."""
        self.play_action.setText("Play")
        if self.capture.at_end and self.seek.isEnabled():
            self.seek.setMaximum(max(last, 0))  # a container may declare more frames than it holds
            self.seek.setValue(self.seek.maximum())
            why += f" (frame {last + 1}): Play starts again from the beginning; seek or step back"
        elif self.capture.at_end and self.source_info.get("frame_count") == 1:
            why = f"{self.source_name} analysed"
        self.message(why)

    def toggle_play(self) -> None:
        if self.capture.source is None:
            self.message("nothing to play: open a camera, a video or an image")
            return
        if self.capture.at_end:
            self.capture.restart()
            self.play_action.setText("Pause")
            return
        paused = not self.capture.paused
        self.capture.set_paused(paused)
        self.play_action.setText("Play" if paused else "Pause")

    def _seek_to(self, index: int) -> None:
        self.capture.seek(index)

    @Slot(float, float)
    def pick_person(self, x: float, y: float) -> None:
        """A click on the video: follow the person there (the frame on screen is analysed again
        when paused), or, while calibrating, one end of the known distance."""
        if self._line_points is not None:
            self._line_point(x, y)
            return
        self.worker.pick(x, y)
        self.capture.refresh()
        self.message("following the person you clicked; click another person to switch")

    def find_walker(self) -> None:
        """Pause, and have the worker look through the open video for who walks across it
        (``walker_found`` then seeks to where they come in and follows them)."""
        info = self.source_info
        if self.capture.source is None or info.get("live", True) or not info.get("path") \
                or (info.get("frame_count") or 0) <= 1:
            self.message("open a video file first: who walks is found by looking through it")
            return
        if self.walker_dialog is not None:
            return
        self.capture.set_paused(True)
        self.play_action.setText("Play")
        self.message(f"looking through {self.source_name} for who walks…")
        self.walker_dialog = QProgressDialog(f"Looking through {self.source_name} for who walks…", "Cancel", 0, 0,
                                             self)
        self.walker_dialog.setWindowTitle("Who walks")
        self.walker_dialog.setMinimumDuration(0)
        self.walker_dialog.canceled.connect(self._cancel_walker)
        self.walker_dialog.show()
        self.worker.find_walker(Path(info["path"]))

    @Slot(float, float)
    def _walker_progress(self, done_s: float, length_s: float) -> None:
        if self.walker_dialog is None:
            return
        self.walker_dialog.setMaximum(1000 if length_s > 0 else 0)
        if length_s > 0:
            self.walker_dialog.setValue(min(1000, int(1000 * done_s / length_s)))
        of = f" of {length_s:.1f}" if length_s > 0 else ""
        self.walker_dialog.setLabelText(f"Looking through {self.source_name} for who walks… {done_s:.1f}{of} s")

    def _cancel_walker(self) -> None:
        self.worker.cancel_walker()
        self._close_walker_dialog()
        self.message("stopped looking for who walks: click on the person to follow")

    def _close_walker_dialog(self) -> None:
        if self.walker_dialog is not None:
            self.walker_dialog.canceled.disconnect()  # closing emits canceled: not a user's cancel
            self.walker_dialog.close()
            self.walker_dialog = None

    @Slot(str, object)
    def _walker_found(self, path: str, walker) -> None:
        self._close_walker_dialog()
        if path != self.source_info.get("path"):  # another source was opened meanwhile
            self.worker.forget_walker()
            return
        if walker is None:
            self.message("nobody was seen walking across the video for a second: click on the person to follow")
            return
        self.capture.seek(walker.index)
        self.message(f"following who walks: in view from {walker.time_s:.1f} s (frame {walker.index + 1}); "
                     "Play, or Record for the gait")

    # results
    @Slot(object, int)
    def show_frame(self, frame, epoch: int) -> None:
        """A frame as the capture read it, shown while no analysed frame of its epoch is on screen
        or the last one is over ``RAW_AFTER_S`` old: the view never stays blank or on the previous
        source while a model loads, the detector looks, or a slow model catches up."""
        if epoch < self.source_epoch:
            return
        shown = self.last_result
        if shown is not None and shown.epoch == epoch and time.perf_counter() - self._result_at < RAW_AFTER_S:
            return
        self.view.mirrored = self.panel.mirror.isChecked()
        self.view.show_rgb(frame.rgb[:, ::-1] if self.view.mirrored else frame.rgb)
        self.raw_frames_shown += 1

    @Slot(object)
    def show_result(self, result: LiveResult) -> None:
        if result.epoch < self.source_epoch:
            return  # a frame of a source that has since been closed
        self.last_result = result
        self._result_at = time.perf_counter()
        self.latency_ms = 1000 * (time.perf_counter() - result.captured_at)
        labels = self.panel.chosen_angles() if self.panel.labels.isChecked() else ()
        self.view.mirrored = self.panel.mirror.isChecked()
        self.view.show_rgb(overlay(result, self.panel.threshold.value(), labels, self.view.mirrored))
        self.plots.add(result.frame.time_s, result.angles)

    def _update_status(self) -> None:
        cap, inf = self.capture.rate.rate(), self.worker.rate.rate()
        self.status_rates.setText(f"capture {cap:.1f} fps | inference {inf:.1f} fps | latency {self.latency_ms:.0f} ms"
                                  f" | dropped {self.slot.dropped} | {legend_text(self.panel.threshold.value())}")
        playing = self.capture.source is not None and not (self.capture.paused or self.capture.at_end)
        if self.last_result is not None and inf > 0 and playing:  # a paused or ended file's rate decays to 0
            self.panel.record_rate(self.last_result.model, inf)

    @Slot(str)
    def _loading(self, text: str) -> None:
        self.status_model.setText(text)
        self.message(text)

    @Slot(str, str)
    def _loaded(self, model: str, device: str) -> None:
        self.status_model.setText(f"{model} on {device}")
        self.message(f"{model} ready on {device}")

    @Slot(str, int, int)
    def _download_progress(self, model: str, done: int, total: int) -> None:
        """A progress dialog with Cancel while a model's weights download; gone when it ends."""
        if done < 0:
            if self.download_dialog is not None:
                self.download_dialog.canceled.disconnect()  # closing emits canceled: not a user's cancel
                self.download_dialog.close()
                self.download_dialog = None
            return
        if self.download_dialog is None:
            self.download_dialog = QProgressDialog(f"Downloading the {model} weights…", "Cancel", 0, 100, self)
            self.download_dialog.setWindowTitle("Model weights")
            self.download_dialog.setMinimumDuration(0)
            self.download_dialog.canceled.connect(self.worker.cancel_download)
        self.download_dialog.setMaximum(100 if total > 0 else 0)
        if total > 0:
            self.download_dialog.setValue(min(100, int(100 * done / total)))
        self.download_dialog.setLabelText(f"Downloading the {model} weights… {done / 1e6:.1f} MB")

    def _still(self) -> str:
        current = self.worker.analyser.engine
        return f" Still running {current.model}." if current is not None else ""

    @Slot(str)
    def _failed(self, text: str) -> None:
        self._close_walker_dialog()  # a look-through that failed (an unreadable file) ends here too
        self.message(text + self._still())

    @Slot(str)
    def _weights_missing(self, text: str) -> None:
        """A model without weights here: say so in plain words (the technical reason behind "Show
        Details"), and offer to import a folder of the model files."""
        current = self.worker.analyser.engine
        self.status_model.setText(f"{current.model} on {current.backend.device}" if current else "no model")
        if text.endswith("cancelled"):  # the user's own Cancel: nothing to explain or offer
            self.message("download cancelled." + self._still())
            return
        plain = ("The model's weights are not on this computer, and they could not be downloaded (no internet "
                 "connection?)." + self._still())
        self.message(plain)
        if not self.property("quiet"):
            self._offer_import(plain, text)

    def _offer_import(self, plain: str, details: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Warning, "Model weights", plain, parent=self)
        box.setInformativeText("Import them from a folder holding the EfficientPose model files (copied from "
                               "another computer or a USB stick), or connect to the internet and choose the "
                               "model again.")
        box.setDetailedText(details)
        import_button = box.addButton("Import from folder…", QMessageBox.ButtonRole.ActionRole)
        box.addButton(QMessageBox.StandardButton.Close)
        box.exec()
        if box.clickedButton() is import_button:
            folder = QFileDialog.getExistingDirectory(self, "Folder with upstream model files")
            if folder:
                self.message(f"importing the model files in {folder}…")
                self.worker.import_folder(Path(folder))

    @Slot(list)
    def _imported(self, done: list) -> None:
        self.message("imported: " + (", ".join(done) or "nothing: no upstream model file there"))
        if done:
            self.worker.apply(self.panel.settings())

    def choose_trained_model(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Trained checkpoint (poseapp train)", "",
                                              "Checkpoints (*.safetensors)")
        if path:
            self.import_trained_model(Path(path))

    def import_trained_model(self, path: Path, name: str | None = None) -> None:
        """Add a ``poseapp train`` checkpoint to the model list and switch to it (done by the worker:
        ``_trained_imported``); a bad file is a message."""
        self.message(f"importing {path}…")
        self.worker.import_trained(path, name)

    @Slot(str)
    def _trained_imported(self, name: str) -> None:
        self.panel.reload_models(select=name)
        self.message(f"imported trained model {name}")

    # settings
    @Slot(object)
    def _settings_changed(self, settings) -> None:
        self.worker.apply(settings)

    def _view_changed(self) -> None:
        self.plots.set_angles(self.panel.chosen_angles(), self.panel.bands.isChecked(), self.panel.plot_window.value())

    # calibration and gait
    def start_scale_line(self) -> None:
        """The next two clicks on the video are the ends of a known distance."""
        self._line_points = []
        self.message("calibrate: click one end of a known distance on the video (a floor tape, a walkway)")

    def _line_point(self, x: float, y: float) -> None:
        self._line_points.append((x, y))
        self.view.set_marks(self._line_points)  # each end drawn on the video as it is clicked
        if len(self._line_points) < 2:
            self.message("calibrate: first end marked; click the other end")
            return
        (x1, y1), (x2, y2) = self._line_points
        self._line_points = None
        metres, ok = QInputDialog.getDouble(self, "Calibrate", "Distance between the two points (metres):",
                                            1.0, 0.0, 1000.0, 3)
        if not ok:
            self.message("calibration cancelled")
            self._show_calibration()
            return
        line = f"{x1:.1f},{y1:.1f},{x2:.1f},{y2:.1f},{metres:g}"
        try:
            cal = from_line(line)
        except PoseappError as exc:
            self.message(f"calibration not kept: {exc}")
            self._show_calibration()
            return
        self.store.setValue("scale_line", line)
        self.message(f"calibration: {cal.describe()}")
        self._show_calibration()

    def _show_calibration(self) -> None:
        """The calibration in use, drawn and named: the scale line (it wins over the height) stays on
        the video with its length, and the settings panel says which one a recording will use."""
        line = self.scale_line()
        if line:
            x1, y1, x2, y2, metres = parse_scale_line(line)
            self.view.set_marks([(x1, y1), (x2, y2)], f"{metres:g} m")
            self.panel.calibration_note.setText(f"in use: the line of {metres:g} m drawn on the video"
                                                + (" (not the height)" if self.panel.height() else ""))
        else:
            self.view.set_marks([])
            self.panel.calibration_note.setText("in use: the subject's height" if self.panel.height()
                                                else "none: lengths in pixels")

    def scale_line(self) -> str | None:
        line = self.store.value("scale_line")
        return str(line) if line else None

    def make_report(self, subject: str | None = None) -> Path | None:
        """The last recording's report (``poseapp.report``) as ``<recording>_report.pdf`` and ``.html``;
        the subject's name is asked for (it goes into the report only)."""
        if self.last_recording is None:
            self.message("record something first: the report is of the last recording")
            return None
        if subject is None:
            subject, ok = QInputDialog.getText(self, "Report", "Subject (name or code; printed in the report only):")
            if not ok:
                return None
        result = self.last_recording.with_suffix(".json")
        out = result.with_name(result.stem + "_report.pdf")
        try:
            report = build_report(result, subject={"name": subject})
            pages, _ = write_report(report, out)
        except (PoseappError, OSError) as exc:
            self.message(f"no report: {exc}")
            return None
        self.message(f"report written: {out.name} ({pages} pages; Recording panel)")
        self.recording_text.appendPlainText(f"\nreport: {out} ({pages} pages)\n        {out.with_suffix('.html')}")
        self.recording_dock.show()
        if not self.property("quiet"):
            self._offer_open(out)
        return out

    def _offer_open(self, path: Path) -> None:
        """A finished file, with a button that opens it in the system's viewer."""
        from PySide6.QtCore import QUrl
        from PySide6.QtGui import QDesktopServices

        box = QMessageBox(QMessageBox.Icon.Information, "Report", f"The report is written:\n{path}", parent=self)
        open_button = box.addButton("Open", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Close)
        box.exec()
        if box.clickedButton() is open_button:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))

    @Slot(str, object)
    def _recorded(self, path: str, gait: RecordingGait) -> None:
        """A finished recording, measured by the worker, in the Recording panel: its calibration,
        its gait parameters when it holds a walk, else why not, and the files written. The status
        bar, too narrow for all of it, says where the recording went."""
        self.last_recording = Path(path)
        self.report_action.setEnabled(True)
        cal = gait.calibration
        lines = [Path(path).name, f"calibration: {cal.describe()}; lengths in metres" if cal
                 else "not calibrated: lengths in pixels"]
        lines += summary_lines(gait.result) if gait.result is not None else []
        lines += [gait.problem] if gait.problem else []
        self.recording_text.setPlainText("\n".join(lines + ["", path, *map(str, gait.written)]))
        self.recording_dock.show()
        self.recording_dock.raise_()
        self.message(f"recording saved: {Path(path).name}; " + ("gait parameters" if gait.result is not None
                                                                 else "no gait parameters") + " (Recording panel)")

    # recording
    def toggle_record(self) -> None:
        if self.capture.source is None:
            self.record_action.setChecked(False)
            self.message("nothing to record: open a camera, a video or an image first")
            return
        if not self.record_action.isChecked():
            self.capture.lossless = False
            self.worker.stop_recording(self.panel.height(), self.scale_line())
            self.record_action.setChecked(False)
            self.record_action.setText("Record")
            return
        self.output_dir.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        path = self.output_dir / f"recording-{stamp}.csv"
        video = self.panel.record_video.isChecked()
        live = bool(self.source_info.get("live", True))
        self.capture.lossless = not live  # a file waits for the model: every frame is recorded
        self.worker.start_recording(path, self.source_info, video, self.source_fps, self.panel.record_formats(),
                                    self.panel.height(), self.scale_line())
        self.record_action.setText("Stop")
        if self.capture.at_end:  # Record records what plays: a finished file starts again
            self.capture.restart()
        elif self.capture.paused:
            self.capture.set_paused(False)
        if self.play_action.isEnabled():
            self.play_action.setText("Pause")
        self.statusBar().setToolTip(f"recording to {path}")  # the whole path, where the status bar is too narrow
        self.message(f"recording {path.name}" + ("" if live else " (every frame: playback follows the model's pace)"))

    def snapshot(self) -> Path | None:
        if self.view.last_image is None:
            self.message("nothing to snapshot yet")
            return None
        path = self.output_dir / f"snapshot-{datetime.now().strftime('%Y%m%d-%H%M%S-%f')}.png"
        self.worker.snapshot(self.view.last_image, path)  # written by the worker: ``saved`` says when
        return path

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        """A narrow window takes its width from the settings first (they scroll): the dock gets at
        most a third of it, the video and the plots the rest."""
        super().resizeEvent(event)
        if self.settings_dock.isVisible() and not self.settings_dock.isFloating():
            most = max(200, self.width() // 3)
            if self.settings_dock.width() > most:
                self.resizeDocks([self.settings_dock], [most], Qt.Orientation.Horizontal)

    def _close_choice(self) -> str:
        """Closing while recording: "finish" (complete and measure it), "discard" or "cancel"."""
        if self.property("quiet"):
            return "finish"
        box = QMessageBox(QMessageBox.Icon.Question, "Recording under way",
                          "A recording is under way. Finish it (its files completed and its gait measured), "
                          "or discard it?", parent=self)
        finish = box.addButton("Finish and measure", QMessageBox.ButtonRole.AcceptRole)
        discard = box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(finish)
        box.exec()
        return "finish" if box.clickedButton() is finish else "discard" if box.clickedButton() is discard else "cancel"

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        if self.worker.recording:
            choice = self._close_choice()
            if choice == "cancel":
                event.ignore()
                return
            if choice == "discard":
                self.worker.discard_recording()
            else:
                self.worker.stop_recording(self.panel.height(), self.scale_line())
        QApplication.instance().removeEventFilter(self._keys)
        self._timer.stop()
        self.panel.save()
        self.capture.stop()
        self.worker.stop()
        super().closeEvent(event)
