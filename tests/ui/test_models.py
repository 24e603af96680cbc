"""The pane table models over real workspaces: texts, lazy loading, sorting, filtering."""

from __future__ import annotations

import datetime as dt
import random
import re
import shutil
import threading

import pytest
from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    Qt,
    qInstallMessageHandler,
)
from PySide6.QtGui import QIcon
from PySide6.QtTest import QAbstractItemModelTester
from PySide6.QtWidgets import QTableView
from sqlalchemy import func, select

from tests.conftest import ANALYST, PASSPHRASE
from toexdesk.core.enums import Priority, TaskStatus, Thematic
from toexdesk.core.model import AuditEvent
from toexdesk.core.services import findings, sources, tasks
from toexdesk.core.store.engine import create_workspace, open_workspace, session_scope
from toexdesk.ui import workers
from toexdesk.ui.models import (
    ID_ROLE,
    SORT_ROLE,
    FindingTableModel,
    PaneProxy,
    SourceTableModel,
    TaskFilterProxy,
    TaskTableModel,
)
from toexdesk.ui.models import rows as pane_rows
from toexdesk.ui.models.sources import COLUMNS as SOURCE_COLUMNS

DISPLAY = Qt.ItemDataRole.DisplayRole
TOOLTIP = Qt.ItemDataRole.ToolTipRole
ACCESSIBLE = Qt.ItemDataRole.AccessibleTextRole
DECORATION = Qt.ItemDataRole.DecorationRole
BIG = 5_000
MARKED = 150  # every 150th source of the big workspace has "marker" in its title


# --- helpers ------------------------------------------------------------------------------
@pytest.fixture
def checked(qapp, qtlog):
    """Attach Qt's QAbstractItemModelTester to models; fail the test on any complaint.

    The tester stays attached, so it also checks every signal the test provokes (fetchMore,
    sorting, filtering, resets). It calls fetchMore itself after each change, so tests that
    count pages leave it out."""
    testers = []

    def attach(model):
        mode = QAbstractItemModelTester.FailureReportingMode.Warning
        testers.append(QAbstractItemModelTester(model, mode))
        return model

    yield attach
    failures = [r.message for r in qtlog.records if "FAIL" in r.message]
    assert failures == []


def texts(model, column: int) -> list[str]:
    return [model.data(model.index(row, column), DISPLAY) for row in range(model.rowCount())]


def col(model, key: str) -> int:
    lazy = model.lazy if isinstance(model, PaneProxy) else model
    return lazy.column_index(key)


def audit_count(ws) -> int:
    with session_scope(ws, write=False) as s:
        return s.scalar(select(func.count()).select_from(AuditEvent))


def source_draft(n: int, **changes) -> sources.SourceDraft:
    values = {
        "title": f"Open source item {n:05d}" + (" marker" if n % MARKED == 0 else ""),
        "source_type": "open_source",
        "evaluation": "2",
        "assessment": "C",
        "handling": "P",
    }
    return sources.SourceDraft(**{**values, **changes})


@pytest.fixture(scope="module")
def _big_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("big") / "big.toex"
    with create_workspace(path, PASSPHRASE, ANALYST) as ws:
        task = tasks.create_task(ws, tasks.TaskDraft("Bulk import", "DS Example", "ocg"))
        sources.create_sources(ws, task.id, (source_draft(n) for n in range(1, BIG + 1)))
    return path


@pytest.fixture
def big_ws(_big_template, tmp_path):
    """A workspace with one task holding 5,000 sources."""
    path = tmp_path / "big.toex"
    shutil.copyfile(_big_template, path)
    ws = open_workspace(path, PASSPHRASE)
    yield ws
    ws.close()


class CountingRows:
    """Wraps a row-fetch service to record each call's ids, and the thread it ran on."""

    def __init__(self, fn):
        self.fn = fn
        self.calls: list[list[int]] = []
        self.threads: list[int] = []

    def __call__(self, ws, ids):
        self.calls.append(list(ids))
        self.threads.append(threading.get_ident())
        return self.fn(ws, ids)

    def ids_read_on(self, thread: int) -> int:
        return sum(len(c) for c, t in zip(self.calls, self.threads, strict=True) if t == thread)


def settle(qtbot, model, timeout: int = 20_000) -> None:
    """Wait until a big pane's background sort, filter or reload has been applied."""
    qtbot.waitUntil(lambda: not model.busy, timeout=timeout)


# --- the services the models read ---------------------------------------------------------
def test_row_services_match_the_full_lists_in_the_order_asked(demo_ws):
    ids = tasks.task_ids(demo_ws)
    assert tasks.task_rows(demo_ws, ids[::-1]) == tasks.list_tasks(demo_ws)[::-1]
    assert sources.source_rows(demo_ws, sources.list_source_ids(demo_ws)) == (
        sources.list_sources(demo_ws)
    )
    for task_id in ids:
        assert sources.list_source_ids(demo_ws, task_id) == [
            s.id for s in sources.list_sources(demo_ws, task_id)
        ]
        assert findings.finding_rows(demo_ws, findings.finding_ids(demo_ws, task_id)) == (
            findings.list_findings(demo_ws, task_id)
        )


