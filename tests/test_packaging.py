"""Build the `cpu` one-folder app with PyInstaller, trimmed, and run what it built: `--version`,
`selftest` on a real image with the bundled RT graph, torch unavailable inside the bundle (and
`train` saying which extra it needs), `models`, a variant that is not bundled, converted and
written as a graph without torch, a walk analysed with an annotated video, a report and two exports."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import MPII_DIR, ROOT, SHARED, UPSTREAM
from tests.helpers import load_script

trim = load_script("packaging/trim.py")


@pytest.mark.slow
def test_cpu_bundle_builds_and_runs(tmp_path):
    pytest.importorskip("PyInstaller")
    build = subprocess.run([sys.executable, str(ROOT / "packaging" / "build.py"), "--dist", str(tmp_path / "dist"),
                            "--work", str(tmp_path / "work")], capture_output=True, text=True, timeout=1500)
    assert build.returncode == 0, build.stderr[-3000:]
    report = json.loads(build.stdout[build.stdout.index("{"):])
    # 386 MB measured (471.5 with --no-trim); without its tools the bundle stays as built
    trimmable = all(trim.tool(name) for name in ("strip", "nm", "patchelf"))
    assert report["size_mb"] <= (400 if trimmable else 490), report
    if trimmable:  # OpenCV loads its BLAS and LAPACK routines from scipy's OpenBLAS (selftest imports cv2)
        assert "instead of libopenblas" in report["trimmed"]["openblas"], report["trimmed"]
    exe = tmp_path / "dist" / "poseapp" / ("poseapp.exe" if os.name == "nt" else "poseapp")
    env = {k: v for k, v in os.environ.items() if not k.startswith("POSEAPP_")}
    env["POSEAPP_CACHE"] = str(tmp_path / "user-cache")  # a first start on a clinician's machine
    version = subprocess.run([str(exe), "--version"], capture_output=True, text=True, env=env, timeout=120)
    assert version.returncode == 0 and version.stdout.startswith("poseapp ")
    image = sorted(MPII_DIR.glob("*.jpg"))[0]
    env["QT_QPA_PLATFORM"] = "offscreen"
    run = subprocess.run([str(exe), "selftest", str(image), "--gui"], capture_output=True, text=True, env=env,
                         timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["found"] and len(result["keypoints"]) == 16 and result["backend"] == "onnx"
    assert result["torch_importable"] is False and result["window"] == "poseapp"
    assert result["localiser"] == "detector"  # the bundled detector's graph, offline and without POSEAPP_*
    assert "(cpu flavour)" in result["about"]  # the build date and flavour reach the About box
    # another variant on first use: its upstream file converted and its graph written without torch
    env["POSEAPP_WEIGHTS_SOURCE"] = str(UPSTREAM)
    other = subprocess.run([str(exe), "image", str(image), "--model", "I_LITE", "--json"], capture_output=True,
                           text=True, env=env, timeout=300)
    assert other.returncode == 0, other.stderr[-3000:]
    pose = json.loads(other.stdout.strip().splitlines()[-1])
    assert pose["model"] == "I_LITE" and pose["found"] and len(pose["keypoints"]) == 16
    models = subprocess.run([str(exe), "models"], capture_output=True, text=True, env=env, timeout=120)
    assert models.returncode == 0 and "RT_LITE" in models.stdout, models.stderr[-3000:]
    train = subprocess.run([str(exe), "train", "--data", str(tmp_path), "--out", str(tmp_path / "run")],
                           capture_output=True, text=True, env=env, timeout=120)
    assert train.returncode == 2 and "poseapp[torch]" in train.stderr and "Traceback" not in train.stderr
    # a walk (OpenCV decodes and writes video; scipy filters and finds the gait events)
    walk = subprocess.run([str(exe), "video", str(SHARED / "data" / "sports2d-demo" / "demo.mp4"), "--out",
                           str(tmp_path / "walk"), "--quality", "fast", "--start", "2", "--end", "5", "--person",
                           "1390,730", "--gait", "--height", "1.65", "--smooth", "butterworth", "--annotate",
                           "--formats", "csv,trc"], capture_output=True, text=True, env=env, timeout=600)
    assert walk.returncode == 0, walk.stderr[-3000:]
    assert (tmp_path / "walk" / "demo_pose.mp4").stat().st_size > 10_000
    assert (tmp_path / "walk" / "demo_gait.json").exists() and (tmp_path / "walk" / "demo.trc").exists()
    # a report and the exports from a result, as a clinic makes them from the app
    from tests.outputs.test_formats import write_result

    (tmp_path / "result").mkdir()
    result_json = write_result(tmp_path / "result")
    report = subprocess.run([str(exe), "report", str(result_json), "--out", str(tmp_path / "result" / "r.pdf")],
                            capture_output=True, text=True, env=env, timeout=300)
    assert report.returncode == 0 and "(3 pages)" in report.stdout, report.stderr[-3000:]
    export = subprocess.run([str(exe), "export", str(result_json), "--formats", "c3d,xlsx"], capture_output=True,
                            text=True, env=env, timeout=300)
    assert export.returncode == 0 and result_json.with_suffix(".c3d").exists(), export.stderr[-3000:]
