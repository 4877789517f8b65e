"""MPII annotations, the JSON form (mmpose's ``test_mpii.json``) and the official .mat release
(``mpii_human_pose_v1_u12_1.mat``), read into one sample type."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from poseapp.errors import PoseappError
from poseapp.joints import FROM_MPII
from poseapp.pose import Box

_ORDER = list(FROM_MPII)  # MPII annotation order -> our joint order


@dataclass
class Sample:
    """One annotated person: joints (16, 2) in our joint order, visibility, centre and scale."""

    image: Path
    joints: np.ndarray
    visible: np.ndarray
    center: np.ndarray
    scale: float  # person height / 200 px, MPII's convention
    head_box: np.ndarray | None = None  # x1, y1, x2, y2 when the annotation has one

    def person_box(self) -> Box:
        """The paper's crop: MPII's centre (moved 15*scale px down) and 1.25x the scale, squared."""
        side = self.scale * 200 * 1.25
        cx, cy = self.center[0], self.center[1] + 15 * self.scale
        return Box(cx - side / 2, cy - side / 2, side)


def standard_split(folder: str | Path) -> tuple[list[Path], list[Path]] | None:
    """The data set's own train/validation files when its JSON names say so (mmpose's
    ``mpii_train.json`` and ``mpii_val.json`` carry the usual MPII validation split), else None."""
    files = sorted(Path(folder).glob("*.json"))
    train = [f for f in files if "train" in f.stem.lower()]
    val = [f for f in files if "val" in f.stem.lower()]
    return (train, val) if train and val else None


def load_mpii(folder: str | Path, files: list[Path] | None = None) -> list[Sample]:
    """Every annotated person in the MPII annotation files of ``folder`` (or only ``files`` there).

    JSON files (images beside them) are read first; without any, the official .mat file, whose
    images are looked for in ``folder/images`` and then ``folder``.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise PoseappError(f"{folder} is not a folder")
    files = sorted(folder.glob("*.json")) if files is None else files
    if not files:
        mats = sorted(folder.glob("*.mat"))
        if mats:
            return [s for m in mats for s in load_mpii_mat(m)]
        raise PoseappError(f"{folder} has no MPII annotation file (*.json with joints, center, scale, or .mat)")
    samples = []
    for f in files:
        try:
            records = json.loads(f.read_text())
        except (OSError, ValueError) as exc:
            raise PoseappError(f"{f} is not an MPII annotation file: {exc}") from exc
        if not isinstance(records, list):
            raise PoseappError(f"{f} is not an MPII annotation file: it holds no list of records")
        for i, r in enumerate(records):
            try:
                samples.append(_sample(folder, r))
            except (KeyError, TypeError, ValueError, IndexError) as exc:
                name = r.get("image", "?") if isinstance(r, dict) else "?"
                raise PoseappError(f"{f}, record {i} ({name}): {exc}") from exc
    return samples


def _sample(folder: Path, r: dict) -> Sample:
    """One JSON record, checked: an image name, 16 finite joints, a finite centre, a positive scale
    and a head box with positive size if there is one (ValueError naming what is wrong otherwise:
    a bad record would silently change every PCKh figure)."""
    if not isinstance(r.get("image"), str) or not r["image"]:
        raise ValueError("no image name")
    joints = np.asarray(r["joints"], np.float64)
    if joints.shape != (16, 2):
        raise ValueError(f"joints have shape {joints.shape}, not 16 x 2")
    visible = np.asarray(r.get("joints_vis", np.ones(16)), np.float64)
    if visible.shape != (16,) or not np.isfinite(visible).all():
        raise ValueError("joints_vis must be 16 finite numbers")
    if not np.isfinite(joints[visible > 0]).all():
        raise ValueError("a visible joint is NaN or infinite")
    if visible[8] > 0 and visible[9] > 0 and np.allclose(joints[8], joints[9]):
        raise ValueError("head top and upper neck coincide: the head size PCKh divides by is zero")
    center = np.asarray(r["center"], np.float64)
    if center.shape != (2,) or not np.isfinite(center).all():
        raise ValueError(f"center must be two finite numbers, not {r['center']!r}")
    scale = float(r["scale"])
    if not np.isfinite(scale) or scale <= 0:
        raise ValueError(f"scale must be a positive number, not {r['scale']!r}")
    head = None
    if "headbox" in r:
        head = np.asarray(r["headbox"], np.float64).ravel()
        if head.shape != (4,) or not np.isfinite(head).all() or head[2] <= head[0] or head[3] <= head[1]:
            raise ValueError(f"headbox must be x1, y1, x2, y2 with x2 > x1 and y2 > y1, not {r['headbox']!r}")
        head = head.astype(np.float32)
    return Sample(folder / r["image"], joints.astype(np.float32)[_ORDER], (visible > 0)[_ORDER],
                  center.astype(np.float32), scale, head)


def _items(value) -> list:
    """A MATLAB struct array or cell array, or a single struct, as a Python list."""
    if value is None:
        return []
    if isinstance(value, np.ndarray):
        return list(value.ravel())
    return [value]


def load_mpii_mat(path: str | Path) -> list[Sample]:
    """People with joint annotations in the official MPII release (``RELEASE.annolist``).

    Joint ids are MPII's 0-15; unannotated joints are invisible; the head box (x1, y1, x2, y2)
    gives the official PCKh head size.
    """
    from scipy.io import loadmat

    path = Path(path)
    try:
        release = loadmat(str(path), struct_as_record=False, squeeze_me=True)["RELEASE"]
        annolist = _items(release.annolist)
    except (KeyError, AttributeError, ValueError, OSError) as exc:
        raise PoseappError(f"{path} is not the MPII release file: {exc!r}") from exc
    root = path.parent / "images" if (path.parent / "images").is_dir() else path.parent
    samples = []
    for entry in annolist:
        name = entry.image.name
        for rect in _items(getattr(entry, "annorect", None)):
            points = getattr(getattr(rect, "annopoints", None), "point", None)
            if points is None or not hasattr(rect, "objpos") or not hasattr(rect, "scale"):
                continue
            joints = np.zeros((16, 2), np.float32)
            visible = np.zeros(16, bool)
            for p in _items(points):
                joints[int(p.id)] = (float(p.x), float(p.y))
                visible[int(p.id)] = True
            head = np.array([rect.x1, rect.y1, rect.x2, rect.y2], np.float32)
            centre = np.array([rect.objpos.x, rect.objpos.y], np.float32)
            samples.append(Sample(root / name, joints[_ORDER], visible[_ORDER], centre, float(rect.scale), head))
    return samples