def test_row_services_leave_out_ids_that_no_longer_exist(demo_ws):
    ids = sources.list_source_ids(demo_ws)[:3]
    assert [s.id for s in sources.source_rows(demo_ws, [ids[0], 999_999, ids[2]])] == [
        ids[0],
        ids[2],
    ]
    assert tasks.task_rows(demo_ws, [999_999]) == []
    assert findings.finding_rows(demo_ws, []) == []


def test_key_services_give_every_column_the_text_and_sort_key_of_the_full_rows(demo_ws, qapp):
    # Sorting and filtering a big pane read keys instead of rows: same order, same matches.
    ids = sources.list_source_ids(demo_ws)
    keys = sources.source_keys(demo_ws, ids)
    assert [k.id for k in keys] == ids
    for info, key in zip(sources.source_rows(demo_ws, ids), keys, strict=True):
        for column in SOURCE_COLUMNS:
            assert (column.display(key), column.key_of(key)) == (
                column.display(info),
                column.key_of(info),
            )
    infos = tasks.list_tasks(demo_ws)
    task_keys = tasks.task_keys(demo_ws, [t.id for t in infos])
    assert task_keys == [tasks.TaskKey.of(t) for t in infos]
    for offset in (-40, -3, 0, 2, 30):  # overdue and due-soon words in the due column
        today = dt.date.today() + dt.timedelta(days=offset)
        model = TaskTableModel(demo_ws, today=lambda today=today: today)
        for info, key in zip(infos, task_keys, strict=True):
            assert key.is_overdue(today) == info.is_overdue(today)
            assert key.is_due_soon(today) == info.is_due_soon(today)
            for column in model.columns:
                assert (column.display(key), column.key_of(key)) == (
                    column.display(info),
                    column.key_of(info),
                )


def test_key_services_keep_the_order_asked_and_leave_out_missing_ids(demo_ws):
    ids = sources.list_source_ids(demo_ws)[:3]
    asked = [ids[2], 999_999, ids[0]]
    assert [k.id for k in sources.source_keys(demo_ws, asked)] == [ids[2], ids[0]]
    assert sources.source_keys(demo_ws, []) == tasks.task_keys(demo_ws, []) == []
    task_ids = tasks.task_ids(demo_ws)
    assert [k.id for k in tasks.task_keys(demo_ws, [*task_ids[::-1], 999_999])] == task_ids[::-1]


def test_listing_rows_writes_no_audit_event(demo_ws, qapp):
    before = audit_count(demo_ws)
    for model in (TaskTableModel(demo_ws), SourceTableModel(demo_ws)):
        model.fetch_all()
        texts(model, 1)
    FindingTableModel(demo_ws, tasks.task_ids(demo_ws)[0])
    assert audit_count(demo_ws) == before


def test_archived_records_stay_out_of_the_ids_unless_asked(demo_ws):
    first = sources.list_source_ids(demo_ws)[0]
    sources.archive_source(demo_ws, first)
    assert first not in sources.list_source_ids(demo_ws)
    assert first in sources.list_source_ids(demo_ws, include_archived=True)


# --- tasks --------------------------------------------------------------------------------
def test_task_model_lists_every_task_with_its_columns(demo_ws, checked):
    model = checked(TaskTableModel(demo_ws))
    assert model.rowCount() == 8
    assert not model.canFetchMore(QModelIndex())
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(8)]
    assert headers == [
        "Reference",
        "Title",
        "Requester",
        "Thematic",
        "Priority",
        "Due",
        "Status",
        "Marking",
    ]
    infos = tasks.list_tasks(demo_ws)
    assert texts(model, 0) == [t.reference for t in infos]
    assert texts(model, 1) == [t.title for t in infos]
    assert texts(model, 3) == [t.thematic.label for t in infos]
    assert texts(model, 4) == [t.priority.code for t in infos]
    assert texts(model, 6) == [t.status.label for t in infos]
    assert texts(model, 7) == [t.marking.label for t in infos]
    assert [model.data(model.index(r, 0), ID_ROLE) for r in range(8)] == [t.id for t in infos]
    assert model.data(model.index(0, 4), TOOLTIP) == infos[0].priority.label


def test_due_column_says_overdue_and_due_soon_in_words_with_an_icon(demo_ws, checked):
    today = dt.date.today()
    model = checked(TaskTableModel(demo_ws, today=lambda: today))
    due = col(model, "due")
    seen = set()
    for row in range(model.rowCount()):
        info = model.row_info(row)
        text = model.data(model.index(row, due), DISPLAY)
        icon = model.data(model.index(row, due), DECORATION)
        spoken = model.data(model.index(row, due), ACCESSIBLE)
        if info.is_overdue(today):
            days = (today - info.due_date).days
            assert text == f"{info.due_date.isoformat()} · Overdue"
            assert model.data(model.index(row, due), TOOLTIP).startswith(f"Overdue by {days} day")
            assert "Overdue" in spoken
            seen.add("overdue")
        elif info.is_due_soon(today):
            assert text == f"{info.due_date.isoformat()} · Due soon"
            assert spoken.startswith("Due: Due ")
            seen.add("soon")
        else:
            assert text == info.due_date.isoformat()
            assert icon is None
            continue
        assert isinstance(icon, QIcon) and not icon.isNull()
    assert seen == {"overdue", "soon"}  # the demo has both


