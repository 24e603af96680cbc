"""Knowing when an editor holds unsaved changes, and asking before they are thrown away.

An editor's state is read from its input widgets (text, choices, ticks, dates), so a new
field is covered without extra code; editors with state outside widgets (the finding
editor's citations) add it through ``extra_state``."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QComboBox,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)


def form_state(root: QWidget) -> tuple:
    """What the user can change in ``root``'s input widgets, in a comparable form."""
    state: list = []
    for widget in root.findChildren(QWidget):
        if isinstance(widget, QLineEdit):
            # A combo box's or spin box's own line edit is read through its owner.
            if not isinstance(widget.parent(), QComboBox | QAbstractSpinBox):
                state.append(widget.text())
        elif isinstance(widget, QPlainTextEdit | QTextEdit):
            state.append(widget.toPlainText())
        elif isinstance(widget, QComboBox):
            state.append(widget.currentIndex())
        elif isinstance(widget, QAbstractSpinBox):
            state.append(widget.text())
        elif isinstance(widget, QAbstractButton) and widget.isCheckable():
            state.append(widget.isChecked())
    return tuple(state)


def confirm_discard(parent: QWidget, what: str) -> bool:
    """Ask before unsaved changes are lost; the safe answer (keep editing) is the default."""
    box = QMessageBox(
        QMessageBox.Icon.Warning,
        "Unsaved changes",
        f"{what}: some changes are not saved. Discard them?",
        QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
        parent,
    )
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.button(QMessageBox.StandardButton.Cancel).setText("Keep editing")
    return box.exec() == QMessageBox.StandardButton.Discard
