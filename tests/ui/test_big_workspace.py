"""The main window over a 100,000-source workspace opens and scrolls without reading every
row: the Sources pane holds one page of rows, and a page more each time the user scrolls to
the end. (Timings are measured by tests/perf, never asserted here.)"""

from __future__ import annotations

import pytest
from conftest import ANALYST, PASSPHRASE
from sqlalchemy import text

from toexdesk import config
from toexdesk.core.services import sources, tasks
from toexdesk.core.store.engine import create_workspace, open_workspace, session_scope
from toexdesk.ui.main_window import MainWindow

SEED = 1_000
TOTAL = 100_000
COLUMNS = (
    "task_id, title, source_type, description, reference, obtained_on, evaluation, "
    "assessment, handling, handling_conditions, marking, created_at, updated_at"
)


@pytest.fixture(scope="module")
def hundred_k(tmp_path_factory):
    """One task with 100,000 sources: 1,000 made through the service, then copied in SQL
    (setting up, not under test: the copies have no audit events of their own)."""
    path = tmp_path_factory.mktemp("big") / "hundred-k.toex"
    with create_workspace(path, PASSPHRASE, ANALYST) as ws:
        task = tasks.create_task(ws, tasks.TaskDraft("Bulk partner returns", "DS Example", "ocg"))
        sources.create_sources(
            ws,
            task.id,
            (
                sources.SourceDraft(f"Partner return {n:06d}", "partner_agency", "2", "B", "P")
                for n in range(1, SEED + 1)
            ),
        )
        with session_scope(ws) as s:
            for block in range(1, TOTAL // SEED):
                s.execute(
                    text(
                        f"INSERT INTO source (number, uid, {COLUMNS}) "  # noqa: S608 (constants)
                        f"SELECT number + :offset, lower(hex(randomblob(16))), {COLUMNS} "
                        "FROM source WHERE number <= :seed"
                    ),
                    {"offset": block * SEED, "seed": SEED},
                )
            s.execute(text("UPDATE task SET last_source_number = :n"), {"n": TOTAL})
    return path


def test_a_100k_source_workspace_opens_and_scrolls_a_page_at_a_time(hundred_k, qtbot, monkeypatch):
    read: list[int] = []
    real_rows = sources.source_rows
    monkeypatch.setattr(
        sources, "source_rows", lambda ws, ids: read.append(len(ids)) or real_rows(ws, ids)
    )
    ws = open_workspace(hundred_k, PASSPHRASE)
    window = MainWindow(ws, config.Settings())
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    pane = window.sources
    assert pane.model.total == TOTAL
    assert pane.model.rowCount() == 200  # the first page only
    assert sum(read) <= 400, read  # nothing like 100 k rows read to open
    assert pane.count.text() == "100,000"

    bar = pane.table.verticalScrollBar()
    for _ in range(3):  # the user drags the scroll bar to the end, three times
        before, end = pane.model.rowCount(), bar.maximum()
        bar.setValue(end)
        qtbot.waitUntil(lambda before=before: pane.model.rowCount() > before)
        qtbot.waitUntil(lambda end=end: bar.maximum() > end)  # the view took the new rows
    assert 400 < pane.model.rowCount() <= 1_000
    assert sum(read) < 2_000
    last = pane.proxy.row_info(pane.model.rowCount() - 1)
    assert last.title == f"Partner return {pane.model.rowCount() % SEED or SEED:06d}"
    window.close()
