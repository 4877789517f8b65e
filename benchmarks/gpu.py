"""Every variant on a CUDA GPU in fp32 and fp16, and the window's device switch (issue 19, item 5).

    python benchmarks/gpu.py [--models RT I II III IV RT_LITE I_LITE II_LITE] [--batches 1 8]
                             [--rounds 30] [--device cuda] [--json OUT]

Per variant and batch size: milliseconds per call of our PyTorch backend (the copy to the device
and back included, as the app runs it) in fp32 and in fp16, the precisions in turns, the order
rotating every round; the median of the per-round ratios fp16 / fp32 with its 10th-90th
percentile spread (``poseapp.bench``'s ``interleaved`` and ``ratio``); and what fp16 changes: the
largest joint shift in input pixels and the largest score change on upstream's MPII.jpg. The
switch: seconds from asking the live analyser for the other device (``LiveAnalyser.configure``,
what the settings panel's Device does through the worker) to its first pose there, CPU to GPU and
back. A variant whose weights are not here is
listed as skipped, with why.

On the lent GPU machine (no network; torch, timm, onnxruntime and h5py are in its image): copy
the upstream model files into an ignored folder of the checkout, carry it, and point the weights
source at it, e.g. ``run(command="POSEAPP_WEIGHTS_SOURCE=.upstream POSEAPP_CACHE=/tmp/cache
PYTHONPATH=. python3 benchmarks/gpu.py --json $OUT/gpu.json", carry=[".upstream"])``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

import numpy as np

from poseapp.bench import interleaved, ratio
from poseapp.errors import PoseappError
from poseapp.inference.backends import TorchBackend, resolve_device
from poseapp.inference.decode import peaks
from poseapp.inference.preprocess import full_box, preprocess
from poseapp.io.atomic import write_json
from poseapp.io.images import read_rgb
from poseapp.io.video import Frame
from poseapp.model.variants import VARIANTS
from poseapp.pipeline import LiveAnalyser, LiveSettings
from poseapp.weights.install import load_state, local_upstream_folders
from poseapp.weights.models import resolve


def precisions(model: str, device: str, batches: list[int], rounds: int, image: np.ndarray) -> dict:
    """fp32 against fp16 for one variant: times per batch size, their ratio, fp16's joint shifts."""
    ref = resolve(model)
    state = load_state(ref)
    backends = {p: TorchBackend(ref.variant.name, state, device, half=p == "fp16") for p in ("fp32", "fp16")}
    size = ref.variant.resolution
    crop = preprocess(image, full_box(*image.shape[:2]), size, ref.variant.normalisation)
    joints = {p: peaks(b.run(crop[None])[0]) for p, b in backends.items()}
    row: dict = {"model": ref.name, "resolution": size,
                 "fp16_joint_shift_px": round(float(np.abs(joints["fp16"][:, :2] - joints["fp32"][:, :2]).max()), 3),
                 "fp16_score_change": round(float(np.abs(joints["fp16"][:, 2] - joints["fp32"][:, 2]).max()), 4),
                 "batches": {}}
    for n in batches:
        batch = np.repeat(crop[None], n, 0)
        spent = interleaved({p: (lambda b=b, x=batch: b.run(x)) for p, b in backends.items()}, rounds)
        half = ratio(spent["fp16"]["samples_ms"], spent["fp32"]["samples_ms"])
        row["batches"][str(n)] = {
            "fp32_ms": spent["fp32"]["median_ms"], "fp16_ms": spent["fp16"]["median_ms"],
            "fp16_fps": round(1e3 * n / spent["fp16"]["median_ms"], 1),
            "ratio_fp16_vs_fp32": half["median"], "ratio_spread": [half["p10"], half["p90"]]}
    return row


def device_switch(model: str, device: str, image: np.ndarray) -> dict:
    """Seconds from asking the live analyser for the other device to its first pose there."""
    frame = Frame(0, 0.0, image)
    live = LiveAnalyser(LiveSettings(model=model, device="cpu"))
    live.load()
    live.analyse(frame)
    got = {}
    for target in (device, "cpu"):
        start = time.perf_counter()
        if live.configure(dataclasses.replace(live.settings, device=target)):
            live.load()
        live.analyse(frame)
        got[f"to_{target}_s"] = round(time.perf_counter() - start, 3)
    return {"model": model, **got}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", nargs="+", default=list(VARIANTS))
    p.add_argument("--image", help="the frame (default: upstream's MPII.jpg where a folder of its files is here)")
    p.add_argument("--batches", nargs="+", type=int, default=[1, 8])
    p.add_argument("--rounds", type=int, default=30)
    p.add_argument("--device", default="cuda")
    p.add_argument("--switch-model", default="RT", help="the variant whose device switch is timed")
    p.add_argument("--json")
    args = p.parse_args()
    try:
        device = resolve_device(args.device)
        found = [args.image] if args.image else [f / "MPII.jpg" for f in local_upstream_folders()
                                                 if (f / "MPII.jpg").is_file()]
        if not found:
            raise PoseappError("no image: pass --image PATH")
        image = read_rgb(found[0])
    except PoseappError as exc:
        print(f"gpu.py: {exc}", file=sys.stderr)
        return 2
    rows = []
    for model in args.models:
        try:
            rows.append(precisions(model, device, args.batches, args.rounds, image))
        except PoseappError as exc:
            rows.append({"model": model, "skipped": str(exc)})
        print(json.dumps(rows[-1]), file=sys.stderr)
    import torch

    report = {"date": time.strftime("%Y-%m-%d"), "device": device,
              "gpu": torch.cuda.get_device_name(0) if device == "cuda" else None,
              "torch": torch.__version__, "rounds": args.rounds, "results": rows,
              "switch": None if device == "cpu" else device_switch(args.switch_model, device, image)}
    if args.json:
        write_json(Path(args.json), report)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
