"""Gait events and parameters on a synthetic walker with known events (``tests.walker``), both
ways, with swapped labels and a tilted camera; the command on a CSV; bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest

from poseapp.calibration import floor_angle, from_height
from poseapp.errors import PoseappError
from poseapp.gait import analyse_gait
from poseapp.io.atomic import write_json
from poseapp.joints import FLIP, INDEX
from tests.walker import Walk, there_and_back, walk


def events_match(result: dict, truth: Walk, fps: float) -> int:
    """Every detected event lies within one frame of a true event of its side and kind; returns how
    many true events were found."""
    found = 0
    for e in result["events"]:
        same = [t for t, side, kind in truth.events if (side, kind) == (e["side"], e["kind"])]
        assert same, e
        err = min(abs(t - e["time_s"]) for t in same)
        assert err <= 1.0 / fps + 1e-9, (e, err * fps)
        found += 1
    return found


def calibrated(w: Walk):
    return from_height(w.xy, w.height, floor_angle(w.xy, w.times))


@pytest.mark.parametrize("direction", [1, -1])
def test_events_cadence_speed_and_steps_of_a_walk(direction):
    w = walk(direction=direction, fps=60)
    r = analyse_gait(w.xy, w.times, calibrated(w))
    assert [p["direction"] for p in r["passes"]] == ["right" if direction > 0 else "left"]
    assert events_match(r, w, 60) >= len(w.events) - 2  # the first and last can fall at the clip's edges
    assert r["cadence_steps_per_min"] == pytest.approx(w.cadence, rel=0.01)
    assert r["speed_m_per_s"] == pytest.approx(w.speed, rel=0.03)
    assert r["step_length_m"]["mean"] == pytest.approx(w.step_length, rel=0.03)
    assert r["stride_length_m"]["mean"] == pytest.approx(2 * w.step_length, rel=0.03)
    assert r["stance_pct"]["mean"] == pytest.approx(60, abs=100 / 66)  # within one frame of a 1.1 s stride
    assert r["double_support_pct"]["mean"] == pytest.approx(20, abs=2 * 100 / 66)
    assert all(v is not None and v < 3 for v in r["symmetry_index_pct"].values())
    knee = np.array(r["cycles"]["left"]["knee_flexion"]["mean"])
    assert len(knee) == 101 and knee.max() > 30 and abs(knee[0]) < 5  # straight at heel strike, bent in swing


def test_there_and_back_is_two_passes():
    w = there_and_back()
    r = analyse_gait(w.xy, w.times)
    assert [p["direction"] for p in r["passes"]] == ["right", "left"]
    assert r["unit"] == "px" and "speed_m_per_s" not in r
    assert r["cadence_steps_per_min"] == pytest.approx(w.cadence, rel=0.01)
    assert events_match(r, w, 60) >= len(w.events) - 5


def test_swapped_labels_are_put_back():
    w = walk(fps=60)
    clean = analyse_gait(w.xy, w.times)
    swapped = w.xy.copy()
    swapped[100:220] = swapped[100:220][:, list(FLIP)]  # the model calls the left leg right for two seconds
    swapped[250:251] = swapped[250:251][:, list(FLIP)]  # and for one frame
    r = analyse_gait(swapped, w.times)
    assert r["leg_labels_exchanged_frames"] >= 100
    assert r["cadence_steps_per_min"] == pytest.approx(clean["cadence_steps_per_min"])
    assert [e["side"] for e in r["events"]] == [e["side"] for e in clean["events"]]
    for side in ("left", "right"):
        assert r["cycles"][side]["knee_flexion"]["mean"] == pytest.approx(
            clean["cycles"][side]["knee_flexion"]["mean"], abs=3)  # a hop to the other knee is 40 or more


def test_both_labels_on_one_foot_for_a_frame_do_not_make_steps():
    w = walk(fps=30)
    xy = w.xy.copy()
    for t in range(5, len(xy), 9):  # every ninth frame both ankles labelled on the left foot
        xy[t, INDEX["right_ankle"]] = xy[t, INDEX["left_ankle"]]
    r = analyse_gait(xy, w.times)
    assert r["cadence_steps_per_min"] == pytest.approx(w.cadence, rel=0.02)


def test_tilted_camera():
    w = walk(fps=60, tilt_deg=6)
    cal = calibrated(w)
    assert cal.floor_deg == pytest.approx(6, abs=0.5)
    r = analyse_gait(w.xy, w.times, cal)
    assert r["speed_m_per_s"] == pytest.approx(w.speed, rel=0.03)
    assert r["step_length_m"]["mean"] == pytest.approx(w.step_length, rel=0.03)


def test_too_little_walking_is_a_clear_message():
    w = walk(seconds=1.0)
    with pytest.raises(PoseappError, match="too little walking"):
        analyse_gait(w.xy, w.times)
    still = np.repeat(walk().xy[:1], 300, 0)
    with pytest.raises(PoseappError, match="too little walking"):
        analyse_gait(still, np.arange(300) / 60)
    slow = walk(fps=10)
    with pytest.raises(PoseappError, match="frames per second"):
        analyse_gait(slow.xy, slow.times)


def write_csv(path, w: Walk) -> None:
    from poseapp.angles import compute_angles
    from poseapp.io.records import RecordWriter

    kp = w.keypoints()
    angles = compute_angles(kp)
    with RecordWriter(path, smoothed=False) as rows:
        for i, t in enumerate(w.times):
            rows.write(i, float(t), True, kp[i], None, {k: float(v[i]) for k, v in angles.items()})


def test_gait_command_on_a_pose_csv(tmp_path, capsys):
    from poseapp.cli import main

    w = walk(fps=60)
    write_csv(tmp_path / "walk.csv", w)
    out, plot, cal = tmp_path / "gait.json", tmp_path / "gait.png", tmp_path / "cal.json"
    assert main(["gait", str(tmp_path / "walk.csv"), "--height", "1.75", "--out", str(out), "--plot", str(plot),
                 "--save-calibration", str(cal)]) == 0
    text = capsys.readouterr().out
    assert "cadence" in text and "walking speed" in text
    result = json.loads(out.read_text())
    assert {"cadence_steps_per_min", "events", "steps", "speed_m_per_s"} <= set(result)
    assert {"frame", "time_s", "side", "kind"} == set(result["events"][0])
    assert result["speed_m_per_s"] == pytest.approx(w.speed, rel=0.03)
    assert plot.stat().st_size > 1000
    again = tmp_path / "again.json"
    assert main(["gait", str(tmp_path / "walk.csv"), "--calibration", str(cal), "--out", str(again)]) == 0
    assert json.loads(again.read_text())["speed_m_per_s"] == pytest.approx(result["speed_m_per_s"], rel=1e-3)
    capsys.readouterr()
    assert main(["gait", str(tmp_path / "walk.csv"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["unit"] == "px"


@pytest.mark.parametrize("extra, message", [
    (["--height", "0"], "height in metres"),
    (["--height", "300"], "outside"),
    (["--height", "172"], "centimetres"),
    (["--scale-line", "10,10,10,10,1.0"], "same pixel"),
    (["--scale-line", "0,0,100,0,0"], "more than 0 metres"),
    (["--scale-line", "0,0,100"], "five numbers"),
    (["--scale-line", "0,0,100,0,1e300"], "over 1 m a pixel"),
    (["--height", "1.7", "--scale-line", "0,0,100,0,1"], "one of"),
    (["--plot", "{tmp}/chart.pdf"], "--plot"),
    (["--save-calibration", "{tmp}/cal.json"], "--save-calibration saves the calibration used"),
])
def test_gait_bad_input_one_message_nothing_written(tmp_path, capsys, extra, message):
    """Each one message and exit 2, nothing written: options are checked before any file is."""
    from poseapp.cli import main

    extra = [a.replace("{tmp}", str(tmp_path)) for a in extra]
    write_csv(tmp_path / "walk.csv", walk(fps=60))
    out = tmp_path / "gait.json"
    assert main(["gait", str(tmp_path / "walk.csv"), "--out", str(out), *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["walk.csv"]


def test_gait_refuses_other_csvs_and_short_clips(tmp_path, capsys):
    from poseapp.cli import main

    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n")
    assert main(["gait", str(other)]) == 2
    assert "not a poseapp pose CSV" in capsys.readouterr().err
    write_csv(tmp_path / "short.csv", walk(seconds=1.0))
    assert main(["gait", str(tmp_path / "short.csv"), "--out", str(tmp_path / "g.json")]) == 2
    assert "too little walking" in capsys.readouterr().err and not (tmp_path / "g.json").exists()


@pytest.mark.slow
def test_gait_follows_the_walker_without_being_told(tmp_path, capsys):
    """``poseapp video demo.mp4 --gait`` with no ``--person`` and no ``--start``: the man on the
    box, in view from the first frame, is not followed; the woman who walks in at about 1.5 s is
    (``--person walker``, the default with ``--gait``), and her walk is measured."""
    from poseapp.cli import main
    from poseapp.io.records import read_records
    from tests.conftest import SHARED

    clip = SHARED / "data" / "sports2d-demo" / "demo.mp4"
    assert main(["video", str(clip), "--out", str(tmp_path), "--quality", "fast", "--gait", "--height", "1.65",
                 "--workers", "1"]) == 0
    err = capsys.readouterr().err
    assert "looking for who walks" in err
    gait = json.loads((tmp_path / "demo_gait.json").read_text())
    # issue 35, item 20: the headline figures printed; the look-through's frames are not counted again
    assert f"gait: cadence {gait['cadence_steps_per_min']:.1f} steps/min, speed {gait['speed_m_per_s']:.2f} m/s" in err
    lines = err.replace("\r", "\n").splitlines()
    overall = [int(x.split("overall ")[1].split(" ")[0]) for x in lines if "overall" in x]
    assert overall and max(overall) <= 230
    assert [p["direction"] for p in gait["passes"]] == ["left"]
    assert 85 <= gait["cadence_steps_per_min"] <= 115 and 0.9 <= gait["speed_m_per_s"] <= 1.5
    meta = json.loads((tmp_path / "demo.json").read_text())
    assert meta["options"]["person"] == "walker" and 30 <= meta["walker"]["first_frame"] <= 60
    rec = read_records(tmp_path / "demo.csv")
    first, found = meta["walker"]["first_frame"], rec.column("found").astype(bool)
    earliest = int(np.argmax(found))  # followed back from where the look-through first saw her
    assert first - 15 <= earliest < first and found[earliest:first + 1].all()
    assert np.nanmax(rec.column("right_hip_x")) > 1300  # she came in on the right: the man stood at x 640


@pytest.mark.slow
def test_the_walker_of_the_shared_clip(tmp_path, capsys):
    """Sports2D's clip through ``poseapp video --gait``: the woman walking left from 2 s on (the
    point is on her in that frame), RT, height 1.65 m: a walk a person would accept."""
    from poseapp.cli import main
    from poseapp.io.records import read_records
    from tests.conftest import SHARED

    clip = SHARED / "data" / "sports2d-demo" / "demo.mp4"
    assert main(["video", str(clip), "--out", str(tmp_path), "--quality", "fast", "--gait", "--height", "1.65",
                 "--start", "2", "--person", "1390,730"]) == 0
    gait = json.loads((tmp_path / "demo_gait.json").read_text())
    assert [p["direction"] for p in gait["passes"]] == ["left"]
    assert 85 <= gait["cadence_steps_per_min"] <= 115 and 0.9 <= gait["speed_m_per_s"] <= 1.5
    assert 55 <= gait["stance_pct"]["mean"] <= 72
    strikes = [e["side"] for e in gait["events"] if e["kind"] == "heel_strike"]
    assert len(strikes) >= 5 and all(a != b for a, b in zip(strikes, strikes[1:]))
    meta = json.loads((tmp_path / "demo.json").read_text())
    assert meta["gait"]["cadence_steps_per_min"] == gait["cadence_steps_per_min"]
    assert meta["calibration"]["method"] == "height"
    rec = read_records(tmp_path / "demo.csv")
    assert rec.metres and rec.column("frame")[0] == 60  # the source's own frame numbers from --start on
    assert (tmp_path / "demo_gait.png").stat().st_size > 1000


def test_a_run_is_not_measured_as_a_walk_and_a_slow_walk_still_is(tmp_path, capsys):
    """Issue 36, item 5: a synthetic run (stance 35% of the stride, a flight phase between steps)
    was reported with stance 88% and double support 76% (its toe-offs given to the wrong foot); now
    it says running and measures nothing. A very slow walk (stance 75%) is still a walk."""
    from poseapp.cli import main
    from poseapp.gait import RunningError

    run = walk(fps=120, speed=3.5, stride_time=0.7, stance=0.35)
    with pytest.raises(RunningError, match="running"):
        analyse_gait(run.xy, run.times)
    slow = walk(fps=60, speed=0.4, stride_time=1.6, stance=0.75)
    assert analyse_gait(slow.xy, slow.times)["stance_pct"]["mean"] == pytest.approx(75, abs=3)
    write_csv(tmp_path / "run.csv", run)
    assert main(["gait", str(tmp_path / "run.csv"), "--out", str(tmp_path / "g.json")]) == 2
    assert "running" in capsys.readouterr().err and not (tmp_path / "g.json").exists()


def test_a_stride_outside_normal_walking_is_flagged_and_kept_out_of_the_mean(tmp_path):
    """Issue 35, item 4: a knee held at 50-60 degrees through stance, a knee peaking at 70 just after
    heel strike, were averaged into the gait curves; such a stride is now "check this stride"
    (JSON, panel text, report) and left out of the mean. Normal walks stay unflagged."""
    from poseapp.gait import outside_normal, summary_lines
    from poseapp.report import build_report
    from tests.outputs.test_formats import write_result

    through_stance = np.r_[np.full(60, 55.0), np.linspace(55, 65, 15), np.linspace(65, 5, 26)]
    early_peak = np.r_[np.linspace(5, 70, 6), np.linspace(70, 5, 30), np.full(25, 5.0), np.linspace(5, 60, 15),
                       np.linspace(60, 5, 25)]
    assert "peak 55 deg in 5-25%" in outside_normal("knee_flexion", through_stance)
    assert "peak 70 deg in 5-25%" in outside_normal("knee_flexion", early_peak)
    for w in (walk(fps=60), walk(fps=60, direction=-1), walk(fps=60, speed=0.4, stride_time=1.6, stance=0.75)):
        assert not any(s.get("check") for s in analyse_gait(w.xy, w.times)["strides"])
    w = walk(seconds=3.0, fps=30)
    result = analyse_gait(w.xy, w.times)
    result["strides"][0]["check"] = ["knee flexion: " + outside_normal("knee_flexion", through_stance)]
    assert any(line.startswith("check this stride: ") for line in summary_lines(result))
    path = write_result(tmp_path)
    write_json(path.with_name("clip_gait.json"), result)
    assert "Check these strides" in build_report(path).body
