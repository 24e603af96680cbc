"""Backups: an encrypted, integrity-checked copy made with SQLite's online backup API, never
plaintext, never half-written, audited as a disclosure, with its audit anchor beside it;
and the automatic backup on close that keeps the newest N of this workspace's backups.
Everything runs against real SQLCipher files."""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import sqlcipher3
from conftest import ANALYST, PASSPHRASE

from toexdesk import config
from toexdesk.core import errors
from toexdesk.core.services import backups, tasks, workspace
from toexdesk.core.store import checks, copying, engine
from toexdesk.core.store.engine import create_workspace, open_workspace

ROOT = Path(__file__).resolve().parents[2]


# --- helpers ----------------------------------------------------------------------------
def tables(ws) -> dict[str, list[tuple]]:
    """Every table's rows, in rowid order (the full-text index's tables too)."""
    with ws.engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        names = [
            r[0]
            for r in raw.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {n: raw.execute(f'SELECT * FROM "{n}"').fetchall() for n in sorted(names)}  # noqa: S608


def events(ws) -> list[tuple]:
    with ws.engine.connect() as conn:
        return conn.exec_driver_sql("SELECT * FROM audit_event ORDER BY seq").fetchall()


def head(ws) -> int:
    return events(ws)[-1][0]


def add_task(ws, title: str = "County lines in Northtown", questions: str = "") -> None:
    tasks.create_task(
        ws,
        tasks.TaskDraft(
            title=title, requester="DS Patel", thematic="county_lines", research_questions=questions
        ),
    )


def grow(ws, megabytes: float) -> None:
    """Add tasks with long texts until the workspace holds about this much."""
    for i in range(int(megabytes * 1024 * 1024 / 19_000) + 1):
        add_task(ws, f"Task {i}", os.urandom(9_500).hex())


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.fixture
def dest(tmp_path) -> Path:
    folder = tmp_path / "backups"
    folder.mkdir()
    return folder


# --- a backup is the same workspace, encrypted, checked and audited ------------------------
def test_backup_opens_with_the_same_passphrase_and_holds_the_same_records(demo_ws, dest):
    before = tables(demo_ws)
    info = backups.backup_workspace(demo_ws, dest)

    assert re.fullmatch(r"demo_backup_\d{8}-\d{6}\.toex", info.path.name)
    assert info.path.parent == dest
    assert names(dest) == [info.path.name, info.path.name + ".anchor.json"]
    with open_workspace(info.path, PASSPHRASE, read_only=True, check_integrity=True) as copy:
        assert workspace.verify(copy).ok
        copied = tables(copy)
    # The disclosure is recorded after the copy, so the copy is the workspace as it was.
    assert copied == before
    assert info.anchor.head_seq == before["audit_event"][-1][0]
    assert info.anchor.head_hash == before["workspace"][0][-1]


def test_backup_is_encrypted_with_the_workspace_salt_and_private(ws, dest):
    add_task(ws)
    info = backups.backup_workspace(ws, dest)
    head16 = info.path.read_bytes()[:16]
    assert head16 != checks.SQLITE_MAGIC
    assert head16 == ws.path.read_bytes()[:16]  # same salt: same passphrase opens it
    assert b"County lines" not in info.path.read_bytes()
    if os.name == "posix":
        assert stat.S_IMODE(info.path.stat().st_mode) == 0o600
    with pytest.raises(errors.WrongPassphrase):
        open_workspace(info.path, "not the passphrase at all", read_only=True)


def test_backup_is_recorded_as_a_disclosure_with_its_anchor(ws, dest):
    info = backups.backup_workspace(ws, dest, purpose="Weekly copy to the team share")
    last = workspace.audit_events(ws)[-1]
    assert last.action == "disclosure"
    assert (last.record_type, last.record_id, last.record_ref) == ("workspace", 1, "case.toex")
    assert last.justification == "Weekly copy to the team share"
    assert last.recipient == str(dest)
    details = json.loads(last.details)
    assert details["event"] == "backup"
    assert details["file"] == info.path.name
    assert details["sha256"] == info.sha256 == sha256(info.path)
    assert (details["anchor_seq"], details["anchor_hash"]) == (
        info.anchor.head_seq,
        info.anchor.head_hash,
    )
    assert last.seq == info.anchor.head_seq + 1
    assert workspace.verify(ws).ok


def test_anchor_file_describes_the_backup(ws, dest):
    info = backups.backup_workspace(ws, dest)
    data = json.loads(info.anchor_path.read_text(encoding="utf-8"))
    assert data["format"] == "toexdesk-audit-anchor" and data["version"] == 1
    assert data["workspace_uid"] == workspace.summary(ws).uid
    assert (data["head_seq"], data["head_hash"]) == (info.anchor.head_seq, info.anchor.head_hash)
    assert data["file"] == info.path.name
    assert (data["file_sha256"], data["file_size"]) == (info.sha256, info.path.stat().st_size)
    assert ANALYST not in info.anchor_path.read_text(encoding="utf-8")  # no personal data


def test_backup_to_a_file_path_and_never_over_an_existing_file(ws, dest):
    target = dest / "before the interview.toex"
    info = backups.backup_workspace(ws, target)
    assert info.path == target
    before = target.read_bytes()
    events_before = len(events(ws))
    with pytest.raises(errors.ExportFailed, match="already exists"):
        backups.backup_workspace(ws, target)
    assert target.read_bytes() == before
    assert len(events(ws)) == events_before


def test_two_backups_in_one_second_get_distinct_names(ws, dest, monkeypatch):
    monkeypatch.setattr(backups, "_now", lambda: dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC))
    made = [backups.backup_workspace(ws, dest).path.name for _ in range(3)]
    assert made == [
        "case_backup_20260301-093000.toex",
        "case_backup_20260301-093000-2.toex",
        "case_backup_20260301-093000-3.toex",
    ]
    assert [p.name for p in backups.backups_of(ws, dest)] == made[::-1]


