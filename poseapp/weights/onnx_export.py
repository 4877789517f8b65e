"""Our weights -> the ONNX graph ONNX Runtime runs, written from the torch-free description.

The graph takes NHWC float32 images and returns NCHW heatmaps like every backend (the input
transpose lives inside it, where ONNX Runtime fuses it) and has a free batch axis. It is the
network of ``model/architecture.py`` for its one input size, with fewer operations at run time:

- each BatchNorm is folded into the convolution before it, and each E-swish's beta into the
  weights it feeds (the description's ``scale``);
- TF's 'same' padding is the convolution's own (asymmetric) ``pads``;
- the upscaler's transposed convolutions, when they are upstream's bilinear ones (16-to-16, the
  bilinear kernel on the diagonal, no bias), become two matrix products ``A @ maps @ A.T``
  (``model/upscale.py``, about an eighth of their time); when only the diagonal is non-zero
  (trained weights), depthwise transposed convolutions; otherwise they are kept as they are.

``weights.graphs`` names the file by the SHA-256 of the weights it was made from, so a graph left
over from other weights is never used. numpy only: no torch, no ``onnx`` package.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from poseapp.io.atomic import replacing
from poseapp.model import onnx_proto as pb
from poseapp.model.architecture import BN_EPS, Architecture, Conv, check_shapes, describe
from poseapp.model.upscale import is_bilinear, upscale_matrix
from poseapp.model.variants import get_variant

OPSET = 17
GRAPH_VERSION = 5  # in the file name: a graph written by older code is never picked up


class _Writer:
    """Collects nodes and initializers while the description's operations are walked."""

    def __init__(self, state: dict[str, np.ndarray]) -> None:
        self.state, self.nodes, self.inits = state, [], []

    def const(self, name: str, value: np.ndarray) -> str:
        self.inits.append(pb.tensor(name, value))
        return name

    def node(self, op: str, inputs: list[str], output: str, **attrs) -> str:
        self.nodes.append(pb.node(op, inputs, [output], f"{op}_{len(self.nodes)}", **attrs))
        return output

    def conv(self, x: str, c: Conv, out: str) -> str:
        """The convolution with its BatchNorm and scale folded in."""
        weight = self.state[f"{c.key}.weight"].astype(np.float32) * np.float32(c.scale)
        bias = self.state.get(f"{c.key}.bias", np.zeros(c.out_chs, np.float32)).astype(np.float32)
        if c.bn:
            gamma, beta, mean, var = (self.state[f"{c.bn}.{s}"] for s in ("weight", "bias", "running_mean",
                                                                          "running_var"))
            factor = (gamma / np.sqrt(var + np.float32(BN_EPS))).astype(np.float32)
            weight = weight * factor[:, None, None, None]
            bias = (bias - mean) * factor + beta
        w, b = self.const(f"{c.key}.weight", weight), self.const(f"{c.key}.bias", bias.astype(np.float32))
        top, left, bottom, right = c.pads
        return self.node("Conv", [x, w, b], out, kernel_shape=[c.kernel, c.kernel], strides=[c.stride, c.stride],
                         pads=[top, left, bottom, right], group=c.groups)

    def upscale(self, x: str, deconvs: tuple[Conv, ...], size: int, out: str) -> str:
        """The upscaler as matrix products when exactly bilinear, else transposed convolutions."""
        arrays = [(self.state[f"{c.key}.weight"], self.state.get(f"{c.key}.bias")) for c in deconvs]
        if all(is_bilinear(w, b) for w, b in arrays):
            a = upscale_matrix(size, len(deconvs))
            rows = self.node("MatMul", [self.const("upscale.rows", a), x], out + "_rows")
            return self.node("MatMul", [rows, self.const("upscale.cols", np.ascontiguousarray(a.T))], out)
        for i, (c, (weight, bias)) in enumerate(zip(deconvs, arrays)):
            n = weight.shape[0]
            off = weight.copy()
            off[range(n), range(n)] = 0
            groups = n if weight.shape[1] == n and not off.any() else 1
            if groups > 1:
                weight = weight[range(n), range(n)][:, None]
            bias = np.zeros(weight.shape[1] * groups, np.float32) if bias is None else bias
            x = self.node("ConvTranspose", [x, self.const(f"{c.key}.weight", weight.astype(np.float32)),
                                            self.const(f"{c.key}.bias", bias.astype(np.float32))],
                          out if i == len(deconvs) - 1 else f"{out}_{i}", kernel_shape=[c.kernel, c.kernel],
                          strides=[c.stride, c.stride], pads=[1, 1, 1, 1], group=groups)
        return x


def graph_bytes(arch: Architecture, state: dict[str, np.ndarray]) -> bytes:
    """The ONNX model of ``arch`` holding ``state`` (keyed like our module's state dict)."""
    w = _Writer(state)
    size = arch.variant.resolution
    w.node("Transpose", ["image"], arch.IMAGE, perm=[0, 3, 1, 2])
    clip = None
    last = len(arch.ops) - 1
    for i, op in enumerate(arch.ops):
        out = "heatmaps" if i == last else op.output
        x = op.inputs[0]
        if op.kind == "conv":
            w.conv(x, op.convs[0], out)
        elif op.kind == "swish":
            w.node("Mul", [x, w.node("Sigmoid", [x], out + "_sigmoid")], out)
        elif op.kind == "relu6":
            clip = clip or (w.const("relu6.min", np.float32(0)), w.const("relu6.max", np.float32(6)))
            w.node("Clip", [x, *clip], out)
        elif op.kind == "sigmoid":
            w.node("Sigmoid", [x], out)
        elif op.kind == "mean":
            w.node("ReduceMean", [x], out, axes=[2, 3], keepdims=1)
        elif op.kind in ("mul", "add"):
            w.node(op.kind.capitalize(), list(op.inputs), out)
        elif op.kind == "concat":
            w.node("Concat", list(op.inputs), out, axis=1)
        elif op.kind == "pool":
            w.node("AveragePool", [x], out, kernel_shape=[2, 2], strides=[2, 2])
        elif op.kind == "upscale":
            w.upscale(x, op.convs, arch.sizes[x], out)
        else:
            raise ValueError(f"unknown operation {op.kind}")
    image = pb.value_info("image", pb.FLOAT, ["batch", size, size, 3])
    heatmaps = pb.value_info("heatmaps", pb.FLOAT, ["batch", 16, size, size])
    return pb.model(w.nodes, w.inits, [image], [heatmaps], OPSET, f"EfficientPose{arch.variant.name}")


def export_onnx(variant: str, state: dict[str, np.ndarray], dest: Path, source: str = "the cache") -> Path:
    """Write ``variant`` holding ``state`` (read from ``source``) as an ONNX file at ``dest``, atomically.

    Raises PoseappError naming ``source`` when the weights do not fit the variant.
    """
    arch = describe(get_variant(variant))
    check_shapes(arch.variant.name, arch.shapes(), state, source)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with replacing(dest) as tmp:
        tmp.write_bytes(graph_bytes(arch, state))
    return dest
