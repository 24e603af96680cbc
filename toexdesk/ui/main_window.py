"""The main window: Tasks across the top; the selected task's Sources and Findings below.

Splitter sizes and window geometry are kept in the settings file. Every action has a
shortcut, an accessible name and a tooltip."""

from __future__ import annotations

import base64
import contextlib
from collections.abc import Callable

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from toexdesk import APP_NAME, __version__, config
from toexdesk.core.errors import ToexError
from toexdesk.core.services import tasks as task_svc
from toexdesk.core.store.engine import Workspace, open_workspace
from toexdesk.ui.backup import BackupMixin
from toexdesk.ui.capture import CaptureMixin
from toexdesk.ui.dialogs import unsaved
from toexdesk.ui.dialogs.attachments import AttachmentsDialog, wipe_external_copies
from toexdesk.ui.dialogs.audit import AuditDialog
from toexdesk.ui.dialogs.editor_base import RecordEditor
from toexdesk.ui.dialogs.search import SearchDialog
from toexdesk.ui.dialogs.settings import SettingsDialog
from toexdesk.ui.editing import EditingMixin
from toexdesk.ui.exchange import ExchangeMixin
from toexdesk.ui.exporting import ExportMixin
from toexdesk.ui.lock import ClipboardGuard, IdleWatcher, LockScreen
from toexdesk.ui.navigation import NavigationMixin
from toexdesk.ui.panes.findings import FindingsPane
from toexdesk.ui.panes.sources import SourcesPane
from toexdesk.ui.panes.tasks import TasksPane
from toexdesk.ui.products import ProductsMixin
from toexdesk.ui.review import ReviewMixin
from toexdesk.ui.workers import run_op


class _MenuHooks:
    """The end of the chain of ``_add_menu_items``: each mixin that brings menu actions
    overrides it, calls ``super()``, adds its actions to ``self.menus`` ("file", "edit",
    "view", "report") and lists in ``self.workspace_actions`` those that need the workspace
    open (disabled while locked)."""

    def _add_menu_items(self) -> None:
        pass


