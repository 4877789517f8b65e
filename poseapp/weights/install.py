"""Official weights onto this machine: from the cache, else ``POSEAPP_WEIGHTS_SOURCE``, else upstream.

Every upstream file is checked against the manifest's git blob id before it is converted;
nothing unverified reaches the cache. The converted safetensors' metadata names the upstream file,
its blob id and where it came from, which ``weights_identity`` records in every result.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from poseapp.errors import MissingWeightsError, PoseappError
from poseapp.model.variants import VARIANTS
from poseapp.weights.cache import load_state_file, read_metadata, read_regular, save_state, sha256
from poseapp.weights.download import Progress, fetch
from poseapp.weights.manifest import UpstreamFile, git_blob_id, load_manifest
from poseapp.weights.models import ModelRef, resolve

CACHED, IN_SOURCE, DOWNLOAD, MISSING = "cached", "in source folder", "needs download", "missing"
#: What each status means, for the CLI's legend.
STATUS_MEANING = {
    CACHED: "converted and ready",
    IN_SOURCE: "POSEAPP_WEIGHTS_SOURCE holds the upstream file: converted on first use",
    DOWNLOAD: "not on this machine: downloaded from upstream on first use (needs the internet), "
              "or `poseapp weights import DIR`",
    MISSING: "not on this machine nor in the source folder: `poseapp weights import DIR`",
}


def weights_source() -> str:
    """``POSEAPP_WEIGHTS_SOURCE`` (a folder like upstream's models/, or a base URL) or upstream."""
    import os

    return os.environ.get("POSEAPP_WEIGHTS_SOURCE") or load_manifest().base_url


def _is_url(source: str) -> bool:
    return "://" in source


def status(model: str | ModelRef) -> str:
    """What is really there for one model: ``CACHED`` (converted, ready); ``IN_SOURCE`` (a local
    POSEAPP_WEIGHTS_SOURCE folder holds its upstream file); ``DOWNLOAD`` (nothing here: the first use
    downloads it, which needs the network); ``MISSING`` (a local source without it, or a trained
    model whose file is gone). Nothing is fetched to find out."""
    ref = resolve(model)
    if ref.weights_path.is_file():
        return CACHED
    if not ref.official:
        return MISSING
    source = weights_source()
    if _is_url(source):
        return DOWNLOAD
    held = any((Path(source) / f.path).is_file() for f in load_manifest().files_for(ref.name))
    return IN_SOURCE if held else MISSING


def _install(ref: ModelRef, upstream_file: Path, entry: UpstreamFile, origin: str) -> Path:
    from poseapp.weights.convert import convert

    got = git_blob_id(read_regular(upstream_file))
    if got != entry.blob:
        raise MissingWeightsError(
            f"{upstream_file} is not the upstream {entry.path}: git blob id {got}, expected {entry.blob}"
        )
    state = convert(upstream_file, ref.name)
    meta = {"variant": ref.name, "source": entry.path, "blob": entry.blob, "origin": origin,
            "commit": load_manifest().commit}
    return save_state(ref.weights_path, state, meta)


def ensure_weights(model: str | ModelRef, progress: Progress | None = None) -> Path:
    """The cached safetensors of ``model``, fetched and converted first if needed."""
    ref = resolve(model)
    path = ref.weights_path
    if path.is_file():
        return path
    if not ref.official:
        raise MissingWeightsError(f"the trained model {ref.name} is gone from {path}; import it again")
    entries = load_manifest().files_for(ref.name)
    source = weights_source()
    if not _is_url(source):
        for entry in entries:
            candidate = Path(source) / entry.path
            if candidate.is_file():
                return _install(ref, candidate, entry, str(candidate))
        raise MissingWeightsError(
            f"no weights for {ref.name}: {source} has none of {', '.join(e.path for e in entries)}. "
            "Unset POSEAPP_WEIGHTS_SOURCE to download from upstream, or run `poseapp weights import DIR`."
        )
    local = upstream_file(entries[0], progress)
    try:
        return _install(ref, local, entries[0], source.rstrip("/") + "/" + entries[0].path)
    finally:
        local.unlink(missing_ok=True)


def upstream_file(entry: UpstreamFile, progress: Progress | None = None) -> Path:
    """A local copy of one upstream file: the source folder's own, or a verified download."""
    from poseapp.weights.cache import cache_dir

    source = weights_source()
    if not _is_url(source):
        candidate = Path(source) / entry.path
        if not candidate.is_file():
            raise MissingWeightsError(f"no {entry.path} in {source}; unset POSEAPP_WEIGHTS_SOURCE to download it")
        return candidate
    return fetch(source.rstrip("/") + "/" + entry.path, cache_dir() / "downloads" / entry.name, entry.blob, progress)


def local_upstream_folders() -> list[Path]:
    """Folders on this machine that hold upstream's files: a local POSEAPP_WEIGHTS_SOURCE, and the
    folders earlier imports came from (recorded in each cached file's metadata)."""
    folders = [] if _is_url(weights_source()) else [Path(weights_source())]
    for name in VARIANTS:
        path = resolve(name).weights_path
        origin = read_metadata(path).get("origin", "") if path.is_file() else ""
        if origin and not _is_url(origin):
            file = Path(origin)  # .../models/tflite/X.tflite (layout of upstream) or .../X.tflite (flat)
            folders += [file.parent.parent, file.parent]
    return [f for f in dict.fromkeys(folders) if f.is_dir()]


def local_upstream_file(entry: UpstreamFile) -> Path | None:
    """Upstream's ``entry`` verified on this machine (see ``local_upstream_folders``), or None."""
    for folder in local_upstream_folders():
        for candidate in (folder / entry.path, folder / entry.name):
            if candidate.is_file() and git_blob_id(read_regular(candidate)) == entry.blob:
                return candidate
    return None


def load_state(model: str | ModelRef, progress: Progress | None = None) -> dict[str, np.ndarray]:
    """The model's weights as numpy arrays keyed like our module's state dict."""
    return load_state_file(ensure_weights(model, progress))


def weights_identity(model: str | ModelRef) -> dict[str, str]:
    """What a result file records about the weights: upstream file and git blob id, cached file's
    SHA-256; for a trained model its variant, the run it came from and the file's SHA-256."""
    ref = resolve(model)
    path = ref.weights_path
    if not ref.official:
        meta = read_metadata(path)
        return {"trained_model": ref.name, "variant": meta.get("variant", ""), "source": meta.get("source", ""),
                "run": meta.get("run", ""), "sha256": sha256(path)}
    entry = load_manifest().files_for(ref.name)[0]
    return {"upstream_file": entry.path, "git_blob": entry.blob, "commit": load_manifest().commit,
            "sha256": sha256(path) if path.is_file() else ""}


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
                    _install(resolve(name), candidate, entry, str(candidate))
                    done.append(name)
                    break
            if name in done:
                break
    return done
