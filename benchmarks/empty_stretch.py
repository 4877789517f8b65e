"""What a stretch of video with nobody in view costs the tracker: searched every frame against every
``search_every``th frame after ``patience`` empty frames (``track.Track``), timed in turns in one process.

The frames are real: the MPII truck picture without its driver (the part left of him) for the
empty stretch, then the whole picture with him. Per model: milliseconds per empty frame past the
patience for each setting, their ratio, and how many frames each took to find the driver.

Live (``--live SECONDS``), frames come from a 30 fps camera as fast as the tracker takes them, so
the same rule leaves the cores busy; the live view's rule is in time (``Track(rest=...)``: after a
search, rest that many times as long as it took; ``pipeline.LiveAnalyser.REST``). For each rule:
the cores kept busy (process CPU time over wall time) through SECONDS of nobody past the
patience, with ONNX Runtime's spinning off as in the live view, and the seconds it took to find
the driver once he is in view.

    python benchmarks/empty_stretch.py [--models RT II] [--frames 45] [--rounds 3] [--live 20] [--json OUT]
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
from poseapp.io.atomic import write_json
from poseapp.io.images import read_rgb
from poseapp.localise.localiser import make_localiser
from poseapp.localise.track import Track
from poseapp.pipeline import LiveAnalyser

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


def live(engine: Engine, rest: float, empty: np.ndarray, person: np.ndarray, seconds: float,
         patience: int, every: int, fps: float = 30.0) -> dict:
    """The live worker's loop on a ``fps`` camera: the cores busy through ``seconds`` of nobody past
    the patience, and the seconds until the person is found once in view."""
    track = Track(make_localiser("auto", engine), patience=patience, search_every=every, rest=rest)

    def frame(rgb: np.ndarray) -> bool:
        start = time.perf_counter()
        found = track.locate(engine, rgb).found
        time.sleep(max(0.0, 1 / fps - (time.perf_counter() - start)))  # the camera's next frame
        return found

    for _ in range(patience):
        frame(empty)
    wall, cpu = time.perf_counter(), time.process_time()
    while time.perf_counter() - wall < seconds:
        frame(empty)
    busy = (time.process_time() - cpu) / (time.perf_counter() - wall)
    appeared = time.perf_counter()
    while not frame(person) and time.perf_counter() - appeared < 30:
        pass
    return {"cores_busy": busy, "seconds_to_find": time.perf_counter() - appeared}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", nargs="+", default=["RT", "II"])
    p.add_argument("--frames", type=int, default=45, help="empty frames before the person")
    p.add_argument("--patience", type=int, default=30)
    p.add_argument("--every", type=int, default=3)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--live", type=float, default=0.0, help="seconds of live nobody per run (0: not measured)")
    p.add_argument("--rest", type=float, default=LiveAnalyser.REST, help="the live rule: rest per search second")
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
        if args.live > 0:
            row["live"] = live_rows(model, args, picture)
        rows.append(row)
        print(json.dumps(row), file=sys.stderr)
    report = {"date": time.strftime("%Y-%m-%d"), "frames": args.frames, "patience": args.patience, "every": args.every,
              "rounds": args.rounds, "threads": args.threads, "live_seconds": args.live, "rest": args.rest,
              "results": rows}
    if args.json:
        write_json(Path(args.json), report)
    print(json.dumps(report, indent=2))
    return 0


def live_rows(model: str, args: argparse.Namespace, picture: np.ndarray) -> dict:
    """The live loop with the frame rule and with the time rule, in turns: medians of the cores
    kept busy and their ratio, and the longest wait to find the driver."""
    engine = Engine(model, device="cpu", backend="onnx", threads=args.threads, spin=False)
    names = {0.0: f"searched every {args.every} frames", args.rest: f"rest {args.rest:g}x each search"}
    runs: dict[float, list[dict]] = {0.0: [], args.rest: []}
    for r in range(args.rounds):
        for rest in ((0.0, args.rest) if r % 2 == 0 else (args.rest, 0.0)):
            runs[rest].append(live(engine, rest, picture[:, :900], picture, args.live, args.patience, args.every))
    busy = {rest: np.array([x["cores_busy"] for x in got]) for rest, got in runs.items()}
    return {"cores_busy": {names[k]: round(float(np.median(v)), 2) for k, v in busy.items()},
            "ratio": round(float(np.median(busy[args.rest] / busy[0.0])), 3),
            "seconds_to_find": {names[k]: round(max(x["seconds_to_find"] for x in got), 2)
                                for k, got in runs.items()}}


if __name__ == "__main__":
    raise SystemExit(main())
