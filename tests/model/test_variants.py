"""The variant table against the upstream files and the published figures."""

from __future__ import annotations

import h5py
import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from poseapp.errors import PoseappError
from poseapp.model.architecture import describe
from poseapp.model.efficientpose import count_parameters, create_model
from poseapp.model.variants import PUBLISHED_PARAMS_M, VARIANTS, get_variant
from poseapp.weights.tflite_reader import CONV_2D, DEPTHWISE_CONV_2D, TRANSPOSE_CONV, TFLiteGraph
from tests.conftest import UPSTREAM


def keras_trainable(path) -> int:
    total = 0

    def visit(name, obj):
        nonlocal total
        if isinstance(obj, h5py.Dataset) and "moving_" not in name:
            total += obj.size

    with h5py.File(path, "r") as f:
        f["model_weights"].visititems(visit)
    return total


@pytest.mark.parametrize("name", ["RT", "I", "RT_LITE", "I_LITE"])
def test_parameters_equal_upstream_h5(name):
    assert count_parameters(create_model(name)) == keras_trainable(UPSTREAM / "keras" / f"EfficientPose{name}.h5")


def _tflite_conv_shapes(path) -> list[tuple[int, ...]]:
    g = TFLiteGraph(path)
    out = []
    for op in g.operators:
        if op.code == CONV_2D:
            o, kh, kw, i = g.tensors[op.inputs[1]].shape
            out.append((o, i, kh, kw))
        elif op.code == DEPTHWISE_CONV_2D:
            _, kh, kw, c = g.tensors[op.inputs[1]].shape
            out.append((c, 1, kh, kw))
        elif op.code == TRANSPOSE_CONV:
            o, kh, kw, i = g.tensors[op.inputs[1]].shape
            out.append((i, o, kh, kw))
    return sorted(out)


@pytest.mark.parametrize("name", ["II", "II_LITE", "RT", "I", "RT_LITE", "I_LITE"])
def test_every_convolution_matches_tflite_graph(name):
    model = create_model(name)
    ours = sorted(tuple(m.weight.shape) for m in model.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)))
    assert ours == _tflite_conv_shapes(UPSTREAM / "tflite" / f"EfficientPose{name}.tflite")


@pytest.mark.parametrize("name", list(VARIANTS))
def test_published_parameter_counts(name):
    """Published figures round to 0.01M; with BatchNorm statistics (Keras' total) they agree
    within 1%, plus half a unit of that rounding for the two smallest models."""
    model = create_model(name)
    total = count_parameters(model) + sum(b.numel() for k, b in model.named_buffers() if "running" in k)
    published = PUBLISHED_PARAMS_M[name] * 1e6
    assert abs(total - published) <= 0.01 * published + 5e3


@pytest.mark.parametrize("name", ["RT", "I", "II_LITE"])
def test_forward_shapes_and_aux_outputs(name):
    model = create_model(name)
    s = model.variant.resolution
    with torch.no_grad():
        out = model.forward_all(torch.zeros(1, 3, s, s))
    assert out.heatmaps.shape == (1, 16, s, s)
    assert out.heatmaps2.shape == (1, 16, s // 8, s // 8)
    if model.variant.lite:
        assert out.pafs is None and out.heatmaps1 is None
    else:
        assert out.pafs.shape == (1, 28, s // 8, s // 8)


def test_flops_near_published():
    published = {"RT": 0.87, "II_LITE": 7.25}
    for name, g in published.items():
        assert abs(describe(get_variant(name)).flops() / 1e9 - g) / g < 0.03


@pytest.mark.parametrize("name", ["RT", "I", "RT_LITE"])
def test_described_counts_are_torchs(name):
    """The torch-free parameter and FLOP counts (``poseapp models``) are the module's own."""
    model = create_model(name)
    arch = describe(model.variant)
    assert arch.parameters() == count_parameters(model)
    size = model.variant.resolution
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(torch.zeros(1, 3, size, size))
    assert arch.flops() == counter.get_total_flops()


def test_upscaler_starts_bilinear():
    model = create_model("RT")
    x = torch.rand(1, 16, 7, 7)
    with torch.no_grad():
        up = model.upscale[0](x)
    ref = torch.nn.functional.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
    assert torch.allclose(up[..., 1:-1, 1:-1], ref[..., 1:-1, 1:-1], atol=1e-6)


def test_unknown_variant_names_choices():
    with pytest.raises(PoseappError, match="RT, I, II"):
        get_variant("V")
    assert get_variant("ii lite").name == "II_LITE"
    assert np.isclose(PUBLISHED_PARAMS_M["IV"], 6.56)
