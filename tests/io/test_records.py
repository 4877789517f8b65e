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


def _walk_csv(path, rows: int = 6) -> list[str]:
    """A valid pose CSV of ``rows`` frames at 30 fps; its lines."""
    kp = np.random.default_rng(2).uniform(10, 500, (16, 3))
    with RecordWriter(path, smoothed=False) as w:
        for i in range(rows):
            w.write(i, i / 30, True, kp, None, {})
    return path.read_text().splitlines()


@pytest.mark.parametrize("edit, message", [
    (lambda cells: cells.__setitem__(1, "0.0"), "does not come after"),  # a repeated time
    (lambda cells: cells.__setitem__(1, "-1.0"), "does not come after"),  # time going backwards
    (lambda cells: cells.__setitem__(1, ""), "time_s is empty"),
    (lambda cells: cells.__setitem__(4, "inf"), "head_top_x is infinite"),
    (lambda cells: cells.__setitem__(10, "-Infinity"), "is infinite"),
])
def test_times_must_increase_and_values_be_finite(tmp_path, edit, message):
    """Time going back or standing still, or an infinite cell, would give gait figures that are
    wrong with exit 0 (a step of -0.067 s, a step length of 1e305 m): the file is refused, naming
    the line."""
    path = tmp_path / "rec.csv"
    lines = _walk_csv(path)
    cells = lines[2].split(",")
    edit(cells)
    lines[2] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(PoseappError, match=message) as caught:
        read_records(path)
    assert "line 3" in str(caught.value)


def test_a_byte_order_mark_is_not_a_column(tmp_path):
    """A CSV saved again by Excel starts with a byte-order mark: still read."""
    path = tmp_path / "rec.csv"
    lines = _walk_csv(path)
    path.write_bytes(b"\xef\xbb\xbf" + ("\r\n".join(lines) + "\r\n").encode())
    assert read_records(path).values.shape[0] == 6


def test_special_files_and_oversized_files_are_refused_before_reading(tmp_path, monkeypatch):
    import os

    from poseapp.io import records

    with pytest.raises(PoseappError, match="not a regular file"):
        read_records("/dev/zero")
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)  # opening it would wait for a writer for ever
    with pytest.raises(PoseappError, match="not a regular file"):
        read_records(fifo)
    path = tmp_path / "rec.csv"
    _walk_csv(path)
    monkeypatch.setattr(records, "MAX_CSV_BYTES", 1000)
    with pytest.raises(PoseappError, match="larger than a pose CSV"):
        read_records(path)


def test_a_large_csv_is_read_in_a_stream(tmp_path):
    """100,000 rows (a 50 MB file): memory grows by about the table's numbers, not the ~19 times the
    file's size that a list of rows of strings took (936 MB)."""
    import subprocess
    import sys

    path = tmp_path / "big.csv"
    header = ",".join(columns(False))
    row = ",".join(["{i}", "{t}", "1", "0.5"] + ["100.25"] * (len(columns(False)) - 4))
    with open(path, "w") as f:
        f.write(header + "\n")
        for i in range(100_000):
            f.write(row.format(i=i, t=f"{i / 30:.6f}") + "\n")
    code = ("import resource, sys\nfrom poseapp.io.records import read_records\n"
            "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
            f"rec = read_records({str(path)!r})\n"
            "print(rec.values.shape[0], rec.values.nbytes // 2**20, "
            "(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    rows, table_mb, grew_mb = (int(v) for v in out)
    size_mb = path.stat().st_size / 2**20
    assert rows == 100_000 and size_mb > 40
    assert grew_mb < 3 * table_mb + 50 < 5 * size_mb, (grew_mb, table_mb, size_mb)
