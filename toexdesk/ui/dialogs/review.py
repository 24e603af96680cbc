"""Due for review (MoPI): the tasks and sources whose review date has come, overdue first;
for each, keep it ("Retain until…", with the next review date and the reason) or erase it
("Erase…", with a justification, after a confirmation that names everything that goes and
says it cannot be undone).

The list is not a consultation (it shows what the panes show); retaining is an alteration
and a decision in the task's research log; erasing is an erasure event that keeps counts,
never content."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from toexdesk.core.errors import ToexError, ValidationError
from toexdesk.core.services import review
from toexdesk.core.store.engine import Workspace
from toexdesk.ui.style import MessageLabel
from toexdesk.ui.widgets.dates import DateEdit
from toexdesk.ui.workers import run_op

HEADERS = ("Record", "Title", "Thematic", "Marking", "Review date", "State")


def _qdate(day: dt.date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _pydate(day: QDate) -> dt.date:
    return dt.date(day.year(), day.month(), day.day())


def state_text(item: review.ReviewItem, on: dt.date) -> str:
    """How due an item is, in words (colour is never the only signal)."""
    if item.review_on is None:
        text = "No review date"
    elif item.review_on < on:
        days = item.days_overdue(on)
        text = f"Overdue by {days} day{'s' if days != 1 else ''}"
    elif item.review_on == on:
        text = "Due today"
    else:
        days = -item.days_overdue(on)
        text = f"Due in {days} day{'s' if days != 1 else ''}"
    return text + (" (archived)" if item.archived else "")


def _reason_box(name: str, tip: str) -> QPlainTextEdit:
    box = QPlainTextEdit()
    box.setAccessibleName(name)
    box.setToolTip(tip)
    box.setTabChangesFocus(True)
    box.setMaximumHeight(box.fontMetrics().lineSpacing() * 4 + 12)
    return box


def _labelled(text: str, buddy: QWidget) -> QLabel:
    label = QLabel(text)
    label.setBuddy(buddy)
    return label


class RetainDialog(QDialog):
    """Keep a record after its review: the next review date (after today) and why."""

    def __init__(
        self, ws: Workspace, item: review.ReviewItem, until: dt.date, parent: QWidget | None = None
    ):
        super().__init__(parent)
        self.ws, self.item = ws, item
        self.setWindowTitle(f"Retain {item.reference}")
        intro = QLabel(
            f"Keep {item.kind} <b>{item.reference}</b> after its review. Say until when (its "
            "next review date) and why it is still needed; both go into the audit trail and "
            "the task's research log."
        )
        intro.setWordWrap(True)
        self.until = DateEdit()
        self.until.setCalendarPopup(True)
        self.until.setDisplayFormat("yyyy-MM-dd")
        self.until.setAccessibleName("Retain until")
        self.until.setToolTip("The next review date: after today")
        self.until.setMinimumDate(_qdate(dt.date.today() + dt.timedelta(days=1)))
        self.until.setDate(_qdate(until))
        self.reason = _reason_box("Reason for retaining", "Why the record is still needed")
        self.message = MessageLabel(name="Message")
        form = QFormLayout()
        form.addRow(_labelled("Retain &until:", self.until), self.until)
        form.addRow(_labelled("&Reason:", self.reason), self.reason)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Retain")
        buttons.accepted.connect(self._retain)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 70)
        self.result_item: review.ReviewItem | None = None
        self.reason.setFocus()

    def _retain(self) -> None:
        try:
            self.result_item = review.retain(
                self.ws,
                self.item.kind,
                self.item.id,
                _pydate(self.until.date()),
                self.reason.toPlainText(),
            )
        except ValidationError as exc:
            self.message.show_error(" ".join(e.message for e in exc.errors))
            return
        except ToexError as exc:
            self.message.show_error(str(exc))
            return
        self.accept()


class EraseDialog(QDialog):
    """The confirmation of an erasure: what goes, that it cannot be undone, and why."""

    def __init__(self, plan: review.ErasurePlan, parent: QWidget | None = None):
        super().__init__(parent)
        self.plan = plan
        self.setWindowTitle(f"Erase {plan.reference}")
        what = QLabel(
            f"<b>Erase for good:</b> {plan.describe()}.<br><br>"
            "This <b>cannot be undone</b>: the records, their attached files (unless another "
            "source holds the same file) and their search text are removed from the "
            "workspace. The audit trail keeps that an erasure happened, when, by whom and "
            "why, never what the records said. Backups made earlier still hold them."
        )
        what.setWordWrap(True)
        self.reason = _reason_box(
            "Justification for erasing",
            "Why it is erased, e.g. its review found it no longer necessary (required)",
        )
        self.reason.textChanged.connect(self._update)
        self.message = MessageLabel(name="Message")
        form = QFormLayout()
        form.addRow(_labelled("&Justification:", self.reason), self.reason)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.erase_button = QPushButton("&Erase for good")
        self.erase_button.setToolTip("Erase it now; this cannot be undone")
        buttons.addButton(self.erase_button, QDialogButtonBox.ButtonRole.DestructiveRole)
        self.erase_button.clicked.connect(self.accept)
        buttons.rejected.connect(self.reject)
        cancel = buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setDefault(True)  # Enter does not erase
        layout = QVBoxLayout(self)
        layout.addWidget(what)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 75)
        self._update()
        self.reason.setFocus()

    def _update(self) -> None:
        ready = bool(self.reason.toPlainText().strip())
        self.erase_button.setEnabled(ready)
        if ready:
            self.message.clear()
        else:
            self.message.show_info("Give the justification to enable Erase.")

    def justification(self) -> str:
        return self.reason.toPlainText().strip()


class DueForReviewDialog(QDialog):
    """The tasks and sources due for review on a day. ``changed`` fires after a retain or
    an erase (the main window reloads its panes)."""

    changed = Signal()

    def __init__(
        self,
        ws: Workspace,
        parent: QWidget | None = None,
        *,
        review_months: Mapping[str, int] | None = None,
    ):
        super().__init__(parent)
        self.ws, self.review_months = ws, review_months
        self.setWindowTitle("Due for review")
        self.due_by = DateEdit()
        self.due_by.setCalendarPopup(True)
        self.due_by.setDisplayFormat("yyyy-MM-dd")
        self.due_by.setAccessibleName("Due on or before")
        self.due_by.setToolTip("List what is due for review on or before this day")
        self.due_by.setDate(QDate.currentDate())
        self.undated = QCheckBox("Records with &no review date too")
        self.undated.setToolTip("Also list tasks and sources that have no review date set")
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setAccessibleName("Records due for review")
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setTabKeyNavigation(False)
        self.table.setWordWrap(False)
        self.retain_button = QPushButton("&Retain until…")
        self.retain_button.setToolTip(
            "Keep the selected record: set its next review date, with the reason"
        )
        self.erase_button = QPushButton("&Erase…")
        self.erase_button.setToolTip(
            "Erase the selected record and everything under it, for good (asks first)"
        )
        self.status = MessageLabel(name="Review status")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        self.retain_button.clicked.connect(self.retain_selected)
        self.erase_button.clicked.connect(self.erase_selected)
        self.due_by.dateChanged.connect(lambda _d: self.reload())
        self.undated.toggled.connect(lambda _on: self.reload())
        self.table.itemSelectionChanged.connect(self._update_buttons)
        top = QHBoxLayout()
        top.addWidget(_labelled("&Due on or before:", self.due_by))
        top.addWidget(self.due_by)
        top.addWidget(self.undated)
        top.addStretch()
        actions = QHBoxLayout()
        actions.addWidget(self.retain_button)
        actions.addWidget(self.erase_button)
        actions.addWidget(self.status, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table)
        layout.addLayout(actions)
        layout.addWidget(buttons)
        em = self.fontMetrics().averageCharWidth()
        self.resize(em * 130, self.fontMetrics().lineSpacing() * 26)
        self.items: list[review.ReviewItem] = []
        self.reload()

    @property
    def on(self) -> dt.date:
        return _pydate(self.due_by.date())

    def reload(self, select: tuple[str, int] | None = None) -> None:
        self.items = review.due_for_review(
            self.ws, self.on, include_undated=self.undated.isChecked()
        )
        on = self.on
        self.table.setRowCount(len(self.items))
        for row, item in enumerate(self.items):
            cells = (
                item.reference,
                " ".join(item.title.split()),
                item.thematic.label,
                item.marking.label,
                item.review_on.isoformat() if item.review_on else "—",
                state_text(item, on),
            )
            for column, text in enumerate(cells):
                self.table.setItem(row, column, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()
        em = self.fontMetrics().averageCharWidth()
        for column, chars in ((1, 40), (2, 22)):  # title, thematic: the rest stays in view
            self.table.setColumnWidth(column, min(self.table.columnWidth(column), em * chars))
        keys = [(i.kind, i.id) for i in self.items]
        if self.items:
            self.table.selectRow(keys.index(select) if select in keys else 0)
        overdue = sum(1 for i in self.items if i.is_overdue(on))
        self.status.show_info(
            f"{len(self.items)} due for review ({overdue} overdue)."
            if self.items
            else "Nothing is due for review."
        )
        self._update_buttons()

    def selected(self) -> review.ReviewItem | None:
        rows = self.table.selectionModel().selectedRows()
        return self.items[rows[0].row()] if rows else None

    def _update_buttons(self) -> None:
        item = self.selected()
        self.retain_button.setEnabled(item is not None)
        self.erase_button.setEnabled(item is not None)

    def _next_review(self, item: review.ReviewItem) -> dt.date:
        return review.default_review_date(item.thematic, self.review_months)

    def retain_selected(self) -> None:
        item = self.selected()
        if item is None:
            return
        dialog = RetainDialog(self.ws, item, self._next_review(item), self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.reload()
            self.status.show_info(
                f"{item.reference} retained until {dialog.result_item.review_on.isoformat()}."
            )
            self.changed.emit()

    def erase_selected(self) -> None:
        item = self.selected()
        if item is None:
            return
        try:
            plan = review.erasure_plan(self.ws, item.kind, item.id)
        except ToexError as exc:
            self.status.show_error(str(exc))
            return
        dialog = EraseDialog(plan, self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        ws, reason = self.ws, dialog.justification()
        run_op(
            self,
            f"Erasing {plan.reference}…",
            lambda op: review.erase(ws, plan.kind, plan.id, reason),
            lambda _result: self._erased(plan),
            self._erase_failed,
            cancellable=False,
        )

    def _erase_failed(self, exc: BaseException) -> None:
        if isinstance(exc, ToexError):
            self.status.show_error(str(exc))
        else:
            self.status.show_error(f"The erasure failed ({type(exc).__name__}); nothing changed.")

    def _erased(self, plan: review.ErasurePlan) -> None:
        self.reload()
        self.status.show_info(f"Erased {plan.reference}.")
        self.changed.emit()
