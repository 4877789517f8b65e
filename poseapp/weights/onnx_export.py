"""Our module with its converted weights -> an ONNX graph for ONNX Runtime (needs torch).

The graph takes NHWC float32 images and returns NCHW heatmaps like every backend (the input
transpose lives inside it, where ONNX Runtime fuses it) and has a free batch axis.
``weights.graphs`` names the file by the SHA-256 of the weights it was exported from, so a graph
left over from other weights is never used. The ``onnx`` package is not needed (it pins a newer
protobuf than MediaPipe 0.10.14 allows, and the benchmark loads both).
"""

from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path

import numpy as np

OPSET = 17
GRAPH_VERSION = 4  # in the file name: a graph exported by older code is never picked up


def export_onnx(variant: str, state: dict[str, np.ndarray], dest: Path, source: str = "the cache",
                fold: bool = True) -> Path:
    """Write ``variant`` with ``state`` (read from ``source``) as an ONNX file at ``dest``, atomically.

    fold: let the exporter fold BatchNorm into the convolutions; off, every initializer keeps its
    state-dict name (what a template needs) and ONNX Runtime does the folding when it loads the graph.
    """
    import torch

    from poseapp.model.static import static_copy
    from poseapp.weights.convert import load_model

    class Nhwc(torch.nn.Module):
        def __init__(self, net: torch.nn.Module) -> None:
            super().__init__()
            self.net = net

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.net(x.permute(0, 3, 1, 2))

    model = load_model(variant, state, source)
    size = model.variant.resolution
    model = static_copy(model, size)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, suffix=".tmp")
    os.close(fd)
    try:
        with warnings.catch_warnings():
            # the TorchScript exporter is deprecated for one that needs onnxscript, and it notes ops it
            # cannot constant-fold; the parity tests check the exported graph against upstream instead
            warnings.simplefilter("ignore")
            torch.onnx.export(Nhwc(model).eval(), (torch.zeros(1, size, size, 3),), tmp, dynamo=False,
                              opset_version=OPSET, input_names=["image"], output_names=["heatmaps"],
                              dynamic_axes={"image": {0: "batch"}, "heatmaps": {0: "batch"}},
                              do_constant_folding=fold,
                              training=torch.onnx.TrainingMode.EVAL if fold else torch.onnx.TrainingMode.PRESERVE)
        os.replace(tmp, dest)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return dest
