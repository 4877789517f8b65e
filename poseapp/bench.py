"""``poseapp bench``: our engine against upstream's TFLite runtime (and MediaPipe) in one process.

Every peer gets the same preprocessed input and the same thread count. Per variant: per-frame
latency (median, 90th percentile, after warm-up) of our default CPU backend, of eager PyTorch
when installed, and of upstream's TFLite file run by ai-edge-litert, timed in turns (one call of
each per round, the order rotating: ``interleaved``; before each call the process waits until its
threads have gone idle, ``settle``), with our/upstream ratio as the median of the per-round ratios
and its 10th-90th percentile spread;
batched throughput at the best batch size; the cost of our pre- and post-processing on a 720p
frame; resident memory after each runtime. MediaPipe Pose 0.10.14 joins as a second peer when
installed (its own pre/post included, so compare it with our end-to-end figure). Nothing is
asserted here: the JSON is the record, ratios are the targets.
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

import numpy as np

from poseapp.errors import PoseappError
from poseapp.inference.decode import peaks
from poseapp.inference.engine import Engine
from poseapp.inference.preprocess import full_box, preprocess
from poseapp.io.images import read_rgb
from poseapp.localise.localiser import make_localiser
from poseapp.model.variants import get_variant
from poseapp.pose import Box

BATCHES = (1, 2, 4, 8)


def timed(fn: Callable[[], object], runs: int, warmup: int = 3) -> dict[str, float]:
    """Median and 90th percentile of ``fn``'s wall time in milliseconds, after ``warmup`` calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(1000 * (time.perf_counter() - t0))
    return {"median_ms": round(statistics.median(times), 3),
            "p90_ms": round(float(np.percentile(times, 90)), 3), "runs": runs}


def settle(step: float = 0.005, busy: float = 0.2, limit: float = 0.5) -> float:
    """Wait until this process's threads stop using the CPU; returns the seconds waited.

    ONNX Runtime's worker threads keep spinning for about 40 ms after a run (one core's worth on
    2 cores: ``busy_after_ms``), so a runtime timed right after it would run on what that leaves; idle means under
    ``busy`` of one core over a ``step``; never longer than ``limit``."""
    start = last_wall = time.perf_counter()
    last_cpu = time.process_time()
    while last_wall - start < limit:
        time.sleep(step)
        wall, cpu = time.perf_counter(), time.process_time()
        if cpu - last_cpu < busy * (wall - last_wall):
            break
        last_wall, last_cpu = wall, cpu
    return time.perf_counter() - start


def interleaved(fns: dict[str, Callable[[], object]], runs: int, warmup: int = 3) -> dict[str, dict]:
    """Each runtime timed in turns, one call each per round, the order rotating every round, so a
    machine that slows down or speeds up mid-run weighs on all of them alike; each call starts once
    the previous one's threads are idle (``settle``), so none is timed on a core another's threads
    still hold. Returns per name the median and 90th percentile in milliseconds, the per-round
    times (for ratios) and ``busy_after_ms``, the median wait for the process to go idle after
    that runtime's call."""
    names = list(fns)
    for _ in range(warmup):
        for name in names:
            settle()
            fns[name]()
    times: dict[str, list[float]] = {name: [] for name in names}
    waits: dict[str, list[float]] = {name: [] for name in names}
    last = None
    for r in range(runs):
        for name in names[r % len(names):] + names[:r % len(names)]:
            waited = settle()
            if last is not None:
                waits[last].append(1000 * waited)
            t0 = time.perf_counter()
            fns[name]()
            times[name].append(1000 * (time.perf_counter() - t0))
            last = name
    return {name: {"median_ms": round(statistics.median(t), 3), "p90_ms": round(float(np.percentile(t, 90)), 3),
                   "runs": runs, "samples_ms": t,
                   "busy_after_ms": round(statistics.median(waits[name]), 1) if waits[name] else None}
            for name, t in times.items()}


def ratio(ours: list[float], theirs: list[float]) -> dict[str, float]:
    """Our time over theirs, round by round: the median ratio and its spread (10th-90th percentile)."""
    rounds = np.array(ours) / np.array(theirs)
    return {"median": round(float(np.median(rounds)), 3), "p10": round(float(np.percentile(rounds, 10)), 3),
            "p90": round(float(np.percentile(rounds, 90)), 3)}


