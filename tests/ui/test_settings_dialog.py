"""The settings dialog, driven as a user would: type, pick, click OK or Cancel."""

from __future__ import annotations

import copy
import re

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QLabel, QWidget

from toexdesk import config
from toexdesk.core.enums import Marking
from toexdesk.ui.dialogs.settings import SettingsDialog


@pytest.fixture
def settings(tmp_path) -> config.Settings:
    settings = config.Settings()
    for name in ("c.toex", "b.toex", "a.toex"):
        settings.add_recent(tmp_path / name)  # a.toex ends up first
    settings.ui_state["geometry"] = "AAAA"
    return settings


def open_dialog(qtbot, settings, **kwargs) -> SettingsDialog:
    dialog = SettingsDialog(settings, **kwargs)
    qtbot.addWidget(dialog)
    with qtbot.waitActive(dialog):
        dialog.show()
        dialog.activateWindow()
    return dialog


def click(qtbot, dialog, which: QDialogButtonBox.StandardButton) -> None:
    qtbot.mouseClick(dialog.buttons.button(which), Qt.MouseButton.LeftButton)


def type_into(qtbot, widget, text: str) -> None:
    widget.setFocus()
    qtbot.keyClick(widget, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(widget, text)


def test_ok_saves_every_change_to_the_file(qtbot, settings, monkeypatch):
    monkeypatch.setattr(config.getpass, "getuser", lambda: "jdoe")
    dialog = open_dialog(qtbot, settings)
    assert dialog.analyst.placeholderText() == "jdoe"  # what an empty name stands for
    type_into(qtbot, dialog.lock_minutes, "25")
    type_into(qtbot, dialog.clipboard_seconds, "90")
    dialog.marking.setFocus()
    qtbot.keyClick(dialog.marking, Qt.Key.Key_Down)
    qtbot.keyClick(dialog.marking, Qt.Key.Key_Down)
    type_into(qtbot, dialog.analyst, "  DC  Ann Example ")
    dialog.recent.setCurrentRow(1)  # b.toex
    qtbot.mouseClick(dialog.remove_button, Qt.MouseButton.LeftButton)
    click(qtbot, dialog, QDialogButtonBox.StandardButton.Ok)

    assert dialog.result() == dialog.DialogCode.Accepted
    saved = config.load_settings()
    assert saved.auto_lock_minutes == 25 and saved.clipboard_clear_seconds == 90
    assert Marking(saved.default_marking) is Marking.SECRET
    assert saved.analyst_name == "DC Ann Example"
    assert [p.rsplit("/", 1)[-1] for p in saved.recent_workspaces] == ["a.toex", "c.toex"]
    assert saved.ui_state == {"geometry": "AAAA"}  # what the dialog does not show is kept
    assert saved == settings  # the settings in use changed too


def test_clear_all_empties_the_recent_list(qtbot, settings):
    dialog = open_dialog(qtbot, settings)
    qtbot.mouseClick(dialog.clear_button, Qt.MouseButton.LeftButton)
    assert dialog.recent.count() == 0
    assert not dialog.remove_button.isEnabled() and not dialog.clear_button.isEnabled()
    click(qtbot, dialog, QDialogButtonBox.StandardButton.Ok)
    assert config.load_settings().recent_workspaces == []


def test_cancel_changes_nothing(qtbot, settings):
    before = copy.deepcopy(settings)
    dialog = open_dialog(qtbot, settings)
    type_into(qtbot, dialog.lock_minutes, "99")
    type_into(qtbot, dialog.analyst, "Somebody Else")
    qtbot.mouseClick(dialog.clear_button, Qt.MouseButton.LeftButton)
    click(qtbot, dialog, QDialogButtonBox.StandardButton.Cancel)
    assert dialog.result() == dialog.DialogCode.Rejected
    assert settings == before
    assert not config.settings_path().exists()


def test_a_failed_save_is_said_in_the_dialog_which_stays_open(qtbot, settings, tmp_path):
    before = copy.deepcopy(settings)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("", encoding="utf-8")
    dialog = open_dialog(qtbot, settings, path=blocker / "settings.json")
    type_into(qtbot, dialog.lock_minutes, "30")
    click(qtbot, dialog, QDialogButtonBox.StandardButton.Ok)
    assert dialog.isVisible() and dialog.result() != dialog.DialogCode.Accepted
    assert dialog.message.text().startswith("Error: The settings could not be saved in")
    assert str(blocker) in dialog.message.text()
    assert settings == before  # nothing half-applied


def test_a_read_only_folder_is_named_as_such(qtbot, settings, monkeypatch):
    def refuse(*_args, **_kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(config, "save_settings", refuse)
    dialog = open_dialog(qtbot, settings)
    click(qtbot, dialog, QDialogButtonBox.StandardButton.Ok)
    assert "read-only" in dialog.message.text() and dialog.isVisible()
    monkeypatch.undo()
    click(qtbot, dialog, QDialogButtonBox.StandardButton.Ok)  # fixed: it saves and closes
    assert dialog.result() == dialog.DialogCode.Accepted and config.settings_path().exists()


def test_the_dialog_says_where_settings_live_and_whether_portable(qtbot, settings):
    dialog = open_dialog(qtbot, settings)
    assert dialog.location.isReadOnly()
    assert str(config.settings_path()) in dialog.location.text()
    assert str(config.log_dir()) in dialog.location.text()
    assert "TOEX_DATA_DIR" in dialog.location.text()  # how the tests point it elsewhere


def test_every_control_has_a_name_a_tooltip_and_a_labelled_mnemonic(qtbot, settings):
    dialog = open_dialog(qtbot, settings)
    fields = [
        dialog.lock_minutes,
        dialog.clipboard_seconds,
        dialog.marking,
        dialog.analyst,
        dialog.recent,
        dialog.remove_button,
        dialog.clear_button,
        dialog.location,
    ]
    for widget in fields:
        assert widget.accessibleName() and widget.toolTip(), widget
    labels = [label for label in dialog.findChildren(QLabel) if "&" in label.text()]
    buddies = {label.buddy() for label in labels}
    assert set(fields) - {dialog.remove_button, dialog.clear_button} <= buddies
    texts = [label.text() for label in labels] + [
        dialog.remove_button.text(),
        dialog.clear_button.text(),
    ]
    letters = [re.search(r"&(\w)", t).group(1).lower() for t in texts]
    assert len(letters) == len(set(letters)), texts
    assert dialog.lock_minutes.suffix() == " min"
    assert (dialog.lock_minutes.minimum(), dialog.lock_minutes.maximum()) == (1, 240)
    assert (dialog.clipboard_seconds.minimum(), dialog.clipboard_seconds.maximum()) == (5, 600)
    assert [dialog.marking.itemText(i) for i in range(dialog.marking.count())] == [
        m.label for m in Marking
    ]
    assert isinstance(dialog.focusWidget(), QWidget)
