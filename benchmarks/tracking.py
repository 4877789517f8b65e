"""Tracking against per-frame localisation on a pan-and-zoom clip built from an MPII image.

    python benchmarks/tracking.py [--model RT | --quality fast|balanced|accurate] [--image 051423444.jpg]
                                  [--frames 300] [--every 1] [--json OUT]

Prints (and writes) mean PCKh@0.5, ms and forward passes per frame for --roi track on every frame,
then track, auto and full on every --every-th frame (track there is a live view dropping frames).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
from pathlib import Path

from poseapp.evaluation import evaluate_clip
from poseapp.inference.engine import Engine
from poseapp.io.mpii import load_mpii
from poseapp.pan_zoom import build_clip
from poseapp.presets import PRESETS, Preset

MPII = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "mmpose-samples" / "mpii"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="RT")
    p.add_argument("--quality", choices=tuple(PRESETS), help="a preset (model, flip, scales) instead of --model")
    p.add_argument("--data", default=str(MPII))
    p.add_argument("--image", default="051423444.jpg", help="the annotated image of --data to film")
    p.add_argument("--frames", type=int, default=300)
    p.add_argument("--every", type=int, default=1, help="evaluate every n-th frame (track also on all)")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--json")
    args = p.parse_args()
    sample = next(s for s in load_mpii(args.data) if s.image.name == args.image)
    preset = PRESETS[args.quality] if args.quality else Preset(args.model, False, (1.0,))
    engine = Engine(preset.model, device="cpu", threads=args.threads, flip=preset.flip, scales=preset.scales)
    with tempfile.TemporaryDirectory() as tmp:
        clip = build_clip(sample, Path(tmp) / "clip.mp4", frames=args.frames)
        runs = [("track", 1)] + [(mode, args.every) for mode in ("track", "auto", "full")]
        rows = [evaluate_clip(engine, clip, mode, every).as_dict() for mode, every in runs]
    report = {"model": preset.model, "quality": args.quality, "flip": preset.flip, "scales": list(preset.scales),
              "image": sample.image.name, "frames": args.frames, "every": args.every,
              "machine": platform.processor() or platform.machine(), "results": rows}
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
    json.dump(report, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
