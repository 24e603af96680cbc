"""What a file is, before it is keyed; and storage failures in words a person can act on.

Nothing here writes to a workspace: the checks read at most its first bytes."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import sqlcipher3
from sqlalchemy.exc import DBAPIError

from toexdesk.core import errors

SQLITE_MAGIC = b"SQLite format 3\x00"


def one_line(exc: BaseException) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def inspect_file(path: Path) -> bytes:
    """Check that ``path`` can be a workspace without keying it; return its salt.

    Reads the first bytes only and never writes."""
    if not path.parent.is_dir():
        raise errors.FolderMissing(f"The folder {path.parent} does not exist.")
    if not path.exists():
        raise errors.WorkspaceNotFound(f"There is no workspace at {path}.")
    if not path.is_file():
        raise errors.NotAWorkspace(f"{path} is a folder, not a workspace file.")
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            head = fh.read(16)
    except PermissionError as exc:
        raise errors.WorkspaceReadOnly(f"{path} cannot be read: permission denied.") from exc
    except OSError as exc:
        raise errors.WorkspaceError(f"{path} cannot be read: {exc.strerror}.") from exc
    if size == 0:
        raise errors.NotAWorkspace(f"{path} is empty (0 bytes): it is not a TOEX workspace.")
    if head == SQLITE_MAGIC:
        raise errors.NotAWorkspace(
            f"{path} is an unencrypted SQLite database, not a TOEX workspace."
        )
    if size < 512 or size % 512:
        raise errors.NotAWorkspace(
            f"{path} is not a TOEX workspace: its size ({size} bytes) is not a whole number "
            "of database pages (a different kind of file, or a truncated copy)."
        )
    return head


def require_writable(path: Path) -> None:
    """A workspace opened for writing needs the file and its folder (for the journal)."""
    try:
        with open(path, "r+b"):
            pass
    except PermissionError as exc:
        raise errors.WorkspaceReadOnly(
            f"{path} is read-only: TOEX Desk cannot save changes to it."
        ) from exc
    except OSError as exc:
        raise errors.WorkspaceReadOnly(f"{path} cannot be written: {exc.strerror}.") from exc
    require_writable_folder(path.parent)


def require_writable_folder(folder: Path) -> None:
    try:
        fd, probe = tempfile.mkstemp(prefix=".toex-probe-", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise errors.WorkspaceReadOnly(
            f"The folder {folder} is read-only: TOEX Desk needs to write there "
            "(its rollback journal lives beside the workspace)."
        ) from exc


def classify_open_error(path: Path, exc: sqlcipher3.DatabaseError) -> errors.WorkspaceError:
    text = one_line(exc).lower()
    if "not a database" in text or "encrypted" in text:
        return errors.WrongPassphrase(
            "Wrong passphrase, or the file is not a TOEX workspace. The file was not changed."
        )
    if "readonly" in text or "read-only" in text:
        journal = path.with_name(path.name + "-journal")
        if journal.exists():  # a change was cut off: rolling it back needs a write
            return errors.WorkspaceReadOnly(
                f"{path.name} was interrupted in the middle of a change (a power cut or a "
                "crash) and must be opened normally once, not read-only, to undo it. "
                "The file was not changed."
            )
        return errors.WorkspaceReadOnly(f"{path} cannot be opened for writing ({text}).")
    if "unable to open" in text:
        return errors.WorkspaceError(f"{path} cannot be opened ({text}).")
    return errors.WorkspaceDamaged(f"{path} is damaged ({text}).")


_STORAGE_ERRORS = (
    ("malformed", errors.WorkspaceDamaged, "{name} is damaged ({msg}); restore it from a backup."),
    (
        "not a database",
        errors.WorkspaceDamaged,
        "{name} is damaged ({msg}); restore it from a backup.",
    ),
    ("readonly", errors.WorkspaceReadOnly, "{name} cannot be written ({msg})."),
    ("disk is full", errors.WorkspaceError, "The disk holding {name} is full; nothing was saved."),
    (
        "disk i/o error",
        errors.WorkspaceError,
        "{name} could not be read or written (disk I/O "
        "error); nothing was saved. Is the drive still there?",
    ),
    ("locked", errors.WorkspaceError, "{name} is busy in another program; try again."),
)


def storage_error(name: str, exc: DBAPIError) -> Exception:
    """Turn a storage failure into a message a person can act on. Constraint and
    programming errors stay as they are: they are bugs, not conditions."""
    if not isinstance(exc.orig, sqlcipher3.DatabaseError) or isinstance(
        exc.orig, sqlcipher3.IntegrityError | sqlcipher3.ProgrammingError
    ):
        return exc
    msg = one_line(exc.orig)
    for needle, kind, template in _STORAGE_ERRORS:
        if needle in msg.lower():
            return kind(template.format(name=name, msg=msg))
    return exc


def fsync_file(path: Path) -> None:
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


def fsync_dir(folder: Path) -> None:
    if os.name != "posix":  # Windows cannot open a directory; rename is durable there
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
