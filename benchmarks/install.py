"""The plain install against the `torch` extra, each into a fresh venv without pip's cache: time,
size on disk, whether torch came in, and the first `poseapp selftest IMAGE --gui` (the window
opens; RT converted into an empty cache and its graph written) from each.

    python benchmarks/install.py --json benchmarks/2026-12-03-install.json

Needs the package index (or its mirror) and ``POSEAPP_WEIGHTS_SOURCE`` or the network for RT.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def folder_mb(path: Path) -> float:
    return round(sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink()) / 2**20, 1)


def measure(target: str, image: str, work: Path) -> dict:
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    bin_dir = venv / ("Scripts" if os.name == "nt" else "bin")
    t0 = time.perf_counter()
    subprocess.run([str(bin_dir / "python"), "-m", "pip", "install", "-q", "--no-cache-dir", target], check=True)
    install_s = time.perf_counter() - t0
    listed = subprocess.run([str(bin_dir / "python"), "-m", "pip", "list", "--format=json"], capture_output=True,
                            text=True, check=True)
    names = sorted(p["name"] for p in json.loads(listed.stdout))
    env = {**os.environ, "POSEAPP_CACHE": str(work / "cache")}
    if not (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")):
        env["QT_QPA_PLATFORM"] = "offscreen"
    t0 = time.perf_counter()
    run = subprocess.run([str(bin_dir / "poseapp"), "selftest", image, "--gui"], capture_output=True, text=True,
                         env=env)
    first = time.perf_counter() - t0
    result = json.loads(run.stdout.strip().splitlines()[-1]) if run.returncode == 0 else {}
    return {"install": target, "install_s": round(install_s, 1), "venv_mb": folder_mb(venv),
            "torch_installed": any(n.lower() == "torch" for n in names), "packages": len(names),
            "first_selftest_gui_s": round(first, 2), "selftest_exit": run.returncode,
            "window": result.get("window"), "found": result.get("found")}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--image", default=str(ROOT.parent / "shared" / "efficientpose-upstream" / "MPII.jpg"))
    p.add_argument("--json", help="write the results here")
    args = p.parse_args()
    report = []
    for target in (str(ROOT), f"{ROOT}[torch]"):
        with tempfile.TemporaryDirectory() as tmp:
            report.append(measure(target, args.image, Path(tmp)))
            print(json.dumps(report[-1]), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
