"""Plaintext leak scan (issue 9, requirement 2): a full scripted session through the real
window, then every file the app could have left behind is searched for marker strings and
for the demo's names, as UTF-8, UTF-16LE and UTF-16BE.

The session: build the demo into a workspace and add records carrying markers; unlock it in
the start-up dialog; search for a marker and jump to the hit; capture a file whose text is a
marker; view it and open it in another program (a decrypted copy, the user's explicit
choice, which must go on lock); preview the task's research summary; export the task to a
folder outside the scanned ones (allowed, and the positive control); lock (Ctrl+L), unlock,
close; and an unexpected error whose text holds a marker and the passphrase goes through
the log. Scanned: the workspace file and any -wal/-journal/-shm beside it (during the session
and after it), the temp folder (TMPDIR, TEMP, TMP and SQLITE_TMPDIR point at a private
folder, and ``tempfile`` is told so too), and the app's data folder with the settings file
and the log. SQLite reads SQLITE_TMPDIR once per process, so the test also proves that no
SQLite temporary file can exist (``temp_store`` is memory) and scans whatever appeared in
the system temp folder during the session for the markers."""

from __future__ import annotations

import logging
import os
import tempfile
import time
from pathlib import Path

import keyring.backends.fail
import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QDesktopServices, QKeySequence
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from toexdesk import config
from toexdesk.core import demo, demo_data
from toexdesk.core.services import entities, exports, findings, sources, tasks
from toexdesk.core.store.engine import create_workspace
from toexdesk.ui.capture import CaptureResults, ProvenanceDialog
from toexdesk.ui.dialogs.attachments import AttachmentsDialog
from toexdesk.ui.dialogs.preview import ProductPreview
from toexdesk.ui.dialogs.search import SearchDialog
from toexdesk.ui.dialogs.unlock import UnlockDialog
from toexdesk.ui.main_window import MainWindow
from toexdesk.ui.workers import run_op, show_failure

PASSPHRASE = "leak scan passphrase kestrel 2026"  # typed with QTest: ASCII
MARKERS = {
    "task": "QUOKKA-TASK-MARKER-5521",
    "source": "Wombat-Źródło-znacznik-8830",
    "file": "NUMBAT-FILE-MARKER-Ω-4417",
    "entity": "Bilby Ngô-Жук-Marker 07700 900562",
    "finding": "Dingo-Finding-Marker-Ꙭ-6093",
}
ENCODINGS = ("utf-8", "utf-16-le", "utf-16-be")
MIN_NEEDLE_BYTES = 8  # shorter strings turn up by chance in several MB of ciphertext


def needles(strings) -> dict[bytes, str]:
    out = {}
    for text in strings:
        for encoding in ENCODINGS:
            data = text.encode(encoding)
            if len(data) >= MIN_NEEDLE_BYTES:
                out[data] = f"{text!r} ({encoding})"
    return out


def scan(paths, wanted: dict[bytes, str]) -> list[str]:
    """Every (file, string) hit in the files under ``paths``."""
    hits = []
    for root in paths:
        root = Path(root)
        files = [root] if root.is_file() else [p for p in root.rglob("*") if p.is_file()]
        for path in files:
            try:
                if path.stat().st_size > 200 * 1024 * 1024:  # another program's big file
                    continue
                data = path.read_bytes()
            except OSError:  # gone meanwhile, or not ours to read
                continue
            hits += [f"{path}: {label}" for needle, label in wanted.items() if needle in data]
    return hits


def when_modal(kind, action):
    def poll():
        dialog = QApplication.activeModalWidget()
        if isinstance(dialog, kind):
            action(dialog)
        else:
            QTimer.singleShot(20, poll)

    QTimer.singleShot(0, poll)


@pytest.fixture
def system_temp() -> Path:
    """The temp folder the process had before the test pointed it elsewhere."""
    return Path(tempfile.gettempdir())


@pytest.fixture
def private_temp(system_temp, tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "temp"
    folder.mkdir()
    for name in ("TMPDIR", "TEMP", "TMP", "SQLITE_TMPDIR"):
        monkeypatch.setenv(name, str(folder))
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.fixture
def app_log(app_data):
    path = config.setup_logging()
    yield path
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "_toex", False)]:
        root.removeHandler(handler)
        handler.close()


