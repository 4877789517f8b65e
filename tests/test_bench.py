"""The benchmark's report: every peer timed on the same input in turns, ratios round by round."""

from __future__ import annotations

import json
import threading
import time

import pytest

from poseapp import bench
from poseapp.cli import main
from tests.conftest import SHARED, UPSTREAM


def test_timed_reports_median_and_p90():
    calls = []
    stats = bench.timed(lambda: calls.append(1), runs=7, warmup=2)
    assert len(calls) == 9 and stats["runs"] == 7
    assert 0 <= stats["median_ms"] <= stats["p90_ms"]


def test_interleaved_takes_turns_and_rotates_the_order():
    order = []
    stats = bench.interleaved({"a": lambda: order.append("a"), "b": lambda: order.append("b"),
                               "c": lambda: order.append("c")}, runs=3, warmup=1)
    assert order == ["a", "b", "c", "a", "b", "c", "b", "c", "a", "c", "a", "b"]
    assert all(len(s["samples_ms"]) == 3 and s["median_ms"] >= 0 and s["busy_after_ms"] > 0 for s in stats.values())
    spread = bench.ratio([2.0, 4.0, 3.0], [1.0, 2.0, 2.0])
    assert spread["median"] == 2.0 and spread["p10"] <= 1.6 and spread["p90"] == pytest.approx(2.0)


def _spinner(seconds: float) -> threading.Event:
    """A thread that keeps a core busy for ``seconds``, as ONNX Runtime's workers do after a run."""
    done = threading.Event()

    def spin() -> None:
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            pass
        done.set()

    threading.Thread(target=spin, daemon=True).start()
    return done


def test_each_turn_starts_once_the_threads_of_the_last_are_idle():
    done = _spinner(0.15)
    bench.settle()
    assert done.is_set()
    forever = _spinner(3.0)
    bench.settle(limit=0.1)
    assert not forever.is_set()
    forever.wait()


def test_report_for_one_variant_against_upstream(tmp_path):
    pytest.importorskip("ai_edge_litert")
    out = tmp_path / "bench.json"
    assert main(["bench", "--models", "rt_lite", "--threads", "1", "--runs", "3", "--backends",
                 "--image", str(UPSTREAM / "MPII.jpg"), "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    row = report["variants"][0]
    assert row["variant"] == "RT_LITE" and report["machine"]["threads"] == 1
    spread = row["ratio_onnx_vs_tflite_spread"]
    assert row["ratio_onnx_vs_tflite"] == spread["median"] and spread["p10"] <= spread["median"] <= spread["p90"]
    assert row["onnx"]["runs"] == row["tflite"]["runs"] == 3 and "samples_ms" not in row["onnx"]
    for key in ("preprocess_full_frame", "preprocess_crop", "decode", "end_to_end_full_frame", "end_to_end_auto",
                "end_to_end_auto_search"):
        assert row[key]["median_ms"] > 0, key
    # the person detector against the window search, timed in turns in one process
    assert row["end_to_end_auto"]["forward_passes"] <= 5 < 20 < row["end_to_end_auto_search"]["forward_passes"]
    assert 0 < row["ratio_auto_detector_vs_search"]["median"]
    assert set(row["throughput"]) == {"1", "2", "4", "8"} and row["best_batch"]["fps"] > 0
    assert report["machine"]["versions"]["onnxruntime"] and report["peak_rss_mb"] > 0


def test_bench_without_an_image_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("POSEAPP_WEIGHTS_SOURCE", str(tmp_path))
    monkeypatch.setenv("POSEAPP_CACHE", str(tmp_path / "cache"))
    assert main(["bench", "--models", "RT"]) == 2
    assert "bench needs an image" in capsys.readouterr().err


def test_bench_after_an_import_uses_the_imported_folder_offline(tmp_path, monkeypatch, capsys):
    """Offline (a source URL nobody answers) after `weights import`: the image and upstream's TFLite
    file come from the imported folder, nothing is downloaded, and a missing peer is named."""
    pytest.importorskip("ai_edge_litert")
    monkeypatch.setenv("POSEAPP_WEIGHTS_SOURCE", "http://127.0.0.1:9/")
    monkeypatch.setenv("POSEAPP_CACHE", str(tmp_path / "cache"))
    assert main(["weights", "import", str(UPSTREAM)]) == 0
    out = tmp_path / "bench.json"
    assert main(["bench", "--models", "RT_LITE", "--threads", "1", "--runs", "2", "--backends",
                 "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["image"] == str(UPSTREAM / "MPII.jpg") and report["variants"][0]["tflite"]["median_ms"] > 0
    err = capsys.readouterr().err
    assert "could not download" not in err
    if report["mediapipe"] is None:
        assert "MediaPipe peer skipped: not installed" in err


def test_per_video_frame_each_preset_with_the_detector_and_the_search_in_turns():
    """``--clip``: each quality preset analyses the clip's frames through the analysis layer, with
    the detector and with the window search alone; the detector's track spends fewer passes."""
    from poseapp import bench
    from poseapp.presets import PRESETS

    video = bench.bench_video(SHARED / "data" / "sports2d-demo" / "demo.mp4", threads=1, frames=3, say=lambda m: None)
    assert video["frames"] == 3 and set(video["presets"]) == set(PRESETS)
    for name, row in video["presets"].items():
        assert row["model"] == PRESETS[name].model
        for kind in ("detector", "search"):
            assert row[kind]["mean_ms"] > 0 and row[kind]["max_ms"] >= row[kind]["median_ms"]
        assert row["detector"]["passes_per_frame"] < row["search"]["passes_per_frame"]
        assert row["detector"]["frames_with_pose"] == 3
    assert "per video frame of demo.mp4" in bench.format_table(
        {"variants": [], "video": video, "machine": {"threads": 1}, "peak_rss_mb": 1})
