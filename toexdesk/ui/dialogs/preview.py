"""The product preview: a rendered research summary or briefing pack, page by page, with
Print…, Save as PDF… and Save as DOCX…. Each of those asks who receives the product and
why, and records a disclosure event before the product leaves.

Pages are drawn from the PDF bytes in memory when they scroll into view (a 200-page pack is
not turned into 200 images up front); the window is closed when the workspace locks."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QAction, QImage, QKeySequence, QPainter, QPaintEvent
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from toexdesk.core.enums import Marking
from toexdesk.core.services import exports
from toexdesk.core.services import reports as report_svc
from toexdesk.core.store.engine import Workspace
from toexdesk.ui.dialogs.disclosure import DisclosureDialog
from toexdesk.ui.pdf_pages import PdfPages, print_pages
from toexdesk.ui.workers import run_op, show_failure

ZOOMS = (0.5, 0.75, 1.0, 1.25, 1.5, 2.0)
CACHED_PAGES = 12


@dataclass
class Product:
    kind: str  # "research summary" or "briefing pack"
    name: str  # the task reference, or the pack's title
    file_kind: str  # "summary" or "pack", for the file name
    task_ids: tuple[int, ...]
    marking: Marking
    pdf: bytes
    pages: int
    docx: Callable[[BinaryIO], None] | None = None  # writes the same product as DOCX
    # Opened, and its first pages drawn, by the worker that made the product (``prepare``):
    # PDFium's start-up and the first paint would otherwise stall the window.
    document: PdfPages | None = None
    first_images: dict[int, QImage] | None = None
    images_dpi: float = 0.0

    def prepare(self, dpi: float, first: int = 2) -> Product:
        """Open the PDF and draw its first pages at ``dpi`` (in the worker); returns self."""
        self.document = PdfPages(self.pdf)
        self.first_images = {i: self.document.render(i, dpi) for i in range(min(first, self.pages))}
        self.images_dpi = dpi
        return self


# Recipient and purpose of the last disclosure of the same tasks, this session only: they
# are personal data, so they are not kept in the (plaintext) settings file.
_LAST_DISCLOSURE: dict[tuple[str, tuple[int, ...]], tuple[str, str]] = {}


class PageView(QWidget):
    """One page, drawn when it is painted."""

    def __init__(self, preview: ProductPreview, index: int):
        super().__init__()
        self.preview, self.index = preview, index
        self.setAccessibleName(f"Page {index + 1}")

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        image = self.preview.page_image(self.index)
        painter.drawImage(QRect(0, 0, self.width(), self.height()), image)
        painter.end()


class ProductPreview(QDialog):
    def __init__(self, ws: Workspace, product: Product, parent: QWidget | None = None):
        super().__init__(parent)
        self.ws, self.product = ws, product
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(f"{product.kind.capitalize()} {product.name} — preview")
        self.pages = product.document or PdfPages(product.pdf)
        product.document = None  # the preview owns it now, and closes it
        self._images: OrderedDict[int, QImage] = OrderedDict()
        self._printing: QPrinter | None = None
        self.zoom = 1.0
        banner = QLabel(
            f"<b>{product.marking.label}</b> · {product.kind} {product.name} · "
            f"{product.pages} page{'s' if product.pages != 1 else ''} · printing or saving "
            "it is recorded as a disclosure"
        )
        banner.setAccessibleName("Product marking and size")
        self.banner = banner
        banner.setWordWrap(True)
        self.status = QLabel()
        self.status.setAccessibleName("Last action")
        self.toolbar = QHBoxLayout()  # buttons, not a QToolBar: Tab reaches buttons
        self.print_action = self._action("&Print…", QKeySequence.StandardKey.Print, self.print_)
        self.pdf_action = self._action(
            "Save as P&DF…", QKeySequence.StandardKey.Save, self.save_pdf
        )
        self.docx_action = self._action("Save as DO&CX…", "Ctrl+Shift+S", self.save_docx)
        self.docx_action.setEnabled(product.docx is not None)
        self.toolbar.addSpacing(24)
        self._action("Zoom &in", QKeySequence.StandardKey.ZoomIn, lambda: self.step_zoom(1))
        self._action("Zoom &out", QKeySequence.StandardKey.ZoomOut, lambda: self.step_zoom(-1))
        self._action("&Actual size", "Ctrl+0", lambda: self.set_zoom(1.0))
        self.toolbar.addStretch()
        self.container = QWidget()
        self.column = QVBoxLayout(self.container)
        self.column.setSpacing(12)
        self.column.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.views = [PageView(self, i) for i in range(len(self.pages))]
        for view in self.views:
            self.column.addWidget(view)
        self.scroll = QScrollArea()
        self.scroll.setWidget(self.container)
        self.scroll.setWidgetResizable(True)
        self.scroll.setAccessibleName("Pages")
        self.scroll.setToolTip("Page Up / Page Down and the arrow keys scroll the pages")
        self.container.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.scroll.setBackgroundRole(self.palette().ColorRole.Dark)
        head = QHBoxLayout()
        head.addWidget(banner, 1)
        head.addWidget(self.status)
        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addLayout(self.toolbar)
        layout.addWidget(self.scroll)
        screen = self.screen().availableGeometry()
        self.resize(min(900, screen.width()), min(1000, int(screen.height() * 0.9)))
        self.set_zoom(1.0)
        if product.first_images and abs(product.images_dpi - self._page_dpi()) < 0.5:
            self._images.update(product.first_images)  # drawn by the worker already
        product.first_images = None

    def _action(self, text: str, shortcut, slot) -> QAction:
        action = QAction(text, self)
        action.setShortcut(QKeySequence(shortcut))
        plain = text.replace("&", "").rstrip("…")
        action.setToolTip(f"{plain} ({action.shortcut().toString()})")
        action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)  # the shortcut works anywhere in the window
        button = QPushButton(text)
        button.setToolTip(action.toolTip())
        button.setAccessibleName(plain)
        button.setAutoDefault(False)
        button.clicked.connect(action.trigger)
        action.enabledChanged.connect(button.setEnabled)
        self.toolbar.addWidget(button)
        return action

    # --- pages --------------------------------------------------------------------------
    def _dpi(self) -> float:
        return self.logicalDpiX() * self.zoom

    def _page_dpi(self) -> float:
        return self._dpi() * self.devicePixelRatioF()

    def set_zoom(self, zoom: float) -> None:
        self.zoom = zoom
        self._images.clear()
        scale = self._dpi() / 72
        for view, size in zip(self.views, self.pages.sizes, strict=True):
            view.setFixedSize(round(size.width() * scale), round(size.height() * scale))

    def step_zoom(self, step: int) -> None:
        nearest = min(range(len(ZOOMS)), key=lambda i: abs(ZOOMS[i] - self.zoom))
        self.set_zoom(ZOOMS[max(0, min(len(ZOOMS) - 1, nearest + step))])

    def page_image(self, index: int) -> QImage:
        image = self._images.get(index)
        if image is None:
            image = self.pages.render(index, self._page_dpi())
            self._images[index] = image
            while len(self._images) > CACHED_PAGES:
                self._images.popitem(last=False)
        else:
            self._images.move_to_end(index)
        return image

    # --- disclosure ---------------------------------------------------------------------
    def _ask_disclosure(self, action: str) -> tuple[str, str] | None:
        key = (str(self.ws.path), self.product.task_ids)  # per workspace and tasks
        recipient, purpose = _LAST_DISCLOSURE.get(key, ("", ""))
        dialog = DisclosureDialog(
            f"{self.product.kind} {self.product.name}",
            self.product.marking,
            recipient=recipient,
            purpose=purpose,
            action=action,
            parent=self,
        )
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        _LAST_DISCLOSURE[key] = dialog.values()
        return dialog.values()

    def _disclose(self, fmt: str, recipient: str, purpose: str, sha256: str = "") -> None:
        report_svc.record_disclosure(
            self.ws,
            self.product.task_ids,
            recipient=recipient,
            purpose=purpose,
            product=self.product.kind,
            fmt=fmt,
            marking=self.product.marking,
            sha256=sha256,
            pages=self.product.pages,
        )

    # --- saving -------------------------------------------------------------------------
    def _choose_file(self, ext: str, title: str) -> Path | None:
        name = exports.product_file_name(
            self.product.marking, self.product.name, self.product.file_kind, ext
        )
        chosen, _ = QFileDialog.getSaveFileName(
            self, title, str(Path.home() / name), f"{ext.upper()} (*.{ext})"
        )
        if not chosen:
            return None
        path = Path(chosen)
        return path if path.suffix.lower() == f".{ext}" else path.with_name(f"{path.name}.{ext}")

    def _save(self, ext: str, write: Callable[[BinaryIO], None]) -> None:
        path = self._choose_file(ext, f"Save the {self.product.kind} as {ext.upper()}")
        if path is None:
            return
        answer = self._ask_disclosure("Save")
        if answer is None:
            return
        recipient, purpose = answer

        def work(op):
            return exports.write_atomically(
                path,
                write,
                overwrite=True,  # the file dialog has asked before replacing a file
                before_publish=lambda sha: self._disclose(ext, recipient, purpose, sha),
            )

        run_op(
            self,
            f"Saving {path.name}…",
            work,
            lambda _sha: self.status.setText(f"Saved {path.name}"),
            cancellable=False,
        )

    def save_pdf(self) -> None:
        self._save("pdf", lambda fh: fh.write(self.product.pdf))

    def save_docx(self) -> None:
        if self.product.docx is not None:
            self._save("docx", self.product.docx)

    # --- printing -----------------------------------------------------------------------
    def choose_printer(self, printer: QPrinter) -> bool:
        """The system print dialog (tests replace it: there is no printer here)."""
        dialog = QPrintDialog(printer, self)
        dialog.setMinMax(1, len(self.pages))
        return dialog.exec() == QDialog.DialogCode.Accepted

    def print_(self) -> None:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setDocName(f"{self.product.marking.value} {self.product.name}")
        if not self.choose_printer(printer):
            return
        answer = self._ask_disclosure("Print")
        if answer is None:
            return
        recipient, purpose = answer
        # Recorded before the first page goes out: a print stopped half-way still disclosed.
        self._disclose("print", recipient, purpose)
        self._printing = printer  # kept alive while the worker prints

        def done(count: int) -> None:
            self._printing = None
            self.status.setText(f"Printed {count} pages")

        def failed(exc: BaseException) -> None:
            self._printing = None
            show_failure(self, exc)

        run_op(
            self,
            "Printing…",
            lambda op: print_pages(
                self.pages, printer, progress=op.progress, cancelled=op.cancelled
            ),
            done,
            failed,
        )

    def closeEvent(self, event) -> None:
        if self._printing is not None:  # the worker still reads the pages
            self.status.setText("Printing: cancel it or wait before closing.")
            event.ignore()
            return
        self._images.clear()
        self.pages.close()
        super().closeEvent(event)
