"""Line charts drawn with OpenCV (angles over time, training curves), so the batch and training
paths need no plotting library."""

from __future__ import annotations

import math

import cv2
import numpy as np

_INK, _GRID, _LINE = (40, 40, 40), (215, 215, 215), (30, 100, 200)
_BAND, _OTHER = (120, 200, 120), (220, 120, 30)


def _angle_range(values: np.ndarray) -> tuple[float, float, float]:
    """Degrees: at least 0-90 (0-180 with no data), grid every 45."""
    finite = values[np.isfinite(values)]
    lo, hi = (0.0, 180.0) if not len(finite) else (min(0.0, finite.min()), max(90.0, finite.max()))
    return lo, hi, 45.0


def _auto_range(values: np.ndarray) -> tuple[float, float, float]:
    """The data's range, padded, with about four round grid steps."""
    finite = values[np.isfinite(values)]
    if not len(finite):
        return 0.0, 1.0, 0.25
    lo, hi = float(finite.min()), float(finite.max())
    if hi - lo < 1e-12:
        lo, hi = lo - (abs(lo) or 1) * 0.1, hi + (abs(hi) or 1) * 0.1
    raw = (hi - lo) / 4
    step = min((m * 10 ** math.floor(math.log10(raw)) for m in (1, 2, 5, 10)), key=lambda v: abs(v - raw))
    return math.floor(lo / step) * step, math.ceil(hi / step) * step, step


def _label(v: float) -> str:
    return f"{v:.4g}"


def time_ticks(start: float, stop: float, most: int = 7) -> list[float]:
    """Round marks between ``start`` and ``stop`` (1, 2 or 5 times a power of ten apart), at most
    ``most`` of them: "2 3 4 5 6 7 s", not the two ends' "2 s ... 7.633 s"."""
    span = max(stop - start, 1e-9)
    step = next(m * 10.0 ** e for e in range(-3, 7) for m in (1, 2, 5) if span / (m * 10.0 ** e) <= most - 1)
    first = math.ceil(start / step - 1e-9) * step
    return [round(first + i * step, 9) for i in range(int((stop - first) / step + 1e-9) + 1)]


def _ink(text: float) -> int:
    """Line thickness for lettering and curves at ``text`` times the screen size."""
    return max(1, round(text))


