"""A rendered product's pages as images, for the preview and for printing.

The PySide6 wheels carry no QtPdf (it comes only with WebEngine), so pages are drawn with
PDFium (pypdfium2) straight from the PDF bytes held in memory: no copy of the product is
written anywhere unless the user saves it. PDFium is not thread-safe, so every call into it
takes one lock, whichever thread (the preview on the UI thread, printing in a worker)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from PySide6.QtCore import QRectF, QSizeF
from PySide6.QtGui import QImage, QPainter
from PySide6.QtPrintSupport import QPrinter

from toexdesk.core.errors import Cancelled

_PDFIUM = threading.Lock()
MAX_PRINT_DPI = 600  # enough for any office printer; keeps one page image under ~140 MB


class PdfPages:
    """The pages of one PDF held in memory."""

    def __init__(self, data: bytes):
        import pypdfium2 as pdfium  # only when a product is shown: keeps start-up light

        self.data = data
        with _PDFIUM:
            self._doc = pdfium.PdfDocument(data)
            self.sizes = [
                QSizeF(*self._doc.get_page_size(i)) for i in range(len(self._doc))
            ]  # points

    def __len__(self) -> int:
        return len(self.sizes)

    def render(self, index: int, dpi: float) -> QImage:
        """Page ``index`` at ``dpi`` dots per inch, on white."""
        with _PDFIUM:
            page = self._doc[index]
            try:
                bitmap = page.render(
                    scale=dpi / 72, fill_color=(255, 255, 255, 255), prefer_bgrx=True
                )
                # PDFium's BGRx bytes are Qt's RGB32 on little-endian machines.
                image = QImage(
                    bitmap.buffer,
                    bitmap.width,
                    bitmap.height,
                    bitmap.stride,
                    QImage.Format.Format_RGB32,
                ).copy()  # own the pixels: PDFium frees its buffer with the bitmap
                bitmap.close()
            finally:
                page.close()
        image.setDotsPerMeterX(round(dpi / 0.0254))
        image.setDotsPerMeterY(round(dpi / 0.0254))
        return image

    def close(self) -> None:
        with _PDFIUM:
            self._doc.close()


def print_pages(
    pages: PdfPages,
    printer: QPrinter,
    *,
    progress: Callable[[int, int, str], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> int:
    """Print every page at the printer's resolution (capped), each scaled to fit the
    printable area without distortion. Returns the pages printed; raises ``Cancelled``
    (after aborting the job) if asked to stop."""
    dpi = min(printer.resolution(), MAX_PRINT_DPI)
    painter = QPainter()
    if not painter.begin(printer):
        raise OSError("The printer could not be started.")
    total = len(pages)
    try:
        for index in range(total):
            if cancelled is not None and cancelled():
                printer.abort()
                raise Cancelled("Printing cancelled.")
            if index:
                printer.newPage()
            image = pages.render(index, dpi)
            area = QRectF(painter.viewport())
            scale = min(area.width() / image.width(), area.height() / image.height())
            width, height = image.width() * scale, image.height() * scale
            target = QRectF(area.x() + (area.width() - width) / 2, area.y(), width, height)
            painter.drawImage(target, image)
            if progress is not None:
                progress(index + 1, total, f"Printing page {index + 1} of {total}…")
    finally:
        painter.end()
    return total
