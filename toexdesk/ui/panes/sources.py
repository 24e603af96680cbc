"""The Sources pane: the graded sources of the selected task, or of every task."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QWidget

from toexdesk.core.store.engine import Workspace
from toexdesk.ui.models import PaneProxy, SourceTableModel
from toexdesk.ui.panes.base import Pane


class SourcesPane(Pane):
    def __init__(self, ws: Workspace, parent: QWidget | None = None):
        super().__init__("Sources", SourceTableModel(ws, task_id=None), PaneProxy(), parent)
        self.task_id: int | None = None
        self.all_tasks = QCheckBox("All tasks")
        self.all_tasks.setToolTip("Show the sources of every task, not only the selected one")
        self.all_tasks.toggled.connect(lambda _on: self._reload())
        self.tools.addWidget(self.all_tasks)

    def show_task(self, task_id: int | None) -> None:
        self.task_id = task_id
        self._reload()

    def _reload(self) -> None:
        model: SourceTableModel = self.model  # type: ignore[assignment]
        model.set_task(None if self.all_tasks.isChecked() else self.task_id)
        self._update_count()
