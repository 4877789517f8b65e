"""The user's cache folders and the files in them: safetensors written atomically, read and checked.

Layout under ``cache_dir()`` (``POSEAPP_CACHE`` overrides): ``weights/`` (official models,
converted), ``models/`` (imported trained models), ``onnx/`` (graphs exported for the CPU engine),
``downloads/`` (upstream files being fetched). A packaged app also carries read-only graphs in
``bundled_dir()``.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

import numpy as np

from poseapp.errors import PoseappError
from poseapp.io.atomic import replacing
from poseapp.weights.download import MAX_WEIGHTS_BYTES


def cache_dir() -> Path:
    """The user's cache folder (``POSEAPP_CACHE`` overrides), never the install folder."""
    env = os.environ.get("POSEAPP_CACHE")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("poseapp"))


def weights_dir() -> Path:
    """Official models, converted from upstream's files."""
    return cache_dir() / "weights"


def trained_dir() -> Path:
    """Trained models imported with ``poseapp weights import RUN``."""
    return cache_dir() / "models"


def onnx_dir() -> Path:
    """Graphs exported for ONNX Runtime, named by the weights they hold."""
    return cache_dir() / "onnx"


def bundled_dir() -> Path | None:
    """Exported graphs shipped inside a packaged app (read-only; PyInstaller's folder, or
    ``POSEAPP_BUNDLED``); None when running from source."""
    env = os.environ.get("POSEAPP_BUNDLED")
    if env:
        return Path(env)
    base = getattr(sys, "_MEIPASS", None)
    return Path(base) / "bundled" if base else None


def save_state(path: Path, state: dict[str, np.ndarray], metadata: dict[str, str]) -> Path:
    """Write a state dict as safetensors through a hidden partial file and an atomic rename."""
    from safetensors.numpy import save_file

    path.parent.mkdir(parents=True, exist_ok=True)
    with replacing(path) as tmp:
        save_file(state, str(tmp), metadata=metadata)
    return path


def load_state_file(path: Path) -> dict[str, np.ndarray]:
    """A safetensors file as numpy arrays; PoseappError when it is missing or damaged."""
    from safetensors.numpy import load_file

    if not Path(path).is_file():
        raise PoseappError(f"no such weights file: {path}")
    try:
        state = load_file(str(path))
    except Exception as exc:  # safetensors raises its own error types for damaged files
        raise PoseappError(f"weights {path} are unreadable ({exc}); a cached file can be deleted to re-fetch") from exc
    check_values(state, str(path))
    return state


def read_metadata(path: Path) -> dict[str, str]:
    """A safetensors file's metadata (what it holds and where it came from)."""
    from safetensors import safe_open

    try:
        with safe_open(str(path), "np") as f:
            return dict(f.metadata() or {})
    except Exception as exc:  # safetensors raises its own error types for damaged files
        raise PoseappError(f"{path} is not a safetensors checkpoint ({exc})") from exc


#: The largest weight magnitude taken: the official weights stay under 200 (II's 163); a file
#: scaled by 1e30 passes a finite check, then overflows inside the model.
MAX_WEIGHT = 1e6
WEIGHT_DTYPES = (np.float16, np.float32, np.float64)


def check_values(state: dict[str, np.ndarray], origin: str) -> None:
    """PoseappError naming the first tensor that is not floating point, or holds NaN, infinity or
    a magnitude over ``MAX_WEIGHT``: such weights give NaN scores that look like poses (and NaN in
    every result file) or overflow inside the model, so they are never imported or run."""
    for key, value in state.items():
        if value.dtype.type not in WEIGHT_DTYPES:
            raise PoseappError(f"weights {origin} hold {value.dtype} values in {key}, not floating point: refused")
        if not np.isfinite(value).all():
            raise PoseappError(f"weights {origin} hold NaN or infinite values (in {key}): refused")
        if value.size and float(np.abs(value).max()) > MAX_WEIGHT:
            raise PoseappError(f"weights {origin} hold values over {MAX_WEIGHT:g} in size (in {key}, "
                               f"{float(np.abs(value).max()):.3g}): refused")


def read_regular(path: Path) -> bytes:
    """The bytes of a regular weights file of at most ``MAX_WEIGHTS_BYTES``; PoseappError for a
    folder, a device (a link to /dev/zero would never end) or a file far larger than any model."""
    if not path.is_file():
        raise PoseappError(f"{path} is not a regular file")
    if path.stat().st_size > MAX_WEIGHTS_BYTES:
        raise PoseappError(f"{path} is larger than any EfficientPose weights file ({MAX_WEIGHTS_BYTES >> 20} MB)")
    return path.read_bytes()


_digests: dict[tuple[str, int, int, int], str] = {}


def sha256(path: Path) -> str:
    """The SHA-256 of a weights file (what names its graphs and what result files record).

    Remembered for this process per file, size, modification time and inode (a file replaced by
    a rename is read again): each engine load, variant swap and result file asks (50 ms for IV)."""
    try:
        st = path.stat()
    except OSError:
        return hashlib.sha256(read_regular(path)).hexdigest()  # says what is wrong with the path
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns, st.st_ino)
    if key not in _digests:
        _digests[key] = hashlib.sha256(read_regular(path)).hexdigest()
    return _digests[key]
