"""The EfficientPose variant table: one row per variant drives the single builder.

Widths and depths are read off the upstream files (Keras ``model_config`` for RT, I and the
Lite models, the TFLite graphs for II and II Lite) and the paper's Table 2 for III and IV.
Metadata that is not architecture (weights, URLs, hashes) lives in ``weights/manifest.json``.
"""

from __future__ import annotations

from dataclasses import dataclass

from poseapp.errors import PoseappError


@dataclass(frozen=True)
class Variant:
    """Architecture of one EfficientPose variant.

    name: the variant's upstream name (``RT``, ``II_LITE``...).
    resolution: square input size in pixels.
    backbone_high: timm id of the EfficientNet whose blocks 1-3 see the full-resolution image.
    backbone_low: timm id of the EfficientNet whose blocks 1-2 see the 2x average-pooled image,
        or None for single-resolution variants (RT and the Lite models).
    width: channels C of every Mobile DenseNet's MBConv outputs (the high backbone's output).
    depth: Mobile DenseNets per detection pass.
    lite: EfficientNet-Lite style: ReLU6, no squeeze-and-excitation, only the final output.
    """

    name: str
    resolution: int
    backbone_high: str
    backbone_low: str | None
    width: int
    depth: int
    lite: bool = False

    @property
    def normalisation(self) -> str:
        """Upstream's input normalisation: 'torch' (ImageNet mean/std) or 'tf' (x/127.5-1)."""
        return "tf" if self.lite else "torch"


VARIANTS: dict[str, Variant] = {
    v.name: v
    for v in (
        Variant("RT", 224, "tf_efficientnet_b0", None, width=40, depth=1),
        Variant("I", 256, "tf_efficientnet_b2", "tf_efficientnet_b0", width=48, depth=1),
        Variant("II", 368, "tf_efficientnet_b4", "tf_efficientnet_b0", width=56, depth=2),
        Variant("III", 480, "tf_efficientnet_b5", "tf_efficientnet_b1", width=64, depth=3),
        Variant("IV", 600, "tf_efficientnet_b7", "tf_efficientnet_b3", width=80, depth=4),
        Variant("RT_LITE", 224, "tf_efficientnet_lite0", None, width=40, depth=1, lite=True),
        Variant("I_LITE", 256, "tf_efficientnet_lite2", None, width=48, depth=1, lite=True),
        Variant("II_LITE", 368, "tf_efficientnet_lite4", None, width=56, depth=2, lite=True),
    )
}

#: Parameter counts published by the paper and upstream README, in millions.
PUBLISHED_PARAMS_M: dict[str, float] = {
    "RT": 0.46, "I": 0.72, "II": 1.73, "III": 3.23, "IV": 6.56,
    "RT_LITE": 0.40, "I_LITE": 0.59, "II_LITE": 1.46,
}


def get_variant(name: str) -> Variant:
    """Return the variant named ``name`` (case-insensitive, 'II Lite' and 'II_LITE' alike)."""
    key = name.strip().upper().replace(" ", "_").replace("-", "_")
    if key not in VARIANTS:
        raise PoseappError(f"unknown model variant {name!r}; choose one of: {', '.join(VARIANTS)}")
    return VARIANTS[key]
