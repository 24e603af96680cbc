"""File › Export bundle… and File › Import bundle…, driven as a person would: a bundle
exported from one window is previewed and imported in a second window over another
workspace, whose panes then show the task; conflicts wait for a Keep mine / Take theirs
choice; refusals show in the dialog, which stays open; the dialogs can be used by keyboard
and screen reader, and close when the window locks."""

from __future__ import annotations

from pathlib import Path

import pytest
from a11y_checks import form_order_problems, reading_order_problems, tab_problems, unnamed
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox
from shiboken6 import isValid

from toexdesk import config
from toexdesk.core.services import bundles, sources, tasks
from toexdesk.core.store.bundle_file import KdfParams
from toexdesk.ui.dialogs.bundle import ExportBundleDialog, ImportBundleDialog
from toexdesk.ui.dialogs.bundle_preview import BundlePreviewDialog
from toexdesk.ui.main_window import MainWindow

BUNDLE_PASSPHRASE = "hand-off passphrase 4417"
FAST = KdfParams(time_cost=1, memory_kib=64, parallelism=1)  # tests only


def make_window(qtbot, ws) -> MainWindow:
    window = MainWindow(ws, config.Settings())
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def opened(qtbot, window, kind):
    qtbot.waitUntil(lambda: any(d.isVisible() for d in window.findChildren(kind)), timeout=60_000)
    (dialog,) = [d for d in window.findChildren(kind) if d.isVisible()]
    return dialog


def closed(dialog) -> bool:
    """Closed (and, with WA_DeleteOnClose, maybe deleted already)."""
    return not isValid(dialog) or not dialog.isVisible()


def click(qtbot, button) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def preview_in(qtbot, window, path: Path, passphrase: str = BUNDLE_PASSPHRASE):
    window.import_bundle_action.trigger()
    dialog = opened(qtbot, window, ImportBundleDialog)
    dialog.file.setText(str(path))
    dialog.passphrase.setText(passphrase)
    click(qtbot, dialog.ok)
    return dialog


def report_box(qtbot, window) -> QMessageBox:
    qtbot.waitUntil(lambda: getattr(window, "last_bundle_report", None) is not None, timeout=60_000)
    return window.last_bundle_report


def test_export_in_one_window_then_import_in_another(qtbot, demo_ws, ws, tmp_path, monkeypatch):
    sender = make_window(qtbot, demo_ws)
    selected = sender.tasks.current_id()
    sender.export_bundle_action.trigger()
    dialog = opened(qtbot, sender, ExportBundleDialog)
    assert dialog.chosen() == [selected]  # the selected task, by default
    chosen = tmp_path / "handoff"  # the suffix is added
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(chosen), ""))
    click(qtbot, dialog.choose)
    qtbot.keyClicks(dialog.passphrase, BUNDLE_PASSPHRASE)
    qtbot.keyClicks(dialog.repeat, BUNDLE_PASSPHRASE)
    qtbot.keyClicks(dialog.recipient, "DS Ada Rowe")
    qtbot.keyClicks(dialog.purpose, "Review of the line")
    click(qtbot, dialog.ok)
    out = tmp_path / "handoff.toexb"
    qtbot.waitUntil(lambda: out.is_file() and closed(dialog), timeout=60_000)
    assert out.name in sender.statusBar().currentMessage()
    reference = tasks.task_rows(demo_ws, [selected])[0].reference

    receiver = make_window(qtbot, ws)
    assert receiver.tasks.proxy.rowCount() == 0
    first = preview_in(qtbot, receiver, out)
    preview = opened(qtbot, receiver, BundlePreviewDialog)
    assert closed(first)
    cells = [
        [preview.table.item(r, c).text() for c in range(4)] for r in range(preview.table.rowCount())
    ]
    assert any(row[0].startswith(reference) and row[2] == "Added" for row in cells)
    assert preview.ok.isEnabled() and not preview.choices
    click(qtbot, preview.ok)
    box = report_box(qtbot, receiver)
    assert f"{reference}: task added" in box.text()
    box.close()
    imported = tasks.find_task_id(ws, reference)
    assert receiver.tasks.current_id() == imported
    assert receiver.sources.proxy.rowCount() == len(sources.list_sources(ws, imported)) > 0


