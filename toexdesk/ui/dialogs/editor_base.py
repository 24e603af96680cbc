"""What every record editor shares: a form whose fields show their own validation message
beside them, pickers for coded values with the official wording, and a Save that calls one
service and keeps the dialog open (with every field's message) when the service refuses."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from toexdesk.core.errors import ToexError, ValidationError
from toexdesk.ui.dialogs import unsaved
from toexdesk.ui.dialogs.unsaved import form_state
from toexdesk.ui.style import MessageLabel
from toexdesk.ui.widgets.dates import DateEdit


def combo(
    name: str,
    members: Iterable[Any],
    text: Callable[[Any], str],
    tooltip: Callable[[Any], str] | None = None,
) -> QComboBox:
    box = QComboBox()
    box.setAccessibleName(name)
    for i, member in enumerate(members):
        box.addItem(text(member), member)
        if tooltip is not None:
            box.setItemData(i, tooltip(member), Qt.ItemDataRole.ToolTipRole)
    return box


def select(box: QComboBox, value: Any) -> None:
    index = box.findData(value)
    if index >= 0:
        box.setCurrentIndex(index)


class OptionalDate(QWidget):
    """A date, or none (a checkbox says which)."""

    def __init__(self, name: str, none_text: str):
        super().__init__()
        self.enabled = QCheckBox()
        self.enabled.setToolTip(none_text)
        self.enabled.setAccessibleName(none_text)
        self.setFocusProxy(self.enabled)
        self.edit = DateEdit()
        self.edit.setCalendarPopup(True)
        self.edit.setDisplayFormat("yyyy-MM-dd")
        self.edit.setAccessibleName(name)
        self.edit.setDate(QDate.currentDate())
        self.enabled.toggled.connect(self.edit.setEnabled)
        self.enabled.setChecked(False)
        self.edit.setEnabled(False)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.enabled)
        row.addWidget(self.edit)
        row.addStretch()

    def value(self) -> dt.date | None:
        if not self.enabled.isChecked():
            return None
        d = self.edit.date()
        return dt.date(d.year(), d.month(), d.day())

    def set_value(self, value: dt.date | None) -> None:
        self.enabled.setChecked(value is not None)
        if value is not None:
            self.edit.setDate(QDate(value.year, value.month, value.day))


class RecordEditor(QDialog):
    """Subclasses add fields with ``field()`` and implement ``values()`` and ``save()``."""

    def __init__(self, title: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 85)
        self.form = QFormLayout()
        self.errors: dict[str, MessageLabel] = {}
        self.message = MessageLabel(name="Message")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self._save)
        self.buttons.rejected.connect(self.reject)
        self.body = QWidget()
        self.body.setLayout(self.form)
        self.locked_note = QLabel(
            "Locked: unlock the main window to go on editing. What you typed is kept."
        )
        self.locked_note.hide()
        layout = QVBoxLayout(self)
        layout.addWidget(self.body)
        layout.addWidget(self.locked_note)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.result_info: Any = None
        self._clean: tuple | None = None  # the form as opened, to tell unsaved changes
        self._discarding = False

    def lock_editor(self) -> None:
        """Hide the record (not just cover it); the typed text stays in the fields."""
        self.body.hide()
        self.message.hide()
        self.buttons.setEnabled(False)
        self.locked_note.show()

    def unlock_editor(self, ws: Any) -> None:
        self.ws = ws  # the workspace was closed and opened again
        self.locked_note.hide()
        self.body.show()
        self.message.show()
        self.buttons.setEnabled(True)

    def field(self, key: str, label: str, widget: QWidget, tooltip: str = "") -> QWidget:
        """Add a row: the widget with, under it, a message line that only fills on error."""
        error = MessageLabel(name=f"{label.rstrip(':')} message")
        error.setObjectName(f"error-{key}")
        error.hide()
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(widget)
        column.addWidget(error)
        if tooltip:
            widget.setToolTip(tooltip)
        if not widget.accessibleName():
            widget.setAccessibleName(label.replace("&", "").rstrip(":"))
        box.setFocusProxy(widget)  # the label's mnemonic (Alt+letter) lands in the field
        self.form.addRow(label, box)
        self.errors[key] = error
        return widget

    @staticmethod
    def line(text: str = "") -> QLineEdit:
        edit = QLineEdit(text)
        return edit

    @staticmethod
    def text_box(text: str = "", lines: int = 4) -> QPlainTextEdit:
        """A text box ``lines`` lines high at the current font (it grows with the system
        font), allowed to stretch to three times that."""
        box = QPlainTextEdit(text)
        box.setTabChangesFocus(True)
        height = box.fontMetrics().lineSpacing() * lines + 2 * box.frameWidth() + 8
        box.setMinimumHeight(height)
        box.setMaximumHeight(height * 3)
        return box

    def clear_errors(self) -> None:
        for label in self.errors.values():
            label.clear()
            label.hide()
        self.message.clear()

    def show_errors(self, exc: ValidationError) -> None:
        unplaced = []
        for problem in exc.errors:
            label = self.errors.get(problem.field)
            if label is None:
                unplaced.append(problem.message)
                continue
            label.show_error(problem.message)  # "Error:" in words, not only colour
            label.show()
        if unplaced:
            self.message.show_error(" ".join(unplaced))

    def save(self) -> Any:
        raise NotImplementedError

    def _save(self) -> None:
        self.clear_errors()
        try:
            self.result_info = self.save()
        except ValidationError as exc:
            self.show_errors(exc)
            return
        except ToexError as exc:
            self.message.show_error(str(exc))
            return
        self.accept()

    # --- unsaved changes ------------------------------------------------------------------
    def extra_state(self) -> tuple:
        """State held outside input widgets (subclasses add it)."""
        return ()

    def state(self) -> tuple:
        return form_state(self.body) + self.extra_state()

    def showEvent(self, event) -> None:
        if self._clean is None:  # first shown: the form as the record was opened
            self._clean = self.state()
        super().showEvent(event)

    def is_dirty(self) -> bool:
        return self._clean is not None and self.state() != self._clean

    def discard(self) -> None:
        """Close without asking (the window asked once for every open editor)."""
        self._discarding = True
        self.reject()

    def reject(self) -> None:
        # Escape, Cancel and the window's close button all come here.
        if (
            not self._discarding
            and self.is_dirty()
            and not unsaved.confirm_discard(self, self.windowTitle())
        ):
            return
        super().reject()