def test_closed_tasks_are_never_overdue(demo_ws, qapp):
    done = next(t for t in tasks.list_tasks(demo_ws) if t.status is TaskStatus.COMPLETED)
    later = done.due_date + dt.timedelta(days=30)
    model = TaskTableModel(demo_ws, today=lambda: later)
    row = model.row_of(done.id)
    assert model.data(model.index(row, col(model, "due")), DISPLAY) == done.due_date.isoformat()
    assert model.data(model.index(row, col(model, "due")), DECORATION) is None
    assert "completed" in model.data(model.index(row, col(model, "due")), TOOLTIP)


def test_task_filters_by_status_priority_thematic_and_overdue(demo_ws, checked):
    today = dt.date.today()
    model = checked(TaskTableModel(demo_ws, today=lambda: today))
    proxy = checked(TaskFilterProxy())  # takes today from the model
    proxy.setSourceModel(model)
    infos = tasks.list_tasks(demo_ws)

    proxy.set_open_only()
    assert proxy.ids() == [t.id for t in infos if t.status.is_open]
    proxy.set_statuses(None)
    proxy.set_priorities([Priority.P1, Priority.P2])
    assert proxy.ids() == [t.id for t in infos if t.priority in (Priority.P1, Priority.P2)]
    proxy.set_priorities(None)
    proxy.set_thematics([Thematic.COUNTY_LINES])
    assert proxy.ids() == [t.id for t in infos if t.thematic is Thematic.COUNTY_LINES]
    proxy.set_thematics(None)
    proxy.set_overdue_only(True)
    overdue = [t.id for t in infos if t.is_overdue(today)]
    assert overdue and proxy.ids() == overdue
    proxy.set_quick_filter("OVERDUE")  # the words shown in the due column are searchable
    assert proxy.ids() == overdue
    proxy.clear_filters()
    assert proxy.rowCount() == 8 and not proxy.is_filtering()


def test_my_queue_puts_priority_first_then_the_soonest_due_date(demo_ws, checked):
    model = checked(TaskTableModel(demo_ws))
    proxy = checked(TaskFilterProxy())
    proxy.setSourceModel(model)
    proxy.set_my_queue()
    assert proxy.is_my_queue()
    queue = sorted(
        tasks.list_tasks(demo_ws),
        key=lambda t: (t.priority.code, t.due_date or dt.date.max, t.reference),
    )
    assert proxy.ids() == [t.id for t in queue]
    proxy.set_my_queue(False)
    assert proxy.ids() == tasks.task_ids(demo_ws)


def test_reload_shows_a_service_write_and_keeps_the_sort(demo_ws, checked):
    model = checked(TaskTableModel(demo_ws))
    proxy = checked(TaskFilterProxy())
    proxy.setSourceModel(model)
    proxy.sort(col(model, "title"), Qt.SortOrder.DescendingOrder)
    new = tasks.create_task(demo_ws, tasks.TaskDraft("Zzz newest request", "DS New", "other"))
    assert model.row_of(new.id) == -1
    model.reload()
    assert proxy.rowCount() == 9 and proxy.id_at(0) == new.id  # "Zzz" first, descending
    tasks.update_task(demo_ws, new.id, title="Aaa renamed request")
    model.reload()
    titles = texts(proxy, col(model, "title"))
    assert titles == sorted(titles, key=str.casefold, reverse=True)
    assert proxy.data(proxy.index(proxy.ids().index(new.id), 1)) == "Aaa renamed request"


# --- sources ------------------------------------------------------------------------------
def test_source_model_shows_grading_as_1_b_p_with_the_official_words(demo_ws, checked):
    model = checked(SourceTableModel(demo_ws))
    assert model.rowCount() == 60 and not model.canFetchMore(QModelIndex())
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert headers == ["Ref.", "Title", "Type", "Grading", "Marking", "Obtained", "Attachments"]
    grading = col(model, "grading")
    infos = sources.list_sources(demo_ws)
    assert texts(model, grading) == [s.grading for s in infos]
    assert all(re.fullmatch(r"[123]/[A-E]/[PC]", g) for g in texts(model, grading))
    assert texts(model, 0) == [f"{s.task_reference}/S{s.number}" for s in infos]
    assert texts(model, col(model, "type")) == [s.source_type.label for s in infos]
    assert texts(model, col(model, "obtained")) == [
        s.obtained_on.isoformat() if s.obtained_on else "" for s in infos
    ]
    for row, src in enumerate(infos):
        tip = model.data(model.index(row, grading), TOOLTIP)
        assert f"Source evaluation {src.evaluation.code}: {src.evaluation.label}" in tip
        assert f"Intelligence assessment {src.assessment.code}: {src.assessment.label}" in tip
        assert f"Handling code {src.handling.code}: {src.handling.label}" in tip
        spoken = model.data(model.index(row, grading), ACCESSIBLE)
        assert spoken.startswith(f"Grading {src.grading}: {src.evaluation.label}")


