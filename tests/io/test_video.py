"""The video reader on the shared clips and on broken files, and the atomic writer."""

from __future__ import annotations

import numpy as np
import pytest

from poseapp.errors import PoseappError
from poseapp.io.atomic import partial_path
from poseapp.io.video import VideoReader, VideoWriter
from tests.conftest import SHARED

DEMO = SHARED / "data" / "mmpose-samples" / "demo.mp4"
POSETRACK = next((SHARED / "data" / "mmpose-samples" / "posetrack18" / "videos").glob("*/*.mp4"))


@pytest.mark.parametrize("path, size, fps", [(DEMO, (960, 540), 5.0), (POSETRACK, (1280, 720), 30.0)])
def test_reads_every_frame_with_container_times(path, size, fps):
    reader = VideoReader(path)
    assert (reader.info.width, reader.info.height) == size and reader.info.fps == fps
    frames = list(reader)
    assert [f.index for f in frames] == list(range(5)) and reader.decoded == 5 and not reader.truncated
    assert np.allclose([f.time_s for f in frames], np.arange(5) / fps, atol=1e-3)
    assert frames[0].rgb.shape == (size[1], size[0], 3) and frames[0].rgb.dtype == np.uint8


def test_rgb_order(tmp_path):
    path = tmp_path / "red.mp4"
    writer = VideoWriter(path, 10, 64, 48)
    for _ in range(3):
        writer.write(np.full((48, 64, 3), (220, 20, 20), np.uint8))
    assert partial_path(path).exists() and not path.exists()  # only the partial name while writing
    writer.commit()
    first = next(iter(VideoReader(path))).rgb
    assert first[..., 0].mean() > 150 and first[..., 2].mean() < 80


def test_bad_files_raise_clear_errors(tmp_path):
    text = tmp_path / "notes.mp4"
    text.write_text("this is not a video\n" * 50)
    with pytest.raises(PoseappError, match="no such video"):
        VideoReader(tmp_path / "missing.mp4")
    with pytest.raises(PoseappError, match="notes.mp4"):
        VideoReader(text)


def test_reading_left_early_is_not_a_truncated_file():
    reader = VideoReader(DEMO)
    for frame in reader:
        if frame.index == 1:
            break
    assert reader.decoded == 2 and not reader.ended and not reader.truncated


def test_truncated_file_is_noticed(tmp_path):
    """An AVI cut in half: it opens and decodes, but ends well before the frame count it declares."""
    whole = tmp_path / "whole.avi"
    import cv2

    writer = cv2.VideoWriter(str(whole), cv2.VideoWriter_fourcc(*"MJPG"), 25, (64, 48))
    rng = np.random.default_rng(0)
    for _ in range(60):
        writer.write(rng.integers(0, 255, (48, 64, 3), dtype=np.uint8))
    writer.release()
    cut = tmp_path / "cut.avi"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    reader = VideoReader(cut)
    frames = list(reader)
    assert 0 < len(frames) < 50 and reader.truncated
