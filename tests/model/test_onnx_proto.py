"""What ``onnx_proto`` writes is what the ``onnx`` package reads: every field kind it uses, checked
by onnx's own parser and checker and run by ONNX Runtime."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
from onnx import numpy_helper
from onnx.reference import ReferenceEvaluator

from poseapp.model import onnx_proto as pb


def test_a_small_model_reads_back_and_runs():
    weight = np.arange(2 * 3 * 3 * 3, dtype=np.float32).reshape(2, 3, 3, 3) / 50 - 0.5
    nodes = [
        pb.node("Conv", ["x", "w"], ["c"], "conv", kernel_shape=[3, 3], pads=[0, 1, 2, 1], strides=[2, 2], group=1),
        pb.node("LeakyRelu", ["c"], ["r"], "leaky", alpha=0.25),
        pb.node("ReduceMean", ["r"], ["m"], "mean", axes=[-1, -2], keepdims=1),
        pb.node("Reshape", ["r", "shape"], ["y"], "reshape"),
    ]
    inits = [pb.tensor("w", weight), pb.tensor("shape", np.array([-1, 2], np.int64))]
    data = pb.model(nodes, inits, [pb.value_info("x", pb.FLOAT, ["batch", 3, 9, 9])],
                    [pb.value_info("y", pb.FLOAT, ["n", 2]), pb.value_info("m", pb.FLOAT, ["batch", 2, 1, 1])], 17)
    proto = onnx.load_from_string(data)
    onnx.checker.check_model(proto, full_check=True)
    assert proto.opset_import[0].version == 17 and proto.producer_name == "poseapp"
    assert np.array_equal(numpy_helper.to_array(proto.graph.initializer[0]), weight)
    assert list(numpy_helper.to_array(proto.graph.initializer[1])) == [-1, 2]
    attrs = {a.name: onnx.helper.get_attribute_value(a) for a in proto.graph.node[0].attribute}
    assert attrs == {"kernel_shape": [3, 3], "pads": [0, 1, 2, 1], "strides": [2, 2], "group": 1}
    assert onnx.helper.get_attribute_value(proto.graph.node[1].attribute[0]) == 0.25
    assert onnx.helper.get_attribute_value(proto.graph.node[2].attribute[0]) == [-1, -2]  # negative int64s
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"

    x = np.random.default_rng(0).normal(size=(2, 3, 9, 9)).astype(np.float32)
    y, m = ort.InferenceSession(data, providers=["CPUExecutionProvider"]).run(None, {"x": x})
    ref = ReferenceEvaluator(proto).run(None, {"x": x})
    assert np.allclose(y, ref[0], atol=1e-5) and np.allclose(m, ref[1], atol=1e-5)
