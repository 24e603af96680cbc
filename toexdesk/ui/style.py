"""Colour and type that follow the user's system settings.

The app sets no fonts and no colours of its own, with one exception: error messages are
red when a red exists that reads well (WCAG contrast >= 4.5:1) on the window colour of the
current palette, and otherwise take the palette's own text colour (high-contrast themes).
They always start with "Error:", so colour is never the only signal."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QLabel, QWidget

MIN_CONTRAST = 4.5  # WCAG 2 AA for body text
# A dark red for light windows, a light red for dark ones.
ERROR_REDS = (QColor(0xB0, 0x00, 0x20), QColor(0xFF, 0x8A, 0x80))
ERROR_PREFIX = "Error: "


def _channel(value: float) -> float:
    value /= 255
    return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4


def luminance(colour: QColor) -> float:
    """WCAG relative luminance, 0 (black) to 1 (white)."""
    r, g, b = (_channel(c) for c in (colour.red(), colour.green(), colour.blue()))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: QColor, b: QColor) -> float:
    """WCAG contrast ratio between two colours, 1 to 21."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def error_colour(palette: QPalette) -> QColor:
    """The colour for error text on this palette's window colour."""
    window = palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.Window)
    best = max(ERROR_REDS, key=lambda red: contrast_ratio(red, window))
    if contrast_ratio(best, window) >= MIN_CONTRAST:
        return best
    return palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.WindowText)


class MessageLabel(QLabel):
    """A wrapped, selectable message line: ``show_error`` for problems (prefixed "Error:"
    and coloured to suit the palette), ``show_info`` for progress, ``clear`` to empty it.
    It recolours itself when the system palette changes while an error is shown."""

    def __init__(self, parent: QWidget | None = None, name: str = "Message"):
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setAccessibleName(name)
        self.is_error = False
        self._recolouring = False

    def show_error(self, text: str) -> None:
        self.is_error = True
        self._set(text if text.startswith(ERROR_PREFIX) else ERROR_PREFIX + text)

    def show_info(self, text: str) -> None:
        self.is_error = False
        self._set(text)

    def clear(self) -> None:
        self.is_error = False
        self._set("")

    def _set(self, text: str) -> None:
        self.setText(text)
        self.setAccessibleDescription(text)
        self._recolour()

    def _recolour(self) -> None:
        self._recolouring = True
        try:
            base = self.parentWidget().palette() if self.parentWidget() else QApplication.palette()
            palette = QPalette()  # only the roles set below are ours; the rest inherit
            if self.is_error:
                colour = error_colour(base)
                for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
                    palette.setColor(group, QPalette.ColorRole.WindowText, colour)
                    palette.setColor(group, QPalette.ColorRole.Text, colour)
                self.setPalette(palette)
            else:
                self.setPalette(QPalette())  # nothing of our own: inherit everything
        finally:
            self._recolouring = False

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if not self._recolouring and event.type() in (
            QEvent.Type.PaletteChange,
            QEvent.Type.ApplicationPaletteChange,
            QEvent.Type.ParentChange,
        ):
            self._recolour()
