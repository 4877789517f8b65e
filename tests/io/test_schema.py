"""Hostile JSON against every reader of it (issue 36, item 3): each field of a result, a gait file
and a calibration given the wrong type, a non-finite or huge number, or nested too deep; every
command that reads it answers one line naming the file and the field, exit 2, and writes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from poseapp.calibration import Calibration
from poseapp.cli import main
from poseapp.gait import analyse_gait
from poseapp.io.atomic import write_json
from tests.outputs.test_formats import write_result
from tests.test_gait import write_csv
from tests.walker import walk

DEEP = "[" * 5000 + "]" * 5000


@pytest.fixture
def result(tmp_path) -> Path:
    """A result of the synthetic walk with its gait file and a calibration, as ``poseapp video
    --gait --height`` leaves them."""
    path = write_result(tmp_path)
    w = walk(seconds=3.0, fps=30)
    gait = analyse_gait(w.xy, w.times)
    write_json(path.with_name("clip_gait.json"), gait)
    meta = json.loads(path.read_text())
    meta["range_of_motion"] = {"left_knee_flexion": {"min": 1.0, "max": 60.0, "mean": 20.0, "range": 59.0,
                                                     "frames": 90}}
    meta["calibration"] = Calibration(0.002, 0.5, "height", 1.65).to_json()
    meta["subject"] = {"name": "A. Walker"}
    meta["options"] = {"threshold": 0.3, "roi": "track", "smooth": "butterworth"}
    write_json(path, meta)
    return path


def _set(data: dict, where: str, value: object) -> None:
    *parents, last = where.split(".")
    for key in parents:
        data = data[int(key)] if isinstance(data, list) else data[key]
    data[int(last) if isinstance(data, list) else last] = value


RESULT_CASES = [
    ("source", "abc"), ("source.fps", "abc"), ("source.fps", -30), ("source.fps", 1e300), ("source.fps", True),
    ("csv_schema", "2"), ("range_of_motion", [1, 2]), ("range_of_motion.left_knee_flexion.max", "<b>"),
    ("range_of_motion.left_knee_flexion.frames", -1), ("subject", ["x"]), ("subject.name", 5),
    ("options", "fast"), ("options.threshold", 7), ("calibration.metres_per_pixel", "0.002"),
    ("calibration.metres_per_pixel", 1e300), ("calibration.floor_deg", 1e999), ("calibration.origin_px", [1, 2, 3]),
    ("models", "RT"), ("created", {"a": 1}),
]
GAIT_CASES = [
    ("events", "none"), ("events.0", "heel strike"), ("events.0.time_s", "0.3"), ("events.0.side", "middle"),
    ("sides", []), ("sides.left.stance_pct.n", "<script>"), ("sides.left.stance_pct.mean", 1e999),
    ("symmetry_index_pct", 5), ("cycles", []), ("cycles.left.knee_flexion.mean", [1, 2]), ("unit", "feet"),
    ("calibration.floor_deg", 1e999),
]
CALIBRATION_CASES = [
    ("metres_per_pixel", "0.002"), ("metres_per_pixel", 0), ("metres_per_pixel", 1e300), ("floor_deg", 1e999),
    ("floor_deg", "level"), ("origin_px", [0, 1, 2]), ("origin_px", "0,0"), ("method", ["height"]),
    ("height_m", 170), ("kind", "other"),
]


def _one_line(err: str, path: Path, field: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert str(path) in lines[0], lines[0]
    assert field.split(".")[-1] in lines[0] or "not JSON" in lines[0] or "poseapp calibration" in lines[0], lines[0]


@pytest.mark.parametrize("field, value", RESULT_CASES)
def test_a_result_with_a_wrong_field_is_refused_by_export_and_report(result, tmp_path, capsys, field, value):
    meta = json.loads(result.read_text())
    _set(meta, field, value)
    result.write_text(json.dumps(meta))
    out = tmp_path / "out"
    assert main(["export", str(result), "--formats", "trc,c3d", "--out", str(out)]) == 2
    _one_line(capsys.readouterr().err, result, field)
    assert main(["report", str(result), "--out", str(tmp_path / "r.pdf")]) == 2
    _one_line(capsys.readouterr().err, result, field)
    assert not out.exists() and not list(tmp_path.glob("r.*"))


@pytest.mark.parametrize("field, value", GAIT_CASES)
def test_a_gait_file_with_a_wrong_field_is_refused_by_export_and_report(result, tmp_path, capsys, field, value):
    gait_path = result.with_name("clip_gait.json")
    gait = json.loads(gait_path.read_text())
    gait["calibration"] = Calibration(0.002, 0.5, "height", 1.65).to_json()
    _set(gait, field, value)
    gait_path.write_text(json.dumps(gait))
    assert main(["export", str(result), "--formats", "c3d", "--out", str(tmp_path / "out")]) == 2
    _one_line(capsys.readouterr().err, gait_path, field)
    assert main(["report", str(result), "--out", str(tmp_path / "r.pdf")]) == 2
    _one_line(capsys.readouterr().err, gait_path, field)


@pytest.mark.parametrize("field, value", CALIBRATION_CASES)
def test_a_calibration_file_with_a_wrong_field_is_refused_before_any_work(tmp_path, capsys, field, value):
    """``gait --calibration`` and ``video --calibration`` (checked before the pose pass: a bad file
    no longer crashes a batch after it, writing nothing, not even summary.csv)."""
    cal = Calibration(0.002, 0.5, "height", 1.65).to_json()
    _set(cal, field, value)
    path = tmp_path / "cal.json"
    path.write_text(json.dumps(cal))
    write_csv(tmp_path / "walk.csv", walk(fps=60))
    gait = ["gait", str(tmp_path / "walk.csv"), "--calibration", str(path), "--out", str(tmp_path / "g.json")]
    assert main(gait) == 2
    _one_line(capsys.readouterr().err, path, field)
    from tests.conftest import SHARED

    video = SHARED / "data" / "sports2d-demo" / "demo.mp4"
    assert main(["video", str(video), "--calibration", str(path), "--out", str(tmp_path / "v")]) == 2
    assert str(path) in capsys.readouterr().err and not (tmp_path / "v").exists()


@pytest.mark.parametrize("text", [DEEP, '{"poseapp": "x", "csv_schema": 2, "source": {"fps": NaN}}', "[]", "7",
                                  '{"poseapp": "x", "csv_schema": 2, "frames": Infinity}'])
def test_deep_nesting_nan_tokens_and_other_shapes_are_one_line(result, tmp_path, capsys, text):
    result.write_text(text)
    assert main(["report", str(result), "--out", str(tmp_path / "r.pdf")]) == 2
    _one_line(capsys.readouterr().err, result, "")


def test_a_device_or_an_oversized_file_is_not_read(result, tmp_path, capsys, monkeypatch):
    from poseapp.io import schema

    write_csv(tmp_path / "walk.csv", walk(fps=60))
    assert main(["gait", str(tmp_path / "walk.csv"), "--calibration", "/dev/zero"]) == 2
    assert "not a regular file" in capsys.readouterr().err
    monkeypatch.setattr(schema, "MAX_JSON_BYTES", 100)
    assert main(["export", str(result), "--formats", "c3d"]) == 2
    assert "larger than a poseapp result" in capsys.readouterr().err
