"""The empty-stretch benchmark's live loop: it runs the tracker as the live worker does and finds
the driver once he is in view."""

from __future__ import annotations

from poseapp.io.images import read_rgb
from tests.helpers import load_script


def test_live_loop_measures_busy_cores_and_finds_the_person(engines):
    bench = load_script("benchmarks/empty_stretch.py")
    picture = read_rgb(bench.TRUCK)
    got = bench.live(engines("RT"), 2.0, picture[:, :900], picture, seconds=0.5, patience=1, every=3)
    assert got["cores_busy"] > 0 and got["seconds_to_find"] < 30  # found: the loop gives up at 30 s
