"""PCKh and time per image for every variant and protocol on an MPII folder: the README's accuracy table.

    python benchmarks/accuracy.py [--data DIR] [--models RT I ...] [--flip] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from datetime import date
from pathlib import Path

from poseapp.evaluation import PROTOCOLS, evaluate
from poseapp.inference.engine import Engine
from poseapp.io.mpii import load_mpii

MPII = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "mmpose-samples" / "mpii"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default=str(MPII))
    p.add_argument("--models", nargs="+", default=["RT", "I", "II", "RT_LITE", "I_LITE", "II_LITE"])
    p.add_argument("--flip", action="store_true")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--json")
    args = p.parse_args()
    samples = load_mpii(args.data)
    rows = []
    for model in args.models:
        engine = Engine(model, device="cpu", flip=args.flip, threads=args.threads)
        for protocol in PROTOCOLS:
            r = evaluate(engine, samples, protocol)
            rows.append({"model": model, "protocol": protocol, "pckh@0.5": r.overall["0.5"],
                         "pckh@0.1": r.overall["0.1"], "ms_per_image": round(r.ms_per_image, 1),
                         "forward_passes_per_image": round(r.passes_per_image, 1)})
            print(json.dumps(rows[-1]), file=sys.stderr)
    report = {"date": date.today().isoformat(), "data": args.data, "images": len(samples), "flip": args.flip,
              "machine": platform.machine(), "results": rows}
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
