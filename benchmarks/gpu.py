"""Every variant on a CUDA GPU in fp32 and fp16, and the window's device switch (issue 19, item 5).

    python benchmarks/gpu.py [--models RT I II III IV RT_LITE I_LITE II_LITE] [--batches 1 8]
                             [--rounds 30] [--device cuda] [--video CLIP] [--json OUT]

Per variant and batch size: milliseconds per call of our PyTorch backend (the copy to the device
and back included, as the app runs it) in fp32 and in fp16, and on CUDA in fp16 without graphs
(``TorchBackend(graphs=False)``), in turns, the order rotating every round; the median of the
per-round ratios fp16 / fp32 and fp16 / fp16 without graphs, each with its 10th-90th percentile
spread (``poseapp.bench``'s ``interleaved`` and ``ratio``), and the largest heatmap difference
between a replayed graph and the eager module; at the largest batch, joints decoded on the host
from the heatmaps against on the device (``TorchBackend.summits``), in turns; and what fp16 changes: the
largest joint shift in input pixels and the largest score change on upstream's MPII.jpg. A variant
whose official weights are not here (III and IV on a machine without network) is timed on the
module the variant table builds, its weights left at their random start: the time of a
convolution does not depend on its weights' values, but its joints mean nothing, so no shift is
given for it (``"weights": "random"``); ``--official-only`` skips it instead. The
switch: seconds from asking the live analyser for the other device (``LiveAnalyser.configure``,
what the settings panel's Device does through the worker) to its first pose there, CPU to GPU and
back. ``--video CLIP`` also runs ``poseapp video``'s defaults on the clip with RT and II
(``--video-models``) and keeps each result's ``processing`` figures (frames per second).

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
from poseapp.errors import MissingWeightsError, PoseappError
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


def random_state(model: str) -> dict[str, np.ndarray]:
    """The variant's module as the table builds it, weights at their random start (timing only)."""
    from poseapp.model.efficientpose import create_model

    return {k: v.numpy() for k, v in create_model(model).state_dict().items() if not k.endswith("num_batches_tracked")}


def precisions(model: str, device: str, batches: list[int], rounds: int, image: np.ndarray,
               official_only: bool = False) -> dict:
    """fp32 against fp16 for one variant: times per batch size, their ratio, fp16's joint shifts."""
    ref = resolve(model)
    try:
        state, weights = load_state(ref), "official"
    except MissingWeightsError:
        if official_only or not ref.official:
            raise
        state, weights = random_state(ref.variant.name), "random"
    graphs = device == "cuda"  # only CUDA replays graphs: elsewhere fp16 is already eager
    backends = {p: TorchBackend(ref.variant.name, state, device, half=p != "fp32", graphs=p != "fp16_eager")
                for p in ("fp32", "fp16", "fp16_eager")[:3 if graphs else 2]}
    size = ref.variant.resolution
    crop = preprocess(image, full_box(*image.shape[:2]), size, ref.variant.normalisation)
    joints = {p: peaks(b.run(crop[None])[0]) for p, b in backends.items() if p != "fp16_eager"}
    official = weights == "official"
    row: dict = {"model": ref.name, "resolution": size, "weights": weights,
                 "fp16_joint_shift_px": round(float(np.abs(joints["fp16"][:, :2] - joints["fp32"][:, :2]).max()), 3)
                 if official else None,
                 "fp16_score_change": round(float(np.abs(joints["fp16"][:, 2] - joints["fp32"][:, 2]).max()), 4)
                 if official else None,
                 "batches": {}}
    for n in batches:
        batch = np.repeat(crop[None], n, 0)
        spent = interleaved({p: (lambda b=b, x=batch: b.run(x)) for p, b in backends.items()}, rounds)
        half = ratio(spent["fp16"]["samples_ms"], spent["fp32"]["samples_ms"])
        row["batches"][str(n)] = {
            "fp32_ms": spent["fp32"]["median_ms"], "fp16_ms": spent["fp16"]["median_ms"],
            "fp16_fps": round(1e3 * n / spent["fp16"]["median_ms"], 1),
            "ratio_fp16_vs_fp32": half["median"], "ratio_spread": [half["p10"], half["p90"]]}
        if graphs:
            gain = ratio(spent["fp16"]["samples_ms"], spent["fp16_eager"]["samples_ms"])
            row["batches"][str(n)].update({
                "fp16_eager_ms": spent["fp16_eager"]["median_ms"],
                "ratio_graphs_vs_eager": gain["median"], "ratio_graphs_spread": [gain["p10"], gain["p90"]]})
    if graphs:
        replayed, eager = (backends[p].run(crop[None]) for p in ("fp16", "fp16_eager"))
        row["graph_vs_eager_max_diff"] = float(np.abs(replayed - eager).max())
    app = backends["fp16" if device == "cuda" else "fp32"]  # the precision the app runs there
    row["decode"] = decoding(app, np.repeat(crop[None], max(batches), 0), rounds)
    return row


