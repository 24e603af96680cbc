"""The finding editor and citing sources: PHIA picker, the citation list with gradings,
the source picker, and dragging sources from the Sources pane onto findings."""

from __future__ import annotations

from drag import drop_event, enter_event
from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QMenu

from toexdesk import config
from toexdesk.core.enums import LinkRelation, Marking, Phia
from toexdesk.core.services import findings, sources, tasks, workspace
from toexdesk.ui.dialogs.finding_editor import FindingEditor, SourcePicker
from toexdesk.ui.dnd import SOURCES_MIME, sources_mime
from toexdesk.ui.main_window import MainWindow


def click_save(qtbot, editor):
    qtbot.mouseClick(
        editor.buttons.button(QDialogButtonBox.StandardButton.Save), Qt.MouseButton.LeftButton
    )


def make_task(ws):
    task = tasks.create_task(ws, tasks.TaskDraft("Cuckooing at Marsh Court", "DS Rowe", "ocg"))
    s1 = sources.create_source(
        ws, task.id, sources.SourceDraft("Custody record", "police_system", "1", "B", "P")
    )
    s2 = sources.create_source(
        ws,
        task.id,
        sources.SourceDraft(
            "Housing officer's note",
            "partner_agency",
            "2",
            "C",
            "C",
            handling_conditions="Council consent before sharing",
            marking="OFFICIAL-SENSITIVE",
        ),
    )
    return task, s1, s2


def choose_from_popup(key_presses: int, then=None):
    """When a relation menu pops up, move down ``key_presses`` items and press Enter (as a
    user would with the keyboard)."""

    def act():
        menu = QApplication.activePopupWidget()
        if not isinstance(menu, QMenu):
            QTimer.singleShot(20, act)
            return
        for _ in range(key_presses):
            QApplication.sendEvent(menu, key_event(Qt.Key.Key_Down))
        QApplication.sendEvent(menu, key_event(Qt.Key.Key_Return))
        if then is not None:
            then()

    QTimer.singleShot(0, act)


def key_event(key):
    from PySide6.QtGui import QKeyEvent

    return QKeyEvent(QKeyEvent.Type.KeyPress, key, Qt.KeyboardModifier.NoModifier)


def drop(widget, mime, at: QPoint):
    """Deliver a drag-enter then a drop, as Qt does at the end of a real drag."""
    actions = Qt.DropAction.LinkAction | Qt.DropAction.CopyAction
    enter = enter_event(at, actions, mime)
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted()
    event = drop_event(at, actions, mime)
    QApplication.sendEvent(widget, event)
    return event


def test_phia_picker_shows_the_yardstick_ranges(qtbot, ws):
    task, _s1, _s2 = make_task(ws)
    editor = FindingEditor(ws, task.id)
    qtbot.addWidget(editor)
    texts = [editor.phia.itemText(i) for i in range(editor.phia.count())]
    assert texts[0] == "Remote chance (≈0–5 %)"
    assert texts[4] == "Likely or probable (≈55–75 %)"
    assert texts[-1] == "Almost certain (≈95–100 %)"
    tip = editor.phia.itemData(5, Qt.ItemDataRole.ToolTipRole)
    assert tip == "PHIA yardstick: Highly likely means a probability of ≈80–90 %"


def test_new_finding_cites_picked_sources_with_their_gradings(qtbot, ws):
    task, _s1, _s2 = make_task(ws)
    editor = FindingEditor(ws, task.id)
    qtbot.addWidget(editor)
    editor.show()
    click_save(qtbot, editor)
    assert editor.errors["text"].text() == "Error: Finding is required."
    assert findings.list_findings(ws, task.id) == []

    def pick():
        picker = QApplication.activeModalWidget()
        assert isinstance(picker, SourcePicker)
        picker.pane.table.selectAll()
        picker.relation.setCurrentIndex(picker.relation.findData(LinkRelation.SUPPORTS))
        ok = picker.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
        qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)

    QTimer.singleShot(0, pick)
    qtbot.mouseClick(editor.cite_button, Qt.MouseButton.LeftButton)
    table = editor.citations
    assert table.rowCount() == 2
    assert [table.item(r, 1).text() for r in range(2)] == ["1/B/P", "2/C/C"]
    assert "Council consent" in table.item(1, 1).toolTip()  # conditions with the grading
    assert editor.product_marking.text().endswith("OFFICIAL-SENSITIVE")
    table.cellWidget(1, 2).setCurrentIndex(
        table.cellWidget(1, 2).findData(LinkRelation.CONTRADICTS)
    )
    qtbot.keyClicks(editor.text, "Marsh Court flat 4 is used as a trap house")
    editor.phia.setCurrentIndex(editor.phia.findData(Phia.HIGHLY_LIKELY))
    click_save(qtbot, editor)
    (saved,) = findings.list_findings(ws, task.id)
    assert saved.phia is Phia.HIGHLY_LIKELY
    assert [(c.text, c.relation) for c in saved.citations] == [
        ("[S1 · 1/B/P]", LinkRelation.SUPPORTS),
        ("[S2 · 2/C/C]", LinkRelation.CONTRADICTS),
    ]
    assert tasks.research_marking(ws, task.id) is Marking.OFFICIAL_SENSITIVE


