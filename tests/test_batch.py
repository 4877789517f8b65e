"""``poseapp video`` end to end: shared clips, the built clip, bad files in the same batch, skipping."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from poseapp import batch
from poseapp.angles import ANGLE_NAMES
from poseapp.batch import VideoOptions, analyse_video, auto_workers, expand_inputs, run_batch
from poseapp.cli import main
from poseapp.errors import PoseappError
from poseapp.io.folder_lock import LOCK_NAME, folder_lock
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
                 "--out", str(out), "--smooth", "butterworth", "--annotate", "--quality", "fast"])
    err = capsys.readouterr().err
    assert code == 2  # any input failed: bad input, after the others were done
    assert "2 done, 0 skipped, 3 failed" in err
    for bad in (text, corrupt, tmp_path / "missing.mp4"):  # one line each, in the summary at the end
        assert f"failed: {bad}: " in err
    for video in (DEMO, POSETRACK):
        stem = video.stem
        rec = read_records(out / f"{stem}.csv")
        assert rec.smoothed and rec.columns == columns(True)
        assert len(rec.values) == len(list(VideoReader(video))) == 5
        meta = json.loads((out / f"{stem}.json").read_text())
        assert meta["frames"] == 5 and meta["model"] == "RT" and meta["csv_schema"] == 2
        assert meta["weights"]["RT"]["git_blob"] and meta["source"]["size_bytes"] == video.stat().st_size
        assert set(meta["range_of_motion"]) == set(ANGLE_NAMES)
        assert (out / f"{stem}_angles.png").stat().st_size > 5000
        assert len(list(VideoReader(out / f"{stem}_pose.mp4"))) == 5
    assert not list(out.glob("notes*")) and not list(out.glob("corrupt*"))
    assert not list(out.glob(".*"))  # no partial file, and the run lock removed (issue 35, item 21)
    summary = (out / "summary.csv").read_text().splitlines()
    assert summary[0] == "video,source,angle,min,max,mean,range,frames" and len(summary) == 1 + 2 * len(ANGLE_NAMES)


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


def test_auto_workers_one_per_core_within_videos_memory_and_gpu(monkeypatch):
    page = 4096
    monkeypatch.setattr(batch.os, "cpu_count", lambda: 8)
    monkeypatch.setattr("poseapp.inference.backends.available_devices", lambda: ["cpu"])
    free = {"SC_AVPHYS_PAGES": 64 * 2**30 // page, "SC_PAGE_SIZE": page}
    monkeypatch.setattr(batch.os, "sysconf", lambda key: free[key])
    assert auto_workers(1) == 1 and auto_workers(3) == 3 and auto_workers(20) == 8
    free["SC_AVPHYS_PAGES"] = 3 * batch.WORKER_MB * 2**20 // page  # room for three models
    assert auto_workers(20) == 3
    free["SC_AVPHYS_PAGES"] = 0
    assert auto_workers(20) == 1  # never none
    monkeypatch.setattr("poseapp.inference.backends.available_devices", lambda: ["cuda", "cpu"])
    assert auto_workers(20) == 1 and auto_workers(20, "auto") == 1
    free["SC_AVPHYS_PAGES"] = 64 * 2**30 // page
    assert auto_workers(20, "cpu") == 8  # the GPU is not used, the cores are


def test_a_folder_goes_to_the_workers_by_default(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(batch, "auto_workers", lambda videos, device="auto": 2)
    seen = {}
    real = batch._run

    def spy(sources, out_dir, options, workers, *rest):
        seen["workers"] = workers
        return real(sources, out_dir, options, workers, *rest)

    monkeypatch.setattr(batch, "_run", spy)
    assert main(["video", str(DEMO), str(POSETRACK), "--out", str(tmp_path), "--roi", "full",
                 "--quality", "fast"]) == 0
    assert seen["workers"] == 2 and "2 videos, 2 at once" in capsys.readouterr().err


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
    results = run_batch([DEMO, tmp_path / "missing.mp4"], tmp_path, VideoOptions(roi="full"), executor="ray")
    by_name = {r.source.rsplit("/", 1)[-1]: r for r in results}
    assert by_name["demo.mp4"].status == "done" and by_name["missing.mp4"].status == "failed"
    assert len(read_records(tmp_path / "demo.csv").values) == 5 and (tmp_path / "summary.csv").exists()


def _hears_ctrl_c() -> None:
    """Ctrl-C as at a terminal, also when the tests run as a background job (which ignores SIGINT,
    and its children inherit that)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.skipif(sys.platform == "win32", reason="Ctrl-C is a console event on Windows, not SIGINT")
