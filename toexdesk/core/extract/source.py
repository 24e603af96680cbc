"""The file a parser reads: a path opened read-only, or bytes held in memory. Either way
nothing is copied to disk."""

from __future__ import annotations

import io
from pathlib import Path
from typing import BinaryIO

from .detect import HEAD_BYTES, OLE_MAGIC, sniff
from .filetypes import FileType


class Source:
    """One input file for a parser; ``open()`` gives a fresh binary stream each time."""

    def __init__(self, name: str, *, path: Path | None = None, data: bytes | None = None):
        self.name = name
        self.path = path
        self.data = data
        if path is not None:
            if not path.is_file():  # a folder, a device or a pipe (never read: it may block)
                if path.exists():
                    raise IsADirectoryError(str(path))
                raise FileNotFoundError(str(path))
            self.size = path.stat().st_size
        else:
            self.size = len(data or b"")

    def open(self) -> BinaryIO:
        if self.path is not None:
            return open(self.path, "rb")
        return io.BytesIO(self.data or b"")

    def read_all(self) -> bytes:
        if self.data is not None:
            return self.data
        with self.open() as stream:
            return stream.read()

    def ends(self, length: int = HEAD_BYTES) -> tuple[bytes, bytes]:
        """The first and the last ``length`` bytes (the tail is empty for a short file)."""
        with self.open() as stream:
            head = stream.read(length)
            if self.size <= length:
                return head, b""
            stream.seek(max(self.size - length, length))
            return head, stream.read(length)

    def detect(self) -> FileType:
        """The type from the whole content: magic bytes, then the ZIP directory at the end,
        then for OLE files the stream names (olefile reads the real directory)."""
        if self.size == 0:
            return FileType.EMPTY
        head, tail = self.ends()
        kind = sniff(head, self.name, tail=tail, complete=self.size <= len(head))
        if head.startswith(OLE_MAGIC):
            found = _has_message_streams(self)
            if found is not None:
                kind = FileType.MSG if found else FileType.OLE
        return kind


def _has_message_streams(source: Source) -> bool | None:
    """Whether the OLE directory lists message streams (None: olefile is not installed,
    the byte scan's answer stands)."""
    try:
        import olefile
    except ImportError:
        return None
    try:
        with source.open() as stream, olefile.OleFileIO(stream) as ole:
            return any(entry[-1].startswith("__substg1.0_") for entry in ole.listdir())
    except Exception:  # a damaged directory: not a message we could read anyway
        return False


def file_size_text(size: int) -> str:
    """A size as people read it: "0 bytes", "12 KB", "3.4 MB"."""
    if size < 1024:
        return f"{size} bytes" if size != 1 else "1 byte"
    if size < 1024 * 1024:
        return f"{size // 1024} KB"
    return f"{size / (1024 * 1024):.1f} MB".replace(".0 MB", " MB")
