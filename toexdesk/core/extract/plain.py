"""Plain text and CSV: decoded in bounded chunks (BOM, UTF-16, UTF-8, else cp1252), so a
20 MB single line costs no more memory than ``max_chars``."""

from __future__ import annotations

import io

from .detect import HEAD_BYTES, sniff_encoding
from .result import TextSink
from .source import Source

_CHUNK_CHARS = 1024 * 1024


def parse_text(source: Source, sink: TextSink) -> None:
    head, _ = source.ends(HEAD_BYTES)
    encoding = sniff_encoding(head) or "cp1252"
    with (
        source.open() as raw,
        io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline=None) as text,
    ):
        while chunk := text.read(_CHUNK_CHARS):
            sink.add(chunk)
