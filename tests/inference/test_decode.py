"""Decoding on hand-made heatmaps, and the crop/undo round trip."""

from __future__ import annotations

import numpy as np

from poseapp.inference.decode import peaks, to_image
from poseapp.inference.preprocess import crop_square, full_box, normalise
from poseapp.pose import Box


def gaussian_maps(points, size=64, sigma=2.0):
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    return np.stack([np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / (2 * sigma**2)) for x, y in points])


def test_peaks_find_integer_and_subpixel_centres():
    pts = [(10.0, 20.0), (30.3, 40.6), (5.7, 50.2)]
    maps = gaussian_maps(pts)
    plain = peaks(maps, refine=False)
    refined = peaks(maps, refine=True)
    truth = np.array(pts) + 0.5  # pixel-edge coordinates, as upstream's +0.5
    assert np.abs(plain[:, :2] - truth).max() <= 0.5 + 1e-6
    assert np.abs(refined[:, :2] - truth).max() < 0.15
    assert np.all(plain[:, 2] > 0.5)


def test_to_image_undoes_box():
    pts = np.array([[0.0, 0.0, 1.0], [224.0, 112.0, 0.5]], np.float32)
    out = to_image(pts, Box(100, -50, 448), 224)
    assert np.allclose(out, [[100, -50, 1.0], [548, 174, 0.5]])


def test_full_box_pads_shorter_side_centred():
    assert full_box(480, 640) == Box(0, -80, 640)
    img = np.full((480, 640, 3), 255, np.uint8)
    sq = crop_square(img, full_box(480, 640), 64)
    assert sq.shape == (64, 64, 3)
    assert sq[:7, 32].max() == 0 and sq[9:55, 32].min() == 255 and sq[57:, 32].max() == 0


def test_normalisations():
    px = np.array([[[0, 128, 255]]], np.uint8)
    assert np.allclose(normalise(px, "tf"), [[[-1, 128 / 127.5 - 1, 1]]], atol=1e-6)
    assert np.allclose(normalise(px, "torch")[0, 0, 0], -0.485 / 0.229, atol=1e-5)
