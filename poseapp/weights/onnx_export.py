"""Our module with its converted weights -> an ONNX graph for ONNX Runtime (needs torch).

The graph takes and returns NHWC float32 like every backend (the transposes live inside it,
where ONNX Runtime fuses them) and has a free batch axis. Its metadata names the weights file
it was exported from (by SHA-256), so a graph left over from other weights is never used.
"""

from __future__ import annotations

import io
import os
import tempfile
import warnings
from pathlib import Path

import numpy as np

OPSET = 17


def export_onnx(variant: str, state: dict[str, np.ndarray], dest: Path, metadata: dict[str, str],
                source: str = "the cache") -> Path:
    """Write ``variant`` with ``state`` (read from ``source``) as an ONNX file at ``dest``, atomically."""
    import onnx
    import torch

    from poseapp.weights.convert import load_model

    class Nhwc(torch.nn.Module):
        def __init__(self, net: torch.nn.Module) -> None:
            super().__init__()
            self.net = net

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.net(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)

    model = load_model(variant, state, source)
    size = model.variant.resolution
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        # the TorchScript exporter is deprecated in favour of one that needs onnxscript; it is exact here
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(Nhwc(model).eval(), (torch.zeros(1, size, size, 3),), buffer, dynamo=False,
                          opset_version=OPSET, input_names=["image"], output_names=["heatmaps"],
                          dynamic_axes={"image": {0: "batch"}, "heatmaps": {0: "batch"}})
    graph = onnx.load_from_string(buffer.getvalue())
    for key, value in metadata.items():
        graph.metadata_props.add(key=key, value=value)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, suffix=".tmp")
    os.close(fd)
    try:
        onnx.save(graph, tmp)
        os.replace(tmp, dest)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return dest