def test_user_text_in_a_tooltip_is_shown_literally(ws, qapp):
    task = tasks.create_task(ws, tasks.TaskDraft("T", "R", "other"))
    sources.create_source(
        ws,
        task.id,
        source_draft(1, title="<b>bold</b> & co", handling="C", handling_conditions="<i>"),
    )
    model = SourceTableModel(ws, task.id)
    assert model.data(model.index(0, 1), DISPLAY) == "<b>bold</b> & co"
    assert model.data(model.index(0, 1), TOOLTIP) == "<qt>&lt;b&gt;bold&lt;/b&gt; &amp; co</qt>"
    assert "Conditions: &lt;i&gt;" in model.data(model.index(0, col(model, "grading")), TOOLTIP)


def test_attachments_column_counts_each_sources_attachments(ws, qapp, monkeypatch, tmp_path):
    from toexdesk.core.services import capture

    task = tasks.create_task(ws, tasks.TaskDraft("T", "R", "other"))
    sources.create_sources(ws, task.id, [source_draft(1), source_draft(2)])
    first = sources.list_source_ids(ws, task.id)[0]
    files = []
    for name, body in (("a.txt", "first file"), ("b.txt", "second file")):
        (tmp_path / name).write_text(body, encoding="utf-8")
        files.append(tmp_path / name)
    assert all(r.ok for r in capture.capture_files(ws, first, files))
    model = SourceTableModel(ws, task.id)
    column = col(model, "attachments")
    assert texts(model, column) == ["2", "0"]
    assert model.data(model.index(0, column), ACCESSIBLE) == "2 attachments"
    assert model.data(model.index(0, column), SORT_ROLE) == 2
    ids = sources.list_source_ids(ws, task.id)
    assert [k.attachment_count for k in sources.source_keys(ws, ids)] == [2, 0]
    monkeypatch.setattr(sources, "KEYS_SCAN_ATTACHMENTS", 1)  # many ids: count them all at once
    assert [k.attachment_count for k in sources.source_keys(ws, ids)] == [2, 0]


def test_source_model_follows_the_selected_task(demo_ws, checked):
    model = checked(SourceTableModel(demo_ws))
    for task_id in tasks.task_ids(demo_ws):
        model.set_task(task_id)
        assert [model.id_at(r) for r in range(model.rowCount())] == (
            sources.list_source_ids(demo_ws, task_id)
        )
    model.set_task(None)
    assert model.rowCount() == 60


def test_quick_filter_matches_every_word_in_any_column_ignoring_case(demo_ws, checked):
    model = checked(SourceTableModel(demo_ws))
    proxy = checked(PaneProxy())
    proxy.setSourceModel(model)
    infos = sources.list_sources(demo_ws)
    word = infos[0].title.split()[0]
    proxy.set_quick_filter(f"  {word.upper()}  ")
    expected = [s.id for s in infos if word.casefold() in s.title.casefold()]
    hits = [
        s.id
        for s in infos
        if word.casefold()
        in " ".join((s.title, s.source_type.label, s.marking.label, s.task_reference)).casefold()
    ]
    assert expected and set(expected) <= set(proxy.ids()) <= set(hits)
    proxy.set_quick_filter(f"{infos[0].grading} {infos[0].task_reference}")
    assert proxy.ids() == [
        s.id
        for s in infos
        if s.grading == infos[0].grading and s.task_reference == infos[0].task_reference
    ]
    proxy.set_quick_filter("no such words anywhere")
    assert proxy.rowCount() == 0
    task_id = tasks.task_ids(demo_ws)[0]
    model.set_task(task_id)
    assert proxy.rowCount() == 0
    proxy.set_quick_filter("")
    assert proxy.ids() == sources.list_source_ids(demo_ws, task_id)


# --- findings -----------------------------------------------------------------------------
def test_finding_model_shows_text_phia_linked_sources_and_marking(demo_ws, checked):
    task_id = next(t.id for t in tasks.list_tasks(demo_ws) if t.finding_count)
    model = checked(FindingTableModel(demo_ws, task_id))
    infos = findings.list_findings(demo_ws, task_id)
    assert model.rowCount() == len(infos)
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert headers == ["No.", "Finding", "Probability", "Sources", "Marking"]
    assert texts(model, 1) == [" ".join(f.text.split()) for f in infos]
    assert texts(model, 2) == [f.phia.label for f in infos]
    assert texts(model, 3) == [str(len(f.citations)) for f in infos]
    assert texts(model, 4) == [f.marking.label for f in infos]
    tip = model.data(model.index(0, 2), TOOLTIP)
    assert tip == f"{infos[0].phia.label} ({infos[0].phia.range_text})" and "%" in tip
    assert infos[0].citations[0].text in model.data(model.index(0, 3), TOOLTIP)


