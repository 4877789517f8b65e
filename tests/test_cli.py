"""The command line end to end, bad input included: one clear message, no traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from poseapp.cli import main
from tests.conftest import MPII_DIR, UPSTREAM


def run_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "poseapp", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=300)


def test_image_json_and_annotated_output(tmp_path, capsys):
    out = tmp_path / "pose.png"
    assert main(["image", str(UPSTREAM / "MPII.jpg"), "--json", "--out", str(out)]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["model"] == "RT" and record["roi"] == "auto" and record["found"] is True
    assert len(record["keypoints"]) == 16 and record["forward_passes"] > 1
    assert record["keypoints"][0]["name"] == "head_top" and record["keypoints"][-1]["name"] == "left_ankle"
    head, ankle = record["keypoints"][0], record["keypoints"][-1]
    assert head["y"] < ankle["y"]  # upright person in the upstream sample
    assert out.stat().st_size > 10_000


def test_image_says_when_nobody_is_there(tmp_path, capsys):
    from poseapp.io.images import write_image
    from tests.inference.test_roi import nobody_pictures

    empty = tmp_path / "snow.png"
    write_image(empty, nobody_pictures()["snow and poles"])
    assert main(["image", str(empty), "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["found"] is False and record["keypoints"] == [] and record["score"] < 0.2
    assert main(["image", str(empty)]) == 0
    assert "no person found" in capsys.readouterr().out


def test_models_json_lists_every_variant(capsys):
    assert main(["models", "--json"]) == 0
    rows = {r["variant"]: r for r in json.loads(capsys.readouterr().out)}
    assert list(rows) == ["RT", "I", "II", "III", "IV", "RT_LITE", "I_LITE", "II_LITE"]
    assert rows["RT"]["parameters"] == 453336 and rows["IV"]["input_size"] == 600
    assert rows["III"]["weights"] == "missing" and 0.8 < rows["RT"]["gflops"] < 0.9


def test_eval_crop_prints_pckh(capsys):
    assert main(["eval", "--data", str(MPII_DIR), "--model", "RT", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["images"] == 5 and result["overall"]["0.5"] >= 90
    assert result["head_size"] == "head_top to upper_neck distance"


@pytest.mark.parametrize(
    "args, env, message",
    [
        (["image", "nope.jpg"], {}, "no such image: nope.jpg"),
        (["image", __file__], {}, "cannot read"),
        (["image", str(UPSTREAM / "MPII.jpg"), "--model", "V"], {}, "unknown model 'V'"),
        (["image", str(UPSTREAM / "MPII.jpg"), "--model", "III"], {}, "no weights for III"),
        (["weights", "fetch", "RT"], {"POSEAPP_WEIGHTS_SOURCE": "http://127.0.0.1:9/"}, "could not download"),
        (["eval", "--data", "/nonexistent"], {}, "is not a folder"),
    ],
)
def test_bad_input_gives_one_clear_message(args, env, message, tmp_path):
    result = run_cli(*args, env={"POSEAPP_CACHE": str(tmp_path), **env})
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_wrong_shaped_weight_file(tmp_path):
    env = {"POSEAPP_CACHE": str(tmp_path)}
    assert run_cli("weights", "fetch", "RT", env=env).returncode == 0
    (tmp_path / "weights" / "EfficientPoseRT.safetensors").rename(tmp_path / "weights" / "EfficientPoseI.safetensors")
    result = run_cli("image", str(UPSTREAM / "MPII.jpg"), "--model", "I", env=env)
    assert result.returncode == 2 and "do not fit I" in result.stderr
    assert "Traceback" not in result.stderr


def test_no_display_message():
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    result = subprocess.run([sys.executable, "-m", "poseapp"], capture_output=True, text=True, env=env, timeout=60)
    if sys.platform.startswith("linux"):
        assert result.returncode == 2 and "no display" in result.stderr



def test_unloadable_x11_plugin_is_a_message(monkeypatch):
    import ctypes

    from poseapp.gui import launch

    def refuse(path):
        raise OSError("libxcb-icccm.so.4: cannot open shared object file: No such file or directory")

    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setattr(ctypes, "CDLL", refuse)
    if sys.platform.startswith("linux"):
        assert "libxcb-icccm.so.4" in launch.display_problem()
