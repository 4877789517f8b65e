"""The About box and the window icon: version, build date (packaged apps), weights and licences."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from PySide6.QtWidgets import QMessageBox, QWidget

from poseapp import __version__


def _bundle_root() -> Path | None:
    base = getattr(sys, "_MEIPASS", None)
    return Path(base) if base else None


def icon_path() -> Path | None:
    """assets/icon.png beside the source tree, or inside the packaged app."""
    for root in (_bundle_root(), Path(__file__).resolve().parents[2]):
        if root is not None and (root / "assets" / "icon.png").exists():
            return root / "assets" / "icon.png"
    return None


def build_info() -> dict:
    """What `packaging/build.py` recorded (flavour, build date); empty when running from source."""
    from poseapp.weights.cache import bundled_dir

    folder = bundled_dir()
    try:
        return json.loads((folder / "build.json").read_text()) if folder else {}
    except (OSError, ValueError):
        return {}


def about_text() -> str:
    info = build_info()
    built = f"built {info['built']} ({info['flavour']} flavour)" if info else "running from source"
    return (f"<b>poseapp {__version__}</b>, {built}<br><br>"
            "Markerless movement analysis with the EfficientPose models (Groos, Ramampiaro and Ihlen, "
            "Applied Intelligence 2021).<br>Model weights: converted from the official EfficientPose "
            "release, Apache License 2.0.<br>Joint angles are 2-D, in the image plane.")


def show_about(parent: QWidget) -> None:
    QMessageBox.about(parent, "About poseapp", about_text())
