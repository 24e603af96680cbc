"""The command line as a script would use it: real processes, exit codes, one-line errors."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import PASSPHRASE

from toexdesk.core.store import migrations

ROOT = Path(__file__).resolve().parents[2]
NEW = "brand new passphrase 77"


def run(
    *args: str,
    passphrase: str | None = PASSPHRASE,
    new: str | None = None,
    prefix: list[str] | None = None,
    data_dir: Path | None = None,
    timeout: float = 120,
):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOEX_")}
    env["PYTHONPATH"] = str(ROOT)
    if data_dir is not None:
        env["TOEX_DATA_DIR"] = str(data_dir)
    if passphrase is not None:
        env["TOEX_PASSPHRASE"] = passphrase
    if new is not None:
        env["TOEX_NEW_PASSPHRASE"] = new
    cmd = [*(prefix or []), sys.executable, "-m", "toexdesk", *args]
    return subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=timeout,
        check=False,
    )


def one_error_line(proc) -> str:
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("toexdesk: error: "), lines[0]
    return lines[0]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def made(tmp_path, app_data) -> Path:
    path = tmp_path / "cli.toex"
    proc = run("init", str(path), "--analyst", "Ann Example", data_dir=app_data)
    assert proc.returncode == 0, proc.stderr
    return path


def test_init_info_verify_passwd_round_trip(made, app_data):
    info = run("info", str(made), data_dir=app_data)
    assert info.returncode == 0, info.stderr
    assert "Ann Example" in info.stdout and "SQLCipher 4." in info.stdout
    verify = run("verify", str(made), data_dir=app_data)
    assert verify.returncode == 0 and verify.stdout.startswith("OK"), verify.stdout

    changed = run("passwd", str(made), new=NEW, data_dir=app_data)
    assert changed.returncode == 0, changed.stderr
    old = run("info", str(made), data_dir=app_data)
    assert old.returncode == 1
    assert "Wrong passphrase" in one_error_line(old)
    assert run("verify", str(made), passphrase=NEW, data_dir=app_data).returncode == 0

    # Nothing the commands logged carries a passphrase.
    for log in (app_data / "logs").iterdir():
        body = log.read_text(encoding="utf-8")
        assert PASSPHRASE not in body and NEW not in body


def test_info_json_is_machine_readable(made):
    import json

    proc = run("info", str(made), "--json")
    data = json.loads(proc.stdout)
    assert data["analyst"] == "Ann Example" and data["tasks"] == 0
    assert data["schema_revision"] == migrations.HEAD_REVISION


def test_missing_passphrase_without_terminal_is_a_user_error(made):
    proc = run("info", str(made), passphrase=None)
    assert proc.returncode == 1
    assert "TOEX_PASSPHRASE" in one_error_line(proc)


def test_usage_errors_exit_2(tmp_path):
    assert run("info").returncode == 2
    assert run("demo", "--seed", "x", str(tmp_path / "x.toex")).returncode == 2
    assert run("frobnicate", str(tmp_path / "x.toex")).returncode == 2


def test_short_passphrase_is_refused_with_the_rule(tmp_path):
    proc = run("init", str(tmp_path / "w.toex"), passphrase="too short")
    assert proc.returncode == 1
    assert "at least 12 characters" in one_error_line(proc)
    assert list(tmp_path.iterdir()) == []


def _plain(path: Path) -> None:
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE t (x)")
    con.commit()
    con.close()


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("empty", "empty (0 bytes)"),
        ("plain", "unencrypted SQLite database"),
        ("random", "not a whole number of database pages"),
        ("wrong-passphrase", "Wrong passphrase"),
        ("corrupt", "damaged"),
    ],
)
def test_bad_workspace_gives_one_line_and_leaves_file_untouched(made, kind, expected):
    passphrase = PASSPHRASE
    if kind == "empty":
        made.write_bytes(b"")
    elif kind == "plain":
        made.unlink()
        _plain(made)
    elif kind == "random":
        made.write_bytes(os.urandom(5000))
    elif kind == "wrong-passphrase":
        passphrase = "definitely not it at all"
    elif kind == "corrupt":
        import sqlcipher3

        con = sqlcipher3.connect(str(made))
        con.execute(f"PRAGMA key = '{PASSPHRASE}'")
        # A page every open reads (the workspace row's), past the file's first page.
        (page,) = con.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = 'workspace'"
        ).fetchone()
        con.close()
        data = bytearray(made.read_bytes())
        start = 4096 * (page - 1) + 100
        data[start : start + 32] = bytes(32)
        made.write_bytes(bytes(data))
    before = digest(made)
    command = "verify" if kind == "corrupt" else "info"
    proc = run(command, str(made), passphrase=passphrase)
    assert proc.returncode == 1
    assert expected in one_error_line(proc)
    assert digest(made) == before


def test_missing_workspace_and_folder(tmp_path):
    proc = run("info", str(tmp_path / "nothing.toex"))
    assert "There is no workspace" in one_error_line(proc)
    proc = run("init", str(tmp_path / "no" / "such" / "w.toex"))
    assert "does not exist" in one_error_line(proc)


def test_read_only_folder_is_explained_and_file_untouched(made, unprivileged):
    folder = made.parent
    before = digest(made)
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        created = run("init", str(folder / "other.toex"), prefix=unprivileged)
        assert created.returncode == 1
        assert "read-only" in one_error_line(created)
        passwd = run("passwd", str(made), new=NEW, prefix=unprivileged)
        assert passwd.returncode == 1
        assert "read-only" in one_error_line(passwd)
        # Reading needs no writes: info still works on a read-only share.
        info = run("info", str(made), prefix=unprivileged)
        assert info.returncode == 0, info.stderr
    finally:
        folder.chmod(stat.S_IRWXU)
    assert digest(made) == before
    assert sorted(p.name for p in folder.iterdir()) == ["cli.toex"]


def test_verify_names_the_first_tampered_audit_event(made):
    import sqlcipher3

    con = sqlcipher3.connect(str(made))
    con.execute(f"PRAGMA key = '{PASSPHRASE}'")
    con.execute("DROP TRIGGER audit_event_no_update")
    con.execute("UPDATE audit_event SET analyst = 'Someone Else' WHERE seq = 1")
    con.commit()
    con.close()
    proc = run("verify", str(made))
    assert proc.returncode == 1
    assert "event #1 was edited" in proc.stdout
    assert "verify failed: event #1 was edited" in one_error_line(proc)


def test_demo_then_info_and_verify_work_on_the_produced_file(tmp_path):
    path = tmp_path / "demo.toex"
    built = run("demo", str(path))
    assert built.returncode == 0, built.stderr
    assert "Sources" in built.stdout and "60" in built.stdout
    info = run("info", str(path), "--json")
    import json

    data = json.loads(info.stdout)
    assert (data["tasks"], data["sources"], data["findings"]) == (8, 60, 40)
    verify = run("verify", str(path))
    assert verify.returncode == 0 and "OK  audit chain" in verify.stdout
    again = run("demo", str(path))
    assert again.returncode == 1
    assert "already exists" in one_error_line(again)
