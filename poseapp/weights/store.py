"""Where weights come from: the converted cache, then POSEAPP_WEIGHTS_SOURCE, then upstream.

The cache holds safetensors (never pickles), one file per variant, whose metadata names the
upstream file and blob id it was converted from. Every upstream file is checked against the
manifest's blob id before it is converted; nothing unverified reaches the cache.

Models trained with ``poseapp train`` and imported (``poseapp weights import RUN``) live in
``models/``, one safetensors file per model named by the user, its variant in the metadata; every
function here takes either an official variant name or such a model's name.

Beside them sit the ONNX graphs the CPU engine runs, named by the SHA-256 of the weights file they
were exported from, so a graph is never paired with other weights. Exporting needs torch; running
a graph does not, so a torch-free install uses a graph already in the cache.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

from poseapp.errors import MissingWeightsError, PoseappError
from poseapp.model.variants import VARIANTS, Variant, get_variant
from poseapp.weights.download import MAX_WEIGHTS_BYTES, Progress, fetch
from poseapp.weights.manifest import UpstreamFile, git_blob_id, load_manifest

log = logging.getLogger(__name__)

CACHED, IN_SOURCE, DOWNLOAD, MISSING = "cached", "in source folder", "needs download", "missing"
#: What each status means, for the CLI's legend.
STATUS_MEANING = {
    CACHED: "converted and ready",
    IN_SOURCE: "POSEAPP_WEIGHTS_SOURCE holds the upstream file: converted on first use",
    DOWNLOAD: "not on this machine: downloaded from upstream on first use (needs the internet), "
              "or `poseapp weights import DIR`",
    MISSING: "not on this machine nor in the source folder: `poseapp weights import DIR`",
}


def cache_dir() -> Path:
    """The user's cache folder (``POSEAPP_CACHE`` overrides), never the install folder."""
    env = os.environ.get("POSEAPP_CACHE")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("poseapp"))


def trained_dir() -> Path:
    return cache_dir() / "models"


def _metadata(path: Path) -> dict[str, str]:
    from safetensors import safe_open

    try:
        with safe_open(str(path), "np") as f:
            return dict(f.metadata() or {})
    except Exception as exc:  # safetensors raises its own error types for damaged files
        raise PoseappError(f"{path} is not a safetensors checkpoint ({exc})") from exc


def checkpoint_variant(path: Path) -> str:
    """The variant a trained checkpoint holds, from its metadata; PoseappError when it does not say."""
    variant = _metadata(path).get("variant")
    if not variant:
        raise PoseappError(f"{path} does not say which variant it holds (no 'variant' in its metadata)")
    return get_variant(variant).name


def trained_models() -> dict[str, str]:
    """Imported trained models: name -> variant, by name."""
    found = {}
    for path in sorted(trained_dir().glob("*.safetensors")):
        try:
            found[path.stem] = checkpoint_variant(path)
        except PoseappError:
            continue  # a damaged or foreign file is not offered
    return found


def _official(name: str) -> Variant | None:
    """The official variant ``name`` spells (any case, 'II Lite' or 'II-LITE'), or None."""
    try:
        return get_variant(name)
    except PoseappError:
        return None


def resolve(model: str) -> tuple[str, Variant]:
    """A model's canonical name and architecture: an official variant, or an imported trained model.

    Official names are answered without touching the disk (a trained model cannot take one).
    """
    variant = _official(model)
    if variant is not None:
        return variant.name, variant
    models, wanted = trained_models(), model.strip()
    if wanted in models:
        return wanted, get_variant(models[wanted])
    same = [name for name in models if name.lower() == wanted.lower()]
    if len(same) == 1:
        return same[0], get_variant(models[same[0]])
    if same:
        raise PoseappError(f"{model!r} is ambiguous: models {', '.join(same)} differ only in case; name one exactly")
    names = ", ".join([*VARIANTS, *models])
    raise PoseappError(f"unknown model {model!r}; choose one of: {names}")


def cached_path(model: str) -> Path:
    name, _ = resolve(model)
    if name not in VARIANTS:
        return trained_dir() / f"{name}.safetensors"
    return cache_dir() / "weights" / f"EfficientPose{name}.safetensors"


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
    """What is really there for one model: ``CACHED`` (converted, ready); ``IN_SOURCE`` (a local
    POSEAPP_WEIGHTS_SOURCE folder holds its upstream file); ``DOWNLOAD`` (nothing here: the first use
    downloads it, which needs the network); ``MISSING`` (a local source without it, or a trained
    model whose file is gone). Nothing is fetched to find out."""
    name = resolve(variant)[0]
    path = cached_path(name)
    if path.is_file():
        return CACHED
    if name not in VARIANTS:
        return MISSING
    source = weights_source()
    if _is_url(source):
        return DOWNLOAD
    held = any((Path(source) / f.path).is_file() for f in load_manifest().files_for(name))
    return IN_SOURCE if held else MISSING


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

    got = git_blob_id(_read_regular(upstream_file))
    if got != entry.blob:
        raise MissingWeightsError(
            f"{upstream_file} is not the upstream {entry.path}: git blob id {got}, expected {entry.blob}"
        )
    state = convert(upstream_file, variant, None if _torch_present() else _template_table(variant))
    meta = {"variant": variant, "source": entry.path, "blob": entry.blob, "origin": origin,
            "commit": load_manifest().commit}
    return save_state(cached_path(variant), state, meta)


