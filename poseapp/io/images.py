"""Reading images with a clear error instead of OpenCV's silent None."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from poseapp import MAX_PIXELS
from poseapp.errors import PoseappError
from poseapp.io.atomic import replacing

#: The largest image file read (bytes): a photo is far smaller; a bigger file is not read whole.
MAX_FILE_BYTES = 256 * 2**20
#: What ``write_image`` writes.
WRITE_SUFFIXES = (".png", ".jpg", ".jpeg")


def read_rgb(path: str | Path) -> np.ndarray:
    """An image file as HxWx3 uint8 RGB; PoseappError when it is missing, unreadable, or larger than
    ``MAX_FILE_BYTES`` or ``poseapp.MAX_PIXELS`` (checked from the header, before decoding)."""
    p = Path(path)
    if not p.is_file():
        raise PoseappError(f"no such image: {p}")
    size = p.stat().st_size
    if size > MAX_FILE_BYTES:
        raise PoseappError(f"{p} is {size / 2**20:.0f} MB: larger than an image poseapp reads "
                           f"({MAX_FILE_BYTES // 2**20} MB)")
    try:
        data = np.fromfile(p, np.uint8)
        bgr = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    except OSError as exc:
        raise PoseappError(f"cannot read {p}: {exc.strerror}") from exc
    except cv2.error as exc:  # OpenCV refuses a header over its pixel limit with an exception
        raise PoseappError(f"{p} declares an image over {MAX_PIXELS / 1e6:.0f} megapixels: "
                           "poseapp does not decode it") from exc
    if bgr is None:
        raise PoseappError(f"cannot read {p} as an image (unsupported or corrupt file)")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def encode_png(rgb: np.ndarray, suffix: str = ".png") -> bytes:
    """RGB as the bytes of a PNG (or JPEG with ``suffix='.jpg'``) file."""
    ok, buf = cv2.imencode(suffix, cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    if not ok:
        raise PoseappError(f"cannot encode the image as {suffix!r}")
    return buf.tobytes()


def write_image(path: str | Path, rgb: np.ndarray) -> None:
    """Write RGB to PNG/JPEG through a temporary file, so a failed write leaves nothing half-done."""
    p = Path(path)
    if p.suffix.lower() not in WRITE_SUFFIXES:
        raise PoseappError(f"cannot write an image as {p.suffix!r}: use .png or .jpg")
    buf = encode_png(rgb, p.suffix)
    if not p.parent.is_dir():
        raise PoseappError(f"cannot write {p}: the folder {p.parent} does not exist")
    try:
        with replacing(p) as tmp:
            tmp.write_bytes(buf)
    except OSError as exc:
        raise PoseappError(f"cannot write {p}: {exc.strerror or exc}") from exc
