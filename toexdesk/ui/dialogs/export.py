"""Report › Export to shared drive: one task's products (or several tasks'), in the formats
ticked, into a folder, with the SHA-256 manifest that always goes with them.

The names the files will take (led by their protective marking) show before anything is
written, and any that exist already are named in a "Replace?" question: nothing is replaced
unasked. Recipient and purpose start as the task's last disclosure. The export runs in a
worker with progress and Cancel; each file is written whole or not at all (see
``exports.write_atomically``), so a cancel or failure leaves no partial file. Every failure
is said in the dialog, naming any files that were saved before it; after success a line
lists the files, and "Open folder" shows them."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from toexdesk import config
from toexdesk.core.errors import Cancelled, ExportFailed, ToexError
from toexdesk.core.services import exports
from toexdesk.core.services import tasks as task_svc
from toexdesk.core.store.engine import Workspace
from toexdesk.ui.style import MessageLabel
from toexdesk.ui.workers import Operation, run_op

log = logging.getLogger(__name__)

# (format, check box text, tooltip), in the order ``exports.FORMATS`` writes them.
FORMAT_CHOICES = (
    ("pdf", "&PDF research summary", "The research summary as PDF, marked on every page"),
    ("docx", "&DOCX research summary", "The research summary as an editable Word document"),
    ("csv", "CS&V source register and findings", "Two CSV files, safe to open in Excel"),
    ("xlsx", "&XLSX source register and findings", "One Excel workbook with both sheets"),
    ("i2", "&i2 entities CSV", "Entities laid out for i2 Analyst's Notebook, with 3x5x2 grades"),
)


@dataclass(frozen=True)
class Outcome:
    """What an export run did: the tasks exported in full, and what stopped it, if anything
    (an ``ExportIncomplete`` says which files of that task were saved)."""

    results: tuple[exports.ExportResult, ...]
    error: Exception | None

    @property
    def files(self) -> list[exports.ExportedFile]:
        saved = [f for result in self.results for f in result.files]
        return saved + list(getattr(self.error, "saved", ()))


def plain(label: QLabel) -> QLabel:
    """File and folder names are data, never markup."""
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


class ExportDialog(QDialog):
    def __init__(
        self,
        ws: Workspace,
        selected: int | None,
        folder: str = "",
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.ws = ws
        self.setWindowTitle("Export to shared drive")
        self.operation: Operation | None = None
        self.outcome: Outcome | None = None
        self._prefilled = ("", "")
        self._planned: tuple[tuple, dict[int, tuple[str, ...]]] = ((), {})
        intro = QLabel(
            "Each file is written whole or not at all, under a name led by its protective "
            "marking, and recorded as a disclosure in the audit trail. A SHA-256 manifest "
            "of the files is always written with them."
        )
        intro.setWordWrap(True)
        self.tasks = QListWidget()
        self.tasks.setAccessibleName("Tasks to export")
        self.tasks.setToolTip("Tick the tasks whose products to export")
        for info in task_svc.list_tasks(ws):
            item = QListWidgetItem(f"{info.reference} — {info.title} ({info.marking.label})")
            item.setData(Qt.ItemDataRole.UserRole, info.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            checked = info.id == selected
            item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
            self.tasks.addItem(item)
            if checked:
                self.tasks.setCurrentItem(item)
        self.tasks.setMaximumHeight(self.fontMetrics().lineSpacing() * 7)
        tasks_label = QLabel("&Tasks:")
        tasks_label.setBuddy(self.tasks)
        formats = QGroupBox("Formats")
        grid = QGridLayout(formats)
        self.format_boxes: dict[str, QCheckBox] = {}
        for n, (fmt, text, tip) in enumerate(FORMAT_CHOICES):
            box = QCheckBox(text)
            box.setToolTip(tip)
            box.setChecked(True)
            box.toggled.connect(self._update_names)
            grid.addWidget(box, n // 2, n % 2)
            self.format_boxes[fmt] = box
        self.folder = QLineEdit(folder)
        self.folder.setAccessibleName("Folder")
        self.folder.setToolTip("The folder the files go to, e.g. on the shared drive")
        self.folder.textChanged.connect(self._update_names)
        self.choose = QPushButton("C&hoose…")
        self.choose.setToolTip("Pick the folder to export to")
        self.choose.clicked.connect(self._choose_folder)
        self.recipient = QLineEdit()
        self.recipient.setAccessibleName("Recipient")
        self.recipient.setToolTip("The person or team receiving the files; recorded in the audit")
        self.recipient.setPlaceholderText("e.g. DS A. Example, tasking analyst")
        self.purpose = QPlainTextEdit()
        self.purpose.setAccessibleName("Purpose")
        self.purpose.setToolTip("Why the files are shared; recorded in the audit trail")
        self.purpose.setTabChangesFocus(True)
        self.purpose.setMaximumHeight(self.fontMetrics().lineSpacing() * 4)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder)
        folder_row.addWidget(self.choose)
        form = QFormLayout()
        for text, widget, row in (
            ("&Folder:", self.folder, folder_row),
            ("&Recipient:", self.recipient, self.recipient),
            ("P&urpose:", self.purpose, self.purpose),
        ):
            label = QLabel(text)
            label.setBuddy(widget)
            form.addRow(label, row)
        self.names = plain(QLabel())
        self.names.setAccessibleName("Files to be written")
        self.names.setWordWrap(True)
        self.names.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message = MessageLabel(name="Export message")
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        buttons = QDialogButtonBox()
        self.export_button = buttons.addButton("&Export", QDialogButtonBox.ButtonRole.AcceptRole)
        self.export_button.setToolTip("Write the files listed above")
        self.open_button = buttons.addButton("&Open folder", QDialogButtonBox.ButtonRole.ActionRole)
        self.open_button.setToolTip("Show the exported files in the file manager")
        self.open_button.hide()
        self.close_button = buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.close_button.setToolTip("Close this dialog")
        self.export_button.clicked.connect(self.export)
        self.open_button.clicked.connect(self.open_folder)
        self.close_button.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(tasks_label)
        layout.addWidget(self.tasks)
        layout.addWidget(formats)
        layout.addLayout(form)
        layout.addWidget(QLabel("Files to be written:"))
        layout.addWidget(self.names)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.tasks.itemChanged.connect(self._tasks_changed)
        self._tasks_changed()
        self.resize(
            self.fontMetrics().averageCharWidth() * 96, self.fontMetrics().lineSpacing() * 34
        )

    # -- what is chosen -----------------------------------------------------------------
    def chosen(self) -> list[int]:
        items = (self.tasks.item(row) for row in range(self.tasks.count()))
        return [
            item.data(Qt.ItemDataRole.UserRole)
            for item in items
            if item.checkState() == Qt.CheckState.Checked
        ]

    def formats(self) -> list[str]:
        return [fmt for fmt, box in self.format_boxes.items() if box.isChecked()]

    def values(self) -> tuple[str, str]:
        return self.recipient.text().strip(), self.purpose.toPlainText().strip()

    def planned(self, *, fresh: bool = False) -> dict[int, tuple[str, ...]]:
        """Each chosen task's file names, as ``export_task`` will write them."""
        key = (tuple(self.chosen()), tuple(self.formats()))
        if fresh or key != self._planned[0]:
            names = {t: exports.planned_names(self.ws, t, key[1]) for t in key[0]} if key[1] else {}
            self._planned = (key, names)
        return self._planned[1]

    def _tasks_changed(self, _item=None) -> None:
        """Offer the first chosen task's last recipient and purpose, unless typed over."""
        if self.values() == self._prefilled:
            last = next(
                (d for d in (exports.last_disclosure(self.ws, t) for t in self.chosen()) if d),
                None,
            )
            if last is not None:
                self.recipient.setText(last[0])
                self.purpose.setPlainText(last[1])
                self._prefilled = self.values()
        self._update_names()

    def _update_names(self, *_args) -> None:
        try:
            planned = self.planned()
        except ToexError as exc:
            self.names.setText("")
            self.message.show_error(str(exc))
            return
        # Whether any is there already is looked up when Export is pressed, off the UI
        # thread: on a network drive that has gone, a look can hang for many seconds.
        names = [n for task_names in planned.values() for n in task_names]
        self.names.setText("\n".join(names) or "(tick a task and a format)")

    def _choose_folder(self) -> None:
        start = self.folder.text().strip() or str(Path.home())
        folder = QFileDialog.getExistingDirectory(self, "Export to folder", start)
        if folder:
            self.folder.setText(folder)

    # -- exporting ----------------------------------------------------------------------
    def export(self) -> None:
        self.message.clear()
        problem = self._missing()
        if problem:
            self.message.show_error(problem)
            return
        folder = Path(self.folder.text().strip())
        try:
            planned = self.planned(fresh=True)
        except ToexError as exc:
            self.message.show_error(str(exc))
            return
        names = [n for task_names in planned.values() for n in task_names]
        request = (list(planned), self.formats(), folder, *self.values())
        self.export_button.setEnabled(False)
        self.message.show_info(f"Looking in {folder}…")
        run_op(
            self,
            f"Looking in {folder}…",
            lambda op: _already_there(folder, names),
            lambda existing: self._looked(request, existing),
            self._look_failed,
            progress=False,
        )

    def _looked(self, request: tuple, existing: list[str]) -> None:
        """The folder is there; ask before replacing what is, then export as asked."""
        folder = request[2]
        if existing and not self.confirm_replace(folder, existing):
            self.export_button.setEnabled(True)
            self.message.show_info(
                f"Nothing was exported: {len(existing)} of the files already exist in "
                f"{folder}. Choose another folder, or answer Replace."
            )
            return
        remember_folder(str(folder))
        self._run(*request, overwrite=bool(existing))

    def _look_failed(self, exc: BaseException) -> None:
        self.export_button.setEnabled(True)
        self.message.show_error(str(exc) if isinstance(exc, ToexError) else type(exc).__name__)

    def _missing(self) -> str:
        recipient, purpose = self.values()
        if not self.chosen():
            return "Tick at least one task to export."
        if not self.formats():
            return "Tick at least one format."
        if not self.folder.text().strip():
            return "Choose the folder to export to."
        if not recipient or not purpose:
            missing = [n for n, v in (("recipient", recipient), ("purpose", purpose)) if not v]
            return f"Enter the {' and the '.join(missing)}: both go in the audit trail."
        return ""

    def confirm_replace(self, folder: Path, existing: list[str]) -> bool:
        """Ask before replacing files; keeping them (No) is the default."""
        shown = existing[:12]
        if len(existing) > 12:
            shown.append(f"… and {len(existing) - 12} more")
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Replace files?",
            f"{'This file already exists' if len(existing) == 1 else 'These files already exist'}"
            f" in {folder}:\n\n" + "\n".join(shown) + "\n\nReplace them with the new export?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            self,
        )
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.button(QMessageBox.StandardButton.Yes).setText("&Replace")
        box.button(QMessageBox.StandardButton.No).setText("&Keep them")
        box.setDefaultButton(QMessageBox.StandardButton.No)
        return box.exec() == QMessageBox.StandardButton.Yes

    def _run(
        self,
        task_ids: list[int],
        formats: list[str],
        folder: Path,
        recipient: str,
        purpose: str,
        *,
        overwrite: bool,
    ) -> None:
        ws, count = self.ws, len(task_ids)

        def work(op) -> Outcome:
            done: list[exports.ExportResult] = []
            for n, task_id in enumerate(task_ids):

                def progress(step: int, total: int, message: str, n: int = n) -> None:
                    op.progress(n * 100 + step * 100 // max(total, 1), count * 100, message)

                try:
                    done.append(
                        exports.export_task(
                            ws,
                            task_id,
                            folder,
                            formats=formats,
                            recipient=recipient,
                            purpose=purpose,
                            overwrite=overwrite,
                            progress=progress,
                            cancelled=op.cancelled,
                        )
                    )
                except Exception as exc:  # reported in the dialog with what was saved
                    return Outcome(tuple(done), exc)
            return Outcome(tuple(done), None)

        self.outcome = None
        self.export_button.setEnabled(False)
        self.open_button.hide()
        self.message.show_info("Exporting…")
        self.operation = run_op(self, "Exporting…", work, self._finished, self._crashed)

    def _finished(self, outcome: Outcome) -> None:
        self.outcome, self.operation = outcome, None
        self.export_button.setEnabled(True)
        files = outcome.files
        self.open_button.setVisible(bool(files))
        self._update_names()
        if outcome.error is None:
            folder = files[0].path.parent if files else ""
            self.message.show_info(
                f"Exported {len(files)} files to {folder}: {', '.join(f.name for f in files)}."
            )
            return
        exc = outcome.error
        earlier = [f.name for result in outcome.results for f in result.files]
        if isinstance(exc, Cancelled) and "saved" not in str(exc):  # stopped before a file
            text = f"The export was stopped; nothing {'more ' if earlier else ''}was saved."
        elif isinstance(exc, ToexError):
            text = str(exc)
        else:
            config.log_exception(log, "export failed", exc)
            text = (
                f"Something went wrong ({type(exc).__name__}); no partial file was left. "
                f"The details are in the log in {config.log_dir()}."
            )
        if earlier:
            text = (
                f"{text} Exported in full before that (complete, recorded as disclosed): "
                f"{', '.join(earlier)}."
            )
        self.message.show_error(text)

    def _crashed(self, exc: BaseException) -> None:
        self._finished(Outcome((), exc if isinstance(exc, Exception) else RuntimeError()))

    def open_folder(self) -> None:
        if self.outcome and self.outcome.files:
            folder = self.outcome.files[0].path.parent
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))


def _already_there(folder: Path, names: list[str]) -> list[str]:
    """Which of ``names`` exist in ``folder`` (run in a worker: see ``_update_names``)."""
    try:
        if not folder.is_dir():
            raise ExportFailed(
                f"The folder {folder} is not there (a network drive gone?); nothing was saved."
            )
        return [name for name in names if (folder / name).exists()]
    except OSError as exc:
        raise ExportFailed(f"The folder {folder} cannot be read ({exc.strerror}).") from None


# The folder of the last export, for this session only: the settings file has no place
# for it, and a shared drive's path says nothing about any record.
_last_folder = {"path": ""}


def remember_folder(folder: str) -> None:
    _last_folder["path"] = folder


def last_folder() -> str:
    return _last_folder["path"]
