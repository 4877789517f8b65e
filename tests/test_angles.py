"""Each angle against hand-computed geometry, and degenerate input giving NaN."""

from __future__ import annotations

import numpy as np
import pytest

from poseapp.angles import ANGLE_NAMES, ANGLES, compute_angles
from poseapp.joints import INDEX


def upright(**moved: tuple[float, float]) -> np.ndarray:
    """A person standing straight, arms hanging, in image pixels (y down); ``moved`` overrides joints."""
    at = {"head_top": (100, 0), "upper_neck": (100, 30), "thorax": (100, 40), "pelvis": (100, 140),
          "right_shoulder": (80, 40), "right_elbow": (80, 90), "right_wrist": (80, 140),
          "left_shoulder": (120, 40), "left_elbow": (120, 90), "left_wrist": (120, 140),
          "right_hip": (90, 140), "right_knee": (90, 200), "right_ankle": (90, 260),
          "left_hip": (110, 140), "left_knee": (110, 200), "left_ankle": (110, 260)}
    at.update(moved)
    kp = np.ones((16, 3))
    for name, (x, y) in at.items():
        kp[INDEX[name], :2] = x, y
    return kp


def test_every_angle_is_zero_standing_upright():
    angles = compute_angles(upright())
    assert set(angles) == set(ANGLE_NAMES) and len(ANGLES) == 10
    for name, value in angles.items():
        assert value == pytest.approx(0, abs=1e-6), name


def test_hand_computed_positions():
    pose = upright(left_wrist=(170, 90),  # forearm level: 90 degrees of elbow flexion
                   right_elbow=(30, 40), right_wrist=(-20, 40),  # arm out sideways: elevation 90
                   left_knee=(160, 140), left_ankle=(160, 200),  # sitting: hip 90, knee 90
                   right_knee=(90 + 60 * np.sin(np.radians(30)), 140 + 60 * np.cos(np.radians(30))),
                   right_ankle=(90 + 120 * np.sin(np.radians(30)), 140 + 120 * np.cos(np.radians(30))),  # leg straight
                   head_top=(100 + 30 * np.sin(np.radians(20)), 30 - 30 * np.cos(np.radians(20))))
    a = compute_angles(pose)
    assert a["left_elbow_flexion"] == pytest.approx(90)
    assert a["right_shoulder_elevation"] == pytest.approx(90)
    assert a["right_elbow_flexion"] == pytest.approx(0, abs=1e-6)
    assert a["left_hip_flexion"] == pytest.approx(90) and a["left_knee_flexion"] == pytest.approx(90)
    assert a["right_hip_flexion"] == pytest.approx(30) and a["right_knee_flexion"] == pytest.approx(0, abs=1e-6)
    assert a["neck_flexion"] == pytest.approx(20)


def test_trunk_inclination_leaning_forward():
    lean = upright(thorax=(100 + 100 * np.sin(np.radians(35)), 140 - 100 * np.cos(np.radians(35))))
    assert compute_angles(lean)["trunk_inclination"] == pytest.approx(35)


def test_degenerate_and_missing_joints_give_nan():
    pose = upright(left_elbow=(120, 40))  # elbow on the shoulder: zero-length upper arm
    pose[INDEX["right_knee"], 2] = 0.05  # under the threshold: missing
    pose[INDEX["head_top"], :2] = np.nan
    a = compute_angles(pose, threshold=0.3)
    assert np.isnan(a["left_elbow_flexion"]) and np.isnan(a["left_shoulder_elevation"])
    assert np.isnan(a["right_knee_flexion"]) and np.isnan(a["right_hip_flexion"])
    assert np.isnan(a["neck_flexion"])
    assert a["left_knee_flexion"] == pytest.approx(0, abs=1e-6)


def test_many_frames_at_once():
    frames = np.stack([upright(), upright(left_wrist=(170, 90))])
    assert compute_angles(frames, names=("left_elbow_flexion",))["left_elbow_flexion"] == pytest.approx([0, 90])


def test_every_angle_has_a_joint_to_label():
    from poseapp.angles import BY_NAME

    assert BY_NAME["left_knee_flexion"].vertex == "left_knee" and BY_NAME["trunk_inclination"].vertex == "pelvis"
    assert BY_NAME["right_shoulder_elevation"].vertex == "right_shoulder"
    assert all(a.vertex in INDEX for a in ANGLES)
