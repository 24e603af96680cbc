"""The built executable (``python build/make.py exe``), when there is one: its self-test in a
sandbox without network, what it writes, its size. Skipped when no executable has been built
from the current sources; CI builds it first and sets ``TOEX_REQUIRE_EXE=1``, which turns
those skips into failures."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REQUIRED = os.environ.get("TOEX_REQUIRE_EXE") == "1"
SIZE_BUDGET_BYTES = 75 * 1000 * 1000  # one-file, Linux (README, Budgets)

pytestmark = pytest.mark.slow


@cache
def _make():
    """build/make.py (standard library only), for where it puts the executable."""
    spec = importlib.util.spec_from_file_location("toexdesk_make", ROOT / "build" / "make.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _built(onedir: bool = False) -> tuple[Path, dict]:
    make = _make()
    exe, stamp_file = make.exe_path(onedir), make.stamp_path(onedir)
    why = None
    if not exe.is_file() or not stamp_file.is_file():
        why = f"no executable built ({exe.relative_to(ROOT)}): python build/make.py exe"
    else:
        stamp = json.loads(stamp_file.read_text(encoding="utf-8"))
        if stamp.get("sources") != make.sources_digest():
            why = f"{exe.relative_to(ROOT)} was built from other sources: rebuild it"
    if why:
        if REQUIRED:
            pytest.fail(f"TOEX_REQUIRE_EXE=1 but {why}")
        pytest.skip(why)
    return exe, stamp


def _no_network_prefix() -> tuple[list[str], str]:
    """A new, empty network namespace (``unshare -rn``: no interface but a down loopback)
    where the system allows it; the socket guard is set in every case."""
    unshare = shutil.which("unshare")
    if unshare and sys.platform.startswith("linux"):
        probe = subprocess.run([unshare, "-rn", "true"], capture_output=True, timeout=30)
        if probe.returncode == 0:
            return [unshare, "-rn"], "unshare -rn (no network namespace) + TOEX_NO_SOCKETS=1"
    return [], "TOEX_NO_SOCKETS=1 (socket guard only: unshare -n is not available here)"


def _private_env(tmp_path: Path) -> dict[str, str]:
    """Every place a program might write, pointed at empty folders the test then inspects."""
    env = dict(os.environ)
    for name in ("TOEX_PASSPHRASE", "TOEX_NEW_PASSPHRASE", "QT_QPA_PLATFORM", "DISPLAY"):
        env.pop(name, None)
    for name in ("home", "tmp", "data", "cwd"):
        (tmp_path / name).mkdir()
    env.update(
        HOME=str(tmp_path / "home"),
        USERPROFILE=str(tmp_path / "home"),
        LOCALAPPDATA=str(tmp_path / "home" / "AppData" / "Local"),
        XDG_CACHE_HOME=str(tmp_path / "home" / ".cache"),
        XDG_CONFIG_HOME=str(tmp_path / "home" / ".config"),
        XDG_DATA_HOME=str(tmp_path / "home" / ".local" / "share"),
        TMPDIR=str(tmp_path / "tmp"),
        TEMP=str(tmp_path / "tmp"),
        TMP=str(tmp_path / "tmp"),
        TOEX_DATA_DIR=str(tmp_path / "data"),
        TOEX_NO_SOCKETS="1",
    )
    return env


def _files_under(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


def test_the_sandbox_has_no_network(tmp_path):
    prefix, _ = _no_network_prefix()
    if not prefix:
        pytest.skip("no network namespace here; the socket guard alone is used")
    code = (
        "import socket, sys\ns = socket.socket()\ns.settimeout(2)\n"
        "try:\n    s.connect(('127.0.0.1', 9))\nexcept OSError as e:\n"
        "    print(e.errno); sys.exit(0)\nsys.exit('connected')\n"
    )
    done = subprocess.run(
        [*prefix, sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    import errno

    assert int(done.stdout) == errno.ENETUNREACH  # the loopback interface is down too


def test_self_test_passes_without_network_and_writes_nowhere_else(tmp_path):
    exe, stamp = _built()
    prefix, sandbox = _no_network_prefix()
    env = _private_env(tmp_path)
    beside = _files_under(exe.parent)
    done = subprocess.run(
        [*prefix, str(exe), "--self-test"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        env=env,
        cwd=tmp_path / "cwd",
        timeout=600,
    )
    print(f"sandbox: {sandbox}\n{done.stdout}{done.stderr}")
    assert done.returncode == 0, done.stderr
    assert "(executable;" in done.stdout
    assert "self-test passed" in done.stdout
    assert f"TOEX Desk {stamp['version']} " in done.stdout
    # The one-file executable unpacks into TMPDIR and removes it on exit, the self-test's
    # workspace folder is gone, and nothing was written anywhere else.
    for name in ("home", "tmp", "data", "cwd"):
        assert _files_under(tmp_path / name) == [], name
    assert _files_under(exe.parent) == beside


def test_command_line_works_from_the_executable(tmp_path):
    exe, stamp = _built()
    done = subprocess.run(
        [str(exe), "--version"],
        capture_output=True,
        text=True,
        env=_private_env(tmp_path),
        cwd=tmp_path / "cwd",
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"toexdesk {stamp['version']}"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the budget is set on Linux")
def test_one_file_size_within_budget():
    exe, stamp = _built()
    size = exe.stat().st_size
    assert size == stamp["size_bytes"]
    assert size <= SIZE_BUDGET_BYTES, (
        f"{exe.name} is {size / 1e6:.1f} MB, over the {SIZE_BUDGET_BYTES / 1e6:.0f} MB budget: "
        "see `python build/exe_report.py` for where the size goes"
    )
