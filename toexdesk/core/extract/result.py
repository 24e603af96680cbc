"""What an extraction returns, the failure a parser raises, and the bounded text buffer."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Extraction:
    """The outcome of extracting one file's text.

    ``ok`` is False when no text could be read; ``reason`` is then one readable line
    ("Timed out after 20 s"). It can also be set when ``ok`` is True, as a note the user
    should see ("Image: no text extraction (640 × 480 px)", "Named .docx but the content
    is a PDF document"). It never carries the file's content. ``truncated`` means the text
    stopped at ``max_chars`` (or a row cap). ``image_size`` is (width, height) for images.
    """

    type_code: str
    text: str
    ok: bool
    reason: str = ""
    truncated: bool = False
    image_size: tuple[int, int] | None = None


class ExtractionFailed(Exception):
    """A parser's refusal; the message is the one-line ``Extraction.reason``."""


class TextFull(Exception):
    """Raised by ``TextSink.add`` once the limit is reached, to stop a parser early."""


class TextSink:
    """Collects text up to ``limit`` characters; past it, marks itself truncated and raises
    ``TextFull`` so a parser stops reading rather than filling memory."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.parts: list[str] = []
        self.size = 0
        self.truncated = False
        self.note = ""  # a success note from the parser, e.g. "cross-reference table rebuilt"
        self.image_size: tuple[int, int] | None = None

    def add(self, text: str) -> None:
        if not text:
            return
        if "\x00" in text:  # SQLite text and FTS5 do not want NULs
            text = text.replace("\x00", "")
        room = self.limit - self.size
        if len(text) > room:
            self.parts.append(text[:room])
            self.size = self.limit
            self.truncated = True
            raise TextFull
        self.parts.append(text)
        self.size += len(text)

    def line(self, text: str) -> None:
        self.add(text + "\n")

    def text(self) -> str:
        return "".join(self.parts)
