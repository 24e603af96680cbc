"""Products from the window: the research summary preview, saving as PDF and DOCX, printing,
each recorded as a disclosure; the briefing pack; previews close when the window locks."""

from __future__ import annotations

import hashlib
import json

import docx
import pypdfium2 as pdfium
from PySide6.QtCore import Qt, QTimer
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QFileDialog

from toexdesk import config
from toexdesk.core.services import workspace
from toexdesk.ui.dialogs.disclosure import DisclosureDialog
from toexdesk.ui.dialogs.preview import ProductPreview
from toexdesk.ui.main_window import MainWindow
from toexdesk.ui.products import PackDialog


def when_modal(kind, action):
    """When a modal dialog of ``kind`` opens, hand it to ``action``."""

    def poll():
        dialog = QApplication.activeModalWidget()
        if isinstance(dialog, kind):
            action(dialog)
        else:
            QTimer.singleShot(20, poll)

    QTimer.singleShot(0, poll)


def disclose(qtbot, recipient="DS Ada Rowe", purpose="Tasking meeting 27 Nov"):
    def fill(dialog):
        dialog.recipient.setText(recipient)
        dialog.purpose.setPlainText(purpose)
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)

    when_modal(DisclosureDialog, fill)


def open_preview(qtbot, window) -> ProductPreview:
    window.summary_action.trigger()
    qtbot.waitUntil(lambda: window.findChild(ProductPreview) is not None, timeout=20_000)
    preview = window.findChild(ProductPreview)
    qtbot.waitExposed(preview)
    return preview


def out_dir(tmp_path):
    folder = tmp_path / "shared-drive"
    folder.mkdir()
    return folder


def make_window(qtbot, ws):
    window = MainWindow(ws, config.Settings())
    qtbot.addWidget(window)
    window.show()
    return window


def disclosures(ws):
    return [e for e in workspace.audit_events(ws) if e.action == "disclosure"]


def test_summary_preview_shows_the_pages_with_the_marking(qtbot, demo_ws):
    window = make_window(qtbot, demo_ws)
    preview = open_preview(qtbot, window)
    product = preview.product
    assert product.pages == len(preview.views) >= 1
    assert preview.banner.text().startswith(f"<b>{product.marking.label}</b>")
    image = preview.page_image(0)
    assert image.width() > 300 and not image.isNull()
    before = preview.views[0].width()
    preview.step_zoom(1)
    assert preview.views[0].width() > before
    assert disclosures(demo_ws) == []  # looking is not a disclosure


def test_save_as_pdf_asks_who_and_why_and_records_it(qtbot, demo_ws, tmp_path, monkeypatch):
    window = make_window(qtbot, demo_ws)
    preview = open_preview(qtbot, window)
    target = out_dir(tmp_path) / "out.pdf"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    disclose(qtbot)
    preview.pdf_action.trigger()
    qtbot.waitUntil(lambda: target.exists(), timeout=10_000)
    data = target.read_bytes()
    assert data == preview.product.pdf
    assert len(pdfium.PdfDocument(data)) == preview.product.pages
    (event,) = disclosures(demo_ws)
    assert event.recipient == "DS Ada Rowe" and event.justification == "Tasking meeting 27 Nov"
    details = json.loads(event.details)
    assert details["format"] == "pdf" and details["sha256"] == hashlib.sha256(data).hexdigest()
    assert [p.name for p in target.parent.iterdir()] == ["out.pdf"]  # no temp file left


def test_cancelling_the_disclosure_saves_nothing(qtbot, demo_ws, tmp_path, monkeypatch):
    window = make_window(qtbot, demo_ws)
    preview = open_preview(qtbot, window)
    target = out_dir(tmp_path) / "out.pdf"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))

    def refuse_empty_then_cancel(dialog):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)  # nothing entered
        assert dialog.isVisible() and "recipient" in dialog.message.text()
        dialog.reject()

    when_modal(DisclosureDialog, refuse_empty_then_cancel)
    preview.pdf_action.trigger()
    assert list(target.parent.iterdir()) == [] and disclosures(demo_ws) == []


def test_save_as_docx_writes_the_same_summary(qtbot, demo_ws, tmp_path, monkeypatch):
    window = make_window(qtbot, demo_ws)
    preview = open_preview(qtbot, window)
    target = tmp_path / "summary"  # no extension typed: .docx is added
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    disclose(qtbot)
    preview.docx_action.trigger()
    saved = tmp_path / "summary.docx"
    qtbot.waitUntil(lambda: saved.exists(), timeout=10_000)
    document = docx.Document(str(saved))
    header = document.sections[0].header.paragraphs
    assert any(preview.product.marking.label in p.text for p in header)
    (event,) = disclosures(demo_ws)
    assert json.loads(event.details)["format"] == "docx"


def test_print_sends_every_page_to_the_printer_after_recording(qtbot, demo_ws, tmp_path):
    window = make_window(qtbot, demo_ws)
    preview = open_preview(qtbot, window)
    out = tmp_path / "printed.pdf"

    def to_file(printer: QPrinter) -> bool:  # there is no printer here: print to a file
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(out))
        return True

    preview.choose_printer = to_file
    disclose(qtbot, purpose="Briefing for the morning meeting")
    preview.print_action.trigger()
    qtbot.waitUntil(lambda: "Printed" in preview.status.text(), timeout=20_000)
    assert len(pdfium.PdfDocument(str(out))) == preview.product.pages
    (event,) = disclosures(demo_ws)
    assert json.loads(event.details)["format"] == "print"


def test_briefing_pack_of_ticked_tasks_opens_in_the_preview(qtbot, demo_ws):
    window = make_window(qtbot, demo_ws)

    def choose(dialog: PackDialog):
        for row in range(3):
            dialog.tasks.item(row).setCheckState(Qt.CheckState.Checked)
        dialog.title.setText("Weekly tasking pack")
        ok = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
        qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)

    when_modal(PackDialog, choose)
    window.pack_action.trigger()
    qtbot.waitUntil(lambda: window.findChild(ProductPreview) is not None, timeout=30_000)
    preview = window.findChild(ProductPreview)
    assert preview.product.kind == "briefing pack" and len(preview.product.task_ids) == 3
    assert preview.product.name == "Weekly tasking pack"


def test_locking_closes_the_previews(qtbot, demo_ws):
    window = make_window(qtbot, demo_ws)
    preview = open_preview(qtbot, window)
    window.lock()
    assert not preview.isVisible()
    window.ws.close()
