"""Backups from the main window: File › Back up now… (a folder, then an encrypted,
integrity-checked copy made in a worker with progress and Cancel), and the automatic backup
when the workspace closes (a setting), also in a worker: the window closes when it is done."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox

from toexdesk import config
from toexdesk.core.services import backups
from toexdesk.ui.workers import run_op


class BackupMixin:
    """Part of ``MainWindow``: needs ``ws``, ``settings`` and ``path``."""

    _closing_backup_done = False

    def back_up_now(self) -> None:
        start = config.backup_folder(self.settings, self.path)
        folder = QFileDialog.getExistingDirectory(self, "Back up into folder", str(start))
        if not folder:
            return
        ws = self.ws
        run_op(
            self,
            "Backing up the workspace…",
            lambda op: backups.backup_workspace(
                ws, Path(folder), progress=op.progress, cancelled=op.cancelled
            ),
            lambda info: self.statusBar().showMessage(
                f"Backed up to {info.path.name} (integrity checked).", 10_000
            ),
        )

    def backup_before_closing(self, event) -> bool:
        """True if the close must wait for the automatic backup (started here)."""
        if self._closing_backup_done or not self.settings.backup_on_close or self.ws.closed:
            return False
        event.ignore()
        ws = self.ws

        def done(_result) -> None:
            self._closing_backup_done = True
            self.close()

        def failed(exc) -> None:
            QMessageBox.warning(self, "TOEX Desk", f"No backup was made on closing: {exc}")
            self._closing_backup_done = True
            self.close()

        run_op(
            self,
            "Backing up before closing…",
            lambda op: backups.backup_on_close(
                ws, self.settings, progress=op.progress, cancelled=op.cancelled
            ),
            done,
            failed,
        )
        return True
