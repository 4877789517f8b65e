"""One analysis path: the live view and the batch give the same poses, options and metadata."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from poseapp.analysis import AnalysisOptions, FrameAnalyser, result_metadata
from poseapp.io.video import VideoReader, frame_time
from tests.conftest import SHARED

DEMO = SHARED / "data" / "mmpose-samples" / "demo.mp4"  # five frames of a street, several people


def test_batch_and_live_analyser_give_the_same_poses_on_a_shared_clip(tmp_path):
    """``poseapp video``'s raw joints are the frame analyser's, frame by frame (the live view's path)."""
    from poseapp.batch import VideoOptions, analyse_video
    from poseapp.io.records import read_records
    from poseapp.joints import JOINTS
    from poseapp.pipeline import LiveAnalyser, LiveSettings

    options = VideoOptions(model="RT", threads=2)
    result = analyse_video(DEMO, tmp_path, options)
    assert result.status == "done" and result.frames == 5
    rec = read_records(tmp_path / "demo.csv")
    batch_xy = np.stack([np.stack([rec.column(f"{j}_x"), rec.column(f"{j}_y")], 1) for j in JOINTS], 1)
    live = LiveAnalyser(LiveSettings(model="RT", threads=2, smooth="none"))
    poses = [live.analyse(frame) for frame in VideoReader(DEMO)]
    assert [r.pose.found for r in poses] == list(rec.column("found") == 1)
    live_xy = np.array([r.pose.keypoints[:, :2] for r in poses])
    assert np.allclose(batch_xy, live_xy, atol=0.01)  # the CSV rounds to two decimals
    for name in ("left_knee_flexion", "right_elbow_flexion"):
        live_angles = np.array([r.angles[name] for r in poses])
        assert np.allclose(np.abs(rec.column(name)), np.abs(live_angles), atol=0.01, equal_nan=True)
    # signed angles: the same from the first frame that showed the facing on (live cannot know it
    # before; the batch carries the first facing seen back to the first frames)
    from poseapp.angles import facing

    seen = np.cumsum(np.isfinite([facing(r.xy) for r in poses])) > 0
    live_knee = np.array([r.angles["left_knee_flexion"] for r in poses])
    assert seen.any() and np.allclose(rec.column("left_knee_flexion")[seen], live_knee[seen], atol=0.01,
                                      equal_nan=True)
    assert live.localiser.rest == LiveAnalyser.REST > 0  # live: the empty stretch's rule in time
    live.configure(LiveSettings(model="RT", threads=2, smooth="none", roi="auto"))
    live.configure(LiveSettings(model="RT", threads=2, smooth="none", roi="track"))
    assert live.localiser.rest == LiveAnalyser.REST


def test_live_and_batch_options_share_one_record():
    from poseapp.batch import VideoOptions
    from poseapp.pipeline import LiveSettings

    shared = {f.name for f in dataclasses.fields(AnalysisOptions)}
    assert shared <= {f.name for f in dataclasses.fields(VideoOptions)}
    assert shared <= {f.name for f in dataclasses.fields(LiveSettings)}
    own = {f.name for f in dataclasses.fields(VideoOptions)} - shared
    assert own == {"max_gap", "cutoff_hz", "annotate", "batch_size", "overwrite", "start_s", "end_s", "formats",
                   "gait", "height_m", "scale_line", "calibration"}
    assert "people" in shared  # the window draws everyone by id as poseapp video writes them
    assert LiveSettings().smooth == "oneeuro" and VideoOptions().smooth == "none"
    assert LiveSettings(model="II").engine_key() == VideoOptions(model="ii").engine_key()


def test_every_result_json_carries_the_weights_identity_of_each_model():
    meta = result_metadata({"path": "x.mp4"}, AnalysisOptions(model="RT"), ["RT"], 3, {})
    assert meta["weights"]["RT"]["git_blob"] and meta["models"] == ["RT"] and meta["options"]["model"] == "RT"
    assert json.loads(json.dumps(meta))["frames"] == 3


def test_one_frame_time_rule():
    assert frame_time(0, 40.0, 40.0, None, 25.0) == 0.0
    assert frame_time(3, 160.0, 40.0, 0.08, 25.0) == pytest.approx(0.12)  # the container's time
    assert frame_time(3, 60.0, 40.0, 0.08, 25.0) == pytest.approx(0.12)  # backward: the nominal rate on
    assert frame_time(3, -1.0, 40.0, 0.08, 25.0) == pytest.approx(0.12)  # none given: the same
    assert frame_time(50, -1.0, 40.0, None, 25.0) == 2.0  # after a seek: index / fps


def test_frame_analyser_follows_a_point_and_resets():
    from poseapp.localise.track import Track

    analyser = FrameAnalyser(AnalysisOptions(model="RT", threads=2))
    analyser.load()
    analyser.pick(100.0, 200.0)
    assert isinstance(analyser.localiser, Track) and analyser.localiser.point == (100.0, 200.0)
    analyser.reset()
    assert analyser.localiser.previous is None


def test_moving_the_point_along_the_same_person_keeps_the_smoothing():
    analyser = FrameAnalyser(AnalysisOptions(model="RT", threads=2, roi="auto", smooth="oneeuro"))
    analyser.load()
    analyser.euro(0.0, np.zeros((16, 2)))
    analyser.follow((120.0, 80.0), only=True, same=True)
    assert analyser.localiser.person == (120.0, 80.0)
    assert np.all(analyser.euro(0.04, np.ones((16, 2))) < 1)  # still smoothing from the earlier frame
    analyser.follow((10.0, 10.0))  # another person: starts afresh
    assert np.all(analyser.euro(0.08, np.ones((16, 2))) == 1)


def test_a_model_switched_while_a_person_is_followed_keeps_following_them():
    """The window's model changed mid-clip (a quality preset for the recording, say): the person
    picked by a click, the backlit man on the box, not the larger walker, is still the one followed
    with the new model; the detector's track does not depend on the model, so it is kept."""
    from poseapp.analysis import AnalysisOptions, FrameAnalyser
    from poseapp.io.video import VideoReader

    frames = [f for f in VideoReader(SHARED / "data" / "sports2d-demo" / "demo.mp4") if 100 <= f.index < 112]
    analyser = FrameAnalyser(AnalysisOptions(threads=2))
    for frame in frames[:6]:
        analyser.analyse(frame)
    analyser.pick(720, 250)
    for frame in frames[6:8]:
        assert np.nanmedian(analyser.analyse(frame).pose.keypoints[:, 1]) < 400
    track = analyser.localiser
    assert analyser.configure(dataclasses.replace(analyser.options, model="II"))
    analyser.load()
    assert analyser.localiser is track and analyser.engine.model == "II"
    for frame in frames[8:]:
        result = analyser.analyse(frame)
        assert result.pose.found and np.nanmedian(result.pose.keypoints[:, 1]) < 400 and result.model == "II"
    analyser.configure(dataclasses.replace(analyser.options, roi="auto"))  # another mode: a new localiser
    assert analyser.localiser is not track
