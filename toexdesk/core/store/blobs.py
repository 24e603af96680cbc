"""A captured file's bytes, in and out of the workspace, in bounded memory.

A file is read a chunk (1 MiB) at a time, hashed as it goes, and each chunk becomes one row
of ``blob_chunk`` in the caller's transaction: a 1 GB file never needs more than a chunk and
SQLite's page cache in memory. Blobs are keyed by SHA-256, so the same bytes are stored
once however many sources they are attached to."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import stat
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from toexdesk.core.errors import Cancelled, ToexError
from toexdesk.core.extract import HEAD_BYTES
from toexdesk.core.extract.source import file_size_text
from toexdesk.core.model import Blob, BlobChunk, utcnow

CHUNK_BYTES = 1024 * 1024
DEFAULT_MAX_BYTES = 2 * 1024**3

Progress = Callable[[int], None]  # bytes read so far in this pass
Cancel = Callable[[], bool]


class FileRefused(ToexError):
    """A file that cannot be captured; the message is one readable line for the results
    list (never the content, and never the path: the caller shows which file)."""


@dataclass
class OpenedFile:
    """A file opened for capture: the handle stays open from the checks to the last read,
    so what was checked is what gets stored."""

    path: Path
    size: int
    modified_at: dt.datetime | None
    handle: BinaryIO
    head: bytes = b""
    tail: bytes = field(default=b"", repr=False)

    @property
    def name(self) -> str:
        return self.path.name

    def close(self) -> None:
        self.handle.close()


def _refusal(exc: OSError) -> FileRefused:
    if isinstance(exc, FileNotFoundError):
        return FileRefused("File not found: moved or deleted before it could be captured")
    if isinstance(exc, PermissionError):
        return FileRefused(
            "Cannot read the file: permission denied (is it open in another program?)"
        )
    if isinstance(exc, IsADirectoryError):
        return FileRefused("Not a file: it is a folder")
    return FileRefused(f"Cannot read the file: {exc.strerror or type(exc).__name__}")


def open_file(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> OpenedFile:
    """Open a file for capture after the checks a person can act on; raises FileRefused."""
    try:
        info = os.stat(path)
        if stat.S_ISDIR(info.st_mode):
            raise FileRefused("Not a file: it is a folder")
        if not stat.S_ISREG(info.st_mode):
            raise FileRefused("Not a regular file (a device, pipe or socket)")
        _check_size(info.st_size, max_bytes)
        # Non-blocking, so a file swapped for a pipe after the check cannot hang the open.
        flags = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0)
        fd = os.open(path, flags)
    except OSError as exc:
        raise _refusal(exc) from None
    handle = os.fdopen(fd, "rb", buffering=0)
    try:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise FileRefused("Not a regular file (a device, pipe or socket)")
        _check_size(info.st_size, max_bytes)
        opened = OpenedFile(path, info.st_size, _mtime(info), handle)
        opened.head = _read_exactly(handle, HEAD_BYTES)
        if info.st_size > 2 * HEAD_BYTES:
            handle.seek(info.st_size - HEAD_BYTES)
            opened.tail = _read_exactly(handle, HEAD_BYTES)
        handle.seek(0)
        return opened
    except OSError as exc:
        handle.close()
        raise _refusal(exc) from None
    except BaseException:
        handle.close()
        raise


def _check_size(size: int, max_bytes: int) -> None:
    if size == 0:
        raise FileRefused("Empty file (0 bytes): nothing to capture")
    if size > max_bytes:
        raise FileRefused(
            f"Too large to capture: {file_size_text(size)} "
            f"(the limit is {file_size_text(max_bytes)})"
        )


def _mtime(info: os.stat_result) -> dt.datetime | None:
    try:
        return dt.datetime.fromtimestamp(info.st_mtime, dt.UTC)
    except (OverflowError, OSError, ValueError):  # a nonsense timestamp is not worth failing
        return None


def _read_exactly(handle: BinaryIO, size: int) -> bytes:
    parts, left = [], size
    while left > 0:
        data = handle.read(min(left, CHUNK_BYTES))
        if not data:
            break
        parts.append(data)
        left -= len(data)
    return b"".join(parts)


def _chunks(
    opened: OpenedFile, max_bytes: int, progress: Progress | None, cancelled: Cancel | None
) -> Iterator[bytes]:
    """The file from the start, a chunk at a time, checking for cancellation between."""
    opened.handle.seek(0)
    done = 0
    while True:
        if cancelled is not None and cancelled():
            raise Cancelled("Capture cancelled")
        try:
            data = _read_exactly(opened.handle, CHUNK_BYTES)
        except OSError as exc:
            raise _refusal(exc) from None
        if not data:
            return
        done += len(data)
        if done > max_bytes:
            _check_size(done, max_bytes)
        yield data
        if progress is not None:
            progress(done)


def file_sha256(
    opened: OpenedFile,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    progress: Progress | None = None,
    cancelled: Cancel | None = None,
) -> str:
    """The SHA-256 of the whole file, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    for data in _chunks(opened, max_bytes, progress, cancelled):
        digest.update(data)
        size += len(data)
    _check_unchanged(opened, size)
    return digest.hexdigest()


def _check_unchanged(opened: OpenedFile, size: int) -> None:
    if size != opened.size:
        raise FileRefused("The file changed while it was being captured; try again")


def find_blob(s: Session, sha256: str) -> int | None:
    return s.scalar(select(Blob.id).where(Blob.sha256 == sha256))


def size_is_stored(s: Session, size: int) -> bool:
    """Whether any stored file has this size (if none does, the file cannot be stored)."""
    return s.scalar(select(Blob.id).where(Blob.size == size).limit(1)) is not None


def store_blob(
    s: Session,
    opened: OpenedFile,
    *,
    expected_sha256: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    progress: Progress | None = None,
    cancelled: Cancel | None = None,
) -> tuple[int, str]:
    """Write the file's bytes as a new blob in the session's transaction, hashing as it
    goes; returns (blob id, sha256). Raises FileRefused if the file changed since it was
    opened (or hashed), Cancelled if asked to stop: the caller's rollback removes it all."""
    # The hash is known only at the end: the row starts with a placeholder.
    placeholder = f"pending-{uuid.uuid4().hex}"
    blob_id = s.execute(
        insert(Blob.__table__).values(sha256=placeholder, size=opened.size, created_at=utcnow())
    ).inserted_primary_key[0]
    digest = hashlib.sha256()
    size = 0
    chunk = BlobChunk.__table__
    for seq, data in enumerate(_chunks(opened, max_bytes, progress, cancelled)):
        digest.update(data)
        size += len(data)
        s.execute(insert(chunk), {"blob_id": blob_id, "seq": seq, "data": data})
    _check_unchanged(opened, size)
    sha256 = digest.hexdigest()
    if expected_sha256 is not None and sha256 != expected_sha256:
        raise FileRefused("The file changed while it was being captured; try again")
    s.execute(update(Blob.__table__).where(Blob.id == blob_id).values(sha256=sha256))
    return blob_id, sha256


def blob_chunk(s: Session, blob_id: int, seq: int) -> bytes | None:
    return s.scalar(
        select(BlobChunk.data).where(BlobChunk.blob_id == blob_id, BlobChunk.seq == seq)
    )


@contextlib.contextmanager
def opened_file(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[OpenedFile]:
    opened = open_file(path, max_bytes=max_bytes)
    try:
        yield opened
    finally:
        opened.close()
