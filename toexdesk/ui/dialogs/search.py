"""Search the workspace (Ctrl+K): ranked hits with the matched words in bold, filters by
record type, task, grading and date; Enter or a double-click jumps to the record.

Searching reads the encrypted full-text index inside the workspace; it is not a consultation
of every hit (opening one is). Each query runs in a worker; an answer to an older query is
dropped, so typing never waits for the database."""

from __future__ import annotations

import datetime as dt
import html

from PySide6.QtCore import QDate, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAbstractTextDocumentLayout, QPalette, QTextDocument
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from toexdesk.core.services import search as search_svc
from toexdesk.core.store.engine import Workspace
from toexdesk.ui.dialogs.research_log import SearchLogger
from toexdesk.ui.widgets.dates import DateEdit
from toexdesk.ui.workers import run_op

HIT_ROLE = Qt.ItemDataRole.UserRole
ANY = None


def marked(text: str, spans) -> str:
    """``text`` as HTML with the spans in bold: escaped first, so record text is never
    markup."""
    out, at = [], 0
    for start, end in sorted(spans):
        if start < at:
            continue
        out.append(html.escape(text[at:start]))
        out.append(f"<b>{html.escape(text[start:end])}</b>")
        at = end
    out.append(html.escape(text[at:]))
    return "".join(out)


def hit_html(hit) -> str:
    kind = hit.record_type.label
    where = f" · {html.escape(hit.task_reference)}" if hit.task_reference else ""
    archived = " · archived" if hit.archived else ""
    return (
        f"<span>{html.escape(kind)} <b>{html.escape(hit.label)}</b>{where}{archived}</span><br>"
        f"{marked(hit.title, hit.title_highlights)}<br>"
        f"<small>{marked(hit.snippet, hit.highlights)}</small>"
    )


class HitDelegate(QStyledItemDelegate):
    """Draws a hit's HTML (escaped text with bold matches)."""

    def _document(self, option, index) -> QTextDocument:
        doc = QTextDocument()
        doc.setDefaultFont(option.font)
        doc.setHtml(index.data(Qt.ItemDataRole.UserRole + 1) or "")
        doc.setTextWidth(max(option.rect.width(), 200))
        return doc

    def paint(self, painter, option, index) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        doc = self._document(opt, index)
        opt.text = ""
        style = opt.widget.style() if opt.widget else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        context = QAbstractTextDocumentLayout.PaintContext()
        selected = opt.state & QStyle.StateFlag.State_Selected
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        context.palette.setColor(QPalette.ColorRole.Text, opt.palette.color(role))
        painter.save()
        painter.translate(opt.rect.topLeft())
        doc.documentLayout().draw(painter, context)
        painter.restore()

    def sizeHint(self, option, index) -> QSize:
        doc = self._document(option, index)
        return QSize(int(doc.idealWidth()), int(doc.size().height()) + 6)


