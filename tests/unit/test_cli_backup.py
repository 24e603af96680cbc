"""``toexdesk backup``, ``restore`` and ``verify --against`` as a script would use them: real
processes, exit codes (0 ok, 1 user error with one stderr line, 2 usage), real files."""

from __future__ import annotations

import hashlib
import json
import stat
from pathlib import Path

import pytest
from conftest import ANALYST, PASSPHRASE
from test_cli import one_error_line, run

from toexdesk.core.store.engine import create_workspace


def digest(path: Path) -> tuple[str, int]:
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns


def make(path: Path) -> Path:
    create_workspace(path, PASSPHRASE, ANALYST).close()  # in process: quicker than `init`
    return path


@pytest.fixture
def made(tmp_path) -> Path:
    return make(tmp_path / "case.toex")


@pytest.fixture
def folder(tmp_path) -> Path:
    path = tmp_path / "backups"
    path.mkdir()
    return path


def backups_in(folder: Path) -> list[Path]:
    return sorted(folder.glob("case_backup_*.toex"))


def test_backup_then_verify_against_it_and_its_anchor(made, folder):
    proc = run("backup", str(made), str(folder))
    assert proc.returncode == 0, proc.stderr
    (backup,) = backups_in(folder)
    anchor = Path(f"{backup}.anchor.json")
    assert f"Backed up to {backup}" in proc.stdout and str(anchor) in proc.stdout
    assert json.loads(anchor.read_text())["file"] == backup.name
    for against in (backup, anchor):
        checked = run("verify", str(made), "--against", str(against))
        assert checked.returncode == 0, checked.stderr
        assert checked.stdout.startswith("OK  Extends the anchor of")
    # Plain verify is unchanged.
    plain = run("verify", str(made))
    assert plain.returncode == 0 and "audit chain" in plain.stdout


def test_backup_keep_prunes_older_backups(made, folder):
    for name in ("case_backup_20260101-000000.toex", "case_backup_20260102-000000.toex"):
        assert run("backup", str(made), str(folder / name)).returncode == 0
    proc = run("backup", str(made), str(folder), "--keep", "2")
    assert proc.returncode == 0, proc.stderr
    assert "Removed older backup case_backup_20260101-000000.toex" in proc.stdout
    kept = [p.name for p in backups_in(folder)]
    assert len(kept) == 2 and kept[0] == "case_backup_20260102-000000.toex"


@pytest.mark.parametrize("keep", ["0", "101", "many"])
def test_backup_keep_out_of_range_is_a_usage_error(made, folder, keep):
    proc = run("backup", str(made), str(folder), "--keep", keep)
    assert proc.returncode == 2
    assert "--keep" in proc.stderr
    assert backups_in(folder) == []


def test_backup_to_a_missing_folder_is_one_line(made, tmp_path):
    proc = run("backup", str(made), str(tmp_path / "no" / "such"))
    assert proc.returncode == 1
    assert "does not exist" in one_error_line(proc)


def test_backup_to_a_read_only_folder_is_refused_and_leaves_nothing(made, folder, unprivileged):
    before = digest(made)
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        proc = run("backup", str(made), str(folder), prefix=unprivileged)
    finally:
        folder.chmod(stat.S_IRWXU)
    assert proc.returncode == 1
    assert "No permission to write" in one_error_line(proc)
    assert list(folder.iterdir()) == []
    assert digest(made)[0] == before[0]  # only the audit trail could have moved: it did not
    check = run("verify", str(made))
    assert check.returncode == 0


def test_restore_round_trip_keeps_the_current_file(made, folder):
    assert run("backup", str(made), str(folder)).returncode == 0
    (backup,) = backups_in(folder)
    before = digest(made)
    proc = run("restore", str(made), str(backup))
    assert proc.returncode == 0, proc.stderr
    assert f"Restored {made} from {backup.name}" in proc.stdout
    (kept,) = made.parent.glob("case.before-restore-*.toex")
    assert f"kept as {kept}" in proc.stdout
    assert digest(kept)[0] == before[0]
    assert run("verify", str(made)).returncode == 0
    assert run("verify", str(made), "--against", str(backup)).returncode == 0


def test_restore_with_a_wrong_passphrase_changes_nothing(made, folder):
    assert run("backup", str(made), str(folder)).returncode == 0
    (backup,) = backups_in(folder)
    before, listing = digest(made), sorted(made.parent.iterdir())
    proc = run("restore", str(made), str(backup), passphrase="not the right one at all")
    assert proc.returncode == 1
    assert "wrong passphrase" in one_error_line(proc)
    assert digest(made) == before and sorted(made.parent.iterdir()) == listing


def test_restore_of_another_workspace_needs_the_flag(made, folder, tmp_path):
    other = make(tmp_path / "other.toex")
    assert run("backup", str(other), str(folder / "other-copy.toex")).returncode == 0
    before = digest(made)
    proc = run("restore", str(made), str(folder / "other-copy.toex"))
    assert proc.returncode == 1
    assert "another workspace" in one_error_line(proc)
    assert "--other-workspace" in one_error_line(proc)
    assert digest(made) == before
    proc = run("restore", str(made), str(folder / "other-copy.toex"), "--other-workspace")
    assert proc.returncode == 0, proc.stderr


def test_verify_against_a_rewritten_chain_fails_with_one_line(made, folder):
    import sqlcipher3

    from toexdesk.core.store import audit

    assert run("backup", str(made), str(folder)).returncode == 0
    (backup,) = backups_in(folder)
    # Rewrite the whole chain consistently: plain verify cannot tell.
    con = sqlcipher3.connect(str(made))
    con.execute(f"PRAGMA key = '{PASSPHRASE}'")
    con.execute("DROP TRIGGER audit_event_no_update")
    con.execute("UPDATE audit_event SET analyst = 'Someone Else' WHERE seq = 1")
    cols = ", ".join(audit.HASHED_FIELDS)
    prev = audit.GENESIS
    for row in con.execute(f"SELECT seq, {cols} FROM audit_event ORDER BY seq").fetchall():  # noqa: S608
        prev_hash, prev = (
            prev,
            audit.chain_hash(prev, dict(zip(audit.HASHED_FIELDS, row[1:], strict=True))),
        )
        con.execute(
            "UPDATE audit_event SET prev_hash = ?, hash = ? WHERE seq = ?",
            (prev_hash, prev, row[0]),
        )
    con.execute("UPDATE workspace SET audit_head_hash = ?", (prev,))
    con.commit()
    con.close()
    assert run("verify", str(made)).returncode == 0
    proc = run("verify", str(made), "--against", str(Path(f"{backup}.anchor.json")))
    assert proc.returncode == 1
    assert "DOES NOT extend" in proc.stdout
    assert "verify failed: DOES NOT extend" in one_error_line(proc)


def test_verify_against_a_file_without_an_anchor_is_one_line(made, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("nothing here")
    proc = run("verify", str(made), "--against", str(notes))
    assert proc.returncode == 1
    assert "holds no TOEX Desk audit anchor" in one_error_line(proc)
