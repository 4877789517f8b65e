"""Time and size of the plain install and of the [torch] one, each in a fresh venv, and the
window opening (with its first pose) on the plain one.

    python benchmarks/install_size.py --json benchmarks/DATE-install.json

pip's cache makes a second run faster than a first download: the JSON records whether the cache
was warm (``--no-cache`` measures a first download).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def folder_mb(path: Path) -> float:
    return round(sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink()) / 2**20, 1)


def install(target: Path, spec: str, no_cache: bool) -> dict:
    subprocess.run([sys.executable, "-m", "venv", str(target)], check=True)
    start = time.perf_counter()
    cmd = [str(target / "bin" / "python"), "-m", "pip", "install", "-q", spec]
    cmd += ["--no-cache-dir"] if no_cache else []
    subprocess.run(cmd, check=True)
    return {"spec": spec, "seconds": round(time.perf_counter() - start, 1), "size_mb": folder_mb(target)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", help="write the report here")
    ap.add_argument("--no-cache", action="store_true", help="download every wheel (a first install)")
    args = ap.parse_args()
    report = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
              "pip_cache": "off" if args.no_cache else "on"}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        report["plain"] = install(tmp / "plain", str(ROOT), args.no_cache)
        report["torch"] = install(tmp / "torch", f"{ROOT}[torch]", args.no_cache)
        env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen"),
               "POSEAPP_CACHE": str(tmp / "cache")}
        image = ROOT.parent / "shared" / "efficientpose-upstream" / "MPII.jpg"
        env.setdefault("POSEAPP_WEIGHTS_SOURCE", str(image.parent))
        exe = str(tmp / "plain" / "bin" / "poseapp")
        subprocess.run([exe, "selftest", str(image)], check=True, env=env, capture_output=True)  # weights fetched
        start = time.perf_counter()
        subprocess.run([exe, "selftest", str(image), "--gui"], check=True, env=env, capture_output=True)
        report["plain"]["window_and_first_pose_s"] = round(time.perf_counter() - start, 2)
    text = json.dumps(report, indent=2)
    print(text)
    if args.json:
        Path(args.json).write_text(text + "\n")


if __name__ == "__main__":
    main()