def test_read_only_workspace_is_not_backed_up_unaudited(ws_path, dest):
    create_workspace(ws_path.with_name("x.toex"), PASSPHRASE, ANALYST).close()
    with (
        open_workspace(ws_path.with_name("x.toex"), PASSPHRASE, read_only=True) as ro,
        pytest.raises(errors.WorkspaceReadOnly, match="audit trail"),
    ):
        backups.backup_workspace(ro, dest)
    assert names(dest) == []


# --- bad destinations, full disks, cancels: nothing partial is left ---------------------
def assert_nothing_happened(ws, folder: Path, events_before: int) -> None:
    assert not folder.exists() or names(folder) == []
    assert len(events(ws)) == events_before
    assert workspace.verify(ws).ok


def test_missing_destination_folder_is_refused(ws, tmp_path):
    n = len(events(ws))
    for dest in (tmp_path / "gone", tmp_path / "gone" / "copy.toex"):
        with pytest.raises(errors.ExportFailed, match="does not exist"):
            backups.backup_workspace(ws, dest)
    assert not (tmp_path / "gone").exists()
    assert len(events(ws)) == n


def test_full_disk_leaves_no_partial_file_tmpfs(ws, tmp_path):
    """A real full disk: a 1 MiB tmpfs (needs root and mount)."""
    grow(ws, 1.5)  # a workspace bigger than the disk
    tiny = tmp_path / "tiny"
    tiny.mkdir()
    if os.name != "posix" or os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("needs root to mount a tmpfs")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(tiny)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode(errors='replace')}")
    try:
        n = len(events(ws))
        with pytest.raises(errors.ExportFailed, match="full"):
            backups.backup_workspace(ws, tiny)
        assert_nothing_happened(ws, tiny, n)
    finally:
        subprocess.run(["umount", str(tiny)], check=False)


