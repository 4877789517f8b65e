"""Does INT8 pay on this CPU? ONNX Runtime's static quantisation of our graphs, timed and scored.

For each model and each quantisation recipe: the INT8 graph is calibrated on crops that are not
scored (the shared COCO and PoseTrack people, and the person search's crops of Sports2D's clip),
timed in turns against our fp32 graph and upstream's TFLite runtime (``poseapp.bench``), and scored
on the five MPII images (PCKh@0.5 and @0.1, the ``crop`` protocol) and on the small-subject test
bed of ``real_footage.py`` (limbs PCK@0.5 with the person search). The README's verdict on INT8
comes from this file's JSON.

    python benchmarks/int8.py [--models RT II] [--recipes qop-minmax qdq-percentile] [--count 48]
                              [--threads 2] [--runs 60] [--json OUT] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import real_footage  # noqa: E402

from poseapp.bench import interleaved, machine, ratio, tflite_runner  # noqa: E402
from poseapp.evaluation import evaluate  # noqa: E402
from poseapp.inference.backends import OnnxBackend  # noqa: E402
from poseapp.inference.engine import Engine  # noqa: E402
from poseapp.inference.preprocess import preprocess  # noqa: E402
from poseapp.io.atomic import write_json  # noqa: E402
from poseapp.io.images import read_rgb  # noqa: E402
from poseapp.io.mpii import load_mpii  # noqa: E402
from poseapp.localise.localiser import make_localiser  # noqa: E402
from poseapp.pose import Box  # noqa: E402


@dataclass(frozen=True)
class Recipe:
    """One way of quantising: ONNX Runtime's operator format, calibration method, and whether the
    network's first convolution and its heatmap head (the transposed convolutions and what follows
    the last concatenation) stay in fp32."""

    operator_format: bool
    method: str
    keep_ends_fp32: bool


RECIPES = {
    "qop-minmax": Recipe(True, "MinMax", False),
    "qdq-minmax-ends-fp32": Recipe(False, "MinMax", True),
    "qop-percentile-ends-fp32": Recipe(True, "Percentile", True),
}


def calibration_crops(engine: Engine, every: int = 6) -> list[np.ndarray]:
    """Network inputs that are never scored: every usable COCO and PoseTrack person (box from the
    annotation, 25% margin) and the person search's box on every ``every``-th frame of Sports2D's clip."""
    crops = []
    for person in real_footage.shared_people():
        if "mpii" in person.image.parts:
            continue
        pts = person.joints[person.visible]
        lo, hi = pts.min(0), pts.max(0)
        side = 1.25 * float(max(hi - lo))
        centre = (lo + hi) / 2
        box = Box(centre[0] - side / 2, centre[1] - side / 2, side)
        crops.append(preprocess(read_rgb(person.image), box, engine.size, engine.variant.normalisation))
    localiser = make_localiser("auto", engine)
    capture = cv2.VideoCapture(str(real_footage.DATA / "sports2d-demo" / "demo.mp4"))
    index = 0
    while True:
        ok, bgr = capture.read()
        if not ok:
            break
        if index % every == 0:
            rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            pose = localiser.locate(engine, rgb)
            crops.append(preprocess(rgb, pose.box, engine.size, engine.variant.normalisation))
        index += 1
    capture.release()
    return crops


def kept_fp32(graph: Path) -> list[str]:
    """The first convolution and every node from the upscaler on (its matrix products, or its
    transposed convolutions in graphs before layout 4)."""
    import onnx

    nodes = onnx.load(str(graph), load_external_data=False).graph.node
    first_conv = next(n.name for n in nodes if n.op_type == "Conv")
    start = next(i for i, n in enumerate(nodes) if n.op_type in ("ConvTranspose", "MatMul"))
    last_concat = max(i for i, n in enumerate(nodes[:start]) if n.op_type == "Concat")
    return [first_conv, *(n.name for n in nodes[last_concat + 1:])]


def quantise(graph: Path, crops: list[np.ndarray], recipe: Recipe, dest: Path) -> Path:
    """``graph`` quantised to INT8 at ``dest`` (u8 activations, per-channel s8 weights)."""
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self.items = iter(crops)

        def get_next(self) -> dict | None:
            x = next(self.items, None)
            return None if x is None else {"image": x[None]}

    prepared = dest.with_suffix(".pre.onnx")
    quant_pre_process(str(graph), str(prepared))
    quantize_static(str(prepared), str(dest), Reader(),
                    quant_format=QuantFormat.QOperator if recipe.operator_format else QuantFormat.QDQ,
                    per_channel=True, activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                    calibrate_method=getattr(CalibrationMethod, recipe.method),
                    nodes_to_exclude=kept_fp32(prepared) if recipe.keep_ends_fp32 else None)
    return dest


def scores(engine: Engine, cases: list[real_footage.Case]) -> dict:
    mpii = evaluate(engine, load_mpii(real_footage.SAMPLES / "mpii"), "crop").overall
    bed = real_footage.evaluate(engine, "auto", cases)
    return {"mpii_pckh@0.5": float(mpii["0.5"]), "mpii_pckh@0.1": float(mpii["0.1"]),
            "small_subject_limbs_pck@0.5": bed["limbs_pck@0.5"], "small_subject_with_a_pose": bed["with_a_pose"]}


def bench_model(model: str, recipes: list[str], cases: list[real_footage.Case], threads: int, runs: int,
                folder: Path) -> dict:
    fp32 = Engine(model, device="cpu", threads=threads)
    crops = calibration_crops(fp32)
    row: dict = {"model": fp32.model, "calibration_crops": len(crops), "fp32": scores(fp32, cases)}
    print(json.dumps(row), file=sys.stderr)
    x = crops[0][None]
    runtimes = {"fp32": lambda: fp32.backend.run(x)}
    upstream = tflite_runner(fp32.model, threads, lambda s: print(s, file=sys.stderr))
    if upstream is not None:
        runtimes["tflite"] = lambda: upstream(x)
    for name in recipes:
        graph = quantise(Path(fp32.backend.path), crops, RECIPES[name], folder / f"{fp32.model}-{name}.onnx")
        int8 = Engine(model, device="cpu", backend=OnnxBackend(str(graph), threads))
        row[name] = scores(int8, cases)
        runtimes[name] = lambda int8=int8: int8.backend.run(x)
        print(json.dumps({name: row[name]}), file=sys.stderr)
    measured = interleaved(runtimes, runs)
    for name, stats in measured.items():
        row.setdefault(name, {})["median_ms"] = stats["median_ms"]
    for name in recipes:
        row[name]["ratio_vs_fp32"] = ratio(measured[name]["samples_ms"], measured["fp32"]["samples_ms"])
        if upstream is not None:
            row[name]["ratio_vs_tflite"] = ratio(measured[name]["samples_ms"], measured["tflite"]["samples_ms"])
    if upstream is not None:
        row["fp32"]["ratio_vs_tflite"] = ratio(measured["fp32"]["samples_ms"], measured["tflite"]["samples_ms"])
    return row


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", nargs="+", default=["RT", "II"])
    p.add_argument("--recipes", nargs="+", default=list(RECIPES), choices=tuple(RECIPES))
    p.add_argument("--count", type=int, default=48)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--runs", type=int, default=60)
    p.add_argument("--json")
    p.add_argument("--keep", metavar="DIR", help="keep the INT8 graphs there (for benchmarks/profile_ops.py)")
    args = p.parse_args()
    cases = real_footage.build(args.count)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.keep or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        rows = [bench_model(m, args.recipes, cases, args.threads, args.runs, folder) for m in args.models]
    report = {"date": date.today().isoformat(), "machine": machine(args.threads), "cases": len(cases),
              "results": rows}
    print(json.dumps(report, indent=2))
    return 0 if args.json is None or write_json(args.json, report) else 1


if __name__ == "__main__":
    raise SystemExit(main())
