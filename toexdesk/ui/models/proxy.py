"""The proxies of the panes: quick filter for all, task filters and "My queue".

A pane's proxy holds what the user asked for (the quick filter's words, the task filters)
and hands the source model a row filter built from it; the source model
(``lazy.LazyTableModel``) filters and sorts its kept rows itself, in the background when
the pane is big, and shows only the rows that pass. The proxy is an identity proxy: row
``n`` of the proxy is row ``n`` of the model. A ``QSortFilterProxyModel`` would call
Python once per row from C++ whenever its mapping is rebuilt (every filter change, sort or
reset), which on 100 k rows stalls the UI thread for a large fraction of a second.

Trade-off of filtering a lazy model: only rows read can be matched. By default, the first
filter reads every row's keys (``complete``), in the background for a big pane, so the
answer is complete when it shows. With ``fetch_all_on_filter=False`` the model filters the
rows read so far and each page as it arrives (correct, but incomplete until the user
scrolls to the end).

A view over a proxy: ``QTableView.setSortingEnabled(True)`` sorts at once by the header's
sort indicator, which Qt starts at column 0 — that would read every row's keys on opening.
Clear the indicator first: ``view.horizontalHeader().setSortIndicator(-1, Qt.AscendingOrder)``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from PySide6.QtCore import QIdentityProxyModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from toexdesk.core.enums import Priority, TaskStatus, Thematic
from toexdesk.ui.models.lazy import LazyTableModel
from toexdesk.ui.models.rows import RowFilter

RecordFilter = Callable[[Any], bool]
_Index = QModelIndex | QPersistentModelIndex


class PaneProxy(QIdentityProxyModel):
    """A pane's proxy over a ``LazyTableModel``: a quick filter (every word must appear,
    case-insensitively, in some column) and sorting through the source model."""

    def __init__(self, parent: QObject | None = None, *, fetch_all_on_filter: bool = True) -> None:
        super().__init__(parent)
        self.fetch_all_on_filter = fetch_all_on_filter
        self._words: tuple[str, ...] = ()
        self._changing = False

    # --- source --------------------------------------------------------------------------
    @property
    def lazy(self) -> LazyTableModel:
        model = self.sourceModel()
        if not isinstance(model, LazyTableModel):
            raise TypeError("A pane proxy needs a LazyTableModel as its source.")
        return model

    def setSourceModel(self, model: Any) -> None:
        if not isinstance(model, LazyTableModel):
            raise TypeError("A pane proxy needs a LazyTableModel as its source.")
        self._changing = True
        try:
            super().setSourceModel(model)
        finally:
            self._changing = False
        self._filter_changed()

    def fetch_all(self) -> None:
        self.lazy.fetch_all()

    # Not in the middle of this proxy's own reset (setting the source): a view or the model
    # tester reacting to it must not insert a page into it.
    def canFetchMore(self, parent: _Index) -> bool:
        return not self._changing and super().canFetchMore(parent)

    def fetchMore(self, parent: _Index) -> None:
        if not self._changing:
            super().fetchMore(parent)

    def id_at(self, row: int) -> int:
        """The record id shown in ``row``."""
        return self.lazy.id_at(row)

    def row_info(self, row: int) -> Any | None:
        return self.lazy.row_info(row)

    def ids(self) -> list[int]:
        """The ids shown, in order."""
        return self.lazy.shown_ids()

    # --- sorting -------------------------------------------------------------------------
    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.lazy.sort(column, order)

    # --- filtering -----------------------------------------------------------------------
    @property
    def quick_filter(self) -> str:
        return " ".join(self._words)

    def set_quick_filter(self, text: str) -> None:
        words = tuple(text.casefold().split())
        if words != self._words:
            self._words = words
            self._filter_changed()

    def is_filtering(self) -> bool:
        """Whether any filter is set (subclasses add theirs)."""
        return bool(self._words)

    def _filter_changed(self) -> None:
        if isinstance(self.sourceModel(), LazyTableModel):
            make = self.row_filter if self.is_filtering() else None
            self.lazy.set_row_filter(make, complete=self.fetch_all_on_filter)

    def row_filter(self) -> RowFilter | None:
        """The filter as it stands, for the model to apply to its rows (maybe in a worker,
        so it captures the settings now and reads nothing but the row)."""
        words = self._words
        record_ok = self.record_filter()
        if not words and record_ok is None:
            return None

        def accept(text: str, record: Any) -> bool:
            if not all(word in text for word in words):
                return False
            return record_ok is None or record_ok(record)

        return accept

    def record_filter(self) -> RecordFilter | None:
        """Filters beyond the quick filter, over the record each row keeps (the model's
        ``_record``); None when there are none. Subclasses override."""
        return None


class TaskFilterProxy(PaneProxy):
    """The task pane's proxy: filters by status, priority, thematic and overdue, and the
    "My queue" order (priority, then due date: the most urgent work first)."""

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        fetch_all_on_filter: bool = True,
        today: Callable[[], dt.date] | None = None,
    ) -> None:
        super().__init__(parent, fetch_all_on_filter=fetch_all_on_filter)
        self._today = today
        self._statuses: frozenset[TaskStatus] | None = None
        self._priorities: frozenset[Priority] | None = None
        self._thematics: frozenset[Thematic] | None = None
        self._overdue_only = False

    def set_statuses(self, statuses: Iterable[TaskStatus] | None) -> None:
        """Show only tasks in these statuses (None: any status)."""
        self._statuses = None if statuses is None else frozenset(statuses)
        self._filter_changed()

    def set_open_only(self) -> None:
        """Show only open tasks (not completed or cancelled)."""
        self.set_statuses(s for s in TaskStatus if s.is_open)

    def set_priorities(self, priorities: Iterable[Priority] | None) -> None:
        self._priorities = None if priorities is None else frozenset(priorities)
        self._filter_changed()

    def set_thematics(self, thematics: Iterable[Thematic] | None) -> None:
        self._thematics = None if thematics is None else frozenset(thematics)
        self._filter_changed()

    def set_overdue_only(self, overdue_only: bool) -> None:
        self._overdue_only = bool(overdue_only)
        self._filter_changed()

    def clear_filters(self) -> None:
        self._words = ()
        self._statuses = self._priorities = self._thematics = None
        self._overdue_only = False
        self._filter_changed()

    def is_filtering(self) -> bool:
        return (
            super().is_filtering()
            or self._overdue_only
            or any(f is not None for f in (self._statuses, self._priorities, self._thematics))
        )

    def record_filter(self) -> RecordFilter | None:
        statuses, priorities, thematics = self._statuses, self._priorities, self._thematics
        overdue_only = self._overdue_only
        if not overdue_only and statuses is None and priorities is None and thematics is None:
            return None
        today = self.today()

        def accept(task: Any) -> bool:  # a tasks.TaskKey
            if task is None:
                return False
            if statuses is not None and task.status not in statuses:
                return False
            if priorities is not None and task.priority not in priorities:
                return False
            if thematics is not None and task.thematic not in thematics:
                return False
            return not (overdue_only and not task.is_overdue(today))

        return accept

    def today(self) -> dt.date:
        """Today as the task model sees it (so the filter and the due column agree)."""
        if self._today is not None:
            return self._today()
        return getattr(self.sourceModel(), "today", dt.date.today)()

    # --- My queue ------------------------------------------------------------------------
    def set_my_queue(self, on: bool = True) -> None:
        """Order by priority (P1 first), then due date (soonest first, none last); off
        restores the reference order."""
        lazy = self.lazy
        if on:
            lazy.sort_by([lazy.column_index("priority"), lazy.column_index("due")])
        else:
            lazy.sort(-1)

    def is_my_queue(self) -> bool:
        lazy = self.lazy
        queue = (lazy.column_index("priority"), lazy.column_index("due"))
        return lazy.sorting == (queue, Qt.SortOrder.AscendingOrder)
