"""Live joint-angle plots (pyqtgraph): the chosen angles over a rolling window, current value in each title."""

from __future__ import annotations

from collections import deque

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QVBoxLayout, QWidget

from poseapp.angles import BY_NAME, NORMAL_RANGES
from poseapp.draw import COLOURS


def pen_colour(name: str) -> tuple[int, int, int]:
    """An angle's curve in its side's colour, as the skeleton draws it: left blue, right red, the
    trunk and neck green."""
    return COLOURS["left" if name.startswith("left_") else "right" if name.startswith("right_") else "centre"]


def y_range(name: str) -> tuple[float, float]:
    """The degrees an angle's plot spans: signed angles (hip, knee, trunk) go below 0 for extension."""
    return (-45.0, 180.0) if BY_NAME[name].kind == "sagittal" else (0.0, 180.0)


class AnglePlots(QWidget):
    """Values arrive with every result; the plots redraw at most ``redraw_hz`` times a second, so a
    fast model does not spend its CPU on drawing."""

    JUMP_S = 2.0  # seconds between two results that mean a seek, not a slow model

    def __init__(self, window_s: float = 10.0, redraw_hz: float = 10.0, parent=None) -> None:
        super().__init__(parent)
        self.window_s = window_s
        self._dirty = False
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._redraw_if_dirty)
        self._timer.start(int(1000 / redraw_hz))
        self.bands = True
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground("w")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.graphics)
        self.names: tuple[str, ...] = ()
        self.history: dict[str, deque] = {}
        self.plots: dict[str, pg.PlotItem] = {}
        self.curves: dict[str, pg.PlotDataItem] = {}
        self._titles: dict[str, str] = {}

    def set_angles(self, names: tuple[str, ...], bands: bool | None = None, window_s: float | None = None) -> None:
        """Show these angles, one stacked plot each, over the last ``window_s`` seconds (their history
        is kept; a wider window fills as values arrive)."""
        if bands is not None:
            self.bands = bands
        if window_s is not None:
            self.window_s = float(window_s)
        self.names = tuple(names)
        self.graphics.clear()
        self.plots.clear()
        self.curves.clear()
        self._titles.clear()
        for i, name in enumerate(self.names):
            plot = self.graphics.addPlot(row=i, col=0)
            plot.setYRange(*y_range(name))
            plot.showGrid(x=True, y=True, alpha=0.3)
            plot.setMouseEnabled(x=False, y=False)
            plot.setXRange(-self.window_s, 0, padding=0)
            plot.setLabel("left", "deg")
            if i == len(self.names) - 1:  # one time axis label under the stack: seconds before now
                plot.setLabel("bottom", "time before now (s)")
            if self.bands and name in NORMAL_RANGES:
                band = pg.LinearRegionItem(NORMAL_RANGES[name], orientation="horizontal", movable=False,
                                           brush=pg.mkBrush(60, 180, 75, 35), pen=pg.mkPen(None))
                plot.addItem(band)
            self.curves[name] = plot.plot(pen=pg.mkPen(pen_colour(name), width=2), connect="finite")
            self.plots[name] = plot
            self.history.setdefault(name, deque())
            self._title(name, np.nan)
        self._redraw()

    def _title(self, name: str, value: float) -> None:
        """The current value in the title; set only when its text changes (a title is laid out as HTML)."""
        text = "–" if not np.isfinite(value) else f"{value:.0f}°"
        if self._titles.get(name) != text:
            self._titles[name] = text
            self.plots[name].setTitle(f"{name.replace('_', ' ')}: <b>{text}</b>", size="9pt")

    def add(self, t: float, angles: dict[str, float]) -> None:
        """One result's angles at video time ``t``. Time going back (a seek back, a replay) starts
        the plots afresh; a jump forward of more than ``JUMP_S`` (a seek ahead) leaves a gap
        instead of a line across it."""
        for name in self.names:
            h = self.history.setdefault(name, deque())
            if h and t < h[-1][0]:
                h.clear()
            elif h and t - h[-1][0] > self.JUMP_S:
                h.append((h[-1][0], np.nan))
            h.append((t, angles.get(name, np.nan)))
            while h and h[0][0] < t - self.window_s:
                h.popleft()
        self._dirty = True

    def _redraw_if_dirty(self) -> None:
        if self._dirty:
            self._dirty = False
            self._redraw()

    def clear(self) -> None:
        for h in self.history.values():
            h.clear()
        self._redraw()

    def current(self, name: str) -> float:
        h = self.history.get(name)
        return h[-1][1] if h else np.nan

    def _redraw(self) -> None:
        for name, curve in self.curves.items():
            h = self.history.get(name) or ()
            if h:
                t, v = np.array(h, dtype=np.float64).T
                curve.setData(t - t[-1], v)
            else:
                curve.setData([], [])
            self._title(name, self.current(name))
