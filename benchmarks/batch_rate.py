"""A folder of clips against one clip: total frames per second of ``poseapp video``'s defaults.

The folder is built at run time from copies of Sports2D's walking clip (1768x994, 230 frames);
each round times one clip alone and then the whole folder, both through ``run_batch`` with the
command's default settings (the ``balanced`` preset, ``--roi track``, workers chosen by
``auto_workers``, which is one for a single clip), so a machine that speeds up or slows down
weighs on both alike. The ratio per round is the folder's rate over the lone clip's.

    python benchmarks/batch_rate.py [--clips 4] [--rounds 2] [--workers N] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from poseapp.batch import VideoOptions, auto_workers, run_batch
from poseapp.bench import machine
from poseapp.io.atomic import write_json
from poseapp.presets import PRESETS

CLIP = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "sports2d-demo" / "demo.mp4"


def _cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the batch's worker processes)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def rate(sources: list[Path], out: Path, options: VideoOptions, workers: int) -> tuple[float, int, float]:
    """Frames per second over ``sources`` (wall time of the whole run, start-up included), frames,
    and the cores kept busy on average (CPU time over wall time; ONNX Runtime's threads count while
    they spin between runs)."""
    shutil.rmtree(out, ignore_errors=True)
    start, cpu = time.perf_counter(), _cpu_seconds()
    results = run_batch(sources, out, options, workers)
    elapsed = time.perf_counter() - start
    busy = (_cpu_seconds() - cpu) / elapsed
    if any(r.status != "done" for r in results):
        raise SystemExit(f"a video failed: {[r.reason for r in results if r.status != 'done']}")
    frames = sum(r.frames for r in results)
    return frames / elapsed, frames, busy


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--clips", type=int, default=4)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--workers", type=int, default=None, help="for the folder (default: auto_workers)")
    p.add_argument("--json")
    args = p.parse_args()
    preset = PRESETS["balanced"]
    options = VideoOptions(model=preset.model, flip=preset.flip, scales=preset.scales)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "clips"
        folder.mkdir()
        sources = []
        for i in range(args.clips):
            sources.append(folder / f"walk{i}.mp4")
            shutil.copy(CLIP, sources[-1])
        workers = args.workers or auto_workers(len(sources), options.device)
        for r in range(args.rounds):
            one, frames_one, busy_one = rate(sources[:1], Path(tmp) / "one", options, 1)
            many, frames_many, busy_many = rate(sources, Path(tmp) / "many", options, workers)
            rows.append({"round": r, "one_clip_fps": round(one, 2), "folder_fps": round(many, 2),
                         "ratio": round(many / one, 3), "frames": [frames_one, frames_many],
                         "cores_busy": [round(busy_one, 2), round(busy_many, 2)]})
            print(json.dumps(rows[-1]), file=sys.stderr)
    report = {"date": date.today().isoformat(), "machine": machine(os.cpu_count() or 1), "clip": str(CLIP),
              "clips": args.clips, "workers": workers, "model": preset.model, "rounds": rows,
              "ratio_median": round(statistics.median(r["ratio"] for r in rows), 3)}
    print(json.dumps(report, indent=2))
    return 0 if args.json is None or write_json(args.json, report) else 1


if __name__ == "__main__":
    raise SystemExit(main())
