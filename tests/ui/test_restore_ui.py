"""File › Restore from backup: the workspace goes back to the backup, the current file is
kept aside (and said where), and the window carries on over the restored workspace. A
damaged backup, a wrong passphrase or another workspace's backup is refused while the
workspace is still open, with the current file byte for byte as it was."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from conftest import ANALYST, PASSPHRASE
from PySide6.QtCore import Qt
from shiboken6 import isValid

from toexdesk import config
from toexdesk.core.services import backups, tasks, workspace
from toexdesk.core.store.engine import create_workspace, open_workspace
from toexdesk.ui.dialogs.editor_base import RecordEditor
from toexdesk.ui.dialogs.restore import RestoreDialog
from toexdesk.ui.main_window import MainWindow

ADDED = "Added after the backup"


def make_window(qtbot, ws) -> MainWindow:
    window = MainWindow(ws, config.Settings())
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def open_restore(qtbot, window) -> RestoreDialog:
    window.restore_action.trigger()
    (dialog,) = [d for d in window.findChildren(RestoreDialog) if d.isVisible()]
    qtbot.waitExposed(dialog)
    return dialog


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def add_task(ws, title: str = ADDED) -> None:
    tasks.create_task(
        ws, tasks.TaskDraft(title=title, requester="DS Patel", thematic="county_lines")
    )


def titles(ws) -> list[str]:
    return [t.title for t in tasks.list_tasks(ws)]


@pytest.fixture
def backup(demo_ws, tmp_path) -> Path:
    folder = tmp_path / "backups"
    folder.mkdir()
    return backups.backup_workspace(demo_ws, folder).path


def ask(qtbot, dialog: RestoreDialog, backup: Path, passphrase: str = PASSPHRASE) -> None:
    dialog.backup.setText(str(backup))
    dialog.passphrase.setText(passphrase)
    qtbot.mouseClick(dialog.restore_button, Qt.MouseButton.LeftButton)


def refused(qtbot, dialog: RestoreDialog) -> str:
    qtbot.waitUntil(lambda: dialog.message.is_error, timeout=60_000)
    return dialog.message.text()


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if "restor" in p.name)


def test_restore_puts_the_backup_back_and_keeps_the_current_file_aside(qtbot, demo_ws, backup):
    add_task(demo_ws)
    path = demo_ws.path
    window = make_window(qtbot, demo_ws)
    dialog = open_restore(qtbot, window)
    assert "demo.before-restore-" in dialog.intro.text()
    assert str(path.parent) in dialog.intro.text()  # where the current file is kept

    ask(qtbot, dialog, backup)
    qtbot.waitUntil(lambda: not dialog.restore_button.isVisible(), timeout=60_000)

    assert not window.locked and window.ws is not demo_ws and not window.ws.closed
    assert ADDED not in titles(window.ws)
    assert window.tasks.proxy.rowCount() == len(tasks.list_tasks(window.ws))
    assert window.export_action.isEnabled() and window.restore_action.isEnabled()
    kept = window.last_restore.kept_as
    assert kept.parent == path.parent and kept.name.startswith("demo.before-restore-")
    assert str(kept) in dialog.message.text()
    with open_workspace(kept, PASSPHRASE, read_only=True) as before:
        assert ADDED in titles(before)  # the current file, kept whole
    assert workspace.verify(window.ws).ok
    assert leftovers(path.parent) == [kept.name]  # no temporary copy left behind
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)  # now "Close"
    assert not dialog.isVisible()


def test_a_damaged_backup_is_refused_and_the_workspace_is_untouched(
    qtbot, demo_ws, backup, tmp_path
):
    data = bytearray(backup.read_bytes())
    data[len(data) // 2 + 100] ^= 0xFF  # one flipped bit in a page: its HMAC fails
    damaged = tmp_path / "damaged.toex"
    damaged.write_bytes(bytes(data))
    window = make_window(qtbot, demo_ws)
    path = demo_ws.path
    before = sha256(path)
    dialog = open_restore(qtbot, window)

    ask(qtbot, dialog, damaged)
    text = refused(qtbot, dialog)

    assert "damaged" in text and "Nothing was changed" in text
    assert sha256(path) == before
    assert not window.locked and window.ws is demo_ws and not demo_ws.closed
    assert leftovers(path.parent) == []
    assert dialog.restore_button.isEnabled()  # the user may pick another backup


def test_a_wrong_passphrase_is_refused_with_the_window_still_open(qtbot, demo_ws, backup):
    window = make_window(qtbot, demo_ws)
    before = sha256(demo_ws.path)
    dialog = open_restore(qtbot, window)
    ask(qtbot, dialog, backup, passphrase="not the passphrase")
    assert "wrong passphrase" in refused(qtbot, dialog)
    assert sha256(demo_ws.path) == before and not window.locked


def test_another_workspaces_backup_needs_the_box_ticked(qtbot, demo_ws, tmp_path):
    other = tmp_path / "elsewhere" / "other.toex"
    other.parent.mkdir()
    with create_workspace(other, PASSPHRASE, ANALYST) as ws:
        add_task(ws, "Another workspace's task")
        foreign = backups.backup_workspace(ws, other.parent).path
    window = make_window(qtbot, demo_ws)
    before = sha256(demo_ws.path)
    dialog = open_restore(qtbot, window)
    ask(qtbot, dialog, foreign)
    assert "another workspace" in refused(qtbot, dialog)
    assert sha256(demo_ws.path) == before and not window.locked

    dialog.other.setChecked(True)
    ask(qtbot, dialog, foreign)
    qtbot.waitUntil(lambda: not dialog.restore_button.isVisible(), timeout=60_000)
    assert titles(window.ws) == ["Another workspace's task"]


def test_unsaved_editors_are_asked_about_before_the_restore(
    qtbot, demo_ws, backup, discard_prompts
):
    window = make_window(qtbot, demo_ws)
    window.new_task_action.trigger()
    (editor,) = [e for e in window.findChildren(RecordEditor) if e.isVisible()]
    qtbot.keyClicks(editor.title, "Half a title")
    before = sha256(demo_ws.path)
    dialog = open_restore(qtbot, window)

    discard_prompts.answer = False  # "Keep editing"
    ask(qtbot, dialog, backup)
    assert "unsaved changes" in refused(qtbot, dialog)
    assert discard_prompts.asked == ["An open editor"]
    assert editor.isVisible() and not window.locked and sha256(demo_ws.path) == before

    discard_prompts.answer = True
    ask(qtbot, dialog, backup)
    qtbot.waitUntil(lambda: not dialog.restore_button.isVisible(), timeout=60_000)
    assert not isValid(editor) or not editor.isVisible()  # discarded, as asked
    assert not window.locked


def test_a_restore_failing_after_the_check_reopens_the_unchanged_workspace(
    qtbot, demo_ws, backup, monkeypatch
):
    from toexdesk.core.errors import ExportFailed
    from toexdesk.core.services import restore

    def full_disk(target, *_args, **_kw):
        raise ExportFailed(f"The disk holding {Path(target).parent} is full; nothing was changed.")

    monkeypatch.setattr(restore, "restore_workspace", full_disk)
    window = make_window(qtbot, demo_ws)
    path = demo_ws.path
    before = sha256(path)
    dialog = open_restore(qtbot, window)
    ask(qtbot, dialog, backup)
    assert "is full; nothing was changed" in refused(qtbot, dialog)
    qtbot.waitUntil(lambda: not window.locked, timeout=30_000)  # opened again, same passphrase
    assert window.ws is not demo_ws and not window.ws.closed
    assert sha256(path) == before and leftovers(path.parent) == []
    assert window.tasks.proxy.rowCount() == len(tasks.list_tasks(window.ws))


def test_a_backup_that_is_not_there_is_said_plainly(qtbot, demo_ws, tmp_path):
    window = make_window(qtbot, demo_ws)
    dialog = open_restore(qtbot, window)
    ask(qtbot, dialog, tmp_path / "gone" / "demo_backup_20260101-000000.toex")
    text = refused(qtbot, dialog)
    assert "Cannot restore" in text and "Nothing was changed" in text, text
    assert not window.locked and window.ws is demo_ws
