"""A date field that Tab leaves.

``QDateEdit`` moves Tab between its own day, month and year sections, so keyboard users are
caught in it (a Tab trap). Here Tab and Shift+Tab go to the next and previous control; the
arrow keys still move between the sections and Up/Down change them."""

from __future__ import annotations

from PySide6.QtWidgets import QDateEdit, QWidget


class DateEdit(QDateEdit):
    def focusNextPrevChild(self, next_: bool) -> bool:
        return QWidget.focusNextPrevChild(self, next_)
