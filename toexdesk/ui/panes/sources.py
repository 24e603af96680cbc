"""The Sources pane: the graded sources of the selected task, or of every task. Sources are
dragged from here onto a finding (in the Findings pane or a finding editor) to cite them."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QMimeData, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import QAbstractItemView, QCheckBox, QTableView, QWidget

from toexdesk.core.store.engine import Workspace
from toexdesk.ui.dnd import SOURCES_MIME, sources_mime
from toexdesk.ui.models import PaneProxy, SourceTableModel
from toexdesk.ui.panes.base import Pane


class SourceDragProxy(PaneProxy):
    """Rows can be dragged; a drag carries (task id, source id) pairs, never text."""

    def __init__(self, ws: Workspace):
        super().__init__()
        self.ws = ws

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        flags = super().flags(index)
        return flags | Qt.ItemFlag.ItemIsDragEnabled if index.isValid() else flags

    def mimeTypes(self) -> list[str]:
        return [SOURCES_MIME]

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.LinkAction | Qt.DropAction.CopyAction

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        pairs = []
        for row in sorted({index.row() for index in indexes}):
            info = self.row_info(row)
            if info is not None:
                pairs.append((info.task_id, info.id))
        return sources_mime(self.ws.path, pairs)


class SourcesTable(QTableView):
    """Rows drag out (to cite them); files dragged in from the desktop are captured:
    onto a source row, attached to it; below the rows, as new sources."""

    files_dropped = Signal(list, object)  # [local paths], the source id under the drop or None

    @staticmethod
    def _files(event) -> list[str]:
        mime = event.mimeData()
        if not mime.hasUrls():
            return []
        return [url.toLocalFile() for url in mime.urls() if url.isLocalFile()]

    def dragEnterEvent(self, event) -> None:
        if self._files(event):
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event) -> None:
        if self._files(event):
            index = self.indexAt(event.position().toPoint())
            if index.isValid():
                self.selectRow(index.row())
            event.acceptProposedAction()
        else:
            super().dragMoveEvent(event)

    def dropEvent(self, event) -> None:
        files = self._files(event)
        if not files:
            event.ignore()
            return
        event.acceptProposedAction()
        index = self.indexAt(event.position().toPoint())
        source_id = self.model().id_at(index.row()) if index.isValid() else None
        self.files_dropped.emit(files, source_id)


NO_TASK = -1  # no task has this id: the pane starts empty, not over every task's sources


class SourcesPane(Pane):
    table_class = SourcesTable

    def __init__(self, ws: Workspace, parent: QWidget | None = None):
        model = SourceTableModel(ws, task_id=NO_TASK)
        super().__init__("Sources", model, SourceDragProxy(ws), parent)
        self.task_id: int | None = None
        self.all_tasks = QCheckBox("All tas&ks")
        self.all_tasks.setToolTip("Show the sources of every task, not only the selected one")
        self.all_tasks.setAccessibleName("Show the sources of all tasks")
        self.all_tasks.toggled.connect(lambda _on: self._reload())
        self.tools.addWidget(self.all_tasks)
        QWidget.setTabOrder(self.all_tasks, self.filter)  # reading order: title row first
        QWidget.setTabOrder(self.filter, self.table)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setDragEnabled(True)
        self.table.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.table.setAcceptDrops(True)
        self.table.setDefaultDropAction(Qt.DropAction.LinkAction)
        self.table.setToolTip(
            "Drag sources onto a finding to cite them (Ctrl or Shift selects several); drop "
            "files here to capture them"
        )

    def show_task(self, task_id: int | None) -> None:
        self.task_id = task_id
        self._reload()

    def _reload(self) -> None:
        model: SourceTableModel = self.model  # type: ignore[assignment]
        if self.all_tasks.isChecked():
            model.set_task(None)  # None: every task's sources
        else:
            model.set_task(NO_TASK if self.task_id is None else self.task_id)
        self._update_count()

    def selected_ids(self) -> list[int]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [self.proxy.id_at(row) for row in rows]