def rss_mb() -> float | None:
    """This process's resident memory in MiB (psutil when installed, else Linux's /proc)."""
    try:
        import psutil

        return round(psutil.Process().memory_info().rss / 2**20, 1)
    except ImportError:
        try:
            pages = int(Path("/proc/self/statm").read_text().split()[1])
            return round(pages * os.sysconf("SC_PAGE_SIZE") / 2**20, 1)
        except (OSError, ValueError):
            return None


def peak_rss_mb() -> float | None:
    try:
        import resource

        return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # KiB on Linux
    except (ImportError, AttributeError):
        return None


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def machine(threads: int) -> dict:
    packages = ("poseapp", "numpy", "opencv-python-headless", "onnxruntime", "torch", "timm", "ai-edge-litert",
                "mediapipe")
    return {"platform": platform.platform(), "processor": platform.processor() or platform.machine(),
            "cpu_count": os.cpu_count(), "python": platform.python_version(), "threads": threads,
            "versions": {p: _version(p) for p in packages},
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds")}


def tflite_runner(variant: str, threads: int,
                  say: Callable[[str], None] = print) -> Callable[[np.ndarray], np.ndarray] | None:
    """Upstream's TFLite file in ai-edge-litert (XNNPACK), or None (said why) when either is missing.

    The file is taken from this machine first (the source folder, or where an import came from);
    only when none is here is it downloaded, and a failed download skips the peer."""
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        say(f"upstream TFLite peer for {variant} skipped: ai-edge-litert is not installed (pip install "
            "'poseapp[bench]')")
        return None
    from poseapp.weights.install import local_upstream_file, upstream_file
    from poseapp.weights.manifest import load_manifest

    entry = next((f for f in load_manifest().files_for(variant) if f.path.endswith(".tflite")), None)
    if entry is None:
        return None
    path = local_upstream_file(entry)
    if path is None:
        try:
            path = upstream_file(entry)
        except PoseappError as exc:
            say(f"upstream TFLite peer for {variant} skipped: {entry.name} is not on this machine ({exc})")
            return None
    interpreter = Interpreter(str(path), num_threads=threads)
    interpreter.allocate_tensors()
    inp = interpreter.get_input_details()[0]["index"]
    out = interpreter.get_output_details()[-1]["index"]

    def run(batch: np.ndarray) -> np.ndarray:
        interpreter.set_tensor(inp, batch)
        interpreter.invoke()
        return interpreter.get_tensor(out)

    return run


def bench_variant(variant: str, frame: np.ndarray, threads: int, runs: int, backends: tuple[str, ...],
                  say: Callable[[str], None] = print) -> dict:
    """Every measurement for one variant (see the module docstring)."""
    name = get_variant(variant).name
    row: dict = {"variant": name}
    engines = {}
    for backend in backends:
        try:
            engines[backend] = Engine(name, device="cpu", backend=backend, threads=threads)
        except PoseappError as exc:
            row[backend] = {"skipped": str(exc)}
    if not engines:
        return row
    engine = next(iter(engines.values()))
    box = full_box(*frame.shape[:2])
    x = preprocess(frame, box, engine.size, engine.variant.normalisation)[None]
    runtimes = {backend: (lambda eng=eng: eng.backend.run(x)) for backend, eng in engines.items()}
    upstream = tflite_runner(name, threads, say)
    if upstream is not None:
        runtimes["tflite"] = lambda: upstream(x)
    measured = interleaved(runtimes, runs)
    for key, stats in measured.items():
        row[key] = {k: v for k, v in stats.items() if k != "samples_ms"} | {"rss_mb": rss_mb()}
    if upstream is not None:
        for backend in engines:
            spread = ratio(measured[backend]["samples_ms"], measured["tflite"]["samples_ms"])
            row[f"ratio_{backend}_vs_tflite"] = spread["median"]
            row[f"ratio_{backend}_vs_tflite_spread"] = spread
    default = engines[backends[0]] if backends[0] in engines else engine
    maps = default.backend.run(x)[0]
    crop = Box(frame.shape[1] // 3, frame.shape[0] // 6, frame.shape[0] * 2 // 3)
    row["preprocess_full_frame"] = timed(
        lambda: preprocess(frame, box, default.size, default.variant.normalisation), runs)
    row["preprocess_crop"] = timed(lambda: preprocess(frame, crop, default.size, default.variant.normalisation), runs)
    row["decode"] = timed(lambda: peaks(maps), runs)
    row["end_to_end_full_frame"] = timed(lambda: default.predict(frame), runs)
    detected, searched = make_localiser("auto", default), make_localiser("auto", default, detector=False)
    whole = interleaved({"detector": lambda: detected.locate(default, frame),
                         "search": lambda: searched.locate(default, frame)}, max(3, runs // 10), warmup=1)
    row["end_to_end_auto"] = {k: v for k, v in whole["detector"].items() if k != "samples_ms"}
    row["end_to_end_auto"]["forward_passes"] = detected.locate(default, frame).extra["forward_passes"]
    row["end_to_end_auto_search"] = {k: v for k, v in whole["search"].items() if k != "samples_ms"}
    row["end_to_end_auto_search"]["forward_passes"] = searched.locate(default, frame).extra["forward_passes"]
    row["ratio_auto_detector_vs_search"] = ratio(whole["detector"]["samples_ms"], whole["search"]["samples_ms"])
    if detected.detector is not None:
        row["detector_pass"] = timed(lambda: detected.detector.detect(frame), runs)
    row["throughput"] = {}
    for n in BATCHES:
        xb = np.repeat(x, n, 0)
        t = timed(lambda xb=xb: default.backend.run(xb), max(3, runs // n))
        row["throughput"][str(n)] = round(1000 * n / t["median_ms"], 1)
    best = max(row["throughput"], key=row["throughput"].get)
    row["best_batch"] = {"batch": int(best), "fps": row["throughput"][best]}
    return row


def bench_mediapipe(frame: np.ndarray, runs: int) -> dict | None:
    """MediaPipe Pose (full model) per image and per frame while tracking, if installed."""
    try:
        import mediapipe as mp
    except ImportError:
        return None
    result = {"version": _version("mediapipe"), "model": "pose_landmark_full (model_complexity=1)"}
    with mp.solutions.pose.Pose(static_image_mode=True, model_complexity=1) as pose:
        result["per_image"] = timed(lambda: pose.process(frame), runs)
    with mp.solutions.pose.Pose(static_image_mode=False, model_complexity=1) as pose:
        result["per_frame_tracking"] = timed(lambda: pose.process(frame), runs)
    result["rss_mb"] = rss_mb()
    return result


def bench_video(clip: Path, threads: int, frames: int = 90, say: Callable[[str], None] = print) -> dict:
    """Per video frame and per quality preset, what ``poseapp video`` and the window spend: one
    ``FrameAnalyser`` (``track``) with the person detector and one with the window search alone,
    on one engine, over the clip's first ``frames`` frames, the two timed in turns frame by frame
    (``interleaved``: the order rotating, each call after ``settle``). The mean counts the searches a track makes
    when it loses the person; the median is a followed frame's."""
    from poseapp.analysis import AnalysisOptions, FrameAnalyser, make_engine
    from poseapp.io.video import VideoReader
    from poseapp.presets import PRESETS

    with VideoReader(clip) as reader:
        shown = [f for f, _ in zip(reader, range(frames))]
    out: dict = {"clip": str(clip), "frames": len(shown), "presets": {}}
    for name, preset in PRESETS.items():
        say(f"bench {name} on {clip.name}…")
        options = AnalysisOptions(model=preset.model, flip=preset.flip, scales=preset.scales, threads=threads)
        engine = make_engine(options)
        analysers = {"detector": FrameAnalyser(options), "search": FrameAnalyser(replace(options, detector=False))}
        for analyser in analysers.values():
            analyser.use(engine)
        results: dict[str, list] = {k: [] for k in analysers}
        upcoming = {k: iter(shown) for k in analysers}  # each analyser takes the clip's frames in order
        calls = {k: (lambda got=results[k], a=a, frames=upcoming[k]: got.append(a.analyse(next(frames))))
                 for k, a in analysers.items()}
        measured = interleaved(calls, len(shown), warmup=0)
        row: dict = {"model": preset.model, "flip": preset.flip, "scales": list(preset.scales)}
        for k, got in results.items():
            times = measured[k]["samples_ms"]
            row[k] = {"mean_ms": round(statistics.fmean(times), 1), "median_ms": round(statistics.median(times), 1),
                      "p90_ms": round(float(np.percentile(times, 90)), 1), "max_ms": round(max(times), 1),
                      "passes_per_frame": round(sum(r.pose.extra.get("forward_passes", 0) for r in got) / len(got), 2),
                      "frames_with_pose": sum(bool(r.pose.found) for r in got)}
        row["ratio_mean_detector_vs_search"] = round(row["detector"]["mean_ms"] / row["search"]["mean_ms"], 3)
        out["presets"][name] = row
    return out


def run_bench(variants: list[str], threads: int, runs: int, image: Path,
              backends: tuple[str, ...] = ("onnx", "torch"), progress: Callable[[str], None] = print,
              clip: Path | None = None, clip_frames: int = 90) -> dict:
    """The whole benchmark as one JSON-ready dict; with ``clip``, also per video frame (``bench_video``)."""
    import cv2

    cv2.setNumThreads(threads)
    frame = read_rgb(image)
    report = {"machine": machine(threads), "image": str(image), "frame_size": list(frame.shape[:2]),
              "rss_mb_start": rss_mb(), "variants": []}
    for variant in variants:
        progress(f"bench {variant}…")
        report["variants"].append(bench_variant(variant, frame, threads, runs, backends, progress))
    if clip is not None:
        report["video"] = bench_video(clip, threads, clip_frames, progress)
    report["mediapipe"] = bench_mediapipe(frame, runs)
    progress("bench MediaPipe…" if report["mediapipe"] else
             "MediaPipe peer skipped: not installed (see the README's benchmark set-up)")
    report["peak_rss_mb"] = peak_rss_mb()
    return report


def format_table(report: dict) -> str:
    """A plain-text summary: per-frame medians and the ratio to upstream."""
    lines = [f"{'variant':9} {'onnx ms':>8} {'torch ms':>9} {'tflite ms':>10} {'ratio':>6} {'pre+dec ms':>10} "
             f"{'auto ms':>8} {'search ms':>9} {'best fps':>9}"]
    def ms(r: dict, key: str) -> str:
        return f"{r[key]['median_ms']:.1f}" if "median_ms" in r.get(key, {}) else "-"

    for r in report["variants"]:
        pre = r["preprocess_full_frame"]["median_ms"] + r["decode"]["median_ms"] if "decode" in r else None
        lines.append(f"{r['variant']:9} {ms(r, 'onnx'):>8} {ms(r, 'torch'):>9} {ms(r, 'tflite'):>10} "
                     f"{r.get('ratio_onnx_vs_tflite', '-'):>6} {'-' if pre is None else round(pre, 1):>10} "
                     f"{ms(r, 'end_to_end_auto'):>8} {ms(r, 'end_to_end_auto_search'):>9} "
                     f"{r.get('best_batch', {}).get('fps', '-'):>9}")
    video = report.get("video")
    for name, row in (video or {}).get("presets", {}).items():
        d, w = row["detector"], row["search"]
        lines.append(f"{name} ({row['model']}) per video frame of {Path(video['clip']).name}: detector "
                     f"{d['mean_ms']:.1f} ms mean ({d['median_ms']:.1f} median), window search {w['mean_ms']:.1f} ms "
                     f"mean ({w['median_ms']:.1f} median)")
    mp = report.get("mediapipe")
    if mp:
        lines.append(f"MediaPipe {mp['version']}: {mp['per_image']['median_ms']:.1f} ms per image, "
                     f"{mp['per_frame_tracking']['median_ms']:.1f} ms per frame tracking")
    lines.append(f"threads {report['machine']['threads']}, peak RSS {report['peak_rss_mb']} MiB")
    return "\n".join(lines)
