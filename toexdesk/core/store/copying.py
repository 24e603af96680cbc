"""Copying an open workspace into a new encrypted file, page by page, with SQLite's online
backup API: used for backups and for restoring one.

The new file is keyed with the source's raw key *and salt* before SQLite writes a page to
it, and the key is checked to have taken, so the copy opens with the same passphrase and no
page of it is ever plaintext on disk. Pages go in batches, so a caller can show progress
and cancel between them, and writers are not shut out while a large workspace is copied:
when another connection writes, SQLite starts the copy again, so the result is always one
consistent state. The copy passes SQLCipher's HMAC check and SQLite's integrity check and
is fsynced before it is handed back; on any failure, or a cancel, nothing is left."""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import sqlcipher3

from toexdesk.core import errors
from toexdesk.core.store import checks
from toexdesk.core.store.engine import Workspace, raw_connect

Progress = Callable[[int, int, str], None] | None
Cancel = Callable[[], bool] | None

BATCH_PAGES = 256  # 1 MiB of 4 KiB pages between progress reports and cancel checks
# A copy restarts each time another connection writes. After this many restarts it is
# finished in one step, holding a read lock (writers wait, up to their busy timeout).
MAX_RESTARTS = 8


@dataclass(frozen=True)
class CopyResult:
    """What was copied: the copy's own identity and audit head, read back from it."""

    pages: int
    restarts: int
    uid: str
    head_seq: int
    head_hash: str
    head_at: str  # the head event's time as recorded; "" for an empty trail


class _Restarting(Exception):
    """Too many restarts: finish the copy in one step."""


def write_failure(exc: BaseException, folder: Path, what: str = "nothing was saved") -> Exception:
    """A failure to write a copy, in words a person can act on (``ExportFailed``)."""
    if isinstance(exc, OSError):
        code, reason = exc.errno, exc.strerror or type(exc).__name__
    else:
        code, reason = None, checks.one_line(exc)
    text = reason.lower()
    if code == errno.ENOSPC or "disk is full" in text or "database or disk is full" in text:
        return errors.ExportFailed(f"The disk holding {folder} is full; {what}.")
    if code in (errno.EACCES, errno.EPERM, errno.EROFS) or "readonly" in text:
        return errors.ExportFailed(f"No permission to write in {folder}; {what}.")
    if code == errno.ENAMETOOLONG:
        return errors.ExportFailed(f"The path in {folder} is too long; {what}.")
    if code in (errno.ENOENT, errno.ENOTDIR) or "unable to open" in text:
        return errors.ExportFailed(f"The folder {folder} cannot be written (is it there?); {what}.")
    if "disk i/o error" in text or code == errno.EIO:
        return errors.ExportFailed(f"Writing to {folder} failed (disk I/O error); {what}.")
    return errors.ExportFailed(f"Could not write to {folder} ({reason}); {what}.")


def publish(tmp: Path, target: Path) -> None:
    """Give a finished file its name, never replacing a file that appeared meanwhile."""
    try:
        if os.name == "nt":
            os.rename(tmp, target)  # refuses an existing target
        else:
            os.link(tmp, target)  # likewise
            tmp.unlink()
    except FileExistsError:
        raise errors.ExportFailed(f"{target.name} appeared in {target.parent} meanwhile.") from None


def remove_partial(path: Path) -> None:
    """Remove a partial copy and its rollback journal, if they are there."""
    for leftover in (path, path.with_name(path.name + "-journal")):
        with contextlib.suppress(OSError):
            leftover.unlink()


