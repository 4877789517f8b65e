"""What a stretch of video with nobody in view costs the tracker: searched every frame against every
``search_every``th frame after ``patience`` empty frames (``roi.Track``), timed in turns in one process.

The frames are real: the MPII truck picture without its driver (the part left of him) for the
empty stretch, then the whole picture with him. Per model: milliseconds per empty frame past the
patience for each setting, their ratio, and how many frames each took to find the driver.

    python benchmarks/empty_stretch.py [--models RT II] [--frames 45] [--rounds 3] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from real_footage import DATA

from poseapp.inference.engine import Engine
from poseapp.inference.roi import Track, make_localiser
from poseapp.io.atomic import write_json
from poseapp.io.images import read_rgb

TRUCK = DATA / "mmpose-samples" / "mpii" / "051423444.jpg"


def run(engine: Engine, every: int, empty: np.ndarray, person: np.ndarray, frames: int, patience: int) -> dict:
    """One pass over ``frames`` empty frames then the person: ms per empty frame past the patience,
    and the frames it took to find the person once in view."""
    track = Track(make_localiser("auto", engine), patience=patience, search_every=every)
    spent = []
    for i in range(frames):
        t0 = time.perf_counter()
        track.locate(engine, empty)
        if i >= patience:
            spent.append(time.perf_counter() - t0)
    late = 0  # frames with the person in view before they were found
    while late <= every and not track.locate(engine, person).found:
        late += 1
    return {"ms_per_empty_frame": 1e3 * float(np.mean(spent)), "frames_to_find": late}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", nargs="+", default=["RT", "II"])
    p.add_argument("--frames", type=int, default=45, help="empty frames before the person")
    p.add_argument("--patience", type=int, default=30)
    p.add_argument("--every", type=int, default=3)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--json")
    args = p.parse_args()
    picture = read_rgb(TRUCK)
    empty, person = picture[:, :900], picture
    rows = []
    for model in args.models:
        engine = Engine(model, device="cpu", backend="onnx", threads=args.threads)
        runs: dict[int, list[dict]] = {1: [], args.every: []}
        for r in range(args.rounds):  # in turns, the first one changing each round
            for every in ((1, args.every) if r % 2 == 0 else (args.every, 1)):
                runs[every].append(run(engine, every, empty, person, args.frames, args.patience))
        always = np.array([x["ms_per_empty_frame"] for x in runs[1]])
        spaced = np.array([x["ms_per_empty_frame"] for x in runs[args.every]])
        spaced_name = f"searched every {args.every} frames"
        row = {"model": model,
               "ms_per_empty_frame": {"searched every frame": round(float(np.median(always)), 1),
                                      spaced_name: round(float(np.median(spaced)), 1)},
               "ratio": round(float(np.median(spaced / always)), 3),
               "ratio_range": [round(float(v), 3) for v in ((spaced / always).min(), (spaced / always).max())],
               "frames_to_find": {"searched every frame": max(x["frames_to_find"] for x in runs[1]),
                                  spaced_name: max(x["frames_to_find"] for x in runs[args.every])}}
        rows.append(row)
        print(json.dumps(row), file=sys.stderr)
    report = {"date": time.strftime("%Y-%m-%d"), "frames": args.frames, "patience": args.patience, "every": args.every,
              "rounds": args.rounds, "threads": args.threads, "results": rows}
    if args.json:
        write_json(Path(args.json), report)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
