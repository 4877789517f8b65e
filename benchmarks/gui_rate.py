"""The GUI path's rates against bare inference: capture FPS, inference FPS and latency while the
window plays a clip, against the same model run bare on the same frames, interleaved.

    QT_QPA_PLATFORM=xcb xvfb-run -a python benchmarks/gui_rate.py [--models RT I] [--slices 10]
        [--slice-seconds 2] [--json OUT]

One window per model plays the pan-and-zoom clip (30 fps); every ``--slice-seconds`` it is paused,
and a bare analyser (same model, tracking, One-Euro and angles, no GUI, no pacing, frames decoded
beforehand) runs for as long in the same process; then the window plays on from where it stopped.
A shared machine's speed drifts (the slowest and fastest bare slices, in the report, differed by
a third here): runs taken one after the other compare two machines, slices taken in turn compare
the two paths. Rates are totals over all
slices; the spread is the ratios of the single slice pairs.

The clip is long enough that the window never reaches its end: reopening it would reset the
tracker, and the search that follows would be charged to the GUI but not to the bare run. The
bare run plays its frames forward and back, so it never jumps either.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEvent, QEventLoop, QSettings, Qt, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from poseapp.gui.main_window import MainWindow  # noqa: E402
from poseapp.io.mpii import load_mpii  # noqa: E402
from poseapp.io.video import Frame, VideoReader  # noqa: E402
from poseapp.pan_zoom import build_clip  # noqa: E402
from poseapp.pipeline import LiveAnalyser, LiveSettings  # noqa: E402

MPII = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "mmpose-samples" / "mpii"
FPS = 30.0


def play(app: QApplication, seconds: float) -> None:
    """Run the application's own event loop, as ``app.exec()`` does, for ``seconds``."""
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def settle(app: QApplication, window: MainWindow, timeout: float = 10.0) -> None:
    """After a pause: wait until the worker has finished every frame it took (it is idle)."""
    play(app, 2 / FPS)  # a frame read before the pause may still be on its way to the slot
    end = time.perf_counter() + timeout
    while window.worker.processed < window.capture.captured - window.slot.dropped and time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.005)
    app.processEvents()


def ping_pong(frames: list[Frame]):
    """The frames forward, then back, then forward...: motion that never cuts, on a clock that runs on."""
    for i, frame in enumerate(itertools.cycle(frames + frames[-2:0:-1])):
        yield Frame(i, i / FPS, frame.rgb)


def interleaved(app: QApplication, model: str, clip: Path, frames: list[Frame], slices: int, seconds: float,
                folder: Path) -> dict:
    store = QSettings(str(folder / f"{model}.ini"), QSettings.Format.IniFormat)
    store.setValue("model", model)
    window = MainWindow(store=store, output_dir=folder)
    window.show()
    done: list[float] = []  # when the worker emitted each result (in the worker's thread)
    latencies: list[float] = []  # capture to the GUI thread's slot
    window.worker.result.connect(lambda r: done.append(time.perf_counter()), Qt.ConnectionType.DirectConnection)
    window.worker.result.connect(lambda r: latencies.append(1000 * (time.perf_counter() - r.captured_at)))
    window.open(clip)
    while not window.worker.ready.is_set() or len(done) < 3:  # model loaded, first search done
        app.processEvents()
        time.sleep(0.01)
    bare = LiveAnalyser(LiveSettings(model=model))
    source = ping_pong(frames)
    bare.analyse(next(source), time.perf_counter())  # its load and first search are not timed
    pairs, bare_rates, capture_rates = [], [], []
    latencies.clear()  # the load and the first search are not what the window costs
    gui_frames = gui_span = bare_frames = bare_span = capture_span = dropped = 0.0
    for _ in range(slices):
        n0, d0, t0 = len(done), window.slot.dropped, time.perf_counter()
        play(app, seconds)
        while len(done) - n0 < 2:  # a model slower than the slice: play on until a rate can be read
            play(app, 0.1)
        capture_rates.append(window.capture.rate.rate())  # the status bar's figure: the last 2 s
        window.capture.set_paused(True)
        dropped += window.slot.dropped - d0
        capture_span += time.perf_counter() - t0
        settle(app, window)
        ours = done[n0:]  # first to last result of the slice: the wait for the first frame is not counted
        gui_n, gui_s = len(ours) - 1, ours[-1] - ours[0]
        t = time.perf_counter()
        n = 0
        while time.perf_counter() - t < seconds:
            bare.analyse(next(source), time.perf_counter())
            n += 1
        bare_s = time.perf_counter() - t
        bare_rates.append(n / bare_s)
        pairs.append(round(gui_n / gui_s / min(bare_rates[-1], FPS), 3))
        gui_frames, gui_span = gui_frames + gui_n, gui_span + gui_s
        bare_frames, bare_span = bare_frames + n, bare_span + bare_s
        window.capture.set_paused(False)
    window.close()
    window.deleteLater()  # gone before the next model, not left to the interpreter's final collection
    app.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    app.processEvents()
    bare_fps, gui_fps = bare_frames / bare_span, gui_frames / gui_span
    return {"model": model, "bare_fps": round(bare_fps, 1),
            "capture_fps": round(sum(capture_rates) / len(capture_rates), 1),
            "inference_fps": round(gui_fps, 1), "gui_vs_bare": round(gui_fps / min(bare_fps, FPS), 3),
            "slice_pairs": sorted(pairs), "bare_fps_slices": [round(min(bare_rates), 1), round(max(bare_rates), 1)],
            "latency_ms_median": round(sorted(latencies)[len(latencies) // 2], 1),
            "dropped_per_s": round(dropped / capture_span, 1)}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", nargs="+", default=["RT", "I"])
    p.add_argument("--slices", type=int, default=10, help="GUI/bare slice pairs per model")
    p.add_argument("--slice-seconds", type=float, default=2.0)
    p.add_argument("--json")
    args = p.parse_args()
    app = QApplication.instance() or QApplication([])
    sample = next(s for s in load_mpii(MPII) if s.image.name == "051423444.jpg")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        count = int(FPS * (args.slices * args.slice_seconds + 15))  # the load and the first search come first
        clip = build_clip(sample, Path(tmp) / "clip.mp4", frames=count, cycles=count / 200, fps=FPS).path
        frames = list(itertools.islice(VideoReader(clip), 300))
        for model in args.models:
            rows.append(interleaved(app, model, clip, frames, args.slices, args.slice_seconds, Path(tmp)))
            print(json.dumps(rows[-1]), file=sys.stderr)
    report = {"clip": f"pan-and-zoom, 640x480, {FPS:.0f} fps, {count} frames",
              "slices": args.slices, "slice_seconds": args.slice_seconds,
              "note": "GUI and bare run in turns of slice_seconds in one process; rates are totals over the slices; "
              "gui_vs_bare divides by min(bare, clip fps): no path can infer faster than the clip plays; "
              "slice_pairs are the single pairs' ratios, sorted; bare_fps_slices the slowest and fastest bare slice",
              "results": rows}
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
