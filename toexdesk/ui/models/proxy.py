"""Sort/filter proxies for the panes: quick filter for all, task filters and "My queue".

Trade-off of sorting and filtering a lazy model: a proxy only sees the rows its source has
fetched. Filtering those alone would show "3 matches" while a match waits on an unread
page, and sorting them alone would be undone by the next page. So, by default, the first
sort or filter fetches every row (``fetch_all``): on 100 k sources that reads all rows
once, in chunks, which is the price of a complete answer. Until then the pane still opens
at once. With ``fetch_all_on_filter=False`` the proxy filters the rows fetched so far and
each page as it arrives (correct, but incomplete until the user scrolls to the end).

Sorting is delegated to the source model (``LazyTableModel.sort``), which sorts its kept
keys in Python; the proxy itself stays unsorted and follows the source's order.

A view over a proxy: ``QTableView.setSortingEnabled(True)`` sorts at once by the header's
sort indicator, which Qt starts at column 0 — that would fetch every row on opening. Clear
the indicator first: ``view.horizontalHeader().setSortIndicator(-1, Qt.AscendingOrder)``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from PySide6.QtCore import (
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)

from toexdesk.core.enums import Priority, TaskStatus, Thematic
from toexdesk.ui.models.lazy import LazyTableModel

_Index = QModelIndex | QPersistentModelIndex


class PaneProxy(QSortFilterProxyModel):
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
        self._sync_load_all()

    def _sync_load_all(self) -> None:
        # While a filter is on, a reload (or another task's rows) must read every row too.
        want = self.is_filtering() and self.fetch_all_on_filter
        self.lazy.load_all = want
        if want:
            self.lazy.fetch_all()

    def fetch_all(self) -> None:
        self.lazy.fetch_all()

    # Not in the middle of this proxy's own change (a filter pass emits several removals
    # and insertions): a view reacting to one of them must not insert a page into it.
    def canFetchMore(self, parent: _Index) -> bool:
        return not self._changing and super().canFetchMore(parent)

    def fetchMore(self, parent: _Index) -> None:
        if not self._changing:
            super().fetchMore(parent)

    def id_at(self, row: int) -> int:
        """The record id shown in proxy ``row``."""
        return self.lazy.id_at(self.mapToSource(self.index(row, 0)).row())

    def row_info(self, row: int) -> Any | None:
        return self.lazy.row_info(self.mapToSource(self.index(row, 0)).row())

    def ids(self) -> list[int]:
        """The ids shown, in order (of the rows fetched so far)."""
        return [self.id_at(row) for row in range(self.rowCount())]

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
            self._change_filter(lambda: setattr(self, "_words", words))

    def is_filtering(self) -> bool:
        """Whether any filter is set (subclasses add theirs)."""
        return bool(self._words)

    def _change_filter(self, change: Callable[[], None]) -> None:
        """Apply a filter change, telling Qt in the way this Qt version expects."""
        self._changing = True
        try:
            if hasattr(self, "beginFilterChange"):  # Qt 6.9+
                self.beginFilterChange()
                change()
                self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
            else:
                change()
                self.invalidateRowsFilter()
        finally:
            self._changing = False
        self._sync_load_all()

    def filterAcceptsRow(self, source_row: int, source_parent: _Index) -> bool:
        if source_parent.isValid():
            return False
        if self._words:
            text = self.lazy.search_text(source_row)
            if not all(word in text for word in self._words):
                return False
        return self.accepts(source_row)

    def accepts(self, source_row: int) -> bool:
        """Filters beyond the quick filter; subclasses override."""
        return True


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
        value = None if statuses is None else frozenset(statuses)
        self._change_filter(lambda: setattr(self, "_statuses", value))

    def set_open_only(self) -> None:
        """Show only open tasks (not completed or cancelled)."""
        self.set_statuses(s for s in TaskStatus if s.is_open)

    def set_priorities(self, priorities: Iterable[Priority] | None) -> None:
        value = None if priorities is None else frozenset(priorities)
        self._change_filter(lambda: setattr(self, "_priorities", value))

    def set_thematics(self, thematics: Iterable[Thematic] | None) -> None:
        value = None if thematics is None else frozenset(thematics)
        self._change_filter(lambda: setattr(self, "_thematics", value))

    def set_overdue_only(self, overdue_only: bool) -> None:
        self._change_filter(lambda: setattr(self, "_overdue_only", bool(overdue_only)))

    def clear_filters(self) -> None:
        def clear() -> None:
            self._words = ()
            self._statuses = self._priorities = self._thematics = None
            self._overdue_only = False

        self._change_filter(clear)

    def is_filtering(self) -> bool:
        return (
            super().is_filtering()
            or self._overdue_only
            or any(f is not None for f in (self._statuses, self._priorities, self._thematics))
        )

    def accepts(self, source_row: int) -> bool:
        info = self.lazy.row_info(source_row)
        if info is None:
            return not self.is_filtering()
        if self._statuses is not None and info.status not in self._statuses:
            return False
        if self._priorities is not None and info.priority not in self._priorities:
            return False
        if self._thematics is not None and info.thematic not in self._thematics:
            return False
        return not (self._overdue_only and not info.is_overdue(self.today()))

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
