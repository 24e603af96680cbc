"""How a pane's rows are worked out: read (keys or full records), filtered and sorted.

Plain Python over plain data, no Qt object and no model state, so that ``compute`` can run
in a worker (``workers.run_op``) while the UI thread stays responsive; ``lazy`` decides
when, and applies the answer on the UI thread.

A ``Row`` is one flat tuple: (id, the cell texts case-folded as the quick filter searches
them, what a pane's own filters look at (usually None), then one sort key per column).
Not an object, and not a tuple holding a tuple of keys: Python's garbage collector stops
tracking a flat tuple of strings and numbers at its first collection, so 100 k rows add
nothing to later collections. As objects they did: every full collection walked them all,
in whichever thread it ran, holding the GIL (measured: UI-thread pauses of 40–200 ms).

The same care elsewhere here, each measured on 100 k sources:

- ``collector_paused``: while a worker makes rows, the cyclic collector is off (each chunk
  of records read would otherwise reach the oldest generation and trigger full
  collections: 15–20 pauses of 40–120 ms per 100 k rows); ``tidy`` untracks new rows as
  they come.
- ``sort_rows`` sorts long lists in runs merged by ``heapq.merge``: one C-level sort of
  100 k keys would hold the GIL, and so the UI thread, for its whole length.
- ``dispose`` frees big lists the model dropped a slice at a time in a worker (freed at
  once on the UI thread, 100 k rows cost 50–90 ms).
"""

from __future__ import annotations

import contextlib
import gc
import heapq
import operator
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import Qt

from toexdesk.ui import workers

READ_CHUNK = 2_000  # ids per read: bounds peak memory, how long a cancel or a writer waits
SORT_RUN = 20_000  # a worker sorts longer lists in runs of this many rows, then merges

Row = tuple
ID, TEXT, RECORD, KEYS = range(4)  # column c's sort key is row[KEYS + c]

IdLoader = Callable[[], Sequence[int]]
RowFetcher = Callable[[Sequence[int]], Sequence[Any]]
RowFilter = Callable[[str, Any], bool]  # (a row's text, its record) -> shown?
RowMaker = Callable[[int, Any], Row]  # (id, info or key record) -> Row
Sorting = tuple[tuple[int, ...], Qt.SortOrder]


def never_cancelled() -> None:
    return None


def read_rows(
    ids: Sequence[int],
    start: int,
    stop: int,
    fetch: RowFetcher,
    make_row: RowMaker,
    check: Callable[[], None] = never_cancelled,
    infos: dict[int, Any] | None = None,
) -> list[Row]:
    """Rows for ``ids[start:stop]``, read a chunk at a time (each chunk is its own short
    read transaction: a save waits for one chunk at most); ids whose record no longer
    exists are left out. The records read are put in ``infos`` when given."""
    rows: list[Row] = []
    for first in range(start, stop, READ_CHUNK):
        check()
        wanted = ids[first : min(stop, first + READ_CHUNK)]
        by_id = {info.id: info for info in fetch(wanted)}
        for row_id in wanted:
            info = by_id.get(row_id)
            if info is not None:
                rows.append(make_row(row_id, info))
                if infos is not None:
                    infos[row_id] = info
    return rows


def filter_rows(rows: list[Row], accept: RowFilter | None) -> list[Row]:
    if accept is None:
        return list(rows)
    return [r for r in rows if accept(r[TEXT], r[RECORD])]


def sort_rows(
    rows: list[Row],
    sorting: Sorting | None,
    check: Callable[[], None] = never_cancelled,
    run: int | None = None,
) -> list[Row]:
    """``rows`` (in the loader's order) sorted by the keys of some columns; ties keep the
    loader's order, descending too. With ``run``, longer lists are sorted in runs of that
    many rows and merged: the same order, without one long C-level sort."""
    if not sorting or not sorting[0]:
        return list(rows)
    columns, order = sorting
    key = operator.itemgetter(*(KEYS + c for c in columns))  # one key, or a tuple of them
    descending = order == Qt.SortOrder.DescendingOrder
    if run is None or len(rows) <= run:
        # sorted() is stable, in reverse too: equal keys keep the loader's order.
        return sorted(rows, key=key, reverse=descending)
    runs = []
    for i in range(0, len(rows), run):
        check()
        runs.append(sorted(rows[i : i + run], key=key, reverse=descending))
    # merge() is stable too: on equal keys, earlier runs (earlier rows) come first.
    return list(heapq.merge(*runs, key=key, reverse=descending))


