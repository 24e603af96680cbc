"""The Findings pane: the selected task's findings with their PHIA terms and citations.
Sources dropped on a finding are cited by it; dropped below the findings, they start a new
finding that cites them (the window decides: see ``sources_dropped``)."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Signal
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QAbstractItemView, QTableView, QWidget

from toexdesk.core.store.engine import Workspace
from toexdesk.ui.dnd import dropped_sources
from toexdesk.ui.models import FindingTableModel, PaneProxy
from toexdesk.ui.panes.base import Pane


class FindingsTable(QTableView):
    """Takes sources dragged from the Sources pane of the same workspace."""

    # [(task id, source id)], the finding id under the drop (or None), where (global)
    sources_dropped = Signal(list, object, QPoint)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DropOnly)
        self.setDropIndicatorShown(True)
        self.workspace_path = None

    def _pairs(self, event):
        if self.workspace_path is None:
            return None
        return dropped_sources(event.mimeData(), self.workspace_path)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._pairs(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if self._pairs(event):
            # Show which finding the sources would go to.
            index = self.indexAt(event.position().toPoint())
            if index.isValid():
                self.selectRow(index.row())
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        pairs = self._pairs(event)
        if not pairs:
            event.ignore()
            return
        event.acceptProposedAction()
        point = event.position().toPoint()
        index = self.indexAt(point)
        finding_id = self.model().id_at(index.row()) if index.isValid() else None
        self.sources_dropped.emit(pairs, finding_id, self.viewport().mapToGlobal(point))


class FindingsPane(Pane):
    table_class = FindingsTable

    def __init__(self, ws: Workspace, parent: QWidget | None = None):
        super().__init__("Findings", FindingTableModel(ws, task_id=None), PaneProxy(), parent)
        self.table.workspace_path = ws.path
        self.table.setToolTip(
            "Drop sources on a finding to cite them, or below the findings to start a new one"
        )

    def show_task(self, task_id: int | None) -> None:
        model: FindingTableModel = self.model  # type: ignore[assignment]
        model.set_task(task_id)
        self._update_count()
