"""The capture thread: reads the current source, paces files at their own rate, fills the slot."""

from __future__ import annotations

import threading
import time

from PySide6.QtCore import QThread, Signal

from poseapp.io.sources import Source
from poseapp.pipeline import LatestSlot, RateMeter


class CaptureThread(QThread):
    """Owns the open source; play, pause, step and seek are requests it carries out between frames."""

    opened = Signal(str, int, float)  # name, frame count (0: live or unknown), fps
    position = Signal(int)  # index of the frame just captured
    ended = Signal(str)  # why: 'end of file', 'camera stopped', ...

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

    def open(self, source: Source) -> None:
        """Switch to ``source`` (the old one is closed in this thread's next turn)."""
        with self._lock:
            old, self._source = self._source, source
            self._paused, self._clock = False, None
        if old is not None and old is not source:
            old.close()
        self.opened.emit(source.name, source.frame_count, source.fps)

    def set_paused(self, paused: bool) -> None:
        with self._lock:
            self._paused, self._clock = paused, None

    def step(self) -> None:
        """One frame forward while paused."""
        with self._lock:
            self._step, self._clock = True, None

    def seek(self, index: int) -> None:
        with self._lock:
            self._seek, self._clock = index, None

    @property
    def paused(self) -> bool:
        return self._paused

    def stop(self) -> None:
        """Ask the loop to end and wait for it; the source is released."""
        with self._lock:
            self._stop = True
        self.wait()
        with self._lock:
            if self._source is not None:
                self._source.close()
                self._source = None

    def run(self) -> None:
        while True:
            with self._lock:
                if self._stop:
                    return
                source, go = self._source, (not self._paused) or self._step
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
                        self._source = None
                self.ended.emit("camera stopped sending frames" if source.live else "end of " + source.name)
                continue
            self._pace(source, frame.time_s)
            self.slot.put((frame, time.perf_counter()))
            self.captured += 1
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
