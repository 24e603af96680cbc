"""Search from the window (Ctrl+K): hits with the matched words in bold, never markup from
the records; a hit jumps to its record; the dialog goes when the window locks."""

from __future__ import annotations

from PySide6.QtCore import Qt

from toexdesk import config
from toexdesk.core.services import findings, sources, tasks
from toexdesk.ui.dialogs.search import SearchDialog, hit_html
from toexdesk.ui.main_window import MainWindow


def make(qtbot, ws):
    task = tasks.create_task(ws, tasks.TaskDraft("Kestrel line runners", "DS Rowe", "county_lines"))
    other = tasks.create_task(ws, tasks.TaskDraft("Car wash labour", "DI Okafor", "modern_slavery"))
    src = sources.create_source(
        ws,
        other.id,
        sources.SourceDraft(
            "Tenancy note for Dritë Çeka <b>bold</b>", "partner_agency", "2", "B", "P"
        ),
    )
    finding = findings.create_finding(
        ws, task.id, findings.FindingDraft("Runners meet at the Marsh Court garages", "likely")
    )
    window = MainWindow(ws, config.Settings())
    qtbot.addWidget(window)
    window.show()
    return window, task, other, src, finding


def search(qtbot, window, text):
    window.search_action.trigger()
    dialog = window.findChild(SearchDialog)
    dialog.query.clear()
    qtbot.keyClicks(dialog.query, text)
    qtbot.waitUntil(lambda: dialog.status.text() != "" and dialog.query.text() == text)
    qtbot.waitUntil(lambda: "match" in dialog.status.text(), timeout=5000)
    return dialog


def test_a_hit_jumps_to_its_source_in_another_task(qtbot, ws):
    window, _task, other, src, _finding = make(qtbot, ws)
    dialog = search(qtbot, window, "drite ceka")  # accents do not matter
    assert [h.record_id for h in dialog.hits] == [src.id]
    html = dialog.results.item(0).data(Qt.ItemDataRole.UserRole + 1)
    assert "<b>Dritë</b>" in html and "&lt;b&gt;bold&lt;/b&gt;" in html  # data, not markup
    dialog.results.setCurrentRow(0)
    dialog._activated(dialog.results.item(0))
    assert window.tasks.current_id() == other.id
    assert window.sources.current_id() == src.id


def test_a_finding_hit_selects_the_finding_and_filters_narrow(qtbot, ws):
    window, task, _other, _src, finding = make(qtbot, ws)
    dialog = search(qtbot, window, "marsh gar")  # the last word as a prefix
    assert [h.record_id for h in dialog.hits] == [finding.id]
    dialog.kind.setCurrentIndex(dialog.kind.findText("Sources"))
    qtbot.waitUntil(lambda: dialog.status.text() == "No matches.", timeout=5000)
    dialog.kind.setCurrentIndex(0)
    qtbot.waitUntil(lambda: bool(dialog.hits), timeout=5000)
    qtbot.keyClick(dialog.query, Qt.Key.Key_Return)  # Enter opens the first hit
    assert window.tasks.current_id() == task.id
    assert window.findings.current_id() == finding.id


def test_hostile_queries_just_find_nothing(qtbot, ws):
    window, *_ = make(qtbot, ws)
    window.search_action.trigger()
    dialog = window.findChild(SearchDialog)
    for text in ('"', "NEAR(", "AND OR", "*", "-:", "x" * 5000):
        dialog.query.setText(text)
        dialog.run()
        qtbot.waitUntil(lambda: dialog.status.text() != "", timeout=5000)
        assert not dialog.status.text().startswith("Error"), text
        dialog.status.clear()


def test_locking_closes_the_search(qtbot, ws):
    window, *_ = make(qtbot, ws)
    dialog = search(qtbot, window, "kestrel")
    window.lock()
    assert not dialog.isVisible()
    window.ws.close()


def test_snippet_html_escapes_every_part():
    class Hit:
        record_type = type("T", (), {"label": "Source"})()
        label = "TX-2026-0001/S1"
        task_reference = "TX-2026-0001"
        archived = False
        title = "<img src=x>"
        title_highlights = ()
        snippet = "a <script> b"
        highlights = ((2, 10),)

    html = hit_html(Hit())
    assert "<img" not in html and "<script>" not in html and "<b>&lt;script&gt;</b>" in html
