"""Shared fixtures: upstream files and data from ../shared, a fresh weights cache per session."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

import poseapp  # noqa: F401  (first: it sets OpenCV's pixel limit, read once when OpenCV loads)

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
UPSTREAM = SHARED / "efficientpose-upstream"
MPII_DIR = SHARED / "data" / "mmpose-samples" / "mpii"
UPSTREAM_VARIANTS = ("RT", "I", "II", "RT_LITE", "I_LITE", "II_LITE")
PARITY_IMAGES = [UPSTREAM / "MPII.jpg", *sorted(MPII_DIR.glob("*.jpg"))]

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["POSEAPP_WEIGHTS_SOURCE"] = str(UPSTREAM)
DETECTOR_DIR = SHARED / "data" / "person-detector"
os.environ["POSEAPP_DETECTOR_SOURCE"] = str(DETECTOR_DIR)


def pytest_sessionstart(session: pytest.Session) -> None:
    if not UPSTREAM.is_dir():
        raise pytest.UsageError(f"tests need ../shared beside the clone; {UPSTREAM} is missing")


@pytest.fixture(scope="session", autouse=True)
def weights_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every test session converts into its own cache, never the user's."""
    path = tmp_path_factory.mktemp("cache")
    os.environ["POSEAPP_CACHE"] = str(path)
    return path


@pytest.fixture(scope="session")
def engines():
    """Engines per variant and backend, built once (the first use converts and exports)."""
    from poseapp.inference.engine import Engine

    made: dict[tuple[str, str], Engine] = {}

    def get(variant: str, backend: str = "onnx") -> Engine:
        if (variant, backend) not in made:
            made[variant, backend] = Engine(variant, device="cpu", backend=backend, refine=False)
        return made[variant, backend]

    return get


@pytest.fixture(scope="session")
def pan_zoom_clip(tmp_path_factory: pytest.TempPathFactory):
    """300 frames (10 s at 30 fps) of a camera panning and zooming over the truck MPII image."""
    from poseapp.io.mpii import load_mpii
    from poseapp.pan_zoom import build_clip

    sample = next(s for s in load_mpii(MPII_DIR) if s.image.name == "051423444.jpg")
    return build_clip(sample, tmp_path_factory.mktemp("clip") / "pan_zoom.mp4", frames=300)


def nobody_pictures() -> dict[str, np.ndarray]:
    """Real pictures with nobody in them: parts of shared images away from every person."""
    from poseapp.io.images import read_rgb

    ski = read_rgb(SHARED / "data" / "mmpose-samples" / "coco" / "000000000785.jpg")  # skier's box starts at x=281
    truck = read_rgb(MPII_DIR / "051423444.jpg")  # the only person stands right of x=1000
    return {"snow and poles": ski[:, :270], "truck": truck[:, :900]}
