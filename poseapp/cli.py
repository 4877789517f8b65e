"""Command line: argument parsing only; each subcommand calls one core function.

Exit codes, the same for every command: 0 when everything asked for was done; 2 for bad input
(an option outside its range, a missing or unreadable file, weights that cannot be had, an output
that cannot be written; in a batch, when any input failed, after the others were done); 130 when
interrupted with Ctrl-C; 1 only from ``selftest``, when its check finds no person.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

from poseapp import __version__
from poseapp.analysis import PEOPLE
from poseapp.argtypes import float_in, int_in
from poseapp.batch import EXECUTORS
from poseapp.draw import DRAW_THRESHOLD
from poseapp.errors import PoseappError
from poseapp.evaluation import PROTOCOLS
from poseapp.extras import TORCH_HINT, needs_torch
from poseapp.inference.backends import BACKENDS
from poseapp.io.atomic import dumps
from poseapp.localise.localiser import MODES
from poseapp.model.variants import VARIANTS
from poseapp.outputs import FORMATS
from poseapp.presets import PRESETS, resolve_quality
from poseapp.smoothing import METHODS


def _engine(args: argparse.Namespace):
    """The engine of an image or eval command, through the one factory the analyses share."""
    from poseapp.analysis import AnalysisOptions, make_engine
    from poseapp.weights.download import text_progress

    options = AnalysisOptions(model=args.model, device=args.device, backend=args.backend, flip=args.flip,
                              scales=tuple(args.scales), threads=args.threads)
    return make_engine(options, text_progress(f"EfficientPose{args.model}"))


def cmd_models(args: argparse.Namespace) -> int:
    from poseapp.model.summary import summarise

    rows = [summarise(name) for name in VARIANTS]
    if args.json:
        print(dumps(rows, indent=2))
        return 0
    print(f"{'variant':9} {'input':>5} {'params':>10} {'GFLOPs':>7}  weights")
    for r in rows:
        print(f"{r['variant']:9} {r['input_size']:>5} {r['parameters']:>10,} {r['gflops']:>7.2f}  {r['weights']}")
    return 0


def cmd_weights(args: argparse.Namespace) -> int:
    from poseapp.weights import detector_file
    from poseapp.weights.download import text_progress
    from poseapp.weights.install import STATUS_MEANING, ensure_weights, import_folder, status
    from poseapp.weights.models import cached_path, resolve, trained_models
    from poseapp.weights.trained import import_checkpoint

    if args.action == "list":
        seen = []
        for name in VARIANTS:
            seen.append(status(name))
            print(f"{name:9} {seen[-1]:16} {cached_path(name)}")
        for name, variant in trained_models().items():
            print(f"{name:9} {'trained ' + variant:16} {cached_path(name)}")
        detector = detector_file.ready_graph()
        print(f"{'detector':9} {'cached' if detector else 'needs download':16} "
              f"{detector or detector_file.graph_path()}")
        for state in dict.fromkeys(seen):
            print(f"  {state}: {STATUS_MEANING[state]}")
    elif args.action == "fetch":
        if not args.target:
            raise PoseappError("weights fetch needs a variant or `detector`, e.g. `poseapp weights fetch RT`")
        if args.target.lower() == "detector":
            print(detector_file.ensure_detector(text_progress("person detector")))
            return 0
        from poseapp.model.variants import get_variant

        name = get_variant(args.target).name
        print(ensure_weights(name, text_progress(f"EfficientPose{name}")))
    else:
        if not args.target:
            raise PoseappError("weights import needs a folder of upstream files, or a trained checkpoint")
        target = Path(args.target)
        if target.is_file() or (target / "best.safetensors").is_file():
            name = import_checkpoint(target, args.name)
            print(f"imported trained model {name} ({resolve(name).variant.name}); use it as --model {name}")
            return 0
        done = import_folder(target)
        tflite = detector_file.find_in(target) if target.is_dir() else None
        if tflite is not None:
            detector_file.install(tflite, str(tflite))
            done.append("person detector")
        if not done:
            raise PoseappError(f"{args.target} holds no upstream model file named as in weights/manifest.json")
        print("imported: " + ", ".join(done))
    return 0


def cmd_image(args: argparse.Namespace) -> int:
    from poseapp.draw import draw_pose
    from poseapp.io.images import WRITE_SUFFIXES, read_rgb, write_image
    from poseapp.localise.choice import check_point, parse_person
    from poseapp.localise.localiser import make_localiser

    if args.out and len(args.paths) > 1 and not Path(args.out).is_dir():
        raise PoseappError("--out must be a folder when several images are given")
    if args.out and not Path(args.out).is_dir() and Path(args.out).suffix.lower() not in WRITE_SUFFIXES:
        raise PoseappError(f"--out {args.out}: name a .png or .jpg file, or a folder")
    engine = _engine(args)
    localiser = make_localiser(args.roi, engine, args.detector)
    person = parse_person(args.person)
    localiser.set_person(person)
    failures = 0
    for path in args.paths:
        try:
            rgb = read_rgb(path)
            check_point(person, *rgb.shape[:2])
            pose = localiser.locate(engine, rgb)
        except PoseappError as exc:
            print(f"poseapp: {exc}", file=sys.stderr)
            failures += 1
            continue
        box = {k: round(float(v), 1) for k, v in vars(pose.box).items()}
        if args.json:
            print(dumps({"image": str(path), "model": engine.model, "roi": args.roi,
                              "found": pose.found, "score": round(pose.score, 4), "box": box,
                              "forward_passes": pose.extra.get("forward_passes"),
                              "keypoints": pose.as_dict() if pose.found else []}))
        elif not pose.found:
            print(f"{path}: no person found (score {pose.score:.2f})")
        else:
            print(f"{path}: score {pose.score:.2f}, " + ", ".join(
                f"{k['name']}=({k['x']:.0f},{k['y']:.0f}) {k['score']:.2f}" for k in pose.as_dict()))
        if args.out:
            out = Path(args.out)
            if out.is_dir():
                out = out / f"{Path(path).stem}_pose.png"
            try:
                write_image(out, draw_pose(rgb, pose, args.threshold, legend=True))
            except PoseappError as exc:
                print(f"poseapp: {exc}", file=sys.stderr)
                failures += 1
    return EXIT_BAD_INPUT if failures else 0


def _checkpoint_engine(path: str, flip: bool, scales: tuple[float, ...], threads: int | None):
    """An engine on a trained checkpoint (safetensors with its variant in the metadata), on the CPU
    engine like every model (its graph written on first use)."""
    from poseapp.inference.backends import OnnxBackend
    from poseapp.inference.engine import Engine
    from poseapp.weights.graphs import checkpoint_graph

    variant, graph = checkpoint_graph(Path(path))
    return Engine(variant, backend=OnnxBackend(str(graph), threads), flip=flip, scales=scales)


def cmd_eval(args: argparse.Namespace) -> int:
    from poseapp.evaluation import evaluate
    from poseapp.io.mpii import load_mpii

    samples = load_mpii(args.data)
    engine = (_checkpoint_engine(args.weights, args.flip, tuple(args.scales), args.threads) if args.weights
              else _engine(args))
    args.model = engine.model
    result = evaluate(engine, samples, args.protocol, args.detector)
    if args.json:
        print(dumps({"model": args.model, "protocol": args.protocol, **result.as_dict()}, indent=2))
        return 0
    print(f"{args.model} on {result.images} people, protocol {args.protocol}, head size: {result.head_size}")
    print(f"{'joint':15} {'PCKh@0.5':>9} {'PCKh@0.1':>9}")
    for name, v in result.per_joint.items():
        print(f"{name:15} {v['0.5']:>9.1f} {v['0.1']:>9.1f}")
    print(f"{'overall':15} {result.overall['0.5']:>9.1f} {result.overall['0.1']:>9.1f}")
    print(f"{result.ms_per_image:.1f} ms and {result.passes_per_image:.1f} forward passes per image")
    return 0


class _VideoProgress:
    """One status line on stderr: the video, its frames and rate, and the batch so far. On a terminal
    the line is rewritten in place; into a file or pipe a plain line goes out every ``every`` s.

    Each pass is counted apart: a look-through for who walks has its own line ("looking for who
    walks"), and "overall" counts the frames analysed by the pose passes (of the videos done and of
    those under way), never a frame twice."""

    def __init__(self, total: int, every: float = 10.0) -> None:
        self.total, self.finished, self.frames, self.failed = total, 0, 0, 0
        self.running: dict[str, int] = {}  # frames read by each pass under way, by its line's name
        self.start = time.perf_counter()
        self.tty = sys.stderr.isatty()
        self.every, self.last = every, -every

    def frame(self, name: str, done: int, declared: int, fps: float) -> None:
        of = f"/{declared}" if declared else ""
        now = time.perf_counter()
        elapsed = now - self.start
        self.running[name] = done
        overall = self.frames + sum(v for n, v in self.running.items() if ": " not in n)  # pose passes only
        line = (f"[{self.finished + 1}/{self.total}] {name}: {done}{of} frames, {fps:.1f} fps"
                f"  | overall {overall} frames, {overall / elapsed:.1f} fps")
        if self.tty:
            print(f"\r{line}   ", end="", file=sys.stderr, flush=True)
        elif now - self.last >= self.every:
            self.last = now
            print(line, file=sys.stderr, flush=True)

    def video(self, result) -> None:
        self.finished += 1
        name = Path(result.source).name
        passes = [n for n in self.running if n == name or n.startswith(f"{name}: ")]
        for n in passes:
            self.running.pop(n)
        self.frames += result.frames if result.status == "done" else 0
        self.failed += result.status == "failed"
        if result.status == "done":
            line = f"done: {result.frames} frames at {result.fps:.1f} fps -> {', '.join(result.outputs)}"
        else:
            line = f"{result.status}: {result.reason}"
        start = "\r" if self.tty else ""
        print(f"{start}[{self.finished}/{self.total}] {Path(result.source).name}: {line}", file=sys.stderr, flush=True)
        if getattr(result, "gait", None):
            print(f"  gait: {gait_headline(result.gait)}", file=sys.stderr, flush=True)
        for warning in result.warnings:
            print(f"  warning: {warning}", file=sys.stderr, flush=True)


def gait_headline(gait: dict) -> str:
    """The figures a clinician looks at first, in one line: cadence, speed, stance per side."""
    from poseapp.gait import mean_text

    stance = gait.get("stance_pct") or {}
    parts = [f"cadence {gait['cadence_steps_per_min']:.1f} steps/min"] if gait.get("cadence_steps_per_min") else []
    if gait.get("speed_m_per_s") is not None:
        parts.append(f"speed {gait['speed_m_per_s']:.2f} m/s")
    if stance.get("mean") is not None:
        parts.append(f"stance % {mean_text(stance, 1)}")
    parts.append(f"{gait.get('steps', 0)} steps")
    return ", ".join(parts)


def cmd_video(args: argparse.Namespace) -> int:
    from poseapp.batch import VideoOptions, auto_workers, expand_inputs, run_batch

    sources = expand_inputs(args.inputs)
    if not sources:
        raise PoseappError("no video matches " + " ".join(args.inputs))
    options = VideoOptions(model=args.model, device=args.device, backend=args.backend, roi=args.roi,
                           flip=args.flip, scales=tuple(args.scales), smooth=args.smooth, threshold=args.threshold,
                           max_gap=args.max_gap,
                           cutoff_hz=args.cutoff, annotate=args.annotate, batch_size=args.batch_size,
                           threads=args.threads, overwrite=args.overwrite, gait=args.gait,
                           person=args.person or ("walker" if args.gait else "auto"), detector=args.detector,
                           people=args.people,
                           start_s=args.start, end_s=args.end, formats=tuple(args.formats.split(",")),
                           height_m=args.height, scale_line=args.scale_line, calibration=args.calibration)
    bar = _VideoProgress(len(sources))
    workers = args.workers or auto_workers(len(sources), options.device)
    if workers > 1 and args.executor == "local":
        print(f"{len(sources)} videos, {workers} at once (each in its own process; --workers sets it)",
              file=sys.stderr, flush=True)
    results = run_batch(sources, Path(args.out), options, workers, args.executor,
                        progress=bar.frame if workers <= 1 and args.executor == "local" else None, done=bar.video)
    counts = {k: sum(r.status == k for r in results) for k in ("done", "skipped", "failed")}
    print(f"{counts['done']} done, {counts['skipped']} skipped, {counts['failed']} failed; "
          f"summary in {Path(args.out) / 'summary.csv'}", file=sys.stderr)
    for r in results:
        if r.status == "failed":
            print(f"  failed: {r.source}: {r.reason}", file=sys.stderr)
    return EXIT_BAD_INPUT if counts["failed"] else 0


def cmd_gait(args: argparse.Namespace) -> int:
    from poseapp.gait import gait_of_recording, summary_lines
    from poseapp.io.atomic import check_target
    from poseapp.io.images import WRITE_SUFFIXES

    if args.plot and Path(args.plot).suffix.lower() not in WRITE_SUFFIXES:
        raise PoseappError(f"--plot {args.plot}: name a .png or .jpg file")
    if args.save_calibration and not (args.height or args.scale_line or args.calibration):
        raise PoseappError("--save-calibration saves the calibration used: give --height, --scale-line or "
                           "--calibration with it")
    for target in (args.out, args.plot, args.save_calibration):
        if target:
            check_target(target)
    result, cal = gait_of_recording(args.csv, args.height, args.scale_line, args.calibration)
    if args.save_calibration and cal is not None:
        cal.save(args.save_calibration)
    if args.out:
        from poseapp.io.atomic import write_json

        write_json(args.out, result)
    if args.plot:
        from poseapp.io.images import write_image
        from poseapp.plot import cycle_chart

        write_image(args.plot, cycle_chart(result["cycles"]))
    if args.json:
        print(dumps(result, indent=2))
    else:
        if cal is not None:
            print(f"calibration: {cal.describe()}")
        print("\n".join(summary_lines(result)))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from poseapp.outputs.export import export_result

    for path in export_result(args.result, args.formats, args.out):
        print(path)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from poseapp.report import build_report

    out = Path(args.out)
    if out.suffix.lower() != ".pdf":
        raise PoseappError(f"--out {out} must end in .pdf (the HTML goes beside it)")
    if not out.parent.is_dir():
        raise PoseappError(f"cannot write {out}: the folder {out.parent} does not exist")
    report = build_report(args.result, args.compare, {"name": args.subject, "session": args.session,
                                                      "notes": args.notes})
    from poseapp.gui.report_pdf import write_report

    pages, html = write_report(report, out)
    print(f"{out} ({pages} pages)\n{html}")
    return 0


def calibration_opts(sp: argparse.ArgumentParser) -> None:
    """The three ways to give metres; at most one is used (``calibration.calibrate``)."""
    sp.add_argument("--height", type=float, metavar="M",
                    help="the subject's height in metres (0.5-2.5): scale from the body in straight frames")
    sp.add_argument("--scale-line", metavar="X1,Y1,X2,Y2,METRES",
                    help="two image points a known distance apart, in pixels, and that distance in metres")
    sp.add_argument("--calibration", metavar="FILE", help="a calibration file saved by --save-calibration")


def cmd_train(args: argparse.Namespace) -> int:
    from poseapp.training.trainer import TrainOptions, lr_range_test, train

    options = TrainOptions(variant=args.variant.upper(), data=args.data, out=args.out, epochs=args.epochs,
                           steps_per_epoch=args.steps_per_epoch, batch=args.batch, lr_low=args.lr_low,
                           lr_high=args.lr_high, cycle_epochs=args.cycle_epochs, init=args.init,
                           val_fraction=args.val_fraction, seed=args.seed, device=args.device,
                           workers=args.workers, val_flip=args.val_flip, val_scales=tuple(args.val_scales))
    say = lambda msg: print(msg, file=sys.stderr)  # noqa: E731
    if args.lr_range_test:
        verdict, curve = lr_range_test(options, say=say)
        for rate, loss in curve:
            print(f"lr {rate:.2e}  loss {loss:.5f}")
        print(f"the loss diverges past {verdict['highest_stable']:.2e}; it falls fastest at "
              f"{verdict['steepest_descent']:.2e} and is lowest at {verdict['lowest_loss']:.2e}")
        print(f"suggested peak learning rate: {verdict['suggested']:.2e} (use it as --lr-high)")
        return 0
    record = train(options, say)
    if os.environ.get("RANK", "0") == "0":  # under torchrun, the first process speaks for the run
        print(dumps({"out": args.out, "epochs": record["epoch"], "best": record["best"]}, indent=2))
    return 0


def cmd_selftest(args: argparse.Namespace) -> int:
    """A packaged app's smoke test: RT on the CPU engine on one real image, keypoints printed."""
    import importlib.util

    from poseapp.inference.engine import Engine
    from poseapp.io.images import read_rgb
    from poseapp.localise.localiser import make_localiser

    engine = Engine("RT", device="cpu", backend="onnx")
    pose = make_localiser("auto", engine).locate(engine, read_rgb(args.image))
    window = about = None
    if args.gui:  # the window opens and closes (its threads start and stop), offscreen when headless
        from poseapp.gui.launch import open_and_close

        window, about = open_and_close()
    print(dumps({"poseapp": __version__, "model": "RT", "backend": engine.backend.name,
                      "torch_importable": importlib.util.find_spec("torch") is not None, "window": window,
                      "about": about,
                      "found": pose.found, "score": round(pose.score, 4), "localiser": pose.extra.get("localiser"),
                      "keypoints": pose.as_dict()}))
    return 0 if pose.found else 1


