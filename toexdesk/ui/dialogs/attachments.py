"""A source's captured files (Ctrl+Shift+O): each with its type, size and extraction result;
viewed inside the app (text, image, PDF page by page) — a consultation — or, deliberately,
opened in another program from a private temporary copy that is deleted when the workspace
locks or closes. The source's own notes (description, reference, handling conditions) are
the last entry. What entity spotting finds in a file's text or in the notes is listed with
where it was seen (double-click shows it in place) and can be added as an entity, linked to
the source, in one click.

Nothing here is written to disk except the external copy the user asks for."""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import stat
import tempfile
from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from toexdesk.core import spotting
from toexdesk.core.errors import ToexError
from toexdesk.core.services import attachments as attachment_svc
from toexdesk.core.services import entities as entity_svc
from toexdesk.core.services import sources as source_svc
from toexdesk.core.store.engine import Workspace
from toexdesk.ui.widgets.file_view import FileView
from toexdesk.ui.workers import show_failure

_EXTERNAL: list[Path] = []  # private folders holding external copies, wiped on lock/close
ROLE = 256  # Qt.ItemDataRole.UserRole
NOTES = "notes"  # the list entry for the source's own notes


@atexit.register
def wipe_external_copies() -> None:
    """Delete every copy opened in another program (on lock, close and exit)."""
    while _EXTERNAL:
        folder = _EXTERNAL.pop()
        shutil.rmtree(folder, ignore_errors=True)


def _size(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:,} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


