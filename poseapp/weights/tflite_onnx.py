"""A TFLite graph of plain float layers -> an ONNX graph for ONNX Runtime, with numpy alone.

Written for MediaPipe's BlazePose person detector (``poseapp.localise.detector``): its 45
CONV_2D, 28 DEPTHWISE_CONV_2D, 15 ADD, 8 PAD, 6 RESHAPE, 3 DEPTH_TO_SPACE, 2 RESIZE_BILINEAR and
2 CONCATENATION, with float16 weights behind DEQUANTIZE and sparse ones behind DENSIFY (both
resolved once by ``tflite_reader``). An operation outside that set is refused by name, so a
different file fails at conversion, never at run time.

TFLite computes in NHWC, ONNX's convolutions in NCHW: the image is transposed once on the way
in, 4-D activations stay NCHW, and a RESHAPE (which reads memory in NHWC order) transposes back
first. TF's 'same' padding becomes the convolution's own asymmetric pads; fused activations
become Relu or Clip. ``tests/weights/test_tflite_onnx.py`` holds the converted graph to the
TFLite runtime's outputs on the shared images.
"""

from __future__ import annotations

import math

import numpy as np
from flatbuffers.number_types import BoolFlags, Int8Flags, Int32Flags

from poseapp.errors import PoseappError
from poseapp.model import onnx_proto as pb
from poseapp.weights.tflite_reader import CONV_2D, DENSIFY, DEPTHWISE_CONV_2D, DEQUANTIZE, TFLiteGraph

ADD, CONCATENATION, DEPTH_TO_SPACE, RESHAPE, RESIZE_BILINEAR, PAD = 0, 2, 5, 22, 23, 34
OPSET = 17
_NAMES = {ADD: "ADD", CONCATENATION: "CONCATENATION", CONV_2D: "CONV_2D", DEPTHWISE_CONV_2D: "DEPTHWISE_CONV_2D",
          DEPTH_TO_SPACE: "DEPTH_TO_SPACE", RESHAPE: "RESHAPE", RESIZE_BILINEAR: "RESIZE_BILINEAR", PAD: "PAD"}
_NCHW = {0: 0, 1: 2, 2: 3, 3: 1}  # an NHWC axis -> its NCHW axis