def test_ctrl_c_leaves_no_partial_files(pan_zoom_clip, tmp_path):
    """SIGINT while a video is being written: the command stops with 130 and leaves nothing behind."""
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "poseapp", "video", str(pan_zoom_clip.path), "--quality", "fast",
                             "--out", str(out),
                             "--annotate"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=_hears_ctrl_c)
    deadline = time.monotonic() + 120
    while not list(out.glob(".*partial*")) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert proc.poll() is None, "the run ended before it could be interrupted"
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=60) == 130
    assert [p.name for p in out.iterdir()] == [LOCK_NAME]


def test_inputs_sharing_a_name_keep_their_own_results(tmp_path):
    """subjA/clip.mp4 and subjB/clip.mp4: both analysed, each under its folder, two summary rows."""
    for subject in ("subjA", "subjB"):
        (tmp_path / subject).mkdir()
        (tmp_path / subject / "clip.mp4").write_bytes(POSETRACK.read_bytes())
    sources = [tmp_path / "subjA" / "clip.mp4", tmp_path / "subjB" / "clip.mp4"]
    out = tmp_path / "out"
    results = run_batch(sources, out, VideoOptions(roi="full"))
    assert [r.status for r in results] == ["done", "done"]
    assert (out / "subjA" / "clip.json").exists() and (out / "subjB" / "clip.json").exists()
    names = {line.split(",")[0] for line in (out / "summary.csv").read_text().splitlines()[1:]}
    assert names == {"subjA/clip", "subjB/clip"}
    again = run_batch(sources, out, VideoOptions(roi="full"))  # skipped each on its own result
    assert [r.status for r in again] == ["skipped", "skipped"]


