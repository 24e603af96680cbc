"""The start-up dialog, driven as a user would: pick, type, click."""

from __future__ import annotations

import hashlib

import keyring.backends.fail
import pytest
from conftest import PASSPHRASE
from keyring_memory import MemoryKeyring
from PySide6.QtCore import Qt

from toexdesk import config
from toexdesk.ui.dialogs.unlock import UnlockDialog


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def closed_workspace(ws):
    ws.close()
    return ws.path


def make_dialog(qtbot, paths=(), backend=None) -> UnlockDialog:
    settings = config.Settings()
    for path in reversed(list(paths)):
        settings.add_recent(path)
    dialog = UnlockDialog(settings, keyring_backend=backend or keyring.backends.fail.Keyring())
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def type_and_unlock(qtbot, dialog, passphrase):
    dialog.passphrase.clear()
    qtbot.keyClicks(dialog.passphrase, passphrase)
    qtbot.mouseClick(dialog.unlock_button, Qt.MouseButton.LeftButton)


def test_wrong_passphrase_is_said_in_the_dialog_and_retry_works(qtbot, closed_workspace):
    before = sha(closed_workspace)
    dialog = make_dialog(qtbot, [closed_workspace])
    assert dialog.recent.count() == 1 and dialog.selected_path == closed_workspace.resolve()
    type_and_unlock(qtbot, dialog, "not the right one at all")
    qtbot.waitUntil(lambda: "Wrong passphrase" in dialog.unlock_message.text(), timeout=5000)
    assert dialog.unlock_message.text().startswith("Error:")  # words, not only red
    assert dialog.isVisible() and dialog.workspace is None
    assert sha(closed_workspace) == before

    with qtbot.waitSignal(dialog.workspace_opened, timeout=5000):
        type_and_unlock(qtbot, dialog, PASSPHRASE)
    assert dialog.result() == dialog.DialogCode.Accepted
    assert dialog.workspace.analyst == "Test Analyst"
    assert dialog.passphrase.text() == ""  # not left lying in the widget
    dialog.workspace.close()


def test_remember_is_disabled_with_a_reason_without_a_secure_store(qtbot, closed_workspace):
    dialog = make_dialog(qtbot, [closed_workspace])
    assert not dialog.remember.isEnabled()
    assert "no secure credential store" in dialog.remember.toolTip()


def test_remember_stores_in_the_keyring_and_prefills_next_time(qtbot, closed_workspace):
    store = MemoryKeyring()
    dialog = make_dialog(qtbot, [closed_workspace], backend=store)
    assert dialog.remember.isEnabled()
    dialog.remember.setChecked(True)
    with qtbot.waitSignal(dialog.workspace_opened, timeout=5000):
        type_and_unlock(qtbot, dialog, PASSPHRASE)
    dialog.workspace.close()
    assert list(store.store.values()) == [PASSPHRASE]

    again = make_dialog(qtbot, [closed_workspace], backend=store)
    assert again.passphrase.text() == PASSPHRASE and again.remember.isChecked()
    again.remember.setChecked(False)
    with qtbot.waitSignal(again.workspace_opened, timeout=5000):
        qtbot.mouseClick(again.unlock_button, Qt.MouseButton.LeftButton)
    again.workspace.close()
    assert store.store == {}  # unticking forgets it


def test_create_checks_the_passphrase_then_makes_the_workspace(qtbot, tmp_path):
    dialog = make_dialog(qtbot)
    qtbot.mouseClick(dialog.new_button, Qt.MouseButton.LeftButton)
    assert dialog.pages.currentIndex() == 1
    target = tmp_path / "new-case"
    qtbot.keyClicks(dialog.new_path, str(target))
    dialog.analyst.clear()  # prefilled from the settings or the OS user name
    qtbot.keyClicks(dialog.analyst, "Ann Example")
    qtbot.keyClicks(dialog.new_passphrase, "short")
    assert dialog.strength.value() == 0 and "Too short" in dialog.strength.format()
    qtbot.keyClicks(dialog.confirm, "short")
    qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
    assert "at least 12 characters" in dialog.create_message.text()

    dialog.new_passphrase.clear()
    qtbot.keyClicks(dialog.new_passphrase, "a long and winding passphrase")
    assert dialog.strength.value() >= 3
    qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
    assert "differ" in dialog.create_message.text()
    assert list(tmp_path.iterdir()) == []

    dialog.confirm.clear()
    qtbot.keyClicks(dialog.confirm, "a long and winding passphrase")
    with qtbot.waitSignal(dialog.workspace_opened, timeout=10000):
        qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
    ws = dialog.workspace
    assert ws.path == target.with_suffix(".toex") and ws.analyst == "Ann Example"
    assert dialog.settings.recent_workspaces[0] == str(ws.path.resolve())
    ws.close()


def test_create_over_an_existing_file_is_refused_in_the_dialog(qtbot, closed_workspace):
    before = sha(closed_workspace)
    dialog = make_dialog(qtbot)
    dialog.show_create()
    qtbot.keyClicks(dialog.new_path, str(closed_workspace))
    dialog.analyst.clear()  # prefilled from the settings or the OS user name
    qtbot.keyClicks(dialog.analyst, "Ann Example")
    for field in (dialog.new_passphrase, dialog.confirm):
        qtbot.keyClicks(field, "a long and winding passphrase")
    qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "already exists" in dialog.create_message.text(), timeout=5000)
    assert dialog.workspace is None and sha(closed_workspace) == before


def drive_file_dialog(action):
    """When Qt's file dialog opens (modal), hand it to ``action``."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QFileDialog

    def poll():
        dialog = QApplication.activeModalWidget()
        if isinstance(dialog, QFileDialog):
            action(dialog)
        else:
            QTimer.singleShot(20, poll)

    QTimer.singleShot(0, poll)


def test_open_another_adds_the_chosen_file_and_unlocks_it(qtbot, closed_workspace):
    dialog = make_dialog(qtbot)
    assert dialog.recent.count() == 0

    drive_file_dialog(lambda fd: fd.reject())  # the user changes their mind
    qtbot.mouseClick(dialog.browse_button, Qt.MouseButton.LeftButton)
    assert dialog.recent.count() == 0 and dialog.selected_path is None

    def choose(fd):
        fd.selectFile(str(closed_workspace))
        fd.accept()

    drive_file_dialog(choose)
    qtbot.mouseClick(dialog.browse_button, Qt.MouseButton.LeftButton)
    assert dialog.selected_path == closed_workspace.resolve()
    assert dialog.settings.recent_workspaces == [str(closed_workspace.resolve())]
    with qtbot.waitSignal(dialog.workspace_opened, timeout=5000):
        type_and_unlock(qtbot, dialog, PASSPHRASE)
    dialog.workspace.close()


def test_create_prefills_the_analyst_from_settings_else_the_os_user(qtbot, monkeypatch):
    monkeypatch.setattr(config.getpass, "getuser", lambda: "jdoe")
    dialog = make_dialog(qtbot)
    dialog.show_create()
    assert dialog.analyst.text() == "jdoe"
    settings = config.Settings(analyst_name="DC Ann Example")
    named = UnlockDialog(settings, keyring_backend=keyring.backends.fail.Keyring())
    qtbot.addWidget(named)
    assert named.analyst.text() == "DC Ann Example"
