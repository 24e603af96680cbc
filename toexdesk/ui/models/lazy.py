"""A table model that loads ids up front and rows a page at a time.

Opening a pane over 100 k sources must not read 100 k rows: the model asks a service for
every id (one cheap query), reads the first page of rows, and reads more only when the view
asks (``canFetchMore``/``fetchMore``, i.e. when the user scrolls to the end).

For each row fetched the model keeps a few bytes for every column: its sort key and the
row's search text. Those let the proxy sort and filter without touching the database again.
The full records (which carry long free text: descriptions, research questions) are kept in
a small least-recently-used cache; a row whose record was dropped is read again with the
rows around it, in one query, when the view paints it.

Sorting happens here, not in ``QSortFilterProxyModel``: the proxy compares rows by calling
``data()`` from C++ once per comparison, which for 100 k rows is millions of Python calls,
whereas sorting the kept keys in Python takes milliseconds. Sorting needs every row's key,
so it fetches all rows first (``fetch_all``); see ``proxy.PaneProxy``.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QStyle

from toexdesk.ui.models.columns import Column

SORT_ROLE = Qt.ItemDataRole.UserRole
ID_ROLE = Qt.ItemDataRole.UserRole + 1

IdLoader = Callable[[], Sequence[int]]
RowFetcher = Callable[[Sequence[int]], Sequence[Any]]

_GONE = object()  # cached marker: the record was deleted after the ids were read
_ALL_ROWS_CHUNK = 2_000  # fetch_all reads in chunks, so its peak memory stays bounded
_Index = QModelIndex | QPersistentModelIndex


class _Row:
    """What the model keeps for every fetched row: enough to sort and filter it."""

    __slots__ = ("id", "keys", "seq", "text")

    def __init__(self, row_id: int, seq: int, keys: tuple, text: str) -> None:
        self.id = row_id
        self.seq = seq  # position in the loader's order, to undo a sort
        self.keys = keys
        self.text = text


class LazyTableModel(QAbstractTableModel):
    """Rows of one pane. ``load_ids()`` gives every id in display order;
    ``fetch_rows(ids)`` gives their info dataclasses (each with an ``id``) in that order,
    leaving out ids that no longer exist."""

    columns: Sequence[Column] = ()

    def __init__(
        self,
        load_ids: IdLoader,
        fetch_rows: RowFetcher,
        *,
        columns: Sequence[Column] | None = None,
        page_size: int = 200,
        cache_rows: int = 2_000,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        if columns is not None:
            self.columns = tuple(columns)
        self.page_size = max(1, page_size)
        self.cache_rows = max(cache_rows, self.page_size)
        self._load_ids = load_ids
        self._fetch_rows = fetch_rows
        self._ids: list[int] = []
        self._next = 0  # self._ids[self._next:] are not fetched yet
        self._rows: list[_Row] = []
        self._cache: OrderedDict[int, Any] = OrderedDict()
        self._sorting: tuple[tuple[int, ...], Qt.SortOrder] | None = None
        # Set by a proxy while it filters: a reload then reads every row, not one page.
        self.load_all = False
        self._icons: dict[QStyle.StandardPixmap, QIcon] = {}
        self._changing = False
        self._ids, self._rows, self._next = self._load(self.page_size)

    # --- sizes ---------------------------------------------------------------------------
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    @property
    def total(self) -> int:
        """How many rows the pane has, fetched or not (ids that vanished since aside)."""
        return len(self._rows) + len(self._ids) - self._next

    # --- lazy loading --------------------------------------------------------------------
    def canFetchMore(self, parent: _Index = QModelIndex()) -> bool:  # noqa: B008
        # Not in the middle of a change: a view (or the model tester) reacting to an insert
        # or a reset must not fetch the next page into it.
        return not parent.isValid() and not self._changing and self._next < len(self._ids)

    def fetchMore(self, parent: _Index = QModelIndex()) -> None:  # noqa: B008
        if self.canFetchMore(parent):
            self._append(self.page_size)

    def fetch_all(self) -> None:
        """Fetch every remaining row (sorting and filtering need them all)."""
        if self.canFetchMore():
            self._append(len(self._ids) - self._next)

    def _append(self, count: int) -> None:
        self._changing = True
        try:
            rows, self._next = self._read(self._ids, self._next, count)
            if rows:
                first = len(self._rows)
                self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
                self._rows.extend(rows)
                self.endInsertRows()
        finally:
            self._changing = False

    def _read(self, ids: list[int], start: int, count: int) -> tuple[list[_Row], int]:
        """Rows for ``ids[start:start + count]``; also returns where the next read starts."""
        rows: list[_Row] = []
        stop = min(len(ids), start + count)
        for first in range(start, stop, _ALL_ROWS_CHUNK):
            wanted = ids[first : min(stop, first + _ALL_ROWS_CHUNK)]
            by_id = {info.id: info for info in self._fetch_rows(wanted)}
            for seq, row_id in enumerate(wanted, first):
                info = by_id.get(row_id)
                if info is not None:
                    rows.append(self._make_row(row_id, seq, info))
                    self._remember(row_id, info)
        return rows, stop

    def _make_row(self, row_id: int, seq: int, info: Any) -> _Row:
        keys = tuple(col.key_of(info) for col in self.columns)
        text = "\t".join(col.display(info) for col in self.columns).casefold()
        return _Row(row_id, seq, keys, text)

    def _load(self, keep: int) -> tuple[list[int], list[_Row], int]:
        ids = list(self._load_ids())
        self._cache.clear()
        everything = self._sorting is not None or self.load_all
        rows, next_ = self._read(ids, 0, len(ids) if everything else keep)
        if self._sorting:
            rows = self._sorted(rows, *self._sorting)
        return ids, rows, next_

    def reload(self, *, keep_rows: bool = True) -> None:
        """Read ids and rows again (after a write). Keeps the rows shown so far fetched
        (``keep_rows``) and the current sort order; reads every row while sorted or
        while ``load_all`` is set."""
        keep = max(self.page_size, len(self._rows)) if keep_rows else self.page_size
        ids, rows, next_ = self._load(keep)  # read first: a failure leaves the model as it was
        self._changing = True
        try:
            self.beginResetModel()
            self._ids, self._rows, self._next = ids, rows, next_
            self.endResetModel()
        finally:
            self._changing = False

    def set_loader(self, load_ids: IdLoader) -> None:
        """Show another set of rows (e.g. the sources of another task)."""
        previous, self._load_ids = self._load_ids, load_ids
        try:
            self.reload(keep_rows=False)
        except BaseException:
            self._load_ids = previous  # still showing the previous rows
            raise

    # --- records -------------------------------------------------------------------------
    def id_at(self, row: int) -> int:
        return self._rows[row].id

    def row_of(self, row_id: int) -> int:
        """The row showing ``row_id``, or -1 if it is not fetched (or not in this pane)."""
        return next((i for i, r in enumerate(self._rows) if r.id == row_id), -1)

    def row_info(self, row: int) -> Any | None:
        """The info dataclass of a row; None if it was deleted since the pane loaded."""
        row_id = self._rows[row].id
        info = self._cache.get(row_id)
        if info is None:
            # Read the page around the row: a view paints neighbours next.
            start = row - row % self.page_size
            wanted = [r.id for r in self._rows[start : start + self.page_size]]
            found = {i.id: i for i in self._fetch_rows(wanted)}
            for other in wanted:
                self._remember(other, found.get(other, _GONE))
            info = self._cache[row_id]
        else:
            self._cache.move_to_end(row_id)
        return None if info is _GONE else info

    def _remember(self, row_id: int, info: Any) -> None:
        self._cache[row_id] = info
        self._cache.move_to_end(row_id)
        while len(self._cache) > self.cache_rows:
            self._cache.popitem(last=False)

    def search_text(self, row: int) -> str:
        """The row's cell texts, case-folded, as the quick filter searches them."""
        return self._rows[row].text

    def sort_key(self, row: int, column: int) -> Any:
        return self._rows[row].keys[column]

    # --- cells ---------------------------------------------------------------------------
    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        column = self.columns[index.column()]
        if role == SORT_ROLE:
            return self._rows[index.row()].keys[index.column()]
        if role == ID_ROLE:
            return self._rows[index.row()].id
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if column.numeric:
                return Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
            return None
        if role not in _INFO_ROLES:
            return None
        info = self.row_info(index.row())
        if info is None:
            gone = "(no longer in the workspace)"
            if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
                return gone if index.column() == 0 else ""
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return column.display(info)
        if role == Qt.ItemDataRole.ToolTipRole:
            return column.tooltip(info) if column.tooltip is not None else None
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return column.accessible_of(info)
        if role == Qt.ItemDataRole.DecorationRole and column.icon is not None:
            pixmap = column.icon(info)
            return self._icon(pixmap) if pixmap is not None else None
        return None

    def _icon(self, pixmap: QStyle.StandardPixmap) -> QIcon | None:
        if pixmap not in self._icons:
            app = QApplication.instance()
            if not isinstance(app, QApplication):
                return None  # no widget style without a QApplication
            self._icons[pixmap] = app.style().standardIcon(pixmap)
        return self._icons[pixmap]

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.columns):
            column = self.columns[section]
            if role == Qt.ItemDataRole.DisplayRole:
                return column.header
            if role == Qt.ItemDataRole.ToolTipRole:
                return column.header_tooltip or None
            if role == Qt.ItemDataRole.AccessibleTextRole:
                return column.header_tooltip or column.header
            return None
        return super().headerData(section, orientation, role)

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (
            Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemNeverHasChildren
        )

    def column_index(self, key: str) -> int:
        return next(i for i, col in enumerate(self.columns) if col.key == key)

    # --- sorting -------------------------------------------------------------------------
    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort by one column (-1: back to the loader's order). Fetches every row first."""
        self.sort_by([column] if column >= 0 else [], order)

    def sort_by(
        self, columns: Sequence[int], order: Qt.SortOrder = Qt.SortOrder.AscendingOrder
    ) -> None:
        """Sort by several columns in turn (e.g. priority then due date); ties keep the
        loader's order. An empty list restores the loader's order."""
        columns = tuple(columns)
        if not columns and self._sorting is None:
            return  # already in the loader's order: nothing to fetch or move
        if columns:
            self.fetch_all()
        self._sorting = (columns, order) if columns else None
        self._changing = True
        try:
            self.layoutAboutToBeChanged.emit()
            old_ids = [r.id for r in self._rows]
            self._rows = self._sorted(self._rows, columns, order)
            new_row = {r.id: i for i, r in enumerate(self._rows)}
            old = self.persistentIndexList()
            new = [self.index(new_row[old_ids[i.row()]], i.column()) for i in old]
            self.changePersistentIndexList(old, new)
            self.layoutChanged.emit()
        finally:
            self._changing = False

    @property
    def sorting(self) -> tuple[tuple[int, ...], Qt.SortOrder] | None:
        """The columns and order the rows are sorted by; None for the loader's order."""
        return self._sorting

    @staticmethod
    def _sorted(rows: list[_Row], columns: tuple[int, ...], order: Qt.SortOrder) -> list[_Row]:
        rows = sorted(rows, key=lambda r: r.seq)
        if not columns:
            return rows
        descending = order == Qt.SortOrder.DescendingOrder
        # sorted() is stable, in reverse too: equal keys keep the loader's order.
        return sorted(rows, key=lambda r: tuple(r.keys[c] for c in columns), reverse=descending)


_INFO_ROLES = frozenset(
    {
        Qt.ItemDataRole.DisplayRole,
        Qt.ItemDataRole.ToolTipRole,
        Qt.ItemDataRole.AccessibleTextRole,
        Qt.ItemDataRole.DecorationRole,
    }
)


class TaskScopedTableModel(LazyTableModel):
    """A pane whose rows belong to the selected task: subclasses say how to list the ids
    (``_list_ids``) and read the rows (``_read_rows``) of a task."""

    def __init__(
        self,
        ws: Any,
        task_id: int | None = None,
        *,
        include_archived: bool = False,
        page_size: int = 200,
        cache_rows: int = 2_000,
        parent: QObject | None = None,
    ) -> None:
        self.ws = ws
        self.task_id = task_id
        self.include_archived = include_archived
        super().__init__(
            self._ids_loader(),
            lambda ids: self._read_rows(ws, ids),
            page_size=page_size,
            cache_rows=cache_rows,
            parent=parent,
        )

    def _list_ids(self, ws: Any, task_id: int | None, include_archived: bool) -> list[int]:
        raise NotImplementedError

    def _read_rows(self, ws: Any, ids: list[int]) -> list[Any]:
        raise NotImplementedError

    def _ids_loader(self) -> Callable[[], list[int]]:
        ws, task_id, archived = self.ws, self.task_id, self.include_archived
        return lambda: self._list_ids(ws, task_id, archived)

    def set_task(self, task_id: int | None) -> None:
        """Show the rows of another task."""
        self.task_id = task_id
        self.set_loader(self._ids_loader())
