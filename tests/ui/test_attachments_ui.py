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


def _pdf(path, pages: int) -> None:
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path))
    for n in range(1, pages + 1):
        pdf.drawString(72, 720, f"Page {n}: handset 07700 900{n:03d} at LS1 4AP")
        pdf.showPage()
    pdf.save()


def _choose(dialog, text: str) -> None:
    for row in range(dialog.files.count()):
        if dialog.files.item(row).text().startswith(text):
            dialog.files.setCurrentRow(row)
            return
    raise AssertionError(f"no {text!r} in the list")


def test_a_pdf_is_read_page_by_page_and_its_spots_shown_in_place(qtbot, ws, tmp_path):
    window, src = setup(qtbot, ws, tmp_path)
    _pdf(tmp_path / "return.pdf", 3)
    (result,) = capture.capture_files(ws, src.id, [tmp_path / "return.pdf"])
    assert result.ok, result
    window.files_action.trigger()
    dialog = window.findChild(AttachmentsDialog)
    _choose(dialog, "return.pdf")
    dialog.view()
    viewer = dialog.viewer
    assert viewer.page_total == 3 and viewer.page == 0
    assert viewer.pdf_bar.isVisibleTo(dialog) and "3 pages" in dialog.note.text()
    first = viewer.image.pixmap().toImage()
    viewer.next_button.click()
    assert viewer.page == 1 and viewer.page_box.value() == 2
    assert viewer.image.pixmap().toImage() != first  # another page drawn
    viewer.page_box.setValue(3)
    assert viewer.page == 2 and not viewer.next_button.isEnabled()
    viewer.go_to(99)  # clamped, not an error
    assert viewer.page == 2
    # The spotted number from page 2 is shown in the extracted text, selected.
    item = next(
        dialog.spots.topLevelItem(i)
        for i in range(dialog.spots.topLevelItemCount())
        if dialog.spots.topLevelItem(i).text(0) == "07700 900002"
    )
    dialog.show_spot(item)
    assert viewer.pages.currentWidget() is viewer.text and viewer.text_button.isChecked()
    assert viewer.text.textCursor().selectedText() == "07700 900002"
    dialog.close()
    assert viewer.page_total == 0  # the document is let go with the dialog


def test_a_damaged_pdf_or_image_is_said_in_the_viewer_not_raised(qtbot, ws, tmp_path):
    window, src = setup(qtbot, ws, tmp_path)
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.7\n1 0 obj <</Type /Catalog>> endobj\n" * 3)
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    results = capture.capture_files(ws, src.id, [tmp_path / "broken.pdf", tmp_path / "broken.png"])
    assert all(r.ok for r in results), results  # captured, even if no text came out
    window.files_action.trigger()
    dialog = window.findChild(AttachmentsDialog)
    _choose(dialog, "broken.pdf")
    dialog.view()
    assert "cannot be drawn" in dialog.viewer.text.toPlainText()
    assert not dialog.viewer.pdf_bar.isVisibleTo(dialog)
    _choose(dialog, "broken.png")
    dialog.view()
    assert "cannot be shown" in dialog.viewer.text.toPlainText()


def test_spotting_in_the_sources_notes(qtbot, ws, tmp_path):
    window, src = setup(qtbot, ws, tmp_path)
    sources.update_source(
        ws,
        src.id,
        description="Handler uses 07700 900777 and e-mail runner.k@example.org.",
        reference="Partner ref PA/0042",
    )
    window.files_action.trigger()
    dialog = window.findChild(AttachmentsDialog)
    _choose(dialog, "Notes of this source")
    assert not dialog.external_button.isEnabled()  # notes are not a file
    dialog.view()
    assert "07700 900777" in dialog.viewer.text.toPlainText()
    assert workspace.audit_events(ws, "source")[-1].action == "consultation"
    spotted = {
        dialog.spots.topLevelItem(i).text(0): dialog.spots.topLevelItem(i)
        for i in range(dialog.spots.topLevelItemCount())
    }
    assert {"07700 900777", "runner.k@example.org"} <= set(spotted)
    dialog.show_spot(spotted["runner.k@example.org"])
    assert dialog.viewer.text.textCursor().selectedText() == "runner.k@example.org"
    dialog.spots.setCurrentItem(spotted["07700 900777"])
    dialog.add_entity()
    (entity,) = entities.list_entities(ws, "phone")
    assert entity.name == "07700 900777" and entity.mentions == 1