class AttachmentsDialog(QDialog):
    def __init__(self, ws: Workspace, source_id: int, label: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.ws, self.source_id = ws, source_id
        self.setWindowTitle(f"Files of {label}")
        self.files = QListWidget()
        self.files.setAccessibleName("Captured files")
        self.files.currentItemChanged.connect(lambda *_a: self._update_buttons())
        self.files.itemActivated.connect(lambda _i: self.view())
        self.view_button = QPushButton("&View")
        self.view_button.setToolTip("Show the file here (recorded as a consultation)")
        self.view_button.clicked.connect(self.view)
        self.external_button = QPushButton("Open &externally…")
        self.external_button.setToolTip(
            "Write a decrypted copy to a private temporary folder and open it in its program"
        )
        self.external_button.clicked.connect(self.open_externally)
        self.viewer = FileView()
        self.text = self.viewer.text
        self.note = QLabel("Choose a file and View it.")
        self.note.setWordWrap(True)
        self.note.setAccessibleName("About the file")
        self.spots = QTreeWidget()
        self.spots.setAccessibleName("Spotted in the text")
        self.spots.setHeaderLabels(["Spotted", "Kind", "Seen in"])
        self.spots.setRootIsDecorated(False)
        self.spots.setToolTip("Double-click an item to see it where it was seen")
        self.spots.itemActivated.connect(lambda item, _col: self.show_spot(item))
        self.add_button = QPushButton("&Add as entity")
        self.add_button.setToolTip("Record the chosen item as an entity mentioned in this source")
        self.add_button.clicked.connect(self.add_entity)
        left = QWidget()
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.files)
        row = QHBoxLayout()
        row.addWidget(self.view_button)
        row.addWidget(self.external_button)
        column.addLayout(row)
        column.addWidget(QLabel("Spotted in the text or notes:"))
        column.addWidget(self.spots)
        column.addWidget(self.add_button)
        right = QWidget()
        column = QVBoxLayout(right)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.note)
        column.addWidget(self.viewer, 1)
        split = QSplitter()
        split.addWidget(left)
        split.addWidget(right)
        split.setSizes([360, 640])
        layout = QVBoxLayout(self)
        layout.addWidget(split)
        em = self.fontMetrics().averageCharWidth()
        self.resize(em * 150, self.fontMetrics().lineSpacing() * 34)
        self._fill()

    def _fill(self) -> None:
        self.files.clear()
        for info in attachment_svc.list_attachments(self.ws, self.source_id):
            status = "" if info.extraction_status.value == "ok" else " · no text"
            item = QListWidgetItem(
                f"{info.original_name}\n{info.type_label} · {_size(info.size)}{status}"
            )
            item.setData(ROLE, info)
            item.setToolTip(info.extraction_reason or info.type_label)
            self.files.addItem(item)
        notes = QListWidgetItem("Notes of this source\ndescription, reference, conditions")
        notes.setData(ROLE, NOTES)
        notes.setToolTip("Spot phones, e-mails, postcodes… in what was written about the source")
        self.files.addItem(notes)
        self.files.setCurrentRow(0)
        self._update_buttons()

    def _current(self):
        item = self.files.currentItem()
        return item.data(ROLE) if item is not None else None

    def _update_buttons(self) -> None:
        current = self._current()
        self.view_button.setEnabled(current is not None)
        self.external_button.setEnabled(current not in (None, NOTES))
        self.add_button.setEnabled(self.spots.topLevelItemCount() > 0)

    def view(self) -> None:
        info = self._current()
        if info is None:
            return
        if info == NOTES:
            self._view_notes()
            return
        try:
            kind = info.detected_type.value
            text = ""
            if kind in ("png", "jpeg"):
                data = b"".join(attachment_svc.read_attachment(self.ws, info.id))
                self.viewer.show_image(data)
            elif kind == "pdf":
                data = b"".join(attachment_svc.read_attachment(self.ws, info.id))
                text = attachment_svc.attachment_text(self.ws, info.id)
                self.viewer.show_pdf(data, text)
            else:
                text = attachment_svc.attachment_text(self.ws, info.id)
                self.viewer.show_text(text, "(no text was extracted from this file)")
        except ToexError as exc:
            show_failure(self, exc)
            return
        extra = f" · {info.extraction_reason}" if info.extraction_reason else ""
        pages = f" · {self.viewer.page_total} pages" if self.viewer.page_total > 1 else ""
        self.note.setText(
            f"{info.original_name} · {info.type_label} · {_size(info.size)}{pages} · captured "
            f"{info.captured_at:%d %b %Y %H:%M} UTC by {info.captured_by}{extra}"
        )
        self._show_spots(text)

    def _view_notes(self) -> None:
        """The source's description, reference and handling conditions (a consultation)."""
        try:
            src = source_svc.get_source(self.ws, self.source_id)
        except ToexError as exc:
            show_failure(self, exc)
            return
        parts = [
            (label, value.strip())
            for label, value in (
                ("Description", src.description),
                ("Reference", src.reference),
                ("Handling conditions", src.handling_conditions),
            )
            if value.strip()
        ]
        text = "\n\n".join(f"{label}:\n{value}" for label, value in parts)
        self.viewer.show_text(text, "(nothing is written about this source yet)")
        self.note.setText(f"Notes of {src.task_reference}/{src.label}: {src.title}")
        self._show_spots(text)

    def _show_spots(self, text: str) -> None:
        self.spots.clear()
        for group in spotting.distinct(spotting.spot(text or ""))[:500]:
            first = group.spans[0]
            before, match, after = spotting.snippet(text, first[0], first[1], width=30)
            item = QTreeWidgetItem([group.display, group.kind.label, f"{before}{match}{after}"])
            item.setData(0, ROLE, group)
            item.setToolTip(0, group.display)
            item.setToolTip(2, f"{len(group.spans)} time(s); double-click to see it in place")
            self.spots.addTopLevelItem(item)
        self._update_buttons()

    def show_spot(self, item: QTreeWidgetItem) -> None:
        """Show where a spotted item was seen: its first place selected in the text; again
        for the next place."""
        group = item.data(0, ROLE)
        shown = item.data(1, ROLE) or 0
        start, end = group.spans[shown % len(group.spans)]
        item.setData(1, ROLE, shown + 1)
        self.viewer.show_span(start, end)

    def add_entity(self) -> None:
        item = self.spots.currentItem()
        if item is None:
            return
        group = item.data(0, ROLE)
        kind = group.entity_kind
        if kind is None:
            self.note.setText("This kind of item cannot be an entity yet.")
            return
        try:
            existing = entity_svc.same_name(self.ws, kind, group.display)
            if not existing:
                existing = self._similar(kind, group.display)
            entity = (
                existing[0]
                if existing
                else entity_svc.create_entity(self.ws, entity_svc.EntityDraft(kind, group.display))
            )
            entity_svc.mention(self.ws, entity.id, source_id=self.source_id)
        except ToexError as exc:
            show_failure(self, exc)
            return
        said = "already recorded; now linked" if existing else "added"
        self.note.setText(f"{group.display}: {said} to this source as {kind.label.lower()}.")

    def _similar(self, kind, name: str) -> list:
        """A near-duplicate already recorded (e.g. another spelling of the same number or
        name): offer to link to it instead of recording a second entity."""
        known = entity_svc.list_entities(self.ws, kind)
        close = spotting.similar_names(name, [(e.id, e.name) for e in known], kind=kind, limit=1)
        if not close:
            return []
        entity_id, other, score = close[0]
        answer = QMessageBox.question(
            self,
            "A similar entity exists",
            f"“{other}” is already recorded ({score:.0f} % alike). Link this source to it "
            f"instead of recording “{name}” as a new {kind.label.lower()}?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.Yes,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return []
        return [e for e in known if e.id == entity_id]

    def open_externally(self) -> None:
        info = self._current()
        if info is None:
            return
        answer = QMessageBox.warning(
            self,
            "Open in another program",
            "This writes a DECRYPTED copy of the file to a private temporary folder, for the "
            "other program to read. TOEX Desk deletes it when the workspace locks or closes, "
            "but the other program may keep its own copies. Open it?",
            QMessageBox.StandardButton.Open | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        if answer != QMessageBox.StandardButton.Open:
            return
        folder = Path(tempfile.mkdtemp(prefix="toexdesk-open-"))  # 0700: this user only
        _EXTERNAL.append(folder)
        from toexdesk.core.services.exports import safe_file_name

        path = folder / safe_file_name(info.original_name)
        try:
            with open(path, "wb") as fh:
                for chunk in attachment_svc.read_attachment(
                    self.ws, info.id, justification="opened in another program"
                ):
                    fh.write(chunk)
            with contextlib.suppress(OSError):
                os.chmod(path, stat.S_IRUSR)  # read-only: edits are not saved back
        except (ToexError, OSError) as exc:
            shutil.rmtree(folder, ignore_errors=True)
            show_failure(self, exc if isinstance(exc, ToexError) else ToexError(str(exc)))
            return
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))
        self.note.setText(f"Opened a temporary copy of {info.original_name}; it goes on lock.")

    def done(self, result: int) -> None:
        self.viewer.clear()  # drop the file's pixels and text with the dialog
        super().done(result)
