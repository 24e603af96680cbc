"""A source's files from the window: viewed in the app (audited), entities spotted in the
text added in one click, an external copy wiped on lock; backups now and on close."""

from __future__ import annotations

import os

from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFileDialog, QMessageBox

from toexdesk import config
from toexdesk.core.services import capture, entities, sources, tasks, workspace
from toexdesk.ui.dialogs.attachments import AttachmentsDialog
from toexdesk.ui.main_window import MainWindow


def setup(qtbot, ws, tmp_path, settings=None):
    task = tasks.create_task(ws, tasks.TaskDraft("Kestrel line", "DS Rowe", "county_lines"))
    src = sources.create_source(
        ws, task.id, sources.SourceDraft("Partner return", "partner_agency", "2", "B", "P")
    )
    note = tmp_path / "note.txt"
    note.write_text("Runner seen at LS1 4AP; phone 07700 900123; car AB12 CDE.", encoding="utf-8")
    (result,) = capture.capture_files(ws, src.id, [note])
    assert result.ok, result
    window = MainWindow(ws, settings or config.Settings())
    qtbot.addWidget(window)
    window.show()
    window.sources.select_id(src.id)
    return window, src


def test_view_spot_and_add_an_entity(qtbot, ws, tmp_path):
    window, _src = setup(qtbot, ws, tmp_path)
    window.files_action.trigger()
    dialog = window.findChild(AttachmentsDialog)
    dialog.view()
    assert "07700 900123" in dialog.text.toPlainText()
    events = [e.action for e in workspace.audit_events(ws, "attachment")]
    assert events[-1] == "consultation"
    spotted = {
        dialog.spots.topLevelItem(i).text(0) for i in range(dialog.spots.topLevelItemCount())
    }
    assert {"07700 900123", "LS1 4AP", "AB12 CDE"} <= spotted
    row = next(
        i
        for i in range(dialog.spots.topLevelItemCount())
        if dialog.spots.topLevelItem(i).text(0) == "07700 900123"
    )
    dialog.spots.setCurrentItem(dialog.spots.topLevelItem(row))
    dialog.add_entity()
    (entity,) = entities.list_entities(ws, "phone")
    assert entity.name == "07700 900123" and entity.mentions == 1
    dialog.add_entity()  # twice: linked to the same entity, not a second one
    assert len(entities.list_entities(ws, "phone")) == 1


def test_an_external_copy_is_read_only_and_wiped_on_lock(qtbot, ws, tmp_path, monkeypatch):
    window, _src = setup(qtbot, ws, tmp_path)
    opened = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: QMessageBox.StandardButton.Open)
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url.toLocalFile()))
    window.files_action.trigger()
    dialog = window.findChild(AttachmentsDialog)
    dialog.open_externally()
    (path,) = opened
    with open(path, encoding="utf-8") as fh:
        assert fh.read().startswith("Runner seen")
    assert not os.access(path, os.W_OK) or os.geteuid() == 0  # read-only (root ignores it)
    assert oct(os.stat(os.path.dirname(path)).st_mode & 0o777) == "0o700"
    window.lock()
    assert not os.path.exists(path) and not os.path.exists(os.path.dirname(path))
    window.ws.close()


def test_back_up_now_and_on_close(qtbot, ws, tmp_path, monkeypatch):
    folder = tmp_path / "backups"
    folder.mkdir()
    settings = config.Settings(backup_on_close=True, backup_folder=str(folder))
    window, _src = setup(qtbot, ws, tmp_path, settings)
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(folder))
    window.backup_action.trigger()
    qtbot.waitUntil(lambda: len(list(folder.glob("*.toex"))) == 1, timeout=20_000)
    window.close()  # nothing changed since that backup: no second one
    qtbot.waitUntil(lambda: ws.closed, timeout=20_000)
    assert len(list(folder.glob("*.toex"))) == 1


def test_closing_after_changes_backs_up_first(qtbot, ws, tmp_path):
    folder = tmp_path / "backups"
    folder.mkdir()
    settings = config.Settings(backup_on_close=True, backup_folder=str(folder))
    window, _src = setup(qtbot, ws, tmp_path, settings)
    window.close()
    qtbot.waitUntil(lambda: len(list(folder.glob("*.toex"))) == 1, timeout=20_000)
    qtbot.waitUntil(lambda: ws.closed, timeout=20_000)
    assert not window.isVisible()


def test_a_near_duplicate_is_offered_before_a_second_entity(qtbot, ws, tmp_path, monkeypatch):
    window, _src = setup(qtbot, ws, tmp_path)
    known = entities.create_entity(ws, entities.EntityDraft("vehicle", "AB12CDE"))
    asked = []

    def answer(parent, title, text, *a, **k):
        asked.append(text)
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", answer)
    window.files_action.trigger()
    dialog = window.findChild(AttachmentsDialog)
    dialog.view()
    row = next(
        i
        for i in range(dialog.spots.topLevelItemCount())
        if dialog.spots.topLevelItem(i).text(0) == "AB12 CDE"
    )
    dialog.spots.setCurrentItem(dialog.spots.topLevelItem(row))
    dialog.add_entity()
    assert asked and "AB12CDE" in asked[0]
    (only,) = entities.list_entities(ws, "vehicle")  # linked to it, not a second one
    assert only.id == known.id and only.mentions == 1