class MainWindow(
    EditingMixin,
    ProductsMixin,
    NavigationMixin,
    CaptureMixin,
    BackupMixin,
    ExportMixin,
    ReviewMixin,
    ExchangeMixin,
    _MenuHooks,
    QMainWindow,
):
    def __init__(
        self,
        ws: Workspace,
        settings: config.Settings,
        on_close: Callable[[], None] | None = None,
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.ws, self.settings, self._on_close = ws, settings, on_close
        self.path = ws.path
        self._editors: dict[tuple[str, int], RecordEditor] = {}
        self.setWindowTitle(f"{ws.path.name} — {APP_NAME}")
        self.stack = QStackedWidget()
        self.work = QWidget()
        QVBoxLayout(self.work).setContentsMargins(0, 0, 0, 0)
        self.lock_screen = LockScreen(ws.path.name)
        self.lock_screen.unlock_requested.connect(self._unlock)
        self.stack.addWidget(self.work)
        self.stack.addWidget(self.lock_screen)
        self.setCentralWidget(self.stack)
        self.status = QLabel()
        self.statusBar().addPermanentWidget(self.status)
        self.clipboard = ClipboardGuard(settings.clipboard_clear_seconds * 1000, self)
        self.idle = IdleWatcher(settings.auto_lock_minutes * 60_000, self)
        self.idle.idle.connect(self.lock)
        self.workspace_actions: list[QAction] = []
        self._build_menus()
        self._build_panes()
        if "geometry" in settings.ui_state:
            with contextlib.suppress(ValueError):
                self.restoreGeometry(QByteArray(base64.b64decode(settings.ui_state["geometry"])))
        else:
            self.resize(1280, 780)

    @property
    def locked(self) -> bool:
        return self.stack.currentWidget() is self.lock_screen

    def _build_panes(self, select_task: int | None = None) -> None:
        """Panes exist only while unlocked: locking deletes them with their rows."""
        self.tasks = TasksPane(self.ws)
        self.sources = SourcesPane(self.ws)
        self.findings = FindingsPane(self.ws)
        self.right = QSplitter(Qt.Orientation.Horizontal)
        self.right.setObjectName("right-splitter")
        self.right.addWidget(self.sources)
        self.right.addWidget(self.findings)
        self.split = QSplitter(Qt.Orientation.Vertical)
        self.split.setObjectName("main-splitter")
        self.split.addWidget(self.tasks)
        self.split.addWidget(self.right)
        self.split.setSizes([330, 450])
        self.right.setSizes([640, 640])
        self.work.layout().addWidget(self.split)
        self.tasks.selected.connect(self._task_selected)
        for pane in (self.tasks, self.sources, self.findings):
            pane.table.doubleClicked.connect(lambda _index, p=pane: self.edit_selected(p))
        self.findings.table.sources_dropped.connect(self._sources_dropped)
        self.sources.table.files_dropped.connect(
            lambda paths, source_id: self.capture(paths, source_id=source_id)
        )
        self._restore_splitters()
        row = (
            self.tasks.proxy.ids().index(select_task)
            if select_task in self.tasks.proxy.ids()
            else 0
        )
        if self.tasks.proxy.rowCount():
            self.tasks.table.selectRow(row)
        else:
            self._show_status()
        for pane in (self.tasks, self.sources, self.findings):
            pane.fit_columns()

    def _action(self, text: str, shortcut, tip: str, slot) -> QAction:
        action = QAction(text, self)
        action.setShortcut(QKeySequence(shortcut))
        action.setToolTip(f"{tip} ({QKeySequence(shortcut).toString()})")
        action.setStatusTip(tip)
        action.triggered.connect(lambda _checked=False: slot())  # not "checked" as an argument
        self.addAction(action)
        return action

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.lock_action = self._action(
            "&Lock", "Ctrl+L", "Hide everything and ask for the passphrase again", self.lock
        )
        self.close_action = self._action(
            "&Close workspace", QKeySequence.StandardKey.Close, "Close this workspace", self.close
        )
        # Settings hold no record content, so they stay available while locked.
        self.settings_action = self._action(
            "Se&ttings…",
            "Ctrl+,",
            "Idle lock, clipboard clearing, default marking, analyst name, recent workspaces",
            self.show_settings,
        )
        self.backup_action = self._action(
            "&Back up now…",
            "Ctrl+Shift+K",
            "An encrypted, integrity-checked copy of the workspace in a folder you choose",
            self.back_up_now,
        )
        file_menu.addAction(self.backup_action)
        file_menu.addAction(self.settings_action)
        file_menu.addSeparator()
        file_menu.addAction(self.lock_action)
        file_menu.addAction(self.close_action)
        edit = self.menuBar().addMenu("&Edit")
        self.copy_action = self._action(
            "&Copy row",
            QKeySequence.StandardKey.Copy,
            "Copy the selected row; it leaves the clipboard after a while",
            self.copy_row,
        )
        self.new_task_action = self._action(
            "New &task…",
            QKeySequence.StandardKey.New,
            "Log a new research request",
            self.new_task,
        )
        self.new_source_action = self._action(
            "New &source…",
            "Ctrl+Shift+N",
            "Record a graded source for the selected task",
            self.new_source,
        )
        self.new_finding_action = self._action(
            "New &finding…",
            "Ctrl+Shift+F",
            "Write a finding for the selected task, citing its sources",
            self.new_finding,
        )
        self.edit_action = self._action(
            "&Edit selected…",
            "Ctrl+E",
            "Open the selected task, source or finding in its editor",
            self.edit_selected,
        )
        self.files_action = self._action(
            "Source fi&les…",
            "Ctrl+Shift+O",
            "The selected source's captured files: view them, spot entities, open externally",
            self.show_attachments,
        )
        self.attach_action = self._action(
            "&Attach files…",
            "Ctrl+Shift+T",
            "Capture files into the selected source, encrypted in the workspace",
            self.attach_files,
        )
        edit.addActions(
            [
                self.new_task_action,
                self.new_source_action,
                self.new_finding_action,
                self.edit_action,
                self.attach_action,
                self.files_action,
            ]
        )
        edit.addSeparator()
        edit.addAction(self.copy_action)
        view = self.menuBar().addMenu("&View")
        # Bound through lambdas: the panes are rebuilt after every unlock.
        self.queue_action = self._action(
            "My &queue",
            "Ctrl+M",
            "Open tasks by priority, then due date",
            lambda: self.tasks.my_queue.toggle(),
        )
        self.find_action = self._action(
            "&Filter tasks",
            QKeySequence.StandardKey.Find,
            "Type to filter the tasks",
            self._focus_filter,
        )
        self.audit_action = self._action(
            "&Audit trail…",
            "Ctrl+Shift+A",
            "Who did what to the selected record, and a check of the whole chain",
            self.show_audit,
        )
        self.search_action = self._action(
            "&Search…",
            "Ctrl+K",
            "Search tasks, sources, findings, entities and captured files",
            self.show_search,
        )
        view.addAction(self.queue_action)
        view.addAction(self.find_action)
        view.addAction(self.search_action)
        view.addSeparator()
        view.addAction(self.audit_action)
        report = self.menuBar().addMenu("&Report")
        self.summary_action = self._action(
            "&Research summary…",
            "Ctrl+R",
            "Preview the selected task's research summary, to print or save",
            self.research_summary,
        )
        self.pack_action = self._action(
            "&Briefing pack…",
            "Ctrl+Shift+B",
            "Put several tasks' summaries in one pack with a cover and contents",
            self.briefing_pack,
        )
        report.addActions([self.summary_action, self.pack_action])
        help_menu = self.menuBar().addMenu("&Help")
        about = self._action("&About TOEX Desk", "F1", "Version and workspace details", self._about)
        help_menu.addAction(about)
        self.menus = {"file": file_menu, "edit": edit, "view": view, "report": report}
        self._add_menu_items()

    def _focus_filter(self) -> None:
        self.tasks.filter.setFocus()
        self.tasks.filter.selectAll()

    def _task_selected(self, task_id: int | None) -> None:
        self.sources.show_task(task_id)
        self.findings.show_task(task_id)
        self._show_status(task_id)

    def _show_status(self, task_id: int | None = None) -> None:
        text = f"{self.ws.path.name} · analyst {self.ws.analyst} · encrypted (SQLCipher 4)"
        if task_id is not None:
            marking = task_svc.research_marking(self.ws, task_id)
            text += f" · research product marking: {marking.label}"
        self.status.setText(text)

    def show_settings(self) -> None:
        dialog = SettingsDialog(self.settings, self)
        if dialog.exec() == SettingsDialog.DialogCode.Accepted:
            self.idle.set_interval(self.settings.auto_lock_minutes * 60_000)
            self.clipboard.ms = self.settings.clipboard_clear_seconds * 1000

    def _about(self) -> None:
        QMessageBox.about(
            self,
            f"About {APP_NAME}",
            f"{APP_NAME} {__version__}\nWorkspace: {self.ws.path}\n"
            "Encrypted with SQLCipher 4; every access is audited.",
        )

    # -- window state --------------------------------------------------------------------
    def _restore_splitters(self) -> None:
        state = self.settings.ui_state
        for key, splitter in (("main_splitter", self.split), ("right_splitter", self.right)):
            if key in state:
                with contextlib.suppress(ValueError):  # a damaged entry: keep the defaults
                    splitter.restoreState(QByteArray(base64.b64decode(state[key])))

    def save_state(self) -> None:
        blobs = [("geometry", self.saveGeometry())]
        if not self.locked:
            blobs += [
                ("main_splitter", self.split.saveState()),
                ("right_splitter", self.right.saveState()),
            ]
        for key, data in blobs:
            self.settings.ui_state[key] = base64.b64encode(bytes(data)).decode("ascii")

    # -- locking -------------------------------------------------------------------------
    def _content_actions(self) -> list[QAction]:
        """What needs the workspace open: everything but closing and About."""
        return [
            self.lock_action,
            self.copy_action,
            self.new_task_action,
            self.new_source_action,
            self.new_finding_action,
            self.edit_action,
            self.queue_action,
            self.find_action,
            self.audit_action,
            self.summary_action,
            self.pack_action,
            self.search_action,
            self.attach_action,
            self.files_action,
            self.backup_action,
            *self.workspace_actions,
        ]

    def lock(self) -> None:
        if self.locked:
            return
        self.save_state()
        self._locked_task = self.tasks.current_id()
        self.clipboard.clear()
        self.idle.stop()
        for editor in self.findChildren(RecordEditor):
            editor.lock_editor()
        for dialog in self.findChildren(AuditDialog):
            dialog.reject()
        self.close_products()
        for dialog in (*self.findChildren(SearchDialog), *self.findChildren(AttachmentsDialog)):
            dialog.close()  # they show record text
        wipe_external_copies()  # decrypted copies opened in other programs
        self.split.setParent(None)
        self.split.deleteLater()  # the panes, their models and cached rows go with it
        self.ws.close()  # the key is forgotten
        self.status.setText(f"{self.path.name} · locked")
        for action in self._content_actions():
            action.setEnabled(False)
        self.lock_screen.reset()
        self.stack.setCurrentWidget(self.lock_screen)

    def _unlock(self, passphrase: str) -> None:
        path = self.path
        run_op(
            self,
            "Unlocking…",
            lambda op: open_workspace(path, passphrase),
            self._unlocked,
            lambda exc: self.lock_screen.failed(
                str(exc) if isinstance(exc, ToexError) else type(exc).__name__
            ),
            progress=False,
        )

    def _unlocked(self, ws: Workspace) -> None:
        self.ws = ws
        self._build_panes(select_task=getattr(self, "_locked_task", None))
        for action in self._content_actions():
            action.setEnabled(True)
        self.lock_screen.reset()
        self.stack.setCurrentWidget(self.work)
        for editor in self.findChildren(RecordEditor):
            editor.unlock_editor(ws)
        self.idle.restart()

    def _focused_pane(self):
        return next((p for p in (self.sources, self.findings) if p.table.hasFocus()), self.tasks)

    def show_audit(self) -> None:
        pane = self._focused_pane()
        record_id = pane.current_id()
        if record_id is None:
            return
        kind = {self.tasks: "task", self.sources: "source", self.findings: "finding"}[pane]
        info = pane.proxy.row_info(pane.table.currentIndex().row())
        label = info.reference if kind == "task" else f"{info.task_reference}/{info.label}"
        AuditDialog(self.ws, kind, record_id, label, self).exec()

    def copy_row(self) -> None:
        pane = self._focused_pane()
        index = pane.table.currentIndex()
        if not index.isValid():
            return
        cells = [
            pane.proxy.index(index.row(), c).data() or "" for c in range(pane.proxy.columnCount())
        ]
        self.clipboard.copy("\t".join(str(c) for c in cells))

    def closeEvent(self, event: QCloseEvent) -> None:
        dirty = [e for e in self.findChildren(RecordEditor) if e.isVisible() and e.is_dirty()]
        if dirty:
            what = "An open editor" if len(dirty) == 1 else f"{len(dirty)} open editors"
            if not unsaved.confirm_discard(self, what):
                event.ignore()
                return
            for editor in dirty:
                editor.discard()
        if self.backup_before_closing(event):
            return  # the window closes again when the backup is done
        self.close_products()
        wipe_external_copies()
        self.save_state()
        self.clipboard.clear()
        self.idle.stop()
        if self._on_close is not None:
            self._on_close()
        self.ws.close()
        super().closeEvent(event)
