"""Starts the desktop window, or says clearly why it cannot (no display, no Qt)."""

from __future__ import annotations

import ctypes
import os
import sys
from pathlib import Path


def display_problem() -> str | None:
    """Why Qt could not open a window here, or None when it should be able to."""
    if os.environ.get("QT_QPA_PLATFORM"):
        return None
    if not sys.platform.startswith("linux"):
        return None
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return ("no display found (DISPLAY and WAYLAND_DISPLAY are unset). Run poseapp on a desktop, "
                "or use the command line: `poseapp image PHOTO.jpg --out pose.png`.")
    if not os.environ.get("WAYLAND_DISPLAY"):
        return xcb_problem()
    return None


def xcb_problem() -> str | None:
    """Load Qt's X11 plugin as Qt would: a missing system library aborts Qt with a core dump,
    while loading it here first turns that into a message naming the library."""
    try:
        import PySide6
    except ImportError:
        return None
    plugin = Path(PySide6.__file__).parent / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    if not plugin.exists():
        return None
    try:
        ctypes.CDLL(str(plugin))
    except OSError as exc:
        missing = str(exc).split(":")[0]
        return (f"Qt's X11 plugin cannot load: {missing}. On Debian/Ubuntu install the xcb libraries "
                "(sudo apt install libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxkbcommon-x11-0).")
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


def open_and_close() -> tuple[str, str]:
    """The packaged app's window check: the window opens (its threads start), is closed again;
    its title and the About text. Offscreen when there is no display."""
    from PySide6.QtWidgets import QApplication

    from poseapp.gui.about import about_text
    from poseapp.gui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    window = MainWindow()
    window.show()
    app.processEvents()
    title = window.windowTitle()
    window.close()
    return title, about_text()
