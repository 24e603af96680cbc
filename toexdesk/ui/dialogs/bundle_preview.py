"""The preview of a bundle import: what is added, updated, unchanged or not brought in,
record by record, and a Keep mine / Take theirs choice for each record changed on both
sides; "Import" is possible once every one is chosen and runs the import in a worker (one
transaction: all of it or nothing). Record text is shown as plain text."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from toexdesk.core.services import bundles
from toexdesk.core.store.engine import Workspace
from toexdesk.ui.dialogs.bundle import WorkingDialog, buttons_for
from toexdesk.ui.style import MessageLabel
from toexdesk.ui.workers import run_op

WILL_BE = {
    "new": "Added",
    "update": "Updated (changed there)",
    "unchanged": "Unchanged",
    "keep": "Kept as here",
    "conflict": "Changed on both sides",
    "skip": "Not brought in",
}
KINDS = {"entity": "Entity", "task": "Task", "source": "Source", "finding": "Finding"}
KINDS |= {"attachment": "File", "log": "Research log entry"}
CHOICES = (("Choose…", ""), ("Keep mine", "mine"), ("Take theirs", "theirs"))


@dataclass
class _Choice:
    uid: str
    combo: QComboBox


class BundlePreviewDialog(WorkingDialog):
    """What importing the bundle does, record by record; a choice for each conflict; then
    "Import" runs it (one transaction). ``imported`` carries the ``ImportReport``."""

    imported = Signal(object)

    def __init__(
        self,
        ws: Workspace,
        preview: bundles.BundlePreview,
        passphrase: str,
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.ws, self.preview, self._passphrase = ws, preview, passphrase
        self.setWindowTitle(f"Import {preview.path.name}")
        summary = QLabel("\n".join(preview.summary_lines()[: 1 + len(preview.counts())]))
        summary.setTextFormat(Qt.TextFormat.PlainText)
        summary.setWordWrap(True)
        self.table = QTableWidget(len(preview.items), 4)
        self.table.setAccessibleName("What the import does")
        self.table.setToolTip("Every record in the bundle and what happens to it here")
        self.table.setHorizontalHeaderLabels(["Record", "Kind", "Here it will be", "Note"])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setTabKeyNavigation(False)  # Tab leaves the table
        self.table.verticalHeader().hide()
        order = {a: i for i, a in enumerate(("conflict", "new", "update", "keep", "skip"))}
        items = sorted(preview.items, key=lambda i: order.get(i.action, 9))
        for row, item in enumerate(items):
            cells = (item.label, KINDS[item.kind], WILL_BE[item.action], item.note)
            for col, text in enumerate(cells):
                self.table.setItem(row, col, QTableWidgetItem(text))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        if self.table.rowCount():
            self.table.setCurrentCell(0, 0)
        layout = QVBoxLayout(self)
        layout.addWidget(summary)
        layout.addWidget(self.table)
        self.choices: list[_Choice] = []
        self.inputs: list[QWidget] = [self.table]
        if preview.conflicts:
            layout.addWidget(self._conflicts(preview.conflicts))
        self.message = MessageLabel(name="Import message")
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        buttons, self.ok, cancel = buttons_for(
            "&Import", "Merge the bundle into this workspace (all of it, or nothing)"
        )
        self.ok.clicked.connect(self._submit)
        cancel.clicked.connect(self.reject)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self._update()
        width = self.fontMetrics().averageCharWidth() * 110
        self.resize(width, self.fontMetrics().lineSpacing() * 34)

    def _conflicts(self, conflicts) -> QWidget:
        box = QWidget()
        outer = QVBoxLayout(box)
        outer.setContentsMargins(0, 0, 0, 0)
        note = QLabel(
            f"{len(conflicts)} record{'s' if len(conflicts) != 1 else ''} changed both here and "
            "in the bundle since last exchanged. Choose for each: keep yours, or take theirs."
        )
        note.setWordWrap(True)
        outer.addWidget(note)
        self.all_mine = QPushButton("Keep &mine for all")
        self.all_mine.setToolTip("Keep this workspace's version of every conflicting record")
        self.all_theirs = QPushButton("Take &theirs for all")
        self.all_theirs.setToolTip("Take the bundle's version of every conflicting record")
        row = QHBoxLayout()
        row.addWidget(self.all_mine)
        row.addWidget(self.all_theirs)
        row.addStretch()
        outer.addLayout(row)
        inner = QWidget()
        form = QFormLayout(inner)
        for item in conflicts:
            differences = "; ".join(
                f"{name}: here “{mine}”, theirs “{theirs}”"
                for name, mine, theirs in item.differences
            )
            label = QLabel(f"{item.label}\n{differences}")
            label.setTextFormat(Qt.TextFormat.PlainText)
            label.setWordWrap(True)
            combo = QComboBox()
            for text, value in CHOICES:
                combo.addItem(text, value)
            combo.setAccessibleName(f"Keep mine or take theirs: {item.label}")
            combo.setToolTip("Keep this workspace's version, or take the bundle's")
            combo.currentIndexChanged.connect(self._update)
            label.setBuddy(combo)
            form.addRow(label, combo)
            self.choices.append(_Choice(item.uid, combo))
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        outer.addWidget(scroll)
        self.all_mine.clicked.connect(lambda: self.choose_all("mine"))
        self.all_theirs.clicked.connect(lambda: self.choose_all("theirs"))
        self.inputs += [self.all_mine, self.all_theirs, *(c.combo for c in self.choices)]
        return box

    def set_busy(self, busy: bool, text: str = "") -> None:
        super().set_busy(busy, text)
        if not busy:
            self._update()

    def choose_all(self, choice: str) -> None:
        for c in self.choices:
            c.combo.setCurrentIndex(c.combo.findData(choice))

    def resolutions(self) -> dict[str, str]:
        return {c.uid: c.combo.currentData() for c in self.choices if c.combo.currentData()}

    def _update(self) -> None:
        missing = len(self.choices) - len(self.resolutions())
        self.ok.setEnabled(missing == 0)
        if missing:
            self.message.show_info(
                f"Choose for {missing} more record{'s' if missing != 1 else ''} to import."
            )
        elif self.message.text().startswith("Choose for"):
            self.message.clear()

    def _submit(self) -> None:
        ws, path, passphrase = self.ws, self.preview.path, self._passphrase
        resolutions = self.resolutions()
        self.set_busy(True, "Importing…")
        run_op(
            self,
            "Importing the bundle…",
            lambda op: bundles.import_bundle(
                ws,
                path,
                passphrase,
                resolutions,
                progress=op.progress,
                cancelled=op.cancelled,
            ),
            self._imported,
            self.failed,
        )

    def _imported(self, report: bundles.ImportReport) -> None:
        self.set_busy(False)
        self.imported.emit(report)
        self.accept()

    def clear_secrets(self) -> None:
        self._passphrase = ""
        super().clear_secrets()
