"""Putting a workspace back from a backup, without ever losing the current file.

Everything is checked before anything is touched: the backup must open with the passphrase
given, pass SQLCipher's page HMAC check and SQLite's integrity check, have an audit chain
that verifies, and be of this workspace (same id) unless the caller allows another. Only
then is it copied (online backup API, same key) to a temporary name beside the workspace,
checked again, and given the restore's own audit event; the current file is moved aside
as ``<name>.before-restore-<UTC stamp>.toex`` (never deleted) and the copy renamed into
place. A refusal, a failure or a cancel before that leaves the current file as it was.

The restore is an *alteration* of the workspace (its whole content goes back to an earlier
state: nothing is collected, combined or disclosed), recorded in the restored file, which
continues the backup's chain, so that chain still verifies."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from toexdesk.core import errors
from toexdesk.core.enums import AuditAction
from toexdesk.core.model import WorkspaceMeta
from toexdesk.core.services.anchors import Anchor, current_anchor
from toexdesk.core.store import audit, checks, copying, engine
from toexdesk.core.store.engine import Workspace, session_scope

UNCHANGED = "Nothing was changed."


class OtherWorkspaceBackup(errors.WorkspaceError):
    """The backup is of another workspace, or the current file cannot say which it is."""


@dataclass(frozen=True)
class RestoreInfo:
    path: Path  # the workspace, now holding the backup's content
    backup: Path
    kept_as: Path | None  # where the file it replaced went (never deleted); None if none
    anchor: Anchor  # the audit head the backup held
    other_workspace: bool
    event_seq: int  # the restore's own audit event, in the restored file
    seconds: float


def restore_workspace(
    target_path: Path | str,
    backup_path: Path | str,
    passphrase: str,
    *,
    allow_other: bool = False,
    progress: copying.Progress = None,
    cancelled: copying.Cancel = None,
) -> RestoreInfo:
    """Replace the workspace at ``target_path`` (closed; it may not exist) by the backup,
    opened with ``passphrase``. The restored workspace opens with the backup's passphrase."""
    started = time.perf_counter()
    target, backup = Path(target_path), Path(backup_path)
    if not target.parent.is_dir():
        raise errors.FolderMissing(f"The folder {target.parent} does not exist. {UNCHANGED}")
    exists = target.exists()
    if exists and not target.is_file():
        raise errors.NotAWorkspace(f"{target} is a folder, not a workspace file. {UNCHANGED}")
    if exists and backup.exists() and os.path.samefile(target, backup):
        raise errors.WorkspaceError(f"{backup.name} is the workspace itself. {UNCHANGED}")
    if progress is not None:
        progress(0, 0, "Checking the backup…")
    with _open_backup(backup, passphrase) as source:
        anchor = _check_backup(source, backup)
        previous_uid = _uid_of_current(target, passphrase, source) if exists else None
        other = exists and previous_uid != anchor.workspace_uid
        if other and not allow_other:
            if previous_uid is None:
                why = (
                    f"it cannot be confirmed that {target.name} is the workspace this backup "
                    "was made from (it does not open with this passphrase, or is damaged)"
                )
            else:
                why = f"{backup.name} is a backup of another workspace, not of {target.name}"
            raise OtherWorkspaceBackup(
                f"Not restored: {why}. Allow restoring another workspace's backup to go on "
                f"(the current file would be kept aside). {UNCHANGED}"
            )
        if exists:
            checks.require_writable(target)
        else:
            checks.require_writable_folder(target.parent)
        kept_as = _aside_name(target) if exists else None
        tmp = target.parent / f".{target.name}.restoring-{secrets.token_hex(4)}"
        try:
            copying.online_copy(source, tmp, progress=progress, cancelled=cancelled)
            seq = _record_restore(tmp, source, target, backup, anchor, kept_as, other, previous_uid)
            checks.fsync_file(tmp)
            _swap_in(tmp, target, kept_as)
        except OSError as exc:
            raise copying.write_failure(exc, target.parent, "nothing was changed") from None
        finally:
            copying.remove_partial(tmp)
    return RestoreInfo(target, backup, kept_as, anchor, other, seq, time.perf_counter() - started)


def check_backup(backup_path: Path | str, passphrase: str) -> Anchor:
    """The checks ``restore_workspace`` makes of a backup before it touches anything, on
    their own (it makes them again): so a window can refuse a bad backup, or another
    workspace's, while its own workspace is still open. Returns the backup's audit head;
    ``workspace_uid`` says whose backup it is."""
    backup = Path(backup_path)
    with _open_backup(backup, passphrase) as source:
        return _check_backup(source, backup)


