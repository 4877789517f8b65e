"""``poseapp video`` end to end: shared clips, the built clip, bad files in the same batch, skipping."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from poseapp.angles import ANGLE_NAMES
from poseapp.batch import VideoOptions, analyse_video, expand_inputs, run_batch
from poseapp.cli import main
from poseapp.io.records import columns, read_records
from poseapp.io.video import VideoReader
from poseapp.joints import JOINTS
from tests.conftest import SHARED
from tests.io.test_video import DEMO, POSETRACK


def bad_files(folder):
    """A text file named .mp4, and a real MP4 with its second half cut off."""
    text = folder / "notes.mp4"
    text.write_text("patient 12, session 3\n" * 40)
    corrupt = folder / "corrupt.mp4"
    data = POSETRACK.read_bytes()
    corrupt.write_bytes(data[: len(data) // 2])
    return text, corrupt


def test_batch_reports_bad_files_and_completes_good_ones(tmp_path, capsys):
    inputs = tmp_path / "in"
    inputs.mkdir()
    text, corrupt = bad_files(inputs)
    out = tmp_path / "out"
    code = main(["video", str(DEMO), str(POSETRACK), str(text), str(corrupt), str(tmp_path / "missing.mp4"),
                 "--out", str(out), "--smooth", "butterworth", "--annotate"])
    err = capsys.readouterr().err
    assert code == 1
    assert "2 done, 0 skipped, 3 failed" in err
    for bad in (text, corrupt, tmp_path / "missing.mp4"):  # one line each, in the summary at the end
        assert f"failed: {bad}: " in err
    for video in (DEMO, POSETRACK):
        stem = video.stem
        rec = read_records(out / f"{stem}.csv")
        assert rec.smoothed and rec.columns == columns(True)
        assert len(rec.values) == len(list(VideoReader(video))) == 5
        meta = json.loads((out / f"{stem}.json").read_text())
        assert meta["frames"] == 5 and meta["model"] == "RT" and meta["csv_schema"] == 1
        assert meta["weights"]["git_blob"] and meta["source"]["size_bytes"] == video.stat().st_size
        assert set(meta["range_of_motion"]) == set(ANGLE_NAMES)
        assert (out / f"{stem}_angles.png").stat().st_size > 5000
        assert len(list(VideoReader(out / f"{stem}_pose.mp4"))) == 5
    assert not list(out.glob("notes*")) and not list(out.glob("corrupt*")) and not list(out.glob(".*"))
    summary = (out / "summary.csv").read_text().splitlines()
    assert summary[0] == "video,angle,min,max,mean,range,frames" and len(summary) == 1 + 2 * len(ANGLE_NAMES)


def test_existing_results_are_skipped_unless_overwrite(tmp_path):
    options = VideoOptions(roi="full")
    first = analyse_video(DEMO, tmp_path, options)
    assert first.status == "done" and first.frames == 5
    stamp = (tmp_path / "demo.json").stat().st_mtime_ns
    again = analyse_video(DEMO, tmp_path, options)
    assert again.status == "skipped" and (tmp_path / "demo.json").stat().st_mtime_ns == stamp
    assert analyse_video(DEMO, tmp_path, VideoOptions(roi="full", overwrite=True)).status == "done"


def test_inputs_from_folders_and_globs(tmp_path):
    folder = SHARED / "data" / "mmpose-samples"
    assert expand_inputs([str(folder)]) == [DEMO]
    assert expand_inputs([str(folder / "posetrack18" / "videos" / "*" / "*.mp4")]) == [POSETRACK]
    assert expand_inputs(["nowhere.mp4"])[0].name == "nowhere.mp4"  # kept, to be reported missing


def test_workers_give_the_same_rows(tmp_path):
    options = VideoOptions(roi="full")
    one = run_batch([DEMO, POSETRACK], tmp_path / "one", options, workers=1)
    two = run_batch([DEMO, POSETRACK], tmp_path / "two", options, workers=2)
    assert {r.status for r in one + two} == {"done"}
    for stem in (DEMO.stem, POSETRACK.stem):
        a, b = read_records(tmp_path / "one" / f"{stem}.csv"), read_records(tmp_path / "two" / f"{stem}.csv")
        assert np.allclose(a.values, b.values, atol=0.05, equal_nan=True)


@pytest.fixture(scope="module")
def clip_records(pan_zoom_clip, tmp_path_factory):
    """The built 300-frame clip through the command line, tracked and Butterworth-smoothed."""
    out = tmp_path_factory.mktemp("clip_out")
    assert main(["video", str(pan_zoom_clip.path), "--out", str(out), "--smooth", "butterworth"]) == 0
    return read_records(out / f"{pan_zoom_clip.path.stem}.csv")


def test_clip_rows_columns_and_angles(clip_records):
    rec = clip_records
    assert len(rec.values) == 300 and rec.columns == columns(True)
    assert np.all(np.diff(rec.column("time_s")) > 0) and rec.column("found").mean() > 0.9
    # the elbow angle again, by hand from the smoothed columns
    sh, el, wr = (np.stack([rec.column(f"left_{j}_x_smooth"), rec.column(f"left_{j}_y_smooth")], 1)
                  for j in ("shoulder", "elbow", "wrist"))
    u, v = sh - el, wr - el
    inner = np.degrees(np.arctan2(np.abs(u[:, 0] * v[:, 1] - u[:, 1] * v[:, 0]), (u * v).sum(1)))
    ok = np.isfinite(inner)
    assert ok.sum() > 200
    assert np.allclose(rec.column("left_elbow_flexion")[ok], 180 - inner[ok], atol=0.1)  # cells hold 2 decimals


def test_smoothing_reduces_jitter(clip_records):
    """Frame-to-frame jitter (mean |second difference|) of the joints, raw against Butterworth."""
    rec = clip_records

    def jitter(suffix: str) -> float:
        xy = np.stack([rec.column(f"{j}_{c}{suffix}") for j in JOINTS for c in ("x", "y")], 1)
        return float(np.nanmean(np.abs(np.diff(xy, n=2, axis=0))))

    assert jitter("_smooth") < 0.5 * jitter("")


def test_ray_engine_runs_the_same_function(tmp_path):
    """Ray on a local instance (no RAY_ADDRESS): good and missing files, the same outputs as local."""
    pytest.importorskip("ray")
    results = run_batch([DEMO, tmp_path / "missing.mp4"], tmp_path, VideoOptions(roi="full"), engine="ray")
    by_name = {r.source.rsplit("/", 1)[-1]: r for r in results}
    assert by_name["demo.mp4"].status == "done" and by_name["missing.mp4"].status == "failed"
    assert len(read_records(tmp_path / "demo.csv").values) == 5 and (tmp_path / "summary.csv").exists()


def test_ctrl_c_leaves_no_partial_files(pan_zoom_clip, tmp_path):
    """SIGINT while a video is being written: the command stops with 130 and leaves nothing behind."""
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "poseapp", "video", str(pan_zoom_clip.path), "--out", str(out),
                             "--annotate"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not list(out.glob(".*partial*")) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert proc.poll() is None, "the run ended before it could be interrupted"
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=60) == 130
    assert list(out.iterdir()) == []
