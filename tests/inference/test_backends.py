"""Backend choice, the exported graph's cache, and the CPU path with torch unimportable."""

from __future__ import annotations

import json

import numpy as np
import pytest

from poseapp.errors import PoseappError
from poseapp.extras import TORCH_MODULES
from poseapp.inference.backends import OnnxBackend, create_backend
from poseapp.inference.engine import Engine
from poseapp.io.images import read_rgb
from poseapp.weights import cache, graphs, models
from tests.conftest import UPSTREAM
from tests.helpers import run_without

TORCH = TORCH_MODULES


def test_cpu_defaults_to_onnx_and_graph_is_reused():
    backend = create_backend("RT", device="cpu")
    assert isinstance(backend, OnnxBackend)
    graph = graphs.ensure_onnx("RT")
    assert cache.sha256(models.cached_path("RT"))[:16] in graph.name
    stamp = graph.stat().st_mtime_ns
    assert graphs.ensure_onnx("RT") == graph and graph.stat().st_mtime_ns == stamp


def test_onnx_matches_torch_on_a_batch(engines):
    onnx, torch = engines("I", "onnx"), engines("I", "torch")
    rgb = read_rgb(UPSTREAM / "MPII.jpg")
    batch = np.stack([rgb[:256, :256], rgb[-256:, -256:]]).astype(np.float32) / 127.5 - 1
    a, b = onnx.backend.run(batch), torch.backend.run(batch)
    assert a.shape == b.shape == (2, 16, 256, 256)
    assert np.abs(a - b).max() <= 1e-4 * np.abs(b).max()


def test_unknown_backend_is_a_clear_error():
    with pytest.raises(PoseappError, match="unknown backend"):
        create_backend("RT", backend="tensorrt")


def test_an_empty_cache_fills_without_torch_or_onnx(tmp_path):
    """Conversion and the graph need numpy only: a fresh cache, torch and the onnx package
    unimportable, the same keypoints as the full install."""
    expected = Engine("RT", device="cpu").predict(read_rgb(UPSTREAM / "MPII.jpg")).keypoints
    body = (
        "import io, json, contextlib\n"
        "from poseapp.cli import main\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        f"    code = main(['image', {str(UPSTREAM / 'MPII.jpg')!r}, '--roi', 'full', '--json', '--quality', 'fast'])\n"
        "assert code == 0, code\n"
        "assert not any(m.split('.')[0] in ('torch', 'timm', 'onnx') for m in sys.modules)\n"
        "print(out.getvalue())\n"
    )
    result = run_without((*TORCH, "onnx"), body, env={"POSEAPP_CACHE": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert list((tmp_path / "onnx").glob("EfficientPoseRT-*.onnx"))
    got = np.array([[k["x"], k["y"], k["score"]] for k in json.loads(result.stdout)["keypoints"]])
    assert np.abs(got - expected).max() < 0.01


def test_listing_devices_does_not_import_torch_and_a_gpu_is_confirmed_before_use(monkeypatch):
    import subprocess
    import sys

    from poseapp.inference import backends

    listed = subprocess.run([sys.executable, "-c", "import sys\nfrom poseapp.inference.backends import "
                             "available_devices\nprint(available_devices(), 'torch' in sys.modules)"],
                            capture_output=True, text=True, timeout=120)
    assert listed.stdout.strip().endswith("False")  # the window opens without torch's 3 s import
    monkeypatch.setattr(backends, "_cuda_driver_devices", lambda: 1)  # a driver with a GPU...
    monkeypatch.setattr(backends, "_torch_has", lambda device: False)  # ...that this torch cannot use
    assert backends.available_devices()[0] == "cuda"
    assert backends.resolve_device("auto") == "cpu"
    with pytest.raises(PoseappError, match="available: cpu"):
        backends.resolve_device("cuda")


def test_checkpoint_graphs_are_written_once_and_only_the_newest_kept(tmp_path):
    from poseapp.weights.cache import save_state
    from poseapp.weights.convert import layer_table

    shapes = layer_table("RT").shapes
    made = []
    for seed in range(graphs.CHECKPOINT_GRAPHS_KEPT + 2):
        rng = np.random.default_rng(seed)
        state = {k: np.abs(rng.normal(0, 0.1, s)).astype(np.float32) + (0.5 if k.endswith("running_var") else 0)
                 for k, s in shapes.items()}
        path = save_state(tmp_path / f"run{seed}" / "best.safetensors", state, {"variant": "RT"})
        variant, graph = graphs.checkpoint_graph(path)
        assert variant == "RT" and graphs.checkpoint_graph(path)[1] == graph  # the second call reuses it
        made.append(graph)
    kept = sorted(graph.parent.glob("checkpoint-*.onnx"))
    assert len(kept) == graphs.CHECKPOINT_GRAPHS_KEPT and made[-1] in kept and made[0] not in kept
