"""The encrypted workspace file: creation, unlocking, bad input, rekey, integrity."""

from __future__ import annotations

import hashlib
import os
import sqlite3
from pathlib import Path

import pytest
import sqlcipher3
from conftest import ANALYST, PASSPHRASE
from sqlalchemy import text

from toexdesk.core import errors
from toexdesk.core.services import sources, tasks, workspace
from toexdesk.core.store import engine, keys
from toexdesk.core.store.engine import create_workspace, open_workspace


def fingerprint(path: Path) -> tuple[str, int, int]:
    data = path.read_bytes()
    st = path.stat()
    return hashlib.sha256(data).hexdigest(), st.st_size, st.st_mtime_ns


def folder_listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.fixture
def closed_ws(ws) -> Path:
    """A workspace with one task, closed, ready to be (mis)opened."""
    tasks.create_task(ws, tasks.TaskDraft("Closed workspace task", "DS Holt", "ocg"))
    ws.close()
    return ws.path


# --- what a new workspace is ------------------------------------------------------------
def test_new_workspace_is_sqlcipher4_and_opens_in_standard_sqlcipher(closed_ws):
    con = sqlcipher3.connect(str(closed_ws))
    try:
        con.execute(f"PRAGMA key = '{PASSPHRASE}'")
        assert con.execute("PRAGMA cipher_version").fetchone()[0].startswith("4.")
        assert con.execute("PRAGMA application_id").fetchone()[0] == engine.APPLICATION_ID
        titles = [r[0] for r in con.execute("SELECT title FROM task")]
    finally:
        con.close()
    assert titles == ["Closed workspace task"]
    assert not closed_ws.read_bytes().startswith(engine.SQLITE_MAGIC)


def test_every_connection_has_the_safety_pragmas(ws):
    with ws.engine.connect() as conn:
        got = {
            name: conn.execute(text(f"PRAGMA {name}")).scalar()
            for name in (
                "journal_mode",
                "temp_store",
                "secure_delete",
                "foreign_keys",
                "cipher_memory_security",
                "synchronous",
            )
        }
    assert got == {
        "journal_mode": "delete",
        "temp_store": 2,  # MEMORY
        "secure_delete": 1,
        "foreign_keys": 1,
        "cipher_memory_security": "1",
        "synchronous": 2,  # FULL
    }


def test_workspace_is_one_file_on_disk(ws, ws_path):
    tasks.create_task(ws, tasks.TaskDraft("One file", "DS Holt", "other"))
    ws.close()
    assert folder_listing(ws_path.parent) == [ws_path.name]


def test_create_refuses_short_passphrase_and_leaves_nothing(tmp_path):
    with pytest.raises(errors.PassphraseRejected, match="at least 12 characters"):
        create_workspace(tmp_path / "w.toex", "short", ANALYST)
    assert folder_listing(tmp_path) == []


def test_create_refuses_existing_file_and_keeps_it(closed_ws):
    before = fingerprint(closed_ws)
    with pytest.raises(errors.WorkspaceExists, match="already exists"):
        create_workspace(closed_ws, PASSPHRASE, ANALYST)
    assert fingerprint(closed_ws) == before


def test_create_in_missing_folder_says_so(tmp_path):
    with pytest.raises(errors.FolderMissing, match="does not exist"):
        create_workspace(tmp_path / "nope" / "w.toex", PASSPHRASE, ANALYST)
    assert folder_listing(tmp_path) == []


# --- bad input: every failure is specific and leaves the file byte-for-byte -----------
def _plain_sqlite(path: Path) -> None:
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE t (x)")
    con.execute("INSERT INTO t VALUES ('plain')")
    con.commit()
    con.close()


def _foreign_sqlcipher(path: Path) -> None:
    con = sqlcipher3.connect(str(path))
    con.execute(f"PRAGMA key = '{PASSPHRASE}'")
    con.execute("CREATE TABLE t (x)")
    con.commit()
    con.close()


BAD_FILES = {
    "empty": (lambda p: p.write_bytes(b""), errors.NotAWorkspace, "empty"),
    "plain-sqlite": (_plain_sqlite, errors.NotAWorkspace, "unencrypted SQLite"),
    "random-odd-size": (
        lambda p: p.write_bytes(os.urandom(10_000)),
        errors.NotAWorkspace,
        "not a whole number of database pages",
    ),
    "random-page-aligned": (
        lambda p: p.write_bytes(os.urandom(8192)),
        errors.WrongPassphrase,
        "not a TOEX workspace",
    ),
    "foreign-sqlcipher": (
        _foreign_sqlcipher,
        errors.NotAWorkspace,
        "encrypted database, but not a TOEX workspace",
    ),
}


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_bad_file_is_refused_clearly_and_left_untouched(tmp_path, kind):
    make, error, message = BAD_FILES[kind]
    path = tmp_path / "bad.toex"
    make(path)
    before = fingerprint(path)
    with pytest.raises(error, match=message):
        open_workspace(path, PASSPHRASE)
    assert fingerprint(path) == before
    assert folder_listing(tmp_path) == ["bad.toex"]


