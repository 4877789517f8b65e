"""The plain install (no extras) holds no torch and still runs the app and every CPU command:
a fresh venv, ``pip install`` of this checkout, then image, video with gait and exports, eval, a
report and the window offscreen, from the graph templates that ship with the package."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from tests.conftest import MPII_DIR, ROOT, UPSTREAM
from tests.io.test_video import POSETRACK


@pytest.mark.slow
def test_plain_install_runs_without_torch(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    bin_dir = venv / ("Scripts" if os.name == "nt" else "bin")
    start = time.perf_counter()
    install = subprocess.run([str(bin_dir / "python"), "-m", "pip", "install", "-q", str(ROOT)], capture_output=True,
                             text=True, timeout=1800)
    assert install.returncode == 0, install.stderr[-3000:]
    print(f"plain install: {time.perf_counter() - start:.0f} s")
    probe = subprocess.run([str(bin_dir / "python"), "-c", "import importlib.util as u; "
                            "print([m for m in ('torch', 'torchvision', 'timm') if u.find_spec(m)])"],
                           capture_output=True, text=True, timeout=120)
    assert probe.stdout.strip() == "[]", probe.stdout + probe.stderr
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POSEAPP_", "VIRTUAL_ENV"))}
    env.update(POSEAPP_CACHE=str(tmp_path / "cache"), POSEAPP_WEIGHTS_SOURCE=str(UPSTREAM), QT_QPA_PLATFORM="offscreen")
    exe = str(bin_dir / "poseapp")

    def run(*args: str) -> subprocess.CompletedProcess:
        done = subprocess.run([exe, *args], capture_output=True, text=True, env=env, timeout=900, cwd=tmp_path)
        assert done.returncode == 0, (args, done.stderr[-3000:])
        return done

    image = run("image", str(UPSTREAM / "MPII.jpg"), "--json", "--quality", "fast")
    assert json.loads(image.stdout.strip().splitlines()[-1])["found"]
    run("video", str(POSETRACK), "--out", str(tmp_path / "out"), "--formats", "csv,json,trc,c3d,xlsx")
    meta = json.loads((tmp_path / "out" / f"{POSETRACK.stem}.json").read_text())
    assert meta["frames"] == 5 and meta["backend"] == "onnx"
    assert (tmp_path / "out" / f"{POSETRACK.stem}.c3d").exists()
    evaluated = run("eval", "--data", str(MPII_DIR), "--json")
    assert json.loads(evaluated.stdout)["overall"]["0.5"] > 50
    report = run("report", str(tmp_path / "out" / f"{POSETRACK.stem}.json"), "--out", str(tmp_path / "r.pdf"))
    assert "pages" in report.stdout and (tmp_path / "r.html").exists()
    window = run("selftest", str(UPSTREAM / "MPII.jpg"), "--gui")
    result = json.loads(window.stdout.strip().splitlines()[-1])
    assert result["window"] == "poseapp" and result["torch_importable"] is False
    trained = subprocess.run([exe, "train", "--data", str(MPII_DIR), "--out", str(tmp_path / "run")],
                             capture_output=True, text=True, env=env, timeout=300)
    assert trained.returncode == 2 and "pip install 'poseapp[torch]'" in trained.stderr
