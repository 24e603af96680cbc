"""Shows one captured file inside the app: its text, an image, or a PDF page by page (drawn
with PDFium from the bytes in memory; nothing is written to disk).

A PDF can also be read as its extracted text ("Text"), which is where spotted items are
shown in place. A file that cannot be drawn (damaged, or not what it claims to be) says so
in the view instead of failing."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QImage, QKeySequence, QPalette, QPixmap, QShortcut, QTextCursor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from toexdesk.ui.pdf_pages import PdfPages


class FileView(QWidget):
    """Text, image or PDF pages, with page controls shown only for a PDF."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._pdf: PdfPages | None = None
        self.zoom = 1.0
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setAccessibleName("File text")
        self.image = QLabel()
        self.image.setAccessibleName("File image")
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image_scroll = QScrollArea()
        self.image_scroll.setWidget(self.image)
        self.image_scroll.setWidgetResizable(False)
        self.image_scroll.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.image_scroll.setBackgroundRole(QPalette.ColorRole.Mid)  # a page stands out
        self.pages = QStackedWidget()
        self.pages.addWidget(self.text)
        self.pages.addWidget(self.image_scroll)

        self.prev_button = QToolButton()
        self.prev_button.setText("◀")
        self.prev_button.setAccessibleName("Previous page")
        self.prev_button.setToolTip("Previous page (Page Up)")
        self.prev_button.clicked.connect(lambda: self.go_to(self.page - 1))
        self.next_button = QToolButton()
        self.next_button.setText("▶")
        self.next_button.setAccessibleName("Next page")
        self.next_button.setToolTip("Next page (Page Down)")
        self.next_button.clicked.connect(lambda: self.go_to(self.page + 1))
        self.page_box = QSpinBox()
        self.page_box.setAccessibleName("Page number")
        self.page_box.setToolTip("Type a page number to go to it")
        self.page_box.setKeyboardTracking(False)
        self.page_box.valueChanged.connect(lambda n: self.go_to(n - 1))
        self.page_count = QLabel()
        self.page_count.setAccessibleName("Number of pages")
        self.zoom_out = QToolButton()
        self.zoom_out.setText("−")
        self.zoom_out.setAccessibleName("Zoom out")
        self.zoom_out.setToolTip("Zoom out (Ctrl+-)")
        self.zoom_out.clicked.connect(lambda: self.set_zoom(self.zoom * 0.8))
        self.zoom_in = QToolButton()
        self.zoom_in.setText("+")
        self.zoom_in.setAccessibleName("Zoom in")
        self.zoom_in.setToolTip("Zoom in (Ctrl++)")
        self.zoom_in.clicked.connect(lambda: self.set_zoom(self.zoom * 1.25))
        self.text_button = QPushButton("Show te&xt")
        self.text_button.setCheckable(True)
        self.text_button.setToolTip(
            "The text extracted from the PDF, where spotted items are; again for the pages"
        )
        self.text_button.toggled.connect(self._text_toggled)

        self.pdf_bar = QWidget()
        bar = QHBoxLayout(self.pdf_bar)
        bar.setContentsMargins(0, 0, 0, 0)
        for widget in (
            self.prev_button,
            self.page_box,
            self.page_count,
            self.next_button,
            self.zoom_out,
            self.zoom_in,
        ):
            bar.addWidget(widget)
        bar.addStretch(1)
        bar.addWidget(self.text_button)
        self.pdf_bar.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.pdf_bar)
        layout.addWidget(self.pages)
        for keys, step in (
            (QKeySequence.StandardKey.MoveToPreviousPage, -1),
            (QKeySequence.StandardKey.MoveToNextPage, 1),
        ):
            shortcut = QShortcut(QKeySequence(keys), self.image_scroll)
            shortcut.activated.connect(lambda step=step: self.go_to(self.page + step))
        for keys, factor in (
            (QKeySequence.StandardKey.ZoomIn, 1.25),
            (QKeySequence.StandardKey.ZoomOut, 0.8),
        ):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(lambda factor=factor: self.set_zoom(self.zoom * factor))
        self.page = 0
        self._fit = False
        self._refit = QTimer(self, singleShot=True, interval=60)  # once a resize settles
        self._refit.timeout.connect(self._apply_fit)

    def _apply_fit(self) -> None:
        if self._pdf is not None and self._fit:
            zoom = self._fit_width()
            if abs(zoom - self.zoom) > 0.01:
                self.zoom = zoom
                self._render()

    # -- what is shown ---------------------------------------------------------------------
    def show_text(self, text: str, empty: str = "(no text)") -> None:
        self._close_pdf()
        self.text.setPlainText(text or empty)
        self.pages.setCurrentWidget(self.text)

    def show_image(self, data: bytes) -> bool:
        """Draw an image; False (and a line saying so) when the bytes are not one."""
        self._close_pdf()
        image = QImage.fromData(data)
        if image.isNull():
            self.show_text("", "This image cannot be shown: its data is damaged or not an image.")
            return False
        self._set_pixmap(image)
        return True

    def show_pdf(self, data: bytes, text: str) -> bool:
        """The PDF's first page, with page controls, and its extracted text a click away;
        False (and its text, if any) when PDFium cannot read the file."""
        self._close_pdf()
        self.text.setPlainText(text or "(no text was extracted from this file)")
        try:
            self._pdf = PdfPages(data)
        except Exception:  # PDFium refuses damaged files with its own error type
            self._pdf = None
        if self._pdf is None or not len(self._pdf):
            self._close_pdf()
            self.text.setPlainText(
                "The pages of this PDF cannot be drawn: the file is damaged or not a PDF."
                + (f"\n\nIts extracted text:\n\n{text}" if text else "")
            )
            self.pages.setCurrentWidget(self.text)
            return False
        self.page_box.blockSignals(True)
        self.page_box.setRange(1, len(self._pdf))
        self.page_box.blockSignals(False)
        self.page_count.setText(f"of {len(self._pdf)}")
        self.pdf_bar.show()
        self._fit = True  # fit the width (also after a resize) until the user zooms
        self.zoom = self._fit_width()
        self.page = -1
        self.go_to(0)
        return True

    @property
    def page_total(self) -> int:
        return len(self._pdf) if self._pdf is not None else 0

    def go_to(self, index: int) -> None:
        if self._pdf is None:
            return
        index = max(0, min(index, len(self._pdf) - 1))
        if index != self.page or self.pages.currentWidget() is not self.image_scroll:
            self.page = index
            self._render()
        self.page_box.blockSignals(True)
        self.page_box.setValue(index + 1)
        self.page_box.blockSignals(False)
        self.prev_button.setEnabled(index > 0)
        self.next_button.setEnabled(index < len(self._pdf) - 1)

    def _fit_width(self) -> float:
        """The zoom at which the first page fills the width of the view (at most 100 %)."""
        width_pt = self._pdf.sizes[0].width() if self._pdf is not None else 0
        room = self.image_scroll.viewport().width() - 2 * self.fontMetrics().averageCharWidth()
        if width_pt <= 0 or room <= 0:
            return 1.0
        return max(0.25, min(1.0, room / (width_pt / 72 * self.logicalDpiX())))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self._pdf is not None and self._fit:
            self._refit.start()

    def set_zoom(self, zoom: float) -> None:
        self._fit = False
        self.zoom = max(0.25, min(zoom, 4.0))
        if self._pdf is not None:
            self._render()

    def _render(self) -> None:
        dpi = self.logicalDpiX() * self.zoom
        try:
            image = self._pdf.render(self.page, dpi)
        except Exception:  # one broken page must not close the viewer
            self.image.setText(f"Page {self.page + 1} cannot be drawn: it is damaged.")
            self.image.adjustSize()
        else:
            self._set_pixmap(image)
        self.text_button.setChecked(False)
        self.pages.setCurrentWidget(self.image_scroll)

    def _text_toggled(self, on: bool) -> None:
        if self._pdf is not None:
            self.pages.setCurrentWidget(self.text if on else self.image_scroll)

    def _set_pixmap(self, image: QImage) -> None:
        self.image.setPixmap(QPixmap.fromImage(image))
        self.image.adjustSize()
        self.pages.setCurrentWidget(self.image_scroll)

    def show_span(self, start: int, end: int) -> None:
        """Select characters ``start``–``end`` of the text and scroll to them (a PDF
        switches to its text)."""
        if self._pdf is not None:
            self.text_button.setChecked(True)
        self.pages.setCurrentWidget(self.text)
        length = len(self.text.toPlainText())
        cursor = self.text.textCursor()
        cursor.setPosition(min(start, length))
        cursor.setPosition(min(end, length), QTextCursor.MoveMode.KeepAnchor)
        self.text.setTextCursor(cursor)
        self.text.centerCursor()
        self.text.setFocus()

    def clear(self) -> None:
        """Forget what is shown (on lock, close or another file)."""
        self._close_pdf()
        self.text.clear()
        self.image.clear()

    def _close_pdf(self) -> None:
        self.pdf_bar.hide()
        self.text_button.setChecked(False)
        self.image.clear()
        if self._pdf is not None:
            self._pdf.close()
            self._pdf = None
