"""Writing a product to a folder the user chose (often a shared drive): all or nothing.

The file is written to a temporary name in the target folder, flushed and fsynced, then the
disclosure is recorded, and only then is it renamed to its real name. So a failure at any
step leaves no partial file under the real name, and a product is never published without
its audit event (if the final rename fails after the event, the trail errs on the side of
saying more went out than did). An existing file is never replaced unless asked."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from toexdesk.core.enums import Marking
from toexdesk.core.errors import ExportFailed
from toexdesk.core.store.checks import fsync_dir

# Names Windows reserves for devices, with or without an extension.
_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {f"{p}{n}" for p in ("COM", "LPT") for n in range(10)}
_UNSAFE = re.compile(r'[<>:"/\\|?*\x00-\x1f]')
MAX_NAME = 150  # leaves room under Windows' 260-character path limit on deep shares


def safe_file_name(name: str) -> str:
    """A file name that is legal on Windows and Linux: no separators, reserved characters,
    control characters, trailing dots or spaces, or device names."""
    stem, dot, ext = name.rpartition(".") if "." in name else (name, "", "")
    stem = _UNSAFE.sub("_", stem).strip(" .") or "product"
    ext = _UNSAFE.sub("_", ext).strip(" .")
    if stem.split(".")[0].upper() in _RESERVED:
        stem = f"_{stem}"
    stem = stem[: MAX_NAME - len(ext) - 1]
    return f"{stem}{dot}{ext}" if ext else stem


def product_file_name(marking: Marking, reference: str, kind: str, ext: str) -> str:
    """E.g. ``OFFICIAL-SENSITIVE_TX-2026-0042_summary.pdf``: the marking leads the name, so
    it shows in any folder listing."""
    return safe_file_name(f"{marking.value.replace(' ', '-')}_{reference}_{kind}.{ext}")


class _Hashing:
    def __init__(self, fh: BinaryIO):
        self.fh, self.sha = fh, hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.sha.update(data)
        return self.fh.write(data)

    def flush(self) -> None:
        self.fh.flush()


def _failure(exc: OSError, target: Path) -> ExportFailed:
    folder = target.parent
    if exc.errno == errno.ENOSPC:
        return ExportFailed(f"The disk holding {folder} is full; nothing was saved.")
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return ExportFailed(f"No permission to write in {folder}; nothing was saved.")
    if exc.errno == errno.ENAMETOOLONG:
        return ExportFailed("The file path is too long; choose a shorter name or folder.")
    if exc.errno in (errno.ENOENT, errno.ENOTDIR):
        return ExportFailed(f"The folder {folder} is not there (a network drive gone?).")
    return ExportFailed(f"Could not save to {folder} ({exc.strerror or type(exc).__name__}).")


def write_atomically(
    target: Path | str,
    write: Callable[[BinaryIO], None],
    *,
    overwrite: bool = False,
    before_publish: Callable[[str], None] | None = None,
) -> str:
    """Write a file through ``write(fh)``; call ``before_publish(sha256)`` (e.g. to record
    the disclosure) once the bytes are safely on disk; then give the file its name. Returns
    the SHA-256 of what was written."""
    target = Path(target)
    if target.name != safe_file_name(target.name):
        raise ExportFailed(f"{target.name!r} is not a file name Windows and Linux both accept.")
    if not target.parent.is_dir():
        raise ExportFailed(f"The folder {target.parent} is not there (a network drive gone?).")
    if target.exists() and not overwrite:
        raise ExportFailed(f"{target.name} already exists in {target.parent}.")
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=".toex-", suffix=".part", dir=target.parent)
    except OSError as exc:
        raise _failure(exc, target) from None
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            out = _Hashing(fh)
            write(out)  # type: ignore[arg-type]
            fh.flush()
            os.fsync(fh.fileno())
        digest = out.sha.hexdigest()
        if before_publish is not None:
            before_publish(digest)
        if overwrite:
            os.replace(tmp, target)
        elif os.name == "nt":
            os.rename(tmp, target)  # refuses to replace a file that appeared meanwhile
        else:
            os.link(tmp, target)  # likewise: link fails if the name is taken
            tmp.unlink()
        fsync_dir(target.parent)
        return digest
    except FileExistsError:
        raise ExportFailed(f"{target.name} appeared in {target.parent} meanwhile.") from None
    except OSError as exc:
        raise _failure(exc, target) from None
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