def _panel(canvas: np.ndarray, x0: int, y0: int, w: int, h: int, title: str,
           times: np.ndarray, values: np.ndarray, y_range: tuple[float, float, float], x_unit: str = " s",
           band: tuple[float, float] | None = None, others: list[tuple[np.ndarray, np.ndarray]] = (),
           text: float = 1.0) -> None:
    """One series: title, frame, grid, a shaded ``band`` (a normal range), the curve (gaps where
    values are missing), and ``others`` ((times, values) of a compared session) in a second colour;
    ``text`` scales the lettering and its margins (a printed page needs it larger than a screen)."""
    font, ink = cv2.FONT_HERSHEY_SIMPLEX, _ink(text)
    cv2.putText(canvas, title, (x0, y0 + round(14 * text)), font, 0.45 * text, _INK, ink, cv2.LINE_AA)
    top, bottom = y0 + round(22 * text), y0 + h - round(18 * text)
    left, right = x0 + round(44 * text), x0 + w - 8
    lo, hi, grid = y_range
    span_t = float(times[-1] - times[0]) if len(times) > 1 else 1.0
    span_t = span_t or 1.0

    def to_px(t: np.ndarray, v: np.ndarray) -> np.ndarray:
        px = left + (t - times[0]) / span_t * (right - left)
        py = bottom - (v - lo) / (hi - lo) * (bottom - top)
        return np.stack([px, py], -1)

    for level in np.arange(math.ceil(lo / grid) * grid, hi + grid / 2, grid):
        y = int(to_px(times[:1], np.array([level]))[0, 1])
        cv2.line(canvas, (left, y), (right, y), _GRID, 1)
        cv2.putText(canvas, _label(level), (x0, y + round(4 * text)), font, 0.35 * text, _INK, ink, cv2.LINE_AA)
    if band is not None:
        y_top = int(to_px(times[:1], np.array([min(band[1], hi)]))[0, 1])
        y_bottom = int(to_px(times[:1], np.array([max(band[0], lo)]))[0, 1])
        shade = canvas.copy()
        cv2.rectangle(shade, (left, y_top), (right, y_bottom), _BAND, -1)
        canvas[:] = cv2.addWeighted(shade, 0.35, canvas, 0.65, 0)
    cv2.rectangle(canvas, (left, top), (right, bottom), _INK, 1)
    below = bottom + round(14 * text)
    ticks = time_ticks(float(times[0]), float(times[0]) + span_t)
    for i, tick in enumerate(ticks):
        x = int(to_px(np.array([tick]), np.array([lo]))[0, 0])
        cv2.line(canvas, (x, bottom), (x, bottom + round(4 * text)), _INK, 1)
        label = _label(tick) + (x_unit if i == len(ticks) - 1 else "")
        (tw, _), _ = cv2.getTextSize(label, font, 0.35 * text, ink)
        at = min(max(x - tw // 2, x0), right - tw)
        cv2.putText(canvas, label, (at, below), font, 0.35 * text, _INK, ink, cv2.LINE_AA)
    for t, v, colour in [*((ot, ov, _OTHER) for ot, ov in others), (times, values, _LINE)]:
        t = times[0] + (t - t[0]) if len(t) else t  # a compared session starts where this one does
        ok = np.isfinite(v) & (t <= times[-1] + 1e-9)
        edges = np.flatnonzero(np.diff(np.r_[0, ok.astype(np.int8), 0]))
        for start, stop in zip(edges[::2], edges[1::2]):
            pts = np.round(to_px(t[start:stop], v[start:stop])).astype(np.int32)
            cv2.polylines(canvas, [pts.reshape(-1, 1, 2)], False, colour, ink, cv2.LINE_AA)
            if stop - start == 1:
                cv2.circle(canvas, tuple(int(c) for c in pts[0]), ink, colour, -1)


def line_chart(x: np.ndarray, series: dict[str, np.ndarray], columns: int = 2, panel: tuple[int, int] = (460, 150),
               angles: bool = False, x_unit: str = " s",
               fixed: dict[str, tuple[float, float, float]] | None = None,
               bands: dict[str, tuple[float, float]] | None = None,
               compared: tuple[np.ndarray, dict[str, np.ndarray]] | None = None, text: float = 1.0) -> np.ndarray:
    """An RGB image with one panel per series against ``x``; ``angles`` fixes the degree grid,
    ``fixed`` gives some series their (low, high, grid step), ``bands`` a shaded range,
    ``compared`` (times, series) a second session drawn in orange on the same panels, and ``text``
    scales the lettering."""
    x = np.asarray(x, dtype=np.float64)
    if not len(x):
        x = np.zeros(1)
    rows = max(1, math.ceil(len(series) / columns))
    w, h = panel
    canvas = np.full((rows * h + 10, columns * w + 10, 3), 255, np.uint8)
    for i, (title, values) in enumerate(series.items()):
        r, c = divmod(i, columns)
        vals = np.asarray(values, dtype=np.float64)[:len(x)]
        others = []
        if compared is not None and title in compared[1]:
            others = [(np.asarray(compared[0], dtype=np.float64), np.asarray(compared[1][title], dtype=np.float64))]
        both = np.concatenate([vals, *[o[1] for o in others]])
        y_range = (fixed or {}).get(title) or (_angle_range(both) if angles else _auto_range(both))
        _panel(canvas, 5 + c * w, 5 + r * h, w, h, title, x, vals, y_range, x_unit, (bands or {}).get(title), others,
               text)
    return canvas


def angle_chart(times: np.ndarray, angles: dict[str, np.ndarray], columns: int = 2,
                panel: tuple[int, int] = (460, 150), bands: dict[str, tuple[float, float]] | None = None,
                compared: tuple[np.ndarray, dict[str, np.ndarray]] | None = None, text: float = 1.0) -> np.ndarray:
    """An RGB image with one panel per angle (degrees against seconds), with each angle's ``bands``
    (normal range) shaded and a ``compared`` session's (times, angles) in orange; ``text`` scales
    the lettering."""
    def title(name: str) -> str:
        return f"{name.replace('_', ' ')} (deg)"

    other = None if compared is None else (compared[0], {title(k): v for k, v in compared[1].items()})
    return line_chart(times, {title(k): v for k, v in angles.items()}, columns, panel, angles=True,
                      bands={title(k): v for k, v in (bands or {}).items()}, compared=other, text=text)


SIDE_COLOURS = {"left": (30, 100, 200), "right": (200, 60, 40)}


def cycle_chart(cycles: dict[str, dict[str, dict | None]], panel: tuple[int, int] = (520, 300),
                text: float = 1.0) -> np.ndarray:
    """An RGB image with one panel per curve of ``gait.analyse_gait``'s ``cycles`` (knee, hip): each
    side's mean over 0-100% of the gait cycle with a band of one SD, left blue, right red;
    ``text`` scales the lettering."""
    names = sorted({name for curves in cycles.values() for name, c in curves.items() if c})
    w, h = panel
    canvas = np.full((h + 10, max(1, len(names)) * w + 10, 3), 255, np.uint8)
    font, ink = cv2.FONT_HERSHEY_SIMPLEX, _ink(text)
    for i, name in enumerate(names):
        x0, y0 = 5 + i * w, 5
        curves = {side: c[name] for side, c in cycles.items() if c.get(name)}
        values = np.concatenate([np.r_[np.array(c["mean"]) - c["sd"], np.array(c["mean"]) + c["sd"]]
                                 for c in curves.values()])
        lo, hi, grid = _auto_range(values)
        top, bottom = y0 + round(40 * text), y0 + h - round(22 * text)
        left, right = x0 + round(44 * text), x0 + w - 10
        title = f"{name.replace('_', ' ')} (deg) over the gait cycle"
        cv2.putText(canvas, title, (x0, y0 + round(14 * text)), font, 0.45 * text, _INK, ink, cv2.LINE_AA)

        def to_px(pct: np.ndarray, v: np.ndarray, box: tuple = (left, right, top, bottom, lo, hi)) -> np.ndarray:
            x0_, x1_, y0_, y1_, v0, v1 = box
            return np.stack([x0_ + pct / 100 * (x1_ - x0_), y1_ - (v - v0) / (v1 - v0) * (y1_ - y0_)], -1)

        for level in np.arange(math.ceil(lo / grid) * grid, hi + grid / 2, grid):
            y = int(to_px(np.zeros(1), np.array([level]))[0, 1])
            cv2.line(canvas, (left, y), (right, y), _GRID, 1)
            cv2.putText(canvas, _label(level), (x0, y + round(4 * text)), font, 0.35 * text, _INK, ink, cv2.LINE_AA)
        cv2.rectangle(canvas, (left, top), (right, bottom), _INK, 1)
        for pct in (0, 50, 100):
            label = f"{pct}%"
            width = cv2.getTextSize(label, font, 0.35 * text, ink)[0][0]
            x = min(int(left + pct / 100 * (right - left)) - width // 2, x0 + w - width)  # inside the panel
            cv2.putText(canvas, label, (x, bottom + round(15 * text)), font, 0.35 * text, _INK, ink, cv2.LINE_AA)
        for k, (side, c) in enumerate(curves.items()):
            mean, sd = np.array(c["mean"]), np.array(c["sd"])
            pct = np.linspace(0, 100, len(mean))
            band = np.round(np.r_[to_px(pct, mean + sd), to_px(pct[::-1], (mean - sd)[::-1])]).astype(np.int32)
            shade = canvas.copy()
            cv2.fillPoly(shade, [band.reshape(-1, 1, 2)], SIDE_COLOURS[side])
            canvas[:] = cv2.addWeighted(shade, 0.18, canvas, 0.82, 0)
            line = np.round(to_px(pct, mean)).astype(np.int32)
            cv2.polylines(canvas, [line.reshape(-1, 1, 2)], False, SIDE_COLOURS[side], 2 * ink, cv2.LINE_AA)
            cv2.putText(canvas, f"{side} (n={c['n']})", (left + round((8 + 110 * k) * text), y0 + round(32 * text)),
                        font, 0.42 * text, SIDE_COLOURS[side], ink, cv2.LINE_AA)
    return canvas
