"""The fixed-size export copy computes what the model computes: static padding, plain swish, and the
upscaler as matrix products (bilinear kernels), depthwise (diagonal ones) or as it is."""

from __future__ import annotations

import pytest
import torch
from timm.layers import Conv2dSame

from poseapp.model.blocks import ESwish
from poseapp.model.efficientpose import create_model
from poseapp.model.static import MatrixUpscale, static_copy


@pytest.mark.parametrize("variant", ["RT", "II"])
def test_static_copy_matches_the_model(variant):
    torch.manual_seed(0)
    model = create_model(variant)
    size = model.variant.resolution
    fixed = static_copy(model, size)
    assert not any(isinstance(m, Conv2dSame) for m in fixed.modules())
    assert isinstance(fixed.upscale, MatrixUpscale)  # upstream's kernels, as create_model sets them
    assert not any(isinstance(m, ESwish) for m in fixed.modules())
    x = torch.randn(2, 3, size, size)
    with torch.no_grad():
        assert torch.allclose(model(x), fixed(x), atol=1e-5)


def test_trained_diagonal_upscaling_runs_depthwise():
    torch.manual_seed(0)
    model = create_model("RT")
    with torch.no_grad():
        model.upscale[1].weight[3, 3] *= 1.1  # no longer bilinear, still one channel to itself
    fixed = static_copy(model, 224)
    assert all(m.groups == 16 for m in fixed.upscale)
    x = torch.randn(1, 3, 224, 224)
    with torch.no_grad():
        assert torch.allclose(model(x), fixed(x), atol=1e-5)


def test_cross_channel_upscaling_is_kept():
    model = create_model("RT")
    with torch.no_grad():
        model.upscale[0].weight[0, 1] += 0.1
    fixed = static_copy(model, 224)
    assert fixed.upscale[0].groups == 1 and fixed.upscale[1].groups == 16
