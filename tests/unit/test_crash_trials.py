"""Crash safety (issue 9, requirement 1), the short run: 20 trials of kill -9 during mixed
writes (create, update, link, capture, rekey, backup), each checked as the full 200-trial
run of ``tests/perf/crash_trials.py`` checks it (``make.py bench`` runs that one). And the
checks themselves: a harness that cannot fail proves nothing, so it is shown failing on
journals and folders that lie."""

from __future__ import annotations

import json
import os
import random
import shutil
import sys
import time
from pathlib import Path

import pytest

PERF = Path(__file__).resolve().parents[1] / "perf"
if str(PERF) not in sys.path:
    sys.path.insert(0, str(PERF))

import crash_trials as ct  # noqa: E402
import crash_worker  # noqa: E402

from toexdesk.core.services import tasks, workspace  # noqa: E402
from toexdesk.core.store import keys  # noqa: E402
from toexdesk.core.store.engine import create_workspace, open_workspace, raw_connect  # noqa: E402

pytestmark = pytest.mark.skipif(os.name != "posix", reason="SIGKILL")

SEED = 20260


def test_twenty_killed_trials_lose_nothing_committed_and_keep_nothing_else(tmp_path):
    figures = ct.run_trials(20, SEED, tmp_path, log=lambda _m: None)
    print(ct.summary(figures))
    assert figures.failures == [], json.dumps(figures.failures, indent=2)
    assert figures.killed + figures.finished_before_kill == 20


# --- the checks can fail ------------------------------------------------------------------
@pytest.fixture(scope="module")
def small_base(tmp_path_factory) -> ct.Base:
    return ct.prepare_base(tmp_path_factory.mktemp("crash-base"), n_sources=30)


def trial(base: ct.Base, folder: Path, kinds: list[str]) -> dict:
    """A trial's folder and plan, with nothing run yet."""
    plan = ct.make_plan(random.Random(7), 1, base, folder, kinds)
    (folder / "ws").mkdir(parents=True)
    (folder / "backups").mkdir()
    shutil.copyfile(base.path, plan["workspace"])
    return plan


def carry_out(plan: dict, upto: int) -> list[str]:
    """Do operations 0..upto-1 as the worker would, in this process; return the journal."""
    lines = ["OPEN", "READY"]
    ws = open_workspace(plan["workspace"], ct.PASSPHRASES[plan["start"]])
    try:
        for op in plan["ops"][:upto]:
            lines.append(f"BEGIN {op['n']} {op['kind']} {op['key']}")
            extra = crash_worker.run_op(ws, op, plan, None)
            lines.append(f"DONE {op['n']}{' ' + extra if extra else ''}")
    finally:
        ws.close()
    return lines


def test_an_honest_journal_passes(small_base, tmp_path):
    plan = trial(small_base, tmp_path, ["task", "update", "link", "capture", "backup", "rekey"])
    lines = carry_out(plan, 6)
    outcome = ct.check_trial(small_base, plan, lines)
    assert outcome.failures == []
    assert (outcome.done, outcome.in_flight, outcome.backups_verified) == (6, "finished", 1)


def test_a_done_operation_that_is_missing_is_a_failure(small_base, tmp_path):
    plan = trial(small_base, tmp_path, ["task", "link"])
    lines = [*carry_out(plan, 1), f"BEGIN 1 link {plan['ops'][1]['key']}", "DONE 1"]
    failures = ct.check_trial(small_base, plan, lines).failures
    assert any("op 1 (link" in f and "reported DONE, missing" in f for f in failures), failures


def test_an_operation_that_never_began_but_is_there_is_a_failure(small_base, tmp_path):
    plan = trial(small_base, tmp_path, ["update", "capture"])
    lines = carry_out(plan, 2)[:-2]  # the journal forgets the capture
    failures = ct.check_trial(small_base, plan, lines).failures
    assert any("op 1 (capture" in f and "never began, present" in f for f in failures), failures


def test_a_rekey_reported_done_but_not_made_is_a_failure(small_base, tmp_path):
    plan = trial(small_base, tmp_path, ["rekey"])
    lines = ["OPEN", "READY", "BEGIN 0 rekey pass1", "DONE 0"]
    failures = ct.check_trial(small_base, plan, lines).failures
    assert any("opened with passphrases [0], expected one of [1]" in f for f in failures)


