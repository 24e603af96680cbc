"""The task pane's table: reference, title, requester, thematic, priority, due, status,
marking. Overdue and due-soon tasks show an icon and say so in words."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QStyle

from toexdesk.core.enums import TaskStatus
from toexdesk.core.services import tasks as task_svc
from toexdesk.core.services.tasks import TaskInfo, TaskKey
from toexdesk.core.store.engine import Workspace
from toexdesk.ui.models.columns import Column, date_key, date_text, plain_tooltip
from toexdesk.ui.models.lazy import SYNC_ROWS, LazyTableModel

OVERDUE = "Overdue"
DUE_SOON = "Due soon"
_STATUS_ORDER = {status: i for i, status in enumerate(TaskStatus)}  # workflow order


def _days(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"


class TaskTableModel(LazyTableModel):
    """Tasks in reference order. ``today`` is a callable so tests (and a window left open
    past midnight) see the right overdue state. Every row keeps its ``TaskKey`` for the task
    filters (status, priority, thematic, overdue)."""

    def __init__(
        self,
        ws: Workspace,
        *,
        include_archived: bool = False,
        today: Callable[[], dt.date] = dt.date.today,
        page_size: int = 200,
        cache_rows: int = 2_000,
        sync_rows: int = SYNC_ROWS,
        parent: QObject | None = None,
    ) -> None:
        self.ws = ws
        self.today = today
        self.columns = self._columns()
        super().__init__(
            lambda: task_svc.task_ids(ws, include_archived=include_archived),
            lambda ids: task_svc.task_rows(ws, ids),
            fetch_keys=lambda ids: task_svc.task_keys(ws, ids),
            page_size=page_size,
            cache_rows=cache_rows,
            sync_rows=sync_rows,
            parent=parent,
        )

    def _record(self, info: TaskInfo | TaskKey) -> TaskKey:
        return TaskKey.of(info)

    def _report_failure(self, exc: BaseException) -> None:
        if not self.ws.closed:  # closed: the workspace was locked and the pane is going
            super()._report_failure(exc)

    # --- due column ----------------------------------------------------------------------
    def due_state(self, info: TaskInfo) -> str:
        """ "Overdue", "Due soon" or "" (closed tasks are never late)."""
        today = self.today()
        if info.is_overdue(today):
            return OVERDUE
        if info.is_due_soon(today):
            return DUE_SOON
        return ""

    def _due_display(self, info: TaskInfo) -> str:
        state = self.due_state(info)
        return f"{date_text(info.due_date)} · {state}" if state else date_text(info.due_date)

    def _due_tooltip(self, info: TaskInfo) -> str:
        if info.due_date is None:
            return "No due date"
        days = (info.due_date - self.today()).days
        when = f"Due {date_text(info.due_date)}"
        if not info.status.is_open:
            return f"{when} (task {info.status.label.lower()})"
        if days < 0:
            return f"{OVERDUE} by {_days(-days)} ({when.lower()})"
        if days == 0:
            return "Due today"
        if days == 1:
            return "Due tomorrow"
        return f"Due in {_days(days)} ({date_text(info.due_date)})"

    def _due_icon(self, info: TaskInfo) -> QStyle.StandardPixmap | None:
        state = self.due_state(info)
        if state == OVERDUE:
            return QStyle.StandardPixmap.SP_MessageBoxCritical
        if state == DUE_SOON:
            return QStyle.StandardPixmap.SP_MessageBoxWarning
        return None

    def _due_accessible(self, info: TaskInfo) -> str:
        # The tooltip's words ("Overdue by 3 days (due 2026-03-01)"), not the icon.
        return f"Due: {self._due_tooltip(info)}"

    def _columns(self) -> tuple[Column, ...]:
        return (
            Column("reference", "Reference", lambda t: t.reference),
            Column(
                "title",
                "Title",
                lambda t: t.title,
                tooltip=lambda t: plain_tooltip(t.title),
            ),
            Column("requester", "Requester", lambda t: t.requester),
            Column(
                "thematic",
                "Thematic",
                lambda t: t.thematic.label,
                header_tooltip="Programme thematic",
            ),
            Column(
                "priority",
                "Priority",
                lambda t: t.priority.code,
                sort_key=lambda t: t.priority.code,
                tooltip=lambda t: t.priority.label,
                accessible=lambda t: f"Priority: {t.priority.label}",
                header_tooltip="P1 urgent, P2 high, P3 routine, P4 low",
            ),
            Column(
                "due",
                "Due",
                self._due_display,
                sort_key=lambda t: date_key(t.due_date),
                tooltip=self._due_tooltip,
                accessible=self._due_accessible,
                icon=self._due_icon,
                header_tooltip=(
                    f"Due date; open tasks past it say {OVERDUE}, within "
                    f"{task_svc.DUE_SOON_DAYS} days {DUE_SOON}"
                ),
            ),
            Column(
                "status",
                "Status",
                lambda t: t.status.label,
                sort_key=lambda t: _STATUS_ORDER[t.status],
            ),
            Column(
                "marking",
                "Marking",
                lambda t: t.marking.label,
                sort_key=lambda t: t.marking.rank,
                header_tooltip="Government Security Classification",
            ),
        )
