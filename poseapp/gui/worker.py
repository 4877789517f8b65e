"""The inference thread: takes the newest frame from the slot, analyses it, emits the result.

Settings changes (variant, device, localisation, smoothing) are requests applied between two
frames; loading a model happens here, never in the GUI thread. Each frame comes with the capture's
epoch; when it changes (a new source, a seek) tracking and smoothing start afresh on that frame.
A model that cannot load leaves the previous one running. Recording happens here too, so the GUI
thread never writes files.
"""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QThread, Signal

from poseapp.errors import MissingWeightsError, PoseappError
from poseapp.pipeline import LatestSlot, LiveAnalyser, LiveRecorder, LiveSettings, RateMeter


class InferenceWorker(QThread):
    result = Signal(object)  # LiveResult
    loading = Signal(str)  # a message while a model loads
    loaded = Signal(str, str)  # model, device
    failed = Signal(str)  # a message; the worker goes on with what it had
    configured = Signal()  # new settings are in force (a model that had to load has loaded)
    recorded = Signal(str)  # path of a finished recording
    weights_missing = Signal(str)  # a model whose weights cannot be had here (``MissingWeightsError``)
    download = Signal(str, int, int)  # model, bytes done, bytes in all (0: unknown)

    def __init__(self, slot: LatestSlot, settings: LiveSettings, engine_factory=None,
                 ready: threading.Event | None = None, parent=None) -> None:
        super().__init__(parent)
        self.slot = slot
        self.ready = ready or threading.Event()  # set while a model is loaded and running
        self.analyser = LiveAnalyser(settings, engine_factory)
        self.rate = RateMeter()
        self.processed = 0
        self._lock = threading.Lock()
        self._pending: LiveSettings | None = settings
        self._epoch: int | None = None
        self._pick: tuple[float, float] | None = None
        self._stop = False
        self._cancel = threading.Event()
        self._recorder: LiveRecorder | None = None
        self._record_request: tuple[dict, Path | None, bool, float, tuple[str, ...]] | None = None

    def apply(self, settings: LiveSettings) -> None:
        with self._lock:
            self._pending = settings

    def cancel_download(self) -> None:
        """Stop a weights download in progress; the previous model keeps running."""
        self._cancel.set()

    def pick(self, x: float, y: float) -> None:
        """Follow the person at or nearest frame pixel (x, y) from the next frame on."""
        with self._lock:
            self._pick = (x, y)

    def start_recording(self, path: Path, source: dict, video: bool = False, fps: float = 30.0,
                        formats: tuple[str, ...] = ("csv", "json")) -> None:
        """Record from the next result on; ``source`` describes what is recorded (name, path, fps,
        frames) for the JSON; ``video`` also writes the annotated frames at ``fps``; ``formats``
        are the result files (``poseapp.outputs``)."""
        with self._lock:
            self._record_request = (source, Path(path), video, fps, formats)

    def stop_recording(self) -> None:
        with self._lock:
            self._record_request = ({}, None, False, 0.0, ())

    @property
    def recording(self) -> bool:
        return self._recorder is not None

    def stop(self) -> None:
        with self._lock:
            self._stop = True
        self.slot.close()
        self.wait()
        self._finish_recording()

    def _configure(self, settings: LiveSettings) -> None:
        old = (self.analyser.settings, self.analyser.engine, self.analyser.localiser)
        if not self.analyser.configure(settings):
            self.configured.emit()
            return
        self.loading.emit(f"loading {settings.model} on {settings.device}…")
        self.ready.clear()

        def progress(done: int, total: int | None) -> bool:
            self.download.emit(settings.model, done, total or 0)
            return not self._cancel.is_set()

        try:
            self.analyser.load(progress)
        except Exception as exc:  # a model that cannot load must not end the thread: keep the old one
            self.analyser.settings, self.analyser.engine, self.analyser.localiser = old
            text = str(exc) if isinstance(exc, PoseappError) else f"cannot load {settings.model}: {exc!r}"
            (self.weights_missing if isinstance(exc, MissingWeightsError) else self.failed).emit(text)
            return
        finally:
            if self.analyser.engine is not None:
                self.ready.set()
            self._cancel.clear()
            self.download.emit(settings.model, -1, -1)  # over, whichever way it went
        self.loaded.emit(self.analyser.engine.model, self.analyser.engine.backend.device)
        self.configured.emit()

    def _take_pick(self) -> None:
        """Apply a pending click (``pick``) to the analyser."""
        with self._lock:
            pick, self._pick = self._pick, None
        if pick is not None:
            self.analyser.pick(*pick)

    def _finish_recording(self) -> None:
        if self._recorder is not None:
            path = self._recorder.stop()
            self._recorder = None
            self.recorded.emit(str(path))

    def _handle_recording(self) -> None:
        with self._lock:
            request, self._record_request = self._record_request, None
        if request is None:
            return
        self._finish_recording()
        source, path, video, fps, formats = request
        if path is not None:
            try:
                self._recorder = LiveRecorder(path, self.analyser.settings, source, video=video, fps=fps,
                                              formats=formats)
            except OSError as exc:
                self.failed.emit(f"cannot record to {path}: {exc.strerror}")

    def run(self) -> None:
        while True:
            with self._lock:
                if self._stop:
                    return
                pending, self._pending = self._pending, None
            if pending is not None:
                self._configure(pending)
            self._take_pick()
            self._handle_recording()
            item = self.slot.get(timeout=0.05)
            if item is None or self.analyser.engine is None:
                continue
            frame, captured_at, epoch = item
            if epoch != self._epoch:  # a new source or a seek: start afresh on this frame
                self.analyser.reset()
                self._epoch = epoch
                self._take_pick()  # a click's refresh may bring its frame before the loop saw the click
            try:
                res = self.analyser.analyse(frame, captured_at)
                res.epoch = epoch
            except Exception as exc:  # one bad frame is a message, not the end of the worker
                self.failed.emit(str(exc) if isinstance(exc, PoseappError) else f"frame {frame.index}: {exc!r}")
                continue
            if self._recorder is not None:
                self._recorder.add(res)
            self.processed += 1
            self.rate.tick()
            self.result.emit(res)
