"""Appearance signatures on real people: one person at another size and light against the others."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from poseapp.io.images import read_rgb
from poseapp.localise.appearance import blend, signature, similarity
from tests.conftest import SHARED

POSETRACK = SHARED / "data" / "mmpose-samples" / "posetrack18"
#: COCO keypoint index -> our joint index (shoulders, elbows, wrists, hips, knees, ankles)
COCO_TO_OURS = {5: 6, 6: 2, 7: 7, 8: 3, 9: 8, 10: 4, 11: 13, 12: 10, 13: 14, 14: 11, 15: 15, 16: 12}


def annotated(annotations: Path, root: Path, name: str) -> tuple[np.ndarray, list[np.ndarray]]:
    """An annotated picture (its file named under ``root``) and its people's (16, 3) joints
    (score 1 where annotated)."""
    data = json.loads(annotations.read_text())
    image = next(im for im in data["images"] if name in im["file_name"])
    people = []
    for a in data["annotations"]:
        if a["image_id"] != image["id"]:
            continue
        kp = np.asarray(a["keypoints"], np.float64).reshape(17, 3)
        ours = np.zeros((16, 3))
        for c, j in COCO_TO_OURS.items():
            ours[j] = [kp[c, 0], kp[c, 1], float(kp[c, 2] > 0)]
        people.append(ours)
    return read_rgb(root / image["file_name"]), people


def crowd() -> tuple[np.ndarray, list[np.ndarray]]:
    """The PoseTrack frame with eleven annotated dancers."""
    return annotated(POSETRACK / "annotations" / "test_posetrack18_val.json", POSETRACK, "012834")


def coco_people(name: str) -> tuple[np.ndarray, list[np.ndarray]]:
    """A shared COCO picture and its annotated people."""
    coco = SHARED / "data" / "mmpose-samples" / "coco"
    return annotated(coco / "test_coco.json", coco, name)


def test_a_person_looks_like_themselves_smaller_and_in_shade_more_than_like_the_others():
    rgb, people = crowd()
    small = cv2.resize(rgb, None, fx=0.4, fy=0.4, interpolation=cv2.INTER_AREA)
    dark = (rgb * 0.85).astype(np.uint8)
    looks = [signature(rgb, p, 0.5) for p in people]
    scaled = [p * [0.4, 0.4, 1] for p in people]
    same, other, checked = [], [], 0
    for i, look in enumerate(looks):
        if look is None:
            continue
        checked += 1
        again = [signature(small, scaled[i], 0.5), signature(dark, people[i], 0.5)]
        same += [similarity(look, sig) for sig in again if sig is not None]
        other += [similarity(look, sig) for j, sig in enumerate(looks) if j != i and sig is not None]
    assert checked >= 6
    assert np.median(same) > 0.75 and np.median(other) < 0.45
    assert np.mean(np.array(same) >= 0.5) >= 0.9 and np.mean(np.array(other) < 0.5) >= 0.75


def test_no_signature_without_a_sure_torso_and_a_running_blend():
    rgb, people = crowd()
    unsure = people[0].copy()
    unsure[2, 2] = 0.0  # the right shoulder unknown
    assert signature(rgb, unsure, 0.5) is None
    a = signature(rgb, people[0], 0.5)
    b = signature(rgb, people[1], 0.5)
    mixed = blend(a, b, 0.2)
    assert similarity(mixed, a) > similarity(mixed, b)
    assert abs(float(mixed[0].sum()) - 1.0) < 1e-5