def test_finding_model_without_a_task_is_empty_until_one_is_chosen(demo_ws, checked):
    model = checked(FindingTableModel(demo_ws))
    assert model.rowCount() == 0
    task_id = next(t.id for t in tasks.list_tasks(demo_ws) if t.finding_count)
    model.set_task(task_id)
    assert model.rowCount() == len(findings.finding_ids(demo_ws, task_id))


def test_sorting_findings_by_phia_orders_by_probability(demo_ws, checked):
    task_id = max(tasks.list_tasks(demo_ws), key=lambda t: t.finding_count).id
    model = checked(FindingTableModel(demo_ws, task_id))
    proxy = checked(PaneProxy())
    proxy.setSourceModel(model)
    proxy.sort(col(model, "phia"), Qt.SortOrder.DescendingOrder)
    lows = [proxy.row_info(r).phia.low for r in range(proxy.rowCount())]
    assert lows == sorted(lows, reverse=True)


# --- lazy loading over 5,000 sources ------------------------------------------------------
def test_a_5000_source_pane_opens_reading_only_its_first_page(big_ws, qapp, monkeypatch):
    rows = CountingRows(sources.source_rows)
    monkeypatch.setattr(sources, "source_rows", rows)
    model = SourceTableModel(big_ws)
    assert model.rowCount() == 200 and model.total == BIG
    assert model.canFetchMore(QModelIndex())
    texts(model, 1)  # painting the first page reads nothing more
    assert len(rows.calls) == 1 and len(rows.calls[0]) == 200
    model.fetchMore(QModelIndex())
    assert model.rowCount() == 400 and len(rows.calls) == 2
    assert rows.calls[1] == sources.list_source_ids(big_ws)[200:400]
    model.fetch_all()
    assert model.rowCount() == BIG and not model.canFetchMore(QModelIndex())
    assert texts(model, 1)[-1] == f"Open source item {BIG:05d}"


def test_a_view_fetches_more_rows_as_the_user_scrolls_down(big_ws, qtbot):
    model = SourceTableModel(big_ws)
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.resize(600, 300)
    view.show()
    qtbot.waitExposed(view)
    assert model.rowCount() == 200
    bar = view.verticalScrollBar()
    bar.setValue(bar.maximum())  # the user drags the scroll bar to the end
    qtbot.waitUntil(lambda: model.rowCount() > 200)
    assert model.rowCount() < BIG  # one page at a time, not everything


def test_a_sorting_view_stays_lazy_until_the_user_clicks_a_header(big_ws, qtbot):
    model = SourceTableModel(big_ws)
    proxy = PaneProxy()
    proxy.setSourceModel(model)
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(proxy)
    view.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
    view.setSortingEnabled(True)
    view.resize(800, 300)
    view.show()
    qtbot.waitExposed(view)
    assert model.rowCount() == 200  # nothing sorted, nothing more read
    header = view.horizontalHeader()
    title = col(model, "title")
    where = QPoint(header.sectionViewportPosition(title) + 5, header.height() // 2)
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=where)
    assert model.busy == "Sorting…" and model.rowCount() == 200  # the click returns at once
    assert model.sorting == ((title,), header.sortIndicatorOrder())
    settle(qtbot, model)
    assert model.rowCount() == BIG
    first = proxy.data(proxy.index(0, title))
    ascending = header.sortIndicatorOrder() == Qt.SortOrder.AscendingOrder
    assert first == ("Open source item 00001" if ascending else f"Open source item {BIG:05d}")


def test_records_dropped_from_the_cache_are_read_again_by_page(big_ws, qapp, monkeypatch):
    rows = CountingRows(sources.source_rows)
    monkeypatch.setattr(sources, "source_rows", rows)
    model = SourceTableModel(big_ws, page_size=100, cache_rows=100)
    model.fetchMore(QModelIndex())  # rows 100-199 push rows 0-99 out of the cache
    assert len(rows.calls) == 2
    assert model.data(model.index(5, 1)) == "Open source item 00006"
    assert len(rows.calls) == 3 and rows.calls[2] == [model.id_at(r) for r in range(100)]
    model.data(model.index(50, 1))
    assert len(rows.calls) == 3


def test_sorting_through_the_proxy_fetches_all_rows_and_keeps_the_selection(big_ws, qtbot):
    model = SourceTableModel(big_ws)
    proxy = PaneProxy()
    proxy.setSourceModel(model)
    kept = QPersistentModelIndex(proxy.index(3, 1))
    kept_id = proxy.id_at(3)
    proxy.sort(col(model, "title"), Qt.SortOrder.DescendingOrder)
    settle(qtbot, model)
    assert model.rowCount() == BIG and proxy.rowCount() == BIG
    assert proxy.data(proxy.index(0, 1)) == f"Open source item {BIG:05d}"
    assert texts(proxy, 1) == sorted(texts(model, 1), reverse=True)
    assert kept.isValid() and proxy.id_at(kept.row()) == kept_id
    proxy.sort(-1)  # every row is read: back to the loader's order at once
    assert proxy.ids() == sources.list_source_ids(big_ws)


