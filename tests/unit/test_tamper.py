"""Tamper detection (issue 9, requirement 4): what the other suites do not show already.

Already covered, and not repeated here:

- ``test_audit_chain.py``: ``verify`` (the service and ``audit.verify_chain``) names the first
  edited, deleted (middle, several, first, last, the whole trail), inserted (middle, past the
  recorded head) or reordered event, after rows were changed through a keyed connection with
  the append-only triggers dropped; the triggers refuse UPDATE and DELETE.
- ``test_cli.py``: ``toexdesk verify`` on an edited event (exit 1, one stderr line); empty,
  plain SQLite, random and foreign files, a wrong passphrase and a damaged workspace-row page
  each give one line.
- ``test_store.py``: 64 flipped bytes in a middle page (checked open) and in page 1 past the
  salt, a file cut short of a whole page, damaged pages found by ``verify``.
- ``test_restore.py``: a backup with a broken chain or a damaged page is refused.

Added here:

- the attacker's own way in: the workspace decrypted to a plain SQLite file
  (``sqlcipher_export``), audit rows edited, deleted (middle, last), inserted (middle, after
  the head) or reordered there with the standard library's ``sqlite3`` after dropping the
  triggers, and encrypted again under the same passphrase. ``verify`` names the first bad
  event (its number and what happened to it), and so does ``toexdesk verify``;
- the file itself altered: the salt in the header, one byte of a page in the middle, two
  pages swapped, the last page cut off (or half of it). Opening fails with a ``ToexError``
  and a message saying what is wrong (a checked open, as ``verify`` does; a normal unlock
  does not read every page, and reading a damaged one later is a ``WorkspaceDamaged``); the
  CLI exits 1 with one line, never 3 (internal error); the file is left as it was."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import sqlite3
from pathlib import Path

import pytest
import sqlcipher3
from conftest import ANALYST, PASSPHRASE
from test_cli import one_error_line, run

from toexdesk.core import errors
from toexdesk.core.services import tasks, workspace
from toexdesk.core.store import audit
from toexdesk.core.store.engine import PAGE_SIZE, create_workspace, open_workspace

K = 4  # the event tampered with in the middle of the chain


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """A closed workspace with a dozen events and pages enough to have a middle."""
    path = tmp_path_factory.mktemp("tamper") / "template.toex"
    with create_workspace(path, PASSPHRASE, ANALYST) as ws:
        for i in range(4):
            task = tasks.create_task(
                ws,
                tasks.TaskDraft(f"Task {i}", "DS Tamper", "ocg", research_questions="q " * 3000),
            )
            tasks.get_task(ws, task.id)
    return path


@pytest.fixture
def case(template, tmp_path) -> Path:
    path = tmp_path / "case.toex"
    path.write_bytes(template.read_bytes())
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- the attacker decrypts, edits with plain SQLite, encrypts again ------------------------
def copy_application_id(con, source: str, target: str) -> None:
    (app_id,) = con.execute(f"PRAGMA {source}.application_id").fetchone()
    con.execute(f"PRAGMA {target}.application_id = {int(app_id)}")


def decrypt(path: Path, plain: Path) -> None:
    con = sqlcipher3.connect(str(path))
    con.execute(f"PRAGMA key = '{PASSPHRASE}'")
    con.execute(f"ATTACH DATABASE '{plain}' AS plain KEY ''")
    con.execute("SELECT sqlcipher_export('plain')")
    copy_application_id(con, "main", "plain")  # the export leaves the header field behind
    con.execute("DETACH DATABASE plain")
    con.close()


def encrypt(plain: Path, path: Path) -> None:
    path.unlink()
    con = sqlcipher3.connect(str(plain))
    con.execute(f"ATTACH DATABASE '{path}' AS enc KEY '{PASSPHRASE}'")
    con.execute("SELECT sqlcipher_export('enc')")
    copy_application_id(con, "main", "enc")
    con.execute("DETACH DATABASE enc")
    con.close()


def forge(con: sqlite3.Connection, seq: int, prev_hash: str) -> None:
    """An event with a correct hash of its own, chained from ``prev_hash``."""
    fields = {
        "at": dt.datetime.now(dt.UTC).isoformat(timespec="microseconds"),
        "analyst": ANALYST,
        "os_user": "mallory",
        "action": "consultation",
        "record_type": "task",
        "record_id": 1,
        "record_ref": "TX-2000-0001",
        "justification": "",
        "recipient": "",
        "details": "{}",
    }
    names = ["seq", *fields, "prev_hash", "hash"]
    con.execute(
        f"INSERT INTO audit_event ({', '.join(names)}) "  # noqa: S608
        f"VALUES ({', '.join('?' for _ in names)})",
        (seq, *fields.values(), prev_hash, audit.chain_hash(prev_hash, fields)),
    )


def _edit(con, n):
    con.execute("UPDATE audit_event SET analyst = 'Someone Else' WHERE seq = ?", (K,))
    return K, "edited"


def _delete_middle(con, n):
    con.execute("DELETE FROM audit_event WHERE seq = ?", (K,))
    return K, "deleted"


def _delete_last(con, n):
    con.execute("DELETE FROM audit_event WHERE seq = ?", (n,))
    return n, "deleted"


def _insert_middle(con, n):
    (prev,) = con.execute("SELECT hash FROM audit_event WHERE seq = ?", (K - 1,)).fetchone()
    con.execute("UPDATE audit_event SET seq = seq + 1000 WHERE seq >= ?", (K,))
    con.execute("UPDATE audit_event SET seq = seq - 999 WHERE seq >= ?", (1000 + K,))
    forge(con, K, prev)
    return K, "inserted"


def _insert_after_head(con, n):
    (prev,) = con.execute("SELECT hash FROM audit_event WHERE seq = ?", (n,)).fetchone()
    forge(con, n + 1, prev)
    return n + 1, "inserted"


def _reorder(con, n):
    con.execute("UPDATE audit_event SET seq = -1 WHERE seq = ?", (K,))
    con.execute("UPDATE audit_event SET seq = ? WHERE seq = ?", (K, K + 1))
    con.execute("UPDATE audit_event SET seq = ? WHERE seq = -1", (K + 1,))
    return K, "reordered"


TAMPERS = {
    "edit": _edit,
    "delete-middle": _delete_middle,
    "delete-last": _delete_last,
    "insert-middle": _insert_middle,
    "insert-after-head": _insert_after_head,
    "reorder": _reorder,
}


@pytest.mark.parametrize("kind", list(TAMPERS))
def test_audit_rows_changed_in_the_decrypted_file_are_named_by_verify(case, tmp_path, kind):
    plain = tmp_path / "plain.sqlite"
    decrypt(case, plain)
    con = sqlite3.connect(plain)
    assert con.execute("SELECT count(*) FROM audit_event").fetchone()[0] > K + 2
    (n,) = con.execute("SELECT max(seq) FROM audit_event").fetchone()
    con.execute("DROP TRIGGER audit_event_no_update")
    con.execute("DROP TRIGGER audit_event_no_delete")
    seq, what = TAMPERS[kind](con, n)
    con.commit()
    con.close()
    encrypt(plain, case)

    with open_workspace(case, PASSPHRASE, read_only=True) as ws:
        report = workspace.verify(ws)
    assert report.integrity == ()  # the file itself is sound: only the trail was changed
    first = report.chain.first_problem
    assert first is not None and (first.seq, first.kind) == (seq, what), report.chain.problems
    assert f"#{seq}" in first.message

    proc = run("verify", str(case))
    assert proc.returncode == 1
    assert f"AUDIT: {first.message}" in proc.stdout.splitlines()
    assert one_error_line(proc) == f"toexdesk: error: verify failed: {first.message}"


def test_the_untouched_round_trip_verifies(case, tmp_path):
    """The decrypt-and-encrypt route alone changes nothing verify can see."""
    plain = tmp_path / "plain.sqlite"
    decrypt(case, plain)
    encrypt(plain, case)
    with open_workspace(case, PASSPHRASE, read_only=True) as ws:
        assert workspace.verify(ws).ok


# --- the file altered ----------------------------------------------------------------------
def alter(path: Path, change) -> str:
    data = bytearray(path.read_bytes())
    path.write_bytes(bytes(change(data)))
    return digest(path)


def flip(offset: int):
    def change(data: bytearray) -> bytearray:
        data[offset] ^= 0x01
        return data

    return change


def swap(a: int, b: int):
    def change(data: bytearray) -> bytearray:
        one, two = (
            slice((a - 1) * PAGE_SIZE, a * PAGE_SIZE),
            slice((b - 1) * PAGE_SIZE, b * PAGE_SIZE),
        )
        data[one], data[two] = data[two], data[one]
        return data

    return change


def pages(path: Path) -> int:
    return path.stat().st_size // PAGE_SIZE


def refused(path: Path, error: type[errors.ToexError], message: str) -> None:
    """A checked open (as ``verify`` does) fails with ``error`` and ``message``; the CLI says
    so on one line with exit 1; the file is as it was."""
    before = digest(path)
    with pytest.raises(error, match=message):
        open_workspace(path, PASSPHRASE, check_integrity=True)
    proc = run("verify", str(path))
    assert proc.returncode == 1, proc.stderr
    assert re.search(message, one_error_line(proc)), proc.stderr
    assert digest(path) == before


def test_altered_salt_in_the_header_is_refused_clearly(case):
    alter(case, flip(7))  # inside the 16-byte salt the key is derived with
    refused(case, errors.WrongPassphrase, "Wrong passphrase, or the file is not a TOEX workspace")
    proc = run("info", str(case))
    assert "not a TOEX workspace" in one_error_line(proc)


def damaged(page: int) -> str:
    """What a checked open says of a bad page: the page check names it, unless opening read
    the page first (which pages that is depends on the file's layout, which moves with the
    content): then SQLite's own "damaged (database disk image is malformed)"."""
    return rf"(HMAC verification failed for page {page}|is damaged \(database disk image)"


