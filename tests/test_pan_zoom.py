"""The built clip: frames match the truth that moves with them."""

from __future__ import annotations

import numpy as np

from poseapp.io.video import VideoReader
from poseapp.pan_zoom import pckh_per_frame


def test_clip_frames_and_truth(pan_zoom_clip):
    reader = VideoReader(pan_zoom_clip.path)
    assert reader.info.declared_frames == 300 and (reader.info.width, reader.info.height) == (640, 480)
    assert pan_zoom_clip.joints.shape == (300, 16, 2)
    sizes = pan_zoom_clip.head_sizes
    assert sizes.max() > 2 * sizes.min()  # it really zooms
    centre = pan_zoom_clip.joints[:, pan_zoom_clip.visible].mean(1)
    assert np.ptp(centre[:, 0]) > 150  # and pans
    assert np.all(pckh_per_frame(pan_zoom_clip.joints, pan_zoom_clip) == 100)
    assert np.all(pckh_per_frame(pan_zoom_clip.joints + 5 * sizes[:, None, None], pan_zoom_clip) == 0)
