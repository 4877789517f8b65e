"""Where an ONNX graph spends its time: ONNX Runtime's own profiler, summed per operator type.

    python benchmarks/profile_ops.py GRAPH.onnx [GRAPH.onnx ...] [--threads 2] [--runs 20]

Our fp32 graphs are in the cache's ``onnx/`` folder (``poseapp weights list`` shows the cache);
``benchmarks/int8.py --keep DIR`` leaves its INT8 graphs in DIR. The input is random: operator
times do not depend on the pixel values.
"""

from __future__ import annotations

import argparse
import collections
import json
import tempfile
from pathlib import Path

import numpy as np


def profile(graph: str, threads: int, runs: int) -> dict[str, float]:
    """Milliseconds per run spent in each operator type, largest first."""
    import onnxruntime as ort

    with tempfile.TemporaryDirectory() as tmp:
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.enable_profiling = True
        options.profile_file_prefix = str(Path(tmp) / "profile")
        session = ort.InferenceSession(graph, options, providers=["CPUExecutionProvider"])
        spec = session.get_inputs()[0]
        x = np.random.default_rng(0).random([d if isinstance(d, int) else 1 for d in spec.shape], np.float32)
        for _ in range(runs):
            session.run(None, {spec.name: x})
        events = json.loads(Path(session.end_profiling()).read_text())
    spent: collections.Counter[str] = collections.Counter()
    for e in events:
        if e.get("cat") == "Node" and e["name"].endswith("_kernel_time"):
            spent[e["args"]["op_name"]] += e["dur"] / 1000 / runs
    return dict(spent.most_common())


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("graphs", nargs="+")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--runs", type=int, default=20)
    args = p.parse_args()
    for graph in args.graphs:
        spent = profile(graph, args.threads, args.runs)
        total = sum(spent.values())
        print(f"{graph}: {total:.2f} ms per run in operators")
        for op, ms in spent.items():
            print(f"  {op:24} {ms:7.2f} ms  {100 * ms / total:5.1f}%")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
