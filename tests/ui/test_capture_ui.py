"""Capturing files from the window: dropped on a source, dropped below the sources, and
Attach files…; provenance asked first; a results line per file, bad files included."""

from __future__ import annotations

from drag import drop_event, enter_event
from PySide6.QtCore import QMimeData, QPoint, Qt, QTimer, QUrl
from PySide6.QtWidgets import QApplication, QFileDialog

from toexdesk import config
from toexdesk.core.services import attachments, sources, tasks
from toexdesk.ui.capture import CaptureResults, ProvenanceDialog
from toexdesk.ui.main_window import MainWindow


def window_with_source(qtbot, ws):
    task = tasks.create_task(ws, tasks.TaskDraft("Kestrel line", "DS Rowe", "county_lines"))
    src = sources.create_source(
        ws, task.id, sources.SourceDraft("Partner return", "partner_agency", "2", "B", "P")
    )
    window = MainWindow(ws, config.Settings())
    qtbot.addWidget(window)
    window.show()
    return window, task, src


def fill_provenance(obtained_from="Council housing system ref HX-1"):
    def poll():
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, ProvenanceDialog):
            QTimer.singleShot(20, poll)
            return
        dialog.obtained_from.setText(obtained_from)
        dialog.exhibit.setText("EX/1")
        dialog.accept()

    QTimer.singleShot(0, poll)


def drop_files(widget, paths, at: QPoint):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    actions = Qt.DropAction.CopyAction
    enter = enter_event(at, actions, mime)
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted()
    QApplication.sendEvent(
        widget,
        drop_event(at, actions, mime),
    )


def results_of(qtbot, window) -> CaptureResults:
    qtbot.waitUntil(lambda: window.findChild(CaptureResults) is not None, timeout=30_000)
    return window.findChild(CaptureResults)


def test_files_dropped_on_a_source_are_attached_with_provenance(qtbot, ws, tmp_path):
    window, _task, src = window_with_source(qtbot, ws)
    note = tmp_path / "visit-note.txt"
    note.write_text("Visitors to flat 4 every hour; called 07700 900123.", encoding="utf-8")
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    table = window.sources.table
    fill_provenance()
    drop_files(
        table.viewport(), [note, empty], table.visualRect(window.sources.proxy.index(0, 0)).center()
    )
    results = results_of(qtbot, window)
    rows = [
        [results.table.topLevelItem(i).text(c) for c in range(3)]
        for i in range(results.table.topLevelItemCount())
    ]
    assert rows[0][:2] == ["visit-note.txt", "Captured"]
    assert rows[1][1] == "Failed" and "Empty file (0 bytes)" in rows[1][2]
    (info,) = attachments.list_attachments(ws, src.id)
    assert info.original_name == "visit-note.txt"
    assert info.obtained_from == "Council housing system ref HX-1" and info.exhibit_ref == "EX/1"


def test_files_dropped_below_the_sources_become_new_sources(qtbot, ws, tmp_path):
    window, task, _src = window_with_source(qtbot, ws)
    report = tmp_path / "Open source report.txt"
    report.write_text("Advert offering cash work at a car wash.", encoding="utf-8")
    fill_provenance("https://example.org/advert/1")
    drop_files(window.sources.table.viewport(), [report], QPoint(20, 300))
    results_of(qtbot, window)
    titles = [s.title for s in sources.list_sources(ws, task.id)]
    assert len(titles) == 2 and any("Open source report" in t for t in titles)
    assert window.sources.model.total == 2


def test_attach_files_uses_the_file_dialog(qtbot, ws, tmp_path, monkeypatch):
    window, _task, src = window_with_source(qtbot, ws)
    window.sources.table.selectRow(0)
    note = tmp_path / "note.txt"
    note.write_text("A note.", encoding="utf-8")
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a, **k: ([str(note)], ""))
    fill_provenance()
    window.attach_action.trigger()
    results_of(qtbot, window)
    assert [a.original_name for a in attachments.list_attachments(ws, src.id)] == ["note.txt"]


def test_every_kind_of_bad_file_dropped_at_once_gets_its_own_line(qtbot, ws, tmp_path):
    """Requirement 6 from the window: a 0-byte file, a lying extension, ZIP bombs inside
    DOCX and XLSX, a PDF with a broken xref, a huge single-line text, an MSG that is not
    OLE and a file that vanished while the drop was being confirmed, with a good file last.
    Each gets its own line; the good one is stored; what was stored before is unchanged."""
    import hashlib

    import extract_factory as make

    window, _task, src = window_with_source(qtbot, ws)
    earlier = tmp_path / "earlier.txt"
    earlier.write_text("Stored before the bad batch: 07700 900321.", encoding="utf-8")
    (stored,) = attachments.capture_files(ws, src.id, [earlier])

    def stored_copy() -> tuple:
        data = b"".join(attachments.read_attachment(ws, stored.attachment.id))
        return hashlib.sha256(data).hexdigest(), attachments.list_attachments(ws, src.id)[:1]

    before = stored_copy()
    files = {
        "empty.pdf": b"",
        "liar.docx": b"Plain text that only calls itself a Word document.",
        "bomb.docx": make.declare_size(make.docx_bytes(), "word/document.xml", 3 * 2**30),
        "bomb.xlsx": make.billion_laughs_xlsx(),
        "broken.pdf": make.pdf_with_broken_xref(recoverable=False),
        "one-line.txt": b"x" * (6 * 2**20),
        "not-ole.msg": bytes(range(256)) * 8,  # binary, but no OLE compound file
        "vanishing.txt": b"Gone before the capture starts.",
        "good.csv": b"name,phone\nAlex Example,07700 900456\n",
    }
    paths = []
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
        paths.append(tmp_path / name)

    def confirm_after_the_file_vanishes():
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, ProvenanceDialog):
            QTimer.singleShot(20, confirm_after_the_file_vanishes)
            return
        (tmp_path / "vanishing.txt").unlink()
        dialog.accept()

    QTimer.singleShot(0, confirm_after_the_file_vanishes)
    table = window.sources.table
    drop_files(table.viewport(), paths, table.visualRect(window.sources.proxy.index(0, 0)).center())
    results = results_of(qtbot, window)
    rows = {
        results.table.topLevelItem(i).text(0): (
            results.table.topLevelItem(i).text(1),
            results.table.topLevelItem(i).text(2),
        )
        for i in range(results.table.topLevelItemCount())
    }
    assert list(rows) == list(files)  # one line per file, in the order dropped
    assert rows["empty.pdf"] == ("Failed", "Empty file (0 bytes): nothing to capture")
    assert rows["liar.docx"][0] == "Captured" and "content is a Plain text" in rows["liar.docx"][1]
    assert rows["vanishing.txt"][0] == "Failed" and "moved or deleted" in rows["vanishing.txt"][1]
    assert rows["good.csv"][0] == "Captured"
    # Hostile content is still captured (the evidence is kept) with why there is no text.
    for name, why in (
        ("bomb.docx", "ZIP bomb"),
        ("bomb.xlsx", "entit"),
        ("broken.pdf", "PDF"),
        ("not-ole.msg", "not an Outlook message"),
    ):
        assert rows[name][0] == "Captured", (name, rows[name])
        assert why.casefold() in rows[name][1].casefold(), (name, rows[name])
    assert rows["one-line.txt"][0] == "Captured"
    names = {a.original_name: a for a in attachments.list_attachments(ws, src.id)}
    assert set(names) == {"earlier.txt"} | set(files) - {"empty.pdf", "vanishing.txt"}
    assert names["one-line.txt"].extraction_truncated  # cut at the text limit, not refused
    assert stored_copy() == before