def test_a_conflict_waits_for_a_choice(qtbot, demo_ws, ws, tmp_path):
    task = tasks.list_tasks(demo_ws)[0]
    first = tmp_path / "first.toexb"
    bundles.write_bundle(demo_ws, [task.id], first, BUNDLE_PASSPHRASE, kdf=FAST)
    bundles.import_bundle(ws, first, BUNDLE_PASSPHRASE)
    here_task = tasks.find_task_id(ws, task.reference)
    mine = sources.list_sources(ws, here_task)[0]
    theirs = next(s for s in sources.list_sources(demo_ws, task.id) if s.uid == mine.uid)
    sources.update_source(ws, mine.id, title="Edited here <b>bold</b>")
    sources.update_source(demo_ws, theirs.id, title="Edited there")
    second = tmp_path / "second.toexb"
    bundles.write_bundle(demo_ws, [task.id], second, BUNDLE_PASSPHRASE, kdf=FAST)

    window = make_window(qtbot, ws)
    preview_in(qtbot, window, second)
    dialog = opened(qtbot, window, BundlePreviewDialog)
    (choice,) = dialog.choices
    assert choice.uid == mine.uid and not dialog.ok.isEnabled()
    assert "1 more record" in dialog.message.text()
    assert unnamed(dialog) == []
    choice.combo.setCurrentIndex(choice.combo.findData("theirs"))
    assert dialog.ok.isEnabled() and dialog.resolutions() == {mine.uid: "theirs"}
    click(qtbot, dialog.ok)
    report_box(qtbot, window).close()
    assert sources.list_sources(ws, here_task)[0].title == "Edited there"