def online_copy(
    source: Workspace,
    target: Path,
    *,
    progress: Progress = None,
    cancelled: Cancel = None,
    batch_pages: int | None = None,
) -> CopyResult:
    """Copy ``source`` into the new file ``target`` (which must not exist), encrypted with
    the same key. Raises ``Cancelled`` or ``ExportFailed``; either way ``target`` is gone."""
    if source.closed:
        raise errors.WorkspaceError("The workspace is closed.")
    if not source.encrypted or source._key is None:
        raise errors.WorkspaceError("Only an encrypted workspace can be copied.")
    key = source._key
    try:
        # O_EXCL: never write into a file that is already there; 0600: a copy of personal
        # data is for this account only (SQLite would create it readable by everyone).
        fd = os.open(
            target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600
        )
        os.close(fd)
    except OSError as exc:
        raise write_failure(exc, target.parent) from None
    con = None
    try:
        con = raw_connect(target, key, mode="rw", settings=source.settings, set_salt=True)
        _require_keyed(con, target)
        result = _copy_pages(source, con, progress, cancelled, batch_pages or BATCH_PAGES)
        problems = _integrity_problems(con)
        if problems:
            raise errors.ExportFailed(
                f"The copy failed its integrity check ({problems[0]}); nothing was kept."
            )
        con.close()
        con = None
        with open(target, "rb") as fh:
            if fh.read(16) != key.salt:  # page 1 starts with the salt only when encrypted
                raise errors.WorkspaceError("The copy is not encrypted; it was removed.")
        checks.fsync_file(target)
        return result
    except BaseException as exc:
        if con is not None:
            with contextlib.suppress(Exception):
                con.close()
        remove_partial(target)
        if isinstance(exc, OSError | sqlcipher3.OperationalError):
            raise write_failure(exc, target.parent) from None
        if isinstance(exc, sqlcipher3.DatabaseError):
            raise errors.WorkspaceDamaged(
                f"{source.path.name} could not be copied ({checks.one_line(exc)}); "
                "nothing was kept."
            ) from None
        raise


def workspace_uid(path: Path, like: Workspace) -> str | None:
    """The workspace id inside a copy of ``like`` (one that opens with its key, so no KDF
    is needed), or None for anything else. Reads only."""
    key = like._key
    if key is None:
        return None
    try:
        with open(path, "rb") as fh:
            if fh.read(16) != key.salt:
                return None
        con = raw_connect(path, key, mode="ro", settings=like.settings)
    except (OSError, sqlcipher3.Error):
        return None
    try:
        row = con.execute("SELECT uid FROM workspace WHERE id = 1").fetchone()
        return row[0] if row else None
    except sqlcipher3.Error:
        return None
    finally:
        con.close()


def _require_keyed(con: sqlcipher3.Connection, target: Path) -> None:
    """Refuse to copy unless a key took: nothing has been written to the file yet.

    An unkeyed connection has no cipher salt at all. (A keyed one reports a provisional
    salt until the first write, when the salt given with the key replaces it; that the
    copy starts with the right salt is checked once it is written.)"""
    row = con.execute("PRAGMA cipher_salt").fetchone()
    provider = con.execute("PRAGMA cipher_provider").fetchone()
    if not row or not row[0] or not provider or target.stat().st_size != 0:
        raise errors.WorkspaceError(
            "The copy could not be encrypted, so it was not made (SQLCipher refused the key)."
        )


def _copy_pages(
    source: Workspace,
    target: sqlcipher3.Connection,
    progress: Progress,
    cancelled: Cancel,
    batch_pages: int,
) -> CopyResult:
    state = {"restarts": 0, "done": -1, "total": 0}

    def step(status: int, remaining: int, total: int) -> None:
        if cancelled is not None and cancelled():
            raise errors.Cancelled("The copy was cancelled; nothing was kept.")
        done = total - remaining
        # Each step copies pages unless another connection wrote and the copy restarted.
        if remaining and done <= state["done"]:
            state["restarts"] += 1
            if state["restarts"] > MAX_RESTARTS:
                raise _Restarting
        state["done"], state["total"] = done, total
        if progress is not None:
            progress(done, total, "Copying the workspace…")

    with source.engine.connect() as conn:
        src = conn.connection.dbapi_connection
        page_size = src.execute("PRAGMA page_size").fetchone()[0]
        target.execute(f"PRAGMA page_size = {int(page_size)}")
        try:
            src.backup(target, pages=batch_pages, progress=step)
        except _Restarting:
            src.backup(target, pages=-1)
    if progress is not None:
        progress(state["total"], state["total"], "Checking the copy…")
    row = target.execute(
        "SELECT uid, audit_head_seq, audit_head_hash FROM workspace WHERE id = 1"
    ).fetchone()
    if row is None:
        raise errors.WorkspaceDamaged("The copy has no workspace record.")
    at = target.execute("SELECT at FROM audit_event WHERE seq = ?", (row[1],)).fetchone()
    pages = target.execute("PRAGMA page_count").fetchone()[0]
    return CopyResult(pages, state["restarts"], row[0], row[1], row[2], at[0] if at else "")


def _integrity_problems(con: sqlcipher3.Connection) -> list[str]:
    problems = [
        f"encrypted page check: {r[0]}" for r in con.execute("PRAGMA cipher_integrity_check")
    ]
    problems += [
        f"integrity check: {r[0]}" for r in con.execute("PRAGMA integrity_check") if r[0] != "ok"
    ]
    return problems
