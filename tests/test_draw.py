"""Drawing: one threshold rule, the legend, weak poses faded rather than hidden."""

from __future__ import annotations

import numpy as np

from poseapp.draw import DRAW_THRESHOLD, WEAK_SCORE, draw_pose
from poseapp.joints import INDEX
from poseapp.pose import Box, Pose


def _pose(scores: np.ndarray) -> Pose:
    kp = np.zeros((16, 3), np.float32)
    kp[:, 0] = 100 + 10 * np.arange(16)
    kp[:, 1] = 60 + 8 * np.arange(16)
    kp[:, 2] = scores
    return Pose(kp, Box(50, 20, 300), "RT")


def test_joints_under_the_threshold_are_not_drawn_and_weak_poses_are_faded():
    grey = np.full((400, 400, 3), 100, np.uint8)
    strong = np.full(16, 0.9, np.float32)
    strong[INDEX["left_ankle"]] = DRAW_THRESHOLD - 0.01
    drawn = draw_pose(grey, _pose(strong))
    x, y = 100 + 10 * INDEX["left_ankle"], 60 + 8 * INDEX["left_ankle"]
    assert np.array_equal(drawn[y, x], grey[y, x])  # the low joint is left out
    x, y = 100 + 10 * INDEX["left_knee"], 60 + 8 * INDEX["left_knee"]
    assert not np.array_equal(drawn[y, x], grey[y, x])
    weak_scores = np.full(16, 0.02, np.float32)
    weak_scores[[INDEX["left_knee"], INDEX["left_hip"]]] = 0.9
    weak = _pose(weak_scores)
    assert weak.score < WEAK_SCORE
    faded = draw_pose(grey, weak)
    full = draw_pose(grey, _pose(np.full(16, 0.9, np.float32)))
    gap_faded = np.abs(faded[y, x].astype(int) - 100).sum()
    gap_full = np.abs(full[y, x].astype(int) - 100).sum()
    assert 0 < gap_faded < 0.6 * gap_full  # there, but faded


def test_the_legend_is_drawn_over_the_crop_box():
    """Issue 35, item 21: in the annotated video a crop box ran across the threshold legend."""
    import numpy as np

    from poseapp.draw import draw_pose
    from poseapp.pose import Box, Pose

    rgb = np.full((400, 400, 3), 90, np.uint8)
    kp = np.zeros((16, 3), np.float32)
    kp[:, :2], kp[:, 2] = [200, 200], 0.9
    pose = Pose(kp, Box(-50, 388, 300), "RT")  # the box's top edge runs through the legend's line

    def yellow(image: np.ndarray) -> int:
        corner = image[382:396, 4:110].astype(int)
        return int(((corner[..., 0] > 180) & (corner[..., 1] > 160) & (corner[..., 2] < 110)).sum())

    assert yellow(draw_pose(rgb, pose)) > 50  # the box is there...
    assert yellow(draw_pose(rgb, pose, legend=True)) < 0.8 * yellow(draw_pose(rgb, pose))  # ...under the text


def test_a_label_has_its_dark_outline_on_a_light_background():
    """White text on a pale sky was unreadable: OpenCV 5 caps a stroke's thickness, and the thick
    black stroke meant as the outline came out no wider than the white one over it."""
    import numpy as np

    from poseapp.draw import draw_label

    sky = np.full((994, 1768, 3), 230, np.uint8)
    draw_label(sky, "nobody found", (10, 30))
    corner = sky[:120, :700]
    dark, white = (corner < 50).all(-1).sum(), (corner > 250).all(-1).sum()
    assert dark > 0.5 * white > 0
