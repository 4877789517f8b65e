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
    assert set(angles) == set(ANGLE_NAMES) and len(ANGLES) == 19
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


def rotated(kp: np.ndarray, degrees: float, centre: tuple[float, float] = (100, 130)) -> np.ndarray:
    """The pose turned counter-clockwise as seen (image y points down)."""
    a = np.radians(degrees)
    out = kp.copy()
    d = kp[:, :2] - centre
    out[:, 0] = centre[0] + d[:, 0] * np.cos(a) + d[:, 1] * np.sin(a)
    out[:, 1] = centre[1] - d[:, 0] * np.sin(a) + d[:, 1] * np.cos(a)
    return out


def test_segment_angles_signed_from_the_vertical_and_floor_corrected():
    from poseapp.angles import SEGMENT_NAMES

    still = compute_angles(upright())
    assert all(still[name] == pytest.approx(0, abs=1e-6) for name in SEGMENT_NAMES)
    s30, c30 = np.sin(np.radians(30)), np.cos(np.radians(30))
    step = upright(left_knee=(110 + 60 * s30, 140 + 60 * c30), left_ankle=(110 + 60 * s30, 140 + 60 * c30 + 60),
                   thorax=(100 - 100 * s30, 140 - 100 * c30))
    a = compute_angles(step)
    assert a["left_thigh_segment"] == pytest.approx(30)  # knee toward the image's right: positive
    assert a["left_shank_segment"] == pytest.approx(0, abs=1e-6) and a["trunk_segment"] == pytest.approx(-30)
    # a camera turned by 10 degrees: the floor's tilt puts the vertical back
    tilted = compute_angles(rotated(step, 10), floor_deg=10)
    assert all(tilted[name] == pytest.approx(a[name], abs=1e-6) for name in SEGMENT_NAMES)
    assert compute_angles(rotated(step, 10))["left_thigh_segment"] == pytest.approx(40)  # uncorrected


def test_a_segment_sweeping_through_its_seam_stays_continuous(tmp_path):
    """An upper arm raised overhead and past it: 170, 175, ..., 190 degrees, never a jump of 360."""
    from poseapp.angles import continuous
    from poseapp.io.records import RecordWriter, read_records

    sweep = np.arange(170, 195, 5.0)
    frames = []
    for deg in sweep:  # the elbow on a circle round the shoulder, 0 hanging down, toward +x positive
        a = np.radians(deg)
        frames.append(upright(left_elbow=(120 + 50 * np.sin(a), 40 + 50 * np.cos(a)), left_wrist=(0, 0)))
    raw = compute_angles(np.stack(frames))["left_upper_arm_segment"]
    assert np.abs(np.diff(raw)).max() > 300  # as measured, it wraps at the seam
    assert continuous(raw) == pytest.approx(sweep - 360 * (sweep[0] > 180))
    path = tmp_path / "seam.csv"
    with RecordWriter(path, smoothed=False) as w:
        for i, kp in enumerate(frames):
            w.write(i, i / 30, True, kp, None, {k: float(v[i]) for k, v in compute_angles(np.stack(frames)).items()})
    written = read_records(path).column("left_upper_arm_segment")
    assert np.abs(np.diff(written)).max() == pytest.approx(5, abs=0.01)


def test_angular_velocity_and_peak_speed():
    from poseapp.angles import angular_velocity, range_of_motion

    t = np.arange(6) / 10
    values = np.array([0, 10, 20, np.nan, 40, 50.0])
    assert angular_velocity(values, t)[[0, 1, 2, 4, 5]] == pytest.approx([100] * 5)
    assert np.isnan(angular_velocity(values, t)[3])
    assert range_of_motion({"a": values}, t)["a"]["peak_speed_deg_s"] == pytest.approx(100)


def _mirrored(kp: np.ndarray) -> np.ndarray:
    """The same pose seen from the other side: x mirrored about x=100 (labels kept)."""
    out = kp.copy()
    out[..., 0] = 200 - out[..., 0]
    return out


@pytest.mark.parametrize("view", ["facing right", "facing left"])
def test_hip_knee_and_trunk_are_signed_forward_positive_whichever_way_the_person_faces(view):
    """Issue 35, item 2: the thigh behind the trunk is hip extension (negative), not a small
    flexion; a knee bent backward is negative; a trunk leaning back is negative. The person faces
    where the bent knee points (here the right knee, bent 60 degrees)."""
    s30, c30 = np.sin(np.radians(30)), np.cos(np.radians(30))
    pose = upright(left_knee=(110 - 60 * s30, 140 + 60 * c30), left_ankle=(110 - 120 * s30, 140 + 120 * c30),
                   right_knee=(90 + 60 * s30, 140 + 60 * c30),  # thigh 30 forward, shank 30 back: knee 60
                   right_ankle=(90 + 60 * s30 - 60 * s30, 140 + 60 * c30 + 60 * c30),
                   thorax=(100 - 100 * np.sin(np.radians(10)), 140 - 100 * np.cos(np.radians(10))))
    a = compute_angles(pose if view == "facing right" else _mirrored(pose))
    # the trunk leaning 10 back opens both hips by 10: the thigh 30 ahead is 20 of flexion, 30 behind 40 of extension
    assert a["right_hip_flexion"] == pytest.approx(20) and a["right_knee_flexion"] == pytest.approx(60)
    assert a["left_hip_flexion"] == pytest.approx(-40)
    assert a["left_knee_flexion"] == pytest.approx(0, abs=1e-6)
    assert a["trunk_inclination"] == pytest.approx(-10)
    back = upright(right_knee=(90 + 60 * s30, 140 + 60 * c30), right_ankle=(90, 260),  # bent 60: facing right
                   left_knee=(110 - 3, 200), left_ankle=(110, 260))  # the left knee pushed back 3 px: hyperextended
    b = compute_angles(back if view == "facing right" else _mirrored(back))
    assert b["left_knee_flexion"] < -4


def test_a_recording_keeps_its_facing_through_frames_with_straight_legs():
    """Facing is carried: frames standing straight after a step facing left stay facing left (and
    the frames before the first bent knee take the first facing seen)."""
    from poseapp.angles import angles_from_xy, facing

    s30, c30 = np.sin(np.radians(30)), np.cos(np.radians(30))
    step = _mirrored(upright(right_knee=(90 + 60 * s30, 140 + 60 * c30), right_ankle=(90, 260)))
    lean_back = _mirrored(upright(left_knee=(110 - 60 * s30, 140 + 60 * c30),
                                  left_ankle=(110 - 120 * s30, 140 + 120 * c30)))  # thigh behind, leg straight
    frames = np.stack([lean_back, step, lean_back])[..., :2]
    assert list(np.nan_to_num(facing(frames))) == [0, -1, 0]
    hip = angles_from_xy(frames, ("left_hip_flexion",))["left_hip_flexion"]
    assert hip == pytest.approx([-30, 0, -30], abs=1e-6)