def test_wrong_passphrase_leaves_file_untouched(closed_ws):
    before = fingerprint(closed_ws)
    with pytest.raises(errors.WrongPassphrase, match="Wrong passphrase"):
        open_workspace(closed_ws, "not the passphrase at all")
    assert fingerprint(closed_ws) == before
    assert folder_listing(closed_ws.parent) == [closed_ws.name]


def _flip(path: Path, offset: int, count: int = 64) -> None:
    data = bytearray(path.read_bytes())
    for i in range(offset, offset + count):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))


def test_corrupt_page_is_reported_as_damage_and_file_untouched(closed_ws):
    pages = closed_ws.stat().st_size // engine.PAGE_SIZE
    _flip(closed_ws, engine.PAGE_SIZE * (pages // 2) + 100)
    before = fingerprint(closed_ws)
    with pytest.raises(errors.WorkspaceDamaged, match="damaged"):
        open_workspace(closed_ws, PASSPHRASE, check_integrity=True)
    assert fingerprint(closed_ws) == before


def test_corrupt_first_page_is_refused_and_file_untouched(closed_ws):
    _flip(closed_ws, 200)
    before = fingerprint(closed_ws)
    with pytest.raises(errors.WrongPassphrase, match="not a TOEX workspace"):
        open_workspace(closed_ws, PASSPHRASE)
    assert fingerprint(closed_ws) == before


def test_truncated_workspace_is_refused(closed_ws):
    data = closed_ws.read_bytes()
    closed_ws.write_bytes(data[: len(data) - 1000])
    before = fingerprint(closed_ws)
    with pytest.raises(errors.NotAWorkspace, match="truncated"):
        open_workspace(closed_ws, PASSPHRASE)
    assert fingerprint(closed_ws) == before


def test_missing_file_and_missing_folder_are_told_apart(tmp_path):
    with pytest.raises(errors.WorkspaceNotFound, match="There is no workspace"):
        open_workspace(tmp_path / "absent.toex", PASSPHRASE)
    with pytest.raises(errors.FolderMissing, match="does not exist"):
        open_workspace(tmp_path / "gone" / "absent.toex", PASSPHRASE)
    assert folder_listing(tmp_path) == []


def test_folder_given_instead_of_file_is_refused(tmp_path):
    with pytest.raises(errors.NotAWorkspace, match="is a folder"):
        open_workspace(tmp_path, PASSPHRASE)


# --- read-only open ---------------------------------------------------------------------
def test_read_only_open_reads_but_refuses_writes(closed_ws):
    before = fingerprint(closed_ws)
    with open_workspace(closed_ws, PASSPHRASE, read_only=True) as ro:
        assert [t.title for t in tasks.list_tasks(ro)] == ["Closed workspace task"]
        with pytest.raises(errors.WorkspaceReadOnly, match="read-only"):
            tasks.create_task(ro, tasks.TaskDraft("Nope", "DS Holt", "ocg"))
    assert fingerprint(closed_ws) == before


# --- integrity ----------------------------------------------------------------------------
def test_intact_workspace_passes_integrity_checks(ws):
    assert engine.integrity_problems(ws) == []
    assert workspace.verify(ws).ok


def _root_page(path: Path, table: str) -> int:
    con = sqlcipher3.connect(str(path))
    try:
        con.execute(f"PRAGMA key = '{PASSPHRASE}'")
        return con.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)
        ).fetchone()[0]
    finally:
        con.close()


def test_verify_reports_damaged_pages(closed_ws):
    # A page that opening does not read (the tag table's), so the check is what finds it.
    page = _root_page(closed_ws, "tag")
    _flip(closed_ws, engine.PAGE_SIZE * (page - 1) + 50)
    with open_workspace(closed_ws, PASSPHRASE, read_only=True) as ro:
        report = workspace.verify(ro)
    assert not report.ok
    assert any("encrypted page check" in p or "could not be read" in p for p in report.integrity)


# --- passphrase change --------------------------------------------------------------------
NEW_PASSPHRASE = "a different passphrase 2026"