class SearchDialog(QDialog):
    """Non-modal; ``open_record`` carries the chosen hit."""

    open_record = Signal(object)

    def __init__(self, ws: Workspace, task_id: int | None, parent: QWidget | None = None):
        super().__init__(parent)
        self.ws, self.task_id = ws, task_id
        self.setWindowTitle("Search the workspace")
        self.query = QLineEdit()
        self.query.setPlaceholderText('Words or "a phrase"…')
        self.query.setAccessibleName("Search words")
        self.query.setToolTip(
            'Every word must match (the last one as the start of a word); "quotes" for a '
            "phrase. Accents do not matter."
        )
        self.query.setClearButtonEnabled(True)
        self.kind = QComboBox()
        self.kind.setAccessibleName("Record type")
        self.kind.setToolTip("Search only this kind of record")
        self.kind.addItem("Everything", ANY)
        for record_type in search_svc.RecordType:
            self.kind.addItem(f"{record_type.label}s", record_type)
        self.this_task = QCheckBox("This &task only")
        self.this_task.setToolTip("Only the selected task, its sources, findings and files")
        self.this_task.setEnabled(task_id is not None)
        self.grading = QComboBox()
        self.grading.setAccessibleName("Source evaluation")
        self.grading.setToolTip("Sources (and their files) with this 3x5x2 source evaluation")
        self.grading.addItem("Any grading", ANY)
        for code, words in (("1", "reliable"), ("2", "untested"), ("3", "not reliable")):
            self.grading.addItem(f"{code} – {words}", code)
        self.since = DateEdit()
        self.since.setAccessibleName("Obtained or made since")
        self.since.setToolTip("Only records obtained (or made) on or after this date")
        self.since.setCalendarPopup(True)
        self.since.setDisplayFormat("yyyy-MM-dd")
        self.since.setDate(QDate(2000, 1, 1))
        self.since.setMinimumDate(QDate(2000, 1, 1))
        self.since.setSpecialValueText("Any date")
        self.archived = QCheckBox("&Archived too")
        self.archived.setToolTip("Include archived records")
        self.results = QListWidget()
        self.results.setAccessibleName("Search results")
        self.results.setItemDelegate(HitDelegate(self.results))
        self.results.setWordWrap(True)
        self.results.itemActivated.connect(self._activated)
        self.status = QLabel()
        self.status.setAccessibleName("Search status")
        filters = QHBoxLayout()
        for widget in (self.kind, self.this_task, self.grading, self.since, self.archived):
            filters.addWidget(widget)
        filters.addStretch()
        label = QLabel("&Find:")
        label.setBuddy(self.query)
        top = QHBoxLayout()
        top.addWidget(label)
        top.addWidget(self.query)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(filters)
        layout.addWidget(self.results)
        layout.addWidget(self.status)
        em = self.fontMetrics().averageCharWidth()
        self.resize(em * 110, self.fontMetrics().lineSpacing() * 32)
        self._timer = QTimer(self, singleShot=True, interval=200)  # wait for a pause in typing
        self._timer.timeout.connect(self.run)
        self.query.textChanged.connect(lambda _t: self._timer.start())
        for signal in (
            self.kind.currentIndexChanged,
            self.grading.currentIndexChanged,
            self.since.dateChanged,
            self.this_task.toggled,
            self.archived.toggled,
        ):
            signal.connect(lambda *_a: self._timer.start())
        self._asked = 0
        self.hits: list = []
        self.search_log = SearchLogger(ws)  # searches filtered to a task go in its log

    def keyPressEvent(self, event) -> None:
        # Down from the query goes into the results; Enter there opens the first hit.
        if event.key() == Qt.Key.Key_Down and self.query.hasFocus() and self.results.count():
            self.results.setFocus()
            self.results.setCurrentRow(0)
            return
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.query.hasFocus():
            if self.results.count():
                self._activated(self.results.item(0))
            return
        super().keyPressEvent(event)

    def _filters(self) -> dict:
        since = self.since.date()
        grading = self.grading.currentData()
        return dict(
            record_types=[self.kind.currentData()] if self.kind.currentData() else None,
            task_id=self.task_id if self.this_task.isChecked() else None,
            grading=search_svc.GradingFilter(evaluations=(grading,)) if grading else None,
            date_from=(
                None
                if since == self.since.minimumDate()
                else dt.date(since.year(), since.month(), since.day())
            ),
            include_archived=self.archived.isChecked(),
        )

    def run(self) -> None:
        text = self.query.text()
        self._asked += 1
        asked, ws, filters = self._asked, self.ws, self._filters()
        if not text.strip():
            self._show(asked, [])
            return
        run_op(
            self,
            "Searching…",
            lambda op: search_svc.search(ws, text, **filters),
            lambda hits: self._show(asked, hits),
            lambda exc: self._failed(asked, exc),
            progress=False,
        )

    def _failed(self, asked: int, exc: BaseException) -> None:
        if asked == self._asked:
            self.status.setText(f"Error: the search failed ({type(exc).__name__}).")

    def _show(self, asked: int, hits: list) -> None:
        if asked != self._asked:
            return  # an answer to an older query
        self.search_log.shown(self._filters(), self.query.text(), len(hits))
        self.hits = hits
        self.results.clear()
        for hit in hits:
            item = QListWidgetItem()
            item.setData(HIT_ROLE, hit)
            item.setData(Qt.ItemDataRole.UserRole + 1, hit_html(hit))
            item.setData(
                Qt.ItemDataRole.AccessibleTextRole,
                f"{hit.record_type.label} {hit.label}: {hit.title}. {hit.snippet}",
            )
            self.results.addItem(item)
        if not self.query.text().strip():
            self.status.setText("")
        else:
            n = len(hits)
            self.status.setText("No matches." if not n else f"{n} match{'es' if n > 1 else ''}")

    def _activated(self, item: QListWidgetItem) -> None:
        hit = item.data(HIT_ROLE)
        if hit is not None:
            self.search_log.flush()
            self.open_record.emit(hit)

    def done(self, result: int) -> None:
        self.search_log.flush()
        super().done(result)
