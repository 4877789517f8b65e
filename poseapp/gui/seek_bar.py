"""The seek bar: a slider that jumps to the point clicked (a plain QSlider moves a page step)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QSlider, QStyle, QStyleOptionSlider


class SeekBar(QSlider):
    """A horizontal slider over a video's frames; ``chosen`` gives the frame a click or a drag
    ends on."""

    chosen = Signal(int)

    def __init__(self, parent=None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.sliderReleased.connect(lambda: self.chosen.emit(self.value()))

    def value_at(self, x: float) -> int:
        """The frame under widget x (the groove's ends are the first and last frames)."""
        option = QStyleOptionSlider()
        self.initStyleOption(option)
        groove = self.style().subControlRect(QStyle.ComplexControl.CC_Slider, option,
                                             QStyle.SubControl.SC_SliderGroove, self)
        handle = self.style().subControlRect(QStyle.ComplexControl.CC_Slider, option,
                                             QStyle.SubControl.SC_SliderHandle, self)
        span = max(1, groove.width() - handle.width())
        return QStyle.sliderValueFromPosition(self.minimum(), self.maximum(),
                                              int(x - groove.x() - handle.width() / 2), span)

    def mousePressEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        """A click off the handle jumps there and seeks; on the handle, a drag as usual."""
        option = QStyleOptionSlider()
        self.initStyleOption(option)
        handle = self.style().subControlRect(QStyle.ComplexControl.CC_Slider, option,
                                             QStyle.SubControl.SC_SliderHandle, self)
        if event.button() == Qt.MouseButton.LeftButton and not handle.contains(event.position().toPoint()):
            self.setValue(self.value_at(event.position().x()))
            self.chosen.emit(self.value())
            event.accept()
            return
        super().mousePressEvent(event)
