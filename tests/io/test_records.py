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
    metres = columns(True, metres=True)
    assert len(metres) == len(smooth) + 32 and metres.index("head_top_x_m") > metres.index("left_ankle_y_smooth")


def test_metre_columns_and_schema_1_files_still_read(tmp_path):
    from poseapp.angles import JOINT_ANGLE_NAMES

    path = tmp_path / "m.csv"
    kp = np.ones((16, 3))
    with RecordWriter(path, smoothed=False, metres=True) as w:
        w.write(0, 0.0, True, kp, None, {}, np.full((16, 2), 1.25))
        with pytest.raises(ValueError, match="metre"):
            w.write(1, 0.1, True, kp, None, {})
    rec = read_records(path)
    assert rec.metres and rec.schema == 2 and rec.column("pelvis_y_m")[0] == 1.25
    old = tmp_path / "old.csv"
    old.write_text(",".join(columns(False, schema=1)) + "\n" + ",".join(["0", "0.0", "1", "1"] + ["1"] * 48
                                                                       + ["5"] * len(JOINT_ANGLE_NAMES)) + "\n")
    rec = read_records(old)
    assert rec.schema == 1 and rec.column("left_knee_flexion")[0] == 5 and rec.keypoints().shape == (1, 16, 3)


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
    with pytest.raises(PoseappError, match="not a poseapp pose CSV"):
        read_records(other)
    ragged = tmp_path / "ragged.csv"
    ragged.write_text(",".join(columns(False)) + "\n0,0.0,1\n")
    with pytest.raises(PoseappError, match="line 2"):
        read_records(ragged)
    from tests.conftest import SHARED

    video = SHARED / "data" / "sports2d-demo" / "demo.mp4"  # a video given where the CSV belongs
    with pytest.raises(PoseappError, match="not a text table"):
        read_records(video)
    nul = tmp_path / "nul.csv"
    nul.write_bytes(b"frame,time\x00,found\n")
    with pytest.raises(PoseappError, match="not a poseapp pose CSV"):
        read_records(nul)
