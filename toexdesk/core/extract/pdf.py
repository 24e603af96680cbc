"""PDF text with pypdf. Damaged files that pypdf can rebuild still give their text, with a
note; encrypted ones give text only when they open without a password."""

from __future__ import annotations

import logging

from .result import ExtractionFailed, TextFull, TextSink
from .source import Source

_NO_AES = "Encrypted PDF: this build cannot decrypt its encryption (AES)"
_REPAIR_SIGNS = ("xref", "startxref", "wrong pointing object", "object streams")


class _Warnings(logging.Handler):
    """Keeps pypdf's warnings (messages about structure, never page text) to tell a
    rebuilt file from a clean one."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if len(self.messages) < 100:
            self.messages.append(record.getMessage().lower())

    def saw(self, *signs: str) -> bool:
        return any(sign in message for message in self.messages for sign in signs)


def parse_pdf(source: Source, sink: TextSink) -> None:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError

    head, tail = source.ends(1024)
    tail = tail or head
    log = _Warnings()
    logger = logging.getLogger("pypdf")
    logger.addHandler(log)
    logger.setLevel(logging.WARNING)
    logger.propagate = False
    try:
        with source.open() as stream:
            try:
                reader = PdfReader(stream, strict=False)
                if reader.is_encrypted and not reader.decrypt(""):
                    raise ExtractionFailed("Encrypted PDF: no text without its password")
                pages = list(reader.pages)
                _read_pages(pages, sink)
            except DependencyError as exc:  # AES needs the cryptography package
                raise ExtractionFailed(_NO_AES) from exc
            except (ExtractionFailed, MemoryError, RecursionError, TextFull):
                raise
            except Exception as exc:
                raise ExtractionFailed(_broken_reason(exc, tail, log)) from exc
    finally:
        logger.removeHandler(log)
        logger.propagate = True
        if log.saw(*_REPAIR_SIGNS):  # also when the text cap stopped the reading
            sink.note = "Damaged PDF: cross-reference table rebuilt, text may be incomplete"


def _read_pages(pages: list, sink: TextSink) -> None:
    from pypdf.errors import DependencyError

    failed = 0
    for number, page in enumerate(pages):
        try:
            text = page.extract_text()
        except (MemoryError, RecursionError, DependencyError):
            raise
        except Exception:  # one bad page must not lose the others
            failed += 1
            continue
        if number:
            sink.add("\n\n")
        sink.add(text)
    if pages and failed == len(pages):
        raise ExtractionFailed("Not a valid PDF: no page could be read")
    if failed:
        sink.note = f"{failed} of {len(pages)} pages could not be read"
    elif not pages:
        sink.note = "PDF without pages"
    elif not sink.size:
        sink.note = "No text layer (scanned pages?): no OCR is done"


def _broken_reason(exc: Exception, tail: bytes, log: _Warnings) -> str:
    if b"%%EOF" not in tail:
        return "Not a valid PDF: the file is cut short (no end-of-file marker)"
    message = str(exc).lower()
    if b"startxref" not in tail or "xref" in message or "trailer" in message or log.saw("xref"):
        return "Not a valid PDF: broken cross-reference table"
    return "Not a valid PDF: damaged structure"
