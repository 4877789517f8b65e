"""How a model's inference can share the cores: one session on every thread (what one clip gets)
against processes with a thread each, and batches of frames, by frames per second in total.

    python benchmarks/core_split.py --model II --rounds 3 --json OUT

Each arrangement runs ``--seconds`` on one random image batch; every round starts with the
baseline (one process, all ``--threads``, batch 1), and each arrangement is reported as a ratio to
that round's baseline, so the machine's drift between rounds cancels. It bounds what any folder
scheme can gain over one clip: ``poseapp video`` on a folder runs one process per core.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import time
from pathlib import Path

import numpy as np


def _worker(graph: str, threads: int, batch: int, seconds: float, out: mp.Queue) -> None:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
    session = ort.InferenceSession(graph, options, providers=["CPUExecutionProvider"])
    size = session.get_inputs()[0].shape[1]
    x = np.random.default_rng(0).normal(size=(batch, size, size, 3)).astype(np.float32)
    for _ in range(2):
        session.run(None, {"image": x})
    frames, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        session.run(None, {"image": x})
        frames += batch
    out.put(frames / (time.perf_counter() - t0))


def rate(graph: str, processes: int, threads: int, batch: int, seconds: float) -> float:
    """Frames per second summed over ``processes`` running at once."""
    out: mp.Queue = mp.Queue()
    procs = [mp.Process(target=_worker, args=(graph, threads, batch, seconds, out)) for _ in range(processes)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    return sum(out.get() for _ in procs)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="II")
    p.add_argument("--threads", type=int, default=2, help="the cores to share")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--seconds", type=float, default=8.0)
    p.add_argument("--json")
    args = p.parse_args()
    from poseapp.weights.graphs import ensure_onnx

    graph = str(ensure_onnx(args.model))
    t = args.threads
    arrangements = [(1, t, 1), (t, 1, 1), (1, t, 2), (1, t, 4), (t, 1, 2), (t, 1, 4)]
    rounds = []
    for _ in range(args.rounds):
        base = rate(graph, 1, t, 1, args.seconds)
        row = {"baseline_fps": round(base, 2)}
        for procs, threads, batch in arrangements[1:]:
            row[f"{procs} process x {threads} thread, batch {batch}"] = round(
                rate(graph, procs, threads, batch, args.seconds) / base, 3)
        rounds.append(row)
        print(json.dumps(row), flush=True)
    report = {"model": args.model, "threads": t, "seconds": args.seconds,
              "note": "ratios to the round's baseline: one process on every thread, batch 1", "rounds": rounds}
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
