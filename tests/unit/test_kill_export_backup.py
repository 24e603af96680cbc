"""kill -9 during ``toexdesk export`` and ``toexdesk backup``, as a real process: as soon as
a temporary file appears in the target folder, and at fixed moments across a run. After
every kill the folder holds nothing of that run under a final name except complete files;
anything else is a temporary file that says so by its name, which the next export or backup
into that folder removes once it is stale; and the workspace still verifies."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import docx
import pypdf
import pytest
from conftest import PASSPHRASE
from openpyxl import load_workbook

pytestmark = pytest.mark.skipif(os.name != "posix", reason="SIGKILL")

ROOT = Path(__file__).resolve().parents[2]
TASK = "TX-2026-0001"
EXPORT_TEMP = re.compile(r"\.toex-[a-z0-9_]{8}\.part")
BACKUP_TEMP = re.compile(
    r"\.demo_backup_\d{8}-\d{6}(?:-\d+)?\.toex(?:\.anchor\.json)?\.partial-[0-9a-f]{8}(?:-journal)?"
)
BACKUP = re.compile(r"demo_backup_\d{8}-\d{6}(?:-\d+)?\.toex")
STALE = 2 * 3600  # older than the hour after which a temporary file counts as left over


@pytest.fixture
def demo(_demo_template, tmp_path) -> Path:
    path = tmp_path / "demo.toex"
    shutil.copyfile(_demo_template, path)
    return path


def command(*args: str, data_dir: Path) -> tuple[list[str], dict[str, str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOEX_")}
    env |= {"PYTHONPATH": str(ROOT), "TOEX_PASSPHRASE": PASSPHRASE, "TOEX_DATA_DIR": str(data_dir)}
    return [sys.executable, "-m", "toexdesk", *args], env


def run(*args: str, data_dir: Path) -> subprocess.CompletedProcess:
    cmd, env = command(*args, data_dir=data_dir)
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=180, check=False)


def run_and_kill(
    args: list[str], folder: Path, temp: re.Pattern[str], data_dir: Path, at: float | int
) -> str:
    """Start the command; SIGKILL it ``at`` seconds in (a float) or as soon as the
    ``at``-th temporary file (an int) shows in ``folder``. Says what happened."""
    cmd, env = command(*args, data_dir=data_dir)
    started = time.monotonic()
    child = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seen: set[str] = set()
    try:
        while child.poll() is None:
            if isinstance(at, float):
                if time.monotonic() - started >= at:
                    child.send_signal(signal.SIGKILL)
                    return f"killed at {at:.2f} s"
                time.sleep(0.005)
                continue
            seen |= {n for n in os.listdir(folder) if temp.fullmatch(n)}
            if len(seen) >= at:
                child.send_signal(signal.SIGKILL)
                return f"killed with temporary file {len(seen)} there"
            if time.monotonic() - started > 120:
                pytest.fail(f"{args[0]} did not finish")
        return "finished before the kill"
    finally:
        if child.poll() is None:
            child.kill()
        child.wait(30)


def verify(workspace: Path, data_dir: Path) -> None:
    proc = run("verify", str(workspace), data_dir=data_dir)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def age(paths: list[Path]) -> None:
    old = time.time() - STALE
    for path in paths:
        os.utime(path, (old, old))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- export -------------------------------------------------------------------------------
def export_args(workspace: Path, folder: Path, *more: str) -> list[str]:
    return [
        "export",
        str(workspace),
        TASK,
        "--to",
        str(folder),
        "--format",
        "pdf,docx,csv,xlsx,i2",
        "--recipient",
        "DS Ada Rowe",
        "--purpose",
        "Tasking meeting",
        *more,
    ]


def check_complete_export_file(path: Path, folder: Path) -> None:
    """A file under a final name opens whole (a manifest: its hashes match the files)."""
    name = path.name
    if name.endswith(".pdf"):
        assert len(pypdf.PdfReader(path).pages) >= 1
    elif name.endswith(".docx"):
        assert docx.Document(path).paragraphs
    elif name.endswith(".xlsx"):
        load_workbook(path, read_only=True).close()
    elif name.endswith(".csv"):
        with open(path, newline="", encoding="utf-8-sig") as fh:
            assert len(list(csv.reader(fh))) >= 2
    elif name.endswith(".sha256"):
        lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln[:1] != "#"]
        assert lines
        for line in lines:
            digest, listed = line.split("  ", 1)
            assert sha256(folder / listed) == digest, listed
    else:
        pytest.fail(f"unexpected file {name}")


def test_kill_9_during_export_leaves_only_complete_files_and_the_workspace_verifies(
    demo, tmp_path, app_data
):
    reference = tmp_path / "reference"
    reference.mkdir()
    started = time.monotonic()
    proc = run(*export_args(demo, reference), data_dir=app_data)
    full = time.monotonic() - started
    assert proc.returncode == 0, proc.stderr
    final_names = set(os.listdir(reference))
    assert len(final_names) == 7
    # The first, the third and the last temporary file; then across the run.
    moments: list[float | int] = [1, 3, 7, full * 0.5, full * 0.7, full * 0.85, full * 0.95]
    happened, temps = [], []
    for n, at in enumerate(moments):
        folder = tmp_path / f"share-{n}"
        folder.mkdir()
        happened.append(run_and_kill(export_args(demo, folder), folder, EXPORT_TEMP, app_data, at))
        for name in os.listdir(folder):
            if EXPORT_TEMP.fullmatch(name):
                temps.append(folder / name)
                continue
            assert name in final_names, (happened[-1], name)
            check_complete_export_file(folder / name, folder)
        verify(demo, app_data)
    assert any("temporary file" in h for h in happened), happened
    assert temps, f"no kill caught a file being written: {happened}"
    # The next export into a folder clears the temporary files left there, once stale.
    age(temps)
    for folder in {t.parent for t in temps}:
        proc = run(*export_args(demo, folder, "--overwrite"), data_dir=app_data)
        assert proc.returncode == 0, proc.stderr
        assert set(os.listdir(folder)) == final_names
    verify(demo, app_data)


# --- backup -------------------------------------------------------------------------------
def check_complete_backups(folder: Path, data_dir: Path) -> None:
    for name in os.listdir(folder):
        path = folder / name
        if BACKUP_TEMP.fullmatch(name):
            continue
        if name.endswith(".anchor.json"):
            anchor = json.loads(path.read_text(encoding="utf-8"))
            backup = folder / anchor["file"]
            # The anchor takes its name a moment before the backup: a kill in between
            # leaves the anchor alone, a complete file that names what is missing.
            if backup.exists():
                assert sha256(backup) == anchor["file_sha256"]
            continue
        assert BACKUP.fullmatch(name), name
        verify(path, data_dir)  # opens, every page's HMAC, structure and audit chain


def test_kill_9_during_backup_leaves_only_complete_files_and_the_workspace_verifies(
    demo, tmp_path, app_data
):
    reference = tmp_path / "reference"
    reference.mkdir()
    started = time.monotonic()
    proc = run("backup", str(demo), str(reference), data_dir=app_data)
    full = time.monotonic() - started
    assert proc.returncode == 0, proc.stderr
    check_complete_backups(reference, app_data)
    # The copy (and its journal) appearing, the anchor's temporary file; then across the run.
    moments: list[float | int] = [1, 3, full * 0.6, full * 0.8, full * 0.9, full * 0.97]
    happened, temps = [], []
    for n, at in enumerate(moments):
        folder = tmp_path / f"backups-{n}"
        folder.mkdir()
        happened.append(
            run_and_kill(["backup", str(demo), str(folder)], folder, BACKUP_TEMP, app_data, at)
        )
        check_complete_backups(folder, app_data)
        temps += [folder / n for n in os.listdir(folder) if BACKUP_TEMP.fullmatch(n)]
        verify(demo, app_data)
    assert any("temporary file" in h for h in happened), happened
    assert temps, f"no kill caught a backup being written: {happened}"
    # The next backup into a folder clears the temporary files left there, once stale.
    age(temps)
    for folder in {t.parent for t in temps}:
        proc = run("backup", str(demo), str(folder), data_dir=app_data)
        assert proc.returncode == 0, proc.stderr
        assert not [n for n in os.listdir(folder) if BACKUP_TEMP.fullmatch(n)]
        check_complete_backups(folder, app_data)
    verify(demo, app_data)
