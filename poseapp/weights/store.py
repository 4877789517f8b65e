"""Where weights come from: the converted cache, then POSEAPP_WEIGHTS_SOURCE, then upstream.

The cache holds safetensors (never pickles), one file per variant, whose metadata names the
upstream file and blob id it was converted from. Every upstream file is checked against the
manifest's blob id before it is converted; nothing unverified reaches the cache.

Beside them sit the ONNX graphs the CPU engine runs, named by the SHA-256 of the weights file they
were exported from, so a graph is never paired with other weights. Exporting needs torch; running
a graph does not, so a torch-free install uses a graph already in the cache.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

from poseapp.errors import PoseappError
from poseapp.model.variants import VARIANTS, get_variant
from poseapp.weights.download import Progress, fetch
from poseapp.weights.manifest import UpstreamFile, git_blob_id, load_manifest

CACHED, AVAILABLE, MISSING = "cached", "available from source", "missing"


def cache_dir() -> Path:
    """The user's cache folder (``POSEAPP_CACHE`` overrides), never the install folder."""
    env = os.environ.get("POSEAPP_CACHE")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("poseapp"))


def cached_path(variant: str) -> Path:
    return cache_dir() / "weights" / f"EfficientPose{get_variant(variant).name}.safetensors"


def onnx_dir() -> Path:
    return cache_dir() / "onnx"


def bundled_dir() -> Path | None:
    """Exported graphs shipped inside a packaged app (read-only; PyInstaller's folder, or
    ``POSEAPP_BUNDLED``); None when running from source."""
    env = os.environ.get("POSEAPP_BUNDLED")
    if env:
        return Path(env)
    base = getattr(sys, "_MEIPASS", None)
    return Path(base) / "bundled" if base else None


def weights_source() -> str:
    """``POSEAPP_WEIGHTS_SOURCE`` (a folder like upstream's models/, or a base URL) or upstream."""
    return os.environ.get("POSEAPP_WEIGHTS_SOURCE") or load_manifest().base_url


def _is_url(source: str) -> bool:
    return "://" in source


def status(variant: str) -> str:
    """'cached', 'available from source' or 'missing' for one variant."""
    name = get_variant(variant).name
    path = cached_path(name)
    if path.exists():
        return CACHED
    source = weights_source()
    if _is_url(source):
        return AVAILABLE
    return AVAILABLE if any((Path(source) / f.path).exists() for f in load_manifest().files_for(name)) else MISSING


def save_state(path: Path, state: dict[str, np.ndarray], metadata: dict[str, str]) -> Path:
    """Write a state dict as safetensors through a temporary file and an atomic rename."""
    from safetensors.numpy import save_file

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    os.close(fd)
    try:
        save_file(state, tmp, metadata=metadata)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return path


def _install(variant: str, upstream_file: Path, entry: UpstreamFile, origin: str) -> Path:
    from poseapp.weights.convert import convert

    got = git_blob_id(upstream_file.read_bytes())
    if got != entry.blob:
        raise PoseappError(
            f"{upstream_file} is not the upstream {entry.path}: git blob id {got}, expected {entry.blob}"
        )
    state = convert(upstream_file, variant)
    meta = {"variant": variant, "source": entry.path, "blob": entry.blob, "origin": origin,
            "commit": load_manifest().commit}
    return save_state(cached_path(variant), state, meta)


def ensure_weights(variant: str, progress: Progress | None = None) -> Path:
    """Return the cached safetensors for ``variant``, fetching and converting it if needed."""
    name = get_variant(variant).name
    path = cached_path(name)
    if path.exists():
        return path
    entries = load_manifest().files_for(name)
    source = weights_source()
    if not _is_url(source):
        for entry in entries:
            candidate = Path(source) / entry.path
            if candidate.exists():
                return _install(name, candidate, entry, str(candidate))
        raise PoseappError(
            f"no weights for {name}: {source} has none of {', '.join(e.path for e in entries)}. "
            "Unset POSEAPP_WEIGHTS_SOURCE to download from upstream, or run `poseapp weights import DIR`."
        )
    local = upstream_file(entries[0], progress)
    try:
        return _install(name, local, entries[0], source.rstrip("/") + "/" + entries[0].path)
    finally:
        local.unlink(missing_ok=True)


