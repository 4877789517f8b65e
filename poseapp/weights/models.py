"""Model names: an official variant (``RT``, ``II_LITE``...) or an imported trained model.

``resolve`` turns a name the user typed into one ``ModelRef`` (its canonical name, architecture and
weights file) once; everything below takes that reference, so a name is never looked up twice
for one engine. A trained model lives in ``cache.trained_dir()`` as ``<name>.safetensors``, its
variant in the file's metadata.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from poseapp.errors import PoseappError
from poseapp.model.variants import VARIANTS, Variant, get_variant
from poseapp.weights.cache import read_metadata, trained_dir, weights_dir


@dataclass(frozen=True)
class ModelRef:
    """A resolved model: ``name`` (canonical), ``variant`` (its architecture row)."""

    name: str
    variant: Variant

    @property
    def official(self) -> bool:
        """An upstream variant (weights from upstream), not a trained model."""
        return self.name in VARIANTS

    @property
    def weights_path(self) -> Path:
        """Where its converted or imported safetensors file is (or will be)."""
        if self.official:
            return weights_dir() / f"EfficientPose{self.name}.safetensors"
        return trained_dir() / f"{self.name}.safetensors"


def official(name: str) -> Variant | None:
    """The official variant ``name`` spells (any case, 'II Lite' or 'II-LITE'), or None."""
    try:
        return get_variant(name)
    except PoseappError:
        return None


def checkpoint_variant(path: Path) -> str:
    """The variant a trained checkpoint holds, from its metadata; PoseappError when it does not say."""
    variant = read_metadata(path).get("variant")
    if not variant:
        raise PoseappError(f"{path} does not say which variant it holds (no 'variant' in its metadata)")
    return get_variant(variant).name


def trained_models() -> dict[str, str]:
    """Imported trained models: name -> variant, by name."""
    found = {}
    for path in sorted(trained_dir().glob("*.safetensors")):
        if path.name.startswith("."):  # a partial file being written (``io.atomic``)
            continue
        try:
            found[path.stem] = checkpoint_variant(path)
        except PoseappError:
            continue  # a damaged or foreign file is not offered
    return found


def resolve(model: str | ModelRef) -> ModelRef:
    """A model's reference: an official variant, or an imported trained model (a reference is
    returned as it is). Official names are answered without touching the disk (a trained model
    cannot take one)."""
    if isinstance(model, ModelRef):
        return model
    variant = official(model)
    if variant is not None:
        return ModelRef(variant.name, variant)
    models, wanted = trained_models(), model.strip()
    if wanted in models:
        return ModelRef(wanted, get_variant(models[wanted]))
    same = [name for name in models if name.lower() == wanted.lower()]
    if len(same) == 1:
        return ModelRef(same[0], get_variant(models[same[0]]))
    if same:
        raise PoseappError(f"{model!r} is ambiguous: models {', '.join(same)} differ only in case; name one exactly")
    names = ", ".join([*VARIANTS, *models])
    raise PoseappError(f"unknown model {model!r}; choose one of: {names}")


def cached_path(model: str | ModelRef) -> Path:
    """The weights file of ``model`` (see ``ModelRef.weights_path``)."""
    return resolve(model).weights_path