def test_one_byte_changed_in_a_middle_page_is_refused_clearly(case):
    middle = pages(case) // 2
    alter(case, flip((middle - 1) * PAGE_SIZE + 1234))
    refused(case, errors.WorkspaceDamaged, damaged(middle))


def test_two_pages_swapped_are_refused_clearly(case):
    middle = pages(case) // 2
    alter(case, swap(middle, middle + 1))
    refused(case, errors.WorkspaceDamaged, damaged(middle))


def test_first_page_swapped_with_another_is_refused_clearly(case):
    alter(case, swap(1, pages(case) // 2))
    refused(case, errors.WrongPassphrase, "not a TOEX workspace")


@pytest.mark.parametrize(
    ("cut", "message"),
    [(PAGE_SIZE, "malformed"), (PAGE_SIZE // 2, r"page \d+ has an invalid size of 2048 bytes")],
)
def test_last_page_cut_off_is_refused_clearly(case, cut, message):
    alter(case, lambda data: data[:-cut])
    refused(case, errors.WorkspaceDamaged, message)


def test_damaged_page_read_after_a_normal_unlock_is_a_clear_error(case):
    """A normal unlock reads only what it needs (checking every page would cost seconds on
    a large workspace); the damage shows, as ``WorkspaceDamaged``, once its page is read."""
    con = sqlcipher3.connect(str(case))
    con.execute(f"PRAGMA key = '{PASSPHRASE}'")
    (page,) = con.execute("SELECT rootpage FROM sqlite_master WHERE name = 'task'").fetchone()
    con.close()
    assert 1 < page < pages(case)
    alter(case, flip((page - 1) * PAGE_SIZE + 100))
    with open_workspace(case, PASSPHRASE) as ws:
        with pytest.raises(errors.WorkspaceDamaged, match=r"damaged .*restore it from a backup"):
            tasks.list_tasks(ws)
        assert not workspace.verify(ws).ok
    proc = run("info", str(case))
    assert proc.returncode == 1
    assert "is damaged" in one_error_line(proc)