def build_workspace(path: Path) -> dict:
    """The demo plus records holding the markers; returns what the session needs."""
    with create_workspace(path, PASSPHRASE, "Leak Analyst") as ws:
        demo.build_demo(ws)
        task = tasks.create_task(
            ws,
            tasks.TaskDraft(MARKERS["task"], "DS Ada Rowe", "ocg", research_questions="Who?"),
        )
        src = sources.create_source(
            ws,
            task.id,
            sources.SourceDraft(
                "Partner return", "partner_agency", "2", "B", "P", description=MARKERS["source"]
            ),
        )
        finding = findings.create_finding(
            ws, task.id, findings.FindingDraft(MARKERS["finding"], "likely"), [(src.id, "supports")]
        )
        entity = entities.create_entity(ws, entities.EntityDraft("person", MARKERS["entity"]))
        entities.mention(ws, entity.id, finding_id=finding.id)
        names = [e.name for e in entities.list_entities(ws)]
        titles = [t.title for t in tasks.list_tasks(ws)]
        texts = [
            f.text[:40] for t in tasks.list_tasks(ws) for f in findings.list_findings(ws, t.id)
        ]
    people = [name for name in names if name != MARKERS["entity"]]
    assert len(people) >= 20 and len(titles) >= 8  # a scan for nothing would prove nothing
    # The name lists the demo draws from, too (short ones go: see MIN_NEEDLE_BYTES).
    listed = [
        name
        for given, families, _ in demo_data.PEOPLE
        for name in [g for g, _gender in given] + [f for forms in families for f in forms]
    ]
    return {"task": task.id, "source": src.id, "demo": people + titles + texts + listed}


