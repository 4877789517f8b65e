"""Who walks: the look-through's linking and choice on known sightings, and on Sports2D's clip."""

from __future__ import annotations

import numpy as np
import pytest

from poseapp.joints import INDEX
from poseapp.localise.choice import parse_person
from poseapp.localise.search import AutoSearch
from poseapp.localise.walker import Sighting, WalkerSearch, upright
from tests.conftest import SHARED
from tests.walker import walk


def sighting(t: float, x: float, y: float, size: float = 360.0, up: bool = True) -> Sighting:
    return Sighting(round(30 * t), t, x, y, size, up, None)


def looked_through(people: dict[str, list[Sighting]]) -> WalkerSearch:
    """A look-through whose looks saw ``people`` (no model: the sightings are given)."""
    search = WalkerSearch(AutoSearch(), engine=None)
    times = sorted({s.time_s for track in people.values() for s in track})
    search.seen = [[s for track in people.values() for s in track if s.time_s == t] for t in times]
    return search


def test_the_person_who_walks_one_way_longest_is_the_walker():
    """Someone standing from the start, a walker coming in at 1.5 s and crossing the view (passing
    above the stander's place), a runner out of view in the last second, a fragment of someone in
    the air: the walker is chosen from where they were first seen, though others came first."""
    steps = np.arange(0, 8, 0.5)
    stander = [sighting(t, 640 + 10 * np.sin(t), 250) for t in steps if t <= 5]
    walker = [sighting(t, 1500 - 300 * (t - 1.5), 710) for t in steps if 1.5 <= t <= 6]
    runner = [sighting(t, 1140 + 400 * (t - 6.5), 780, 240) for t in steps if t >= 6.5]
    fragment = [sighting(4.0, 740, 260, 50, up=False)]
    found = looked_through({"stander": stander, "walker": walker, "runner": runner, "fragment": fragment}).walker()
    assert found is not None
    assert found.index == 45 and found.point == (1500.0, 710.0) and found.walked_s == pytest.approx(4.5)
    assert [round(x) for _, x, _ in found.path] == [round(s.x) for s in walker]
    assert found.where(2.25) == pytest.approx((1275.0, 710.0))
    assert [p["walked_s"] for p in found.tracks] == [4.5, 1.0, 0.0]  # the runner's dash is a second
    assert found.to_json()["people_seen"][0]["first_frame"] == 45


def test_standing_turning_and_jumping_are_not_walking():
    """Nobody moving one way for a second while upright: no walker (the batch then warns and
    follows the rule ``auto``)."""
    steps = np.arange(0, 6, 0.5)
    pacer = [sighting(t, 800 + (60 if int(t * 2) % 2 else -60), 700) for t in steps]  # back and forth
    flipper = [sighting(t, 600 + 200 * t, 300, up=False) for t in steps]  # moving, never upright
    assert looked_through({"pacer": pacer, "flipper": flipper}).walker() is None
    assert looked_through({}).walker() is None


def test_upright_is_shoulders_over_hips_over_knees_over_ankles():
    kp = walk(seconds=1.0, fps=30).keypoints()[0]
    assert upright(kp, 0.3)
    upside_down = kp.copy()
    upside_down[:, 1] = -upside_down[:, 1]
    assert not upright(upside_down, 0.3)
    unsure = kp.copy()
    unsure[[INDEX["right_knee"], INDEX["left_knee"]], 2] = 0.0  # knees unseen
    assert not upright(unsure, 0.3)


def test_walker_is_a_rule_for_recorded_video_only():
    assert parse_person("walker", video=True) == "walker"
    with pytest.raises(ValueError, match="needs a recorded video"):
        parse_person("walker")


@pytest.mark.slow
@pytest.mark.parametrize("view", ["as filmed", "mirrored", "from 3 s"])
def test_the_walker_of_sports2d_clip_not_the_man_on_the_box(engines, view):
    """The shared clip: a man on a box in view from the first frame (he jumps, flips down and runs
    off to the right), a woman walking in from the right at about 1.5 s and out on the left. The
    look-through (RT, one frame every half second) picks her, from where she came in; the same
    mirrored (she walks the other way), and from 3 s on (she is in view from the first look)."""
    from poseapp.io.video import Frame, VideoReader

    search = WalkerSearch(AutoSearch(), engines("RT"))
    with VideoReader(SHARED / "data" / "sports2d-demo" / "demo.mp4") as reader:
        width = reader.info.width
        if view == "mirrored":
            search.frames(Frame(f.index, f.time_s, np.ascontiguousarray(f.rgb[:, ::-1])) for f in reader)
        else:
            search.frames(f for f in reader if view == "as filmed" or f.time_s >= 3)
    found = search.walker()
    assert found is not None and len(search.seen) == (10 if view == "from 3 s" else 16)
    xs = np.array([x for _, x, _ in found.path])
    if view == "mirrored":
        xs = width - xs
    assert xs[0] > 1000 and xs[-1] < 400 and (np.diff(xs) < 0).all()  # walking left (right) all the way
    assert found.index == 90 if view == "from 3 s" else 30 <= found.index <= 60
    assert found.walked_s >= 2.5 and found.tracks[1]["walked_s"] <= 1.0
