"""The detector's crops: turned upright for a leaning person and mapped back exactly, a lying
person posed as well as an upright one, and the passes a detected person costs."""

from __future__ import annotations

import json
import math

import cv2
import numpy as np
import pytest

from poseapp.inference.decode import to_image
from poseapp.inference.preprocess import crop_square
from poseapp.io.images import read_rgb
from poseapp.io.mpii import load_mpii
from poseapp.localise.detector import Detection, Detector, anchors
from poseapp.localise.localiser import make_localiser
from poseapp.pose import Box
from tests.conftest import MPII_DIR


def test_anchors_are_mediapipes_2254_in_output_order():
    a = anchors()
    assert a.shape == (2254, 2)
    assert np.allclose(a[:2], [[0.5 / 28, 0.5 / 28]] * 2)  # stride 8: a 28x28 grid, two per cell
    assert np.allclose(a[1568], [0.5 / 14, 0.5 / 14])  # stride 16 from there
    assert np.allclose(a[-6:], [[6.5 / 7, 6.5 / 7]] * 6)  # three stride-32 layers share the last grid


@pytest.mark.parametrize("degrees", [0, 15, 30, 90, -120, 180])
def test_a_turned_crop_maps_its_pixels_back_to_where_they_were(degrees):
    """A mark placed in the image is found in the turned crop where ``to_image`` sends it back from."""
    rng = np.random.default_rng(degrees % 360)
    rgb = np.zeros((480, 640, 3), np.uint8)
    box = Box(150.0, 60.0, 300.0, math.radians(degrees))
    for _ in range(5):
        x, y = rng.uniform(220, 380), rng.uniform(140, 300)
        image = rgb.copy()
        cv2.circle(image, (int(round(x)), int(round(y))), 3, (255, 255, 255), -1)
        crop = crop_square(image, box, 256).astype(np.float32).sum(2)
        ys, xs = np.nonzero(crop > 0.5 * crop.max())
        weights = crop[ys, xs]
        centre = np.array([[np.average(xs, weights=weights) + 0.5, np.average(ys, weights=weights) + 0.5, 1]])
        back = to_image(centre, box, 256)[0]
        assert math.dist(back[:2], (round(x) + 0.5, round(y) + 0.5)) < 0.5  # pixel edges, as decoding gives


def test_a_detection_of_a_lying_person_turns_the_crop_upright():
    upright = Detection(0.9, np.zeros(4), np.array([[100, 200], [100, 100], [100, 150], [100, 120]], float))
    lying = Detection(0.9, np.zeros(4), np.array([[100, 200], [0, 200], [50, 200], [30, 200]], float))
    leaning = Detection(0.9, np.zeros(4), np.array([[100, 200], [110, 100], [0, 0], [0, 0]], float))
    assert upright.crop().angle == 0 and upright.crop().size == pytest.approx(250)
    assert upright.crop().centre == pytest.approx((100, 200))
    assert lying.crop().angle == pytest.approx(-math.pi / 2)  # head to the left: the crop's down is +x
    assert leaning.crop().angle == 0  # under 20 degrees: an upright walker's crop is not jittered


def _limbs_pck(pred: np.ndarray, sample) -> float:
    from poseapp.joints import INDEX

    torso = math.dist(sample.joints[INDEX["right_shoulder"]], sample.joints[INDEX["left_hip"]])
    ok = np.linalg.norm(pred[:, :2] - sample.joints, axis=1) <= 0.5 * torso
    return float(ok[sample.visible > 0].mean())


@pytest.mark.parametrize("variant", ["RT", "II"])
def test_a_person_lying_is_posed_upright_and_mapped_back(engines, variant):
    """The shared MPII people turned a quarter (lying, head to one side) and half a turn (upside
    down): the detector's turned crop poses them nearly as well as the same people upright, and
    better than the same crop left unturned."""
    engine = engines(variant)
    det = Detector(threads=1)
    turned_score, flat_score, upright_score = [], [], []
    for sample in load_mpii(MPII_DIR):
        rgb = read_rgb(sample.image)
        h, w = rgb.shape[:2]
        upright = det.detect(rgb)[0]
        upright_score.append(_limbs_pck(engine.predict(rgb, upright.crop()).keypoints, sample))
        for turn, code in ((90, cv2.ROTATE_90_CLOCKWISE), (180, cv2.ROTATE_180)):
            image = cv2.rotate(rgb, code)
            joints = sample.joints.copy()
            if turn == 90:
                joints = np.stack([h - sample.joints[:, 1], sample.joints[:, 0]], 1)
            else:
                joints = np.stack([w - sample.joints[:, 0], h - sample.joints[:, 1]], 1)
            moved = type(sample)(sample.image, joints, sample.visible, sample.center, sample.scale)
            found = det.detect(image)
            if not found:
                continue
            best = min(found, key=lambda d: math.dist(d.points[0], joints[[10, 13]].mean(0)))
            box = best.crop()
            turned_score.append(_limbs_pck(engine.predict(image, box).keypoints, moved))
            flat = Box(box.x, box.y, box.size)
            flat_score.append(_limbs_pck(engine.predict(image, flat).keypoints, moved))
    assert len(turned_score) >= 8  # found turned in at least 8 of the 10 pictures
    assert np.mean(turned_score) >= np.mean(upright_score) - 0.15
    assert np.mean(turned_score) >= np.mean(flat_score) + 0.2


def test_a_detected_person_costs_at_most_five_forward_passes(capsys):
    """``poseapp image --json`` where the detector finds the person: the detector's pass, a crop per
    detected person and one closer look."""
    from poseapp.cli import main

    for path in sorted(MPII_DIR.glob("*.jpg")):
        assert main(["image", str(path), "--json", "--model", "RT"]) == 0
        result = json.loads(capsys.readouterr().out)
        assert result["found"] and 2 <= result["forward_passes"] <= 5, path.name


def test_a_track_starts_only_on_a_detection(engines):
    """Nobody detected in a video frame: nobody reported, no skeleton found by the window search
    on the empty scene, at the cost of the detector's passes alone."""
    from tests.conftest import nobody_pictures

    engine = engines("II")
    track = make_localiser("track", engine)
    for rgb in nobody_pictures().values():
        track.reset()
        pose = track.locate(engine, rgb)
        assert not pose.found and pose.extra["localiser"] == "detector"
        assert pose.extra["forward_passes"] <= 10  # the whole frame and at most 9 tiles
