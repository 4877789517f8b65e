"""Whom to follow: the rules parsed, a picked person followed and never swapped for another."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import SHARED

COCO = SHARED / "data" / "mmpose-samples" / "coco"


@pytest.fixture(scope="module")
def two_people(tmp_path_factory):
    """Sports2D's clip, frames 100-158 every second one: the walker crosses below while the man on
    the box behind gets ready to jump (backlit, weaker for the model)."""
    from poseapp.io.video import VideoReader, VideoWriter

    path = tmp_path_factory.mktemp("two") / "two.mp4"
    writer = None
    for frame in VideoReader(SHARED / "data" / "sports2d-demo" / "demo.mp4"):
        if frame.index >= 160:
            break
        if frame.index >= 100 and frame.index % 2 == 0:
            writer = writer or VideoWriter(path, 15, frame.rgb.shape[1], frame.rgb.shape[0])
            writer.write(frame.rgb)
    writer.commit()
    return path


def _centres(out, name):
    """(frames, 2) median joint position per frame, NaN where nobody was found."""
    from poseapp.io.records import read_records
    from poseapp.joints import JOINTS

    rec = read_records(out / f"{name}.csv")
    xy = np.stack([np.stack([rec.column(f"{j}_x"), rec.column(f"{j}_y")], 1) for j in JOINTS], 1)
    centres = np.full((len(xy), 2), np.nan)
    found = (rec.column("found") == 1) & np.isfinite(xy).any(axis=(1, 2))
    centres[found] = np.nanmedian(xy[found], axis=1)
    return centres


def test_person_picked_by_a_point_is_followed_and_never_swapped_for_another(two_people, tmp_path):
    from poseapp.batch import VideoOptions, analyse_video

    walker = analyse_video(two_people, tmp_path / "walker", VideoOptions(person="1030,700"))
    jumper = analyse_video(two_people, tmp_path / "jumper", VideoOptions(person="720,250"))
    assert walker.status == jumper.status == "done"
    low, high = _centres(tmp_path / "walker", "two"), _centres(tmp_path / "jumper", "two")
    assert np.all(low[:, 1] > 550)  # the walker, every frame
    assert high[0, 1] < 300  # the man on the box, backlit and weak for the model...
    seen = np.isfinite(high[:, 0])
    assert seen.mean() >= 0.3  # ...followed while the model sees him, and never the walker instead:
    assert np.all(np.linalg.norm(high[seen] - low[seen], axis=1) > 250)  # nobody rather than him
    away = analyse_video(two_people, tmp_path / "away", VideoOptions(person="5000,10"))
    assert away.status == "failed" and "outside the 1768x994 frame" in away.reason


def test_person_rules_parse_and_refuse_junk(capsys):
    from poseapp.cli import main
    from poseapp.localise.choice import parse_person

    assert parse_person("Largest") == "largest" and parse_person("center") == "centre"
    assert parse_person(" 12.5, 40 ") == (12.5, 40.0)
    with pytest.raises(ValueError):
        parse_person("nan,3")
    with pytest.raises(SystemExit) as stop:
        main(["video", "x.mp4", "--out", "o", "--person", "tallest"])
    assert stop.value.code == 2 and "tallest" in capsys.readouterr().err
