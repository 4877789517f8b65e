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
    assert record["model"] == "II" and record["roi"] == "auto" and record["found"] is True  # balanced, the default
    assert len(record["keypoints"]) == 16 and record["forward_passes"] > 1
    assert record["keypoints"][0]["name"] == "head_top" and record["keypoints"][-1]["name"] == "left_ankle"
    head, ankle = record["keypoints"][0], record["keypoints"][-1]
    assert head["y"] < ankle["y"]  # upright person in the upstream sample
    assert out.stat().st_size > 10_000


def test_image_says_when_nobody_is_there(tmp_path, capsys):
    from poseapp.io.images import write_image
    from tests.conftest import nobody_pictures

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
    assert result.returncode == 2  # the one rule: bad input exits 2, whatever the command
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


@pytest.mark.parametrize(
    "args, message",
    [
        (["image", "x.jpg", "--threads", "10000"], "outside 1.."),
        (["image", "x.jpg", "--scales", "nan"], "outside 0.25..4"),
        (["image", "x.jpg", "--threads", "two"], "'two' is not a whole number"),
        (["video", "x.mp4", "--out", "o", "--cutoff", "0"], "outside 0.1..100"),
        (["video", "x.mp4", "--out", "o", "--cutoff", "1000"], "outside 0.1..100"),
        (["video", "x.mp4", "--out", "o", "--workers", "0"], "outside 1.."),
        (["video", "x.mp4", "--out", "o", "--threshold", "1.5"], "outside 0..1"),
        (["bench", "--runs", "0"], "outside 1..100000"),
        (["train", "--data", "d", "--out", "o", "--batch", "0"], "outside 1..4096"),
        (["train", "--data", "d", "--out", "o", "--steps-per-epoch", "-3"], "outside 1.."),
        (["train", "--data", "d", "--out", "o", "--epochs", "0"], "outside 1.."),
        (["train", "--data", "d", "--out", "o", "--lr-high", "inf"], "outside"),
    ],
)
def test_numbers_are_checked_when_parsed(args, message, capsys):
    """Every numeric option has a range; outside it the command stops at once with exit code 2."""
    with pytest.raises(SystemExit) as stop:
        main(args)
    assert stop.value.code == 2
    assert message in capsys.readouterr().err


def test_thin_and_huge_images_are_refused_quickly_and_the_batch_goes_on(tmp_path, capsys):
    """A 1x500 PNG, a 30000x30000 PNG whose header is all it has, a 300 MB file named .jpg: each
    one message, and the real image after them is still analysed."""
    import struct
    import zlib

    import cv2
    import numpy as np

    thin = tmp_path / "thin.png"
    cv2.imwrite(str(thin), np.full((500, 1, 3), 128, np.uint8))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 30000, 30000, 8, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(b"\0" * 90001)) + chunk(b"IEND", b""))
    big = tmp_path / "big.jpg"
    with open(big, "wb") as f:  # sparse: no disk used
        f.truncate(300 * 2**20)
    code = main(["image", str(thin), str(bomb), str(big), str(UPSTREAM / "MPII.jpg"), "--json"])
    captured = capsys.readouterr()
    assert code == 2
    assert "too small" in captured.err and "megapixels" in captured.err and "300 MB" in captured.err
    assert json.loads(captured.out.strip().splitlines()[-1])["found"] is True


def test_search_windows_are_bounded_whatever_the_shape():
    from poseapp.localise.search import AutoSearch

    search = AutoSearch()
    assert len(search.windows(32, 100_000)) <= 1 + 3 * 8 * 8  # at most 8 positions a side, per scale
    assert len(search.windows(540, 960)) == len(AutoSearch(max_positions=1000).windows(540, 960))


def test_annotated_image_draws_only_joints_over_the_threshold(tmp_path, capsys):
    """One rule for every drawing: on a small person RT is unsure of, the low joints are left out
    (the threshold is written on the image) and a lower --threshold draws more."""
    import cv2
    import numpy as np

    image = MPII_DIR / "004645041.jpg"
    out, everything = tmp_path / "pose.png", tmp_path / "all.png"
    assert main(["image", str(image), "--json", "--out", str(out), "--quality", "fast"]) == 0
    record = json.loads(capsys.readouterr().out)
    low = [k for k in record["keypoints"] if k["score"] < 0.3]
    assert low, "this image has joints RT scores under 0.3"
    assert main(["image", str(image), "--out", str(everything), "--threshold", "0", "--quality", "fast"]) == 0
    drawn, full, plain = (cv2.imread(str(p)) for p in (out, everything, image))
    assert (np.abs(full.astype(int) - plain).sum(2) > 60).sum() > (np.abs(drawn.astype(int) - plain).sum(2) > 60).sum()
    from poseapp.draw import DRAW_THRESHOLD, draw_pose
    from poseapp.pose import Box, Pose

    assert DRAW_THRESHOLD == 0.3  # the default of image --out, video --annotate and the window
    kp = np.array([[k["x"], k["y"], k["score"]] for k in record["keypoints"]])
    pose = Pose(kp, Box(**record["box"]), "RT")
    rgb = plain[:, :, ::-1].copy()
    assert np.array_equal(draw_pose(rgb, pose), draw_pose(rgb, pose, 0.3))
    assert not np.array_equal(draw_pose(rgb, pose, legend=True), draw_pose(rgb, pose))  # the legend is written


