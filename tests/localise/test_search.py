"""The search of one frame on real images: windows, the choice among people, nobody in the frame."""

from __future__ import annotations

import numpy as np
import pytest

from poseapp.errors import PoseappError
from poseapp.evaluation import evaluate
from poseapp.io.images import read_rgb
from poseapp.io.mpii import load_mpii
from poseapp.localise.crop import joint_box
from poseapp.localise.localiser import FullFrame, make_localiser
from poseapp.localise.search import AutoSearch
from poseapp.pose import Box, Pose
from tests.conftest import MPII_DIR, SHARED, nobody_pictures

COCO = SHARED / "data" / "mmpose-samples" / "coco"


def test_windows_cover_the_image_at_every_scale():
    search = AutoSearch(scales=(1.0, 0.5))
    boxes = search.windows(720, 1280)
    assert boxes[0] == Box(0, -280, 1280)  # upstream's padded whole frame comes first
    for side in (720, 360):
        grid = [b for b in boxes[1:] if b.size == side]
        assert min(b.x for b in grid) == 0 and max(b.x + b.size for b in grid) == 1280
        assert min(b.y for b in grid) == 0 and max(b.y + b.size for b in grid) == 720


def test_joint_box_ignores_unconfident_joints():
    kp = np.zeros((16, 3), np.float32)
    kp[:4] = [[10, 10, 0.9], [30, 10, 0.9], [10, 50, 0.9], [30, 50, 0.9]]
    kp[4] = [500, 500, 0.05]
    box = joint_box(Pose(kp, Box(0, 0, 100), "RT"), 0.2, 1.5, 1.0)
    assert box == Box(-10, 0, 60)
    assert joint_box(Pose(kp, Box(0, 0, 100), "RT"), 0.95, 1.5, 1.0) is None


def test_choice_prefers_the_larger_more_central_of_two_confident_people():
    def person(x, y, size, score):
        kp = np.zeros((16, 3), np.float32)
        kp[:, 0] = x + np.linspace(0, size, 16)
        kp[:, 1] = y + np.linspace(0, size, 16)
        kp[:, 2] = score
        return Pose(kp, Box(x, y, size), "RT")

    small_central, large_side = person(600, 300, 100, 0.6), person(50, 100, 400, 0.55)
    faint_giant = person(0, 0, 700, 0.2)
    chosen = AutoSearch().choose([small_central, large_side, faint_giant], 720, 1280)
    assert chosen is large_side


@pytest.mark.parametrize("variant", ["RT", "II"])
def test_nobody_in_the_picture_is_not_found(variant, engines):
    engine = engines(variant)
    localiser = make_localiser("auto", engine)
    for name, rgb in nobody_pictures().items():
        pose = localiser.locate(engine, rgb)
        assert not pose.found, name


def test_auto_finds_the_person_where_full_frame_fails(engines):
    """II on the five whole MPII images: the issue asks for at least 65% PCKh@0.5 with auto."""
    engine, samples = engines("II"), load_mpii(MPII_DIR)
    auto = evaluate(engine, samples, "auto")
    full = evaluate(engine, samples, "full")
    assert auto.overall["0.5"] >= 65 > full.overall["0.5"]
    # the detector's one pass, a crop per detected person (at most 3) and one closer look: at most 5
    assert 2 <= auto.passes_per_image <= 5


def test_full_mode_is_upstreams_whole_frame(engines):
    engine = engines("RT")
    rgb = read_rgb(MPII_DIR / "004645041.jpg")
    pose = FullFrame().locate(engine, rgb)
    assert np.array_equal(pose.keypoints, engine.predict(rgb).keypoints)
    assert pose.box == Box(0, -280, 1280) and pose.extra["forward_passes"] == 1


def test_unknown_mode_is_a_clear_error(engines):
    with pytest.raises(PoseappError, match="unknown localisation mode"):
        make_localiser("track-everything", engines("RT"))
