"""The inference thread: takes the newest frame from the slot, analyses it, emits the result.

Settings changes (model, device, localisation, smoothing), clicks, recordings, snapshots,
looking through a video for who walks and weight imports are commands run between two frames;
loading a model, writing files and converting weights happen here, never in the GUI thread.
Each frame comes with the capture's epoch; when it changes (a new source, a seek) tracking and
smoothing start afresh on that frame.
A model that cannot load leaves the previous one running. Recording happens here too, so the GUI
thread never writes files.
"""

from __future__ import annotations

import queue
import threading
from pathlib import Path

import numpy as np
from PySide6.QtCore import QThread, Signal

from poseapp.errors import MissingWeightsError, PoseappError
from poseapp.io.images import write_image
from poseapp.io.video import VideoReader
from poseapp.localise.walker import Walker
from poseapp.pipeline import LatestSlot, LiveAnalyser, LiveRecorder, LiveSettings, RateMeter


class InferenceWorker(QThread):
    """The window's one way in is a command queue (``apply``, ``pick``, recording, snapshots,
    imports): the user's actions, a few a second at most, run in order between two frames, only
    the newest settings and the newest click kept. Frames never queue: they come through the
    one-slot ``LatestSlot``. Cancelling a download is the exception, an event, since the loop is
    busy loading while it matters."""

    result = Signal(object)  # LiveResult
    loading = Signal(str)  # a message while a model loads
    loaded = Signal(str, str)  # model, device
    failed = Signal(str)  # a message; the worker goes on with what it had
    configured = Signal()  # new settings are in force (a model that had to load has loaded)
    recorded = Signal(str, object)  # path of a finished recording, its gait (``pipeline.RecordingGait``)
    weights_missing = Signal(str)  # a model whose weights cannot be had here (``MissingWeightsError``)
    download = Signal(str, int, int)  # model, bytes done, bytes in all (0: unknown)
    imported = Signal(list)  # the official models a folder import converted
    trained_imported = Signal(str)  # the name a trained checkpoint was imported under
    saved = Signal(str)  # a snapshot written
    walker_found = Signal(str, object)  # a video looked through, who walks in it (``localise.walker.Walker``) or None
    walker_progress = Signal(float, float)  # seconds of the video looked through, and its length (0: unknown)

    def __init__(self, slot: LatestSlot, settings: LiveSettings, engine_factory=None,
                 ready: threading.Event | None = None, parent=None) -> None:
        super().__init__(parent)
        self.slot = slot
        self.ready = ready or threading.Event()  # set while a model is loaded and running
        self.analyser = LiveAnalyser(settings, engine_factory)
        self.rate = RateMeter()
        self.processed = 0
        self._commands: queue.SimpleQueue[tuple[str, object]] = queue.SimpleQueue()
        self._commands.put(("configure", settings))
        self._epoch: int | None = None
        self._cancel = threading.Event()
        self._halt = threading.Event()  # set by ``stop``: a look-through under way ends early
        self._recorder: LiveRecorder | None = None
        self._walker: Walker | None = None  # found, to be followed from the frame they come in on
        self._looks = self._looks_cancelled = 0  # look-throughs asked for, and up to which one cancelled

    def apply(self, settings: LiveSettings) -> None:
        """Use ``settings`` from the next frame on (a new model loads here, not in the GUI thread)."""
        self._commands.put(("configure", settings))

    def cancel_download(self) -> None:
        """Stop a weights download in progress; the previous model keeps running."""
        self._cancel.set()

    def pick(self, x: float, y: float) -> None:
        """Follow the person at or nearest frame pixel (x, y) from the next frame on."""
        self._commands.put(("pick", (x, y)))

    def start_recording(self, path: Path, source: dict, video: bool = False, fps: float = 30.0,
                        formats: tuple[str, ...] = ("csv", "json"), height_m: float | None = None,
                        scale_line: str | None = None) -> None:
        """Record from the next result on; ``source`` describes what is recorded (name, path, fps,
        frames) for the JSON; ``video`` also writes the annotated frames at ``fps``; ``formats``
        are the result files (``poseapp.outputs``); the subject's height or a scale line calibrate
        the gait measured when it stops."""
        self._commands.put(("record", (source, Path(path), video, fps, formats, height_m, scale_line)))

    def stop_recording(self, height_m: float | None = None, scale_line: str | None = None) -> None:
        """Finish the recording, its gait measured here (calibrated as given now) and then
        announced by ``recorded``."""
        self._commands.put(("stop_recording", (height_m, scale_line)))

    def discard_recording(self) -> None:
        """End the recording without keeping it: its partial files are removed, nothing is measured."""
        self._commands.put(("discard_recording", None))

    def find_walker(self, path: Path) -> None:
        """Look through the video at ``path`` for who walks across it (``localise.walker``), then
        follow them from the frame they come in on (reached by a seek); ``walker_progress`` tells
        how far it got, ``walker_found`` whom."""
        self._looks += 1
        self._commands.put(("find_walker", (Path(path), self._looks)))

    def cancel_walker(self) -> None:
        """End the look-throughs asked for so far, begun or not; none of them sends ``walker_found``."""
        self._looks_cancelled = self._looks

    def forget_walker(self) -> None:
        """Drop a walker found but not yet followed (another source was opened)."""
        self._commands.put(("forget_walker", None))

    def snapshot(self, image: np.ndarray, path: Path) -> None:
        """Write ``image`` as a PNG at ``path`` (``saved`` says when; ``failed`` why not)."""
        self._commands.put(("snapshot", (image, Path(path))))

    def import_folder(self, folder: Path) -> None:
        """Convert the upstream model files in ``folder`` (``imported`` lists them)."""
        self._commands.put(("import_folder", Path(folder)))

    def import_trained(self, path: Path, name: str | None = None) -> None:
        """Add a ``poseapp train`` checkpoint to the model list (``trained_imported`` names it)."""
        self._commands.put(("import_trained", (Path(path), name)))

    @property
    def recording(self) -> bool:
        return self._recorder is not None

    def stop(self) -> None:
        """End the thread once its current frame is done; a recording under way is finished by it."""
        self._commands.put(("stop", None))
        self._halt.set()
        self.slot.close()
        self.wait()
        self._finish_recording()  # a thread that never ran

    def _run_commands(self) -> bool:
        """Everything the window asked since the last frame, in order (settings in a row: only the
        newest; the newest click after all). False when the window asked the worker to stop."""
        settings = click = None
        while True:
            try:
                kind, arg = self._commands.get_nowait()
            except queue.Empty:
                break
            if kind == "stop":
                return False
            if kind == "configure":
                settings = arg
            elif kind == "pick":
                click = arg
            else:
                if settings is not None:  # what was asked before this action is in force for it
                    self._configure(settings)
                    settings = None
                try:
                    self._action(kind, arg)
                except PoseappError as exc:
                    self.failed.emit(str(exc))
                except OSError as exc:
                    self.failed.emit(f"cannot write {exc.filename or ''}: {exc.strerror or exc}")
                except Exception as exc:  # a failing action is a message, never the end of the worker
                    self.failed.emit(f"{kind.replace('_', ' ')} failed: {exc!r}")
        if settings is not None:
            self._configure(settings)
        if click is not None:
            self.analyser.pick(*click)
        return True

    def _action(self, kind: str, arg) -> None:
        if kind == "record":
            self._handle_recording(arg)
        elif kind == "stop_recording":
            if self._recorder is not None:
                self._recorder.height_m, self._recorder.scale_line = arg
            self._finish_recording()
        elif kind == "discard_recording":
            if self._recorder is not None:
                recorder, self._recorder = self._recorder, None
                self.analyser.every_frame(False)
                recorder.discard()
        elif kind == "snapshot":
            image, path = arg
            path.parent.mkdir(parents=True, exist_ok=True)
            write_image(path, image)
            self.saved.emit(str(path))
        elif kind == "import_folder":
            from poseapp.weights.install import import_folder

            self.imported.emit(import_folder(arg))
        elif kind == "find_walker":
            self._find_walker(*arg)
        elif kind == "forget_walker":
            self._walker = None
        elif kind == "import_trained":
            from poseapp.weights.trained import import_checkpoint

            self.trained_imported.emit(import_checkpoint(*arg))

    def _find_walker(self, path: Path, number: int) -> None:
        """Look-through ``number``, here in the inference thread (seconds to minutes: frames wait in
        the slot; a cancel or closing the window ends it at the next frame looked at)."""
        from poseapp.localise.walker import walker_search

        self._walker = None
        if number <= self._looks_cancelled:
            return
        if self.analyser.engine is None:
            raise PoseappError("the model is still loading: look for who walks once it runs")
        look = walker_search(self.analyser.localiser, self.analyser.engine)
        if look is None:
            raise PoseappError("finding who walks needs the person search: set localisation to track or auto")
        with VideoReader(path) as reader:
            info = reader.info
            length = info.declared_frames / info.fps if info.declared_frames and info.fps > 0 else 0.0

            def looked(frame) -> bool:
                self.walker_progress.emit(frame.time_s, length)
                return not self._halt.is_set() and number > self._looks_cancelled

            if not look.frames(reader, looked):
                return
        self._walker = look.walker()
        self.walker_found.emit(str(path), self._walker)

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

    def _finish_recording(self) -> None:
        """Complete the recording's files, then measure its gait and write its exports again
        (seconds for a long one: here, not in the GUI thread)."""
        if self._recorder is not None:
            recorder, self._recorder = self._recorder, None
            self.analyser.every_frame(False)
            try:
                path = recorder.stop()
            except PoseappError as exc:
                self.failed.emit(str(exc))
                return
            self.recorded.emit(str(path), recorder.measure())

    def _handle_recording(self, request: tuple) -> None:
        """Finish the recording under way, and start the one ``request`` asks for."""
        self._finish_recording()
        source, path, video, fps, formats, height_m, scale_line = request
        try:
            self._recorder = LiveRecorder(path, self.analyser.settings, source, video=video, fps=fps, formats=formats,
                                          height_m=height_m, scale_line=scale_line)
        except OSError as exc:
            self.failed.emit(f"cannot record to {path}: {exc.strerror}")
            return
        self.analyser.every_frame(not source.get("live", True))  # a file recorded: every frame, as the batch

    def run(self) -> None:
        try:
            self._loop()
        finally:  # the window closed mid-recording: its files are completed and measured here too
            self._finish_recording()

    def _loop(self) -> None:
        while True:
            if not self._run_commands():
                return
            item = self.slot.get(timeout=0.05)
            if item is None or self.analyser.engine is None:
                continue
            frame, captured_at, epoch = item
            if epoch != self._epoch:  # a new source or a seek: start afresh on this frame
                self.analyser.reset()
                self._epoch = epoch
                if not self._run_commands():  # a click's refresh may bring its frame before its command
                    return
            if self._walker is not None and frame.index >= self._walker.index:
                self.analyser.follow(self._walker.where(frame.time_s), only=True)
                self._walker = None
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