def test_quick_filter_on_a_lazy_pane_searches_every_row(big_ws, qtbot):
    model = SourceTableModel(big_ws)
    proxy = PaneProxy()
    proxy.setSourceModel(model)
    proxy.set_quick_filter("MARKER")
    settle(qtbot, model)
    assert model.fetched == BIG  # the answer covers rows not yet scrolled to
    marked = range(MARKED, BIG + 1, MARKED)
    assert texts(proxy, 1) == [f"Open source item {n:05d} marker" for n in marked]
    model.set_task(None)  # another set of rows, under the same filter: read in full too
    settle(qtbot, model)
    assert model.fetched == BIG and proxy.rowCount() == len(marked)
    proxy.set_quick_filter("")
    model.set_task(None)
    assert model.fetched == model.rowCount() == 200  # no filter: back to one page


def test_filtering_only_the_fetched_rows_when_asked(big_ws, qapp):
    model = SourceTableModel(big_ws)
    proxy = PaneProxy(fetch_all_on_filter=False)
    proxy.setSourceModel(model)
    proxy.set_quick_filter("marker")
    assert model.fetched == 200 and texts(proxy, 1) == ["Open source item 00150 marker"]
    proxy.fetchMore(QModelIndex())  # as a view does when scrolled to the end
    assert model.fetched == 400
    assert texts(proxy, 1)[1:] == ["Open source item 00300 marker"]  # filtered on arrival


def test_rows_deleted_after_the_ids_were_read_are_left_out(big_ws, qtbot):
    model = SourceTableModel(big_ws, page_size=100, cache_rows=100)
    ids = sources.list_source_ids(big_ws)
    with session_scope(big_ws) as s:  # another writer's erasure, behind the model's back
        from toexdesk.core.model import Source

        s.execute(Source.__table__.delete().where(Source.id.in_([ids[0], ids[150]])))
    model.fetchMore(QModelIndex())
    assert model.rowCount() == 199  # S151 was never shown; 99 of the second page came
    assert model.total == BIG - 1  # S1 was fetched before the erasure
    assert model.data(model.index(0, 0)) == "(no longer in the workspace)"
    assert model.row_info(0) is None
    model.reload()  # keeps as many rows fetched as were shown (a big pane: in the background)
    settle(qtbot, model)
    assert model.rowCount() == 199 and model.total == BIG - 2
    assert model.row_info(0).number == 2


# --- sorting and filtering a big pane off the UI thread ------------------------------------
def test_the_first_sort_of_a_big_pane_reads_keys_in_a_worker_not_rows_on_the_ui_thread(
    big_ws, qtbot, monkeypatch
):
    # The old model read all 5,000 full rows (source_rows) on the UI thread before sorting:
    # ~9 s for 100 k sources. Now the click returns at once and a worker reads only keys.
    newest_first = sorted(sources.list_sources(big_ws), key=lambda s: s.title, reverse=True)
    rows, keys = CountingRows(sources.source_rows), CountingRows(sources.source_keys)
    monkeypatch.setattr(sources, "source_rows", rows)
    monkeypatch.setattr(sources, "source_keys", keys)
    ui = threading.get_ident()
    model = SourceTableModel(big_ws)
    proxy = PaneProxy()
    proxy.setSourceModel(model)
    title = col(model, "title")
    proxy.sort(title, Qt.SortOrder.DescendingOrder)
    assert model.busy == "Sorting…" and proxy.rowCount() == 200  # nothing moved yet
    settle(qtbot, model)
    assert keys.ids_read_on(ui) == 0
    assert sum(len(c) for c in keys.calls) == BIG - 200  # every other row's keys, once
    # Full rows: the first page when the pane opened; the answer's first page, which the
    # worker reads too, so that painting it reads nothing on the UI thread.
    assert [len(c) for c in rows.calls] == [200, 200] and rows.ids_read_on(ui) == 200
    assert proxy.ids() == [s.id for s in newest_first]
    first_two = [proxy.data(proxy.index(row, title)) for row in (0, 1)]
    assert first_two == [f"Open source item {BIG:05d}", f"Open source item {BIG - 1:05d}"]
    assert len(rows.calls) == 2


def test_the_first_quick_filter_of_a_big_pane_reads_no_rows_on_the_ui_thread(
    big_ws, qtbot, monkeypatch
):
    rows, keys = CountingRows(sources.source_rows), CountingRows(sources.source_keys)
    monkeypatch.setattr(sources, "source_rows", rows)
    monkeypatch.setattr(sources, "source_keys", keys)
    ui = threading.get_ident()
    model = SourceTableModel(big_ws)
    proxy = PaneProxy()
    proxy.setSourceModel(model)
    proxy.set_quick_filter("MARKER")
    # At once: the rows read so far are filtered (item 150); the rest follows.
    assert model.busy == "Filtering…" and proxy.ids() == [model.id_at(0)]
    assert texts(proxy, 1) == ["Open source item 00150 marker"]
    settle(qtbot, model)
    assert keys.ids_read_on(ui) == 0 and rows.ids_read_on(ui) == 200  # when it opened
    marked = range(MARKED, BIG + 1, MARKED)
    assert texts(proxy, 1) == [f"Open source item {n:05d} marker" for n in marked]


