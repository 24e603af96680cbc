"""File › Restore from backup: which backup, and its passphrase. The window does the work
(``ExportMixin.restore_requested``): the backup is checked before anything is touched, and
the current file is kept aside, never deleted. This dialog says so before it starts, and
shows why, if the backup is refused."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from toexdesk.ui.style import MessageLabel


def kept_aside_name(workspace: Path) -> str:
    """How ``restore`` names the file it moves aside (the time is the restore's, in UTC)."""
    return f"{workspace.stem}.before-restore-<date>-<time>{workspace.suffix}"


class RestoreDialog(QDialog):
    # The backup's path, its passphrase, and whether another workspace's backup may be used.
    requested = Signal(object, str, bool)

    def __init__(self, workspace: Path, start_folder: Path, parent: QWidget | None = None):
        super().__init__(parent)
        self.workspace, self.start_folder = workspace, start_folder
        self.setWindowTitle("Restore from backup")
        self.intro = intro = QLabel(
            f"This puts {workspace.name} back as it was when the backup was made. The backup "
            "is checked first (every page's HMAC, the file's structure and its audit trail); "
            "if it fails, nothing is changed.\n\n"
            f"The current file is not deleted: it is kept as "
            f"{kept_aside_name(workspace)} in {workspace.parent}.\n\n"
            "Afterwards the workspace opens with the backup's passphrase. Open editors are "
            "closed (you are asked first about unsaved changes)."
        )
        intro.setTextFormat(Qt.TextFormat.PlainText)
        intro.setWordWrap(True)
        self.backup = QLineEdit()
        self.backup.setAccessibleName("Backup file")
        self.backup.setToolTip("The backup to restore from (a .toex file made by Back up now)")
        self.browse = QPushButton("&Browse…")
        self.browse.setToolTip("Pick the backup file")
        self.browse.clicked.connect(self._browse)
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setAccessibleName("Passphrase of the backup")
        self.passphrase.setToolTip(
            "The workspace's passphrase when the backup was made (the current one, unless "
            "it was changed since)"
        )
        self.other = QCheckBox("Allow a backup of &another workspace")
        self.other.setToolTip(
            "Only for putting a different workspace's backup in this file's place; the "
            "current file is still kept aside"
        )
        self.message = MessageLabel(name="Restore message")
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        row = QHBoxLayout()
        row.addWidget(self.backup)
        row.addWidget(self.browse)
        form = QFormLayout()
        backup_label = QLabel("Backup &file:")
        backup_label.setBuddy(self.backup)
        passphrase_label = QLabel("&Passphrase:")
        passphrase_label.setBuddy(self.passphrase)
        form.addRow(backup_label, row)
        form.addRow(passphrase_label, self.passphrase)
        buttons = QDialogButtonBox()
        self.restore_button = buttons.addButton("&Restore", QDialogButtonBox.ButtonRole.AcceptRole)
        self.restore_button.setToolTip("Check the backup, then put it in the workspace's place")
        self.cancel_button = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setToolTip("Close without changing anything")
        self.restore_button.clicked.connect(self._submit)
        self.cancel_button.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.other)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.resize(self.fontMetrics().averageCharWidth() * 80, self.sizeHint().height())

    def _browse(self) -> None:
        start = self.backup.text().strip() or str(self.start_folder)
        path, _ = QFileDialog.getOpenFileName(
            self, "Restore from backup", start, "TOEX backups (*.toex);;All files (*)"
        )
        if path:
            self.backup.setText(path)

    def _submit(self) -> None:
        text = self.backup.text().strip()
        if not text:
            self.message.show_error("Choose the backup file to restore from.")
            return
        path = Path(text)  # looked at in the worker: it may be on a network drive
        if not self.passphrase.text():
            self.message.show_error("Enter the backup's passphrase.")
            self.passphrase.setFocus()
            return
        self.set_busy(True)
        self.requested.emit(path, self.passphrase.text(), self.other.isChecked())

    def set_busy(self, busy: bool, text: str = "Checking the backup…") -> None:
        for widget in (self.backup, self.browse, self.passphrase, self.other):
            widget.setEnabled(not busy)
        self.restore_button.setEnabled(not busy)
        if busy:
            self.message.show_info(text)

    def failed(self, text: str) -> None:
        self.set_busy(False)
        self.message.show_error(text)

    def succeeded(self, text: str) -> None:
        """Restored: say where the replaced file went; only Close is left to press."""
        self.passphrase.clear()
        self.message.show_info(text)
        self.restore_button.hide()
        self.restore_button.setEnabled(True)  # not busy any more
        self.cancel_button.setText("Close")
        self.cancel_button.setToolTip("Close this dialog")
        self.cancel_button.setFocus()

    def reject(self) -> None:
        if not self.restore_button.isEnabled():  # working: the progress dialog has Cancel
            return
        self.passphrase.clear()
        super().reject()

    def accept(self) -> None:
        self.passphrase.clear()
        super().accept()
