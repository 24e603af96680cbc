"""Task and source editors: messages beside the fields, 3x5x2 wording, audited opening."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from toexdesk.core.enums import HandlingCode, Priority, TaskStatus, Thematic
from toexdesk.core.services import sources, tasks, workspace
from toexdesk.ui.dialogs.editors import SourceEditor, TaskEditor
from toexdesk.ui.main_window import MainWindow


def click_save(qtbot, editor):
    qtbot.mouseClick(
        editor.buttons.button(QDialogButtonBox.StandardButton.Save), Qt.MouseButton.LeftButton
    )


def test_new_task_shows_errors_beside_fields_then_saves(qtbot, ws):
    editor = TaskEditor(ws)
    qtbot.addWidget(editor)
    editor.show()
    click_save(qtbot, editor)
    assert editor.errors["title"].text() == "Error: Title is required."
    assert editor.errors["requester"].isVisible() and not editor.errors["thematic"].isVisible()
    assert tasks.list_tasks(ws) == []  # nothing half-written
    qtbot.keyClicks(editor.title, "Runners from Eastbrook on the 'Kestrel' line")
    qtbot.keyClicks(editor.requester, "DS Ada Rowe")
    editor.thematic.setCurrentIndex(editor.thematic.findData(Thematic.COUNTY_LINES))
    editor.priority.setCurrentIndex(editor.priority.findData(Priority.P1))
    editor.due.set_value(dt.date.today() + dt.timedelta(days=5))
    click_save(qtbot, editor)
    assert editor.result() == editor.DialogCode.Accepted
    (saved,) = tasks.list_tasks(ws)
    assert saved.priority is Priority.P1 and saved.due_date is not None
    assert saved.reference == editor.result_info.reference


def test_editing_a_task_is_a_consultation_and_offers_only_legal_statuses(qtbot, ws):
    task = tasks.create_task(ws, tasks.TaskDraft("Car wash labour", "DI Okafor", "ocg"))
    editor = TaskEditor(ws, task.id)
    qtbot.addWidget(editor)
    statuses = [editor.status.itemData(i) for i in range(editor.status.count())]
    assert statuses == [TaskStatus.NEW, TaskStatus.IN_PROGRESS, TaskStatus.CANCELLED]
    events = workspace.audit_events(ws, "task", task.id)
    assert [e.action for e in events] == ["collection", "consultation"]
    editor.status.setCurrentIndex(1)
    click_save(qtbot, editor)
    assert tasks.get_task(ws, task.id).status is TaskStatus.IN_PROGRESS


def test_source_editor_speaks_3x5x2_and_c_needs_conditions(qtbot, ws):
    task = tasks.create_task(ws, tasks.TaskDraft("Line holders", "DS Rowe", "county_lines"))
    editor = SourceEditor(ws, task.id)
    qtbot.addWidget(editor)
    editor.show()
    texts = [editor.evaluation.itemText(i) for i in range(editor.evaluation.count())]
    assert texts == ["1 – Reliable", "2 – Untested", "3 – Not reliable"]
    tip = editor.assessment.itemData(1, Qt.ItemDataRole.ToolTipRole)
    assert tip == "3x5x2 intelligence assessment B: Known indirectly to the source but corroborated"
    assert not editor.conditions.isEnabled()
    qtbot.keyClicks(editor.title, "Youth offending team referral")
    editor.handling.setCurrentIndex(editor.handling.findData(HandlingCode.C))
    assert editor.conditions.isEnabled()
    click_save(qtbot, editor)
    assert "needs conditions" in editor.errors["handling_conditions"].text()
    assert sources.list_sources(ws, task.id) == []
    qtbot.keyClicks(editor.conditions, "Originator consent before onward sharing")
    click_save(qtbot, editor)
    (saved,) = sources.list_sources(ws, task.id)
    assert saved.grading == "1/A/C" and saved.handling_conditions.startswith("Originator")


def test_window_new_task_appears_in_the_pane_selected(qtbot, demo_ws):
    from toexdesk import config

    window = MainWindow(demo_ws, config.Settings())
    qtbot.addWidget(window)
    window.show()
    window.new_task_action.trigger()
    editor = window.findChild(TaskEditor)
    assert editor.isVisible() and not editor.isModal()  # the panes stay usable
    qtbot.keyClicks(editor.title, "Modern slavery referral from Hallam Vale")
    qtbot.keyClicks(editor.requester, "DI Okafor")
    qtbot.keyClicks(editor.tags, "Op Larkspur")
    qtbot.keyClicks(editor.gaps, "No partner data yet from the council")
    click_save(qtbot, editor)
    assert window.tasks.model.total == 9
    info = window.tasks.proxy.row_info(window.tasks.table.currentIndex().row())
    assert info.title == "Modern slavery referral from Hallam Vale"
    assert info.tags == ("Op Larkspur",) and info.gaps == "No partner data yet from the council"
    assert window.sources.model.total == 0  # the new task has no sources yet


def test_opening_a_record_twice_raises_its_editor_instead(qtbot, demo_ws):
    from toexdesk import config

    window = MainWindow(demo_ws, config.Settings())
    qtbot.addWidget(window)
    window.show()
    window.edit_selected(window.tasks)
    window.edit_selected(window.tasks)
    assert len([e for e in window.findChildren(TaskEditor) if e.isVisible()]) == 1
    task_id = window.tasks.current_id()
    opened = [e for e in workspace.audit_events(demo_ws, "task", task_id)]
    assert [e.action for e in opened].count("consultation") == 1


def test_lock_hides_an_open_editor_and_keeps_its_text(qtbot, demo_ws):
    from conftest import PASSPHRASE

    from toexdesk import config

    window = MainWindow(demo_ws, config.Settings())
    qtbot.addWidget(window)
    window.show()
    task_id = window.tasks.current_id()
    editor = SourceEditor(demo_ws, task_id, parent=window)
    editor.show()
    qtbot.keyClicks(editor.title, "Half-typed note from the custody suite")
    window.lock()
    assert not editor.body.isVisible() and editor.locked_note.isVisible()
    assert not editor.buttons.isEnabled()
    qtbot.keyClicks(window.lock_screen.passphrase, PASSPHRASE)
    qtbot.mouseClick(window.lock_screen.button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.locked, timeout=5000)
    assert editor.body.isVisible()
    assert editor.title.text() == "Half-typed note from the custody suite"
    click_save(qtbot, editor)  # saves through the workspace opened again
    titles = [s.title for s in sources.list_sources(window.ws, task_id)]
    assert "Half-typed note from the custody suite" in titles
    window.ws.close()


def test_cancelling_an_edited_editor_asks_first_and_can_keep_editing(qtbot, ws, discard_prompts):
    editor = TaskEditor(ws)
    qtbot.addWidget(editor)
    editor.show()
    qtbot.keyClick(editor, Qt.Key.Key_Escape)  # nothing typed: closes without a question
    assert not editor.isVisible() and discard_prompts.asked == []

    editor = TaskEditor(ws)
    qtbot.addWidget(editor)
    editor.show()
    qtbot.keyClicks(editor.title, "Half a title")
    discard_prompts.answer = False  # "Keep editing"
    qtbot.keyClick(editor, Qt.Key.Key_Escape)
    assert editor.isVisible() and discard_prompts.asked == ["New task"]
    discard_prompts.answer = True
    qtbot.mouseClick(
        editor.buttons.button(QDialogButtonBox.StandardButton.Cancel), Qt.MouseButton.LeftButton
    )
    assert not editor.isVisible()
    assert tasks.list_tasks(ws) == []


def test_the_real_discard_question_defaults_to_keep_editing(qtbot, ws, discard_prompts):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    answers = []

    def press_enter():
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, press_enter)
            return
        answers.append(box.defaultButton().text())
        qtbot.keyClick(box, Qt.Key.Key_Return)  # the default button

    QTimer.singleShot(0, press_enter)
    assert discard_prompts.real(None, "New task") is False
    assert answers == ["Keep editing"]


def test_closing_the_window_asks_once_for_all_edited_editors(qtbot, demo_ws, discard_prompts):
    from PySide6.QtGui import QCloseEvent

    from toexdesk import config

    window = MainWindow(demo_ws, config.Settings(default_marking="OFFICIAL-SENSITIVE"))
    qtbot.addWidget(window)
    window.show()
    window.new_task_action.trigger()
    window.new_source_action.trigger()
    task_editor = window.findChild(TaskEditor)
    source_editor = window.findChild(SourceEditor)
    assert task_editor.marking.currentText() == "OFFICIAL-SENSITIVE"  # the default setting
    assert not task_editor.is_dirty()
    qtbot.keyClicks(task_editor.title, "Unsaved")
    qtbot.keyClicks(source_editor.title, "Unsaved too")
    discard_prompts.answer = False
    event = QCloseEvent()
    window.closeEvent(event)
    assert not event.isAccepted() and task_editor.isVisible()
    assert discard_prompts.asked == ["2 open editors"]
    assert not demo_ws.closed  # the workspace stays open
    discard_prompts.answer = True
    window.close()
    assert discard_prompts.asked == ["2 open editors", "2 open editors"]  # asked once more
    assert demo_ws.closed
