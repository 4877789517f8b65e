"""PCKh maths on hand data, and the crop protocol on the five shared MPII images."""

from __future__ import annotations

import numpy as np

from poseapp.evaluation import evaluate, head_size, pckh
from poseapp.io.mpii import load_mpii
from poseapp.joints import INDEX
from tests.conftest import MPII_DIR


def test_pckh_counts_visible_joints_within_threshold():
    truth = np.zeros((1, 16, 2))
    pred = truth.copy()
    pred[0, 0] = [6, 0]  # 0.6 head sizes off: a miss at 0.5
    pred[0, 1] = [4, 0]  # 0.4: a hit at 0.5, a miss at 0.1
    visible = np.ones((1, 16), bool)
    visible[0, 2] = False
    pred[0, 2] = [100, 0]  # invisible: not counted
    per_joint, overall = pckh(pred, truth, visible, np.array([10.0]))
    assert overall["0.5"] == round(100 * 14 / 15, 2)
    assert overall["0.1"] == round(100 * 13 / 15, 2)
    assert per_joint["head_top"]["0.5"] == 0 and per_joint["upper_neck"]["0.1"] == 0


def test_loader_reorders_mpii_joints():
    samples = load_mpii(MPII_DIR)
    assert len(samples) == 5
    s = samples[0]
    # MPII index 9 is head_top, 8 upper_neck; the head is above the neck in every sample
    assert all(x.joints[INDEX["head_top"], 1] < x.joints[INDEX["upper_neck"], 1] for x in samples)
    size, kind = head_size(s)
    assert size > 0 and "upper_neck" in kind


def test_crop_protocol_beats_full_frame(engines):
    samples = load_mpii(MPII_DIR)
    engine = engines("RT")
    crop = evaluate(engine, samples, "crop").overall["0.5"]
    full = evaluate(engine, samples, "full").overall["0.5"]
    assert crop >= 90 and full < 50  # the localisation gap the person-localisation issue closes


def test_official_mat_layout_is_read(tmp_path):
    """A release file in the official layout, written here from the shared JSON annotations."""
    import json

    from scipy.io import savemat

    records = json.loads((MPII_DIR / "test_mpii.json").read_text())
    annolist = []
    for r in records:
        points = [{"id": i, "x": x, "y": y, "is_visible": 1} for i, (x, y) in enumerate(r["joints"])]
        rect = {"x1": 0.0, "y1": 0.0, "x2": 30.0, "y2": 40.0, "scale": r["scale"],
                "objpos": {"x": r["center"][0], "y": r["center"][1]}, "annopoints": {"point": points}}
        annolist.append({"image": {"name": r["image"]}, "annorect": [rect]})
    savemat(tmp_path / "mpii_human_pose_v1_u12_1.mat", {"RELEASE": {"annolist": annolist}})
    samples = load_mpii(tmp_path)
    json_samples = load_mpii(MPII_DIR)
    assert len(samples) == 5
    assert np.allclose(samples[2].joints, json_samples[2].joints)
    size, kind = head_size(samples[0])
    assert kind == "MPII head box" and np.isclose(size, 0.6 * 50)


def test_tracking_beats_full_frame_and_matches_auto_for_less(engines, pan_zoom_clip):
    """The issue's figure of merit on the built clip: track > full in PCKh, >= auto at fewer passes."""
    from poseapp.evaluation import evaluate_clip

    engine = engines("RT")
    track = evaluate_clip(engine, pan_zoom_clip, "track")
    auto = evaluate_clip(engine, pan_zoom_clip, "auto", every=6)
    full = evaluate_clip(engine, pan_zoom_clip, "full", every=2)
    assert track.frames == 300 and auto.frames == 50
    assert track.pckh > full.pckh + 20
    assert track.pckh >= auto.pckh
    assert track.passes_per_frame < auto.passes_per_frame  # auto: the detector, the crops, a closer look
