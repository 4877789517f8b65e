"""The video with its overlay: the skeleton (drawn by the core's OpenCV drawer), angle labels, mirror."""

from __future__ import annotations

import cv2
import numpy as np
from PySide6.QtCore import QPointF, QRect, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from poseapp.angles import BY_NAME
from poseapp.draw import draw_label, draw_people, draw_pose
from poseapp.joints import INDEX
from poseapp.pipeline import LiveResult


def overlay(result: LiveResult, threshold: float, angle_labels: tuple[str, ...], mirror: bool) -> np.ndarray:
    """The frame with skeleton, crop box and the chosen angles' values at their joints (RGB); a
    frame without the person says "nobody found" instead of drawing a box on the empty scene. With
    everyone followed (``people='all'``), each person is drawn with their id, the followed one marked."""
    out = (draw_people(result.frame.rgb, result.pose, result.people, result.chosen, threshold) if result.people
           else draw_pose(result.frame.rgb, result.pose, threshold))
    if mirror:
        out = np.ascontiguousarray(out[:, ::-1])
    if not result.pose.found:
        draw_label(out, "nobody found", (10, 30))
        return out
    width = out.shape[1]
    # labels sized to the person (their box), not the frame: a small subject gets small labels
    scale = float(np.clip(result.pose.box.size / 500, 0.45, max(0.6, max(out.shape[:2]) / 1000)))
    placed: list[tuple[int, int, int, int]] = []
    for name in angle_labels:
        value = result.angles.get(name, np.nan)
        x, y, s = result.pose.keypoints[INDEX[BY_NAME[name].vertex]]
        if not np.isfinite(value) or s < threshold:
            continue
        x = width - 1 - x if mirror else x
        text = f"{value:.0f}"
        (w, h), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
        at = _free_spot(int(x), int(y), w, h, placed)
        draw_label(out, text, at, scale, 1)
    return out


def _free_spot(x: int, y: int, w: int, h: int, placed: list[tuple[int, int, int, int]]) -> tuple[int, int]:
    """Where a w x h label next to the joint at (x, y) overlaps no label placed before: the nearest
    free cell of a grid of label-sized cells around the joint, nearest first.
    The spot is added to ``placed``; text is anchored at its bottom-left corner, as OpenCV draws it."""
    pad = max(3, h // 3)
    xs = [pad + i * (w + pad) for i in range(4)] + [-(i + 1) * (w + pad) for i in range(4)]
    ys = [-pad + j * (h + pad) for j in range(-3, 5)]
    spots = sorted(((dx, dy) for dx in xs for dy in ys), key=lambda d: abs(d[0] + w / 2) + abs(d[1] - h / 2))
    for dx, dy in spots:
        box = (x + dx - 1, y + dy - h - 1, x + dx + w + 1, y + dy + 1)
        if not any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in placed):
            placed.append(box)
            return x + dx, y + dy
    placed.append((x + pad - 1, y - pad - h - 1, x + pad + w + 1, y - pad + 1))
    return x + pad, y - pad


class VideoView(QWidget):
    """Paints the newest RGB frame (``qimage``) scaled to fit, aspect kept; the scaling happens in the paint.

    A click on the picture emits ``clicked`` with the frame pixel under it (the source frame's,
    mirroring undone), so the window can follow the person there.
    """

    clicked = Signal(float, float)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(320, 240)
        self.frames_shown = 0
        self.last_image: np.ndarray | None = None
        self._pixels: np.ndarray | None = None
        self.qimage: QImage | None = None
        self.hint = "Open a camera, a video or an image (or drop a file here)."
        self.mirrored = False  # set by the window: the picture shown is the frame mirrored
        self.marks: list[tuple[float, float]] = []  # frame pixels drawn over the picture (a calibration line)
        self.mark_text = ""  # written beside the marks (the line's length)

    def clear(self, hint: str) -> None:
        """No picture, ``hint`` in its place (a new source until its first frame)."""
        self.last_image, self._pixels, self.qimage, self.hint = None, None, None, hint
        self.update()

    def show_rgb(self, rgb: np.ndarray) -> None:
        """Show ``rgb`` (kept as ``last_image`` for snapshots). Painted from a 32-bit copy: Qt scales
        that format directly, twice as fast as the 24-bit one, which it converts on every paint."""
        self.last_image = rgb
        self._pixels = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGRA)  # the QImage borrows this buffer
        h, w = rgb.shape[:2]
        self.qimage = QImage(self._pixels.data, w, h, 4 * w, QImage.Format.Format_RGB32)
        self.frames_shown += 1
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        painter = QPainter(self)
        painter.fillRect(self.rect(), Qt.GlobalColor.black)
        if self.qimage is None:
            painter.setPen(Qt.GlobalColor.lightGray)
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.hint)
            return
        painter.drawImage(self.target(), self.qimage)
        if self.marks:
            self._paint_marks(painter)

    def set_marks(self, points: list[tuple[float, float]], text: str = "") -> None:
        """Frame pixels to draw over every frame (the ends of a calibration line, joined), and a
        word beside them; none to draw nothing."""
        self.marks, self.mark_text = list(points), text
        self.update()

    def widget_point(self, x: float, y: float) -> QPointF:
        """Where frame pixel (x, y) is painted (``frame_point``'s inverse)."""
        target = self.target()
        scale = target.width() / self.qimage.width()
        fx = self.qimage.width() - 1 - x if self.mirrored else x
        return QPointF(target.x() + fx * scale, target.y() + y * scale)

    def _paint_marks(self, painter: QPainter) -> None:
        points = [self.widget_point(x, y) for x, y in self.marks]
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor(255, 220, 0), 3))
        if len(points) > 1:
            painter.drawLine(points[0], points[1])
        for p in points:
            painter.drawEllipse(p, 5, 5)
        if self.mark_text:
            painter.drawText(points[-1] + QPointF(8, -8), self.mark_text)

    def target(self) -> QRect:
        """Where the picture is painted: scaled to fit, aspect kept, centred."""
        size = self.qimage.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
        target = QRect(0, 0, size.width(), size.height())
        target.moveCenter(self.rect().center())
        return target

    def frame_point(self, x: float, y: float) -> tuple[float, float] | None:
        """The frame pixel under widget point (x, y), or None outside the picture."""
        if self.qimage is None:
            return None
        target = self.target()
        if not target.contains(int(x), int(y)) or target.width() == 0:
            return None
        scale = self.qimage.width() / target.width()
        fx, fy = (x - target.x()) * scale, (y - target.y()) * scale
        return (self.qimage.width() - 1 - fx if self.mirrored else fx), fy

    def mousePressEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        point = self.frame_point(event.position().x(), event.position().y())
        if point is not None and event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit(*point)