def test_full_disk_during_the_copy_leaves_no_partial_file(ws, dest, monkeypatch):
    def full(*args, **kwargs):
        raise sqlcipher3.OperationalError("database or disk is full")

    monkeypatch.setattr(copying, "_copy_pages", full)
    n = len(events(ws))
    with pytest.raises(errors.ExportFailed, match=r"disk holding .* is full"):
        backups.backup_workspace(ws, dest)
    assert_nothing_happened(ws, dest, n)


def test_full_disk_writing_the_anchor_leaves_nothing(ws, dest, monkeypatch):
    def full(path, text):
        Path(path).write_bytes(b"{")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(backups, "_write_new", full)
    n = len(events(ws))
    with pytest.raises(errors.ExportFailed, match="full"):
        backups.backup_workspace(ws, dest)
    assert_nothing_happened(ws, dest, n)


def test_failed_audit_write_leaves_no_backup(ws, dest, monkeypatch):
    def refuse(*args, **kwargs):
        raise errors.WorkspaceError("busy")

    monkeypatch.setattr(backups, "_record_backup", refuse)
    with pytest.raises(errors.WorkspaceError, match="busy"):
        backups.backup_workspace(ws, dest)
    assert names(dest) == []


def test_unkeyed_copy_is_refused_before_a_page_is_written(ws, dest, monkeypatch):
    real = copying.raw_connect

    def unkeyed(path, key, **kwargs):
        return real(path, None, **kwargs)

    monkeypatch.setattr(copying, "raw_connect", unkeyed)
    n = len(events(ws))
    with pytest.raises(errors.WorkspaceError, match="could not be encrypted"):
        backups.backup_workspace(ws, dest)
    assert_nothing_happened(ws, dest, n)


def test_cancel_mid_backup_leaves_no_partial_file(demo_ws, dest, monkeypatch):
    monkeypatch.setattr(copying, "BATCH_PAGES", 16)
    seen = []

    def progress(done, total, message):
        seen.append((done, total))

    n = len(events(demo_ws))
    with pytest.raises(errors.Cancelled):
        backups.backup_workspace(demo_ws, dest, progress=progress, cancelled=lambda: len(seen) >= 3)
    assert len(seen) == 3 and 0 < seen[-1][0] < seen[-1][1]  # really stopped half-way
    assert_nothing_happened(demo_ws, dest, n)


def test_progress_counts_pages_up_to_the_total(demo_ws, dest, monkeypatch):
    monkeypatch.setattr(copying, "BATCH_PAGES", 32)
    seen = []
    info = backups.backup_workspace(demo_ws, dest, progress=lambda d, t, m: seen.append((d, t)))
    done = [d for d, _ in seen]
    assert done == sorted(done) and len(seen) > 3
    assert seen[-1] == (info.pages, info.pages)


# --- a workspace written during the backup ------------------------------------------------
@pytest.mark.parametrize("max_restarts", [copying.MAX_RESTARTS, 0])
def test_backup_while_another_thread_writes_is_consistent(demo_ws, dest, monkeypatch, max_restarts):
    """Another connection writes tasks during the copy: SQLite restarts the copy (or, past
    the restart limit, it is finished in one locked step); the copy is one consistent
    state, integrity-checked, and holds every write made before it completed."""
    monkeypatch.setattr(copying, "BATCH_PAGES", 8)
    monkeypatch.setattr(copying, "MAX_RESTARTS", max_restarts)
    tasks_before = len(tables(demo_ws)["task"])
    go, done, failures = threading.Semaphore(0), threading.Semaphore(0), []

    def writer():
        try:
            for i in range(5):
                assert go.acquire(timeout=30)
                add_task(demo_ws, f"Written during the backup {i}")
                done.release()
        except BaseException as exc:
            failures.append(exc)
            done.release()

    calls = []

    def progress(done_pages, total, message):
        calls.append(done_pages)
        if len(calls) <= 5 and message.startswith("Copying"):
            go.release()  # between two batches: the copy holds no lock now
            assert done.acquire(timeout=30)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        info = backups.backup_workspace(demo_ws, dest, progress=progress)
    finally:
        for _ in range(5):
            go.release()
        thread.join(30)
    assert failures == []
    assert info.restarts >= 1
    with open_workspace(info.path, PASSPHRASE, read_only=True, check_integrity=True) as copy:
        report = workspace.verify(copy)
        assert report.ok, report
        copied = tables(copy)
    # Past the restart limit the rest is copied in one step: later writes come after it.
    assert len(copied["task"]) == tasks_before + min(5, max_restarts + 1)
    # The copy's trail stops exactly at its recorded head, which the workspace still has.
    assert copied["audit_event"][-1][0] == info.anchor.head_seq
    assert copied["audit_event"] == [e for e in events(demo_ws) if e[0] <= info.anchor.head_seq]


