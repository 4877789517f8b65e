"""Video in and out with OpenCV: a reader thread that decodes ahead of the model, and an atomic writer.

The reader keeps a small bounded queue of decoded frames (batch processing must not drop any),
takes each frame's time from the container (variable frame rate stays right), lets OpenCV apply
the rotation stored in the file, and says whether the file ended before its declared length.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from poseapp import MAX_PIXELS
from poseapp.errors import PoseappError
from poseapp.io.atomic import check_target, commit, partial_path
from poseapp.io.schema import MAX_FPS

VIDEO_SUFFIXES = (".mp4", ".mov", ".avi", ".mkv", ".m4v", ".webm", ".mpg", ".mpeg", ".wmv")


@dataclass
class VideoInfo:
    path: Path
    width: int  # after rotation
    height: int
    fps: float  # the container's nominal rate (30 when it gives none we can use); frame times come from each frame
    declared_frames: int  # what the container says; 0 when unknown
    rotation: int  # degrees stored in the file's metadata, already applied to the frames
    codec: str
    size_bytes: int
    declared_fps: float = 0.0  # what the container says, kept when it is not taken (none, or over ``MAX_FPS``)


@dataclass
class Frame:
    index: int
    time_s: float
    rgb: np.ndarray


_END = object()


def frame_time(index: int, ms: float, first_ms: float, previous: float | None, fps: float) -> float:
    """The one rule for a frame's time in seconds, for the batch reader and the live file source:
    the container's position ``ms`` less the first frame's ``first_ms``; where the container gives
    none (negative, not finite) or runs backward, the nominal rate on from the ``previous`` frame's
    time (None after a seek: ``index / fps``)."""
    t = (ms - first_ms) / 1000.0
    if index > 0 and (ms < 0 or not np.isfinite(t) or (previous is not None and t <= previous)):
        t = previous + 1.0 / fps if previous is not None else index / fps
    return max(t, 0.0)


def _fourcc(cap: cv2.VideoCapture) -> str:
    code = int(cap.get(cv2.CAP_PROP_FOURCC))
    text = "".join(chr((code >> (8 * i)) & 0xFF) for i in range(4))
    return text if text.isprintable() else ""


def open_video(path: Path) -> tuple[cv2.VideoCapture, np.ndarray, VideoInfo]:
    """An opened capture, its first frame (BGR) and what the container says; PoseappError if it is
    missing, not a video, or yields no frame. Rotation metadata is applied to every frame."""
    if not path.is_file():
        raise PoseappError(f"no such video: {path}")
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise PoseappError(f"cannot open {path} as a video (not a video, or a format OpenCV cannot decode)")
    cap.set(cv2.CAP_PROP_ORIENTATION_AUTO, 1)
    pixels = cap.get(cv2.CAP_PROP_FRAME_WIDTH) * cap.get(cv2.CAP_PROP_FRAME_HEIGHT)
    if pixels > MAX_PIXELS:
        cap.release()
        raise PoseappError(f"{path} has frames of {pixels / 1e6:.0f} megapixels: over the "
                           f"{MAX_PIXELS / 1e6:.0f} poseapp decodes")
    ok, first = cap.read()
    if not ok or first is None:
        cap.release()
        raise PoseappError(f"{path} holds no decodable frame (empty, truncated or corrupt)")
    fps = float(cap.get(cv2.CAP_PROP_FPS))
    info = VideoInfo(path, first.shape[1], first.shape[0], nominal_fps(fps),
                     max(0, int(cap.get(cv2.CAP_PROP_FRAME_COUNT))), int(cap.get(cv2.CAP_PROP_ORIENTATION_META)),
                     _fourcc(cap), path.stat().st_size, fps)
    return cap, first, info


def nominal_fps(declared: float) -> float:
    """The rate a source is taken at: what it declares, high-speed cameras' 1,000 fps and more
    included, up to ``MAX_FPS``; 30 where it declares none, or more than that (a broken header)."""
    return declared if 0 < declared <= MAX_FPS else 30.0


class VideoReader:
    """Frames of one video file, decoded in a background thread ``ahead`` frames in front.

    Opening checks that the file exists, is a video and yields a first frame, raising
    PoseappError otherwise. Iterate once; ``decoded``, ``lost`` and ``truncated`` are valid afterwards.
    """

    def __init__(self, path: str | Path, ahead: int = 8) -> None:
        self.path = Path(path)
        cap, first, self.info = open_video(self.path)
        self._cap = cap
        self._first = first
        self._first_ms = float(cap.get(cv2.CAP_PROP_POS_MSEC))
        self._queue: queue.Queue = queue.Queue(maxsize=ahead)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.decoded = 0
        self.lost = 0  # reads that failed mid-file and were skipped
        self.ended = False  # the file was read to its end (not left early by the consumer, as --end does)
        self.retries = 64  # failed reads in a row before the file counts as ended

    @property
    def truncated(self) -> bool:
        """The file ended well before its declared frame count (a cut-off recording or copy); not
        when the reading was left early on purpose."""
        declared = self.info.declared_frames
        return self.ended and declared > 0 and self.decoded + self.lost < declared - max(2, int(0.02 * declared))

    def _decode(self) -> None:
        index, last, frame = 0, -1.0, self._first
        try:
            while not self._stop.is_set():
                ms = self._first_ms if index == 0 else float(self._cap.get(cv2.CAP_PROP_POS_MSEC))
                last = frame_time(index, ms, self._first_ms, last if index else None, self.info.fps)
                self._put(Frame(index, last, cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)))
                frame = self._read_on()
                if frame is None:
                    break
                index += 1
        except Exception as exc:  # handed to the consumer, who raises it in its own thread
            self._put(exc)
        finally:
            self._put(_END)

    def _read_on(self) -> np.ndarray | None:
        """The next decodable frame: a damaged packet mid-file is skipped (counted in ``lost``), as
        ffmpeg does, rather than ending the video there; None at the real end."""
        for attempt in range(self.retries + 1):
            ok, frame = self._cap.read()
            if ok and frame is not None:
                self.lost += attempt
                return frame
            declared = self.info.declared_frames
            position = self._cap.get(cv2.CAP_PROP_POS_FRAMES)
            if not declared or position >= declared - 1:
                return None
        return None

    def _put(self, item: object) -> None:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def __iter__(self) -> Iterator[Frame]:
        if self._thread is not None:
            raise RuntimeError("a VideoReader is iterated once")
        self._thread = threading.Thread(target=self._decode, name=f"decode {self.path.name}", daemon=True)
        self._thread.start()
        try:
            while True:
                item = self._queue.get()
                if item is _END:
                    self.ended = True
                    return
                if isinstance(item, Exception):
                    raise PoseappError(f"decoding {self.path} failed: {item}") from item
                self.decoded += 1
                yield item
        finally:
            self.close()

    def close(self) -> None:
        """Stop the decoding thread and release the file."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._cap.release()

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class VideoWriter:
    """An MP4 written under a temporary name and renamed into place by ``commit()``."""

    def __init__(self, path: str | Path, fps: float, width: int, height: int) -> None:
        self.path = Path(path)
        check_target(self.path)
        self._tmp = partial_path(self.path)
        self._writer = cv2.VideoWriter(str(self._tmp), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
        if not self._writer.isOpened():
            raise PoseappError(f"cannot write a video to {self.path}")

    def write(self, rgb: np.ndarray) -> None:
        self._writer.write(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))

    def commit(self) -> None:
        self._writer.release()
        commit(self._tmp, self.path)

    def discard(self) -> None:
        self._writer.release()
        self._tmp.unlink(missing_ok=True)
