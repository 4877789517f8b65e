"""Every export format read back by an independent reader: C3D by ezc3d, XLSX by openpyxl, TRC and
MOT by strict parsers written from OpenSim's documentation of the layouts; atomic on failure;
``poseapp export`` on a result with its messages for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from poseapp.angles import ANGLE_NAMES, compute_angles
from poseapp.calibration import calibrate
from poseapp.gait import analyse_gait
from poseapp.joints import JOINTS
from poseapp.outputs import FORMATS, OutputSet, Row, Session
from tests.walker import walk

FPS = 60.0


@pytest.fixture(scope="module")
def result(tmp_path_factory) -> tuple[Path, dict, list[dict], int]:
    """A calibrated walk written in every format; the folder, the result metadata, the events, frames."""
    w = walk(seconds=4.0, fps=FPS)
    cal = calibrate(w.xy, w.times, height_m=w.height)
    gait = analyse_gait(w.xy, w.times, cal)
    kp = w.keypoints()
    kp[10, 3] = [np.nan, np.nan, 0.0]  # one joint not seen in one frame
    angles = compute_angles(kp)
    metres = cal.to_metres(kp[..., :2])
    folder = tmp_path_factory.mktemp("formats")
    meta = {"poseapp": "test", "csv_schema": 2, "source": {"fps": FPS}, "calibration": cal.to_json(),
            "range_of_motion": {"left_knee_flexion": {"min": 0, "max": 60, "mean": 20, "range": 60, "frames": 240}},
            "gait": {k: gait[k] for k in ("cadence_steps_per_min", "speed_m_per_s", "stance_pct")}}
    outs = OutputSet(folder, Session("walk", FPS, smoothed=False, calibrated=True), tuple(FORMATS))
    for i, t in enumerate(w.times):
        outs.write(Row(i, float(t), True, kp[i], None, metres[i], {k: float(v[i]) for k, v in angles.items()}))
    outs.finish(meta, gait["events"])
    return folder, meta, gait["events"], len(w.times)


def test_c3d_read_by_ezc3d(result):
    import ezc3d

    folder, _, events, frames = result
    c = ezc3d.c3d(str(folder / "walk.c3d"))
    points = c["data"]["points"]
    assert points.shape == (4, 16, frames)
    assert c["parameters"]["POINT"]["RATE"]["value"][0] == pytest.approx(FPS)
    assert c["parameters"]["POINT"]["UNITS"]["value"][0].strip() == "mm"
    assert [s.strip() for s in c["parameters"]["POINT"]["LABELS"]["value"]] == list(JOINTS)
    pelvis = points[:3, JOINTS.index("pelvis"), 0]
    assert pelvis[1] > 700 and pelvis[2] == 0  # the hip about 0.8 m above the floor, in millimetres
    residuals = c["data"]["meta_points"]["residuals"][0]
    assert residuals[3, 10] < 0 and np.all(residuals[:, 0] >= 0)  # the unseen joint is invalid
    ev = c["parameters"]["EVENT"]
    assert ev["USED"]["value"][0] == len(events)
    assert {s.strip() for s in ev["LABELS"]["value"]} == {"Foot Strike", "Foot Off"}
    assert [s.strip().lower() for s in ev["CONTEXTS"]["value"]] == [e["side"] for e in events]
    assert ev["TIMES"]["value"][1] == pytest.approx([e["time_s"] for e in events], abs=1e-5)


def test_xlsx_read_by_openpyxl(result):
    import openpyxl

    folder, _, _, frames = result
    book = openpyxl.load_workbook(folder / "walk.xlsx")
    assert book.sheetnames == ["angles", "joints", "range of motion", "gait", "chart"]
    angles = book["angles"]
    assert angles.max_row == frames + 1 and angles.cell(1, 3).value == f"{ANGLE_NAMES[0]} (deg)"
    assert angles.cell(2, 2).value == 0.0
    assert book["joints"].cell(12, 4 + 3 * 3).value is None  # frame 10's unseen joint is an empty cell
    assert book["range of motion"].cell(2, 1).value == "left_knee_flexion"
    gait = {r[0]: r[1] for r in book["gait"].iter_rows(min_row=2, values_only=True)}
    assert gait["cadence_steps_per_min"] == pytest.approx(109.09, abs=0.1)


def read_trc(path: Path) -> tuple[dict, list[str], np.ndarray]:
    """TRC as OpenSim documents it: five header lines (tab-separated) and a blank line, then rows."""
    lines = path.read_text().split("\n")
    assert lines[0].split("\t")[:3] == ["PathFileType", "4", "(X/Y/Z)"]
    keys = lines[1].split("\t")
    assert keys == ["DataRate", "CameraRate", "NumFrames", "NumMarkers", "Units", "OrigDataRate",
                    "OrigDataStartFrame", "OrigNumFrames"]
    header = dict(zip(keys, lines[2].split("\t")))
    n = int(header["NumMarkers"])
    names = lines[3].split("\t")
    assert names[:2] == ["Frame#", "Time"] and len(names) == 2 + 3 * n
    markers = [names[2 + 3 * i] for i in range(n)]
    assert all(names[3 + 3 * i] == names[4 + 3 * i] == "" for i in range(n))
    assert lines[4].split("\t") == ["", ""] + [f"{a}{i}" for i in range(1, n + 1) for a in "XYZ"]
    assert lines[5] == ""
    rows = [r.split("\t") for r in lines[6:] if r]
    assert len(rows) == int(header["NumFrames"]) and all(len(r) == 2 + 3 * n for r in rows)
    assert [int(r[0]) for r in rows] == list(range(1, len(rows) + 1))
    return header, markers, np.array([[float(c) for c in r] for r in rows])


def read_mot(path: Path) -> tuple[dict, list[str], np.ndarray]:
    """MOT (OpenSim Storage): key=value lines up to ``endheader``, a column header, rows."""
    lines = path.read_text().split("\n")
    end = lines.index("endheader")
    header = dict(line.split("=", 1) for line in lines[1:end])
    columns = lines[end + 1].split("\t")
    rows = [r.split("\t") for r in lines[end + 2:] if r]
    assert header["version"] == "1" and header["inDegrees"] == "yes" and columns[0] == "time"
    assert int(header["nRows"]) == len(rows) and int(header["nColumns"]) == len(columns)
    assert all(len(r) == len(columns) for r in rows)
    return header, columns, np.array([[float(c) for c in r] for r in rows])


def test_trc_and_mot_in_opensims_layouts(result):
    folder, _, _, frames = result
    header, markers, values = read_trc(folder / "walk.trc")
    assert header["Units"] == "m" and float(header["DataRate"]) == FPS and markers == list(JOINTS)
    assert values.shape == (frames, 2 + 48) and values[1, 1] == pytest.approx(1 / FPS, abs=1e-6)
    pelvis_y = values[:, 2 + 3 * JOINTS.index("pelvis") + 1]
    assert np.all((pelvis_y > 0.8) & (pelvis_y < 0.95))  # metres above the floor (the walker's hip: 0.84-0.92)
    assert np.isnan(values[10, 2 + 3 * 3])
    header, columns, values = read_mot(folder / "walk.mot")
    assert columns[1:] == list(ANGLE_NAMES) and values.shape == (frames, 1 + len(ANGLE_NAMES))


def test_a_failing_format_leaves_no_file_that_looks_whole(tmp_path, monkeypatch):
    from poseapp.outputs.workbook import XlsxOutput

    def broken(self, tmp, result, events=None):
        tmp.write_bytes(b"half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(XlsxOutput, "save", broken)
    outs = OutputSet(tmp_path, Session("w", 30.0), tuple(FORMATS))
    outs.write(Row(0, 0.0, True, np.ones((16, 3)), angles={}))
    with pytest.raises(OSError):
        outs.finish({"poseapp": "x", "csv_schema": 2})
    assert list(tmp_path.iterdir()) == []


def write_result(folder: Path, schema: int = 2) -> Path:
    w = walk(seconds=3.0, fps=30)
    kp = w.keypoints()
    angles = compute_angles(kp)
    outs = OutputSet(folder, Session("clip", 30.0), ("csv", "json"))
    for i, t in enumerate(w.times):
        outs.write(Row(i, float(t), True, kp[i], angles={k: float(v[i]) for k, v in angles.items()}))
    outs.finish({"poseapp": "test", "csv_schema": schema, "source": {"fps": 30.0}, "range_of_motion": {}})
    return folder / "clip.json"


def test_export_command(tmp_path, capsys):
    from poseapp.cli import main

    path = write_result(tmp_path)
    assert main(["export", str(path), "--formats", "trc,mot,c3d,xlsx", "--out", str(tmp_path / "x")]) == 0
    made = sorted(p.name for p in (tmp_path / "x").iterdir())
    assert made == ["clip.c3d", "clip.mot", "clip.trc", "clip.xlsx"]
    header, _, values = read_trc(tmp_path / "x" / "clip.trc")
    assert header["Units"] == "px" and values.shape[0] == 90
    assert str(tmp_path / "x" / "clip.c3d") in capsys.readouterr().out


@pytest.mark.parametrize("args, message", [
    (["--formats", "pdf"], "unknown format pdf"),
    (["--formats", "csv"], "nothing to export"),
])
def test_export_bad_input(tmp_path, capsys, args, message):
    from poseapp.cli import main

    path = write_result(tmp_path)
    assert main(["export", str(path), *args]) == 2
    assert message in capsys.readouterr().err


def test_export_refuses_other_schemas_and_unwritable_folders(tmp_path, capsys):
    from poseapp.cli import main

    path = write_result(tmp_path, schema=7)
    assert main(["export", str(path), "--formats", "trc"]) == 2
    assert "schema 7" in capsys.readouterr().err
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"a": 1}))
    assert main(["export", str(other), "--formats", "trc"]) == 2
    assert "not a poseapp result" in capsys.readouterr().err
    (tmp_path / "good").mkdir()
    good = write_result(tmp_path / "good")
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["export", str(good), "--formats", "trc", "--out", str(blocker / "sub")]) == 2
    err = capsys.readouterr().err
    assert "cannot make the folder" in err and "Traceback" not in err


def test_export_of_a_recording_takes_metres_and_events_from_its_gait_file(tmp_path):
    """A live recording's CSV holds pixels; the gait file written once it stops holds the
    calibration and the events (``pipeline.measure_recording``, what the window's worker runs):
    the exports come out in metres, with the events."""
    import ezc3d

    from poseapp.pipeline import measure_recording

    w = walk(seconds=4.0, fps=FPS)
    kp = record(tmp_path, w)
    measured = measure_recording(tmp_path / "rec.csv", ("csv", "json", "trc", "c3d"), height_m=w.height)
    gait, cal = measured.result, measured.calibration
    assert measured.problem == "" and cal.method == "height"
    assert sorted(p.name for p in measured.written) == ["rec.c3d", "rec.trc", "rec_gait.json", "rec_gait.png"]
    header, _, values = read_trc(tmp_path / "rec.trc")
    assert header["Units"] == "m"
    expected = cal.to_metres(kp[..., :2])
    assert np.allclose(values[:, 2:].reshape(len(w.times), -1, 3)[:, :, :2], expected, atol=1e-4)
    c = ezc3d.c3d(str(tmp_path / "rec.c3d"))
    assert c["parameters"]["EVENT"]["USED"]["value"][0] == len(gait["events"]) > 0


def test_a_measured_recording_holds_its_calibration_in_its_result_and_the_report_agrees(tmp_path):
    """Issue 35, item 1: after a height and Stop, the recording's JSON said ``calibration: null``
    while its gait file was in metres, and the report's Method table said "lengths in pixels".
    Now the result JSON holds the calibration the gait was measured with, and the report says it."""
    from poseapp.pipeline import measure_recording
    from poseapp.report import build_report

    w = walk(seconds=4.0, fps=FPS)
    record(tmp_path, w)
    measured = measure_recording(tmp_path / "rec.csv", ("csv", "json"), height_m=w.height)
    meta = json.loads((tmp_path / "rec.json").read_text())
    gait = json.loads((tmp_path / "rec_gait.json").read_text())
    assert meta["calibration"] == gait["calibration"] == json.loads(json.dumps(measured.calibration.to_json()))
    body = build_report(tmp_path / "rec.json").body
    assert "mm per pixel from a height of" in body and "lengths in pixels" not in body
    assert "(m)" in body and "(px)" not in body
    measure_recording(tmp_path / "rec.csv", ("csv", "json"))  # measured again without: pixels everywhere
    assert json.loads((tmp_path / "rec.json").read_text())["calibration"] is None


def record(folder: Path, w, name: str = "rec") -> np.ndarray:
    """``w`` written as a live recording leaves it (CSV and JSON in pixels); its keypoints."""
    kp, angles = w.keypoints(), compute_angles(w.keypoints())
    outs = OutputSet(folder, Session(name, FPS), ("csv", "json"))
    for i, t in enumerate(w.times):
        outs.write(Row(i, float(t), True, kp[i], angles={k: float(v[i]) for k, v in angles.items()}))
    outs.finish({"poseapp": "test", "csv_schema": 2, "source": {"fps": FPS}, "options": {"threshold": 0.3},
                 "range_of_motion": {}})
    return kp


def test_a_recording_without_walking_is_still_exported_in_metres(tmp_path):
    """One second of walking is too little for gait parameters, but the height given in the window
    still calibrates the recording: the TRC comes out in metres, the same conversion as a walk's,
    and the message says both."""
    from poseapp.gait import calibration_of_recording
    from poseapp.pipeline import measure_recording

    w = walk(seconds=1.0, fps=FPS)
    kp = record(tmp_path, w)
    measured = measure_recording(tmp_path / "rec.csv", ("csv", "json", "trc"), height_m=w.height)
    assert measured.result is None and "no gait parameters: too little walking" in measured.problem
    assert measured.calibration.method == "height" and [p.name for p in measured.written] == ["rec.trc"]
    assert not (tmp_path / "rec_gait.json").exists()
    header, _, values = read_trc(tmp_path / "rec.trc")
    assert header["Units"] == "m"
    expected = measured.calibration.to_metres(kp[..., :2])
    assert np.allclose(values[:, 2:].reshape(len(w.times), -1, 3)[:, :, :2], expected, atol=1e-4)
    line = measure_recording(tmp_path / "rec.csv", ("trc",), height_m=w.height, scale_line="0,0,100,0,0.5")
    assert line.calibration.method == "line" and line.calibration.metres_per_pixel == pytest.approx(0.005)
    uncalibrated = measure_recording(tmp_path / "rec.csv", ("trc",))
    assert uncalibrated.calibration is None and read_trc(tmp_path / "rec.trc")[0]["Units"] == "px"
    assert calibration_of_recording(tmp_path / "rec.csv") is None


def test_a_c3d_holds_at_most_255_events_and_says_so(tmp_path):
    """C3D's parameter dimensions are single bytes: a long walk keeps its first 255 events, and
    the notice says how many were left out (a two-minute walk has about 440)."""
    import ezc3d

    from poseapp.outputs.c3d_file import MAX_EVENTS, events_left_out

    w = walk(seconds=2.0, fps=FPS)
    kp = w.keypoints()
    events = [{"kind": ("heel_strike", "toe_off")[i % 2], "side": ("left", "right")[i // 2 % 2], "time_s": i * 0.27}
              for i in range(300)]
    outs = OutputSet(tmp_path, Session("long", FPS), ("c3d",))
    for i, t in enumerate(w.times):
        outs.write(Row(i, float(t), True, kp[i]))
    outs.finish({"poseapp": "test"}, events)
    c = ezc3d.c3d(str(tmp_path / "long.c3d"))
    assert c["parameters"]["EVENT"]["USED"]["value"][0] == MAX_EVENTS == 255
    assert c["parameters"]["EVENT"]["TIMES"]["value"][1][-1] == pytest.approx(254 * 0.27, abs=1e-4)
    assert "first 255 of the 300" in events_left_out(events) and events_left_out(events[:255]) is None


@pytest.mark.parametrize("first", [0, 70_000])
def test_a_c3d_starts_at_its_first_frame_even_past_65535(tmp_path, first):
    """A result starting at frame 70,000 (an hour at 20 fps) keeps its start: ``TRIAL:
    ACTUAL_START_FIELD`` holds the 1-based trial frame in two 16-bit words, low first (the header's
    16-bit field stops at 65535), and the end follows from the frame count."""
    import ezc3d

    w = walk(seconds=0.5, fps=FPS)
    kp = w.keypoints()
    outs = OutputSet(tmp_path, Session("late", FPS), ("c3d",))
    for i, t in enumerate(w.times):
        outs.write(Row(first + i, float(t), True, kp[i]))
    outs.finish({"poseapp": "test"}, [])
    trial = ezc3d.c3d(str(tmp_path / "late.c3d"))["parameters"]["TRIAL"]
    low, high = (int(v) for v in trial["ACTUAL_START_FIELD"]["value"])
    end_low, end_high = (int(v) for v in trial["ACTUAL_END_FIELD"]["value"])
    assert low + 65536 * high == first + 1
    assert end_low + 65536 * end_high == first + len(w.times)