def test_a_second_run_into_the_same_folder_is_refused(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    with folder_lock(out):
        with pytest.raises(PoseappError, match="another poseapp run"):
            run_batch([POSETRACK], out, VideoOptions(roi="full"))
    assert not (out / f"{POSETRACK.stem}.json").exists()
    assert run_batch([POSETRACK], out, VideoOptions(roi="full"))[0].status == "done"  # free again


def test_damaged_bytes_mid_file_are_skipped_not_the_rest(pan_zoom_clip, tmp_path):
    """A sixth of the 300-frame clip overwritten with noise: the frames after it are still analysed
    (ffmpeg reads on the same way), the loss is reported, and frame times stay the file's."""
    data = bytearray(pan_zoom_clip.path.read_bytes())
    n = len(data)
    data[n // 3: n // 3 + n // 6] = np.random.default_rng(0).integers(0, 256, n // 6, dtype=np.uint8).tobytes()
    damaged = tmp_path / "damaged.mp4"
    damaged.write_bytes(bytes(data))
    result = analyse_video(damaged, tmp_path / "out", VideoOptions(roi="full"))
    assert result.status == "done" and result.frames > 200
    assert any("damaged frames" in w for w in result.warnings)
    meta = json.loads((tmp_path / "out" / "damaged.json").read_text())
    assert meta["decoding"]["frames_lost"] > 0 and meta["frames"] + meta["decoding"]["frames_lost"] >= 295
    times = read_records(tmp_path / "out" / "damaged.csv").column("time_s")
    assert times[-1] == pytest.approx(299 / 30, abs=0.05) and np.max(np.diff(times)) > 0.1  # the gap shows


def test_output_errors_fail_that_video_cleanly_and_the_batch_goes_on(tmp_path, monkeypatch):
    """A full disk while the CSV is finished: a clear reason, no partial file, the next video done."""
    from poseapp.io import records

    real = records.RecordWriter.commit
    calls = []

    def full_disk(self):
        calls.append(self.path)
        if len(calls) == 1:
            raise OSError(28, "No space left on device", str(self.path))
        real(self)

    monkeypatch.setattr(records.RecordWriter, "commit", full_disk)
    out = tmp_path / "out"
    results = run_batch([DEMO, POSETRACK], out, VideoOptions(roi="full"))
    assert [r.status for r in results] == ["failed", "done"]
    assert "No space left on device" in results[0].reason
    assert not list(out.glob("demo*")) and not list(out.glob(".*partial*"))
    file_out = tmp_path / "file"
    file_out.write_text("x")
    assert main(["video", str(DEMO), "--out", str(file_out)]) == 2


def test_summary_cells_cannot_run_as_formulas(tmp_path):
    evil = tmp_path / "=HYPERLINK(1).mp4"
    evil.write_bytes(POSETRACK.read_bytes())
    run_batch([evil], tmp_path / "out", VideoOptions(roi="full"))
    row = (tmp_path / "out" / "summary.csv").read_text().splitlines()[1]
    assert row.startswith("'=HYPERLINK(1),")


def test_butterworth_that_cannot_filter_says_so(tmp_path, capsys):
    """Five frames are too few for the zero-lag filter: the result and the console say so."""
    assert main(["video", str(POSETRACK), "--out", str(tmp_path), "--smooth", "butterworth"]) == 0
    meta = json.loads((tmp_path / f"{POSETRACK.stem}.json").read_text())
    assert meta["smoothing"]["unfiltered"] == meta["smoothing"]["samples"] > 0
    assert any("unfiltered" in w for w in meta["warnings"])
    err = capsys.readouterr().err
    assert "warning: butterworth left" in err and "\r" not in err  # plain lines when not a terminal


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads the process table from /proc")
def test_killing_a_batch_ends_its_workers(pan_zoom_clip, tmp_path):
    clips = []
    for name in ("a", "b"):
        clips.append(tmp_path / f"{name}.mp4")
        clips[-1].write_bytes(pan_zoom_clip.path.read_bytes())
    proc = subprocess.Popen([sys.executable, "-m", "poseapp", "video", *map(str, clips), "--quality", "fast", "--out",
                             str(tmp_path / "out"), "--workers", "2"], stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    workers: list[int] = []
    while len(workers) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
        workers = [c for c in _children(proc.pid) if "spawn_main" in Path(f"/proc/{c}/cmdline").read_text()]
    assert len(workers) >= 2
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 15
    while any(Path(f"/proc/{w}").exists() and "Z" not in Path(f"/proc/{w}/stat").read_text().split()[2]
              for w in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    alive = [w for w in workers if Path(f"/proc/{w}").exists()
             and Path(f"/proc/{w}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"]
    assert not alive
    assert not (tmp_path / "out" / "a.json").exists()


def test_a_gait_that_cannot_be_measured_hints_at_choosing_the_walker():
    """No walk in the joints followed: the gait is a warning, and when the person was chosen by a
    rule it says how to follow the one who walks instead (a point, ``--person X,Y``); not when a
    point chose them, nor when the clip is simply too short."""
    from tests.walker import walk

    still = walk(seconds=3.0, fps=30)
    kp = np.repeat(still.keypoints()[:1], len(still.times), 0)  # someone standing: no strides
    for person, frames, hinted in (("auto", None, True), ("300,200", None, False), ("auto", 5, False)):
        warnings: list[str] = []
        batch._measures(kp[:frames], None, still.times[:frames], VideoOptions(gait=True, person=person), warnings)
        assert len(warnings) == 1 and warnings[0].startswith("gait:")
        assert ("--person X,Y" in warnings[0]) == hinted, warnings[0]


def test_nobody_walking_falls_back_to_the_rule_with_a_warning(tmp_path):
    """``--person walker`` on a street of five frames (0.8 s: nobody can be seen walking for a
    second): the rule ``auto`` is followed, the result says so; with ``--roi full``
    there is no search to look through the clip with."""
    result = analyse_video(DEMO, tmp_path, VideoOptions(person="walker"))
    assert result.status == "done" and any("nobody was seen walking" in w for w in result.warnings)
    meta = json.loads((tmp_path / "demo.json").read_text())
    assert meta["walker"]["walker"] is None and meta["walker"]["frames_looked_at"] == 2  # at 0 and 0.6 s
    assert read_records(tmp_path / "demo.csv").column("found").sum() > 0  # the rule's person instead
    full = analyse_video(DEMO, tmp_path / "full", VideoOptions(person="walker", roi="full"))
    assert full.status == "done" and any("--roi full" in w for w in full.warnings)


def test_walker_is_refused_for_a_single_image(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["image", str(SHARED / "efficientpose-upstream" / "MPII.jpg"), "--person", "walker"])
    assert stop.value.code == 2 and "needs a recorded video" in capsys.readouterr().err


def test_a_symlink_loop_among_the_inputs_fails_alone(tmp_path, capsys):
    """Issue 36, item 9: a link loop among the inputs aborted the whole batch (``resolve`` raised
    in ``output_names``); it is now one failed video and the others are analysed."""
    from poseapp.cli import main
    from tests.io.test_video import POSETRACK

    (tmp_path / "a.mp4").symlink_to(tmp_path / "b.mp4")
    (tmp_path / "b.mp4").symlink_to(tmp_path / "a.mp4")
    out = tmp_path / "out"
    code = main(["video", str(tmp_path / "a.mp4"), str(POSETRACK), "--out", str(out), "--quality", "fast"])
    said = capsys.readouterr()
    assert code == 2 and "Traceback" not in said.err and "1 done, 0 skipped, 1 failed" in said.err + said.out
    assert (out / f"{POSETRACK.stem}.csv").is_file()


def test_start_and_end_must_be_finite(capsys):
    """Issue 36, item 13: ``--start nan`` was accepted."""
    from poseapp.cli import main

    for bad in (["--start", "nan"], ["--end", "inf"], ["--start", "-1"]):
        with pytest.raises(SystemExit) as stop:
            main(["video", "x.mp4", "--out", "o", *bad])
        assert stop.value.code == 2 and bad[0] in capsys.readouterr().err


def test_a_high_speed_clip_keeps_its_frame_rate_and_export_trusts_the_csv_times(tmp_path, caplog):
    """Issue 36, item 7: a real 1000 fps clip (12 frames of Sports2D's, written at 1000 fps) keeps
    1000 in its JSON, TRC and C3D (it became 30); ``export`` of a result whose JSON says 30 while
    the CSV's times are 1 ms apart writes 1000 and says so."""
    import ezc3d

    from poseapp.io.video import VideoWriter
    from tests.outputs.test_formats import read_trc

    clip = tmp_path / "fast.mp4"
    writer = None
    for frame in VideoReader(SHARED / "data" / "sports2d-demo" / "demo.mp4"):
        if frame.index >= 12:
            break
        writer = writer or VideoWriter(clip, 1000, frame.rgb.shape[1], frame.rgb.shape[0])
        writer.write(frame.rgb)
    writer.commit()
    out = tmp_path / "out"
    assert main(["video", str(clip), "--out", str(out), "--quality", "fast", "--formats", "csv,json,trc,c3d"]) == 0
    meta = json.loads((out / "fast.json").read_text())
    assert meta["source"]["fps"] == 1000
    assert float(read_trc(out / "fast.trc")[0]["DataRate"]) == 1000
    assert ezc3d.c3d(str(out / "fast.c3d"))["parameters"]["POINT"]["RATE"]["value"][0] == 1000
    meta["source"]["fps"] = 30.0
    (out / "fast.json").write_text(json.dumps(meta))
    assert main(["export", str(out / "fast.json"), "--formats", "trc", "--out", str(tmp_path / "again")]) == 0
    assert float(read_trc(tmp_path / "again" / "fast.trc")[0]["DataRate"]) == pytest.approx(1000)
    assert "says 30 fps" in caplog.text


def test_an_unreachable_ray_cluster_is_one_message_not_a_hang(tmp_path, capsys, monkeypatch):
    """Issue 36, item 10: ``--executor ray`` with a cluster address nobody answers waited over 120 s
    printing warnings; now one message within the time-out, exit 2."""
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("RAY_ADDRESS", f"127.0.0.1:{port}")
    started = time.monotonic()
    assert main(["video", str(DEMO), "--executor", "ray", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert f"cannot reach the Ray cluster at 127.0.0.1:{port}" in err and err.count("\n") == 1
    assert time.monotonic() - started < 60
    with pytest.raises(PoseappError, match="cannot reach"):
        batch.check_cluster("no-port-here")