def ensure_weights(variant: str, progress: Progress | None = None) -> Path:
    """Return the cached safetensors for ``variant``, fetching and converting it if needed."""
    name = resolve(variant)[0]
    path = cached_path(name)
    if path.is_file():
        return path
    if name not in VARIANTS:
        raise MissingWeightsError(f"the trained model {name} is gone from {path}; import it again")
    entries = load_manifest().files_for(name)
    source = weights_source()
    if not _is_url(source):
        for entry in entries:
            candidate = Path(source) / entry.path
            if candidate.is_file():
                return _install(name, candidate, entry, str(candidate))
        raise MissingWeightsError(
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
        if not candidate.is_file():
            raise MissingWeightsError(f"no {entry.path} in {source}; unset POSEAPP_WEIGHTS_SOURCE to download it")
        return candidate
    return fetch(source.rstrip("/") + "/" + entry.path, cache_dir() / "downloads" / entry.name, entry.blob, progress)


def local_upstream_folders() -> list[Path]:
    """Folders on this machine that hold upstream's files: a local POSEAPP_WEIGHTS_SOURCE, and the
    folders earlier imports came from (recorded in each cached file's metadata)."""
    folders = [] if _is_url(weights_source()) else [Path(weights_source())]
    for name in VARIANTS:
        path = cached_path(name)
        origin = _metadata(path).get("origin", "") if path.is_file() else ""
        if origin and not _is_url(origin):
            file = Path(origin)  # .../models/tflite/X.tflite (layout of upstream) or .../X.tflite (flat)
            folders += [file.parent.parent, file.parent]
    return [f for f in dict.fromkeys(folders) if f.is_dir()]


def local_upstream_file(entry: UpstreamFile) -> Path | None:
    """Upstream's ``entry`` verified on this machine (see ``local_upstream_folders``), or None."""
    for folder in local_upstream_folders():
        for candidate in (folder / entry.path, folder / entry.name):
            if candidate.is_file() and git_blob_id(_read_regular(candidate)) == entry.blob:
                return candidate
    return None


def load_state(variant: str, progress: Progress | None = None) -> dict[str, np.ndarray]:
    """The variant's weights as numpy arrays keyed like our module's state dict."""
    return load_state_file(ensure_weights(variant, progress))


def load_state_file(path: Path) -> dict[str, np.ndarray]:
    """A safetensors file as numpy arrays; PoseappError when it is missing or damaged."""
    from safetensors.numpy import load_file

    if not Path(path).is_file():
        raise PoseappError(f"no such weights file: {path}")
    try:
        state = load_file(str(path))
    except Exception as exc:  # safetensors raises its own error types for damaged files
        raise PoseappError(f"weights {path} are unreadable ({exc}); a cached file can be deleted to re-fetch") from exc
    check_finite(state, str(path))
    return state


def check_finite(state: dict[str, np.ndarray], origin: str) -> None:
    """PoseappError naming the first tensor holding NaN or infinity: such weights give NaN scores
    that look like poses (and NaN in every result file), so they are never imported or run."""
    for key, value in state.items():
        if np.issubdtype(value.dtype, np.floating) and not np.isfinite(value).all():
            raise PoseappError(f"weights {origin} hold NaN or infinite values (in {key}): refused")


def weights_identity(variant: str) -> dict[str, str]:
    """What a result file records about the weights: upstream file and git blob id, cached file's
    SHA-256; for a trained model its variant, the run it came from and the file's SHA-256."""
    name = resolve(variant)[0]
    if name not in VARIANTS:
        path = cached_path(name)
        meta = _metadata(path)
        return {"trained_model": name, "variant": meta.get("variant", ""), "source": meta.get("source", ""),
                "run": meta.get("run", ""), "sha256": _sha256(path)}
    entry = load_manifest().files_for(name)[0]
    cached = cached_path(name)
    return {"upstream_file": entry.path, "git_blob": entry.blob, "commit": load_manifest().commit,
            "sha256": _sha256(cached) if cached.is_file() else ""}


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


def import_checkpoint(path: Path, name: str | None = None) -> str:
    """Copy a ``poseapp train`` checkpoint (a .safetensors file, or a run folder's best one) into
    the model list under ``name`` (default: the run folder's name); returns the name.

    The weights must fit their variant (checked with torch when it is installed), and a name may not
    shadow an official variant.
    """
    path = Path(path)
    if path.is_dir():
        path = path / "best.safetensors"
    if not path.is_file():
        raise PoseappError(f"no trained checkpoint at {path}")
    variant = checkpoint_variant(path)
    name = (name or (path.parent.name if path.stem in ("best", "last") else path.stem)).strip()
    if not name or name.startswith(".") or any(c in name for c in '/\\:*?"<>|'):
        raise PoseappError(f"{name!r} cannot name a model: use letters, digits, '-' and '_'")
    if _official(name) is not None:
        raise PoseappError(f"{name!r} is an official variant's name; pick another with --name")
    clash = [other for other in trained_models() if other.lower() == name.lower() and other != name]
    if clash:
        raise PoseappError(f"a model named {clash[0]!r} exists: names may not differ only in case "
                           "(one would hide the other); pick another with --name")
    state = load_state_file(path)
    if _torch_present():
        from poseapp.weights.convert import load_model

        load_model(variant, state, str(path))
    meta = {**_metadata(path), "variant": variant, "name": name, "imported_from": str(path.resolve())}
    save_state(trained_dir() / f"{name}.safetensors", state, meta)
    return name


def _read_regular(path: Path) -> bytes:
    """The bytes of a regular weights file of at most ``MAX_WEIGHTS_BYTES``; PoseappError for a
    folder, a device (a link to /dev/zero would never end) or a file far larger than any model."""
    if not path.is_file():
        raise PoseappError(f"{path} is not a regular file")
    if path.stat().st_size > MAX_WEIGHTS_BYTES:
        raise PoseappError(f"{path} is larger than any EfficientPose weights file ({MAX_WEIGHTS_BYTES >> 20} MB)")
    return path.read_bytes()


def _sha256(path: Path) -> str:
    return hashlib.sha256(_read_regular(path)).hexdigest()


def _torch_present() -> bool:
    try:
        return importlib.util.find_spec("torch") is not None
    except (ImportError, ValueError):
        return False


def template_for(variant: str) -> tuple[Path, Path] | None:
    """A bundled graph template of ``variant`` (its graph and JSON), for installs without torch."""
    from poseapp.weights.onnx_template import template_paths

    folder = bundled_dir()
    if folder is None:
        return None
    paths = template_paths(folder / "templates", variant)
    return paths if all(p.is_file() for p in paths) else None


def _template_table(variant: str):
    """The layer table that converts ``variant``'s upstream file without torch."""
    from poseapp.weights.onnx_template import load_spec

    found = template_for(variant)
    if found is None:
        raise PoseappError(f"converting the {variant} weights needs torch, or this app's bundled graph templates")
    return load_spec(found[1])[0]


def _graph_path(variant: str, digest: str) -> Path:
    """The graph's file: model, the weights' SHA-256 (16 hex digits) and the graph layout version."""
    from poseapp.weights.onnx_export import GRAPH_VERSION

    stem = f"EfficientPose{variant}" if variant in VARIANTS else f"trained-{variant}"
    return onnx_dir() / f"{stem}-{digest[:16]}-g{GRAPH_VERSION}.onnx"


def _graphs(folder: Path, model: str, any_version: bool = False) -> list[Path]:
    """The graphs of ``model`` in ``folder`` for any weights, oldest first; of the current graph
    layout only unless ``any_version``."""
    stem, _, version = _graph_path(model, "0" * 16).name.rsplit("-", 2)
    pattern = f"{stem}-{'[0-9a-f]' * 16}-{'g*.onnx' if any_version else version}"
    return sorted(folder.glob(pattern), key=lambda p: p.stat().st_mtime)


def ensure_onnx(variant: str, progress: Progress | None = None) -> Path:
    """The ONNX graph for ``variant`` (see ``onnx_graph``)."""
    return onnx_graph(variant, progress)[0]


def onnx_graph(variant: str, progress: Progress | None = None) -> tuple[Path, dict[str, np.ndarray] | None]:
    """The ONNX graph for ``variant``, exported from its cached weights when missing or stale, and
    the weights to hand ONNX Runtime with it (None: the graph holds its own).

    Without torch, a graph already in the cache is used as it is (the weights file may be absent);
    failing that, the bundled template of its variant, filled with the (downloaded) weights.
    """
    name, kind = resolve(variant)
    weights = cached_path(name)
    if weights.exists():
        path = _graph_path(name, _sha256(weights))
        if path.exists():
            return path, None
    else:
        for folder in (onnx_dir(), bundled_dir()):
            found = _graphs(folder, name) if folder else []
            if found:
                return found[-1], None
    if not _torch_present():
        template = template_for(kind.name)
        if template is None:
            raise PoseappError(
                f"no ONNX graph for {name} in {onnx_dir()}, and exporting one needs torch; install poseapp "
                "with its default dependencies, or copy an exported graph there"
            )
        from poseapp.weights.onnx_template import initializers, load_spec

        state = load_state(name, progress)
        return template[0], initializers(load_spec(template[1])[1], state, str(cached_path(name)))
    from poseapp.weights.onnx_export import export_onnx

    log.info("preparing the %s model for this machine (first use only; about 10 s)", name)
    weights = ensure_weights(name, progress)
    path = _graph_path(name, _sha256(weights))
    export_onnx(kind.name, load_state(name), path, str(weights))
    for old in _graphs(onnx_dir(), name, any_version=True):
        if old != path:
            old.unlink(missing_ok=True)
    return path, None
