"""Build the one-folder app: `python packaging/build.py [--flavour cpu|full] [--dist DIR]`.

Stages what the bundle carries (RT's and the person detector's ONNX graphs, taken from the cache or
fetched, converted and written here, never committed; their Apache-2.0 licence texts), runs PyInstaller on
`packaging/poseapp.spec`, trims the result (`packaging/trim.py`), then prints the bundle's size, what
the trimming saved and its cold start to a first pose (`poseapp selftest IMAGE --gui`: the window
opens too).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from trim import trim  # packaging/trim.py, beside this script

ROOT = Path(__file__).resolve().parents[1]
LICENCE = """The EfficientPose RT model bundled here is converted from the official EfficientPose
weights (https://github.com/daniegr/EfficientPose), Copyright Daniel Groos et al.,
licensed under the Apache License, Version 2.0: http://www.apache.org/licenses/LICENSE-2.0

The person detector bundled here is converted from MediaPipe's pose_detection.tflite
(https://github.com/google-ai-edge/mediapipe), Copyright The MediaPipe Authors,
licensed under the Apache License, Version 2.0: http://www.apache.org/licenses/LICENSE-2.0
"""


def folder_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def stage_weights(stage: Path) -> Path:
    """RT's ONNX graph (made from verified upstream weights), the person detector's graph (from its
    SHA-256-checked file) and the licences, into ``stage``. The other variants are downloaded,
    converted and written as graphs on first use, without torch."""
    from poseapp.weights.detector_file import ensure_detector
    from poseapp.weights.graphs import ensure_onnx
    from poseapp.weights.install import weights_identity

    graph, detector = ensure_onnx("RT"), ensure_detector()
    if stage.exists():
        shutil.rmtree(stage)
    stage.mkdir(parents=True)
    shutil.copy2(graph, stage / graph.name)
    shutil.copy2(detector, stage / detector.name)
    (stage / "LICENSE-EfficientPose.txt").write_text(LICENCE)
    (stage / "weights.json").write_text(json.dumps({"RT": weights_identity("RT")}, indent=2))
    return stage


def stamp(stage: Path, flavour: str) -> None:
    """build.json: what the About box shows (version, date, flavour)."""
    from datetime import date

    from poseapp import __version__

    (stage / "build.json").write_text(json.dumps({"version": __version__, "built": date.today().isoformat(),
                                                  "flavour": flavour}))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--flavour", choices=("cpu", "full"), default="cpu")
    p.add_argument("--dist", default=str(ROOT / "dist"), help="where the app folder goes")
    p.add_argument("--work", default=str(ROOT / "build"), help="PyInstaller's work folder")
    p.add_argument("--no-trim", action="store_true", help="leave the bundle as PyInstaller made it (to compare)")
    p.add_argument("--image", help="a real image for the cold-start check (default: upstream's MPII.jpg)")
    args = p.parse_args()
    dist, work = Path(args.dist), Path(args.work)
    stage = stage_weights(work / "stage")
    stamp(stage, args.flavour)
    env = {**os.environ, "POSEAPP_FLAVOUR": args.flavour, "POSEAPP_STAGE": str(stage)}
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN",
                    "--distpath", str(dist), "--workpath", str(work / "pyinstaller"),
                    str(ROOT / "packaging" / "poseapp.spec")], check=True, env=env)
    built = time.perf_counter() - t0
    app = dist / "poseapp"
    trimmed = {"skipped": "--no-trim"} if args.no_trim else trim(app / "_internal", work)
    exe = app / ("poseapp.exe" if os.name == "nt" else "poseapp")
    report = {"flavour": args.flavour, "folder": str(app), "size_mb": round(folder_size(app) / 2**20, 1),
              "build_s": round(built, 1), "trimmed": trimmed}
    image = args.image
    if image is None:
        from poseapp.weights.install import weights_source

        image = str(Path(weights_source()) / "MPII.jpg")
    if Path(image).exists():
        clean = {k: v for k, v in os.environ.items() if not k.startswith("POSEAPP_")}
        clean["POSEAPP_CACHE"] = str(work / "empty-cache")  # a first start: nothing cached
        if not (clean.get("DISPLAY") or clean.get("WAYLAND_DISPLAY")):
            clean["QT_QPA_PLATFORM"] = "offscreen"
        t0 = time.perf_counter()
        run = subprocess.run([str(exe), "selftest", image, "--gui"], capture_output=True, text=True, env=clean)
        report["cold_start_to_first_pose_s"] = round(time.perf_counter() - t0, 2)
        report["selftest_exit"] = run.returncode
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
