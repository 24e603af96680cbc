"""``toexdesk bundle`` and ``toexdesk import-bundle`` as a script would use them: real
processes, real workspaces, exit codes (0 ok, 1 user error with one stderr line, 2 usage)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ANALYST, PASSPHRASE
from test_cli import ROOT, one_error_line

from toexdesk.core.services import sources, tasks
from toexdesk.core.store.engine import create_workspace, open_workspace

BUNDLE_PASSPHRASE = "hand-off passphrase 4417"


def run(*args: str, bundle: str | None = BUNDLE_PASSPHRASE, passphrase: str = PASSPHRASE):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOEX_")}
    env |= {"PYTHONPATH": str(ROOT), "TOEX_PASSPHRASE": passphrase}
    env["TOEX_DATA_DIR"] = os.environ["TOEX_DATA_DIR"]
    if bundle is not None:
        env["TOEX_BUNDLE_PASSPHRASE"] = bundle
    return subprocess.run(
        [sys.executable, "-m", "toexdesk", *args],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=180,
        check=False,
    )


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def sender(tmp_path) -> tuple[Path, str]:
    """A workspace with one task and two sources; returns its path and the reference."""
    path = tmp_path / "sender.toex"
    with create_workspace(path, PASSPHRASE, ANALYST) as ws:
        task = tasks.create_task(
            ws, tasks.TaskDraft("Line KESTREL: 07700 900123", "DS Ada Rowe", "county_lines")
        )
        for title in ("Custody record review", "Partner referral"):
            draft = sources.SourceDraft(title, "police_system", "1", "A", "P")
            sources.create_source(ws, task.id, draft)
    return path, task.reference


@pytest.fixture
def receiver(tmp_path) -> Path:
    path = tmp_path / "receiver.toex"
    create_workspace(path, PASSPHRASE, "Second Analyst").close()
    return path


@pytest.fixture
def bundle(sender, tmp_path) -> Path:
    path, ref = sender
    out = tmp_path / "handoff.toexb"
    proc = run("bundle", str(path), ref, "--out", str(out), "--recipient", "DS Ada Rowe")
    assert proc.returncode == 0, proc.stderr
    assert f"Wrote {out}" in proc.stdout and ref in proc.stdout
    return out


def test_bundle_then_import_round_trip(sender, receiver, bundle):
    dry = run("import-bundle", str(receiver), str(bundle), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "Tasks: 1 new" in dry.stdout and "Sources: 2 new" in dry.stdout
    assert "Dry run: nothing was imported." in dry.stdout

    proc = run("import-bundle", str(receiver), str(bundle))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.index("Tasks: 1 new") < proc.stdout.index(f"{sender[1]}: task added")
    with open_workspace(receiver, PASSPHRASE, read_only=True) as ws:
        (task,) = tasks.list_tasks(ws)
        assert task.reference == sender[1] and task.source_count == 2

    before = digest(receiver)
    again = run("import-bundle", str(receiver), str(bundle))
    assert again.returncode == 0, again.stderr
    assert "Nothing to import: everything in the bundle is already here." in again.stdout
    assert digest(receiver) == before
    verify = run("verify", str(receiver))
    assert verify.returncode == 0, verify.stdout


def test_dry_run_changes_nothing(receiver, bundle):
    before = digest(receiver)
    proc = run("import-bundle", str(receiver), str(bundle), "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert digest(receiver) == before


def test_conflicts_stop_the_import_unless_a_preference_is_given(sender, receiver, bundle, tmp_path):
    assert run("import-bundle", str(receiver), str(bundle)).returncode == 0
    path, ref = sender
    for where, title in ((path, "Edited by the sender"), (receiver, "Edited here")):
        with open_workspace(where, PASSPHRASE) as ws:
            task_id = tasks.find_task_id(ws, ref)
            src = sources.list_sources(ws, task_id)[0]
            sources.update_source(ws, src.id, title=title)
    changed = tmp_path / "changed.toexb"
    assert run("bundle", str(path), ref, "--out", str(changed)).returncode == 0

    before = digest(receiver)
    stopped = run("import-bundle", str(receiver), str(changed))
    assert stopped.returncode == 1
    assert "--prefer" in one_error_line(stopped)
    assert "Conflict:" in stopped.stdout and "title" in stopped.stdout
    assert digest(receiver) == before

    proc = run("import-bundle", str(receiver), str(changed), "--prefer", "theirs")
    assert proc.returncode == 0, proc.stderr
    assert "updated from the bundle (your choice)" in proc.stdout
    with open_workspace(receiver, PASSPHRASE, read_only=True) as ws:
        task_id = tasks.find_task_id(ws, ref)
        assert sources.list_sources(ws, task_id)[0].title == "Edited by the sender"


def test_a_wrong_bundle_passphrase_is_one_line(receiver, bundle):
    before = digest(receiver)
    proc = run("import-bundle", str(receiver), str(bundle), bundle="not the right one 99")
    assert proc.returncode == 1
    assert "Wrong bundle passphrase" in one_error_line(proc)
    assert digest(receiver) == before


def test_a_tampered_bundle_is_one_line(receiver, bundle):
    data = bytearray(bundle.read_bytes())
    data[-100] ^= 0x10
    bundle.write_bytes(bytes(data))
    before = digest(receiver)
    proc = run("import-bundle", str(receiver), str(bundle))
    assert proc.returncode == 1
    assert "altered or damaged" in one_error_line(proc)
    assert digest(receiver) == before
    bundle.write_bytes(bytes(data[:500]))
    truncated = run("import-bundle", str(receiver), str(bundle), "--dry-run")
    assert truncated.returncode == 1 and "truncated" in one_error_line(truncated)


def test_no_bundle_passphrase_without_a_terminal_is_one_line(sender, tmp_path):
    path, ref = sender
    out = tmp_path / "x.toexb"
    proc = run("bundle", str(path), ref, "--out", str(out), bundle=None)
    assert proc.returncode == 1
    assert "TOEX_BUNDLE_PASSPHRASE" in one_error_line(proc)
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("TX-1999-0001",), "There is no task TX-1999-0001"),
        (("{ref}", "--bundle-passphrase-is-workspace"), "other than the workspace"),
        (("{ref}", "--existing"), "already exists"),
        (("{ref}", "--wrong-suffix"), ".toexb"),
        (("{ref}", "--short"), "at least 12 characters"),
    ],
)
def test_bundle_refusals_are_one_line(sender, tmp_path, args, message):
    path, ref = sender
    out = tmp_path / "x.toexb"
    bundle = BUNDLE_PASSPHRASE
    refs = [a.format(ref=ref) for a in args if not a.startswith("--")]
    flag = next((a for a in args if a.startswith("--")), "")
    if flag == "--bundle-passphrase-is-workspace":
        bundle = PASSPHRASE
    elif flag == "--existing":
        out.write_bytes(b"keep me")
    elif flag == "--wrong-suffix":
        out = tmp_path / "x.zip"
    elif flag == "--short":
        bundle = "short"
    before = digest(path)
    proc = run("bundle", str(path), *refs, "--out", str(out), bundle=bundle)
    assert proc.returncode == 1, proc.stdout
    assert message in one_error_line(proc)
    assert digest(path) == before
    assert not out.exists() or out.read_bytes() == b"keep me"


@pytest.mark.parametrize(
    "args",
    [
        ("bundle", "{ws}", "{ref}"),  # no --out
        ("bundle", "{ws}", "--out", "x.toexb"),  # no task
        ("bundle", "{ws}", "{ref}", "--out", "x.toexb", "--recipient", "  "),
        ("import-bundle", "{ws}"),  # no file
        ("import-bundle", "{ws}", "x.toexb", "--prefer", "both"),
    ],
)
def test_usage_errors_exit_2(sender, args):
    path, ref = sender
    proc = run(*(a.format(ws=path, ref=ref) for a in args))
    assert proc.returncode == 2, proc.stderr
    assert "usage:" in proc.stderr
