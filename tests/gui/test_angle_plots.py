"""The live angle plots: chosen angles, rolling window, current value, normal-range bands."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest

from poseapp.angles import NORMAL_RANGES
from poseapp.gui.angle_plots import AnglePlots


def bands(plots: AnglePlots, name: str) -> list[pg.LinearRegionItem]:
    return [i for i in plots.plots[name].items if isinstance(i, pg.LinearRegionItem)]


def test_rolling_window_current_value_and_bands(qtbot) -> None:
    plots = AnglePlots(window_s=5)
    qtbot.addWidget(plots)
    name, other = "left_knee_flexion", "trunk_inclination"  # the second has no normal range
    plots.set_angles((name, other), bands=True)
    for i in range(301):  # 10 s at 30 values a second
        plots.add(i / 30, {name: 90.0 + i % 7})
    times = [t for t, _ in plots.history[name]]
    assert times[-1] - times[0] <= 5 and times[-1] == 10.0
    assert plots.current(name) == 90.0 + 300 % 7
    plots._redraw()
    x, y = plots.curves[name].getData()
    assert x[-1] == 0 and x[0] >= -5 and y[-1] == plots.current(name)
    assert f"{plots.current(name):.0f}°" in plots.plots[name].titleLabel.text
    assert len(bands(plots, name)) == 1 and not bands(plots, other)
    assert tuple(bands(plots, name)[0].getRegion()) == tuple(NORMAL_RANGES[name])

    plots.set_angles((name,), bands=False, window_s=20)  # a wider window keeps what is there
    assert not bands(plots, name) and plots.window_s == 20
    assert plots.plots[name].viewRange()[0] == [-20, 0]
    plots.add(10 + 1 / 30, {name: np.nan})  # no value: a gap, and the title says so
    plots._redraw()
    assert np.isnan(plots.current(name)) and "–" in plots.plots[name].titleLabel.text
    assert [t for t, _ in plots.history[name]][0] == times[0]


def test_a_seek_back_starts_afresh_and_a_seek_ahead_leaves_a_gap(qtbot) -> None:
    plots = AnglePlots(window_s=10)
    qtbot.addWidget(plots)
    name = "right_knee_flexion"
    plots.set_angles((name,))
    for t in (4.0, 4.1, 4.2):
        plots.add(t, {name: 30.0})
    plots.add(1.0, {name: 60.0})  # sought back: the later values are not drawn before it
    assert [t for t, _ in plots.history[name]] == [1.0]
    plots.add(1.1, {name: 62.0})
    plots.add(6.0, {name: 90.0})  # sought ahead: no line across the 4.9 s nobody saw
    plots._redraw()
    x, y = plots.curves[name].getData()
    assert list(x[[0, 1, -1]]) == [-5.0, pytest.approx(-4.9), 0.0] and y[-1] == 90.0
    assert np.isnan(plots.history[name][2][1])