def test_typing_in_the_filter_of_a_big_pane_reads_every_key_once(big_ws, qtbot, monkeypatch):
    keys = CountingRows(sources.source_keys)
    monkeypatch.setattr(sources, "source_keys", keys)
    model = SourceTableModel(big_ws)
    proxy = PaneProxy()
    proxy.setSourceModel(model)
    for typed in ("m", "ma", "mar", "mark", "marke", "marker", "marker 0"):
        proxy.set_quick_filter(typed)  # each keystroke while the keys are being read
    settle(qtbot, model)
    assert sum(len(c) for c in keys.calls) == BIG - 200  # not once per keystroke
    marked = [n for n in range(MARKED, BIG + 1, MARKED) if "0" in f"{n:05d}"]
    assert texts(proxy, 1) == [f"Open source item {n:05d} marker" for n in marked]


def test_a_big_pane_keeps_the_selected_record_through_sorting_filtering_and_reloading(
    big_ws, qtbot, checked
):
    model = checked(SourceTableModel(big_ws))
    proxy = checked(PaneProxy())
    proxy.setSourceModel(model)
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(proxy)
    view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
    view.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
    view.setSortingEnabled(True)
    view.resize(800, 300)
    view.show()
    qtbot.waitExposed(view)
    view.selectRow(5)
    chosen = proxy.id_at(5)

    def selected() -> list[int]:
        return [proxy.id_at(i.row()) for i in view.selectionModel().selectedRows()]

    view.sortByColumn(col(model, "title"), Qt.SortOrder.DescendingOrder)
    settle(qtbot, model)
    assert selected() == [chosen] and proxy.id_at(view.currentIndex().row()) == chosen
    assert proxy.row_info(view.currentIndex().row()).title == "Open source item 00006"
    proxy.set_quick_filter("item 0000")  # items 1 to 9, the chosen one among them
    settle(qtbot, model)
    assert proxy.rowCount() == 9 and selected() == [chosen]
    sources.create_source(big_ws, sources.source_rows(big_ws, [chosen])[0].task_id, source_draft(9))
    model.reload()  # after a write: in the background, keeping the sort, filter and selection
    settle(qtbot, model)
    assert proxy.rowCount() == 10 and selected() == [chosen]
    titles = texts(proxy, 1)
    assert titles == sorted(titles, reverse=True)
    proxy.set_quick_filter("marker")  # the chosen source does not match: nothing selected
    settle(qtbot, model)
    assert selected() == [] and proxy.rowCount() == BIG // MARKED


def test_a_sort_asked_for_while_another_runs_is_applied_after_it(big_ws, qtbot, checked):
    model = checked(SourceTableModel(big_ws))
    proxy = checked(PaneProxy())
    proxy.setSourceModel(model)
    title, grading = col(model, "title"), col(model, "grading")
    proxy.sort(title, Qt.SortOrder.DescendingOrder)
    proxy.sort(grading, Qt.SortOrder.AscendingOrder)
    proxy.sort(title, Qt.SortOrder.AscendingOrder)
    settle(qtbot, model)
    assert model.sorting == ((title,), Qt.SortOrder.AscendingOrder)
    assert proxy.ids() == sources.list_source_ids(big_ws)  # titles follow the loader's order
    proxy.sort(-1)
    assert not model.busy and proxy.ids() == sources.list_source_ids(big_ws)


def test_a_failed_background_sort_is_reported_and_leaves_the_rows_as_they_were(
    big_ws, qtbot, monkeypatch
):
    reported = []
    monkeypatch.setattr(workers, "show_failure", lambda parent, exc: reported.append(exc))

    def broken(ws, ids):
        raise RuntimeError("the disk went away")

    monkeypatch.setattr(sources, "source_keys", broken)
    model = SourceTableModel(big_ws)
    proxy = PaneProxy()
    proxy.setSourceModel(model)
    shown = proxy.ids()
    proxy.sort(col(model, "title"))
    settle(qtbot, model)
    assert [str(e) for e in reported] == ["the disk went away"]
    assert proxy.ids() == shown