def upstream_file(entry: UpstreamFile, progress: Progress | None = None) -> Path:
    """A local copy of one upstream file: the source folder's own, or a verified download."""
    source = weights_source()
    if not _is_url(source):
        candidate = Path(source) / entry.path
        if not candidate.exists():
            raise PoseappError(f"no {entry.path} in {source}; unset POSEAPP_WEIGHTS_SOURCE to download it")
        return candidate
    return fetch(source.rstrip("/") + "/" + entry.path, cache_dir() / "downloads" / entry.name, entry.blob, progress)


def load_state(variant: str, progress: Progress | None = None) -> dict[str, np.ndarray]:
    """The variant's weights as numpy arrays keyed like our module's state dict."""
    return load_state_file(ensure_weights(variant, progress))


def load_state_file(path: Path) -> dict[str, np.ndarray]:
    """A safetensors file as numpy arrays; PoseappError when it is missing or damaged."""
    from safetensors.numpy import load_file

    if not Path(path).is_file():
        raise PoseappError(f"no such weights file: {path}")
    try:
        return load_file(str(path))
    except Exception as exc:  # safetensors raises its own error types for damaged files
        raise PoseappError(f"weights {path} are unreadable ({exc}); a cached file can be deleted to re-fetch") from exc


def weights_identity(variant: str) -> dict[str, str]:
    """What a result file records about the weights: upstream file and git blob id, cached file's SHA-256."""
    name = get_variant(variant).name
    entry = load_manifest().files_for(name)[0]
    cached = cached_path(name)
    return {"upstream_file": entry.path, "git_blob": entry.blob, "commit": load_manifest().commit,
            "sha256": _sha256(cached) if cached.exists() else ""}


def import_folder(folder: Path) -> list[str]:
    """Convert every upstream model file found in ``folder`` (laid out like ``models/`` or flat).

    Returns the variants imported. A file whose name matches but whose hash does not is an error.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise PoseappError(f"{folder} is not a folder")
    done = []
    for name in VARIANTS:
        for entry in load_manifest().files_for(name):
            for candidate in (folder / entry.path, folder / entry.name):
                if candidate.is_file():
                    _install(name, candidate, entry, str(candidate))
                    done.append(name)
                    break
            if name in done:
                break
    return done


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _torch_present() -> bool:
    try:
        return importlib.util.find_spec("torch") is not None
    except (ImportError, ValueError):
        return False


def _graph_path(variant: str, digest: str) -> Path:
    """The graph's file: variant, the weights' SHA-256 (16 hex digits) and the graph layout version."""
    from poseapp.weights.onnx_export import GRAPH_VERSION

    return onnx_dir() / f"EfficientPose{variant}-{digest[:16]}-g{GRAPH_VERSION}.onnx"


def ensure_onnx(variant: str, progress: Progress | None = None) -> Path:
    """The ONNX graph for ``variant``, exported from its cached weights when missing or stale.

    Without torch, a graph already in the cache is used as it is (the weights file may be absent).
    """
    name = get_variant(variant).name
    weights = cached_path(name)
    if weights.exists():
        path = _graph_path(name, _sha256(weights))
        if path.exists():
            return path
    else:
        for folder in (onnx_dir(), bundled_dir()):
            found = sorted(folder.glob(_graph_path(name, "*").name), key=lambda p: p.stat().st_mtime) if folder else []
            if found:
                return found[-1]
    if not _torch_present():
        raise PoseappError(
            f"no ONNX graph for {name} in {onnx_dir()}, and exporting one needs torch; install poseapp "
            "with its default dependencies, or copy an exported graph there"
        )
    from poseapp.weights.onnx_export import export_onnx

    weights = ensure_weights(name, progress)
    path = _graph_path(name, _sha256(weights))
    export_onnx(name, load_state(name), path, str(weights))
    for old in onnx_dir().glob(f"EfficientPose{name}-*.onnx"):
        if old != path:
            old.unlink(missing_ok=True)
    return path