def test_kill_during_backup_leaves_no_file_under_the_final_name(ws, dest):
    grow(ws, 0.5)
    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from toexdesk.core.store import copying, engine\n"
        "from toexdesk.core.services import backups\n"
        "copying.BATCH_PAGES = 4\n"
        "ws = engine.open_workspace(Path(sys.argv[1]), sys.argv[3])\n"
        "def progress(done, total, message):\n"
        "    print('copying', flush=True)\n"
        "    time.sleep(0.2)\n"
        "backups.backup_workspace(ws, Path(sys.argv[2]), progress=progress)\n"
    )
    path = ws.path
    ws.close()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    child = subprocess.Popen(
        [sys.executable, "-c", script, str(path), str(dest), PASSPHRASE],
        stdout=subprocess.PIPE,
        env=env,
    )
    try:
        assert child.stdout is not None
        for _ in range(3):
            assert child.stdout.readline() == b"copying\n"
        child.kill()  # SIGKILL: no clean-up runs
    finally:
        child.wait(30)
    assert not [n for n in names(dest) if not n.startswith(".")]
    with open_workspace(path, PASSPHRASE) as reopened:
        assert workspace.verify(reopened).ok
        # The next pruning clears the killed backup's temporary files once they are stale.
        leftovers = [dest / n for n in names(dest)]
        assert leftovers
        for p in leftovers:
            os.utime(p, (1, 1))
        backups.prune_backups(reopened, dest, 5)
    assert names(dest) == []


# --- automatic backups on close -------------------------------------------------------------
def settings(**kw) -> config.Settings:
    return config.Settings(backup_on_close=True, **kw)


def test_backup_on_close_is_off_by_default(ws, app_data):
    result = backups.backup_on_close(ws, config.Settings())
    assert result.backup is None and "off" in result.skipped
    assert not (app_data / "backups").exists()


def test_backup_on_close_goes_to_the_data_folder_and_skips_when_unchanged(ws, app_data):
    first = backups.backup_on_close(ws, settings())
    assert first.backup is not None
    assert first.backup.path.parent == app_data / "backups" / "case"
    again = backups.backup_on_close(ws, settings())
    assert again.backup is None and "nothing has changed" in again.skipped
    add_task(ws)
    third = backups.backup_on_close(ws, settings())
    assert third.backup is not None and third.backup.path != first.backup.path
    last = workspace.audit_events(ws)[-1]
    assert last.justification == backups.AUTO_PURPOSE


def test_backup_on_close_skips_locked_and_read_only_workspaces(ws, tmp_path):
    other = tmp_path / "ro.toex"
    create_workspace(other, PASSPHRASE, ANALYST).close()
    with open_workspace(other, PASSPHRASE, read_only=True) as ro:
        assert "read-only" in backups.backup_on_close(ro, settings()).skipped
    ws.close()
    assert "locked" in backups.backup_on_close(ws, settings()).skipped


def test_backup_on_close_uses_the_folder_set_and_refuses_a_missing_one(ws, tmp_path):
    folder = tmp_path / "share"
    with pytest.raises(errors.ExportFailed, match="does not exist"):
        backups.backup_on_close(ws, settings(backup_folder=str(folder)))
    assert not folder.exists()  # a folder the user chose is never made up
    folder.mkdir()
    result = backups.backup_on_close(ws, settings(backup_folder=str(folder)))
    assert result.backup is not None and result.backup.path.parent == folder


