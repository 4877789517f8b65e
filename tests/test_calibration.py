"""Calibration to metres: from the height on the synthetic walker, from a line, the floor's tilt,
the file round trip, and the messages for bad values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from poseapp import calibration
from poseapp.errors import PoseappError
from tests.walker import walk


def test_height_gives_the_scale_within_one_percent():
    w = walk(fps=30)
    cal = calibration.from_height(w.xy, 1.75)
    assert cal.metres_per_pixel == pytest.approx(1 / 200, rel=0.01) and cal.frames_used >= 3
    assert "height 1.75 m" in cal.describe()


def test_height_needs_straight_frames():
    w = walk(fps=30)
    bent = w.xy.copy()
    bent[:, :, :] = np.nan  # nobody seen
    with pytest.raises(PoseappError, match="straight"):
        calibration.from_height(bent, 1.75)


def test_line_and_its_checks():
    cal = calibration.from_line("100,100,300,100,1.0")
    assert cal.metres_per_pixel == pytest.approx(0.005) and cal.method == "line"
    assert calibration.from_line((0, 0, 30, 40, 0.5)).metres_per_pixel == pytest.approx(0.01)
    for bad, message in (("1,2,3,4", "five numbers"), ("0,0,0,0,1", "same pixel"), ("0,0,9,0,-1", "more than 0"),
                         ("a,b,c,d,e", "five numbers"), ("0,0,9,0,nan", "five numbers")):
        with pytest.raises(PoseappError, match=message):
            calibration.parse_scale_line(bad)


@pytest.mark.parametrize("height, message", [(0, "height in metres"), (-1.7, "height in metres"),
                                             (172, "centimetres"), (3.0, "outside"), (0.3, "outside")])
def test_heights_out_of_range(height, message):
    with pytest.raises(PoseappError, match=message):
        calibration.check_height(height)


def test_floor_tilt_and_metres_along_it():
    level, tilted = walk(fps=30), walk(fps=30, tilt_deg=-4)
    assert calibration.floor_angle(level.xy, level.times) == pytest.approx(0, abs=0.3)
    assert calibration.floor_angle(tilted.xy, tilted.times) == pytest.approx(-4, abs=0.3)
    cal = calibration.Calibration(0.01, floor_deg=30)
    up_the_floor = np.array([math.cos(math.radians(30)), -math.sin(math.radians(30))]) * 100  # y down
    assert cal.to_metres(up_the_floor) == pytest.approx([1.0, 0.0], abs=1e-9)


def test_file_round_trip_and_foreign_files(tmp_path):
    cal = calibration.from_line("0,0,200,0,1", floor_deg=2.5)
    path = cal.save(tmp_path / "cal.json")
    assert calibration.load(path) == cal
    (tmp_path / "other.json").write_text('{"a": 1}')
    (tmp_path / "broken.json").write_text("{")
    for name, message in (("other.json", "not a poseapp calibration"), ("broken.json", "not JSON"),
                          ("missing.json", "cannot read")):
        with pytest.raises(PoseappError, match=message):
            calibration.load(tmp_path / name)


def test_one_way_at_a_time():
    w = walk(fps=30)
    assert calibration.calibrate(w.xy, w.times) is None
    with pytest.raises(PoseappError, match="one of"):
        calibration.calibrate(w.xy, w.times, 1.75, "0,0,1,1,1")
