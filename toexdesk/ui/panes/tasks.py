"""The Tasks pane: the researcher's list of research requests, with filters and My queue."""

from __future__ import annotations

import itertools

from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QWidget

from toexdesk.core.enums import Priority, TaskStatus, Thematic
from toexdesk.core.store.engine import Workspace
from toexdesk.ui.models import TaskFilterProxy, TaskTableModel
from toexdesk.ui.panes.base import Pane

OPEN = "open"


def _combo(name: str, tooltip: str, items: list[tuple[str, object]]) -> QComboBox:
    combo = QComboBox()
    combo.setAccessibleName(name)
    combo.setToolTip(tooltip)
    for text, data in items:
        combo.addItem(text, data)
    return combo


class TasksPane(Pane):
    def __init__(self, ws: Workspace, parent: QWidget | None = None):
        model = TaskTableModel(ws)
        super().__init__("Tasks", model, TaskFilterProxy(), parent)
        self.status = _combo(
            "Status filter",
            "Show tasks in this status",
            [("Any status", None), ("Open tasks", OPEN)] + [(s.label, s) for s in TaskStatus],
        )
        self.priority = _combo(
            "Priority filter",
            "Show tasks of this priority",
            [("Any priority", None)] + [(p.label, p) for p in Priority],
        )
        self.thematic = _combo(
            "Thematic filter",
            "Show tasks of this thematic",
            [("Any thematic", None)] + [(t.label, t) for t in Thematic],
        )
        self.overdue = QCheckBox("Overdue")
        self.overdue.setToolTip("Show only open tasks past their due date")
        self.my_queue = QCheckBox("My queue")
        self.my_queue.setToolTip("Open tasks ordered by priority, then due date (Ctrl+M)")
        for combo in (self.status, self.priority, self.thematic):
            combo.currentIndexChanged.connect(self._apply_filters)
        self.overdue.toggled.connect(self._apply_filters)
        self.my_queue.toggled.connect(self._queue_toggled)
        row = QHBoxLayout()
        for widget in (self.status, self.priority, self.thematic, self.overdue, self.my_queue):
            row.addWidget(widget)
        row.addStretch()
        self.layout().insertLayout(2, row)
        # Tab follows reading order: filter box, the filter row, then the table.
        chain = [
            self.filter,
            self.status,
            self.priority,
            self.thematic,
            self.overdue,
            self.my_queue,
            self.table,
        ]
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)

    def _apply_filters(self, *_args) -> None:
        proxy: TaskFilterProxy = self.proxy  # type: ignore[assignment]
        status = self.status.currentData()
        if status == OPEN:
            proxy.set_open_only()
        else:
            proxy.set_statuses(None if status is None else [status])
        priority, thematic = self.priority.currentData(), self.thematic.currentData()
        proxy.set_priorities(None if priority is None else [priority])
        proxy.set_thematics(None if thematic is None else [thematic])
        proxy.set_overdue_only(self.overdue.isChecked())
        self._update_count()

    def _queue_toggled(self, on: bool) -> None:
        proxy: TaskFilterProxy = self.proxy  # type: ignore[assignment]
        if on:  # the queue is the work still to do
            self.status.setCurrentIndex(self.status.findData(OPEN))
        proxy.set_my_queue(on)
        self.table.horizontalHeader().setSortIndicatorShown(not on)
        self._update_count()
