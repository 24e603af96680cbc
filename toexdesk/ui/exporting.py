"""Exports and restores from the main window: Report › Export to shared drive… (the
``ExportDialog`` does the work) and File › Restore from backup….

A restore checks the backup while the workspace is still open, so a bad backup, a wrong
passphrase or another workspace's backup is refused with nothing touched. Only then are
unsaved editors asked about, the window locked (the workspace closed: its file is about to
be moved aside), and ``restore.restore_workspace`` run in a worker; it checks the backup
again, keeps the current file aside and puts the copy in its place. The window then opens
the restored workspace with the backup's passphrase. If the restore fails after all, the
current file is still in place and is opened again (or, if it has another passphrase, the
lock screen asks for it)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from toexdesk import config
from toexdesk.core.errors import Cancelled, ToexError
from toexdesk.core.services import anchors, restore
from toexdesk.core.store.engine import open_workspace
from toexdesk.ui.dialogs import unsaved
from toexdesk.ui.dialogs.editor_base import RecordEditor
from toexdesk.ui.dialogs.export import ExportDialog, last_folder
from toexdesk.ui.dialogs.restore import RestoreDialog
from toexdesk.ui.workers import run_op, show_failure


def _message(exc: BaseException) -> str:
    if isinstance(exc, Cancelled):
        return "The restore was stopped. Nothing was changed."
    if isinstance(exc, ToexError):
        return str(exc)
    return f"The restore failed ({type(exc).__name__}). Nothing was changed."


class ExportMixin:
    """Part of ``MainWindow``: needs ``ws``, ``path``, ``settings``, ``tasks``, ``stack``,
    ``lock``, ``_unlocked`` and ``lock_screen``."""

    def _add_menu_items(self) -> None:
        super()._add_menu_items()
        self.export_action = self._action(
            "E&xport to shared drive…",
            "Ctrl+Shift+X",
            "Write the selected task's products (PDF, DOCX, CSV, XLSX, i2) and a SHA-256 "
            "manifest to a folder, recorded as a disclosure",
            self.export_to_folder,
        )
        self.restore_action = self._action(
            "&Restore from backup…",
            "Ctrl+Alt+R",
            "Put the workspace back as a backup holds it; the backup is checked first and "
            "the current file is kept aside",
            self.restore_from_backup,
        )
        self.menus["report"].addSeparator()
        self.menus["report"].addAction(self.export_action)
        self.menus["file"].insertAction(self._file_action_after_backup(), self.restore_action)
        self.workspace_actions += [self.export_action, self.restore_action]
        # The export dialog lists tasks and recipients: it goes when the window locks.
        self.stack.currentChanged.connect(self._close_exports_if_locked)

    def _file_action_after_backup(self):
        """Restore goes just below Back up now, if it is there."""
        actions = self.menus["file"].actions()
        backup = getattr(self, "backup_action", None)
        if backup in actions and actions.index(backup) + 1 < len(actions):
            return actions[actions.index(backup) + 1]
        return None  # at the end

    def _close_exports_if_locked(self, _index: int) -> None:
        if self.locked:
            for dialog in self.findChildren(ExportDialog):
                dialog.reject()

    # -- export ---------------------------------------------------------------------------
    def export_to_folder(self) -> None:
        try:
            dialog = ExportDialog(self.ws, self.tasks.current_id(), last_folder(), self)
        except ToexError as exc:
            show_failure(self, exc)
            return
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()  # window-modal, and not blocking: the export runs from the dialog

    # -- restore --------------------------------------------------------------------------
    def restore_from_backup(self) -> None:
        start = config.backup_folder(self.settings, self.path)
        dialog = RestoreDialog(self.path, start, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.requested.connect(
            lambda backup, passphrase, other: self.restore_requested(
                dialog, backup, passphrase, other
            )
        )
        dialog.open()

    def restore_requested(
        self, dialog: RestoreDialog, backup: Path, passphrase: str, allow_other: bool
    ) -> None:
        """Step 1, with the workspace open: is the backup sound, and this workspace's?"""
        if self.locked:
            dialog.failed("Unlock the workspace first. Nothing was changed.")
            return
        try:
            current_uid = anchors.current_anchor(self.ws).workspace_uid
        except ToexError as exc:
            dialog.failed(str(exc))
            return

        def check(op):
            anchor = restore.check_backup(backup, passphrase)
            if op.cancelled():  # pressed while the check could not stop: stop before the restore
                raise Cancelled("The restore was stopped.")
            return anchor

        def checked(anchor) -> None:
            if anchor.workspace_uid != current_uid and not allow_other:
                dialog.failed(
                    f"Not restored: {backup.name} is a backup of another workspace, not of "
                    f"{self.path.name}. Tick “Allow a backup of another workspace” to restore "
                    f"it anyway (the current file would be kept aside). {restore.UNCHANGED}"
                )
                return
            self._replace_with_backup(dialog, backup, passphrase, allow_other)

        run_op(
            dialog,
            "Checking the backup…",
            check,
            checked,
            lambda exc: dialog.failed(_message(exc)),
        )

    def _replace_with_backup(
        self, dialog: RestoreDialog, backup: Path, passphrase: str, allow_other: bool
    ) -> None:
        """Step 2: close the workspace, restore in a worker, open the restored one."""
        editors = [e for e in self.findChildren(RecordEditor) if e.isVisible()]
        dirty = [e for e in editors if e.is_dirty()]
        if dirty:
            what = "An open editor" if len(dirty) == 1 else f"{len(dirty)} open editors"
            if not unsaved.confirm_discard(self, what):
                dialog.failed("Not restored: an editor has unsaved changes. Nothing was changed.")
                return
        for editor in editors:  # their records may differ, or be gone, in the backup
            editor.discard()
        self.lock()  # closes the workspace and everything showing its records
        self.lock_screen.set_busy(True)
        self.lock_screen.message.show_info("Restoring from the backup…")
        dialog.set_busy(True, "Restoring…")
        path = self.path

        def work(op):
            info = restore.restore_workspace(
                path,
                backup,
                passphrase,
                allow_other=allow_other,
                progress=op.progress,
                cancelled=op.cancelled,
            )
            try:
                return info, open_workspace(path, passphrase), None
            except ToexError as exc:  # restored, but it does not open (e.g. too new)
                return info, None, exc

        def restored(result) -> None:
            info, ws, problem = result
            self.last_restore = info
            kept = f" The file it replaced is kept as {info.kept_as}." if info.kept_as else ""
            text = (
                f"Restored {path.name} from {backup.name} (audit event #{info.anchor.head_seq}"
                f" of {info.anchor.when}); it opens with the backup's passphrase.{kept}"
            )
            if ws is None:
                self.lock_screen.reset()
                self.lock_screen.failed(str(problem))
                text += f" It could not be opened: {problem}"
            else:
                self._unlocked(ws)
            self.statusBar().showMessage(text, 30_000)
            dialog.succeeded(text)

        def failed(exc: BaseException) -> None:
            dialog.failed(_message(exc))
            self._reopen_after_failed_restore(dialog, passphrase)

        run_op(dialog, "Restoring from the backup…", work, restored, failed)

    def _reopen_after_failed_restore(self, dialog: RestoreDialog, passphrase: str) -> None:
        """The current file is still in place: open it again, with the passphrase given if
        it is also the workspace's, else through the lock screen."""
        path = self.path

        def cannot(_exc: BaseException) -> None:
            self.lock_screen.reset()
            self.lock_screen.message.show_info(
                "The workspace was not changed. Enter its passphrase to go on working."
            )

        run_op(
            dialog,
            "Opening the workspace again…",
            lambda op: open_workspace(path, passphrase),
            self._unlocked,
            cannot,
            progress=False,
        )
