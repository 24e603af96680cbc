"""The lazy model of a pane whose rows belong to the selected task (sources, findings)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject

from toexdesk.ui.models.lazy import SYNC_ROWS, LazyTableModel


class TaskScopedTableModel(LazyTableModel):
    """A pane whose rows belong to the selected task: subclasses say how to list the ids
    (``_list_ids``), read the rows (``_read_rows``) and, optionally, their sort and filter
    keys (``_read_keys``) of a task."""

    def __init__(
        self,
        ws: Any,
        task_id: int | None = None,
        *,
        include_archived: bool = False,
        page_size: int = 200,
        cache_rows: int = 2_000,
        sync_rows: int = SYNC_ROWS,
        parent: QObject | None = None,
    ) -> None:
        self.ws = ws
        self.task_id = task_id
        self.include_archived = include_archived
        super().__init__(
            self._ids_loader(),
            lambda ids: self._read_rows(ws, ids),
            fetch_keys=lambda ids: self._read_keys(ws, ids),
            page_size=page_size,
            cache_rows=cache_rows,
            sync_rows=sync_rows,
            parent=parent,
        )

    def _list_ids(self, ws: Any, task_id: int | None, include_archived: bool) -> list[int]:
        raise NotImplementedError

    def _read_rows(self, ws: Any, ids: list[int]) -> list[Any]:
        raise NotImplementedError

    def _read_keys(self, ws: Any, ids: list[int]) -> list[Any]:
        return self._read_rows(ws, ids)

    def _ids_loader(self) -> Callable[[], list[int]]:
        ws, task_id, archived = self.ws, self.task_id, self.include_archived
        return lambda: self._list_ids(ws, task_id, archived)

    def set_task(self, task_id: int | None) -> None:
        """Show the rows of another task."""
        previous, self.task_id = self.task_id, task_id
        try:
            self.set_loader(self._ids_loader())
        except BaseException:
            self.task_id = previous
            raise

    def _report_failure(self, exc: BaseException) -> None:
        if not self.ws.closed:  # closed: the workspace was locked and the pane is going
            super()._report_failure(exc)
