"""Report › Export to shared drive: every format written whole into a folder and opening
again, the manifest's hashes matching; the names shown before writing; recipient and
purpose offered from the task's last disclosure; no existing file replaced unasked; a
read-only or vanished folder and a cancel each said plainly, with no partial file left."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import docx
import pypdf
import pytest
from conftest import PASSPHRASE
from openpyxl import load_workbook
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton

from toexdesk import config
from toexdesk.core.errors import Cancelled
from toexdesk.core.services import exports, tasks, workspace
from toexdesk.ui.dialogs.export import ExportDialog
from toexdesk.ui.main_window import MainWindow

ROOT = Path(__file__).resolve().parents[2]
RECIPIENT, PURPOSE = "DS Ada Rowe, tasking analyst", "Tasking meeting 27 November"


def make_window(qtbot, ws) -> MainWindow:
    window = MainWindow(ws, config.Settings())
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def open_export(qtbot, window) -> ExportDialog:
    window.export_action.trigger()
    (dialog,) = [d for d in window.findChildren(ExportDialog) if d.isVisible()]
    qtbot.waitExposed(dialog)
    return dialog


def share(tmp_path) -> Path:
    folder = tmp_path / "shared-drive"
    folder.mkdir()
    return folder


def fill(dialog: ExportDialog, folder: Path, formats=None, recipient=RECIPIENT, purpose=PURPOSE):
    for fmt, box in dialog.format_boxes.items():
        box.setChecked(formats is None or fmt in formats)
    dialog.folder.setText(str(folder))
    dialog.recipient.setText(recipient)
    dialog.purpose.setPlainText(purpose)


def export(qtbot, dialog: ExportDialog, timeout: int = 60_000):
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.outcome is not None, timeout=timeout)
    return dialog.outcome


def answer_replace(button: QMessageBox.StandardButton, asked: list[str]) -> None:
    """When the "Replace files?" question opens, note its text and press ``button``."""

    def poll():
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox) and box.windowTitle() == "Replace files?":
            asked.append(box.text())
            box.button(button).click()
        else:
            QTimer.singleShot(20, poll)

    QTimer.singleShot(0, poll)


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def disclosures(ws):
    return [e for e in workspace.audit_events(ws) if e.action == "disclosure"]


# --- the whole export -------------------------------------------------------------------
def test_every_format_is_exported_opens_again_and_matches_the_manifest(
    qtbot, demo_ws, tmp_path, monkeypatch
):
    folder = share(tmp_path)
    window = make_window(qtbot, demo_ws)
    task_id = window.tasks.current_id()
    reference = tasks.get_task(demo_ws, task_id).reference
    dialog = open_export(qtbot, window)
    assert dialog.chosen() == [task_id]
    fill(dialog, folder)
    planned = exports.planned_names(demo_ws, task_id, exports.FORMATS)
    shown = dialog.names.text().splitlines()
    assert shown == list(planned)  # the exact names, before anything is written
    assert all(n.startswith(("OFFICIAL", "SECRET", "TOP")) and reference in n for n in shown)
    before = len(disclosures(demo_ws))

    outcome = export(qtbot, dialog)

    assert outcome.error is None, outcome.error
    written = [f.path for f in outcome.files]
    assert [p.name for p in written] == list(planned)
    assert listing(folder) == sorted(planned)  # no temporary file left beside them
    assert len(disclosures(demo_ws)) == before + len(written)
    by_ext = {}
    for path in written:
        by_ext.setdefault(path.name.rsplit("_", 1)[1], path)
    assert len(pypdf.PdfReader(by_ext["summary.pdf"]).pages) >= 1
    assert docx.Document(by_ext["summary.docx"]).paragraphs
    for kind in ("sources.csv", "findings.csv", "i2-entities.csv"):
        with open(by_ext[kind], newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.reader(fh))
        assert len(rows) >= 2, kind
    book = load_workbook(by_ext["register.xlsx"], read_only=True)
    assert len(book.sheetnames) >= 2
    book.close()
    manifest = by_ext["manifest.sha256"].read_text(encoding="utf-8")
    listed = dict(
        reversed(line.split("  ", 1)) for line in manifest.splitlines() if not line.startswith("#")
    )
    assert sorted(listed) == sorted(p.name for p in written[:-1])
    for path in written[:-1]:
        assert listed[path.name] == sha256(path), path.name
    # The result line names the files, and Open folder shows the folder.
    assert dialog.open_button.isVisible()
    assert all(p.name in dialog.message.text() for p in written)
    opened = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url) or True)
    qtbot.mouseClick(dialog.open_button, Qt.MouseButton.LeftButton)
    assert [Path(u.toLocalFile()) for u in opened] == [folder]


def test_names_shown_are_the_names_written_for_every_demo_task(demo_ws, tmp_path):
    """``planned_names`` works the markings out without reading the task (no consultation
    event): it must agree with what ``export_task`` then writes, i2 marking included."""
    for info in tasks.list_tasks(demo_ws):
        folder = tmp_path / info.reference
        folder.mkdir()
        planned = exports.planned_names(demo_ws, info.id, ["csv", "i2"])
        result = exports.export_task(
            demo_ws, info.id, folder, formats=["csv", "i2"], recipient=RECIPIENT, purpose=PURPOSE
        )
        assert tuple(f.name for f in result.files) == planned, info.reference


def test_several_tasks_chosen_in_the_dialog_are_exported_together(qtbot, demo_ws, tmp_path):
    folder = share(tmp_path)
    window = make_window(qtbot, demo_ws)
    dialog = open_export(qtbot, window)
    first, second = dialog.tasks.item(0), dialog.tasks.item(1)
    first.setCheckState(Qt.CheckState.Checked)
    second.setCheckState(Qt.CheckState.Checked)
    fill(dialog, folder, formats={"csv"})
    names = dialog.names.text().splitlines()
    assert len(names) == 6  # two CSVs and a manifest each
    outcome = export(qtbot, dialog)
    assert outcome.error is None and len(outcome.results) == 2
    assert listing(folder) == sorted(names)


# --- recipient and purpose --------------------------------------------------------------
def test_recipient_and_purpose_are_offered_from_the_tasks_last_export(qtbot, demo_ws, tmp_path):
    window = make_window(qtbot, demo_ws)
    task_id = window.tasks.current_id()
    dialog = open_export(qtbot, window)
    assert dialog.values() == ("", "")  # never disclosed yet
    dialog.reject()
    exports.export_task(
        demo_ws,
        task_id,
        share(tmp_path),
        formats=["csv"],
        recipient=RECIPIENT,
        purpose=PURPOSE,
    )
    again = open_export(qtbot, window)
    assert again.values() == (RECIPIENT, PURPOSE)


# --- never clobber ----------------------------------------------------------------------
def test_an_existing_file_is_replaced_only_after_asking(qtbot, demo_ws, tmp_path):
    folder = share(tmp_path)
    window = make_window(qtbot, demo_ws)
    dialog = open_export(qtbot, window)
    fill(dialog, folder, formats={"csv"})
    names = dialog.names.text().splitlines()
    existing = folder / names[0]
    existing.write_text("the analyst's own edited copy\n", encoding="utf-8")
    stamp = existing.stat().st_mtime_ns
    asked: list[str] = []

    answer_replace(QMessageBox.StandardButton.No, asked)
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(asked), timeout=10_000)

    assert names[0] in asked[0]
    assert dialog.outcome is None and dialog.operation is None  # nothing was started
    assert existing.read_text(encoding="utf-8") == "the analyst's own edited copy\n"
    assert existing.stat().st_mtime_ns == stamp
    assert listing(folder) == [names[0]]
    assert "Nothing was exported" in dialog.message.text()
    assert dialog.export_button.isEnabled()

    answer_replace(QMessageBox.StandardButton.Yes, asked)
    outcome = export(qtbot, dialog)
    assert len(asked) == 2 and outcome.error is None
    assert listing(folder) == sorted(names)
    assert "edited copy" not in existing.read_text(encoding="utf-8")


# --- failures ---------------------------------------------------------------------------
CHILD = """
import json, sys
from pathlib import Path
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from toexdesk.core.store.engine import open_workspace
from toexdesk.ui.dialogs.export import ExportDialog

