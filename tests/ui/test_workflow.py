"""A researcher's first session, end to end through the real widgets: create a workspace,
log a task, add two graded sources, write a finding citing them, lock, unlock (wrong
passphrase first), and find everything still there, in the panes and on disk."""

from __future__ import annotations

import hashlib

import keyring.backends.fail
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from toexdesk import config
from toexdesk.core.enums import (
    HandlingCode,
    IntelligenceAssessment,
    LinkRelation,
    Phia,
    SourceEvaluation,
    Thematic,
)
from toexdesk.core.services import findings, sources, tasks, workspace
from toexdesk.core.store.engine import open_workspace
from toexdesk.ui.dialogs.editors import SourceEditor, TaskEditor
from toexdesk.ui.dialogs.finding_editor import FindingEditor, SourcePicker
from toexdesk.ui.dialogs.unlock import UnlockDialog
from toexdesk.ui.main_window import MainWindow

PASSPHRASE = "kestrel line research 2026"


def save(qtbot, editor) -> None:
    button = editor.buttons.button(QDialogButtonBox.StandardButton.Save)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def pick(combo, value) -> None:
    index = combo.findData(value)
    assert index >= 0, value
    combo.setCurrentIndex(index)


def add_source(qtbot, window, title, evaluation, assessment, handling, conditions=""):
    window.new_source_action.trigger()
    editor = next(e for e in window.findChildren(SourceEditor) if e.isVisible())
    qtbot.keyClicks(editor.title, title)
    pick(editor.evaluation, SourceEvaluation.parse(evaluation))
    pick(editor.assessment, IntelligenceAssessment.parse(assessment))
    pick(editor.handling, HandlingCode.parse(handling))
    if conditions:
        qtbot.keyClicks(editor.conditions, conditions)
    save(qtbot, editor)
    qtbot.waitUntil(lambda: not editor.isVisible())


def test_create_task_sources_finding_lock_unlock_everything_still_there(qtbot, tmp_path):
    # 1. Create the workspace in the start-up dialog.
    settings = config.Settings()
    dialog = UnlockDialog(settings, keyring_backend=keyring.backends.fail.Keyring())
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.mouseClick(dialog.new_button, Qt.MouseButton.LeftButton)
    dialog.new_path.clear()
    qtbot.keyClicks(dialog.new_path, str(tmp_path / "kestrel"))
    dialog.analyst.clear()
    qtbot.keyClicks(dialog.analyst, "Researcher Example")
    qtbot.keyClicks(dialog.new_passphrase, PASSPHRASE)
    qtbot.keyClicks(dialog.confirm, PASSPHRASE)
    with qtbot.waitSignal(dialog.workspace_opened, timeout=10000):
        qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
    ws = dialog.workspace
    window = MainWindow(ws, settings)
    qtbot.addWidget(window)
    window.show()

    # 2. Log the task.
    window.new_task_action.trigger()
    editor = window.findChild(TaskEditor)
    qtbot.keyClicks(editor.title, "Kestrel line: who holds the deal line")
    qtbot.keyClicks(editor.requester, "DS Ada Rowe")
    pick(editor.thematic, Thematic.COUNTY_LINES)
    qtbot.keyClicks(editor.questions, "Who runs the Kestrel line from Eastbrook?")
    save(qtbot, editor)
    qtbot.waitUntil(lambda: window.tasks.model.total == 1)
    assert window.tasks.current_id() is not None

    # 3. Two graded sources.
    add_source(qtbot, window, "Custody interview summary", "1", "B", "P")
    add_source(
        qtbot,
        window,
        "Housing association tenancy note",
        "2",
        "C",
        "C",
        "Housing association consent before onward sharing",
    )
    assert window.sources.model.total == 2
    grading_column = window.sources.model.column_index("grading")
    gradings = {window.sources.proxy.index(r, grading_column).data() for r in range(2)}
    assert gradings == {"1/B/P", "2/C/C"}

    # 4. A finding citing both, chosen with the picker.
    window.new_finding_action.trigger()
    editor = window.findChild(FindingEditor)
    qtbot.keyClicks(editor.text, "The deal line is held at a flat on Marsh Court")
    pick(editor.phia, Phia.HIGHLY_LIKELY)

    def choose():
        picker = QApplication.activeModalWidget()
        assert isinstance(picker, SourcePicker)
        picker.pane.table.selectAll()
        picker.accept()

    QTimer.singleShot(0, choose)
    qtbot.mouseClick(editor.cite_button, Qt.MouseButton.LeftButton)
    assert [editor.citations.item(r, 1).text() for r in range(2)] == ["1/B/P", "2/C/C"]
    save(qtbot, editor)
    qtbot.waitUntil(lambda: window.findings.model.total == 1)
    task_id = window.tasks.current_id()

    # 5. Lock: the content and the key go; a wrong passphrase is refused.
    window.lock_action.trigger()
    assert window.locked and ws.closed
    before = hashlib.sha256(ws.path.read_bytes()).hexdigest()
    screen = window.lock_screen
    qtbot.keyClicks(screen.passphrase, "kestrel line research 2025")
    qtbot.mouseClick(screen.button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Wrong passphrase" in screen.message.text(), timeout=5000)
    assert hashlib.sha256(ws.path.read_bytes()).hexdigest() == before

    # 6. Unlock: everything is still there.
    screen.passphrase.clear()
    qtbot.keyClicks(screen.passphrase, PASSPHRASE)
    qtbot.mouseClick(screen.button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.locked, timeout=5000)
    assert window.tasks.current_id() == task_id
    assert (window.sources.model.total, window.findings.model.total) == (2, 1)
    assert "OFFICIAL" in window.status.text()
    window.close()

    # ... and on disk, read back through a fresh open.
    again = open_workspace(tmp_path / "kestrel.toex", PASSPHRASE)
    try:
        (task,) = tasks.list_tasks(again)
        assert task.research_questions == "Who runs the Kestrel line from Eastbrook?"
        assert [s.grading for s in sources.list_sources(again, task.id)] == ["1/B/P", "2/C/C"]
        (finding,) = findings.list_findings(again, task.id)
        assert [(c.text, c.relation) for c in finding.citations] == [
            ("[S1 · 1/B/P]", LinkRelation.SUPPORTS),
            ("[S2 · 2/C/C]", LinkRelation.SUPPORTS),
        ]
        report = workspace.verify(again)
        assert report.ok, report
        collected = [
            e.record_type for e in workspace.audit_events(again) if e.action == "collection"
        ]
        assert collected[-4:] == ["task", "source", "source", "finding"]
    finally:
        again.close()
