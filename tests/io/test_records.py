"""The pose CSV: header from the one schema, cells round-trip, partial files, the reader's checks."""

from __future__ import annotations

import numpy as np
import pytest

from poseapp.angles import ANGLE_NAMES
from poseapp.errors import PoseappError
from poseapp.io.atomic import partial_path
from poseapp.io.records import RecordWriter, columns, read_records


def test_columns_follow_the_schema():
    plain, smooth = columns(False), columns(True)
    assert plain[:5] == ["frame", "time_s", "found", "score", "head_top_x"]
    assert len(plain) == 4 + 48 + len(ANGLE_NAMES) and len(smooth) == len(plain) + 32
    assert plain[-len(ANGLE_NAMES):] == list(ANGLE_NAMES) and "left_ankle_y_smooth" in smooth


def test_round_trip_with_missing_values(tmp_path):
    path = tmp_path / "rec.csv"
    kp = np.random.default_rng(1).uniform(0, 500, (16, 3))
    with RecordWriter(path, smoothed=True) as w:
        w.write(0, 0.0, True, kp, kp[:, :2] + 1, {"left_knee_flexion": 12.5})
        w.write(1, 0.033, False, kp, np.full((16, 2), np.nan), {})
    rec = read_records(path)
    assert rec.smoothed and rec.values.shape == (2, len(columns(True)))
    assert rec.column("head_top_x")[0] == pytest.approx(kp[0, 0], abs=0.01)
    assert rec.column("head_top_x_smooth")[0] == pytest.approx(kp[0, 0] + 1, abs=0.01)
    assert rec.column("left_knee_flexion")[0] == 12.5 and np.isnan(rec.column("right_knee_flexion")[0])
    assert rec.column("found").tolist() == [1, 0] and np.isnan(rec.column("head_top_x")[1])


def test_flushes_as_it_goes_and_discards_on_error(tmp_path):
    path = tmp_path / "rec.csv"
    kp = np.ones((16, 3))
    with pytest.raises(RuntimeError), RecordWriter(path, smoothed=False, flush_every=2) as w:
        for i in range(4):
            w.write(i, i / 30, True, kp, None, {})
        assert len(partial_path(path).read_text().splitlines()) == 5  # header + 4 rows on disk already
        raise RuntimeError("the recording stops")
    assert not path.exists() and not partial_path(path).exists()


def test_reader_rejects_what_is_not_a_pose_csv(tmp_path):
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n")
    with pytest.raises(PoseappError, match="schema"):
        read_records(other)
    ragged = tmp_path / "ragged.csv"
    ragged.write_text(",".join(columns(False)) + "\n0,0.0,1\n")
    with pytest.raises(PoseappError, match="line 2"):
        read_records(ragged)
