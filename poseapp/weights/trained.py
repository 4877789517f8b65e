"""Trained models into the model list: ``poseapp weights import RUN`` and the window's import."""

from __future__ import annotations

from pathlib import Path

from poseapp.errors import PoseappError
from poseapp.model.architecture import check_shapes
from poseapp.weights.cache import load_state_file, read_metadata, save_state, trained_dir
from poseapp.weights.convert import layer_table
from poseapp.weights.models import checkpoint_variant, official, trained_models


def import_checkpoint(path: Path, name: str | None = None) -> str:
    """Copy a ``poseapp train`` checkpoint (a .safetensors file, or a run folder's best one) into
    the model list under ``name`` (default: the run folder's name); returns the name.

    The weights must fit their variant, and a name may not shadow an official variant.
    """
    path = Path(path)
    if path.is_dir():
        path = path / "best.safetensors"
    if not path.is_file():
        raise PoseappError(f"no trained checkpoint at {path}")
    variant = checkpoint_variant(path)
    name = (name or (path.parent.name if path.stem in ("best", "last") else path.stem)).strip()
    if not name or name.startswith(".") or any(c in name for c in '/\\:*?"<>|') or not name.isprintable() \
            or len(name.encode()) > 100:
        raise PoseappError(f"{name!r} cannot name a model: use letters, digits, '-' and '_' (at most 100)")
    if official(name) is not None:
        raise PoseappError(f"{name!r} is an official variant's name; pick another with --name")
    clash = [other for other in trained_models() if other.lower() == name.lower() and other != name]
    if clash:
        raise PoseappError(f"a model named {clash[0]!r} exists: names may not differ only in case "
                           "(one would hide the other); pick another with --name")
    state = load_state_file(path)
    check_shapes(variant, layer_table(variant).shapes, state, str(path))
    meta = {**read_metadata(path), "variant": variant, "name": name, "imported_from": str(path.resolve())}
    save_state(trained_dir() / f"{name}.safetensors", state, meta)
    return name
