"""Shared fixtures: upstream files and data from ../shared, a fresh weights cache per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
UPSTREAM = SHARED / "efficientpose-upstream"
MPII_DIR = SHARED / "data" / "mmpose-samples" / "mpii"
UPSTREAM_VARIANTS = ("RT", "I", "II", "RT_LITE", "I_LITE", "II_LITE")
PARITY_IMAGES = [UPSTREAM / "MPII.jpg", *sorted(MPII_DIR.glob("*.jpg"))]

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["POSEAPP_WEIGHTS_SOURCE"] = str(UPSTREAM)


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
    """Engines per variant, built once (loading converts the upstream file on first use)."""
    from poseapp.inference.engine import Engine

    made: dict[str, Engine] = {}

    def get(variant: str) -> Engine:
        if variant not in made:
            made[variant] = Engine(variant, device="cpu", refine=False)
        return made[variant]

    return get