def decoding(backend: TorchBackend, batch: np.ndarray, rounds: int) -> dict:
    """Joints of a batch decoded on the host from the heatmaps (``run`` + ``decode.peaks``) against
    on the device (``summits``, what ``Engine`` does on a GPU), in turns; and how far apart."""
    def host() -> np.ndarray:
        return np.stack([peaks(m) for m in backend.run(batch)])

    spent = interleaved({"host": host, "device": lambda: backend.summits(batch)}, rounds)
    gain = ratio(spent["device"]["samples_ms"], spent["host"]["samples_ms"])
    return {"batch": len(batch), "host_ms": spent["host"]["median_ms"], "device_ms": spent["device"]["median_ms"],
            "ratio_device_vs_host": gain["median"], "ratio_spread": [gain["p10"], gain["p90"]],
            "max_joint_diff_px": round(float(np.abs(host()[..., :2] - backend.summits(batch)[..., :2]).max()), 4)}


def video_rate(path: str, models: list[str], device: str, end_s: float | None = None) -> list[dict]:
    """``poseapp video``'s defaults on one clip per variant: its result's processing figures."""
    import tempfile

    from poseapp.batch import VideoOptions, output_paths, run_batch

    rows = []
    for model in models:
        with tempfile.TemporaryDirectory() as out:
            result = run_batch([Path(path)], Path(out), VideoOptions(model=model, device=device, end_s=end_s))[0]
            done = result.status == "done"
            meta = json.loads(output_paths(result.name, Path(out))["json"].read_text()) if done else {}
        rows.append({"model": model, "status": result.status, "reason": result.reason, "frames": result.frames,
                     "processing": meta.get("processing")})
        print(json.dumps(rows[-1]), file=sys.stderr)
    return rows


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
    p.add_argument("--video", help="also run poseapp video's defaults on this clip, once per --video-models")
    p.add_argument("--video-models", nargs="+", default=["RT", "II"])
    p.add_argument("--official-only", action="store_true",
                   help="skip a variant whose official weights are not here instead of timing it untrained")
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
            rows.append(precisions(model, device, args.batches, args.rounds, image, args.official_only))
        except PoseappError as exc:
            rows.append({"model": model, "skipped": str(exc)})
        print(json.dumps(rows[-1]), file=sys.stderr)
    import torch

    switch = None
    if device != "cpu":
        try:
            switch = device_switch(args.switch_model, device, image)
        except Exception as exc:  # noqa: BLE001 - the timings above are kept; the failure is the result
            switch = {"model": args.switch_model, "failed": f"{type(exc).__name__}: {exc}"}
    report = {"date": time.strftime("%Y-%m-%d"), "device": device,
              "gpu": torch.cuda.get_device_name(0) if device == "cuda" else None,
              "torch": torch.__version__, "rounds": args.rounds, "results": rows, "switch": switch,
              "video": video_rate(args.video, args.video_models, device) if args.video else None}
    if args.json:
        write_json(Path(args.json), report)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