app = QApplication([])
ws = open_workspace(Path(sys.argv[1]), sys.argv[2])
dialog = ExportDialog(ws, int(sys.argv[3]), sys.argv[4])
dialog.recipient.setText("DS Ada Rowe")
dialog.purpose.setPlainText("Tasking meeting")
dialog.show()
dialog.export()


def poll():
    if dialog.outcome is None and dialog.message.text().startswith("Exporting"):
        return
    files = len(dialog.outcome.files) if dialog.outcome else -1
    print(json.dumps({"message": dialog.message.text(), "files": files}))
    app.quit()


timer = QTimer()
timer.timeout.connect(poll)
timer.start(50)
app.exec()
ws.close()
"""


@pytest.mark.skipif(os.name != "posix", reason="permission bits")
def test_a_read_only_folder_is_said_in_the_dialog_and_nothing_is_left(
    demo_ws, tmp_path, unprivileged, app_data
):
    """In a child process, so that a root test run still meets the permission bits."""
    folder = share(tmp_path)
    task_id = tasks.list_tasks(demo_ws)[0].id
    path = demo_ws.path
    demo_ws.close()
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOEX_")}
    env |= {"PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen", "TOEX_DATA_DIR": str(app_data)}
    try:
        proc = subprocess.run(
            [
                *unprivileged,
                sys.executable,
                "-c",
                CHILD,
                str(path),
                PASSPHRASE,
                str(task_id),
                str(folder),
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=180,
            check=False,
        )
    finally:
        folder.chmod(stat.S_IRWXU)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.splitlines()[-1])
    assert result["message"].startswith("Error: No permission to write in"), result
    assert "nothing was saved" in result["message"] and result["files"] == 0
    assert listing(folder) == []


def test_a_folder_gone_before_the_export_is_said_and_nothing_is_written(qtbot, demo_ws, tmp_path):
    folder = share(tmp_path)
    window = make_window(qtbot, demo_ws)
    dialog = open_export(qtbot, window)
    fill(dialog, folder, formats={"csv"})
    folder.rmdir()  # the network drive went away
    before = len(disclosures(demo_ws))
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.message.is_error, timeout=10_000)
    assert "is not there" in dialog.message.text() and dialog.export_button.isEnabled()
    assert dialog.outcome is None and not folder.exists()
    assert len(disclosures(demo_ws)) == before


def test_cancel_while_a_file_is_written_leaves_no_partial_file(
    qtbot, demo_ws, tmp_path, monkeypatch
):
    from toexdesk.core.render import pdf

    started = threading.Event()

    def slow_pdf(summary, fh, *, cancelled=None, **_kw):
        fh.write(b"%PDF-1.7 half a summary")
        fh.flush()
        started.set()
        deadline = time.monotonic() + 30
        while not cancelled() and time.monotonic() < deadline:
            time.sleep(0.01)
        raise Cancelled("stopped")

    monkeypatch.setattr(pdf, "render_summary_pdf", slow_pdf)
    folder = share(tmp_path)
    window = make_window(qtbot, demo_ws)
    dialog = open_export(qtbot, window)
    fill(dialog, folder)
    before = len(disclosures(demo_ws))
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(started.is_set, timeout=30_000)
    (partial,) = listing(folder)  # the half-written file, under its temporary name
    assert partial.startswith(".toex-") and partial.endswith(".part")
    op = dialog.operation
    qtbot.waitUntil(lambda: op.dialog is not None and op.dialog.isVisible(), timeout=5_000)
    (cancel,) = op.dialog.findChildren(QPushButton)
    qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.outcome is not None, timeout=30_000)
    assert isinstance(dialog.outcome.error, Cancelled)
    assert listing(folder) == []
    assert dialog.message.text() == "Error: The export was stopped; nothing was saved."
    assert len(disclosures(demo_ws)) == before
    assert dialog.export_button.isEnabled() and not dialog.open_button.isVisible()


def test_the_export_dialog_closes_when_the_window_locks(qtbot, demo_ws):
    window = make_window(qtbot, demo_ws)
    dialog = open_export(qtbot, window)
    window.lock()
    assert not dialog.isVisible()
    assert not window.export_action.isEnabled() and not window.restore_action.isEnabled()


def test_a_file_failing_after_others_were_saved_says_which_were_saved(
    qtbot, demo_ws, tmp_path, monkeypatch
):
    import errno

    from toexdesk.core.render import tabular

    def full_disk(*_args, **_kw):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(tabular, "write_xlsx", full_disk)
    folder = share(tmp_path)
    window = make_window(qtbot, demo_ws)
    dialog = open_export(qtbot, window)
    fill(dialog, folder, formats={"csv", "xlsx"})
    outcome = export(qtbot, dialog)
    assert isinstance(outcome.error, exports.ExportIncomplete)
    saved = [f.name for f in outcome.files]
    assert listing(folder) == sorted(saved) and len(saved) == 2  # the two CSVs, whole
    text = dialog.message.text()
    assert text.startswith("Error: ") and "is full" in text
    assert outcome.error.failed in text and all(name in text for name in saved)
    assert dialog.open_button.isVisible()