def test_a_full_session_leaves_no_plaintext_behind(
    qtbot, tmp_path, system_temp, private_temp, app_data, app_log, monkeypatch
):
    before_system = set(os.listdir(system_temp))
    started = time.time()
    home = tmp_path / "workspaces"
    home.mkdir()
    path = home / "leak.toex"
    made = build_workspace(path)
    marker_needles = needles(MARKERS.values())
    demo_needles = needles(made["demo"])
    everything = marker_needles | demo_needles

    # --- unlock in the start-up dialog --------------------------------------------------------
    settings = config.load_settings()
    settings.add_recent(path)
    dialog = UnlockDialog(settings, keyring_backend=keyring.backends.fail.Keyring())
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.passphrase, PASSPHRASE)
    with qtbot.waitSignal(dialog.workspace_opened, timeout=20_000):
        qtbot.mouseClick(dialog.unlock_button, Qt.MouseButton.LeftButton)
    ws = dialog.workspace
    window = MainWindow(ws, settings, on_close=lambda: config.save_settings(settings))
    qtbot.addWidget(window)
    window.show()
    with ws.engine.connect() as conn:  # no SQLite temporary file can ever be made
        assert conn.exec_driver_sql("PRAGMA temp_store").scalar() == 2

    # --- search for a marker and open the hit ---------------------------------------------
    window.search_action.trigger()
    search = window.findChild(SearchDialog)
    qtbot.keyClicks(search.query, "wombat zrodlo")
    qtbot.waitUntil(lambda: "match" in search.status.text() and bool(search.hits), timeout=10_000)
    assert [h.record_id for h in search.hits] == [made["source"]]
    search.results.setCurrentRow(0)
    search._activated(search.results.item(0))
    assert window.tasks.current_id() == made["task"]
    assert window.sources.current_id() == made["source"]
    search.close()

    # --- capture a file holding a marker --------------------------------------------------
    inbox = tmp_path / "inbox"  # the user's own file: not one the app wrote
    inbox.mkdir()
    note = inbox / "visit-note.txt"
    note.write_text(f"Visit note. {MARKERS['file']} called 07700 900123.\n", encoding="utf-8")
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a, **k: ([str(note)], ""))

    def provenance(dialog):
        dialog.obtained_from.setText("Partner agency e-mail")
        dialog.accept()

    when_modal(ProvenanceDialog, provenance)
    window.attach_action.trigger()
    qtbot.waitUntil(lambda: window.findChild(CaptureResults) is not None, timeout=60_000)
    results = window.findChild(CaptureResults)
    assert results.table.topLevelItem(0).text(1) == "Captured"
    results.close()

    # --- view it, and open it in another program (a decrypted copy, on purpose) -----------
    opened: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: QMessageBox.StandardButton.Open)
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url.toLocalFile()))
    window.files_action.trigger()
    files = window.findChild(AttachmentsDialog)
    files.view()
    assert MARKERS["file"] in files.text.toPlainText()
    files.open_externally()
    (copy,) = opened
    # Positive control for the temp folder scan: the copy the user asked for is found.
    assert scan([private_temp], marker_needles) == [f"{copy}: {MARKERS['file']!r} (utf-8)"]
    files.close()

    # --- the research summary preview ------------------------------------------------------
    window.summary_action.trigger()
    qtbot.waitUntil(lambda: window.findChild(ProductPreview) is not None, timeout=30_000)
    preview = window.findChild(ProductPreview)
    qtbot.waitExposed(preview)
    assert not preview.page_image(0).isNull()

    # --- an unexpected error whose text carries record content and the passphrase ---------
    told: list[str] = []
    monkeypatch.setattr(QMessageBox, "critical", lambda *a, **k: told.append(a[2]))

    def broken(_op):
        raise RuntimeError(f"could not parse {MARKERS['finding']} with {PASSPHRASE}")

    run_op(window, "Checking", broken, on_failure=lambda exc: show_failure(window, exc))
    qtbot.waitUntil(lambda: bool(told), timeout=10_000)
    assert "RuntimeError" in told[0] and MARKERS["finding"] not in told[0]

    # --- an explicit export, outside the scanned folders: the positive control -------------
    shared = tmp_path / "shared-drive"
    shared.mkdir()
    exports.export_task(
        ws, made["task"], shared, formats=["csv"], recipient="DS Ada Rowe", purpose="Tasking"
    )
    exported = scan([shared], marker_needles)
    assert any(MARKERS["source"] in hit for hit in exported), exported
    assert any(MARKERS["finding"] in hit for hit in exported), exported

    # Mid-session, with the workspace open and a journal possibly beside it.
    assert scan([home], everything) == []
    assert scan([private_temp], everything) == [f"{copy}: {MARKERS['file']!r} (utf-8)"]

    # --- lock with Ctrl+L, unlock, close ---------------------------------------------------
    assert window.lock_action.shortcut() == QKeySequence("Ctrl+L")
    window.windowHandle().requestActivate()  # a shortcut needs the active window
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5_000)
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.locked, timeout=5_000)
    assert ws.closed and not Path(copy).exists()  # the decrypted copy went with the lock
    assert not any(p.isVisible() for p in window.findChildren(ProductPreview))
    assert scan([private_temp, home], everything) == []
    screen = window.lock_screen
    qtbot.keyClicks(screen.passphrase, PASSPHRASE)
    qtbot.mouseClick(screen.button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.locked, timeout=20_000)
    assert window.tasks.current_id() == made["task"]
    window.close()
    qtbot.waitUntil(lambda: window.ws.closed, timeout=5_000)

    # --- the scan ------------------------------------------------------------------------------
    assert sorted(p.name for p in home.iterdir()) == ["leak.toex"]  # no -wal/-journal/-shm
    assert path.stat().st_size > 200_000
    assert scan([home], everything) == []
    assert list(private_temp.iterdir()) == [] or scan([private_temp], everything) == []
    assert config.settings_path().exists()
    assert "background operation failed: RuntimeError" in app_log.read_text(encoding="utf-8")
    assert scan([app_data], everything) == []  # settings, log, anything else there
    secret = needles([PASSPHRASE])
    assert scan([app_data, private_temp, home], secret) == []
    # Whatever appeared in the system temp folder meanwhile (other programs' files too: only
    # the unique markers are looked for there).
    fresh = [system_temp / name for name in set(os.listdir(system_temp)) - before_system]
    assert scan([p for p in fresh if p.stat().st_mtime >= started - 1], marker_needles) == []
    # ...and the scan does find what an export wrote, UTF-16 included.
    (shared / "control.txt").write_bytes(MARKERS["entity"].encode("utf-16-le"))
    assert f"{shared / 'control.txt'}: {MARKERS['entity']!r} (utf-16-le)" in scan(
        [shared], marker_needles
    )
