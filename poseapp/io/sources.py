"""Live frame sources without Qt: a camera, a video file played at its own pace, a still image.

Each gives ``Frame``s one at a time from ``read()`` (None at the end, or when a camera stops);
files can ``seek``. The GUI's capture thread drives them; the batch path uses ``VideoReader``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Protocol

import cv2

from poseapp.errors import PoseappError
from poseapp.io.images import read_rgb
from poseapp.io.video import VIDEO_SUFFIXES, Frame, frame_time, nominal_fps, open_video

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")


class Source(Protocol):
    name: str
    fps: float  # nominal rate; 0 for a still
    frame_count: int  # 0 when unknown or live
    live: bool  # a camera: never paced, never seeks

    def read(self) -> Frame | None: ...

    def seek(self, index: int) -> None: ...

    def close(self) -> None: ...


class CameraSource:
    """A camera by OpenCV index; frame times are seconds since opening."""

    live = True
    frame_count = 0

    def __init__(self, index: int) -> None:
        self.cap = cv2.VideoCapture(index)
        if not self.cap.isOpened():
            raise PoseappError(f"camera {index} cannot be opened (unplugged, or used by another program)")
        self.name = f"camera {index}"
        fps = float(self.cap.get(cv2.CAP_PROP_FPS))
        self.fps = nominal_fps(fps)
        self._t0 = time.perf_counter()
        self._index = 0

    def read(self) -> Frame | None:
        ok, bgr = self.cap.read()
        if not ok or bgr is None:
            return None
        frame = Frame(self._index, time.perf_counter() - self._t0, cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
        self._index += 1
        return frame

    def seek(self, index: int) -> None:
        """Cameras cannot seek; ignored."""

    def close(self) -> None:
        self.cap.release()


class FileSource:
    """A video file read frame by frame with container times; ``seek`` jumps to a frame index."""

    live = False

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.cap, first, info = open_video(self.path)
        self.name = self.path.name
        self.fps = info.fps
        self.frame_count = info.declared_frames
        self._pending = first
        self._index = 0
        self._t0_ms = float(self.cap.get(cv2.CAP_PROP_POS_MSEC))
        self._last: float | None = None  # the previous frame's time; None after a seek

    def read(self) -> Frame | None:
        if self._pending is not None:
            bgr, self._pending = self._pending, None
        else:
            ok, bgr = self.cap.read()
            if not ok or bgr is None:
                return None
            self._index += 1
        ms = float(self.cap.get(cv2.CAP_PROP_POS_MSEC))
        self._last = frame_time(self._index, ms, self._t0_ms, self._last, self.fps)
        return Frame(self._index, self._last, cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))

    def seek(self, index: int) -> None:
        index = max(0, min(index, max(self.frame_count - 1, 0)))
        self.cap.set(cv2.CAP_PROP_POS_FRAMES, index)
        self._pending = None
        self._index = index - 1
        self._last = None

    def close(self) -> None:
        self.cap.release()


class ImageSource:
    """A still image: one frame, then the end."""

    live = False
    fps = 0.0
    frame_count = 1

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.rgb = read_rgb(self.path)
        self.name = self.path.name
        self._done = False

    def read(self) -> Frame | None:
        if self._done:
            return None
        self._done = True
        return Frame(0, 0.0, self.rgb)

    def seek(self, index: int) -> None:
        self._done = False

    def close(self) -> None:
        """Nothing to release."""


def open_source(spec: str | int | Path) -> Source:
    """A camera index (int or digits), an image file, or a video file; PoseappError if none of them."""
    if isinstance(spec, int) or (isinstance(spec, str) and spec.isdigit()):
        return CameraSource(int(spec))
    path = Path(spec)
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return ImageSource(path)
    if path.suffix.lower() in VIDEO_SUFFIXES or path.is_file():
        return FileSource(path)
    raise PoseappError(f"no such file: {path}")


def camera_names(limit: int = 6) -> list[tuple[int, str]]:
    """Cameras present as (index, name): Linux names from video4linux, elsewhere 'Camera N'."""
    found = []
    sysfs = Path("/sys/class/video4linux")
    if sysfs.is_dir():
        for dev in sorted(sysfs.glob("video*"), key=lambda p: int(p.name[5:] or 0)):
            index = int(dev.name[5:] or 0)
            name = (dev / "name").read_text().strip() if (dev / "name").exists() else f"Camera {index}"
            if index < limit and not any(n == name for _, n in found):  # one entry per device, not per node
                found.append((index, name))
        return found
    for index in range(limit if not sysfs.parent.is_dir() else 0):
        cap = cv2.VideoCapture(index)
        if cap.isOpened():
            found.append((index, f"Camera {index}"))
        cap.release()
    return found
