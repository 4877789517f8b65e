"""The torch-free description is our torch module: the same state-dict keys and shapes for every
variant, and the graph written from it computes what the module computes (random weights, the
upscaler bilinear, trained on the diagonal, or with cross-channel terms)."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

from poseapp.model.architecture import describe
from poseapp.model.efficientpose import create_model
from poseapp.model.variants import VARIANTS, get_variant
from poseapp.weights.onnx_export import graph_bytes


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_layers_are_the_modules_state_dict(variant):
    arch = describe(get_variant(variant))
    module = {k: tuple(v.shape) for k, v in create_model(variant).state_dict().items()
              if not k.endswith("num_batches_tracked")}
    assert arch.shapes() == module
    assert len({c.upstream for c in arch.layers}) == len(arch.layers)  # one upstream layer each


def _random_state(model: torch.nn.Module, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    state = {}
    for k, v in model.state_dict().items():
        if k.endswith("num_batches_tracked"):
            continue
        a = rng.normal(0, 0.3, v.shape).astype(np.float32)
        state[k] = np.abs(a) + 0.5 if k.endswith("running_var") else a
        if k.startswith("upscale."):  # upstream's bilinear kernels, as create_model sets them
            state[k] = v.numpy().copy()
    return state


def _compare(variant: str, state: dict[str, np.ndarray]) -> onnx.ModelProto:
    model = create_model(variant)
    model.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()}, strict=False)
    data = graph_bytes(describe(model.variant), state)
    proto = onnx.load_from_string(data)
    onnx.checker.check_model(proto, full_check=True)
    size = model.variant.resolution
    x = np.random.default_rng(1).normal(0, 1, (2, size, size, 3)).astype(np.float32)
    with torch.no_grad():
        expected = model(torch.from_numpy(x).permute(0, 3, 1, 2)).numpy()
    got = ort.InferenceSession(data, providers=["CPUExecutionProvider"]).run(None, {"image": x})[0]
    assert got.shape == expected.shape
    assert np.abs(got - expected).max() < 1e-4 * max(1.0, np.abs(expected).max())
    return proto


@pytest.mark.parametrize("variant", ["RT", "I", "RT_LITE"])
def test_graph_computes_what_the_module_does(variant):
    proto = _compare(variant, _random_state(create_model(variant)))
    ops = [n.op_type for n in proto.graph.node]
    assert ops.count("MatMul") == 2 and "ConvTranspose" not in ops  # the bilinear upscaler as matrices
    assert "BatchNormalization" not in ops  # folded


def test_trained_diagonal_upscaler_runs_depthwise():
    state = _random_state(create_model("RT"))
    state["upscale.1.weight"][3, 3] *= 1.1  # no longer bilinear, still one channel to itself
    proto = _compare("RT", state)
    deconvs = [n for n in proto.graph.node if n.op_type == "ConvTranspose"]
    assert [a.i for n in deconvs for a in n.attribute if a.name == "group"] == [16, 16, 16]


def test_cross_channel_upscaler_is_kept():
    state = _random_state(create_model("RT"))
    state["upscale.0.weight"][0, 1] += 0.1
    state["upscale.2.bias"][:] = 0.05
    proto = _compare("RT", state)
    groups = [a.i for n in proto.graph.node if n.op_type == "ConvTranspose" for a in n.attribute if a.name == "group"]
    assert groups == [1, 16, 16]
