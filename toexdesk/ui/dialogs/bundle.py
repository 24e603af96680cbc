"""Exchange bundle dialogs: File › Export bundle… (which tasks, a passphrase for the bundle
typed twice, recipient, purpose, where to save) and File › Import bundle… (which file, its
passphrase). The preview of an import is ``bundle_preview``.

Each runs its slow step (the KDF, reading the bundle, writing) in a worker with progress and
Cancel, and shows a refusal in its message line, staying open so the person can put it
right. Record text is shown as plain text, never markup."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from toexdesk.core.errors import Cancelled, ToexError
from toexdesk.core.services import bundles
from toexdesk.core.services import tasks as task_svc
from toexdesk.core.store import keys
from toexdesk.core.store.engine import Workspace
from toexdesk.ui.style import MessageLabel
from toexdesk.ui.workers import run_op

FILTER = "TOEX exchange bundles (*.toexb);;All files (*)"


def _failure_text(exc: BaseException) -> str:
    if isinstance(exc, Cancelled):
        return "Stopped; nothing was changed."
    if isinstance(exc, ToexError):
        return str(exc)
    return f"That did not work ({type(exc).__name__}); nothing was changed."


def _labelled(text: str, widget: QWidget) -> QLabel:
    label = QLabel(text)
    label.setBuddy(widget)
    return label


def _password(name: str, tip: str) -> QLineEdit:
    field = QLineEdit()
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setAccessibleName(name)
    field.setToolTip(tip)
    return field


def buttons_for(ok_text: str, ok_tip: str) -> tuple[QDialogButtonBox, QPushButton, QPushButton]:
    box = QDialogButtonBox()
    ok = box.addButton(ok_text, QDialogButtonBox.ButtonRole.AcceptRole)
    ok.setToolTip(ok_tip)
    cancel = box.addButton(QDialogButtonBox.StandardButton.Cancel)
    cancel.setToolTip("Close without changing anything")
    return box, ok, cancel


class WorkingDialog(QDialog):
    """A dialog whose main button starts work in a worker; while it runs, the inputs are
    disabled and closing waits (the progress dialog has Cancel)."""

    inputs: list[QWidget]
    ok: QPushButton
    message: MessageLabel
    busy = False

    def set_busy(self, busy: bool, text: str = "") -> None:
        self.busy = busy
        for widget in (*self.inputs, self.ok):
            widget.setEnabled(not busy)
        if busy:
            self.message.show_info(text)

    def failed(self, exc: BaseException) -> None:
        self.set_busy(False)
        self.message.show_error(_failure_text(exc))

    def reject(self) -> None:
        if self.busy:  # the progress dialog has Cancel
            return
        self.clear_secrets()
        super().reject()

    def accept(self) -> None:
        self.clear_secrets()
        super().accept()

    def clear_secrets(self) -> None:
        for field in self.findChildren(QLineEdit):
            if field.echoMode() == QLineEdit.EchoMode.Password:
                field.clear()


# --- export -------------------------------------------------------------------------------
class ExportBundleDialog(WorkingDialog):
    """Which tasks go in the bundle, its passphrase (twice), who gets it and why, and where
    it is saved. ``written`` carries the ``BundleResult``."""

    written = Signal(object)

    def __init__(self, ws: Workspace, selected: int | None, parent: QWidget | None = None):
        super().__init__(parent)
        self.ws = ws
        self.setWindowTitle("Export bundle")
        intro = QLabel(
            "The ticked tasks, with their sources, findings, captured files, research log "
            "and audit trail, go into one encrypted file for another TOEX Desk workspace. "
            "Give the recipient the bundle passphrase by another route than the file."
        )
        intro.setWordWrap(True)
        self.tasks = QListWidget()
        self.tasks.setAccessibleName("Tasks in the bundle")
        self.tasks.setToolTip("Tick the tasks to hand over")
        for info in task_svc.list_tasks(ws):
            item = QListWidgetItem(f"{info.reference} — {info.title} ({info.status.label})")
            item.setData(Qt.ItemDataRole.UserRole, info.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            checked = info.id == selected
            item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
            self.tasks.addItem(item)
        self.passphrase = _password(
            "Bundle passphrase",
            f"At least {keys.MIN_PASSPHRASE_LENGTH} characters, not the workspace's own",
        )
        self.repeat = _password("Repeat the bundle passphrase", "Type the passphrase again")
        self.strength = QLabel()
        self.strength.setAccessibleName("Passphrase strength")
        self.passphrase.textChanged.connect(
            lambda text: self.strength.setText(keys.passphrase_strength(text)[1] if text else "")
        )
        self.recipient = QLineEdit()
        self.recipient.setAccessibleName("Recipient")
        self.recipient.setToolTip("Who receives the bundle (recorded in the audit trail)")
        self.purpose = QLineEdit()
        self.purpose.setAccessibleName("Purpose")
        self.purpose.setToolTip("Why it is handed over (recorded in the audit trail)")
        self.file = QLineEdit()
        self.file.setAccessibleName("Bundle file")
        self.file.setToolTip("Where to save the bundle (.toexb), e.g. on the shared drive")
        self.choose = QPushButton("C&hoose…")
        self.choose.setToolTip("Pick the folder and name of the bundle file")
        self.choose.clicked.connect(self._choose)
        file_row = QHBoxLayout()
        file_row.addWidget(self.file)
        file_row.addWidget(self.choose)
        form = QFormLayout()
        form.addRow(_labelled("&Bundle passphrase:", self.passphrase), self.passphrase)
        form.addRow(_labelled("Re&peat passphrase:", self.repeat), self.repeat)
        form.addRow(QLabel("Strength:"), self.strength)
        form.addRow(_labelled("&Recipient:", self.recipient), self.recipient)
        form.addRow(_labelled("P&urpose:", self.purpose), self.purpose)
        form.addRow(_labelled("&File:", self.file), file_row)
        self.message = MessageLabel(name="Export bundle message")
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        buttons, self.ok, cancel = buttons_for(
            "&Export bundle", "Write the bundle and record the hand-off as a disclosure"
        )
        self.ok.clicked.connect(self._submit)
        cancel.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(_labelled("T&asks to hand over:", self.tasks))
        layout.addWidget(self.tasks)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.inputs = [self.tasks, self.passphrase, self.repeat, self.recipient, self.purpose]
        self.inputs += [self.file, self.choose]
        width = self.fontMetrics().averageCharWidth() * 90
        self.resize(width, self.fontMetrics().lineSpacing() * 30)

    def chosen(self) -> list[int]:
        items = (self.tasks.item(row) for row in range(self.tasks.count()))
        return [
            item.data(Qt.ItemDataRole.UserRole)
            for item in items
            if item.checkState() == Qt.CheckState.Checked
        ]

    def _choose(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save bundle as", self.file.text(), FILTER)
        if path:
            self.file.setText(path)

    def _target(self) -> Path | None:
        text = self.file.text().strip()
        if not text:
            return None
        path = Path(text)
        return (
            path
            if path.suffix.lower() == bundles.SUFFIX
            else path.with_name(path.name + bundles.SUFFIX)
        )

    def _submit(self) -> None:
        ids, target, passphrase = self.chosen(), self._target(), self.passphrase.text()
        problem = ""
        if not ids:
            problem = "Tick at least one task."
        elif passphrase != self.repeat.text():
            problem = "The two passphrases differ."
        elif target is None:
            problem = "Choose where to save the bundle."
        else:
            try:
                keys.check_new_passphrase(passphrase)
            except ToexError as exc:
                problem = str(exc)
        if problem:
            self.message.show_error(problem)
            return
        ws, recipient, purpose = self.ws, self.recipient.text(), self.purpose.text()
        self.set_busy(True, "Writing the bundle…")
        run_op(
            self,
            "Writing the exchange bundle…",
            lambda op: bundles.write_bundle(
                ws,
                ids,
                target,
                passphrase,
                recipient=recipient,
                purpose=purpose,
                progress=op.progress,
                cancelled=op.cancelled,
            ),
            self._written,
            self.failed,
        )

    def _written(self, result: bundles.BundleResult) -> None:
        self.set_busy(False)
        self.written.emit(result)
        self.accept()


# --- import -------------------------------------------------------------------------------
class ImportBundleDialog(WorkingDialog):
    """Which bundle, and its passphrase; "Preview" checks and reads it (nothing changes
    yet) and hands the preview on through ``previewed`` (preview, passphrase)."""

    previewed = Signal(object, str)

    def __init__(self, ws: Workspace, parent: QWidget | None = None):
        super().__init__(parent)
        self.ws = ws
        self.setWindowTitle("Import bundle")
        self.file = QLineEdit()
        self.file.setAccessibleName("Bundle file")
        self.file.setToolTip("The exchange bundle (.toexb) from another workspace")
        self.choose = QPushButton("C&hoose…")
        self.choose.setToolTip("Pick the bundle file")
        self.choose.clicked.connect(self._choose)
        self.passphrase = _password(
            "Bundle passphrase", "The passphrase chosen when the bundle was made"
        )
        row = QHBoxLayout()
        row.addWidget(self.file)
        row.addWidget(self.choose)
        form = QFormLayout()
        form.addRow(_labelled("&File:", self.file), row)
        form.addRow(_labelled("&Bundle passphrase:", self.passphrase), self.passphrase)
        self.message = MessageLabel(name="Import bundle message")
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        buttons, self.ok, cancel = buttons_for(
            "&Preview…", "Check the bundle and show what importing it would change"
        )
        self.ok.clicked.connect(self._submit)
        cancel.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.inputs = [self.file, self.choose, self.passphrase]
        self.resize(self.fontMetrics().averageCharWidth() * 80, self.sizeHint().height())

    def _choose(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import bundle", self.file.text(), FILTER)
        if path:
            self.file.setText(path)

    def _submit(self) -> None:
        text, passphrase = self.file.text().strip(), self.passphrase.text()
        if not text:
            self.message.show_error("Choose the bundle file.")
            return
        if not passphrase:
            self.message.show_error("Enter the bundle passphrase.")
            return
        ws, path = self.ws, Path(text)
        self.set_busy(True, "Checking the bundle…")
        run_op(
            self,
            "Checking the bundle…",
            lambda op: bundles.preview_bundle(
                ws, path, passphrase, progress=op.progress, cancelled=op.cancelled
            ),
            lambda preview: self._previewed(preview, passphrase),
            self.failed,
        )

    def _previewed(self, preview: bundles.BundlePreview, passphrase: str) -> None:
        self.set_busy(False)
        self.previewed.emit(preview, passphrase)
        self.accept()
