"""The live frame chain without Qt: a one-slot hand-off where the newest frame wins, and the analyser.

Capture puts frames into a ``LatestSlot``; the inference side takes the newest one. When the
model is slower than the camera, frames it never took are dropped (and counted), so the overlay
shows the present, not a growing backlog. ``LiveAnalyser`` is the shared ``analysis.FrameAnalyser``
(track the person, smooth with One-Euro, compute the angles; a new model between two frames when
asked) with the capture time on each result. ``LiveRecorder`` writes the same CSV and JSON as
``poseapp video``; once stopped, ``measure_recording`` adds the gait and writes the exports again
from it (in metres when calibrated, with the gait events).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Generic, TypeVar

import numpy as np

from poseapp.analysis import AnalysisOptions, FrameAnalyser, FrameResult, make_engine, result_metadata
from poseapp.angles import ANGLE_NAMES, range_of_motion
from poseapp.calibration import Calibration
from poseapp.errors import PoseappError
from poseapp.io.video import Frame, VideoWriter
from poseapp.outputs import DEFAULT_FORMATS, OutputSet, Row, Session, exports_among, parse_formats
from poseapp.weights.download import Progress

T = TypeVar("T")


class LatestSlot(Generic[T]):
    """Holds at most one item; ``put`` replaces an untaken one (counted in ``dropped``).

    ``put(item, wait=s)`` first waits up to ``s`` seconds for the consumer to take the previous
    item: a recording from a file keeps every frame that way, still bounded (never a queue).
    """

    def __init__(self) -> None:
        self._item: T | None = None
        self._cond = threading.Condition()
        self._closed = False
        self.dropped = 0

    def put(self, item: T, wait: float = 0.0) -> None:
        with self._cond:
            if wait > 0 and self._item is not None and not self._closed:
                self._cond.wait_for(lambda: self._item is None or self._closed, wait)
            if self._item is not None:
                self.dropped += 1
            self._item = item
            self._cond.notify_all()

    def get(self, timeout: float | None = None) -> T | None:
        """The newest item, waiting up to ``timeout`` seconds; None on timeout or when closed."""
        with self._cond:
            if self._item is None and not self._closed:
                self._cond.wait(timeout)
            item, self._item = self._item, None
            self._cond.notify_all()  # a waiting ``put`` may go on
            return item

    def reset_count(self) -> None:
        """Start counting drops anew (a new source)."""
        with self._cond:
            self.dropped = 0

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()


class RateMeter:
    """Events per second over the last ``window`` seconds (capture FPS, inference FPS)."""

    def __init__(self, window: float = 2.0) -> None:
        self.window = window
        self._times: deque[float] = deque()
        self._lock = threading.Lock()

    def tick(self, now: float | None = None) -> None:
        now = time.perf_counter() if now is None else now
        with self._lock:
            self._times.append(now)
            while self._times[0] < now - self.window:
                self._times.popleft()

    def rate(self, now: float | None = None) -> float:
        now = time.perf_counter() if now is None else now
        with self._lock:
            recent = [t for t in self._times if t >= now - self.window]
        if len(recent) < 2:
            return 0.0
        return (len(recent) - 1) / max(recent[-1] - recent[0], 1e-9)


@dataclass(frozen=True)
class LiveSettings(AnalysisOptions):
    """What the settings panel controls: the shared analysis options, smoothed as frames come."""

    smooth: str = "oneeuro"  # 'none' | 'oneeuro' (the other methods need the whole recording)


@dataclass
class LiveResult(FrameResult):
    captured_at: float = 0.0  # time.perf_counter() when the frame was captured
    epoch: int = 0  # the capture's source epoch (a new source or a seek starts a new one)


def default_engine_factory(settings: AnalysisOptions, progress: Progress | None = None):
    """The live engine: ONNX Runtime's busy-waiting off, as other threads share the CPU."""
    return make_engine(settings, progress, spin=False)


