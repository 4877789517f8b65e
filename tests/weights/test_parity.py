"""Our modules with converted weights against the upstream TFLite runtime, on real images."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.ndimage import gaussian_filter

from poseapp.inference.decode import to_image
from poseapp.inference.preprocess import full_box, preprocess
from poseapp.io.images import read_rgb
from tests.conftest import PARITY_IMAGES, UPSTREAM, UPSTREAM_VARIANTS

Interpreter = pytest.importorskip("ai_edge_litert.interpreter").Interpreter


def upstream_decode(heatmaps: np.ndarray) -> np.ndarray:
    """Upstream's decoding, written from its description: blur, argmax, +0.5 (input pixels)."""
    out = []
    for plane in heatmaps:
        blurred = gaussian_filter(plane, sigma=1)
        y, x = np.unravel_index(blurred.argmax(), blurred.shape)
        out.append((x + 0.5, y + 0.5))
    return np.array(out)


@pytest.fixture(scope="module")
def tflite():
    cache = {}

    def run(variant: str, batch: np.ndarray) -> np.ndarray:
        if variant not in cache:
            it = Interpreter(str(UPSTREAM / "tflite" / f"EfficientPose{variant}.tflite"), num_threads=2)
            it.allocate_tensors()
            cache[variant] = it
        it = cache[variant]
        it.set_tensor(it.get_input_details()[0]["index"], batch)
        it.invoke()
        return it.get_tensor(it.get_output_details()[-1]["index"]).transpose(0, 3, 1, 2)  # NHWC -> ours

    return run


@pytest.mark.parametrize("backend", ["onnx", "torch"])
@pytest.mark.parametrize("variant", UPSTREAM_VARIANTS)
def test_heatmaps_and_keypoints_match_upstream(variant, backend, engines, tflite):
    engine = engines(variant, backend)
    for path in PARITY_IMAGES:
        rgb = read_rgb(path)
        box = full_box(*rgb.shape[:2])
        batch = preprocess(rgb, box, engine.size, engine.variant.normalisation)[None]
        ref = tflite(variant, batch)[0]
        ours = engine.heatmaps(batch)[0]
        assert np.abs(ours - ref).max() <= 1e-3 * np.abs(ref).max(), path.name

        pose = engine.predict(rgb)  # --roi full through the whole pipeline
        expected = to_image(np.c_[upstream_decode(ref), np.ones(16)], box, engine.size)
        pixel = box.size / engine.size  # one input-resolution pixel in image pixels
        assert np.abs(pose.keypoints[:, :2] - expected[:, :2]).max() <= pixel, path.name


def test_refinement_moves_under_half_a_pixel(engines):
    engine = engines("RT")
    rgb = read_rgb(PARITY_IMAGES[0])
    plain = engine.predict(rgb).keypoints
    engine.refine = True
    try:
        refined = engine.predict(rgb).keypoints
    finally:
        engine.refine = False
    pixel = max(rgb.shape[:2]) / engine.size
    assert np.abs(refined[:, :2] - plain[:, :2]).max() <= 0.5 * pixel + 1e-3
