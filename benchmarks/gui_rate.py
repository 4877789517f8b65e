"""The GUI path's rates against bare inference: capture FPS, inference FPS and latency while the
window plays a clip, then the same engine alone on the same frames.

    QT_QPA_PLATFORM=xcb xvfb-run -a python benchmarks/gui_rate.py [--models RT I] [--seconds 10] [--repeats 3]
        [--gil-switch-ms 1] [--json OUT]

The clip is the pan-and-zoom clip (30 fps) built from an MPII image, long enough that the measured
seconds never reach its end: reopening it would reset the tracker, and the search that follows (about
0.8 s with RT here) would be charged to the GUI but not to the bare run, which sees no cut.
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

from PySide6.QtCore import QEvent, QEventLoop, QSettings, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from poseapp.gui.launch import GIL_SWITCH_S  # noqa: E402
from poseapp.gui.main_window import MainWindow  # noqa: E402
from poseapp.io.mpii import load_mpii  # noqa: E402
from poseapp.io.pan_zoom import build_clip  # noqa: E402
from poseapp.io.video import VideoReader  # noqa: E402
from poseapp.pipeline import LiveAnalyser, LiveSettings  # noqa: E402

MPII = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "mmpose-samples" / "mpii"


def gui_run(app: QApplication, model: str, clip: Path, seconds: float, folder: Path) -> dict:
    store = QSettings(str(folder / f"{model}.ini"), QSettings.Format.IniFormat)
    store.setValue("model", model)
    window = MainWindow(store=store, output_dir=folder)
    window.show()
    latencies: list[float] = []
    window.worker.result.connect(lambda r: latencies.append(1000 * (time.perf_counter() - r.captured_at)))
    window.open(clip)
    while not window.worker.ready.is_set() or not latencies:  # model loaded, first frame through
        app.processEvents()
        time.sleep(0.01)
    c0, p0, t0, n0 = window.capture.captured, window.worker.processed, time.perf_counter(), len(latencies)
    loop = QEventLoop()  # the application's own event loop, as `app.exec()` runs it
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()
    elapsed = time.perf_counter() - t0
    result = {"capture_fps": round((window.capture.captured - c0) / elapsed, 1),
              "inference_fps": round((window.worker.processed - p0) / elapsed, 1),
              "latency_ms_median": round(sorted(latencies[n0:])[len(latencies[n0:]) // 2], 1),
              "dropped": window.slot.dropped}
    window.close()
    window.deleteLater()  # gone before the next run, not left to the interpreter's final collection
    app.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    app.processEvents()
    return result


def bare_run(model: str, clip: Path, frames: int) -> float:
    """Frames per second of the same analyser (tracking, One-Euro, angles) with no GUI and no pacing."""
    analyser = LiveAnalyser(LiveSettings(model=model))
    items = list(itertools.islice(VideoReader(clip), frames))
    analyser.analyse(items[0], time.perf_counter())
    t0 = time.perf_counter()
    for f in items[1:]:
        analyser.analyse(f, time.perf_counter())
    return (len(items) - 1) / (time.perf_counter() - t0)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", nargs="+", default=["RT", "I"])
    p.add_argument("--seconds", type=float, default=10)
    p.add_argument("--repeats", type=int, default=3, help="bare/GUI pairs per model; the median pair is reported")
    p.add_argument("--gil-switch-ms", type=float, default=1000 * GIL_SWITCH_S,
                   help="the GIL switch interval, as `poseapp` sets it (Python's default is 5)")
    p.add_argument("--json")
    args = p.parse_args()
    sys.setswitchinterval(args.gil_switch_ms / 1000)
    app = QApplication.instance() or QApplication([])
    sample = next(s for s in load_mpii(MPII) if s.image.name == "051423444.jpg")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        frames = int(30 * (args.seconds + 10))  # the model's load and the first search come first
        clip = build_clip(sample, Path(tmp) / "clip.mp4", frames=frames, cycles=frames / 200).path
        for model in args.models:
            runs = []
            for _ in range(args.repeats):  # bare and GUI alternate, so a slow spell of the machine hits both
                bare = bare_run(model, clip, 150)
                gui = gui_run(app, model, clip, args.seconds, Path(tmp))
                runs.append({"bare_fps": round(bare, 1), **gui,
                             "gui_vs_bare": round(gui["inference_fps"] / min(bare, 30.0), 3)})
                print(json.dumps({"model": model, **runs[-1]}), file=sys.stderr)
            median = sorted(runs, key=lambda r: r["gui_vs_bare"])[len(runs) // 2]
            rows.append({"model": model, **median, "runs": runs})
    report = {"clip": f"pan-and-zoom, 640x480, 30 fps, {frames} frames", "gil_switch_ms": args.gil_switch_ms,
              "note": "gui_vs_bare divides by min(bare, 30): the clip plays at 30 fps, so no path can infer "
              "faster; each row is the median of its runs",
              "results": rows}
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