class LiveAnalyser(FrameAnalyser):
    """The frame analyser of the live view: its results carry the capture time. With nobody in
    view for a while, the tracker rests ``REST`` times as long as each search took (``track.Track``):
    frames come as fast as searches end, so a rule in frames would keep the cores busy. While a
    file is recorded frame by frame (``lossless``), the rule is ``poseapp video``'s, in frames."""

    REST = 2.0  # searching a third of the time, as the every-third-frame rule of recorded video

    def __init__(self, settings: LiveSettings,
                 engine_factory: Callable[[AnalysisOptions, Progress | None], object] | None = None) -> None:
        super().__init__(settings, engine_factory or default_engine_factory)
        self.lossless = False

    def every_frame(self, lossless: bool) -> None:
        """Whether every frame of the source is analysed (a file being recorded) or the newest one."""
        self.lossless = lossless
        self._set_rest()

    @property
    def settings(self) -> AnalysisOptions:
        return self.options

    @settings.setter
    def settings(self, value: AnalysisOptions) -> None:
        self.options = value

    def _new_localiser(self) -> None:
        super()._new_localiser()
        self._set_rest()

    def _set_rest(self) -> None:
        from poseapp.localise.track import Track

        if isinstance(self.localiser, Track):
            self.localiser.rest = 0.0 if self.lossless else self.REST

    def analyse(self, frame: Frame, captured_at: float = 0.0) -> LiveResult:
        result = super().analyse(frame)
        return LiveResult(**vars(result), captured_at=captured_at)


class LiveRecorder:
    """Record/Stop: rows go to the chosen result files (``poseapp.outputs``; the CSV as they come,
    flushed every 30 rows, a second at 30 fps); Stop completes them, the JSON last.

    Rows carry the source's own frame index and time (``frame``, ``time_s``), so a recording lines
    up with the file it came from; the JSON names the source (path, fps, frames), the weights of
    every model used, and the range of motion, as ``poseapp video`` writes them.

    video: also write the annotated frames to ``<name>_pose.mp4`` at ``fps``, each analysed frame
    repeated until the next one's time, so the video plays in real time although the model drops
    frames. Its size is the first frame's; later frames of another size are scaled to it.
    """

    def __init__(self, path: str | Path, settings: LiveSettings, source: dict, video: bool = False,
                 fps: float = 30.0, formats: tuple[str, ...] = DEFAULT_FORMATS, height_m: float | None = None,
                 scale_line: str | None = None) -> None:
        self.path = Path(path)
        self.settings = settings
        self.source = source
        self.formats = parse_formats(formats, DEFAULT_FORMATS)
        self.height_m, self.scale_line = height_m, scale_line  # the calibration for ``measure``
        self.angles: dict[str, list[float]] = {name: [] for name in ANGLE_NAMES}
        self.times: list[float] = []
        self.smoothed = settings.smooth != "none"
        self.outputs = OutputSet(self.path.parent, Session(self.path.stem, fps, self.smoothed), self.formats)
        self.rows = 0
        self.started = datetime.now(timezone.utc)
        self.t0: float | None = None
        self.models: set[str] = set()
        self.video_path = self.path.with_name(self.path.stem + "_pose.mp4") if video else None
        self.fps = fps
        self._video: VideoWriter | None = None
        self._video_size: tuple[int, int] = (0, 0)
        self.video_frames = 0

    def _write_video(self, result: LiveResult, t: float) -> None:
        import cv2

        from poseapp.draw import draw_pose

        rgb = draw_pose(result.frame.rgb, result.pose, self.settings.threshold)
        if self._video is None:
            self._video_size = (rgb.shape[1], rgb.shape[0])
            self._video = VideoWriter(self.video_path, self.fps, *self._video_size)
        if (rgb.shape[1], rgb.shape[0]) != self._video_size:
            rgb = cv2.resize(rgb, self._video_size, interpolation=cv2.INTER_AREA)
        due = round(t * self.fps) + 1  # frames the video holds once this one is shown; none when early
        while self.video_frames < due:
            self._video.write(rgb)
            self.video_frames += 1

    def add(self, result: LiveResult) -> None:
        if self.t0 is None:
            self.t0 = result.frame.time_s
        if self.video_path is not None:
            self._write_video(result, result.frame.time_s - self.t0)
        self.outputs.write(Row(result.frame.index, result.frame.time_s, result.pose.found, result.pose.keypoints,
                               result.smoothed if self.smoothed else None, None, result.angles))
        self.rows += 1
        self.times.append(result.frame.time_s)
        for name, values in self.angles.items():
            values.append(result.angles.get(name, np.nan))
        self.models.add(result.model)

    def stop(self) -> Path:
        """Complete the result files (the JSON last); the CSV's path. A recording that holds no
        frame (Stop before the first result) leaves nothing behind and raises PoseappError."""
        if self.rows == 0:
            self.discard()
            raise PoseappError("nothing was recorded: no frame was analysed between Record and Stop")
        if self._video is not None:
            self._video.commit()
        rom = range_of_motion({k: np.array(v, dtype=np.float64) for k, v in self.angles.items()},
                              np.array(self.times))
        meta = result_metadata(self.source, self.settings, list(self.models), self.rows, rom)
        meta.update(created=self.started.isoformat(timespec="seconds"), recorded_live=True,
                    annotated_video=self.video_path.name if self._video is not None else None,
                    outputs=[p.name for p in self.outputs.paths])
        self.outputs.finish(meta)
        return self.path

    def measure(self) -> RecordingGait:
        """The stopped recording's gait and exports (``measure_recording``)."""
        return measure_recording(self.path, self.formats, self.height_m, self.scale_line)

    def discard(self) -> None:
        """Remove what an unfinished recording had written."""
        self.outputs.discard()
        if self._video is not None:
            self._video.discard()