@dataclass
class Plan:
    """A snapshot of what to compute, taken on the UI thread; see ``compute``."""

    token: int  # which request this answers; a newer request makes the answer stale
    view_gen: int  # the sort and filter asked for when the plan was made
    reset: bool  # another set of rows (another loader): a reset, not a layout change
    load_ids: IdLoader | None  # read the ids first (else ``ids``)
    ids: list[int]
    rows: list[Row]  # rows made so far, for ids[:next], in the loader's order
    next: int
    keep: int | None  # afterwards ids[:keep] have rows (None: every id)
    full: int  # read ids[:full] in full (the first page, which the view paints next)
    sorting: Sorting | None
    accept: RowFilter | None
    fetch_rows: RowFetcher
    fetch_keys: RowFetcher
    make_row: RowMaker
    in_worker: bool = False
    first_page: int = 0  # read the first rows shown in full too (the view paints them next)


@dataclass
class Result:
    plan: Plan
    ids: list[int]
    rows: list[Row]
    next: int
    shown: list[Row]
    infos: dict[int, Any] = field(default_factory=dict)  # full records read: for the cache
    where: dict[int, int] | None = None  # id -> shown row (worked out by workers)


def compute(plan: Plan, check: Callable[[], None] = never_cancelled) -> Result:
    """Read what the plan needs and work out the rows to show. ``check()`` is called
    between steps and raises ``Cancelled`` to stop."""
    ids = list(plan.load_ids()) if plan.load_ids is not None else plan.ids
    rows, next_ = plan.rows, plan.next
    stop = len(ids) if plan.keep is None else min(len(ids), max(plan.keep, next_))
    infos: dict[int, Any] = {}
    if next_ < stop:
        rows = list(rows)
        full = min(stop, plan.full)
        if next_ < full:
            rows += read_rows(ids, next_, full, plan.fetch_rows, plan.make_row, check, infos)
            next_ = full
        rows += read_rows(ids, next_, stop, plan.fetch_keys, plan.make_row, check)
        next_ = stop
    check()
    shown = filter_rows(rows, plan.accept)
    check()
    shown = sort_rows(shown, plan.sorting, check, SORT_RUN if plan.in_worker else None)
    if plan.first_page:
        check()
        unread = [r[ID] for r in shown[: plan.first_page] if r[ID] not in infos]
        if unread:
            infos.update((info.id, info) for info in plan.fetch_rows(unread))
    result = Result(plan, ids, rows, next_, shown, infos)
    if plan.in_worker:  # spare the UI thread a pass over every row when it applies this
        check()
        result.where = {r[ID]: n for n, r in enumerate(shown)}
    return result


# --- keeping the UI thread's share of the GIL short ---------------------------------------
_gc_lock = threading.Lock()
_gc_pausers = [0, False]  # workers in ``collector_paused``; whether gc was enabled before


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a worker makes rows (see the module
    docstring). Reference counting still frees everything the worker drops. Counted, so
    overlapping workers restore the collector once, and only if it was on."""
    with _gc_lock:
        if _gc_pausers[0] == 0:
            _gc_pausers[1] = gc.isenabled()
            gc.disable()
        _gc_pausers[0] += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pausers[0] -= 1
            if _gc_pausers[0] == 0 and _gc_pausers[1]:
                gc.enable()


def tidy() -> None:
    """A young collection (cheap: one chunk's objects) that untracks the rows just made.
    Without it, the first collection after the worker would walk all of them at once."""
    gc.collect(0)


def dispose(lists: list[list]) -> None:
    """Let a worker free big lists of rows a slice at a time, so that the UI thread gets
    the GIL in between."""
    if not lists:
        return

    def drop(_op: workers.OpContext) -> None:
        for rows in lists:
            while rows:
                del rows[-1_000:]

    workers.run_op(None, "", drop, on_failure=lambda exc: None, progress=False)
