"""The one EfficientPose builder: backbones, cross-resolution features, passes, upscaling."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch
from torch import nn

from poseapp.model.architecture import NUM_JOINTS, NUM_PAFS, check_shapes
from poseapp.model.blocks import BilinearUpscale, DetectionPass
from poseapp.model.variants import Variant, get_variant


class PoseOutputs(NamedTuple):
    """The network's maps, NCHW. ``pafs`` and ``heatmaps1`` are None for Lite variants."""

    pafs: torch.Tensor | None
    heatmaps1: torch.Tensor | None
    heatmaps2: torch.Tensor
    heatmaps: torch.Tensor  # final, upscaled to the input resolution


def efficientnet_blocks(timm_id: str, n_blocks: int) -> nn.Sequential:
    """Stem and the first ``n_blocks`` stages of a TF-ported timm EfficientNet ('same' padding)."""
    import timm

    net = timm.create_model(timm_id, pretrained=False)
    return nn.Sequential(net.conv_stem, net.bn1, *net.blocks[:n_blocks])


def stage_channels(stages: nn.Sequential) -> int:
    """Output channels of a backbone slice (its last block's last BatchNorm)."""
    return [m for m in stages.modules() if isinstance(m, nn.BatchNorm2d)][-1].num_features


class EfficientPose(nn.Module):
    """EfficientPose for one row of the variant table."""

    def __init__(self, variant: Variant) -> None:
        super().__init__()
        self.variant = variant
        self.backbone_high = efficientnet_blocks(variant.backbone_high, 3)
        feat = stage_channels(self.backbone_high)
        if feat != variant.width:
            raise ValueError(f"{variant.name}: backbone gives {feat} channels, table says {variant.width}")
        if variant.backbone_low:
            self.pool = nn.AvgPool2d(2)
            self.backbone_low = efficientnet_blocks(variant.backbone_low, 2)
            # Upstream cut the low-resolution branch before its last block's residual add
            # (it taps the projection's BatchNorm), so that block has no skip here either.
            self.backbone_low[-1][-1].has_skip = False
            feat += stage_channels(self.backbone_low)
        else:
            self.pool = self.backbone_low = None
        c, d, lite = variant.width, variant.depth, variant.lite
        self.pass1 = DetectionPass(feat, c, d, lite, None if lite else NUM_PAFS)
        self.pass2 = DetectionPass(3 * c + feat, c, d, lite, None if lite else NUM_JOINTS)
        self.pass3 = DetectionPass(3 * c + feat, c, d, lite, NUM_JOINTS)
        self.upscale = BilinearUpscale(NUM_JOINTS)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Cross-resolution features: high-res blocks 1-3 next to low-res blocks 1-2, both at 1/8."""
        high = self.backbone_high(x)
        if self.backbone_low is None:
            return high
        return torch.cat([high, self.backbone_low(self.pool(x))], 1)

    def _passes(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The three detection passes' features; passes 2 and 3 also see the backbone features."""
        feats = self.features(x)
        p1 = self.pass1(feats)
        p2 = self.pass2(torch.cat([p1, feats], 1))
        return p1, p2, self.pass3(torch.cat([p2, feats], 1))

    def forward_all(self, x: torch.Tensor) -> PoseOutputs:
        """Every pass's output, for training with intermediate supervision."""
        p1, p2, p3 = self._passes(x)
        heat2 = self.pass3.head(p3)
        return PoseOutputs(
            self.pass1.head(p1) if self.pass1.head is not None else None,
            self.pass2.head(p2) if self.pass2.head is not None else None,
            heat2,
            self.upscale(heat2),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Final heatmaps (N, 16, H, W) for an NCHW normalised image batch (no auxiliary heads)."""
        return self.upscale(self.pass3.head(self._passes(x)[2]))


def create_model(name: str) -> EfficientPose:
    """Build the variant ``name`` with freshly initialised weights, in eval mode."""
    return EfficientPose(get_variant(name)).eval()


def load_model(variant: str, state: dict[str, np.ndarray], source: str = "the cache") -> EfficientPose:
    """A fresh ``variant`` module in eval mode holding ``state``; PoseappError naming ``source``
    unless ``state`` has exactly the keys and shapes the module needs."""
    model = create_model(variant)
    check_state(model, state, source)
    model.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()}, strict=False)
    return model.eval()


def check_state(model: EfficientPose, state: dict[str, np.ndarray], source: str) -> None:
    """Raise PoseappError unless ``state`` has exactly the keys and shapes ``model`` needs."""
    target = {k: tuple(v.shape) for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
    check_shapes(model.variant.name, target, state, source)


def count_parameters(model: nn.Module) -> int:
    """Trainable parameters (weights and BatchNorm scale/shift; running statistics excluded)."""
    return sum(p.numel() for p in model.parameters())