def test_editing_a_finding_is_a_consultation_and_removing_a_citation_saves(qtbot, ws):
    task, s1, s2 = make_task(ws)
    f = findings.create_finding(
        ws,
        task.id,
        findings.FindingDraft("Runners stay at flat 4", "likely"),
        [(s1.id, "supports"), (s2.id, "context")],
    )
    editor = FindingEditor(ws, task.id, f.id)
    qtbot.addWidget(editor)
    editor.show()
    assert [e.action for e in workspace.audit_events(ws, "finding", f.id)] == [
        "collection",
        "consultation",
    ]
    assert editor.windowTitle() == f"Finding {task.reference}/F1"
    editor.citations.selectRow(0)
    qtbot.keyClick(editor.citations, Qt.Key.Key_Delete)
    assert editor.citations.rowCount() == 1
    click_save(qtbot, editor)
    assert [c.label for c in findings.get_finding(ws, f.id).citations] == ["S2"]


def test_sources_of_another_task_are_refused_beside_the_list(qtbot, ws):
    task, s1, _s2 = make_task(ws)
    other, o1, _o2 = make_task(ws)
    editor = FindingEditor(ws, task.id)
    qtbot.addWidget(editor)
    editor.show()
    editor.cite_sources(sources.source_rows(ws, [s1.id, o1.id]), LinkRelation.SUPPORTS)
    assert editor.citations.rowCount() == 1
    assert f"{other.reference}/S1" in editor.errors["links"].text()


def test_dragging_sources_onto_the_editor_asks_how_they_are_cited(qtbot, ws):
    task, _s1, s2 = make_task(ws)
    editor = FindingEditor(ws, task.id)
    qtbot.addWidget(editor)
    editor.show()
    choose_from_popup(1)  # Supports, Contradicts, Context: one down is Contradicts
    drop(editor.citations.viewport(), sources_mime(ws.path, [(task.id, s2.id)]), QPoint(20, 20))
    assert editor.citations.links() == [(s2.id, LinkRelation.CONTRADICTS)]


def test_a_drag_from_another_workspace_is_not_taken(qtbot, ws, tmp_path):
    task, s1, _s2 = make_task(ws)
    editor = FindingEditor(ws, task.id)
    qtbot.addWidget(editor)
    editor.show()
    mime = sources_mime(tmp_path / "other.toex", [(task.id, s1.id)])
    actions = Qt.DropAction.LinkAction
    enter = enter_event(QPoint(10, 10), actions, mime)
    QApplication.sendEvent(editor.citations.viewport(), enter)
    assert not enter.isAccepted()


def window_on(qtbot, ws, task_id):
    window = MainWindow(ws, config.Settings())
    qtbot.addWidget(window)
    window.show()
    window.tasks.table.selectRow(window.tasks.proxy.ids().index(task_id))
    return window


def test_dropping_sources_on_a_finding_in_the_pane_cites_them(qtbot, ws):
    task, _s1, _s2 = make_task(ws)
    f = findings.create_finding(ws, task.id, findings.FindingDraft("Flat 4 is used", "likely"))
    window = window_on(qtbot, ws, task.id)
    src = window.sources
    src.table.selectAll()
    mime = src.proxy.mimeData(src.table.selectionModel().selectedIndexes())
    assert mime.hasFormat(SOURCES_MIME) and not mime.hasText()  # ids, never record text
    table = window.findings.table
    row_point = table.visualRect(window.findings.proxy.index(0, 0)).center()
    choose_from_popup(0)  # Supports
    drop(table.viewport(), mime, row_point)
    info = findings.get_finding(ws, f.id)
    assert [(c.label, c.relation) for c in info.citations] == [
        ("S1", LinkRelation.SUPPORTS),
        ("S2", LinkRelation.SUPPORTS),
    ]
    linked = window.findings.proxy.index(0, 3).data()
    assert linked.startswith("2")
    assert "F1 now cites S1, S2" in window.statusBar().currentMessage()
    assert "OFFICIAL-SENSITIVE" in window.status.text()


def test_dropping_below_the_findings_starts_a_new_one_citing_them(qtbot, ws):
    task, _s1, s2 = make_task(ws)
    window = window_on(qtbot, ws, task.id)
    mime = sources_mime(ws.path, [(task.id, s2.id)])
    choose_from_popup(2)  # Context
    drop(window.findings.table.viewport(), mime, QPoint(30, 200))
    editor = window.findChild(FindingEditor)
    assert editor is not None and editor.isVisible()
    assert editor.citations.links() == [(s2.id, LinkRelation.CONTEXT)]
    qtbot.keyClicks(editor.text, "The housing officer saw three visitors an hour")
    click_save(qtbot, editor)
    assert window.findings.model.total == 1
    assert window.findings.current_id() is not None  # the new finding is selected


def test_dropping_another_tasks_sources_says_so(qtbot, ws, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    task, _s1, _s2 = make_task(ws)
    other, o1, _o2 = make_task(ws)
    findings.create_finding(ws, task.id, findings.FindingDraft("Flat 4 is used", "likely"))
    window = window_on(qtbot, ws, task.id)
    said = []
    monkeypatch.setattr(QMessageBox, "information", lambda *a: said.append(a[2]))
    table = window.findings.table
    row_point = table.visualRect(window.findings.proxy.index(0, 0)).center()
    drop(table.viewport(), sources_mime(ws.path, [(other.id, o1.id)]), row_point)
    assert said and "belong to another task" in said[0]
    assert findings.list_findings(ws, task.id)[0].citations == ()
