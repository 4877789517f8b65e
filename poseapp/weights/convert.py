"""Upstream Keras .h5 / TFLite files -> a state dict for our EfficientPose module.

Both converters walk one layer table (``layer_table``, from the torch-free description in
``model/architecture.py``) and differ only in where they read arrays and in their layouts.
TFLite has BatchNorm folded into the convolution: the
folded bias goes into an identity BatchNorm (scale 1, mean 0, variance 1 - eps), which
reproduces the folded graph exactly while keeping one module structure for every source.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from poseapp.errors import PoseappError
from poseapp.model.architecture import BN_EPS, check_shapes, describe
from poseapp.model.variants import get_variant

# (from upstream layout to PyTorch's) per layer kind
_KERAS = {"conv": (3, 2, 0, 1), "dw": (2, 3, 0, 1), "deconv": (3, 2, 0, 1)}
_TFLITE = {"conv": (0, 3, 1, 2), "dw": (3, 0, 1, 2), "deconv": (3, 0, 1, 2)}


@dataclass(frozen=True)
class LayerSpec:
    """One upstream layer with weights: where its arrays go in our state dict, without torch."""

    name: str  # upstream layer name
    kind: str  # conv, dw or deconv (the kernel layouts differ)
    conv: str  # state-dict prefix of the convolution
    bias: bool  # whether our convolution has a bias
    bn_name: str | None = None  # upstream BatchNorm layer after it
    bn: str | None = None  # state-dict prefix of our BatchNorm
    eps: float = 1e-3


@dataclass(frozen=True)
class LayerTable:
    """A variant's layers and the shape of every state-dict entry: what conversion and checks need."""

    variant: str
    layers: tuple[LayerSpec, ...]
    shapes: dict[str, tuple[int, ...]]

    def as_dict(self) -> dict:
        return {"variant": self.variant, "layers": [asdict(x) for x in self.layers],
                "shapes": {k: list(v) for k, v in self.shapes.items()}}

    @classmethod
    def from_dict(cls, data: dict) -> LayerTable:
        return cls(data["variant"], tuple(LayerSpec(**x) for x in data["layers"]),
                   {k: tuple(v) for k, v in data["shapes"].items()})


def layer_table(variant: str) -> LayerTable:
    """The table for ``variant``, from the torch-free description (``model/architecture.py``)."""
    arch = describe(get_variant(variant))
    layers = tuple(LayerSpec(c.upstream, c.kind, c.key, c.bias, c.bn_upstream, c.bn, BN_EPS) for c in arch.layers)
    return LayerTable(arch.variant.name, layers, arch.shapes())


def _keras_arrays(path: Path):
    from poseapp.weights.keras_reader import KerasWeights

    weights = KerasWeights(path)

    def read(layer, kind):
        w = weights[layer.name]
        kernel = w.get("depthwise_kernel", w.get("kernel"))
        if kernel is None:
            raise PoseappError(f"layer {layer.name!r} in {path.name} has no kernel")
        out = {"weight": kernel.transpose(_KERAS[kind]), "bias": w.get("bias")}
        if layer.bn is not None:
            b = weights[layer.bn_name]
            out["bn"] = (b["gamma"], b["beta"], b["moving_mean"], b["moving_variance"])
        return out

    return read, weights.input_size


def _tflite_arrays(path: Path):
    from poseapp.weights.tflite_reader import CONV_2D, DEPTHWISE_CONV_2D, TRANSPOSE_CONV, TFLiteGraph

    graph = TFLiteGraph(path)
    by_name: dict[str, tuple[np.ndarray, np.ndarray | None]] = {}
    for op in graph.operators:
        if op.code in (CONV_2D, DEPTHWISE_CONV_2D):
            w, b = op.inputs[1], op.inputs[2] if len(op.inputs) > 2 and op.inputs[2] >= 0 else None
            key = graph.tensors[w].name
        elif op.code == TRANSPOSE_CONV:  # the three kernels share one deduplicated constant
            w, b = op.inputs[1], op.inputs[3] if len(op.inputs) > 3 and op.inputs[3] >= 0 else None
            key = graph.tensors[op.outputs[0]].name
        else:
            continue
        by_name[key] = (graph.constant(w), None if b is None else graph.constant(b))

    def read(layer, kind):
        hits = [k for k in by_name if k.startswith(layer.name + "/")]
        if len(hits) != 1:
            raise PoseappError(f"{path.name}: found {len(hits)} tensors for layer {layer.name!r}")
        kernel, bias = by_name[hits[0]]
        out = {"weight": kernel.transpose(_TFLITE[kind]), "bias": None}
        n = kernel.shape[0] if kind != "dw" else kernel.shape[-1]
        if layer.bn is not None:
            eps = layer.eps
            folded = bias if bias is not None else np.zeros(n, np.float32)
            out["bn"] = (np.ones(n, np.float32), folded, np.zeros(n, np.float32),
                         np.full(n, 1.0 - eps, np.float32))
        else:
            out["bias"] = bias if bias is not None else np.zeros(n, np.float32)
        return out

    input_size = graph.tensors[graph.inputs[0]].shape[1]
    return read, input_size


def convert(path: Path, variant: str) -> dict[str, np.ndarray]:
    """Read an upstream model file and return our state dict (numpy float32) for ``variant``.

    Raises PoseappError naming the file when it is unreadable or does not fit the variant.
    """
    path = Path(path)
    table = layer_table(variant)
    resolution = get_variant(variant).resolution
    if path.suffix == ".h5":
        read, size = _keras_arrays(path)
    elif path.suffix == ".tflite":
        read, size = _tflite_arrays(path)
    else:
        raise PoseappError(f"{path}: unknown model format (expected .h5 or .tflite)")
    if size not in (None, resolution):
        raise PoseappError(f"{path.name} takes {size}px input but {variant} takes {resolution}px")

    state: dict[str, np.ndarray] = {}
    for layer in table.layers:
        arrays = read(layer, layer.kind)
        state[f"{layer.conv}.weight"] = arrays["weight"]
        if layer.bias:
            state[f"{layer.conv}.bias"] = arrays["bias"]
        if layer.bn is not None:
            for key, value in zip(("weight", "bias", "running_mean", "running_var"), arrays["bn"]):
                state[f"{layer.bn}.{key}"] = value
    check_shapes(table.variant, table.shapes, state, path.name)
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in state.items()}
