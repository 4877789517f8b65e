"""Refactoring keeps results: ``poseapp video`` on two shared clips gives the poses it gave before.

The reference CSVs in ``tests/data/reference`` were written by commit 84e4f60 (before
``weights/store.py`` was split, the worker got its command queue and the upscaler became matrix
products), with its own code first on the path:

    git worktree add /tmp/old 84e4f60
    PYTHONPATH=/tmp/old python -m poseapp video SPORTS2D_DEMO POSETRACK_CLIP --out REF \
        --quality fast --end 2 --workers 1 --threads 2

The same people must be found in the same frames at the same places: within 0.5 px (threads and
graph layouts change float rounding, never a decision) and 0.01 in score. Since the person
detector (2026-12-07) changed where the model looks by design, these references are checked with
``--no-detector`` (the window search they were made with), and ``detector-*.csv`` hold the
detector's results, written by the commit that added it with the same command.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from poseapp.cli import main
from poseapp.io.records import read_records
from tests.conftest import SHARED

REFERENCE = Path(__file__).parent / "data" / "reference"
CLIPS = {
    "sports2d-demo": SHARED / "data" / "sports2d-demo" / "demo.mp4",
    "posetrack-000001": SHARED / "data" / "mmpose-samples" / "posetrack18" / "videos" / "000001_mpiinew_test"
    / "000001_mpiinew_test.mp4",
}


@pytest.mark.parametrize("detector", [False, True], ids=["search", "detector"])
@pytest.mark.parametrize("name", CLIPS)
def test_poses_on_the_shared_clips_are_those_of_the_reference_run(name, detector, tmp_path, capsys):
    assert main(["video", str(CLIPS[name]), "--out", str(tmp_path), "--quality", "fast", "--end", "2",
                 "--workers", "1", "--threads", "2", *([] if detector else ["--no-detector"])]) == 0
    assert "ends early" not in capsys.readouterr().err  # stopping at --end is not a cut-off file
    now = read_records(tmp_path / f"{CLIPS[name].stem}.csv")
    before = read_records(REFERENCE / f"{'detector-' if detector else ''}{name}.csv")
    assert now.columns == before.columns and len(now.values) == len(before.values)
    np.testing.assert_array_equal(now.column("frame"), before.column("frame"))
    np.testing.assert_array_equal(now.column("found"), before.column("found"))
    a, b = now.keypoints(), before.keypoints()
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
    np.testing.assert_allclose(a[..., :2], b[..., :2], atol=0.5, equal_nan=True)
    np.testing.assert_allclose(a[..., 2], b[..., 2], atol=0.01, equal_nan=True)
