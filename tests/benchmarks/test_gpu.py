"""The GPU benchmark's mechanics, run on the CPU (no GPU here): fp32 against fp16 in turns, what
fp16 changes, the device switch, and a clear message where the GPU is missing."""

from __future__ import annotations

import pytest

from poseapp.io.images import read_rgb
from tests.conftest import UPSTREAM
from tests.helpers import load_script

pytest.importorskip("torch")


def test_precisions_and_switch_on_the_cpu():
    bench = load_script("benchmarks/gpu.py", "gpu_bench")
    image = read_rgb(UPSTREAM / "MPII.jpg")
    row = bench.precisions("RT", "cpu", [1, 2], 1, image)
    assert row["model"] == "RT" and set(row["batches"]) == {"1", "2"}
    assert 0 <= row["fp16_joint_shift_px"] < 2 and row["fp16_score_change"] < 0.05  # half precision, same joints
    assert all(b["fp32_ms"] > 0 and b["ratio_fp16_vs_fp32"] > 0 for b in row["batches"].values())
    assert bench.device_switch("RT", "cpu", image)["to_cpu_s"] > 0
    decode = row["decode"]
    assert decode["batch"] == 2 and decode["max_joint_diff_px"] < 1e-3 and decode["ratio_device_vs_host"] > 0


def test_a_short_video_gives_its_processing_figures():
    bench = load_script("benchmarks/gpu.py", "gpu_bench")
    clip = UPSTREAM.parent / "data" / "sports2d-demo" / "demo.mp4"
    (row,) = bench.video_rate(str(clip), ["RT"], "cpu", end_s=0.3)
    assert row["status"] == "done" and row["frames"] == 10 and row["processing"]["fps"] > 0


def test_a_variant_without_its_weights_is_timed_untrained_and_says_so(monkeypatch):
    bench = load_script("benchmarks/gpu.py", "gpu_bench")

    def missing(ref):
        raise bench.MissingWeightsError("no IV here")

    monkeypatch.setattr(bench, "load_state", missing)
    row = bench.precisions("RT", "cpu", [1], 1, read_rgb(UPSTREAM / "MPII.jpg"))
    assert row["weights"] == "random" and row["fp16_joint_shift_px"] is None and row["batches"]["1"]["fp16_ms"] > 0
    with pytest.raises(bench.MissingWeightsError):
        bench.precisions("RT", "cpu", [1], 1, read_rgb(UPSTREAM / "MPII.jpg"), official_only=True)


def test_no_gpu_is_a_message(monkeypatch, capsys):
    bench = load_script("benchmarks/gpu.py", "gpu_bench")
    monkeypatch.setattr("sys.argv", ["gpu.py", "--device", "cuda", "--models", "RT"])

    def missing(device: str) -> str:
        raise bench.PoseappError(f"device {device!r} is not available here")

    monkeypatch.setattr(bench, "resolve_device", missing)  # whatever this machine has
    assert bench.main() == 2 and "'cuda' is not available" in capsys.readouterr().err