def test_pruning_keeps_the_newest_n_of_this_workspace_and_nothing_else(ws, dest, tmp_path):
    made = []
    for i in range(4):
        add_task(ws, f"Task {i}")
        made.append(backups.backup_workspace(ws, dest / f"case_backup_2026010{i + 1}-120000.toex"))
    # Look-alikes that are not this workspace's backups must survive.
    other_path = tmp_path / "elsewhere" / "case.toex"
    other_path.parent.mkdir()
    with create_workspace(other_path, PASSPHRASE, ANALYST) as other:
        foreign = backups.backup_workspace(other, dest / "case_backup_20250101-000000.toex")
    (dest / "case_backup_20240101-000000.toex").write_bytes(os.urandom(4096))
    (dest / "notes.txt").write_text("keep me")
    (dest / "case.toex").write_bytes(b"x" * 4096)

    removed = backups.prune_backups(ws, dest, 2)
    assert sorted(removed) == sorted([made[0].path, made[1].path])
    assert [p.name for p in backups.backups_of(ws, dest)] == [made[3].path.name, made[2].path.name]
    left = names(dest)
    for kept in (made[2], made[3], foreign):
        assert kept.path.name in left and kept.anchor_path.name in left
    for gone in (made[0], made[1]):
        assert gone.path.name not in left and gone.anchor_path.name not in left
    for other_file in ("case_backup_20240101-000000.toex", "notes.txt", "case.toex"):
        assert other_file in left


def test_backup_on_close_prunes_to_the_setting(ws, app_data, monkeypatch):
    made = []
    for i in range(4):
        add_task(ws, f"Task {i}")
        when = dt.datetime(2026, 3, 1, 9, 30, i, tzinfo=dt.UTC)
        monkeypatch.setattr(backups, "_now", lambda when=when: when)
        result = backups.backup_on_close(ws, settings(backups_to_keep=2))
        assert result.backup is not None
        made.append(result.backup.path)
    folder = app_data / "backups" / "case"
    assert [p for p in backups.backups_of(ws, folder)] == [made[3], made[2]]


def test_fresh_temporary_files_are_not_pruned(ws, dest):
    fresh = dest / ".case_backup_20260101-120000.toex.partial-0123abcd"
    fresh.write_bytes(b"")
    backups.prune_backups(ws, dest, 1)
    assert fresh.exists()  # another backup may be writing it right now


def test_backup_settings_are_validated(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text(
        json.dumps({"backup_on_close": 1, "backups_to_keep": 0, "backup_folder": "  /x  "})
    )
    loaded = config.load_settings(path)
    assert loaded.backup_on_close is False  # not a bool: the default
    assert loaded.backups_to_keep == 1
    assert loaded.backup_folder == "/x"
    path.write_text(json.dumps({"backup_on_close": True, "backups_to_keep": 1000}))
    loaded = config.load_settings(path)
    assert loaded.backup_on_close is True and loaded.backups_to_keep == 100
    path.write_text(json.dumps({"backups_to_keep": "5", "backup_folder": "a\x00b"}))
    loaded = config.load_settings(path)
    assert loaded.backups_to_keep == 5 and loaded.backup_folder == ""


def test_backup_folder_setting(app_data):
    ws_file = Path("/somewhere/Op Falcon.toex")
    assert config.backup_folder(config.Settings(), ws_file) == app_data / "backups" / "Op Falcon"
    chosen = config.Settings(backup_folder=str(app_data / "mine"))
    assert config.backup_folder(chosen, ws_file) == app_data / "mine"


def test_unencrypted_workspace_cannot_be_copied(tmp_path, dest):
    plain = tmp_path / "plain.toex"
    engine.lay_out(plain, None, ANALYST, record_ref="plain.toex")
    ws = engine.Workspace(
        plain, engine._build_engine(plain, None, read_only=False), None, read_only=False
    )
    with contextlib.closing(ws), pytest.raises(errors.WorkspaceError, match="encrypted"):
        copying.online_copy(ws, dest / "x.toex")
    assert names(dest) == []
