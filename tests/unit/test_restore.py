"""Restore: the backup is checked in full before anything is touched, the current file is
kept aside (never deleted), the copy goes in place atomically and the restore is audited
in it. Every refusal leaves the current file byte for byte (and mtime) as it was."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest
from conftest import ANALYST, PASSPHRASE

from toexdesk.core import errors
from toexdesk.core.services import backups, restore, tasks, workspace
from toexdesk.core.store import copying
from toexdesk.core.store.engine import create_workspace, open_workspace

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
FIXTURE_PASSPHRASE = "fixture passphrase 0001"


def snapshot(path: Path) -> tuple[str, int, int]:
    st = path.stat()
    return hashlib.sha256(path.read_bytes()).hexdigest(), st.st_mtime_ns, st.st_size


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def titles(ws) -> list[str]:
    with ws.engine.connect() as conn:
        return [r[0] for r in conn.exec_driver_sql("SELECT title FROM task ORDER BY id")]


def add_task(ws, title: str) -> None:
    tasks.create_task(ws, tasks.TaskDraft(title=title, requester="DS Patel", thematic="other"))


@pytest.fixture
def backed_up(ws, tmp_path):
    """A workspace with one task, its backup, then a second task; closed."""
    add_task(ws, "Before the backup")
    folder = tmp_path / "backups"
    folder.mkdir()
    info = backups.backup_workspace(ws, folder)
    add_task(ws, "After the backup")
    ws.close()
    return ws.path, info.path


def test_restore_puts_the_backup_back_and_keeps_the_current_file(backed_up):
    path, backup = backed_up
    before = snapshot(path)
    backup_before = snapshot(backup)
    info = restore.restore_workspace(path, backup, PASSPHRASE)

    assert info.path == path and info.backup == backup and not info.other_workspace
    assert info.kept_as is not None and info.kept_as.parent == path.parent
    assert info.kept_as.name.startswith("case.before-restore-")
    assert snapshot(info.kept_as)[::2] == before[::2]  # same bytes and size, moved aside
    assert snapshot(backup) == backup_before  # the backup is only read
    assert names(path.parent) == sorted(["backups", "case.toex", info.kept_as.name])
    with open_workspace(path, PASSPHRASE, check_integrity=True) as ws:
        assert titles(ws) == ["Before the backup"]
        report = workspace.verify(ws)
        assert report.ok, report
        last = workspace.audit_events(ws)[-1]
    assert last.seq == info.event_seq == info.anchor.head_seq + 1
    assert (last.action, last.record_type, last.record_ref) == (
        "alteration",
        "workspace",
        path.name,
    )
    details = json.loads(last.details)
    assert details["event"] == "restored from backup"
    assert details["backup"] == backup.name
    assert details["previous_file"] == info.kept_as.name
    assert details["backup_head_hash"] == info.anchor.head_hash
    # The file it replaced still opens, with everything it had.
    with open_workspace(info.kept_as, PASSPHRASE, read_only=True) as old:
        assert titles(old) == ["Before the backup", "After the backup"]


def test_restore_to_a_new_path_needs_no_previous_file(backed_up, tmp_path):
    _, backup = backed_up
    target = tmp_path / "fresh" / "restored.toex"
    target.parent.mkdir()
    info = restore.restore_workspace(target, backup, PASSPHRASE)
    assert info.kept_as is None
    assert names(target.parent) == ["restored.toex"]
    with open_workspace(target, PASSPHRASE) as ws:
        assert titles(ws) == ["Before the backup"] and workspace.verify(ws).ok


def refused(path: Path, backup: Path, passphrase: str, kind, match: str, **kw) -> None:
    folder = names(path.parent)
    before = snapshot(path)
    with pytest.raises(kind, match=match):
        restore.restore_workspace(path, backup, passphrase, **kw)
    assert snapshot(path) == before
    assert names(path.parent) == folder


def test_wrong_passphrase_is_refused_and_nothing_changes(backed_up):
    path, backup = backed_up
    refused(path, backup, "a different passphrase", errors.WrongPassphrase, "wrong passphrase")


def test_truncated_backup_is_refused_and_nothing_changes(backed_up, tmp_path):
    path, backup = backed_up
    data = backup.read_bytes()
    odd = tmp_path / "odd.toex"
    odd.write_bytes(data[: len(data) // 2 + 100])  # not a whole number of pages
    refused(path, odd, PASSPHRASE, errors.NotAWorkspace, "truncated")
    paged = tmp_path / "paged.toex"
    paged.write_bytes(data[: (len(data) // 4096 // 2) * 4096])  # cut at a page boundary
    refused(path, paged, PASSPHRASE, errors.WorkspaceDamaged, "damaged|cannot be read")


def test_corrupted_page_in_backup_is_refused(backed_up, tmp_path):
    path, backup = backed_up
    data = bytearray(backup.read_bytes())
    data[4096 * 3 + 100] ^= 0xFF  # one bit pattern in a page's ciphertext: its HMAC fails
    bad = tmp_path / "bad.toex"
    bad.write_bytes(bytes(data))
    refused(path, bad, PASSPHRASE, errors.WorkspaceDamaged, "damaged")


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"hello, not a workspace\n" * 100,
        os.urandom(8192),
        b"SQLite format 3\x00" + bytes(4080),
    ],
    ids=["empty", "text", "random", "plain-sqlite"],
)
def test_non_workspace_file_is_refused(backed_up, tmp_path, content):
    path, _ = backed_up
    junk = tmp_path / "junk.toex"
    junk.write_bytes(content)
    refused(path, junk, PASSPHRASE, errors.WorkspaceError, "Nothing was changed")


def test_missing_backup_and_the_workspace_itself_are_refused(backed_up, tmp_path):
    path, _ = backed_up
    refused(path, tmp_path / "nothing.toex", PASSPHRASE, errors.WorkspaceNotFound, "no workspace")
    refused(path, path, PASSPHRASE, errors.WorkspaceError, "the workspace itself")


def test_backup_with_a_broken_audit_chain_is_refused(backed_up, tmp_path):
    path, backup = backed_up
    bad = tmp_path / "edited.toex"
    shutil.copyfile(backup, bad)
    import sqlcipher3

    con = sqlcipher3.connect(str(bad))
    con.execute(f"PRAGMA key = '{PASSPHRASE}'")
    con.execute("DROP TRIGGER audit_event_no_update")
    con.execute("UPDATE audit_event SET analyst = 'Someone Else' WHERE seq = 1")
    con.commit()
    con.close()
    refused(path, bad, PASSPHRASE, errors.WorkspaceDamaged, "event #1 was edited")


def test_backup_of_another_workspace_needs_permission(backed_up, tmp_path):
    path, _ = backed_up
    other_path = tmp_path / "other.toex"
    with create_workspace(other_path, PASSPHRASE, ANALYST) as other:
        add_task(other, "Someone else's task")
        other_backup = backups.backup_workspace(other, tmp_path / "other-copy.toex").path
    refused(path, other_backup, PASSPHRASE, restore.OtherWorkspaceBackup, "another workspace")

    info = restore.restore_workspace(path, other_backup, PASSPHRASE, allow_other=True)
    assert info.other_workspace and info.kept_as is not None and info.kept_as.exists()
    with open_workspace(path, PASSPHRASE) as ws:
        assert titles(ws) == ["Someone else's task"] and workspace.verify(ws).ok
        assert json.loads(workspace.audit_events(ws)[-1].details)["other_workspace"] is True


def test_current_file_that_cannot_be_read_needs_permission(backed_up):
    """A current file under another passphrase (or damaged) cannot prove it is the same
    workspace: restoring over it needs the same permission, and it is kept aside."""
    path, backup = backed_up
    before = snapshot(path)
    path.write_bytes(os.urandom(len(path.read_bytes())))
    damaged = snapshot(path)
    refused(path, backup, PASSPHRASE, restore.OtherWorkspaceBackup, "cannot be confirmed")
    info = restore.restore_workspace(path, backup, PASSPHRASE, allow_other=True)
    assert info.kept_as is not None and snapshot(info.kept_as)[::2] == damaged[::2]
    assert before != damaged


def test_cancelled_restore_changes_nothing(backed_up, monkeypatch):
    path, backup = backed_up
    monkeypatch.setattr(copying, "BATCH_PAGES", 4)
    refused(path, backup, PASSPHRASE, errors.Cancelled, "cancelled", cancelled=lambda: True)


def test_failed_copy_changes_nothing(backed_up, monkeypatch):
    path, backup = backed_up

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(copying, "_copy_pages", full)
    refused(path, backup, PASSPHRASE, errors.ExportFailed, "full")


def test_failed_swap_puts_the_current_file_back(backed_up, monkeypatch):
    path, backup = backed_up
    before = snapshot(path)
    real = copying.publish
    calls = []

    def flaky(tmp, target):
        calls.append(target)
        if len(calls) == 2:  # moving the copy into place
            raise OSError(5, "Input/output error")
        real(tmp, target)

    monkeypatch.setattr(copying, "publish", flaky)
    with pytest.raises(errors.ExportFailed):
        restore.restore_workspace(path, backup, PASSPHRASE)
    assert snapshot(path)[::2] == before[::2]
    assert names(path.parent) == ["backups", "case.toex"]


def test_restore_moves_a_crash_journal_aside_with_its_file(backed_up):
    path, backup = backed_up
    journal = Path(f"{path}-journal")
    journal.write_bytes(b"\x00" * 512)
    info = restore.restore_workspace(path, backup, PASSPHRASE, allow_other=True)
    assert info.kept_as is not None
    assert not journal.exists() and Path(f"{info.kept_as}-journal").exists()


def test_backup_from_an_older_schema_restores_and_upgrades_on_open(tmp_path):
    """A backup made before a schema upgrade is restored as it is; the next ordinary open
    upgrades it (with its usual copy first) and its chain still verifies."""
    old = tmp_path / "old-backup.toex"
    shutil.copyfile(FIXTURES / "workspace-0001.toex", old)
    target = tmp_path / "restored.toex"
    info = restore.restore_workspace(target, old, FIXTURE_PASSPHRASE)
    assert info.kept_as is None
    with open_workspace(target, FIXTURE_PASSPHRASE, check_integrity=True) as ws:
        report = workspace.verify(ws)
        assert report.ok, report
        assert workspace.audit_events(ws)[-1].seq == info.event_seq


def test_progress_is_reported(backed_up, monkeypatch):
    path, backup = backed_up
    monkeypatch.setattr(copying, "BATCH_PAGES", 8)
    seen = []
    restore.restore_workspace(path, backup, PASSPHRASE, progress=lambda d, t, m: seen.append(m))
    assert seen[0] == "Checking the backup…" and "Copying the workspace…" in seen