class _Converter:
    def __init__(self, graph: TFLiteGraph) -> None:
        self.g, self.nodes, self.inits = graph, [], []
        self.nchw: set[int] = set()  # tensors held in NCHW layout (4-D activations)
        self.consts: dict[str, str] = {}

    def name(self, index: int) -> str:
        return f"t{index}"

    def const(self, key: str, value: np.ndarray) -> str:
        if key not in self.consts:
            self.consts[key] = f"c{len(self.consts)}"
            self.inits.append(pb.tensor(self.consts[key], value))
        return self.consts[key]

    def node(self, op: str, inputs: list[str], output: str, **attrs) -> str:
        self.nodes.append(pb.node(op, inputs, [output], f"{op}_{len(self.nodes)}", **attrs))
        return output

    def activation(self, x: str, code: int, out: str) -> str:
        """TFLite's fused activation on ``x``: none, RELU or RELU6."""
        if code == 0:
            return self.node("Identity", [x], out)
        if code == 1:
            return self.node("Relu", [x], out)
        if code == 3:
            lo, hi = self.const("zero", np.float32(0)), self.const("six", np.float32(6))
            return self.node("Clip", [x, lo, hi], out)
        raise PoseappError(f"TFLite fused activation {code} is not supported")

    def layout(self, index: int) -> str:
        """Tensor ``index`` in TFLite's own layout (NHWC for 4-D), transposing back if it is NCHW."""
        if index in self.nchw:
            return self.node("Transpose", [self.name(index)], f"{self.name(index)}_nhwc", perm=[0, 2, 3, 1])
        return self.name(index)

    def convert(self, op) -> None:
        g, out = self.g, op.outputs[0]
        y = self.name(out)
        if op.code in (DEQUANTIZE, DENSIFY):
            return  # constants: resolved by ``TFLiteGraph.constant`` where a layer uses them
        if op.code in (CONV_2D, DEPTHWISE_CONV_2D):
            self.conv(op)
        elif op.code == ADD:
            self.activation(self.node("Add", [self.name(i) for i in op.inputs[:2]], y + "_sum"),
                            op.options.scalar(0, Int8Flags) if op.options else 0, y)
        elif op.code == PAD:
            pads = g.tensors[op.inputs[1]].data.astype(np.int64)  # NHWC (begin, end) rows
            order = [0, 3, 1, 2]
            flat = np.concatenate([pads[order, 0], pads[order, 1]])
            self.node("Pad", [self.name(op.inputs[0]), self.const(f"pads{flat.tolist()}", flat)], y, mode="constant")
        elif op.code == DEPTH_TO_SPACE:
            self.node("DepthToSpace", [self.name(op.inputs[0])], y, blocksize=op.options.scalar(0, Int32Flags),
                      mode="DCR")
        elif op.code == RESIZE_BILINEAR:
            self.resize(op)
        elif op.code == RESHAPE:
            shape = np.array(g.tensors[out].shape, np.int64)
            self.node("Reshape", [self.layout(op.inputs[0]), self.const(f"shape{shape.tolist()}", shape)], y)
        elif op.code == CONCATENATION:
            axis = op.options.scalar(0, Int32Flags) % len(g.tensors[out].shape)
            if all(i in self.nchw for i in op.inputs):  # 4-D activations: joined where they are
                inputs, axis = [self.name(i) for i in op.inputs], _NCHW[axis]
            else:
                inputs = [self.layout(i) for i in op.inputs]
            self.activation(self.node("Concat", inputs, y + "_cat", axis=axis), op.options.scalar(1, Int8Flags), y)
        else:
            raise PoseappError(f"TFLite operation {op.code} is not supported by the detector's converter")
        joined_as_given = op.code == CONCATENATION and not all(i in self.nchw for i in op.inputs)
        if len(g.tensors[out].shape) == 4 and op.code != RESHAPE and not joined_as_given:
            self.nchw.add(out)

    def conv(self, op) -> None:
        g, o = self.g, op.options
        depthwise = op.code == DEPTHWISE_CONV_2D
        weight = g.constant(op.inputs[1])  # conv: (O, kh, kw, I); depthwise: (1, kh, kw, C)
        bias = g.constant(op.inputs[2]) if len(op.inputs) > 2 and op.inputs[2] >= 0 else None
        padding, stride_w, stride_h = o.scalar(0, Int8Flags), o.scalar(1, Int32Flags), o.scalar(2, Int32Flags)
        act = o.scalar(4 if depthwise else 3, Int8Flags)
        dil = (o.scalar(6 if depthwise else 5, Int32Flags, 1), o.scalar(5 if depthwise else 4, Int32Flags, 1))
        if dil != (1, 1):
            raise PoseappError("dilated TFLite convolutions are not supported")
        _, h, w, c = g.tensors[op.inputs[0]].shape
        kh, kw = weight.shape[1:3]
        kernel = weight.transpose(3, 0, 1, 2) if depthwise else weight.transpose(0, 3, 1, 2)
        groups = c if depthwise else 1
        pads = [0, 0, 0, 0]
        if padding == 0:  # SAME
            th, tw = (_same(h, kh, stride_h), _same(w, kw, stride_w))
            pads = [th // 2, tw // 2, th - th // 2, tw - tw // 2]
        bias = np.zeros(kernel.shape[0], np.float32) if bias is None else bias
        y = self.name(op.outputs[0])
        key = self.name(op.inputs[1])
        conv = self.node("Conv", [self.name(op.inputs[0]), self.const(key + "w", np.ascontiguousarray(kernel)),
                                  self.const(key + "b", bias.astype(np.float32))], y + "_conv",
                         kernel_shape=[kh, kw], strides=[stride_h, stride_w], pads=pads, group=groups)
        self.activation(conv, act, y)

    def resize(self, op) -> None:
        g, o = self.g, op.options
        align = o.scalar(2, BoolFlags) if o else 0
        half = o.scalar(3, BoolFlags) if o else 0
        mode = "align_corners" if align else ("half_pixel" if half else "asymmetric")
        _, h, w, c = g.tensors[op.outputs[0]].shape
        sizes = np.array([1, c, h, w], np.int64)
        self.node("Resize", [self.name(op.inputs[0]), "", "", self.const(f"sizes{sizes.tolist()}", sizes)],
                  self.name(op.outputs[0]), mode="linear", coordinate_transformation_mode=mode)


def _same(size: int, kernel: int, stride: int) -> int:
    """TF's total 'same' padding along one axis."""
    return max((math.ceil(size / stride) - 1) * stride + kernel - size, 0)


def onnx_bytes(graph: TFLiteGraph, name: str = "detector") -> bytes:
    """The ONNX model computing ``graph``: NHWC float32 ``image`` in, its outputs under their TFLite names."""
    conv = _Converter(graph)
    (first,) = graph.inputs
    shape = graph.tensors[first].shape
    conv.node("Transpose", ["image"], conv.name(first), perm=[0, 3, 1, 2])
    conv.nchw.add(first)
    for op in graph.operators:
        conv.convert(op)
    outputs = []
    for index in graph.outputs:
        tensor = graph.tensors[index]
        conv.node("Identity", [conv.layout(index)], tensor.name)
        outputs.append(pb.value_info(tensor.name, pb.FLOAT, list(tensor.shape)))
    image = pb.value_info("image", pb.FLOAT, list(shape))
    return pb.model(conv.nodes, conv.inits, [image], outputs, OPSET, name)