@dataclass
class RecordingGait:
    """What a finished recording's gait analysis gave: its result (``gait.analyse_gait``), the
    calibration used, the files written, and why something is missing (empty: nothing is)."""

    result: dict | None = None
    calibration: Calibration | None = None
    written: list[Path] = field(default_factory=list)
    problem: str = ""


def measure_recording(csv_path: Path, formats: tuple[str, ...], height_m: float | None = None,
                      scale_line: str | None = None) -> RecordingGait:
    """A finished recording's gait files beside it (``gait.gait_files``, calibrated by the scale
    line when one is given, else the subject's height), then its exports among ``formats`` written
    again: in metres when calibrated, with the gait events when there was walking to measure. A
    recording without measurable walking is still calibrated on its own, so its exports are in
    metres too. Failures are told in ``problem``; the recording itself is never touched."""
    from poseapp.gait import GaitError, calibration_of_recording, gait_files
    from poseapp.outputs.c3d_file import events_left_out
    from poseapp.outputs.export import export_result

    csv_path = Path(csv_path)
    height_m = None if scale_line else height_m
    problems = []
    try:
        result, cal, written = gait_files(csv_path, height_m, scale_line)
        measured = RecordingGait(result, cal, list(written))
    except GaitError as exc:  # read and calibrated, but no walk: the calibration alone, for the exports
        measured = RecordingGait(calibration=calibration_of_recording(csv_path, height_m, scale_line))
        problems.append(f"no gait parameters: {exc}")
    except PoseappError as exc:  # the recording could not be read or calibrated
        measured = RecordingGait()
        problems.append(f"no gait parameters: {exc}")
    except OSError as exc:
        return RecordingGait(problem=f"gait files not written: {exc.strerror or exc}")
    try:
        record_calibration(csv_path.with_suffix(".json"), measured.calibration)
    except (PoseappError, OSError) as exc:
        problems.append(f"calibration not recorded in the result: {exc}")
    exports = exports_among(formats)
    if exports:
        try:
            measured.written += export_result(csv_path.with_suffix(".json"), exports,
                                              calibration=measured.calibration)
        except (PoseappError, OSError) as exc:
            problems.append(f"exports not written again: {exc}")
        else:
            problems.append(events_left_out((measured.result or {}).get("events"), exports) or "")
    measured.problem = "; ".join(p for p in problems if p)
    return measured


def record_calibration(json_path: Path, calibration: Calibration | None) -> None:
    """Write the calibration a stopped recording was measured with (None: lengths in pixels) into
    its result JSON, the one record the report, the exports and the gait file agree on (it was
    only in ``_gait.json``)."""
    from poseapp.io.atomic import write_json
    from poseapp.outputs.export import load_result

    meta = load_result(json_path)
    meta["calibration"] = calibration.to_json() if calibration is not None else None
    write_json(json_path, meta)
