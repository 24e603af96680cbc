"""A task's research log: the searches run, the systems checked (nil returns included) and
the decisions with their reasons, oldest first.

The log is append-only, so the table is read-only: "Add system check…" and "Add
decision…" add entries, and nothing changes or removes one (the database refuses to). Opening
the log reads it through ``research_log.list_log``, a consultation of the task.

``SearchLogger`` is how the search dialog writes a search into a task's log: only a search
filtered to one task, and only the query the researcher settled on (typing pauses run many
searches on the way to it), written when a hit is opened or the dialog closes."""

from __future__ import annotations

import datetime as dt
import logging

from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from toexdesk.core.enums import CheckOutcome, LogKind
from toexdesk.core.errors import ToexError, ValidationError
from toexdesk.core.services import research_log
from toexdesk.core.store.engine import Workspace
from toexdesk.ui.style import MessageLabel
from toexdesk.ui.workers import run_op

log = logging.getLogger(__name__)
HEADERS = ("When (local time)", "By", "Entry", "System", "What", "Outcome", "Reason / notes")


def _text_box(name: str, tip: str, lines: int = 3) -> QPlainTextEdit:
    box = QPlainTextEdit()
    box.setAccessibleName(name)
    box.setToolTip(tip)
    box.setTabChangesFocus(True)
    box.setMaximumHeight(box.fontMetrics().lineSpacing() * (lines + 1) + 12)
    return box


def _label(text: str, buddy: QWidget) -> QLabel:
    label = QLabel(text)
    label.setBuddy(buddy)
    return label


