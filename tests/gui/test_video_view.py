"""What the view draws for a frame: a frame without the person says so and draws no box."""

from __future__ import annotations

import numpy as np

from poseapp.gui.video_view import overlay
from poseapp.io.images import read_rgb
from poseapp.io.video import Frame
from poseapp.pipeline import LiveResult
from poseapp.pose import Box, Pose
from tests.conftest import UPSTREAM


def test_nobody_found_is_said_and_no_box_is_drawn():
    """Issue 35, item 11: a yellow box sat on an empty tree when nobody was followed."""
    rgb = read_rgb(UPSTREAM / "MPII.jpg")
    nobody = Pose(np.zeros((16, 3), np.float32), Box(300, 300, 400), "RT", found=False)
    xy = np.full((16, 2), np.nan)
    out = overlay(LiveResult(Frame(0, 0.0, rgb), nobody, xy, None, {}, "RT", "cpu"), 0.3, (), False)
    changed = np.any(out != rgb, axis=2)
    assert changed[:80, :400].any()  # the words, top left
    assert not changed[80:].any() and not changed[:, 400:].any()  # nothing else: no box
