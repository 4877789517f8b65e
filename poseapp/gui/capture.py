"""The capture thread: reads the current source, paces files at their own rate, fills the slot.

Every frame goes into the slot with the capture's ``epoch``: a new source or a seek starts a new
one, and the inference worker resets tracking and smoothing when the epoch of the frame it takes
changes. The reset thus belongs to the frames of the new source, whatever the threads' timing.
At the end of a file the source stays open and paused (``at_end``): Play starts it again, seek
and step work.
"""

from __future__ import annotations

import threading
import time

from PySide6.QtCore import QThread, Signal

from poseapp.io.sources import Source
from poseapp.pipeline import LatestSlot, RateMeter

#: How long a file being recorded waits for the model to take each frame (every frame is kept):
#: long enough for a model's first, slow runs on a busy machine; a closed slot ends the wait at once.
LOSSLESS_WAIT_S = 60.0

class CaptureThread(QThread):
    """Owns the open source; play, pause, step and seek are requests it carries out between frames."""

    opened = Signal(str, int, float)  # name, frame count (0: live or unknown), fps
    position = Signal(int)  # index of the frame just captured
    ended = Signal(str, int)  # why ('end of file', 'camera stopped', ...), index of the last frame
    frame_read = Signal(object, int)  # the frame as read and its epoch: shown while the analysis catches up

    def __init__(self, slot: LatestSlot, ready: threading.Event | None = None, parent=None) -> None:
        super().__init__(parent)
        self.slot = slot
        self.ready = ready or threading.Event()  # cleared while a model loads: files wait, cameras drop
        self.rate = RateMeter()
        self.captured = 0
        self._lock = threading.Lock()
        self._source: Source | None = None
        self._paused = False
        self._step = False
        self._seek: int | None = None
        self._stop = False
        self._clock: tuple[float, float] | None = None  # (wall time, frame time) where pacing restarts
        self._last_position = 0.0
        self._last_index = -1
        self.epoch = 0  # changed by open() and seek(): frames of a new epoch reset the tracker
        self.at_end = False  # a file played to its end: paused, source kept
        self.lossless = False  # a file waits for the model to take each frame (recording)
        self._retired: list[Source] = []  # sources replaced by open(), to close in this thread

    def open(self, source: Source) -> None:
        """Switch to ``source``; the old one is closed by the capture thread (it may be reading it:
        OpenCV's capture is not to be released from another thread mid-read)."""
        with self._lock:
            old, self._source = self._source, source
            self._paused, self._clock, self.at_end, self._seek = False, None, False, None
            self._last_index = -1
            self.epoch += 1
            if old is not None and old is not source:  # closed by the capture thread: it may be reading it
                self._retired.append(old)
        self.slot.reset_count()
        self.rate = RateMeter()
        self.opened.emit(source.name, source.frame_count, source.fps)

    def set_paused(self, paused: bool) -> None:
        with self._lock:
            self._paused, self._clock = paused, None

    def step(self) -> None:
        """One frame forward while paused."""
        with self._lock:
            self._step, self._clock = True, None

    def seek(self, index: int) -> None:
        """Show frame ``index`` next (tracking starts afresh there); playing or paused stays as it is."""
        with self._lock:
            self._seek, self._clock = index, None
            self.epoch += 1
            self.at_end = False

    def refresh(self) -> None:
        """Analyse the frame on screen again (a still image, a paused or finished video), e.g. with a
        model that has just loaded; a playing source needs nothing."""
        with self._lock:
            source = self._source
            if source is None or source.live or not (self._paused or self.at_end) or self._last_index < 0:
                return
        self.seek(self._last_index)

    def restart(self) -> None:
        """Play a finished file from its first frame."""
        self.seek(0)
        self.set_paused(False)

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def source(self):
        """The open source (None before one is opened, or after a camera stopped)."""
        return self._source

    def stop(self) -> None:
        """Ask the loop to end and wait for it; the source is released."""
        with self._lock:
            self._stop = True
        self.wait()
        self._close_retired()
        with self._lock:
            if self._source is not None:
                self._source.close()
                self._source = None

    def _close_retired(self) -> None:
        with self._lock:
            retired, self._retired = self._retired, []
        for old in retired:
            old.close()

    def run(self) -> None:
        while True:
            self._close_retired()
            with self._lock:
                if self._stop:
                    return
                source, go, epoch = self._source, (not self._paused) or self._step, self.epoch
                if source is not None and self._seek is not None:
                    source.seek(self._seek)
                    self._seek, go = None, True
                self._step = False
            if source is None or not go or (not source.live and not self.ready.is_set()):
                self.msleep(10)
                continue
            frame = source.read()
            if frame is None:
                with self._lock:
                    if self._source is source:
                        if source.live:
                            self._source = None
                        else:  # keep the file: Play restarts it, seek and step still work
                            self._paused, self.at_end = True, True
                self.ended.emit("camera stopped sending frames" if source.live else "end of " + source.name,
                                self._last_index)
                continue
            self._pace(source, frame.time_s)
            self._last_index = frame.index
            wait = LOSSLESS_WAIT_S if self.lossless and not source.live else 0.0
            self.slot.put((frame, time.perf_counter(), epoch), wait=wait)
            self.captured += 1
            self.frame_read.emit(frame, epoch)
            self.rate.tick()
            now = time.perf_counter()
            if now - self._last_position > 0.2:  # the seek bar needs 5 updates a second, not 30
                self._last_position = now
                self.position.emit(frame.index)

    def _pace(self, source: Source, frame_time: float) -> None:
        """Files play at their own speed: wait until this frame's time has come."""
        if source.live or source.fps <= 0:
            return
        now = time.perf_counter()
        if self._clock is None:
            self._clock = (now, frame_time)
            return
        due = self._clock[0] + frame_time - self._clock[1]
        if due > now:
            time.sleep(min(due - now, 1.0))
        elif now - due > 0.5:  # far behind (the machine stalled): restart the clock, never fast-forward
            self._clock = (now, frame_time)