def test_small_panes_sort_and_filter_at_once_and_big_ones_the_same_way_in_a_worker(
    demo_ws, qtbot, checked
):
    # sync_rows=1 sends the demo's 8 tasks and a task's findings through the background
    # path (task keys, full findings): the same answers as the synchronous path.
    def queue_and_filters(model, proxy) -> list[list[int]]:
        answers = []
        for step in (
            lambda: proxy.set_my_queue(),
            lambda: proxy.set_open_only(),
            lambda: proxy.set_quick_filter("a"),
            lambda: proxy.set_overdue_only(True),
            lambda: proxy.clear_filters(),
            lambda: proxy.set_my_queue(False),
        ):
            step()
            settle(qtbot, model)
            answers.append(proxy.ids())
        return answers

    today = dt.date.today()
    at_once = TaskTableModel(demo_ws, today=lambda: today)
    background = checked(TaskTableModel(demo_ws, today=lambda: today, sync_rows=1))
    answers = []
    for model in (at_once, background):
        proxy = checked(TaskFilterProxy())
        proxy.setSourceModel(model)
        answers.append(queue_and_filters(model, proxy))
    assert answers[0] == answers[1]
    assert any(len(ids) < 8 for ids in answers[0])  # the filters did filter

    task_id = max(tasks.list_tasks(demo_ws), key=lambda t: t.finding_count).id
    orders = []
    for sync_rows in (2_000, 1):
        model = checked(FindingTableModel(demo_ws, task_id, sync_rows=sync_rows))
        proxy = checked(PaneProxy())
        proxy.setSourceModel(model)
        proxy.sort(col(model, "phia"), Qt.SortOrder.DescendingOrder)
        settle(qtbot, model)
        orders.append(proxy.ids())
    assert orders[0] == orders[1] and len(orders[0]) > 1


def test_the_pane_says_sorting_while_a_big_pane_sorts(big_ws, qtbot):
    from toexdesk.ui.panes.sources import SourcesPane

    pane = SourcesPane(big_ws)
    qtbot.addWidget(pane)
    pane.show()
    assert pane.count.text() == "0"  # no task chosen yet: empty, nothing read
    pane.all_tasks.setChecked(True)
    assert pane.count.text() == f"{BIG:,}"
    pane.table.sortByColumn(col(pane.model, "title"), Qt.SortOrder.AscendingOrder)
    assert pane.count.text() == "Sorting…"
    settle(qtbot, pane.model)
    assert pane.count.text() == f"{BIG:,}"


def test_sorting_in_runs_gives_the_order_of_one_stable_sort():
    rng = random.Random(5)
    rows = [(i, "", None, rng.randint(0, 9), rng.choice("abc")) for i in range(1_000)]
    for columns in ((0,), (1,), (1, 0)):
        for order in (Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder):
            descending = order == Qt.SortOrder.DescendingOrder
            expected = sorted(
                rows, key=lambda r: [r[pane_rows.KEYS + c] for c in columns], reverse=descending
            )
            assert pane_rows.sort_rows(rows, (columns, order)) == expected
            assert pane_rows.sort_rows(rows, (columns, order), run=37) == expected


def test_paging_sorting_filtering_and_reloading_keep_the_model_consistent(demo_ws, checked):
    # Qt's model tester stays attached and re-checks after every signal; it also calls
    # fetchMore from inside the model's own insert, which must not nest a page into it.
    model = checked(SourceTableModel(demo_ws, page_size=7, cache_rows=7))
    proxy = checked(PaneProxy())
    proxy.setSourceModel(model)
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
    assert [model.id_at(r) for r in range(60)] == sources.list_source_ids(demo_ws)
    assert texts(model, 1) == [s.title for s in sources.list_sources(demo_ws)]  # re-read
    proxy.sort(col(model, "grading"), Qt.SortOrder.DescendingOrder)
    proxy.set_quick_filter("open")
    opened = [s for s in sources.list_sources(demo_ws) if "open" in s.title.casefold()]
    task_id = tasks.task_ids(demo_ws)[0]
    sources.create_source(demo_ws, task_id, source_draft(1, title="Opened late"))
    model.reload()
    assert proxy.rowCount() >= len(opened) + 1
    assert texts(proxy, col(model, "grading")) == sorted(texts(proxy, 3), reverse=True)
    proxy.set_quick_filter("")
    model.set_task(task_id)  # another task's sources, still in the chosen order
    assert sorted(proxy.ids()) == sources.list_source_ids(demo_ws, task_id)
    assert texts(proxy, col(model, "grading")) == sorted(texts(proxy, 3), reverse=True)
    proxy.sort(-1)
    assert proxy.ids() == sources.list_source_ids(demo_ws, task_id)


class _BrokenModel(QAbstractTableModel):
    def rowCount(self, parent=QModelIndex()):  # noqa: B008
        return 0 if parent.isValid() else 2

    def columnCount(self, parent=QModelIndex()):  # noqa: B008
        return 0 if parent.isValid() else 1

    def data(self, index, role=DISPLAY):
        return None

    def fetchMore(self, parent):
        self.rowsInserted.emit(QModelIndex(), 5, 9)  # announces rows it never adds


def test_the_model_check_fails_a_broken_model(qapp):
    # `checked` (and pytest-qt) rely on Qt's tester reporting through the qt.modeltest log
    # category: prove that it does, catching its messages here so this test still passes.
    caught = []
    previous = qInstallMessageHandler(lambda kind, context, text: caught.append(text))
    try:
        model = _BrokenModel()
        tester = QAbstractItemModelTester(
            model, QAbstractItemModelTester.FailureReportingMode.Warning
        )
    finally:
        qInstallMessageHandler(previous)
    assert tester.model() is model  # it checked at once, calling fetchMore
    assert any(text.startswith("FAIL!") for text in caught)
