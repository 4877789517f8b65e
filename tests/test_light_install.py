"""The plain ``pip install`` (no extras) in a fresh venv: no torch, timm or onnx, and ``poseapp
image``, ``video`` and ``eval`` and the window work in it, converting into an empty cache, with the
results of the full install; training says which extra it needs."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys

import pytest

from poseapp.cli import main
from tests.conftest import MPII_DIR, ROOT, SHARED, UPSTREAM

CLIP = SHARED / "data" / "sports2d-demo" / "demo.mp4"


def _json(printed: str) -> dict:
    """What a command printed as JSON: the whole output, or its last line after progress lines."""
    with contextlib.suppress(json.JSONDecodeError):
        return json.loads(printed)
    return json.loads(printed.strip().splitlines()[-1])


def _here(args: list[str]) -> dict:
    """The JSON a command prints, run in this (full) install."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(args) == 0
    return _json(out.getvalue())


@pytest.mark.slow
def test_plain_install_runs_the_app_without_torch(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    bin_dir = venv / ("Scripts" if os.name == "nt" else "bin")
    install = subprocess.run([str(bin_dir / "python"), "-m", "pip", "install", "-q", str(ROOT)],
                             capture_output=True, text=True, timeout=1800)
    assert install.returncode == 0, install.stderr[-3000:]
    listed = subprocess.run([str(bin_dir / "python"), "-m", "pip", "list", "--format=json"], capture_output=True,
                            text=True, timeout=300)
    installed = {p["name"].lower() for p in json.loads(listed.stdout)}
    assert "poseapp" in installed and not installed & {"torch", "torchvision", "timm", "onnx"}

    env = {**os.environ, "POSEAPP_CACHE": str(tmp_path / "cache"), "POSEAPP_WEIGHTS_SOURCE": str(UPSTREAM),
           "QT_QPA_PLATFORM": "offscreen"}

    def light(*args: str) -> dict:
        done = subprocess.run([str(bin_dir / "poseapp"), *args], capture_output=True, text=True, env=env,
                              cwd=tmp_path, timeout=900)
        assert done.returncode == 0, done.stderr[-3000:]
        return _json(done.stdout)

    image = str(UPSTREAM / "MPII.jpg")
    got, expected = light("image", image, "--json"), _here(["image", image, "--json"])  # II and RT's search
    assert got["found"] and len(got["keypoints"]) == 16
    for a, b in zip(got["keypoints"], expected["keypoints"]):
        assert abs(a["x"] - b["x"]) < 0.01 and abs(a["y"] - b["y"]) < 0.01 and abs(a["score"] - b["score"]) < 0.01

    args = ["eval", "--data", str(MPII_DIR), "--quality", "fast", "--json"]
    assert light(*args)["overall"] == _here(args)["overall"]

    done = subprocess.run([str(bin_dir / "poseapp"), "video", str(CLIP), "--out", str(tmp_path / "out"),
                           "--quality", "fast", "--end", "1"], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = (tmp_path / "out" / "demo.csv").read_text().splitlines()
    assert len(rows) > 20  # a header and a row per frame of the first second

    window = light("selftest", image, "--gui")
    assert window["window"] == "poseapp" and window["torch_importable"] is False

    train = subprocess.run([str(bin_dir / "poseapp"), "train", "--data", str(MPII_DIR), "--out", str(tmp_path / "run")],
                           capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert train.returncode == 2 and "pip install 'poseapp[torch]'" in train.stderr  # what to do, not a traceback
    assert "Traceback" not in train.stderr