def test_change_passphrase_reencrypts_and_is_audited(ws, ws_path):
    task = tasks.create_task(ws, tasks.TaskDraft("Survives rekey", "DS Holt", "ocg"))
    workspace.change_passphrase(ws, PASSPHRASE, NEW_PASSPHRASE)
    # The open workspace goes on working under the new key.
    sources.create_source(
        ws, task.id, sources.SourceDraft("After rekey", "document", "2", "C", "P")
    )
    ws.close()
    with pytest.raises(errors.WrongPassphrase):
        open_workspace(ws_path, PASSPHRASE)
    with open_workspace(ws_path, NEW_PASSPHRASE, check_integrity=True) as again:
        assert [s.title for s in sources.list_sources(again)] == ["After rekey"]
        report = workspace.verify(again)
        assert report.ok
        from toexdesk.core.model import AuditEvent
        from toexdesk.core.store.engine import session_scope

        with session_scope(again, write=False) as s:
            details = [e.details for e in s.query(AuditEvent).order_by(AuditEvent.seq)]
        assert any("passphrase changed" in d for d in details)
    # Standard SQLCipher tools derive the same key from the new passphrase.
    con = sqlcipher3.connect(str(ws_path))
    con.execute(f"PRAGMA key = '{NEW_PASSPHRASE}'")
    assert con.execute("SELECT count(*) FROM task").fetchone()[0] == 1
    con.close()


def test_change_passphrase_with_wrong_current_changes_nothing(ws, ws_path):
    ws.close()
    before = fingerprint(ws_path)
    with open_workspace(ws_path, PASSPHRASE) as again:
        with pytest.raises(errors.WrongPassphrase):
            workspace.change_passphrase(again, "wrong current passphrase", NEW_PASSPHRASE)
        with pytest.raises(errors.PassphraseRejected, match="at least 12"):
            workspace.change_passphrase(again, PASSPHRASE, "short")
    assert fingerprint(ws_path)[0] == before[0]


def test_key_derivation_matches_sqlcipher_defaults():
    salt = bytes(range(16))
    key = keys.derive_key("Nguyễn passphrase", salt)
    assert len(key.key) == 32 and key.salt == salt
    assert "Nguy" not in repr(key) and key.key.hex() not in repr(key)
    # NFC and NFD spellings of the same passphrase give the same key.
    import unicodedata

    nfd = unicodedata.normalize("NFD", "Nguyễn passphrase")
    assert keys.derive_key(nfd, salt) == key


REKEY_CHILD = """
import sys
from toexdesk.core.store.engine import open_workspace
from toexdesk.core.services import workspace
ws = open_workspace(sys.argv[1], sys.argv[2])
print("REKEY", flush=True)
workspace.change_passphrase(ws, sys.argv[2], sys.argv[3])
print("DONE", flush=True)
"""


@pytest.fixture(scope="module")
def sizeable_workspace(tmp_path_factory) -> Path:
    """A few MB of pages, so a rekey takes long enough to be interrupted."""
    path = tmp_path_factory.mktemp("rekey") / "big.toex"
    with create_workspace(path, PASSPHRASE, ANALYST) as big:
        task = tasks.create_task(big, tasks.TaskDraft("Rekey under fire", "DS Holt", "ocg"))
        drafts = [
            sources.SourceDraft(f"Source {i}", "document", "2", "C", "P", description="x" * 1500)
            for i in range(2500)
        ]
        sources.create_sources(big, task.id, drafts)
    return path


# After the marker the child spends ~0.3 s deriving keys, then rekeys for ~0.1-0.2 s here:
# the delays spread kills before, during and after the rewrite of the pages.
@pytest.mark.parametrize("delay", [0.0, 0.36, 0.4, 0.43, 0.46, 0.5, 0.6, 2.0])
def test_killed_rekey_leaves_old_or_new_key_never_a_mix(sizeable_workspace, tmp_path, delay):
    import shutil
    import signal
    import subprocess
    import sys
    import time

    path = tmp_path / "w.toex"
    shutil.copyfile(sizeable_workspace, path)
    root = Path(__file__).resolve().parents[2]
    env = dict(os.environ, PYTHONPATH=str(root))
    child = subprocess.Popen(
        [sys.executable, "-c", REKEY_CHILD, str(path), PASSPHRASE, NEW_PASSPHRASE],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert child.stdout.readline().strip() == "REKEY"
    time.sleep(delay)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=60)

    opened = []
    for candidate in (PASSPHRASE, NEW_PASSPHRASE):
        try:
            with open_workspace(path, candidate, check_integrity=True) as again:
                report = workspace.verify(again)
                events = [e.details for e in _audit_events(again)]
                n_sources = len(sources.list_sources(again))
            opened.append((candidate, report.ok, n_sources, events))
        except errors.WrongPassphrase:
            continue
    assert len(opened) == 1, opened
    candidate, ok, n_sources, events = opened[0]
    assert ok and n_sources == 2500
    changed = any("passphrase changed" in d for d in events)
    # The audit event commits with the re-encryption, or not at all.
    assert changed == (candidate == NEW_PASSPHRASE)


def _audit_events(ws):
    from toexdesk.core.model import AuditEvent
    from toexdesk.core.store.engine import session_scope

    with session_scope(ws, write=False) as s:
        return list(s.query(AuditEvent).order_by(AuditEvent.seq))
