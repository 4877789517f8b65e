"""The ONNX graphs the CPU engine runs, cached beside the weights they were exported from.

A graph is named by the SHA-256 of its weights file and the graph layout version, so it is never
paired with other weights or made by older code. Writing one needs numpy only
(``onnx_export``), so every install, the torch-free ones included, makes its own.
"""

from __future__ import annotations

import logging
from pathlib import Path

from poseapp.weights.cache import bundled_dir, onnx_dir, sha256
from poseapp.weights.download import Progress
from poseapp.weights.install import ensure_weights, load_state
from poseapp.weights.models import ModelRef, resolve

log = logging.getLogger(__name__)
CHECKPOINT_GRAPHS_KEPT = 5  # graphs of evaluated training checkpoints, the newest


def graph_path(ref: ModelRef, digest: str) -> Path:
    """The graph's file: model, the weights' SHA-256 (16 hex digits) and the graph layout version."""
    from poseapp.weights.onnx_export import GRAPH_VERSION

    stem = f"EfficientPose{ref.name}" if ref.official else f"trained-{ref.name}"
    return onnx_dir() / f"{stem}-{digest[:16]}-g{GRAPH_VERSION}.onnx"


def cached_graphs(folder: Path, ref: ModelRef, any_version: bool = False) -> list[Path]:
    """The graphs of ``ref`` in ``folder`` for any weights, oldest first; of the current graph
    layout only unless ``any_version``."""
    stem, _, version = graph_path(ref, "0" * 16).name.rsplit("-", 2)
    pattern = f"{stem}-{'[0-9a-f]' * 16}-{'g*.onnx' if any_version else version}"
    return sorted(folder.glob(pattern), key=lambda p: p.stat().st_mtime)


def ensure_onnx(model: str | ModelRef, progress: Progress | None = None) -> Path:
    """The ONNX graph for ``model``, written from its cached weights when missing or stale.

    A graph already in the cache (or the packaged app's folder) is used as it is when the weights
    file is absent; otherwise the weights are fetched and converted first. Older graphs of the same
    model are removed once the new one is written.
    """
    ref = resolve(model)
    found = _ready_graph(ref)
    if found is not None:
        return found
    from poseapp.io.folder_lock import waiting_lock
    from poseapp.weights.onnx_export import export_onnx

    # one preparation at a time: batch workers starting together would each convert the weights
    # (files that differ in their metadata's order) and remove each other's graphs
    with waiting_lock(onnx_dir() / f".{ref.name}.lock"):
        found = _ready_graph(ref)
        if found is not None:
            return found
        log.info("preparing the %s model for this machine (first use only)", ref.name)
        weights = ensure_weights(ref, progress)
        path = graph_path(ref, sha256(weights))
        export_onnx(ref.variant.name, load_state(ref), path, str(weights))
        for old in cached_graphs(onnx_dir(), ref, any_version=True):
            if old != path:
                old.unlink(missing_ok=True)
    return path


def _ready_graph(ref: ModelRef) -> Path | None:
    """The graph of ``ref``'s cached weights when it is written; without the weights file, any
    graph of it in the cache or the packaged app's folder; else None."""
    weights = ref.weights_path
    if weights.exists():
        path = graph_path(ref, sha256(weights))
        return path if path.exists() else None
    for folder in (onnx_dir(), bundled_dir()):
        found = cached_graphs(folder, ref) if folder else []
        if found:
            return found[-1]
    return None


def checkpoint_graph(path: Path) -> tuple[str, Path]:
    """The variant of a training checkpoint (``RUN/best.safetensors``) and its ONNX graph, written
    into the graph cache on first use and named by the checkpoint's SHA-256 (``poseapp eval
    --weights``: a checkpoint not imported into the model list, run without torch)."""
    from poseapp.weights.cache import load_state_file
    from poseapp.weights.models import checkpoint_variant
    from poseapp.weights.onnx_export import GRAPH_VERSION, export_onnx

    variant = checkpoint_variant(path)
    graph = onnx_dir() / f"checkpoint-{variant}-{sha256(path)[:16]}-g{GRAPH_VERSION}.onnx"
    if not graph.exists():
        export_onnx(variant, load_state_file(path), graph, str(path))
        made = sorted(onnx_dir().glob("checkpoint-*.onnx"), key=lambda p: p.stat().st_mtime)
        for old in made[:-CHECKPOINT_GRAPHS_KEPT]:  # the cache does not grow with every run evaluated
            if old != graph:
                old.unlink(missing_ok=True)
    return variant, graph