def test_a_lost_backup_and_leftover_files_are_failures(small_base, tmp_path):
    plan = trial(small_base, tmp_path, ["backup", "task"])
    lines = carry_out(plan, 2)
    backup = Path(plan["backup_dir"]) / lines[3].split()[2]
    backup.unlink()
    stray = Path(plan["workspace"]).with_name("notes.tmp")
    stray.write_text("left behind")
    failures = ct.check_trial(small_base, plan, lines).failures
    assert any("reported DONE, not in the folder" in f for f in failures), failures
    assert any("notes.tmp" in f for f in failures), failures


# --- a journal left by a kill -------------------------------------------------------------
def test_a_journal_left_by_a_kill_early_in_a_transaction_goes_at_the_next_open(ws_path):
    """Killed before its journal's header was written, a writer leaves a journal SQLite
    ignores and would keep until the next write: the next open for writing removes it (a
    read-only one cannot, and leaves it). The trials above meet this now and then."""
    create_workspace(ws_path, ct.PASSPHRASES[0], "Crash Trials").close()
    journal = ws_path.with_name(ws_path.name + "-journal")
    journal.write_bytes(bytes(28) + os.urandom(4096 * 2))  # its header not yet written
    with open_workspace(ws_path, ct.PASSPHRASES[0], read_only=True):
        pass
    assert journal.exists()
    with open_workspace(ws_path, ct.PASSPHRASES[0]) as ws:
        assert not journal.exists()
        assert workspace.verify(ws).ok
    assert sorted(p.name for p in ws_path.parent.iterdir()) == [ws_path.name]


def test_the_journal_of_a_transaction_in_progress_elsewhere_is_left_alone(ws_path):
    create_workspace(ws_path, ct.PASSPHRASES[0], "Crash Trials").close()
    journal = ws_path.with_name(ws_path.name + "-journal")
    writer = raw_connect(ws_path, keys.derive_key(ct.PASSPHRASES[0], ws_path.read_bytes()[:16]))
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("INSERT INTO tag (name) VALUES ('written elsewhere')")
        assert journal.exists()
        started = time.monotonic()
        with open_workspace(ws_path, ct.PASSPHRASES[0]) as ws:
            assert journal.exists()  # the other writer's: not ours to remove
            assert tasks.list_tasks(ws) == []
        assert time.monotonic() - started < 5  # no waiting out the busy timeout
        writer.execute("COMMIT")
    finally:
        writer.close()
    assert not journal.exists()
    with open_workspace(ws_path, ct.PASSPHRASES[0]) as ws:
        assert "written elsewhere" in workspace.tag_names(ws)


def test_a_read_only_open_of_an_interrupted_change_says_to_open_it_normally(ws, tmp_path):
    """A change cut off after it began writing the file leaves a "hot" journal: undoing it
    needs a write, so a read-only open (info, verify) cannot; it says what to do instead
    of "attempt to write a readonly database". A normal open then undoes the change."""
    from conftest import PASSPHRASE

    from toexdesk.core import errors

    con = raw_connect(ws.path, ws._key)
    con.execute("PRAGMA cache_size = 8")  # spill to the file mid-transaction
    con.execute("BEGIN IMMEDIATE")
    con.execute("CREATE TABLE cut_off (x BLOB)")
    con.executemany("INSERT INTO cut_off VALUES (?)", [(bytes(2000),)] * 400)
    copy = tmp_path / "copy" / "case.toex"
    copy.parent.mkdir()
    shutil.copyfile(ws.path, copy)  # as the disk was when the power went
    shutil.copyfile(f"{ws.path}-journal", f"{copy}-journal")
    con.execute("ROLLBACK")
    con.close()
    ws.close()
    before = copy.read_bytes()
    with pytest.raises(errors.WorkspaceReadOnly, match="interrupted in the middle of a change"):
        open_workspace(copy, PASSPHRASE, read_only=True)
    assert copy.read_bytes() == before
    with open_workspace(copy, PASSPHRASE) as again:  # undoes the cut-off change
        assert workspace.verify(again).ok
    assert not Path(f"{copy}-journal").exists()
    with open_workspace(copy, PASSPHRASE, read_only=True) as again, again.engine.connect() as c:
        tables = c.exec_driver_sql("SELECT name FROM sqlite_master").scalars().all()
        assert "cut_off" not in tables
