"""Angle-over-time charts drawn with OpenCV, so the batch path needs no plotting library."""

from __future__ import annotations

import math

import cv2
import numpy as np

_INK, _GRID, _LINE = (40, 40, 40), (215, 215, 215), (30, 100, 200)


def _panel(canvas: np.ndarray, x0: int, y0: int, w: int, h: int, title: str,
           times: np.ndarray, values: np.ndarray) -> None:
    """One angle: title, frame, 0/90/180 grid, the curve (gaps where values are missing)."""
    font = cv2.FONT_HERSHEY_SIMPLEX
    cv2.putText(canvas, title, (x0, y0 + 14), font, 0.45, _INK, 1, cv2.LINE_AA)
    top, bottom, left, right = y0 + 22, y0 + h - 18, x0 + 34, x0 + w - 8
    finite = values[np.isfinite(values)]
    lo, hi = (0.0, 180.0) if not len(finite) else (min(0.0, finite.min()), max(90.0, finite.max()))
    span_t = float(times[-1] - times[0]) if len(times) > 1 else 1.0
    span_t = span_t or 1.0

    def to_px(t: np.ndarray, v: np.ndarray) -> np.ndarray:
        px = left + (t - times[0]) / span_t * (right - left)
        py = bottom - (v - lo) / (hi - lo) * (bottom - top)
        return np.stack([px, py], -1)

    for level in range(0, int(hi) + 1, 45):
        if level >= lo:
            y = int(to_px(times[:1], np.array([level]))[0, 1])
            cv2.line(canvas, (left, y), (right, y), _GRID, 1)
            cv2.putText(canvas, str(level), (x0, y + 4), font, 0.35, _INK, 1, cv2.LINE_AA)
    cv2.rectangle(canvas, (left, top), (right, bottom), _INK, 1)
    cv2.putText(canvas, f"{times[0]:.1f} s", (left, bottom + 14), font, 0.35, _INK, 1, cv2.LINE_AA)
    cv2.putText(canvas, f"{times[-1]:.1f} s", (right - 40, bottom + 14), font, 0.35, _INK, 1, cv2.LINE_AA)
    ok = np.isfinite(values)
    edges = np.flatnonzero(np.diff(np.r_[0, ok.astype(np.int8), 0]))
    for start, stop in zip(edges[::2], edges[1::2]):
        pts = np.round(to_px(times[start:stop], values[start:stop])).astype(np.int32)
        cv2.polylines(canvas, [pts.reshape(-1, 1, 2)], False, _LINE, 1, cv2.LINE_AA)
        if stop - start == 1:
            cv2.circle(canvas, tuple(int(v) for v in pts[0]), 1, _LINE, -1)


def angle_chart(times: np.ndarray, angles: dict[str, np.ndarray], columns: int = 2,
                panel: tuple[int, int] = (460, 150)) -> np.ndarray:
    """An RGB image with one panel per angle (degrees against seconds)."""
    times = np.asarray(times, dtype=np.float64)
    if not len(times):
        times = np.zeros(1)
    rows = max(1, math.ceil(len(angles) / columns))
    w, h = panel
    canvas = np.full((rows * h + 10, columns * w + 10, 3), 255, np.uint8)
    for i, (name, values) in enumerate(angles.items()):
        r, c = divmod(i, columns)
        vals = np.asarray(values, dtype=np.float64)
        _panel(canvas, 5 + c * w, 5 + r * h, w, h, f"{name.replace('_', ' ')} (deg)", times, vals[:len(times)])
    return canvas
