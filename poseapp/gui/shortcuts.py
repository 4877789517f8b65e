"""Keys that work wherever the focus is: Space plays and pauses even while a settings control
(a combo box, a slider, a spin box) has it; a text field keeps its spaces."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QLineEdit, QPlainTextEdit, QTextEdit

#: Keys the window's actions own; a control with the focus does not take them over.
WINDOW_KEYS = (Qt.Key.Key_Space,)


class WindowKeys(QObject):
    """An application event filter: a control's claim on a window key (Qt's ShortcutOverride) is
    dropped, so the window's shortcut fires; text fields other than a spin box's keep the key."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() != QEvent.Type.ShortcutOverride or event.key() not in WINDOW_KEYS \
                or event.modifiers() != Qt.KeyboardModifier.NoModifier:
            return False
        focus = QApplication.focusWidget()
        typing = isinstance(focus, (QTextEdit, QPlainTextEdit)) or (
            isinstance(focus, QLineEdit) and not isinstance(focus.parent(), QAbstractSpinBox))
        return not typing
