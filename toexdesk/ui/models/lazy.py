"""A table model that loads ids up front and rows a page at a time, and sorts and filters
every row without stalling the UI thread.

Opening a pane over 100 k sources must not read 100 k rows: the model asks a service for
every id (one cheap query), reads the first page of rows, and reads more only when the view
asks (``canFetchMore``/``fetchMore``, i.e. when the user scrolls to the end).

For each row it has, the model keeps a ``rows.Row``: the row's sort key for every column,
its search text (the cell texts, case-folded) and, for panes whose filters need more, a
small record (``_record``). Those let it sort and filter without touching the database
again. The full records (which carry long free text: descriptions, research questions) are
kept in a small least-recently-used cache; a row whose record was dropped is read again
with the rows around it, in one query, when the view paints it.

Sorting and filtering happen here, not in a ``QSortFilterProxyModel``: such a proxy calls
Python from C++ once per row (``filterAcceptsRow``) or per comparison whenever it rebuilds
its mapping, which for 100 k rows costs a large fraction of a second on the UI thread. Here
the rows shown (``_rows``) are the rows read (``_all``) filtered, then sorted by their keys;
the proxy (``proxy.PaneProxy``) only says which filter applies.

Sorting, and filtering with ``complete`` (the default: a quick filter must not miss a match
on an unread page), need a row for every id. The old way read every full record on the UI
thread for that: ~9 s for 100 k sources. Now:

- *Keys, not records*: a keys service (``fetch_keys``, e.g. ``sources.source_keys``) reads
  only the short columns the cells show, for many ids in one query. A row is made from a
  key exactly as from a full record (same columns, same functions), so the order and the
  matches are the same. Without one, ``fetch_rows`` is used.
- *A worker*: when the pane has more than ``sync_rows`` ids, reading the missing keys and
  filtering and sorting every row run in one background operation (``workers.run_op``;
  ``rows.compute`` on a snapshot, ``rows.Plan``). ``busy`` says what is going on
  ("Sorting…") and ``busy_changed`` tells the pane. The rows shown stay as they are (a
  filter applies at once to the rows read so far) until the answer arrives, then change in
  one step on the UI thread: one ``layoutChanged``, which keeps persistent indexes (the
  selection) on their records, after a reload too; a reset only for another set of rows
  (``set_loader``). The worker also reads the answer's first page in full, so painting it
  reads nothing on the UI thread. Small panes still sort and filter at once, synchronously.

One operation runs at a time. A sort or filter asked for meanwhile is applied when it ends
(typing in the quick filter does not restart the reading on every key); a reload or another
loader cancels it, and an answer that a newer request made stale is dropped. Database reads
in a worker are safe: each service call opens its own session on a connection the engine's
pool (``QueuePool``) lends to one thread at a time; connections are opened with
``check_same_thread=False`` and SQLite is built thread-safe (``THREADSAFE=1``), as
``open_workspace`` in ``run_op`` already relies on. See ``rows`` for what keeps a worker
from holding the GIL, and so the UI thread, for long.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

import shiboken6
from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, Qt, Signal

from toexdesk.core.errors import Cancelled
from toexdesk.ui import workers
from toexdesk.ui.models import rows as work
from toexdesk.ui.models.cells import ID_ROLE, SORT_ROLE, ColumnTableModel
from toexdesk.ui.models.columns import Column
from toexdesk.ui.models.rows import ID, KEYS, TEXT, IdLoader, Row, RowFetcher, RowFilter

__all__ = ["ID_ROLE", "SORT_ROLE", "SYNC_ROWS", "LazyTableModel"]

_GONE = object()  # cached marker: the record was deleted after the ids were read
SYNC_ROWS = 2_000  # panes with up to this many rows sort and filter on the UI thread
SORTING, FILTERING, LOADING = "Sorting…", "Filtering…", "Loading…"
_Index = QModelIndex | QPersistentModelIndex


class LazyTableModel(ColumnTableModel):
    """Rows of one pane. ``load_ids()`` gives every id in display order;
    ``fetch_rows(ids)`` gives their info dataclasses (each with an ``id``) in that order,
    leaving out ids that no longer exist; ``fetch_keys(ids)`` likewise gives light records
    with the attributes the columns' ``display`` and ``sort_key`` read (default:
    ``fetch_rows``). With more than ``sync_rows`` ids, the pane sorts, filters and reloads
    in the background."""

    busy_changed = Signal(str)  # what the model is doing in the background; "" when done

    def __init__(
        self,
        load_ids: IdLoader,
        fetch_rows: RowFetcher,
        *,
        fetch_keys: RowFetcher | None = None,
        columns: Sequence[Column] | None = None,
        page_size: int = 200,
        cache_rows: int = 2_000,
        sync_rows: int = SYNC_ROWS,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(columns, parent)
        self.page_size = max(1, page_size)
        self.cache_rows = max(cache_rows, self.page_size)
        self.sync_rows = sync_rows
        self._load_ids = load_ids
        self._fetch_rows = fetch_rows
        self._fetch_keys = fetch_keys or fetch_rows
        self._cache: OrderedDict[int, Any] = OrderedDict()
        self._changing = False
        # What is asked for: the sort, the filter (a function making the row filter, so
        # that it is evaluated afresh, e.g. "overdue" against today), and a reload.
        self._sorting: work.Sorting | None = None
        self._make_filter: Callable[[], RowFilter | None] | None = None
        self._complete = True
        self._reload_keep: int | None = None  # a reload asked for and not yet shown
        self._view_gen = 0
        # The background operation, if one runs, and the token its answer must carry.
        self._op: workers.Operation | None = None
        self._op_reloads = False
        self._token = 0
        self._busy = ""
        self._label = SORTING
        first = work.compute(self._plan(ids=list(load_ids()), keep=self.page_size))
        self._ids, self._all, self._next = first.ids, first.rows, first.next
        self._rows: list[Row] = first.shown
        for row_id, info in first.infos.items():
            self._remember(row_id, info)

    # --- sizes ---------------------------------------------------------------------------
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() else len(self._rows)

    @property
    def total(self) -> int:
        """How many rows the pane has, shown, filtered out or not read yet (ids that
        vanished since aside)."""
        return len(self._all) + len(self._ids) - self._next

    @property
    def fetched(self) -> int:
        """How many rows the model has read so far (shown or filtered out)."""
        return len(self._all)

    @property
    def busy(self) -> str:
        """What runs in the background ("Sorting…", "Filtering…", "Loading…"), or ""."""
        return self._busy

    # --- lazy loading --------------------------------------------------------------------
    def canFetchMore(self, parent: _Index = QModelIndex()) -> bool:  # noqa: B008
        # Not in the middle of a change: a view (or the model tester) reacting to an insert
        # or a reset must not fetch the next page into it. Not while an answer is on its
        # way or while sorted (every row is read then, or is being read).
        return (
            not parent.isValid()
            and not self._changing
            and self._op is None
            and self._reload_keep is None
            and not self._needs_all()
            and self._next < len(self._ids)
        )

    def fetchMore(self, parent: _Index = QModelIndex()) -> None:  # noqa: B008
        if self.canFetchMore(parent):
            self._append(self.page_size, full=True)

    def fetch_all(self) -> None:
        """Make a row for every id now, on this thread, finishing any background work."""
        if self._changing:
            return
        if self.canFetchMore():
            self._append(len(self._ids) - self._next, full=False)
        elif self._op is not None or self._next < len(self._ids):
            self._cancel_op()
            self._apply(work.compute(self._current_plan(everything=True)))
            self._set_busy("")

    def _append(self, count: int, *, full: bool) -> None:
        stop = min(len(self._ids), self._next + count)
        infos: dict[int, Any] = {}
        fetch = self._fetch_rows if full else self._fetch_keys
        new = work.read_rows(self._ids, self._next, stop, fetch, self._make_row, infos=infos)
        self._next = stop
        self._all.extend(new)
        if full:
            for row_id, info in infos.items():
                self._remember(row_id, info)
        shown = work.filter_rows(new, self._make_filter() if self._make_filter else None)
        if shown:
            self._changing = True
            try:
                first = len(self._rows)
                self.beginInsertRows(QModelIndex(), first, first + len(shown) - 1)
                self._rows.extend(shown)
                self.endInsertRows()
            finally:
                self._changing = False

    def _make_row(self, row_id: int, info: Any) -> Row:
        # Runs in workers too: columns read only the info dataclass (no Qt, no session).
        text = "\t".join(col.display(info) for col in self.columns).casefold()
        return (row_id, text, self._record(info), *(col.key_of(info) for col in self.columns))

    def _record(self, info: Any) -> Any:
        """What a row keeps for filters beyond the quick filter (none by default)."""
        return None

    # --- what is asked for ---------------------------------------------------------------
    def _needs_all(self) -> bool:
        return self._sorting is not None or (self._make_filter is not None and self._complete)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort by one column (-1: back to the loader's order)."""
        self.sort_by([column] if column >= 0 else [], order)

    def sort_by(
        self, columns: Sequence[int], order: Qt.SortOrder = Qt.SortOrder.AscendingOrder
    ) -> None:
        """Sort by several columns in turn (e.g. priority then due date); ties keep the
        loader's order. An empty list restores the loader's order. A big pane sorts in the
        background (see ``busy``); the rows move when the answer arrives."""
        columns = tuple(columns)
        sorting = (columns, order) if columns else None
        if sorting == self._sorting:
            return  # already in (or on its way to) this order
        self._sorting = sorting
        self._view_gen += 1
        self._update(SORTING)

    @property
    def sorting(self) -> work.Sorting | None:
        """The columns and order asked for (the rows follow when ``busy`` is over); None
        for the loader's order."""
        return self._sorting

    def set_row_filter(
        self, make_filter: Callable[[], RowFilter | None] | None, *, complete: bool = True
    ) -> None:
        """Show only the rows ``make_filter()`` accepts (None: every row). The function is
        called on the UI thread whenever the rows are worked out; the filter it returns gets
        a row's text and record and must read nothing else (it may run in a worker).
        ``complete``: read every row first, so no match waits on an unread page; otherwise
        filter the rows read so far and each page as it arrives."""
        if make_filter is None and self._make_filter is None:
            return  # no filter before, none now
        self._make_filter = make_filter
        self._complete = complete
        self._view_gen += 1
        self._update(FILTERING, interim=True)

    def reload(self, *, keep_rows: bool = True) -> None:
        """Read ids and rows again (after a write). Keeps the rows read so far (``keep_rows``)
        and the sort and filter; a big sorted or filtered pane reloads in the background."""
        self._reload_keep = max(self.page_size, len(self._all)) if keep_rows else self.page_size
        self._cancel_op()  # what it computes is about to be out of date
        try:
            self._update(LOADING)
        except BaseException:
            self._reload_keep = None  # read first: a failure leaves the model as it was
            raise

    def set_loader(self, load_ids: IdLoader) -> None:
        """Show another set of rows (e.g. the sources of another task). The ids are read at
        once, as on opening; every row's keys, when sorted or filtered, maybe not."""
        ids = list(load_ids())  # read first: a failure leaves the model as it was
        self._load_ids = load_ids
        self._reload_keep = None
        self._cancel_op()
        plan = self._plan(ids=ids, keep=self.page_size, reset=True)
        if self._small(plan, len(ids)):
            self._apply(work.compute(plan))
            self._set_busy("")
            return
        # Show the new set at once (its count, no rows yet); the rows follow.
        self._apply(work.Result(plan, ids, [], 0, []))
        plan = self._current_plan()
        plan.reset = True
        self._start(plan, self._label)

    # --- working it out ------------------------------------------------------------------
    def _plan(
        self,
        *,
        ids: list[int] | None = None,
        keep: int | None = None,
        reset: bool = False,
        everything: bool = False,
    ) -> work.Plan:
        """A plan over fresh ``ids`` (or reading them when None), from no rows."""
        self._token += 1
        accept = self._make_filter() if self._make_filter is not None else None
        return work.Plan(
            token=self._token,
            view_gen=self._view_gen,
            reset=reset,
            load_ids=self._load_ids if ids is None else None,
            ids=ids or [],
            rows=[],
            next=0,
            keep=None if everything or self._needs_all() else keep,
            full=self.page_size,
            sorting=self._sorting,
            accept=accept,
            fetch_rows=self._fetch_rows,
            fetch_keys=self._fetch_keys,
            make_row=self._make_row,
        )

    def _current_plan(self, *, everything: bool = False) -> work.Plan:
        """The plan that brings the rows in line with what is asked for now."""
        if self._reload_keep is not None:
            return self._plan(keep=self._reload_keep, everything=everything)
        plan = self._plan(ids=self._ids, keep=self._next, everything=everything)
        plan.rows, plan.next, plan.full = self._all, self._next, 0
        return plan

    def _small(self, plan: work.Plan, size: int) -> bool:
        """Whether the plan is quick enough for the UI thread: it reads, filters or sorts
        at most ``sync_rows`` rows (a plan that reads the ids again: the pane is that
        small, ``size`` being its current size)."""
        if plan.load_ids is not None:
            return size <= self.sync_rows
        stop = len(plan.ids) if plan.keep is None else min(len(plan.ids), plan.keep)
        reads = max(0, stop - plan.next)
        # Showing every row in the loader's order needs no work per row.
        worked = max(stop, plan.next) if plan.accept is not None or plan.sorting else 0
        return reads <= self.sync_rows and worked <= self.sync_rows

    def _update(self, label: str, *, interim: bool = False) -> None:
        """Bring the rows in line with what is asked for: at once when that is quick,
        else in the background. ``interim``: meanwhile filter the rows read so far, if
        that is quick (the rows the user sees react to typing at once)."""
        self._label = label
        if self._op is not None:
            if self._op_reloads or self._needs_all():
                # Let it run: its answer is applied, then this request (``_finished``).
                self._set_busy(label)
                return
            self._cancel_op()  # it reads rows no longer needed
        plan = self._current_plan()
        if self._small(plan, len(self._ids)):
            self._apply(work.compute(plan))
            self._set_busy("")
            return
        if interim and plan.load_ids is None and len(self._all) <= self.sync_rows:
            shown = work.filter_rows(self._all, plan.accept)
            partial = work.Result(plan, self._ids, self._all, self._next, [])
            partial.shown = work.sort_rows(shown, plan.sorting)
            self._set_busy(label)
            self._apply(partial)
        self._start(plan, label)

    def _start(self, plan: work.Plan, label: str) -> None:
        plan.in_worker = True
        plan.first_page = self.page_size  # painting the answer then reads nothing here
        token = plan.token
        self._op_reloads = plan.reset or plan.load_ids is not None
        self._set_busy(label)

        def run(op: workers.OpContext) -> work.Result:
            def check() -> None:  # between two steps of the work
                if op.cancelled():
                    raise Cancelled("superseded")
                work.tidy()

            with work.collector_paused():
                return work.compute(plan, check)

        self._op = workers.run_op(
            None,
            label,
            run,
            self._finished,
            lambda exc: self._failed(token, exc),
            progress=False,
        )

    def _cancel_op(self) -> None:
        if self._op is not None:
            self._op.cancel()
            self._op = None
        self._token += 1  # whatever is on its way is now stale

    def _finished(self, result: work.Result) -> None:
        if not shiboken6.isValid(self) or result.plan.token != self._token:
            return  # superseded (or the model is gone)
        self._op = None
        self._apply(result)
        if result.plan.view_gen != self._view_gen:
            self._update(self._label)  # asked for while this one ran
        else:
            self._set_busy("")

    def _failed(self, token: int, exc: BaseException) -> None:
        if not shiboken6.isValid(self) or token != self._token:
            return
        self._op = None
        self._set_busy("")
        if isinstance(exc, Cancelled):
            return
        # The rows stay as they were; the next sort, filter or reload tries again.
        self._report_failure(exc)

    def _report_failure(self, exc: BaseException) -> None:
        workers.show_failure(None, exc)

    def _set_busy(self, label: str) -> None:
        if label != self._busy:
            self._busy = label
            self.busy_changed.emit(label)

    def _apply(self, result: work.Result) -> None:
        """Show the answer: one reset for another set of rows, else one layout change that
        keeps persistent indexes (the selection) on their records, after a reload too."""
        plan = result.plan
        if plan.load_ids is not None:
            self._reload_keep = None
        dropped = [old for old in (self._ids, self._all, self._rows) if len(old) > self.sync_rows]
        self._changing = True
        try:
            if plan.reset:
                self.beginResetModel()
                self._ids, self._all, self._next = result.ids, result.rows, result.next
                self._rows = result.shown
                self._cache.clear()
                self.endResetModel()
            else:
                self.layoutAboutToBeChanged.emit()
                old = self.persistentIndexList()
                old_ids = [self._rows[i.row()][ID] for i in old]
                self._ids, self._all, self._next = result.ids, result.rows, result.next
                self._rows = result.shown
                if plan.load_ids is not None:
                    self._cache.clear()  # a reload must show what was written
                where = result.where
                if where is None:
                    wanted = set(old_ids)
                    where = {r[ID]: n for n, r in enumerate(self._rows) if r[ID] in wanted}
                new = [
                    self.index(where[row_id], i.column()) if row_id in where else QModelIndex()
                    for i, row_id in zip(old, old_ids, strict=True)
                ]
                self.changePersistentIndexList(old, new)
                self.layoutChanged.emit()
        finally:
            self._changing = False
        for row_id, info in result.infos.items():
            self._remember(row_id, info)
        kept = (self._ids, self._all, self._rows)
        work.dispose([old for old in dropped if not any(old is new for new in kept)])

    # --- records -------------------------------------------------------------------------
    def id_at(self, row: int) -> int:
        return self._rows[row][ID]

    def shown_ids(self) -> list[int]:
        """The ids shown, in order."""
        return [r[ID] for r in self._rows]

    def row_of(self, row_id: int) -> int:
        """The row showing ``row_id``, or -1 if it is not shown (or not read yet)."""
        return next((i for i, r in enumerate(self._rows) if r[ID] == row_id), -1)

    def row_info(self, row: int) -> Any | None:
        """The info dataclass of a row; None if it was deleted since the pane loaded."""
        row_id = self._rows[row][ID]
        info = self._cache.get(row_id)
        if info is None:
            # Read the page around the row: a view paints neighbours next.
            start = row - row % self.page_size
            wanted = [r[ID] for r in self._rows[start : start + self.page_size]]
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
        return self._rows[row][TEXT]

    def sort_key(self, row: int, column: int) -> Any:
        return self._rows[row][KEYS + column]
