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


def test_batch_shapes_met_twice_are_replayed_as_graphs_and_a_failed_capture_runs_eagerly(monkeypatch):
    """The CUDA graph bookkeeping, with a capture that runs the module on the CPU (no GPU here)."""
    pytest.importorskip("torch")
    from poseapp.inference.backends import TorchBackend
    from poseapp.model.efficientpose import create_model

    state = {k: v.numpy() for k, v in create_model("RT").state_dict().items() if not k.endswith("num_batches_tracked")}
    backend = TorchBackend("RT", state, "cpu")
    assert not backend.graphs  # only CUDA captures
    backend.graphs = True
    captured = []

    class Replay:
        def __init__(self, static_in, static_out):
            self.static_in, self.static_out = static_in, static_out

        def replay(self):
            self.static_out.copy_(backend.model(self.static_in))

    def capture(x):
        captured.append(tuple(x.shape))
        static_in = x.clone()
        static_out = backend.model(static_in)
        return static_in, static_out, Replay(static_in, static_out)

    monkeypatch.setattr(backend, "_capture", capture)
    rng = np.random.default_rng(0)
    frames = [rng.random((1, 224, 224, 3), np.float32) for _ in range(3)]
    eager = [TorchBackend("RT", state, "cpu").run(f) for f in frames]
    got = [backend.run(f) for f in frames]
    assert captured == [(1, 3, 224, 224)]  # the first call ran eagerly, the second captured
    for a, b in zip(got, eager):  # each replay took its own frame, and the result is the caller's to keep
        np.testing.assert_allclose(a, b, atol=1e-5)
    for n in range(2, 2 + TorchBackend.GRAPH_SHAPES):
        for _ in range(2):
            backend.run(rng.random((n, 224, 224, 3), np.float32))
    assert len(backend._captured) == TorchBackend.GRAPH_SHAPES and (1, 3, 224, 224) not in backend._captured

    def refused(x):
        raise RuntimeError("operation not permitted when stream is capturing")

    monkeypatch.setattr(backend, "_capture", refused)
    odd = rng.random((9, 224, 224, 3), np.float32)
    backend.run(odd)
    np.testing.assert_allclose(backend.run(odd[:, :, :]), TorchBackend("RT", state, "cpu").run(odd), atol=1e-5)
    assert not backend.graphs and not backend._captured  # and the graphs' memory is let go
    np.testing.assert_allclose(backend.run(frames[0]), eager[0], atol=1e-5)


def test_decoding_where_the_model_ran_gives_the_joints_of_decoding_its_heatmaps():
    """``TorchBackend.summits`` (the blur, peak and neighbours on the device, for a GPU) against
    ``decode.peaks`` on the heatmaps it returns, and an engine whose backend is not on the CPU."""
    pytest.importorskip("torch")
    from types import SimpleNamespace

    from poseapp.inference.backends import TorchBackend
    from poseapp.inference.decode import peaks
    from poseapp.inference.preprocess import full_box, preprocess
    from poseapp.weights.install import load_state

    image = read_rgb(UPSTREAM / "MPII.jpg")
    ref = models.resolve("RT")
    backend = TorchBackend("RT", load_state(ref), "cpu")
    crop = preprocess(image, full_box(*image.shape[:2]), ref.variant.resolution, ref.variant.normalisation)
    batch = np.stack([crop, crop[::-1], np.zeros_like(crop)])  # upright, upside down, nothing at all
    for refine in (True, False):
        expected = np.stack([peaks(m, refine) for m in backend.run(batch)])
        got = backend.summits(batch, refine)
        assert got.shape == (3, 16, 3)
        np.testing.assert_allclose(got, expected, atol=1e-3)  # float sums in another order: flat maps move most
    on_gpu = SimpleNamespace(name="torch", device="cuda", run=backend.run, summits=backend.summits)
    calls = []
    on_gpu.summits = lambda b, refine: calls.append(len(b)) or backend.summits(b, refine)
    engine, plain = Engine("RT", backend=on_gpu), Engine("RT", backend=backend)
    np.testing.assert_allclose(engine.predict(image).keypoints, plain.predict(image).keypoints, atol=1e-3)
    assert calls == [1]
    engine.flip = True  # flip-averaged heatmaps are decoded on the host
    engine.predict(image)
    assert calls == [1]
