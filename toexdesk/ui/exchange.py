"""Exchange bundles from the main window: File › Export bundle… and File › Import bundle….

Export: the dialog writes the bundle in a worker and the status bar says where it went.
Import: the first dialog checks and reads the bundle in a worker, the preview says what it
would change and asks about each conflict, and the import runs in a worker (one
transaction). Afterwards the panes are built again, showing the first imported task, and a
report says what came in. The dialogs show passphrases and record text: they close when
the window locks."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from toexdesk.core.errors import ToexError
from toexdesk.core.services import bundles
from toexdesk.core.services import tasks as task_svc
from toexdesk.ui.dialogs.bundle import ExportBundleDialog, ImportBundleDialog, WorkingDialog
from toexdesk.ui.dialogs.bundle_preview import BundlePreviewDialog
from toexdesk.ui.workers import show_failure


class ExchangeMixin:
    """Part of ``MainWindow``: needs ``ws``, ``tasks``, ``stack``, ``split``, ``locked``,
    ``_action``, ``menus``, ``workspace_actions`` and ``_build_panes``."""

    def _add_menu_items(self) -> None:
        super()._add_menu_items()
        self.export_bundle_action = self._action(
            "Export b&undle…",
            "Ctrl+Shift+E",
            "Hand tasks, with their sources, findings, files and audit trail, to another "
            "workspace as one encrypted file (.toexb); recorded as a disclosure",
            self.export_bundle,
        )
        self.import_bundle_action = self._action(
            "I&mport bundle…",
            "Ctrl+Shift+I",
            "Preview an exchange bundle from another workspace, choose where both sides "
            "changed a record, and merge it in",
            self.import_bundle,
        )
        menu = self.menus["file"]
        settings = getattr(self, "settings_action", None)
        before = settings if settings in menu.actions() else None
        menu.insertActions(before, [self.export_bundle_action, self.import_bundle_action])
        self.workspace_actions += [self.export_bundle_action, self.import_bundle_action]
        self.stack.currentChanged.connect(self._close_bundle_dialogs_if_locked)

    def _close_bundle_dialogs_if_locked(self, _index: int) -> None:
        if self.locked:
            for dialog in self.findChildren(WorkingDialog):
                dialog.busy = False  # a worker still running reports to nobody
                dialog.reject()

    # -- export ---------------------------------------------------------------------------
    def export_bundle(self) -> None:
        try:
            dialog = ExportBundleDialog(self.ws, self.tasks.current_id(), self)
        except ToexError as exc:
            show_failure(self, exc)
            return
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.written.connect(self._bundle_written)
        dialog.open()

    def _bundle_written(self, result: bundles.BundleResult) -> None:
        refs = ", ".join(result.task_references)
        self.statusBar().showMessage(
            f"Wrote {result.path.name} ({refs}); the hand-off is recorded as a disclosure.",
            15_000,
        )

    # -- import ---------------------------------------------------------------------------
    def import_bundle(self) -> None:
        dialog = ImportBundleDialog(self.ws, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.previewed.connect(self._bundle_previewed)
        dialog.open()

    def _bundle_previewed(self, preview: bundles.BundlePreview, passphrase: str) -> None:
        dialog = BundlePreviewDialog(self.ws, preview, passphrase, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.imported.connect(self._bundle_imported)
        dialog.open()

    def _bundle_imported(self, report: bundles.ImportReport) -> None:
        select = None
        if report.tasks:
            try:
                select = task_svc.find_task_id(self.ws, report.tasks[0].reference)
            except ToexError:
                select = None
        if report.changed and not self.locked:
            self.split.setParent(None)
            self.split.deleteLater()  # the panes and their cached rows go with it
            self._build_panes(select_task=select)
        box = QMessageBox(
            QMessageBox.Icon.Information,
            "Bundle imported",
            "\n".join(report.summary_lines()),
            QMessageBox.StandardButton.Ok,
            self,
        )
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        self.last_bundle_report = box
