"""Starts the desktop window, or says clearly why it cannot (no display, no Qt)."""

from __future__ import annotations

import os
import sys


def display_problem() -> str | None:
    """Why Qt could not open a window here, or None when it should be able to."""
    if os.environ.get("QT_QPA_PLATFORM"):
        return None
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return ("no display found (DISPLAY and WAYLAND_DISPLAY are unset). Run poseapp on a desktop, "
                "or use the command line: `poseapp image PHOTO.jpg --out pose.png`.")
    return None


def launch(argv: list[str] | None = None) -> int:
    """Open the main window on the default RT model; return the process exit code."""
    problem = display_problem()
    if problem:
        print(f"poseapp: cannot open the window: {problem}", file=sys.stderr)
        return 2
    try:
        from PySide6.QtWidgets import QApplication
    except ImportError as exc:
        print(f"poseapp: the desktop window needs PySide6 ({exc})", file=sys.stderr)
        return 2
    from poseapp.gui.main_window import MainWindow

    app = QApplication.instance() or QApplication(argv or sys.argv[:1])
    window = MainWindow()
    window.show()
    return app.exec()
