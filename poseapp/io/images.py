"""Reading images with a clear error instead of OpenCV's silent None."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from poseapp.errors import PoseappError
from poseapp.io.atomic import replacing


def read_rgb(path: str | Path) -> np.ndarray:
    """An image file as HxWx3 uint8 RGB; PoseappError when it is missing or unreadable."""
    p = Path(path)
    if not p.is_file():
        raise PoseappError(f"no such image: {p}")
    data = np.fromfile(p, np.uint8)
    bgr = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if bgr is None:
        raise PoseappError(f"cannot read {p} as an image (unsupported or corrupt file)")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def write_image(path: str | Path, rgb: np.ndarray) -> None:
    """Write RGB to PNG/JPEG through a temporary file, so a failed write leaves nothing half-done."""
    p = Path(path)
    ok, buf = cv2.imencode(p.suffix or ".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    if not ok:
        raise PoseappError(f"cannot encode an image as {p.suffix!r}")
    with replacing(p) as tmp:
        buf.tofile(tmp)
