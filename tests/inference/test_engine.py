"""The engine's test-time augmentation: heatmaps warped between crops keep their image position,
and multi-scale testing runs one pass per scale without losing accuracy on real MPII people."""

from __future__ import annotations

import numpy as np
import pytest

from poseapp.errors import PoseappError
from poseapp.evaluation import evaluate
from poseapp.inference.decode import peaks, to_image
from poseapp.inference.engine import onto
from poseapp.io.mpii import load_mpii
from poseapp.pose import Box
from tests.conftest import MPII_DIR


@pytest.mark.parametrize("src", [Box(40, 60, 300), Box(100, 90, 150), Box(-20, 10, 420)])
def test_warped_heatmap_peak_keeps_its_image_position(src):
    size, dst = 224, Box(60, 70, 250)
    point = np.array([170.0, 190.0])  # image pixels, inside both crops
    u = (point - [src.x, src.y]) * size / src.size  # input-pixel edges in the source crop
    yy, xx = np.mgrid[0:size, 0:size] + 0.5
    maps = np.exp(-((xx - u[0]) ** 2 + (yy - u[1]) ** 2) / (2 * 3.0**2))[None].astype(np.float32)
    back = to_image(peaks(onto(maps, src, dst, size)), dst, size)[0, :2]
    assert np.abs(back - point).max() < dst.size / size  # within one input pixel of the target crop


def test_multi_scale_runs_a_pass_per_scale_and_keeps_accuracy(engines):
    engine = engines("RT")
    samples = load_mpii(MPII_DIR)
    single = evaluate(engine, samples, "crop")
    engine.scales = (0.8, 1.0, 1.2)
    try:
        multi = evaluate(engine, samples, "crop")
    finally:
        engine.scales = (1.0,)
    assert multi.passes_per_image == 3 and single.passes_per_image == 1
    assert multi.overall["0.5"] >= single.overall["0.5"] - 3  # one joint of the 76 is 1.3 points


def test_scales_must_be_positive(engines):
    from poseapp.inference.engine import Engine

    with pytest.raises(PoseappError, match="positive"):
        Engine("RT", backend=engines("RT").backend, scales=(0.0, 1.0))
