"""``--people all``: everyone the detector finds, followed with a stable id, on the shared clips."""

from __future__ import annotations

import csv
import json

import numpy as np

from poseapp.cli import main
from poseapp.joints import JOINTS
from tests.conftest import SHARED

STREET = SHARED / "data" / "mmpose-samples" / "demo.mp4"
SPORTS2D = SHARED / "data" / "sports2d-demo" / "demo.mp4"


def people_rows(path) -> dict[int, list[tuple[int, np.ndarray]]]:
    """Per id, its frames and (16, 3) joints, from ``<name>_people.csv``."""
    tracks: dict[int, list[tuple[int, np.ndarray]]] = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            kp = np.array([[float(row[f"{j}_{c}"]) for c in ("x", "y", "score")] for j in JOINTS])
            tracks.setdefault(int(row["person"]), []).append((int(row["frame"]), kp))
    return tracks


def id_switches(tracks: dict[int, list[tuple[int, np.ndarray]]], height: float) -> int:
    """Frames where an id's sure joints jump by more than a tenth of the frame's height: another
    person under the same id."""
    switches = 0
    for frames in tracks.values():
        for (f0, a), (f1, b) in zip(frames, frames[1:]):
            sure = (a[:, 2] >= 0.3) & (b[:, 2] >= 0.3)
            if f1 == f0 + 1 and sure.sum() >= 4:
                switches += np.median(np.linalg.norm(a[sure, :2] - b[sure, :2], axis=1)) > 0.1 * height
    return switches


def test_every_walker_of_the_street_clip_keeps_one_id(tmp_path):
    assert main(["video", str(STREET), "--people", "all", "--out", str(tmp_path), "--quality", "fast",
                 "--annotate"]) == 0
    tracks = people_rows(tmp_path / "demo_people.csv")
    assert len(tracks) >= 2 and all(len(frames) == 5 for frames in tracks.values())  # in view throughout
    assert id_switches(tracks, 540) == 0
    meta = json.loads((tmp_path / "demo.json").read_text())
    assert set(meta["people"]["ids"]) == {str(i) for i in tracks} and "demo_people.csv" in meta["outputs"]
    with open(tmp_path / "demo_people.csv", newline="") as f:  # the chosen person is marked in every frame
        followed = [r for r in csv.DictReader(f) if r["followed"] == "1"]
    assert len({r["person"] for r in followed}) == 1 and len(followed) == 5


def test_the_sports2d_clip_keeps_its_two_people_apart(tmp_path):
    """The walker below and the man on the box behind never share an id, and each of them keeps
    one id for most of the frames they are followed in."""
    assert main(["video", str(SPORTS2D), "--people", "all", "--out", str(tmp_path), "--quality", "fast",
                 "--end", "5"]) == 0
    tracks = people_rows(tmp_path / "demo_people.csv")
    assert id_switches(tracks, 994) == 0
    sides = {}
    for person, frames in tracks.items():
        ys = [np.median(kp[kp[:, 2] >= 0.3, 1]) for _, kp in frames if (kp[:, 2] >= 0.3).sum() >= 4]
        assert all(y > 550 for y in ys) or all(y < 450 for y in ys), person  # one person per id
        sides[person] = "walker" if ys and np.median(ys) > 550 else "on the box"
    longest = {side: max((len(tracks[p]) for p in tracks if sides[p] == side), default=0) for side in sides.values()}
    assert longest.get("walker", 0) >= 80 and longest.get("on the box", 0) >= 80, longest


def test_people_all_asks_for_the_detector(tmp_path, capsys):
    assert main(["video", str(STREET), "--people", "all", "--no-detector", "--out", str(tmp_path)]) == 2
    assert "--people all" in capsys.readouterr().err
