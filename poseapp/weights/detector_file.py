"""The person detector's file onto this machine, like the pose models' weights: fetched from its
official URL (or ``POSEAPP_DETECTOR_SOURCE``: a folder or base URL), SHA-256 checked, converted
once to an ONNX graph in the cache (``tflite_onnx``), or imported from a folder offline.

The file is MediaPipe's BlazePose detector (Apache-2.0), pinned in ``weights/manifest.json``;
like upstream's models it is never committed. The graph's name holds the file's SHA-256, so a
graph of another file is never used; a packaged app carries it in its bundled folder.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from poseapp.errors import MissingWeightsError
from poseapp.io.atomic import replacing
from poseapp.weights.cache import bundled_dir, cache_dir, onnx_dir, read_regular
from poseapp.weights.download import Progress, fetch
from poseapp.weights.manifest import manifest_section

GRAPH_VERSION = 1


@dataclass(frozen=True)
class DetectorFile:
    url: str
    sha256: str
    name: str


def detector_file() -> DetectorFile:
    """The pinned detector file of the manifest."""
    entry = manifest_section("detector")
    return DetectorFile(entry["url"], entry["sha256"], entry["path"].rsplit("/", 1)[-1])


def graph_path() -> Path:
    """Where the converted graph lives in the cache."""
    return onnx_dir() / f"person-detector-{detector_file().sha256[:16]}-g{GRAPH_VERSION}.onnx"


def ready_graph() -> Path | None:
    """The converted graph, in the cache or the packaged app's folder; None when not made yet."""
    for folder in (onnx_dir(), bundled_dir()):
        if folder is not None and (folder / graph_path().name).is_file():
            return folder / graph_path().name
    return None


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def install(tflite: Path, origin: str) -> Path:
    """Check ``tflite`` against the pinned SHA-256 and write its graph into the cache."""
    from poseapp.weights.tflite_onnx import onnx_bytes
    from poseapp.weights.tflite_reader import TFLiteGraph

    got = _sha256(read_regular(tflite))
    pinned = detector_file().sha256
    if got != pinned:
        raise MissingWeightsError(f"{origin} is not MediaPipe's pose detector: SHA-256 {got}, expected {pinned}")
    dest = graph_path()
    dest.parent.mkdir(parents=True, exist_ok=True)
    with replacing(dest) as tmp:
        tmp.write_bytes(onnx_bytes(TFLiteGraph(tflite), "BlazePoseDetector"))
    return dest


def find_in(folder: Path) -> Path | None:
    """The detector's file in ``folder``: flat, or in its ``person-detector/`` subfolder."""
    name = detector_file().name
    for candidate in (Path(folder) / name, Path(folder) / "person-detector" / name):
        if candidate.is_file():
            return candidate
    return None


def ensure_detector(progress: Progress | None = None) -> Path:
    """The detector's ONNX graph, fetched and converted first when missing.

    MissingWeightsError says what is missing and what to do when it cannot be had (offline)."""
    found = ready_graph()
    if found is not None:
        return found
    source = os.environ.get("POSEAPP_DETECTOR_SOURCE", "")
    file = detector_file()
    if source and "://" not in source:
        local = find_in(Path(source))
        if local is None:
            raise MissingWeightsError(f"POSEAPP_DETECTOR_SOURCE={source} holds no {file.name}")
        return install(local, str(local))
    url = source.rstrip("/") + "/" + file.name if source else file.url
    part = cache_dir() / "downloads" / file.name
    try:
        fetch(url, part, file.sha256, progress, digest=_sha256)
        return install(part, url)
    except MissingWeightsError as exc:
        raise MissingWeightsError(f"the person detector is not on this machine ({exc}); `poseapp weights import "
                                  f"DIR` takes it from a folder holding {file.name}") from exc
    finally:
        part.unlink(missing_ok=True)