def cmd_bench(args: argparse.Namespace) -> int:
    from poseapp import bench

    image = Path(args.image) if args.image else None
    if image is None:  # upstream's sample photo, where a folder of upstream's files is on this machine
        from poseapp.weights.install import local_upstream_folders

        found = [f / "MPII.jpg" for f in local_upstream_folders() if (f / "MPII.jpg").is_file()]
        if not found:
            raise PoseappError("bench needs an image: pass --image PATH (a frame from your own camera is best)")
        image = found[0]
    backends = tuple(dict.fromkeys(["onnx", *args.backends]))
    report = bench.run_bench([m.upper() for m in args.models], args.threads, args.runs, image, backends,
                             progress=lambda msg: print(msg, file=sys.stderr),
                             clip=Path(args.clip) if args.clip else None, clip_frames=args.clip_frames)
    if args.json:
        from poseapp.io.atomic import write_json

        write_json(Path(args.json), report)
    print(bench.format_table(report))
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="poseapp", description="Markerless movement analysis with EfficientPose. Without a command, "
        "poseapp opens the desktop window; with one, it works on the command line.",
        epilog="Offline: `poseapp weights import FOLDER` takes the model files (and the person detector) from a "
               "folder, or set POSEAPP_WEIGHTS_SOURCE to it. Exit codes: 0 done, 2 bad input, 130 interrupted.")
    p.add_argument("--version", action="version", version=f"poseapp {__version__}")
    sub = p.add_subparsers(dest="command")

    def model_opts(sp: argparse.ArgumentParser, quality: str = "fast") -> None:
        sp.add_argument("--quality", choices=tuple(PRESETS), default=quality,
                        help="preset: fast (RT), balanced (II), accurate (II, scales 0.8 1.2); "
                             f"--model, --flip, --scales given too override it (default: {quality})")
        sp.add_argument("--model", default=None,
                        help="variant (" + ", ".join(VARIANTS) + ") or an imported trained model's name "
                             f"(default: {PRESETS[quality].model}, from --quality)")
        sp.add_argument("--device", default="auto", help="auto, cuda, mps or cpu")
        sp.add_argument("--backend", default="auto", choices=BACKENDS,
                        help="auto: ONNX Runtime on CPU, torch on a GPU")
        sp.add_argument("--threads", type=int_in("threads"),
                        help="CPU threads for the model (default: the runtime's choice)")
        sp.add_argument("--flip", action="store_true", default=None,
                        help="test-time flip: average with the mirror image")
        sp.add_argument("--scales", type=float_in("scales"), nargs="+", default=None, metavar="S",
                        help="multi-scale testing: also run each crop at these relative sizes, e.g. 0.8 1.2")
        sp.add_argument("--no-detector", dest="detector", action="store_false",
                        help="find people by the window search alone, without the person detector "
                             "(as before 2026-12-07: reproduces earlier results)")

    sp = sub.add_parser("models", help="variants with input size, parameters, GFLOPs, weight status")
    sp.add_argument("--json", action="store_true")
    sp.set_defaults(func=cmd_models)

    sp = sub.add_parser("weights", help="list, fetch or import upstream weights and the person detector")
    sp.add_argument("action", choices=("list", "fetch", "import"))
    sp.add_argument("target", nargs="?",
                    help="variant or `detector` (fetch); folder of upstream files and/or pose_detection.tflite, "
                         "or a trained run/checkpoint (import)")
    sp.add_argument("--name", help="the model list's name for an imported trained checkpoint (default: run folder)")
    sp.set_defaults(func=cmd_weights)

    sp = sub.add_parser("image", help="pose in still images")
    sp.add_argument("paths", nargs="+")
    model_opts(sp, "balanced")
    sp.add_argument("--roi", choices=("auto", "full"), default="auto",
                    help="auto: find the person first (default); full: upstream's whole frame")
    sp.add_argument("--json", action="store_true", help="one JSON object per image")
    sp.add_argument("--out", help="annotated PNG (a folder when several images)")
    sp.add_argument("--threshold", type=float_in("threshold"), default=DRAW_THRESHOLD,
                    help=f"joints scoring under it are not drawn (default {DRAW_THRESHOLD})")
    sp.add_argument("--person", type=person_arg, default="auto",
                    help="whom to take where several people are in view: auto, largest, centre, or X,Y (pixels)")
    sp.set_defaults(func=cmd_image)

    sp = sub.add_parser("video", help="recorded videos to CSV, angles, charts and annotated video")
    sp.add_argument("inputs", nargs="+", help="video files, folders of videos, or globs")
    sp.add_argument("--out", required=True, help="folder for the results")
    model_opts(sp, "balanced")
    sp.add_argument("--roi", choices=MODES, default="track",
                    help="track: follow the person from frame to frame (default); auto: search every frame; "
                         "full: upstream's whole frame")
    sp.add_argument("--smooth", choices=METHODS, default="none",
                    help="oneeuro (live-style) or butterworth (zero-lag, for recordings); raw values are kept")
    sp.add_argument("--cutoff", type=float_in("cutoff"), default=6.0, help="Butterworth cut-off in Hz (default 6)")
    sp.add_argument("--threshold", type=float_in("threshold"), default=DRAW_THRESHOLD,
                    help="joints scoring under it count as missing (and are not drawn)")
    sp.add_argument("--max-gap", type=int_in("max-gap"), default=10, help="longest gap in frames that smoothing fills")
    sp.add_argument("--annotate", action="store_true", help="also write <name>_pose.mp4 with the skeleton")
    sp.add_argument("--batch-size", type=int_in("batch-size"), default=1,
                    help="frames per forward pass (with --roi full)")
    sp.add_argument("--workers", type=int_in("workers"), default=None,
                    help="videos processed at once, each with its own model and a share of the cores "
                         "(default: one per core, no more than the videos; 1 on a GPU)")
    sp.add_argument("--executor", choices=EXECUTORS, default="local",
                    help="ray: fan videos out over a Ray cluster (RAY_ADDRESS; pip install 'poseapp[cluster]')")
    sp.add_argument("--overwrite", action="store_true", help="redo videos whose results exist")
    sp.add_argument("--people", choices=PEOPLE, default="one",
                    help="one: the chosen person (default); all: also every person in view, followed with a "
                         "stable id, in <name>_people.csv (and drawn with their ids in --annotate's video)")
    sp.add_argument("--person", type=video_person_arg, default=None,
                    help="whom to follow where several people are in view: auto (largest and most central; "
                         "the default), largest, centre, walker (who walks one way the longest, found by "
                         "looking through the clip first; the default with --gait), or X,Y: the person at or "
                         "nearest that pixel of the first frame")
    sp.set_defaults(func=cmd_video)

    sp.add_argument("--start", type=float_in("start"), default=0.0, metavar="S",
                    help="analyse from this time in seconds (--person's point is then on that frame)")
    sp.add_argument("--end", type=float_in("end"), default=None, metavar="S",
                    help="analyse up to this time in seconds")
    sp.add_argument("--formats", default="csv,json", metavar="LIST",
                    help="result files, comma-separated: " + ", ".join(FORMATS) + " (CSV and JSON are always made)")
    sp.add_argument("--gait", action="store_true",
                    help="also analyse the gait of a side-view walk (<name>_gait.json and _gait.png)")
    calibration_opts(sp)

    sp = sub.add_parser("gait", help="gait events and parameters of a side-view walk, from a pose CSV (no model)")
    sp.add_argument("csv", help="a pose CSV written by poseapp video or the app's recorder")
    calibration_opts(sp)
    sp.add_argument("--save-calibration", metavar="FILE", help="write the calibration used, for later runs")
    sp.add_argument("--json", action="store_true", help="print the whole result as JSON")
    sp.add_argument("--out", help="write the whole result as JSON here")
    sp.add_argument("--plot", help="write the gait-cycle chart (knee and hip, mean and SD per side) here as PNG")
    sp.set_defaults(func=cmd_gait)

    sp = sub.add_parser("export", help="an existing result in other formats (OpenSim, C3D, Excel), no model")
    sp.add_argument("result", help="a result JSON written by poseapp video or the app's recorder")
    sp.add_argument("--formats", required=True, metavar="LIST",
                    help="comma-separated: " + ", ".join(k for k in FORMATS if k not in ("csv", "json")))
    sp.add_argument("--out", help="folder for the files (default: the result's)")
    sp.set_defaults(func=cmd_export)

    sp = sub.add_parser("report", help="a session report (PDF and HTML) from a result, no model")
    sp.add_argument("result", help="a result JSON written by poseapp video or the app's recorder")
    sp.add_argument("--compare", metavar="BEFORE.json", help="an earlier result: a before/after view")
    sp.add_argument("--out", required=True, help="the PDF to write (the HTML goes beside it)")
    sp.add_argument("--subject", help="the subject's name or code, printed in the report only")
    sp.add_argument("--session", help="the session (date, condition), printed in the report only")
    sp.add_argument("--notes", help="free notes, printed in the report only")
    sp.set_defaults(func=cmd_report)

    sp = sub.add_parser("eval", help="PCKh@0.5 and @0.1 on MPII-format annotations")
    sp.add_argument("--data", required=True, help="folder with MPII JSON annotations and images")
    model_opts(sp)
    sp.add_argument("--weights", help="a trained checkpoint (RUN/best.safetensors) instead of --model")
    sp.add_argument("--protocol", choices=PROTOCOLS, default="crop",
                    help="crop: the annotated person's box (the paper's); auto: the app's own person search; "
                         "full: upstream's whole frame")
    sp.add_argument("--json", action="store_true")
    sp.set_defaults(func=cmd_eval)
    sp = sub.add_parser("train", help="train a variant on MPII (the paper's procedure); several GPUs: "
                                      "torchrun --nproc_per_node N -m poseapp train ...")
    sp.add_argument("--variant", default="RT", help="variant: " + ", ".join(VARIANTS))
    sp.add_argument("--data", required=True, help="MPII folder: JSON annotations or the official .mat, images")
    sp.add_argument("--out", required=True, help="run folder (resumes when it holds a run)")
    sp.add_argument("--epochs", type=int_in("epochs"), default=200)
    sp.add_argument("--steps-per-epoch", type=int_in("steps-per-epoch"),
                    help="default: one pass over the training samples")
    sp.add_argument("--batch", type=int_in("batch"), default=16)
    sp.add_argument("--lr-low", type=float_in("lr"), default=1e-4)
    sp.add_argument("--lr-high", type=float_in("lr"), default=1e-2, help="the cycle's peak: run --lr-range-test first")
    sp.add_argument("--cycle-epochs", type=int_in("cycle-epochs"), default=10)
    sp.add_argument("--init", choices=("scratch", "pretrained", "official"), default="pretrained",
                    help="pretrained: ImageNet backbones through timm; official: fine-tune our converted weights")
    sp.add_argument("--val-fraction", type=float_in("val-fraction"), default=0.1,
                    help="validation share by a seeded shuffle; *train*.json beside *val*.json are used as they are")
    sp.add_argument("--workers", type=int_in("loader-workers"), default=0,
                    help="data-loader processes (per training process)")
    sp.add_argument("--val-flip", action="store_true", help="validate with the paper's test-time flip")
    sp.add_argument("--val-scales", type=float_in("scales"), nargs="+", default=[1.0], metavar="S",
                    help="multi-scale validation, e.g. 0.8 1.0 1.2")
    sp.add_argument("--seed", type=int, default=0)
    sp.add_argument("--device", default="cpu", help="cpu or cuda (mixed precision)")
    sp.add_argument("--lr-range-test", action="store_true", help="find the highest stable learning rate and stop")
    sp.set_defaults(func=cmd_train)

    sp = sub.add_parser("selftest", help="run RT on one image with the CPU engine (checks a packaged app)")
    sp.add_argument("image")
    sp.add_argument("--gui", action="store_true", help="also open and close the main window")
    sp.set_defaults(func=cmd_selftest)

    sp = sub.add_parser("bench", help="latency and throughput against upstream's TFLite runtime and MediaPipe")
    sp.add_argument("--models", nargs="+", default=["RT", "I", "II"], help="variants (default: RT I II)")
    sp.add_argument("--threads", type=int_in("threads"), default=os.cpu_count() or 1, help="threads for every runtime")
    sp.add_argument("--runs", type=int_in("runs"), default=50, help="timed runs per measurement, after warm-up")
    sp.add_argument("--backends", nargs="*", default=["torch"], help="our backends besides onnx (torch)")
    sp.add_argument("--image", help="the frame to time on (default: upstream's MPII.jpg from the weights source)")
    sp.add_argument("--clip", help="also time each quality preset per video frame on this clip (track; the "
                                   "detector against the window search)")
    sp.add_argument("--clip-frames", type=int_in("clip_frames"), default=90, help="frames of --clip timed (default 90)")
    sp.add_argument("--json", help="write the full report here")
    sp.set_defaults(func=cmd_bench)
    return p


