"""The INT8 benchmark's quantisation: a runnable INT8 graph, the kept-fp32 layers, unscored crops."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx

from poseapp.inference.backends import OnnxBackend
from poseapp.inference.engine import Engine
from tests.helpers import load_script


def load_int8():
    return load_script("benchmarks/int8.py", "int8_bench")


def test_quantised_graph_runs_int8_convolutions_and_keeps_the_ends_fp32(tmp_path):
    bench = load_int8()
    engine = Engine("RT", device="cpu", backend="onnx")
    rng = np.random.default_rng(0)
    crops = [rng.normal(0, 1, (engine.size, engine.size, 3)).astype(np.float32) for _ in range(3)]
    graph = engine.backend.path
    kept = bench.kept_fp32(Path(graph))
    ops = {n.name: n.op_type for n in onnx.load(graph).graph.node}
    assert ops[kept[0]] == "Conv" and "MatMul" in {ops[k] for k in kept[1:]}
    for name, recipe in bench.RECIPES.items():
        out = bench.quantise(Path(graph), crops, recipe, tmp_path / f"{name}.onnx")
        types = {n.op_type for n in onnx.load(str(out)).graph.node}
        assert types & {"QLinearConv", "QuantizeLinear"}, name
        int8 = Engine("RT", device="cpu", backend=OnnxBackend(str(out), 1))
        maps = int8.backend.run(crops[0][None])
        assert maps.shape == (1, 16, engine.size, engine.size) and np.isfinite(maps).all()


def test_calibration_crops_come_from_unscored_images_only(monkeypatch):
    bench = load_int8()
    read = []
    real = bench.read_rgb
    monkeypatch.setattr(bench, "read_rgb", lambda path: read.append(Path(path)) or real(path))
    engine = Engine("RT", device="cpu", backend="onnx")
    crops = bench.calibration_crops(engine, every=115)  # two frames of the 230-frame clip
    assert read and not [p for p in read if "mpii" in p.parts]  # the scored images are never read
    assert len(crops) == len(read) + 2
    assert all(c.shape == (engine.size, engine.size, 3) and c.dtype == np.float32 for c in crops)
