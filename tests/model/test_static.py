"""The fixed-size export copy computes what the model computes, with static padding and depthwise upscaling."""

from __future__ import annotations

import pytest
import torch
from timm.layers import Conv2dSame
from torch import nn

from poseapp.model.blocks import ESwish
from poseapp.model.efficientpose import create_model
from poseapp.model.static import static_copy


@pytest.mark.parametrize("variant", ["RT", "II"])
def test_static_copy_matches_the_model(variant):
    torch.manual_seed(0)
    model = create_model(variant)
    size = model.variant.resolution
    fixed = static_copy(model, size)
    assert not any(isinstance(m, Conv2dSame) for m in fixed.modules())
    assert all(m.groups == 16 for m in fixed.modules() if isinstance(m, nn.ConvTranspose2d))
    assert not any(isinstance(m, ESwish) for m in fixed.modules())
    x = torch.randn(2, 3, size, size)
    with torch.no_grad():
        assert torch.allclose(model(x), fixed(x), atol=1e-5)


def test_cross_channel_upscaling_is_kept():
    model = create_model("RT")
    with torch.no_grad():
        model.upscale[0].weight[0, 1] += 0.1
    fixed = static_copy(model, 224)
    assert fixed.upscale[0].groups == 1 and fixed.upscale[1].groups == 16