EXIT_BAD_INPUT = 2


def person_arg(text: str, video: bool = False) -> str:
    """``--person``, checked when parsed (the point is checked against each frame later)."""
    from poseapp.localise.choice import parse_person

    try:
        parse_person(text, video)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def video_person_arg(text: str) -> str:
    """``poseapp video --person``: also ``walker``."""
    return person_arg(text, video=True)


def _say_notices() -> None:
    """The core's notices (``logging`` at INFO, e.g. a slow first use of a model) as plain lines on stderr."""
    import logging

    logger = logging.getLogger("poseapp")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("poseapp: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


def _apply_quality(args: argparse.Namespace) -> None:
    """Fill ``--model``, ``--flip`` and ``--scales`` from ``--quality`` where not given."""
    if not hasattr(args, "quality"):
        return
    chosen = resolve_quality(args.quality, args.model, args.flip, tuple(args.scales) if args.scales else None)
    args.model, args.flip, args.scales = chosen.model, chosen.flip, list(chosen.scales)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _apply_quality(args)
    _say_notices()
    if args.command is None:
        from poseapp.gui.launch import launch

        return launch()
    try:
        with warnings.catch_warnings():  # numpy's notes on empty or all-NaN slices are handled where they arise
            warnings.filterwarnings("ignore", category=RuntimeWarning, module="numpy")
            return args.func(args)
    except PoseappError as exc:
        print(f"poseapp: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as exc:  # a file or folder the command was pointed at, not a bug in poseapp
        where = f": {exc.filename}" if exc.filename else ""
        print(f"poseapp: {exc.strerror or exc}{where}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except ModuleNotFoundError as exc:  # the torch-free app (cpu bundle) asked for what needs torch
        if not needs_torch(exc.name or ""):
            raise
        print(f"poseapp: {args.command} needs {exc.name}, which this install leaves out; "
              f"{TORCH_HINT}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130
