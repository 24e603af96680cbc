"""Locking: after idle minutes (setting) or on Ctrl+L the window drops every pane (their
models and cached rows go with them), closes the workspace (the key is forgotten) and asks
for the passphrase again. Text copied from the app is cleared from the clipboard after a
while (setting) if it is still there."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from toexdesk.ui.style import MessageLabel

ACTIVITY = {
    QEvent.Type.KeyPress,
    QEvent.Type.MouseButtonPress,
    QEvent.Type.MouseMove,
    QEvent.Type.Wheel,
    QEvent.Type.TouchBegin,
}


class IdleWatcher(QObject):
    """Emits ``idle`` when no key, mouse or touch input reached the app for ``ms``."""

    idle = Signal()

    def __init__(self, ms: int, parent: QObject | None = None):
        super().__init__(parent)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(ms)
        self.timer.timeout.connect(self.idle)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)
        self.timer.start()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in ACTIVITY and self.timer.isActive():
            self.timer.start()  # restart the countdown
        return False

    def stop(self) -> None:
        self.timer.stop()

    def restart(self) -> None:
        self.timer.start()

    def set_interval(self, ms: int) -> None:
        """A new idle time (the setting changed); a running countdown starts again."""
        self.timer.setInterval(ms)
        if self.timer.isActive():
            self.timer.start()


class ClipboardGuard(QObject):
    """Puts text on the clipboard and takes it off again after ``ms`` if it is unchanged
    (text the user copied from elsewhere meanwhile is left alone)."""

    def __init__(self, ms: int, parent: QObject | None = None):
        super().__init__(parent)
        self.ms = ms
        self._placed: str | None = None
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.clear)

    def copy(self, text: str) -> None:
        QApplication.clipboard().setText(text)
        self._placed = text
        self.timer.start(self.ms)

    def clear(self) -> None:
        clipboard = QApplication.clipboard()
        if self._placed is not None and clipboard.text() == self._placed:
            clipboard.clear()
        self._placed = None
        self.timer.stop()


class LockScreen(QWidget):
    """What the window shows while locked: no record content, only the file's name."""

    unlock_requested = Signal(str)

    def __init__(self, name: str, parent: QWidget | None = None):
        super().__init__(parent)
        title = QLabel(f"<h2>{name} is locked</h2>")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint = QLabel("Enter the &passphrase to go on working.")
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setAccessibleName("Passphrase")
        self.passphrase.setToolTip("The workspace's passphrase; Enter unlocks")
        # Room for a long passphrase at the user's font size.
        self.passphrase.setMaximumWidth(self.fontMetrics().averageCharWidth() * 45)
        self.passphrase.returnPressed.connect(self._submit)
        hint.setBuddy(self.passphrase)
        self.button = QPushButton("&Unlock")
        self.button.setToolTip("Open the workspace again with this passphrase")
        self.button.clicked.connect(self._submit)
        self.message = MessageLabel(name="Unlock message")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        row = QHBoxLayout()
        row.addStretch()
        row.addWidget(self.passphrase)
        row.addWidget(self.button)
        row.addStretch()
        layout = QVBoxLayout(self)
        layout.addStretch()
        layout.addWidget(title)
        layout.addWidget(hint)
        layout.addLayout(row)
        layout.addWidget(self.message)
        layout.addStretch()

    def _submit(self) -> None:
        if self.passphrase.text():
            self.set_busy(True)
            self.unlock_requested.emit(self.passphrase.text())

    def set_busy(self, busy: bool) -> None:
        self.passphrase.setEnabled(not busy)
        self.button.setEnabled(not busy)
        if busy:
            self.message.show_info("Unlocking…")

    def failed(self, text: str) -> None:
        self.set_busy(False)
        self.message.show_error(text)  # "Error:" in words, not only colour
        self.passphrase.selectAll()
        self.passphrase.setFocus()

    def reset(self) -> None:
        self.passphrase.clear()
        self.message.clear()
        self.set_busy(False)
        self.passphrase.setFocus()
