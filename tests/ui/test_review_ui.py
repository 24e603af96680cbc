"""Review and retention, the research log and the unused-material schedule in the window,
driven as a researcher would: menus, buttons, typing; the workspace checked after."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from openpyxl import load_workbook
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QLabel, QMessageBox
from sqlalchemy import text

from toexdesk import config
from toexdesk.core.enums import CheckOutcome, LogKind, Marking, TaskStatus, Thematic
from toexdesk.core.services import reports, research_log, review, sources, tasks
from toexdesk.ui.dialogs.editors import SourceEditor, TaskEditor
from toexdesk.ui.dialogs.research_log import CheckDialog, DecisionDialog, ResearchLogDialog
from toexdesk.ui.dialogs.review import DueForReviewDialog, EraseDialog, RetainDialog
from toexdesk.ui.dialogs.search import SearchDialog
from toexdesk.ui.dialogs.settings import SettingsDialog
from toexdesk.ui.main_window import MainWindow
from toexdesk.ui.review import ScheduleDialog

TODAY = dt.date.today()


# --- helpers ---------------------------------------------------------------------------------
def make_window(qtbot, ws, settings: config.Settings | None = None) -> MainWindow:
    window = MainWindow(ws, settings or config.Settings())
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def when_modal(kind, act: Callable, seen: list) -> QTimer:
    """Once a modal dialog of ``kind`` opens, note it and call ``act(dialog)``."""
    timer = QTimer()
    timer.setInterval(30)

    def poll() -> None:
        dialog = QApplication.activeModalWidget()
        if isinstance(dialog, kind) and dialog not in seen:
            seen.append(dialog)
            timer.stop()
            act(dialog)

    timer.timeout.connect(poll)
    timer.start()
    return timer


def click(qtbot, button) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def visible(window, kind):
    (dialog,) = [d for d in window.findChildren(kind) if d.isVisible()]
    return dialog


def set_review(ws, table: str, record_id: int, day: dt.date) -> None:
    with ws.engine.begin() as conn:
        conn.execute(
            text(f"UPDATE {table} SET review_on = :d WHERE id = :i"),  # noqa: S608
            {"d": day, "i": record_id},
        )


@pytest.fixture
def case(ws):
    """Two tasks: the first overdue for review with one source; the second not due."""
    old = tasks.create_task(ws, tasks.TaskDraft("Line KESTREL", "DS Ada Rowe", "county_lines"))
    src = sources.create_source(
        ws, old.id, sources.SourceDraft("Custody record", "police_system", "1", "B", "P")
    )
    new = tasks.create_task(ws, tasks.TaskDraft("Car wash labour", "DI Okafor", "ocg"))
    set_review(ws, "task", old.id, TODAY - dt.timedelta(days=30))
    set_review(ws, "source", src.id, TODAY - dt.timedelta(days=2))
    return old, src, new


# --- due for review ----------------------------------------------------------------------------
def test_due_for_review_lists_overdue_records_and_retains_one_with_a_reason(qtbot, ws, case):
    old, src, _new = case
    window = make_window(qtbot, ws)
    window.due_action.trigger()
    dialog = visible(window, DueForReviewDialog)
    cells = [
        [dialog.table.item(r, c).text() for c in range(dialog.table.columnCount())]
        for r in range(dialog.table.rowCount())
    ]
    assert [row[0] for row in cells] == [old.reference, f"{old.reference}/S1"]
    assert cells[0][5] == "Overdue by 30 days" and cells[1][5] == "Overdue by 2 days"
    assert dialog.status.text() == "2 due for review (2 overdue)."

    dialog.table.selectRow(1)
    seen: list = []

    def retain(box: RetainDialog) -> None:
        assert box.until.date().toPython() == review.add_months(TODAY, 12)  # county lines
        click(qtbot, box.ok_button)  # no reason yet: refused, the dialog stays
        assert box.isVisible() and box.message.text().startswith("Error:")
        qtbot.keyClicks(box.reason, "Live investigation")
        click(qtbot, box.ok_button)

    timer = when_modal(RetainDialog, retain, seen)
    click(qtbot, dialog.retain_button)
    timer.stop()
    assert seen and not seen[0].isVisible()
    assert [dialog.table.item(r, 0).text() for r in range(dialog.table.rowCount())] == [
        old.reference
    ]
    assert sources.get_source(ws, src.id).review_on == review.add_months(TODAY, 12)
    (entry,) = research_log.list_log(ws, old.id)
    assert entry.reason == "Live investigation" and entry.kind is LogKind.DECISION


def test_erase_asks_naming_what_goes_and_that_it_cannot_be_undone(qtbot, ws, case):
    old, _src, new = case
    window = make_window(qtbot, ws)
    window.tasks.select_id(old.id)
    window.due_action.trigger()
    dialog = visible(window, DueForReviewDialog)
    dialog.table.selectRow(0)  # the task
    seen: list = []

    def cancel(box: EraseDialog) -> None:
        message = " ".join(label.text() for label in box.findChildren(QLabel))
        assert f"Task {old.reference} with its 1 source" in message
        assert "cannot be undone" in message
        assert not box.erase_button.isEnabled()  # no justification yet
        box.reject()

    timer = when_modal(EraseDialog, cancel, seen)
    click(qtbot, dialog.erase_button)
    timer.stop()
    assert seen and tasks.list_tasks(ws, include_archived=True)[0].id == old.id  # kept

    def erase(box: EraseDialog) -> None:
        qtbot.keyClicks(box.reason, "Retention review: no longer necessary")
        assert box.erase_button.isEnabled()
        click(qtbot, box.erase_button)

    timer = when_modal(EraseDialog, erase, seen)
    click(qtbot, dialog.erase_button)
    timer.stop()
    qtbot.waitUntil(lambda: dialog.status.text() == f"Erased {old.reference}.", timeout=20_000)
    assert [t.id for t in tasks.list_tasks(ws, include_archived=True)] == [new.id]
    assert dialog.table.rowCount() == 0
    # The window shows the workspace as it now is.
    qtbot.waitUntil(lambda: window.tasks.proxy.ids() == [new.id])
    assert window.tasks.current_id() == new.id


# --- research log ------------------------------------------------------------------------------
def test_the_log_shows_entries_and_adds_checks_and_decisions_only(qtbot, ws, case):
    old, _src, _new = case
    tasks.update_task(ws, old.id, status="in_progress", justification="Tasking accepted")
    window = make_window(qtbot, ws)
    window.tasks.select_id(old.id)
    window.log_action.trigger()
    dialog = visible(window, ResearchLogDialog)
    assert dialog.table.rowCount() == 1
    assert dialog.table.item(0, 2).text() == "Decision (automatic)"
    assert dialog.table.item(0, 6).text() == "Tasking accepted"
    assert dialog.table.editTriggers() == dialog.table.EditTrigger.NoEditTriggers
    seen: list = []

    def check(box: CheckDialog) -> None:
        qtbot.keyClicks(box.system, "PNC")
        qtbot.keyClicks(box.detail, "Dale Fenwickson, b. 1990")
        assert box.outcome.currentData() is CheckOutcome.NIL_RETURN  # the default
        click(qtbot, box.ok_button)

    timer = when_modal(CheckDialog, check, seen)
    click(qtbot, dialog.check_button)
    timer.stop()
    assert dialog.table.rowCount() == 2
    assert [dialog.table.item(1, c).text() for c in (2, 3, 4, 5)] == [
        "System checked",
        "PNC",
        "Dale Fenwickson, b. 1990",
        "Nil return",
    ]

    def decide(box: DecisionDialog) -> None:
        qtbot.keyClicks(box.decision, "Stop at PNC")
        click(qtbot, box.ok_button)  # no reason: refused
        assert box.isVisible() and "Reason is required" in box.message.text()
        qtbot.keyClicks(box.reason, "Enough for the tasking")
        click(qtbot, box.ok_button)

    timer = when_modal(DecisionDialog, decide, seen)
    click(qtbot, dialog.decision_button)
    timer.stop()
    assert dialog.table.rowCount() == 3
    log = research_log.list_log(ws, old.id)
    assert [e.kind for e in log] == [LogKind.DECISION, LogKind.SYSTEM_CHECK, LogKind.DECISION]
    assert log[-1].reason == "Enough for the tasking"


def test_a_search_filtered_to_a_task_is_logged_once_when_the_dialog_closes(qtbot, ws, case):
    old, _src, new = case
    dialog = SearchDialog(ws, old.id)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.query, "custody")
    qtbot.waitUntil(lambda: dialog.status.text() == "1 match", timeout=10_000)
    dialog.this_task.setChecked(True)  # now filtered to the task: the same search, logged
    qtbot.waitUntil(lambda: bool(dialog.search_log.pending), timeout=10_000)
    qtbot.keyClicks(dialog.query, " wibble")  # a refinement with no match
    qtbot.waitUntil(lambda: dialog.status.text() == "No matches.", timeout=10_000)
    dialog.close()
    qtbot.waitUntil(lambda: len(research_log.list_log(ws, old.id)) == 1, timeout=10_000)
    (entry,) = research_log.list_log(ws, old.id)
    assert entry.kind is LogKind.SEARCH and entry.detail == "custody wibble"
    assert entry.outcome is CheckOutcome.NIL_RETURN and entry.automatic
    assert research_log.list_log(ws, new.id) == []
    # A search of the whole workspace belongs to no task: nothing is logged.
    other = SearchDialog(ws, new.id)
    qtbot.addWidget(other)
    other.show()
    qtbot.keyClicks(other.query, "custody")
    qtbot.waitUntil(lambda: other.status.text() == "1 match", timeout=10_000)
    other.close()
    qtbot.wait(200)
    assert research_log.list_log(ws, new.id) == []


# --- schedule ----------------------------------------------------------------------------------
def test_the_schedule_is_written_with_last_recipient_and_never_replaced_silently(
    qtbot, ws, case, tmp_path, monkeypatch
):
    old, _src, _new = case
    reports.record_disclosure(
        ws,
        [old.id],
        recipient="DC Lee",
        purpose="MG6 file",
        product="research summary",
        fmt="pdf",
        marking=Marking.OFFICIAL,
    )
    folder = tmp_path / "shared"
    folder.mkdir()
    window = make_window(qtbot, ws)
    window.tasks.select_id(old.id)
    seen: list = []

    def fill(box: ScheduleDialog) -> None:
        assert (box.recipient.text(), box.purpose.toPlainText()) == ("DC Lee", "MG6 file")
        box.folder.setText(str(folder))
        click(qtbot, box.ok_button)

    timer = when_modal(ScheduleDialog, fill, seen)
    window.schedule_action.trigger()
    timer.stop()
    names = {f"OFFICIAL_{old.reference}_unused-material-schedule.{x}" for x in ("xlsx", "pdf")}
    qtbot.waitUntil(lambda: {p.name for p in folder.iterdir()} == names, timeout=30_000)
    xlsx = folder / f"OFFICIAL_{old.reference}_unused-material-schedule.xlsx"
    qtbot.waitUntil(lambda: "Wrote" in window.statusBar().currentMessage(), timeout=30_000)
    assert load_workbook(xlsx).active["A1"].value == "OFFICIAL"

    xlsx.write_bytes(b"edited by the disclosure officer")
    asked: list[str] = []

    def no(*args, **kwargs):
        asked.append(args[2])
        return QMessageBox.StandardButton.No

    monkeypatch.setattr(QMessageBox, "question", no)
    timer = when_modal(ScheduleDialog, fill, seen)
    window.schedule_action.trigger()
    timer.stop()
    assert asked and xlsx.name in asked[0]
    assert xlsx.read_bytes() == b"edited by the disclosure officer"

    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    window.statusBar().clearMessage()
    timer = when_modal(ScheduleDialog, fill, seen)
    window.schedule_action.trigger()
    timer.stop()
    qtbot.waitUntil(lambda: "Wrote" in window.statusBar().currentMessage(), timeout=30_000)
    assert xlsx.read_bytes().startswith(b"PK")


# --- editors and settings ----------------------------------------------------------------------
def test_new_records_are_prefilled_from_the_review_periods_setting(qtbot, ws, case):
    old, src, _new = case
    settings = config.Settings()
    settings.review_months["ocg"] = 6
    settings.review_months["county_lines"] = 3
    window = make_window(qtbot, ws, settings)
    editor = TaskEditor(ws, parent=window)
    qtbot.addWidget(editor)
    editor.thematic.setCurrentIndex(editor.thematic.findData(Thematic.OCG))
    assert editor.review.value() == review.add_months(TODAY, 6)
    editor.thematic.setCurrentIndex(editor.thematic.findData(Thematic.COUNTY_LINES))
    assert editor.review.value() == review.add_months(TODAY, 3)  # follows the thematic
    editor.review.enabled.setChecked(False)  # "no date" is allowed
    qtbot.keyClicks(editor.title, "Runners from Eastbrook")
    qtbot.keyClicks(editor.requester, "DS Ada Rowe")
    click(qtbot, editor.buttons.button(QDialogButtonBox.StandardButton.Save))
    assert editor.result_info.review_on is None

    source_editor = SourceEditor(ws, old.id, parent=window)
    qtbot.addWidget(source_editor)
    assert source_editor.review.value() == review.add_months(TODAY, 3)
    existing = SourceEditor(ws, old.id, src.id)
    qtbot.addWidget(existing)
    assert existing.review.value() == TODAY - dt.timedelta(days=2)


def test_a_status_change_reason_typed_in_the_editor_goes_into_the_log(qtbot, ws, case):
    old, _src, _new = case
    editor = TaskEditor(ws, old.id)
    qtbot.addWidget(editor)
    editor.show()
    editor.status.setCurrentIndex(editor.status.findData(TaskStatus.IN_PROGRESS))
    qtbot.keyClicks(editor.status_reason, "Tasking meeting agreed")
    click(qtbot, editor.buttons.button(QDialogButtonBox.StandardButton.Save))
    (entry,) = research_log.list_log(ws, old.id)
    assert entry.detail == "Status changed from new to in progress."
    assert entry.reason == "Tasking meeting agreed"


def test_review_periods_are_edited_in_the_settings_dialog(qtbot, tmp_path):
    settings = config.Settings()
    path = tmp_path / "settings.json"
    dialog = SettingsDialog(settings, path=path)
    qtbot.addWidget(dialog)
    dialog.show()
    box = dialog.review_months["child_exploitation"]
    assert box.value() == 24 and box.accessibleName().startswith("Review period for")
    box.setValue(36)
    click(qtbot, dialog.buttons.button(QDialogButtonBox.StandardButton.Ok))
    assert settings.review_months["child_exploitation"] == 36
    assert config.load_settings(path).review_months["child_exploitation"] == 36


def test_locking_closes_the_review_windows(qtbot, ws, case):
    old, _src, _new = case
    window = make_window(qtbot, ws)
    window.tasks.select_id(old.id)
    window.due_action.trigger()
    window.log_action.trigger()
    assert visible(window, DueForReviewDialog) and visible(window, ResearchLogDialog)
    window.lock()
    assert not [d for d in window.findChildren(DueForReviewDialog) if d.isVisible()]
    assert not [d for d in window.findChildren(ResearchLogDialog) if d.isVisible()]
    assert not window.due_action.isEnabled() and not window.schedule_action.isEnabled()
