"""Capturing files from the main window: dropped on the Sources pane (onto a source: attached
to it; below the sources: a new source per file) or chosen with Attach files… (Ctrl+Shift+A
is the audit trail, so Ctrl+Shift+T). A short provenance form comes first; the files are
stored encrypted in the workspace in a worker (progress, Cancel) and a results list says
what happened to each one."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from toexdesk.core.enums import Marking
from toexdesk.core.services import capture as capture_svc
from toexdesk.ui.widgets.dates import DateEdit
from toexdesk.ui.workers import run_op

OUTCOME_WORDS = {
    "captured": "Captured",
    "duplicate": "Already there",
    "failed": "Failed",
    "cancelled": "Not captured (cancelled)",
}


class ProvenanceDialog(QDialog):
    """Where the files came from: kept with each file, all optional."""

    def __init__(self, what: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Capture files")
        intro = QLabel(f"{what}<br>Where did they come from? (optional, kept with each file)")
        intro.setWordWrap(True)
        self.obtained_from = QLineEdit()
        self.obtained_from.setAccessibleName("Obtained from")
        self.obtained_from.setToolTip("A URL, or the system and its reference the file came from")
        self.obtained_from.setPlaceholderText("e.g. PND enquiry 2026/0042, or https://…")
        self.has_date = QCheckBox("Obtained on:")
        self.has_date.setToolTip("When the file was obtained, if not today")
        self.obtained_on = DateEdit(QDate.currentDate())
        self.obtained_on.setAccessibleName("Obtained on")
        self.obtained_on.setDisplayFormat("yyyy-MM-dd")
        self.obtained_on.setCalendarPopup(True)
        self.obtained_on.setEnabled(False)
        self.has_date.toggled.connect(self.obtained_on.setEnabled)
        self.exhibit = QLineEdit()
        self.exhibit.setAccessibleName("Exhibit reference")
        self.exhibit.setToolTip("An exhibit reference, if the file is an exhibit")
        form = QFormLayout()
        for text, widget in (("Obtained &from:", self.obtained_from), ("E&xhibit:", self.exhibit)):
            label = QLabel(text)
            label.setBuddy(widget)
            form.addRow(label, widget)
        dates = QHBoxLayout()
        dates.addWidget(self.has_date)
        dates.addWidget(self.obtained_on)
        dates.addStretch()
        form.addRow("", dates)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Capture")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def values(self) -> dict:
        date = self.obtained_on.date()
        return dict(
            obtained_from=self.obtained_from.text().strip(),
            obtained_at=(
                dt.date(date.year(), date.month(), date.day())
                if self.has_date.isChecked()
                else None
            ),
            exhibit_ref=self.exhibit.text().strip(),
        )


class CaptureResults(QDialog):
    """One line per file: what happened, and why if it did not."""

    def __init__(self, results, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Capture results")
        ok = sum(1 for r in results if r.ok)
        summary = QLabel(f"{ok} of {len(results)} file{'s' if len(results) != 1 else ''} stored.")
        summary.setAccessibleName("Capture summary")
        self.table = QTreeWidget()
        self.table.setAccessibleName("Capture results")
        self.table.setRootIsDecorated(False)
        self.table.setHeaderLabels(["File", "Result", "Details"])
        for result in results:
            details = " ".join(part for part in (result.message, result.note) if part)
            item = QTreeWidgetItem(
                [result.name, OUTCOME_WORDS.get(str(result.outcome), str(result.outcome)), details]
            )
            item.setToolTip(0, result.path)
            item.setToolTip(2, details)
            self.table.addTopLevelItem(item)
        for column in range(3):
            self.table.resizeColumnToContents(column)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(summary)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        em = self.fontMetrics().averageCharWidth()
        self.resize(em * 120, self.fontMetrics().lineSpacing() * 20)


class CaptureMixin:
    """Part of ``MainWindow``: needs ``ws``, ``settings``, the panes and ``_reload_task_panes``."""

    def attach_files(self) -> None:
        source_id = self.sources.current_id()
        if source_id is None:
            self.statusBar().showMessage("Select the source to attach files to.", 8000)
            return
        chosen, _ = QFileDialog.getOpenFileNames(self, "Attach files", str(Path.home()))
        if chosen:
            self.capture(chosen, source_id=source_id)

    def capture(self, paths, *, source_id: int | None = None) -> None:
        """Capture onto a source, or (no source) as new sources of the selected task."""
        task_id = self.tasks.current_id()
        if source_id is None and task_id is None:
            return
        paths = [str(p) for p in paths]
        n = len(paths)
        what = f"{n} file{'s' if n != 1 else ''} " + (
            "to attach to the selected source"
            if source_id is not None
            else "to record as new sources of the selected task"
        )
        form = ProvenanceDialog(what, self)
        if form.exec() != QDialog.DialogCode.Accepted:
            return
        ws, options = self.ws, form.values()
        try:
            marking = Marking.parse(self.settings.default_marking)
        except ValueError:
            marking = Marking.OFFICIAL

        def work(op):
            progress = lambda done, total, message: op.progress(done, total, message)  # noqa: E731
            if source_id is not None:
                return capture_svc.capture_files(
                    ws, source_id, paths, progress=progress, cancelled=op.cancelled, **options
                )
            return capture_svc.create_sources_from_files(
                ws,
                task_id,
                paths,
                marking=marking,
                progress=progress,
                cancelled=op.cancelled,
                **options,
            )

        run_op(self, "Capturing files…", work, self._captured)

    def _captured(self, results) -> None:
        self._reload_task_panes()
        self.tasks.model.reload()
        stored = [r for r in results if r.ok and r.attachment is not None]
        if stored:
            self.sources.select_id(stored[-1].attachment.source_id)
        dialog = CaptureResults(results, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()

    def show_attachments(self) -> None:
        from toexdesk.ui.dialogs.attachments import AttachmentsDialog

        source_id = self.sources.current_id()
        if source_id is None:
            self.statusBar().showMessage("Select a source to see its files.", 8000)
            return
        info = self.sources.proxy.row_info(self.sources.table.currentIndex().row())
        label = f"{info.task_reference}/{info.label}" if info is not None else "the source"
        dialog = AttachmentsDialog(self.ws, source_id, label, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