def test_image_output_errors_are_messages(tmp_path):
    result = run_cli("image", str(UPSTREAM / "MPII.jpg"), "--out", str(tmp_path / "no" / "such" / "pose.png"))
    assert result.returncode == 2 and "does not exist" in result.stderr and "Traceback" not in result.stderr
    result = run_cli("image", str(UPSTREAM / "MPII.jpg"), "--out", str(tmp_path / "pose.xyz"))
    assert result.returncode == 2 and ".png or .jpg" in result.stderr


def test_json_never_holds_nan():
    import numpy as np

    from poseapp.io.atomic import dumps

    text = dumps({"score": float("nan"), "rows": [1.0, float("inf")], "n": np.int64(3)})
    assert json.loads(text) == {"score": None, "rows": [1.0, None], "n": 3}


def test_first_use_of_a_model_says_it_is_preparing(tmp_path):
    result = run_cli("image", str(UPSTREAM / "MPII.jpg"), "--roi", "full", "--quality", "fast",
                     env={"POSEAPP_CACHE": str(tmp_path)})
    assert result.returncode == 0 and "preparing the RT model for this machine (first use" in result.stderr
    again = run_cli("image", str(UPSTREAM / "MPII.jpg"), "--roi", "full", "--quality", "fast",
                    env={"POSEAPP_CACHE": str(tmp_path)})
    assert "preparing" not in again.stderr


def test_quality_presets_and_explicit_options_over_them(capsys):
    from poseapp.presets import PRESETS, resolve_quality

    assert resolve_quality("accurate", None, None, None) == PRESETS["accurate"]
    mixed = resolve_quality("accurate", "RT", True, None)
    assert (mixed.model, mixed.flip, mixed.scales) == ("RT", True, (0.8, 1.0, 1.2))
    assert main(["image", str(UPSTREAM / "MPII.jpg"), "--quality", "fast", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["model"] == "RT"


def test_the_overall_count_never_drops_back_between_passes_or_videos(capsys, monkeypatch):
    """A look-through for who walks, then the pose pass, then a second video alongside: the batch's
    frame count only grows, counts each frame analysed once (issue 35, item 20: the look-through's
    frames were added in, 438 for a 230-frame clip) and ends at the frames of the videos."""
    from types import SimpleNamespace

    from poseapp.cli import _VideoProgress

    bar = _VideoProgress(2, every=0.0)
    monkeypatch.setattr(bar, "tty", False)
    overall = []

    def step(*args):
        bar.frame(*args)
        overall.append(int(capsys.readouterr().err.split("overall ")[-1].split()[0]))

    step("a.mp4: looking for who walks", 100, 230, 50.0)
    step("a.mp4: looking for who walks", 230, 230, 50.0)
    step("a.mp4", 10, 230, 5.0)
    step("b.mp4", 40, 100, 5.0)  # a second worker's video
    step("a.mp4", 230, 230, 5.0)
    bar.video(SimpleNamespace(source="/clips/a.mp4", status="done", frames=230, fps=5.0, outputs=[], warnings=[]))
    step("b.mp4", 100, 100, 5.0)
    assert overall == [0, 0, 10, 50, 270, 330] and overall == sorted(overall)
    bar.video(SimpleNamespace(source="/clips/b.mp4", status="done", frames=100, fps=5.0, outputs=[], warnings=[]))
    assert bar.frames == 330 and not bar.running


def test_help_says_no_command_opens_the_window_and_how_to_work_offline(capsys):
    """Issue 35, item 17: `poseapp --help` did not say that no subcommand opens the window."""
    with pytest.raises(SystemExit):
        main(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "Without a command, poseapp opens the desktop window" in text
    assert "poseapp weights import FOLDER" in text and "POSEAPP_WEIGHTS_SOURCE" in text
