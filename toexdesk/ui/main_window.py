"""The main window: Tasks across the top; the selected task's Sources and Findings below.

Splitter sizes and window geometry are kept in the settings file. Every action has a
shortcut, an accessible name and a tooltip."""

from __future__ import annotations

import base64
import contextlib
from collections.abc import Callable

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QMessageBox, QSplitter, QWidget

from toexdesk import APP_NAME, __version__, config
from toexdesk.core.services import tasks as task_svc
from toexdesk.core.store.engine import Workspace
from toexdesk.ui.panes.findings import FindingsPane
from toexdesk.ui.panes.sources import SourcesPane
from toexdesk.ui.panes.tasks import TasksPane


class MainWindow(QMainWindow):
    def __init__(
        self,
        ws: Workspace,
        settings: config.Settings,
        on_close: Callable[[], None] | None = None,
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.ws, self.settings, self._on_close = ws, settings, on_close
        self.setWindowTitle(f"{ws.path.name} — {APP_NAME}")
        self.tasks = TasksPane(ws)
        self.sources = SourcesPane(ws)
        self.findings = FindingsPane(ws)
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
        self.setCentralWidget(self.split)
        self.tasks.selected.connect(self._task_selected)
        self._build_menus()
        self.status = QLabel()
        self.statusBar().addPermanentWidget(self.status)
        self._show_status()
        self._restore_state()
        self.tasks.select_first()
        for pane in (self.tasks, self.sources, self.findings):
            pane.fit_columns()

    def _action(self, text: str, shortcut, tip: str, slot) -> QAction:
        action = QAction(text, self)
        action.setShortcut(QKeySequence(shortcut))
        action.setToolTip(f"{tip} ({QKeySequence(shortcut).toString()})")
        action.setStatusTip(tip)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.close_action = self._action(
            "&Close workspace", QKeySequence.StandardKey.Close, "Close this workspace", self.close
        )
        file_menu.addAction(self.close_action)
        view = self.menuBar().addMenu("&View")
        self.queue_action = self._action(
            "My &queue",
            "Ctrl+M",
            "Open tasks by priority, then due date",
            self.tasks.my_queue.toggle,
        )
        self.find_action = self._action(
            "&Filter tasks",
            QKeySequence.StandardKey.Find,
            "Type to filter the tasks",
            self._focus_filter,
        )
        view.addAction(self.queue_action)
        view.addAction(self.find_action)
        help_menu = self.menuBar().addMenu("&Help")
        about = self._action("&About TOEX Desk", "F1", "Version and workspace details", self._about)
        help_menu.addAction(about)

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

    def _about(self) -> None:
        QMessageBox.about(
            self,
            f"About {APP_NAME}",
            f"{APP_NAME} {__version__}\nWorkspace: {self.ws.path}\n"
            "Encrypted with SQLCipher 4; every access is audited.",
        )

    # -- window state --------------------------------------------------------------------
    def _restore_state(self) -> None:
        state = self.settings.ui_state
        for key, restore in (
            ("geometry", self.restoreGeometry),
            ("main_splitter", self.split.restoreState),
            ("right_splitter", self.right.restoreState),
        ):
            if key in state:
                with contextlib.suppress(ValueError):  # a damaged entry: keep the defaults
                    restore(QByteArray(base64.b64decode(state[key])))
        if "geometry" not in state:
            self.resize(1280, 780)

    def save_state(self) -> None:
        for key, data in (
            ("geometry", self.saveGeometry()),
            ("main_splitter", self.split.saveState()),
            ("right_splitter", self.right.saveState()),
        ):
            self.settings.ui_state[key] = base64.b64encode(bytes(data)).decode("ascii")

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_state()
        if self._on_close is not None:
            self._on_close()
        self.ws.close()
        super().closeEvent(event)
