"""Backups: encrypted, integrity-checked copies of the workspace, made on request or when
it closes (keeping the newest N). Putting one back is ``restore``.

A backup is made with SQLite's online backup API into a new file under a temporary name in
the destination folder, keyed with the workspace's key before any page is written (so it
opens with the same passphrase and is never plaintext), checked (SQLCipher's page HMACs and
SQLite's integrity check) and fsynced. Then its disclosure is recorded and only then does
it take its name, beside a small ``.anchor.json`` holding the audit chain's head it
contains (see ``anchors``). A failure or a cancel at any step leaves nothing partial; a
killed backup leaves only a dot-named temporary file, which a later backup into that folder
removes once it is an hour old (a younger one may be another backup's, still in progress).

A backup copies all the personal data in the workspace out of it, to a place the user
chose: a transfer, so it is logged as a **disclosure** (DPA 2018 s.62's own vocabulary
has no other word for it), with the destination folder as the recipient, the purpose as
the justification, and the file's name, SHA-256 and anchored head in the details. The event
is written after the copy is complete and checked, before it takes its name (as exports
do): a failed backup logs nothing, and no backup appears without its event."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from toexdesk import __version__
from toexdesk.core import errors
from toexdesk.core.enums import AuditAction
from toexdesk.core.model import AuditEvent, WorkspaceMeta
from toexdesk.core.services._common import record
from toexdesk.core.services.anchors import Anchor, now_iso
from toexdesk.core.store import checks, copying
from toexdesk.core.store.engine import Workspace, session_scope

log = logging.getLogger(__name__)

SUFFIX = ".toex"
ANCHOR_SUFFIX = ".anchor.json"
STAMP = "%Y%m%d-%H%M%S"
PURPOSE = "Backup copy of the workspace"
AUTO_PURPOSE = "Automatic backup when the workspace closed"
STALE_PARTIAL_SECONDS = 3600  # a temporary file this old is left from a killed backup

Progress = copying.Progress
Cancel = copying.Cancel


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    anchor_path: Path
    anchor: Anchor  # the audit head the backup holds
    size_bytes: int
    sha256: str
    pages: int
    restarts: int  # times the copy started again because the workspace was written
    seconds: float


@dataclass(frozen=True)
class AutoBackup:
    backup: BackupInfo | None
    removed: tuple[Path, ...]  # older backups of this workspace pruned away
    skipped: str  # why no backup was made; "" when one was


# --- names -------------------------------------------------------------------------------
def backup_name(workspace: Path, when: dt.datetime | None = None, n: int = 1) -> str:
    """``<workspace stem>_backup_<UTC yyyymmdd-hhmmss>.toex`` (``-2``… if taken)."""
    stamp = (when or _now()).strftime(STAMP)
    return f"{workspace.stem}_backup_{stamp}{'' if n == 1 else f'-{n}'}{SUFFIX}"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _name_pattern(workspace: Path) -> re.Pattern[str]:
    return re.compile(rf"{re.escape(workspace.stem)}_backup_(\d{{8}}-\d{{6}})(?:-(\d+))?\.toex")


def _partial_pattern(workspace: Path) -> re.Pattern[str]:
    stem = re.escape(workspace.stem)
    return re.compile(
        rf"\.{stem}_backup_\d{{8}}-\d{{6}}(?:-\d+)?\.toex(?:\.anchor\.json)?"
        r"\.partial-[0-9a-f]{8}(?:-journal)?"
    )


def _target(ws: Workspace, dest: Path) -> Path:
    if dest.is_dir():
        now = _now()
        for n in range(1, 1000):
            target = dest / backup_name(ws.path, now, n)
            if not target.exists() and not _anchor_path(target).exists():
                return target
        raise errors.ExportFailed(f"Too many backups in {dest} this second; try again.")
    if dest.suffix.lower() != SUFFIX:
        raise errors.ExportFailed(f"The folder {dest} does not exist; nothing was saved.")
    if not dest.parent.is_dir():
        raise errors.ExportFailed(f"The folder {dest.parent} does not exist; nothing was saved.")
    for taken in (dest, _anchor_path(dest)):
        if taken.exists():
            raise errors.ExportFailed(f"{taken.name} already exists in {dest.parent}.")
    return dest


def _anchor_path(backup: Path) -> Path:
    return backup.with_name(backup.name + ANCHOR_SUFFIX)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_new(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(text.encode("utf-8"))
        fh.flush()
        os.fsync(fh.fileno())


# --- backup ------------------------------------------------------------------------------
def backup_workspace(
    ws: Workspace,
    dest: Path | str,
    *,
    purpose: str = PURPOSE,
    progress: Progress = None,
    cancelled: Cancel = None,
) -> BackupInfo:
    """Back the workspace up into ``dest`` (a folder, for the default name, or a new
    ``.toex`` file path), with its ``.anchor.json`` beside it. Audited as a disclosure."""
    if ws.closed:
        raise errors.WorkspaceError("The workspace is closed.")
    if ws.read_only:
        raise errors.WorkspaceReadOnly(
            f"{ws.path.name} is open read-only, so a backup could not be recorded in its "
            "audit trail; open it for writing to back it up."
        )
    started = time.perf_counter()
    target = _target(ws, Path(dest))
    folder = target.parent
    remove_stale_partials(ws, folder)  # left by a backup killed there before
    token = secrets.token_hex(4)
    tmp = folder / f".{target.name}.partial-{token}"
    anchor_target = _anchor_path(target)
    anchor_tmp = folder / f".{anchor_target.name}.partial-{token}"
    try:
        copied = copying.online_copy(ws, tmp, progress=progress, cancelled=cancelled)
        size, digest = tmp.stat().st_size, _sha256(tmp)
        anchor = Anchor(
            copied.uid,
            copied.head_seq,
            copied.head_hash,
            head_at=copied.head_at,
            anchored_at=now_iso(),
            app_version=__version__,
            source="backup",
            file=target.name,
            file_sha256=digest,
            file_size=size,
        )
        _write_new(anchor_tmp, anchor.to_json())
        _record_backup(ws, target, anchor, purpose)
        # The anchor first: if the backup then cannot take its name, the anchor goes again
        # and nothing is left; once the backup has its name, the work is done.
        copying.publish(anchor_tmp, anchor_target)
        try:
            copying.publish(tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                anchor_target.unlink()
            raise
        checks.fsync_dir(folder)
    except OSError as exc:
        raise copying.write_failure(exc, folder) from None
    finally:
        copying.remove_partial(tmp)
        with contextlib.suppress(OSError):
            anchor_tmp.unlink()
    log.info("backup made: %d pages, %d restarts", copied.pages, copied.restarts)
    return BackupInfo(
        target,
        anchor_target,
        anchor,
        size,
        digest,
        copied.pages,
        copied.restarts,
        time.perf_counter() - started,
    )


def _record_backup(ws: Workspace, target: Path, anchor: Anchor, purpose: str) -> None:
    recipient = str(target.parent)
    if len(recipient) > 300:  # the column's size; the full path is in the details
        recipient = "…" + recipient[-299:]
    with session_scope(ws) as s:
        record(
            s,
            ws,
            AuditAction.DISCLOSURE,
            "workspace",
            1,
            ws.path.name[:64],
            justification=purpose.strip() or PURPOSE,
            recipient=recipient,
            details={
                "event": "backup",
                "file": target.name,
                "folder": str(target.parent),
                "sha256": anchor.file_sha256,
                "size": anchor.file_size,
                "anchor_seq": anchor.head_seq,
                "anchor_hash": anchor.head_hash,
            },
        )


# --- automatic backups --------------------------------------------------------------------
def backup_on_close(
    ws: Workspace, settings, *, progress: Progress = None, cancelled: Cancel = None
) -> AutoBackup:
    """If the settings ask for it, back up into the backup folder and keep only the newest
    ``settings.backups_to_keep`` backups of this workspace there. Call it before closing."""
    from toexdesk import config

    if not settings.backup_on_close:
        return AutoBackup(None, (), "automatic backups are off")
    if ws.closed:  # locked: the key is gone, and nothing changed since it was
        return AutoBackup(None, (), "the workspace is locked")
    if ws.read_only:
        return AutoBackup(None, (), "the workspace is open read-only")
    folder = config.backup_folder(settings, ws.path)
    if not settings.backup_folder:  # the app's own folder: made private, when first needed
        try:
            for level in (folder.parent, folder):
                level.mkdir(mode=0o700, exist_ok=True)
        except OSError as exc:
            raise copying.write_failure(exc, folder) from None
    if _unchanged_since_backup(ws, folder):
        return AutoBackup(None, (), "nothing has changed since the last backup")
    info = backup_workspace(
        ws, folder, purpose=AUTO_PURPOSE, progress=progress, cancelled=cancelled
    )
    removed = prune_backups(ws, folder, settings.backups_to_keep, spare=info.path)
    return AutoBackup(info, tuple(removed), "")


def _unchanged_since_backup(ws: Workspace, folder: Path) -> bool:
    """The last event is the backup of a file that is still in ``folder``."""
    with session_scope(ws, write=False) as s:
        last = s.scalar(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1))
        if last is None or last.action != AuditAction.DISCLOSURE.value:
            return False
        try:
            details = json.loads(last.details)
        except ValueError:
            return False
    if not isinstance(details, dict) or details.get("event") != "backup":
        return False
    name, where = details.get("file"), details.get("folder")
    return (
        isinstance(name, str)
        and isinstance(where, str)
        and Path(where) == folder
        and (folder / name).is_file()
    )


def backups_of(ws: Workspace, folder: Path | str) -> list[Path]:
    """This workspace's backups in ``folder``, newest first: files named as backups of it
    that open with its key and carry its id. Anything else is not ours to touch."""
    folder = Path(folder)
    pattern, uid = _name_pattern(ws.path), _uid(ws)
    found = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return []
    for path in entries:
        matched = pattern.fullmatch(path.name)
        if matched and path.is_file() and copying.workspace_uid(path, ws) == uid:
            found.append(((matched[1], int(matched[2] or 1)), path))
    return [path for _, path in sorted(found, reverse=True)]


def _uid(ws: Workspace) -> str:
    with session_scope(ws, write=False) as s:
        return s.scalar(select(WorkspaceMeta.uid).where(WorkspaceMeta.id == 1)) or ""


def prune_backups(
    ws: Workspace, folder: Path | str, keep: int, *, spare: Path | None = None
) -> list[Path]:
    """Delete all but the newest ``keep`` backups of this workspace in ``folder`` (with
    their anchors; never ``spare``), and temporary files left there by killed backups.
    Returns what went."""
    folder = Path(folder)
    keep = max(1, keep)
    removed = []
    for path in backups_of(ws, folder)[keep:]:
        if spare is not None and path == spare:
            continue
        try:
            path.unlink()
        except OSError as exc:
            log.warning("old backup not removed (%s)", exc.strerror)
            continue
        removed.append(path)
        with contextlib.suppress(OSError):
            _anchor_path(path).unlink()
    return removed + remove_stale_partials(ws, folder)


def remove_stale_partials(ws: Workspace, folder: Path | str) -> list[Path]:
    """Delete temporary files a killed backup of this workspace left in ``folder``; only
    old ones, as a fresh one may be another backup's, still being written."""
    partial = _partial_pattern(ws.path)
    cutoff = time.time() - STALE_PARTIAL_SECONDS
    removed = []
    with contextlib.suppress(OSError):
        for path in Path(folder).iterdir():
            if partial.fullmatch(path.name) and path.stat().st_mtime < cutoff:
                with contextlib.suppress(OSError):
                    path.unlink()
                    removed.append(path)
    return removed
