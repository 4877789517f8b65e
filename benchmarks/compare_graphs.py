"""Two ONNX graphs of the same model, timed in turns on one input: their heatmaps' largest
difference and the ratio of their times per frame (median and p10-p90 of the per-run ratios).

Made for the graph writer's change (layout 4, exported with torch by commit c11c6ca; layout 5,
written from ``model/architecture.py``), on the same upstream weights:

    git worktree add /tmp/old c11c6ca
    (cd /tmp/old && POSEAPP_CACHE=/tmp/oldcache python -c "from poseapp.weights.graphs import ensure_onnx;
        [print(ensure_onnx(m)) for m in ('RT', 'I', 'II')]")
    POSEAPP_CACHE=/tmp/newcache python -c "from poseapp.weights.graphs import ensure_onnx;
        [print(ensure_onnx(m)) for m in ('RT', 'I', 'II')]"
    python benchmarks/compare_graphs.py --pair RT OLD NEW --pair I OLD NEW --pair II OLD NEW --json OUT

(with ``POSEAPP_WEIGHTS_SOURCE`` set to the upstream folder for both).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort


def session(path: str, threads: int) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def compare(old: str, new: str, runs: int, threads: int) -> dict:
    """Both graphs on one random image, warmed up, then run in alternating order."""
    sessions = {"old": session(old, threads), "new": session(new, threads)}
    size = sessions["old"].get_inputs()[0].shape[1]
    x = np.random.default_rng(0).normal(size=(1, size, size, 3)).astype(np.float32)
    maps = {tag: s.run(None, {"image": x})[0] for tag, s in sessions.items()}
    times: dict[str, list[float]] = {"old": [], "new": []}
    for i in range(runs):
        for tag in ("old", "new") if i % 2 else ("new", "old"):
            t0 = time.perf_counter()
            sessions[tag].run(None, {"image": x})
            times[tag].append(time.perf_counter() - t0)
    ratios = np.array(times["new"]) / np.array(times["old"])
    return {"old": old, "new": new, "old_ms": round(1e3 * float(np.median(times["old"])), 2),
            "new_ms": round(1e3 * float(np.median(times["new"])), 2),
            "ratio_new_vs_old": round(float(np.median(ratios)), 3),
            "ratio_p10_p90": [round(float(np.percentile(ratios, q)), 3) for q in (10, 90)],
            "max_abs_difference": float(np.abs(maps["old"] - maps["new"]).max()),
            "max_abs_heatmap": float(np.abs(maps["old"]).max())}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--pair", nargs=3, action="append", metavar=("NAME", "OLD", "NEW"), required=True)
    p.add_argument("--runs", type=int, default=200)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--json", help="write the results here")
    args = p.parse_args()
    report = {}
    for name, old, new in args.pair:
        report[name] = compare(old, new, args.runs, args.threads)
        print(name, json.dumps(report[name]), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