def _open_backup(backup: Path, passphrase: str) -> Workspace:
    try:
        return engine.open_as_is(backup, passphrase)
    except errors.WrongPassphrase:
        raise errors.WrongPassphrase(
            f"Cannot restore from {backup.name}: wrong passphrase, or it is not a TOEX "
            f"workspace. {UNCHANGED}"
        ) from None
    except errors.WorkspaceError as exc:
        raise type(exc)(f"Cannot restore: {exc} {UNCHANGED}") from None


def _check_backup(source: Workspace, backup: Path) -> Anchor:
    """Every page's HMAC, the structure and the audit chain; the backup's head."""
    problems = engine.integrity_problems(source)
    if problems:
        raise errors.WorkspaceDamaged(
            f"The backup {backup.name} is damaged ({problems[0]}). {UNCHANGED}"
        )
    try:
        with session_scope(source, write=False) as s:
            chain = audit.verify_chain(s)
    except errors.WorkspaceDamaged as exc:
        raise errors.WorkspaceDamaged(
            f"The backup {backup.name}'s audit trail cannot be read ({exc}). {UNCHANGED}"
        ) from None
    if not chain.ok:
        problem = chain.first_problem
        assert problem is not None
        raise errors.WorkspaceDamaged(
            f"The backup {backup.name}'s audit trail does not verify ({problem.message}). "
            f"{UNCHANGED}"
        )
    head = current_anchor(source, source="backup")
    return Anchor(
        head.workspace_uid,
        head.head_seq,
        head.head_hash,
        head_at=head.head_at,
        anchored_at=head.head_at,
        source="backup",
        file=backup.name,
    )


def _uid_of_current(target: Path, passphrase: str, source: Workspace) -> str | None:
    """The current file's workspace id, read without changing it; None if it cannot be
    read (another passphrase, damaged, not a workspace)."""
    try:
        current = engine.open_as_is(target, passphrase, like=source)
    except errors.ToexError:
        return None
    try:
        with current, session_scope(current, write=False) as s:
            return s.scalar(select(WorkspaceMeta.uid).where(WorkspaceMeta.id == 1))
    except errors.ToexError:
        return None


def _aside_name(target: Path) -> Path:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    for n in range(1, 1000):
        suffix = "" if n == 1 else f"-{n}"
        aside = target.with_name(f"{target.stem}.before-restore-{stamp}{suffix}{target.suffix}")
        if not aside.exists() and not Path(f"{aside}-journal").exists():
            return aside
    raise errors.WorkspaceError(f"Too many restores of {target.name} this second. {UNCHANGED}")


def _record_restore(
    tmp: Path,
    source: Workspace,
    target: Path,
    backup: Path,
    anchor: Anchor,
    kept_as: Path | None,
    other: bool,
    previous_uid: str | None,
) -> int:
    """The restore's audit event, written into the restored copy before it takes its
    place (without migrating it: the next ordinary open upgrades an older schema)."""
    with (
        engine.open_as_is(tmp, like=source, read_only=False) as restored,
        session_scope(restored) as s,
    ):
        event = audit.append(
            s,
            analyst=restored.analyst,
            os_user=restored.os_user,
            action=AuditAction.ALTERATION,
            record_type="workspace",
            record_id=1,
            record_ref=target.name[:64],
            justification="Restored from a backup",
            details={
                "event": "restored from backup",
                "backup": backup.name,
                "backup_head_seq": anchor.head_seq,
                "backup_head_hash": anchor.head_hash,
                "previous_file": kept_as.name if kept_as else "",
                "previous_uid": previous_uid or "",
                "other_workspace": other,
            },
        )
        s.flush()
        return event.seq


def _swap_in(tmp: Path, target: Path, kept_as: Path | None) -> None:
    """Move the current file (and a rollback journal left by a crash) aside, then put the
    copy in its place; if that fails, put the current file back."""
    journal, aside_journal = Path(f"{target}-journal"), Path(f"{kept_as}-journal")
    if kept_as is not None:
        try:
            copying.publish(target, kept_as)
        except OSError as exc:  # Windows: the file is open somewhere
            raise errors.WorkspaceError(
                f"{target.name} could not be moved aside ({exc.strerror}); is it open in "
                f"TOEX Desk or another program? {UNCHANGED}"
            ) from None
        if journal.exists():
            copying.publish(journal, aside_journal)
    try:
        copying.publish(tmp, target)
    except BaseException:
        if kept_as is not None:
            with contextlib.suppress(OSError, errors.ToexError):
                copying.publish(kept_as, target)
                if aside_journal.exists():
                    copying.publish(aside_journal, journal)
        raise
    checks.fsync_dir(target.parent)