class _EntryDialog(QDialog):
    """What the two "Add…" dialogs share: a form, a message line, Add and Cancel."""

    def __init__(self, title: str, intro: str, parent: QWidget | None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.form = QFormLayout()
        self.message = MessageLabel(name="Message")
        self.entry: research_log.LogEntryInfo | None = None
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Add to the log")
        buttons.accepted.connect(self._add)
        buttons.rejected.connect(self.reject)
        text = QLabel(intro)
        text.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addLayout(self.form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 70)

    def write(self) -> research_log.LogEntryInfo:
        raise NotImplementedError

    def _add(self) -> None:
        try:
            self.entry = self.write()
        except ValidationError as exc:
            self.message.show_error(" ".join(e.message for e in exc.errors))
            return
        except ToexError as exc:
            self.message.show_error(str(exc))
            return
        self.accept()


class CheckDialog(_EntryDialog):
    """A system or place checked, what was searched there and what it gave."""

    def __init__(self, ws: Workspace, task_id: int, parent: QWidget | None = None):
        super().__init__(
            "Add system check",
            "Record a system you checked for this task, found something or not: a nil "
            "return is worth recording too.",
            parent,
        )
        self.ws, self.task_id = ws, task_id
        self.system = QLineEdit()
        self.system.setAccessibleName("System checked")
        self.system.setToolTip("The system or place checked, e.g. PNC, PND, Niche, a partner")
        self.system.setPlaceholderText("e.g. PNC")
        self.detail = _text_box(
            "What was searched", "The names, numbers or terms searched for there"
        )
        self.outcome = QComboBox()
        self.outcome.setAccessibleName("Outcome")
        self.outcome.setToolTip(
            "Nil return: the check found nothing. Material found: record it as a source too."
        )
        for outcome in (CheckOutcome.NIL_RETURN, CheckOutcome.FOUND):
            self.outcome.addItem(outcome.label, outcome)
        self.notes = _text_box("Notes", "Anything worth knowing about the check (optional)", 2)
        self.form.addRow(_label("&System checked:", self.system), self.system)
        self.form.addRow(_label("&What was searched:", self.detail), self.detail)
        self.form.addRow(_label("O&utcome:", self.outcome), self.outcome)
        self.form.addRow(_label("N&otes:", self.notes), self.notes)
        self.system.setFocus()

    def write(self) -> research_log.LogEntryInfo:
        return research_log.log_check(
            self.ws,
            self.task_id,
            self.system.text(),
            self.detail.toPlainText(),
            self.outcome.currentData(),
            self.notes.toPlainText(),
        )


class DecisionDialog(_EntryDialog):
    """A research decision and the reason for it (required)."""

    def __init__(self, ws: Workspace, task_id: int, parent: QWidget | None = None):
        super().__init__(
            "Add decision",
            "Record a decision about the research (what to search, what to leave out, when "
            "to stop) and why: the reason is required.",
            parent,
        )
        self.ws, self.task_id = ws, task_id
        self.decision = _text_box("Decision", "What was decided")
        self.reason = _text_box("Reason", "Why it was decided (required)")
        self.form.addRow(_label("&Decision:", self.decision), self.decision)
        self.form.addRow(_label("&Reason:", self.reason), self.reason)
        self.decision.setFocus()

    def write(self) -> research_log.LogEntryInfo:
        return research_log.log_decision(
            self.ws, self.task_id, self.decision.toPlainText(), self.reason.toPlainText()
        )


def _cells(e: research_log.LogEntryInfo) -> tuple[str, ...]:
    kind = e.kind.label + (" (automatic)" if e.automatic else "")
    outcome = e.outcome.label if e.outcome is not None else ""
    system = "" if e.kind is LogKind.DECISION else e.system
    return (
        e.at.astimezone().strftime("%Y-%m-%d %H:%M"),
        e.analyst,
        kind,
        system,
        " ".join(e.detail.split()),
        outcome,
        " ".join(e.reason.split()),
    )


class ResearchLogDialog(QDialog):
    """The selected task's research log, with "Add system check…" and "Add decision…"."""

    def __init__(self, ws: Workspace, task_id: int, label: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.ws, self.task_id, self.label = ws, task_id, label
        self.setWindowTitle(f"Research log — {label}")
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setAccessibleName(f"Research log of {label}")
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setTabKeyNavigation(False)  # Tab leaves the table; arrows move in it
        self.table.setWordWrap(False)
        self.check_button = QPushButton("Add system &check…")
        self.check_button.setToolTip(
            "Record a system you checked and what it gave, a nil return included"
        )
        self.decision_button = QPushButton("Add &decision…")
        self.decision_button.setToolTip("Record a research decision and its reason")
        self.check_button.clicked.connect(self.add_check)
        self.decision_button.clicked.connect(self.add_decision)
        self.status = QLabel()
        self.status.setAccessibleName("Research log status")
        self.status.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(self.check_button)
        row.addWidget(self.decision_button)
        row.addWidget(self.status, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addLayout(row)
        layout.addWidget(buttons)
        em = self.fontMetrics().averageCharWidth()
        self.resize(em * 140, self.fontMetrics().lineSpacing() * 26)
        self.entries: list[research_log.LogEntryInfo] = []
        self.reload()

    def reload(self) -> None:
        self.show_entries(research_log.list_log(self.ws, self.task_id))

    def show_entries(self, entries: list[research_log.LogEntryInfo]) -> None:
        self.entries = list(entries)
        self.table.setRowCount(len(entries))
        for row, entry in enumerate(entries):
            for column, text in enumerate(_cells(entry)):
                item = QTableWidgetItem(text)
                if column in (4, 6):
                    item.setToolTip(text[:2_000])
                self.table.setItem(row, column, item)
        self.table.resizeColumnsToContents()
        for column in (4, 6):
            width = self.fontMetrics().averageCharWidth() * 40
            self.table.setColumnWidth(column, min(self.table.columnWidth(column), width))
        if entries:
            self.table.setCurrentCell(len(entries) - 1, 0)
        nil = sum(1 for e in entries if e.is_nil_return)
        self.status.setText(
            f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'} ({nil} nil "
            f"return{'' if nil == 1 else 's'}). Append-only: a correction is a new entry."
            if entries
            else "No entries yet. Searches filtered to this task are logged automatically."
        )

    def _add(self, dialog: _EntryDialog) -> None:
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.show_entries([*self.entries, dialog.entry])

    def add_check(self) -> None:
        self._add(CheckDialog(self.ws, self.task_id, self))

    def add_decision(self) -> None:
        self._add(DecisionDialog(self.ws, self.task_id, self))


# --- automatic search entries ----------------------------------------------------------------
def describe_filters(filters: dict) -> str:
    """The search filters in words (the task filter goes without saying)."""
    parts = []
    if filters.get("record_types"):
        parts.append("only " + ", ".join(f"{t.label.lower()}s" for t in filters["record_types"]))
    grading = filters.get("grading")
    if grading is not None and getattr(grading, "evaluations", None):
        parts.append("source evaluation " + "/".join(grading.evaluations))
    since = filters.get("date_from")
    if isinstance(since, dt.date):
        parts.append(f"since {since.isoformat()}")
    if filters.get("include_archived"):
        parts.append("archived records included")
    return "; ".join(parts)


class SearchLogger:
    """Writes the searches of one search dialog into the research log of the task they were
    filtered to. ``shown`` notes each answer; the last one is written by ``flush`` (a hit
    opened, the dialog closed), or when the researcher starts a different search."""

    def __init__(self, ws: Workspace, parent: QWidget | None = None):
        self.ws, self.parent = ws, parent
        self.pending: tuple[int, str, str, int] | None = None
        self.written: set[tuple[int, str, str]] = set()

    def shown(self, filters: dict, query: str, hits: int) -> None:
        task_id, query = filters.get("task_id"), query.strip()
        if task_id is None or not query:
            return
        if self.pending is not None:
            old = self.pending[1].casefold()
            # Typing on ("county" → "county lines") refines the same search; anything
            # else is a new search, and the one before it is written.
            if not (query.casefold().startswith(old) or old.startswith(query.casefold())):
                self.flush()
        self.pending = (task_id, query, describe_filters(filters), hits)

    def flush(self) -> None:
        pending, self.pending = self.pending, None
        if pending is None or self.ws.closed or self.ws.read_only:
            return
        task_id, query, filters, hits = pending
        if (task_id, query, filters) in self.written:
            return  # the same search again (e.g. two hits opened): once is enough
        self.written.add((task_id, query, filters))
        ws = self.ws
        run_op(
            self.parent,
            "Writing the research log…",
            lambda op: research_log.log_search(ws, task_id, query, hits=hits, filters=filters),
            None,
            lambda exc: log.warning("search not logged (%s)", type(exc).__name__),
            progress=False,
        )


__all__ = [
    "CheckDialog",
    "DecisionDialog",
    "ResearchLogDialog",
    "SearchLogger",
    "describe_filters",
]
