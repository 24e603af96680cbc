"""The Findings pane: the selected task's findings with their PHIA terms and citations."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from toexdesk.core.store.engine import Workspace
from toexdesk.ui.models import FindingTableModel, PaneProxy
from toexdesk.ui.panes.base import Pane


class FindingsPane(Pane):
    def __init__(self, ws: Workspace, parent: QWidget | None = None):
        super().__init__("Findings", FindingTableModel(ws, task_id=None), PaneProxy(), parent)

    def show_task(self, task_id: int | None) -> None:
        model: FindingTableModel = self.model  # type: ignore[assignment]
        model.set_task(task_id)
        self._update_count()