def test_a_wrong_passphrase_is_said_in_the_dialog_which_stays_open(qtbot, demo_ws, ws, tmp_path):
    task = tasks.list_tasks(demo_ws)[0]
    out = tmp_path / "x.toexb"
    bundles.write_bundle(demo_ws, [task.id], out, BUNDLE_PASSPHRASE, kdf=FAST)
    window = make_window(qtbot, ws)
    dialog = preview_in(qtbot, window, out, passphrase="not the bundle passphrase")
    qtbot.waitUntil(lambda: dialog.message.is_error, timeout=60_000)
    assert "Wrong bundle passphrase" in dialog.message.text() and dialog.isVisible()
    assert dialog.ok.isEnabled() and not window.findChildren(BundlePreviewDialog)
    tampered = tmp_path / "tampered.toexb"
    data = bytearray(out.read_bytes())
    data[len(data) // 2] ^= 1
    tampered.write_bytes(bytes(data))
    dialog.file.setText(str(tampered))
    dialog.passphrase.setText(BUNDLE_PASSPHRASE)
    click(qtbot, dialog.ok)
    qtbot.waitUntil(lambda: "altered or damaged" in dialog.message.text(), timeout=60_000)
    assert tasks.list_tasks(ws) == []


@pytest.mark.parametrize(
    ("passphrase", "repeat", "ticked", "message"),
    [
        (BUNDLE_PASSPHRASE, "something else entirely", True, "The two passphrases differ"),
        ("short", "short", True, "at least 12 characters"),
        (BUNDLE_PASSPHRASE, BUNDLE_PASSPHRASE, False, "Tick at least one task"),
    ],
)
def test_the_export_dialog_refuses_before_writing(
    qtbot, demo_ws, tmp_path, passphrase, repeat, ticked, message
):
    window = make_window(qtbot, demo_ws)
    window.export_bundle_action.trigger()
    dialog = opened(qtbot, window, ExportBundleDialog)
    if not ticked:
        for row in range(dialog.tasks.count()):
            dialog.tasks.item(row).setCheckState(Qt.CheckState.Unchecked)
    dialog.passphrase.setText(passphrase)
    dialog.repeat.setText(repeat)
    dialog.file.setText(str(tmp_path / "x.toexb"))
    click(qtbot, dialog.ok)
    assert dialog.message.is_error and message in dialog.message.text()
    assert dialog.isVisible() and not (tmp_path / "x.toexb").exists()


def test_the_workspace_passphrase_is_refused_for_the_bundle(qtbot, demo_ws, tmp_path):
    from conftest import PASSPHRASE

    window = make_window(qtbot, demo_ws)
    window.export_bundle_action.trigger()
    dialog = opened(qtbot, window, ExportBundleDialog)
    dialog.passphrase.setText(PASSPHRASE)
    dialog.repeat.setText(PASSPHRASE)
    dialog.file.setText(str(tmp_path / "x.toexb"))
    click(qtbot, dialog.ok)
    qtbot.waitUntil(lambda: dialog.message.is_error, timeout=60_000)
    assert "other than the workspace's own" in dialog.message.text()
    assert not (tmp_path / "x.toexb").exists() and dialog.ok.isEnabled()


def test_the_dialogs_can_be_used_by_keyboard_and_screen_reader(qtbot, demo_ws, ws, tmp_path):
    window = make_window(qtbot, demo_ws)
    window.export_bundle_action.trigger()
    export = opened(qtbot, window, ExportBundleDialog)
    window.import_bundle_action.trigger()
    for kind in (ExportBundleDialog, ImportBundleDialog):
        dialog = opened(qtbot, window, kind)
        dialog.activateWindow()
        qtbot.waitUntil(dialog.isActiveWindow)
        assert unnamed(dialog) == []
        visited: list = []
        problems = tab_problems(qtbot, dialog, visited)
        problems += reading_order_problems(dialog, visited) + form_order_problems(qtbot, dialog)
        assert not problems, "\n".join(problems)
        dialog.reject()
    assert closed(export)


def test_the_preview_with_conflicts_can_be_used_by_keyboard(qtbot, demo_ws, ws, tmp_path):
    task = tasks.list_tasks(demo_ws)[0]
    first = tmp_path / "first.toexb"
    bundles.write_bundle(demo_ws, [task.id], first, BUNDLE_PASSPHRASE, kdf=FAST)
    bundles.import_bundle(ws, first, BUNDLE_PASSPHRASE)
    here_task = tasks.find_task_id(ws, task.reference)
    for where, task_id, title in ((ws, here_task, "Here"), (demo_ws, task.id, "There")):
        for src in sources.list_sources(where, task_id)[:2]:
            sources.update_source(where, src.id, title=f"{title}: {src.title}")
    second = tmp_path / "second.toexb"
    bundles.write_bundle(demo_ws, [task.id], second, BUNDLE_PASSPHRASE, kdf=FAST)
    preview = bundles.preview_bundle(ws, second, BUNDLE_PASSPHRASE)
    assert len(preview.conflicts) == 2
    dialog = BundlePreviewDialog(ws, preview, BUNDLE_PASSPHRASE)
    qtbot.addWidget(dialog)
    with qtbot.waitActive(dialog):
        dialog.show()
        dialog.activateWindow()
    assert unnamed(dialog) == []
    click(qtbot, dialog.all_mine)
    assert set(dialog.resolutions().values()) == {"mine"} and dialog.ok.isEnabled()
    visited: list = []
    problems = tab_problems(qtbot, dialog, visited) + form_order_problems(qtbot, dialog)
    assert not problems, "\n".join(problems)


def test_the_dialogs_close_when_the_window_locks(qtbot, demo_ws):
    window = make_window(qtbot, demo_ws)
    window.export_bundle_action.trigger()
    export = opened(qtbot, window, ExportBundleDialog)
    export.passphrase.setText(BUNDLE_PASSPHRASE)
    window.lock()
    assert closed(export)
    assert not window.export_bundle_action.isEnabled()
    assert not window.import_bundle_action.isEnabled()
