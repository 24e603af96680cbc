"""``toexdesk --self-test`` from source: the checks the built executable runs (issue 6)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from toexdesk import selftest

ROOT = Path(__file__).resolve().parents[2]


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The test's own data folder (conftest's TOEX_DATA_DIR) and a private temp folder."""
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir(exist_ok=True)
    env = {**os.environ, "TMPDIR": str(private_tmp), "TEMP": str(private_tmp), **extra}
    env.pop("QT_QPA_PLATFORM", None)  # the self-test must not need it
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "toexdesk", "--self-test", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        cwd=env["TMPDIR"],
        timeout=300,
    )


@pytest.mark.slow
def test_self_test_passes_from_source_and_leaves_nothing_behind(tmp_path, app_data):
    env = _env(tmp_path)
    done = _run(env)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("TOEX Desk ") and "(from source;" in lines[0]
    ok = [line for line in lines if line.startswith("  ok  ")]
    assert len(ok) == len(selftest.CHECKS)
    for needle in (
        "SQLCipher 4.",
        "FTS5 present",
        "written and read back",
        "1 page",
        "DejaVu Sans",
        "audit chain verified",
        "child process",
    ):
        assert needle in done.stdout
    assert lines[-1].startswith(f"self-test passed: {len(selftest.CHECKS)} checks")
    assert "FAILED" not in done.stderr
    # It wrote only to a temporary folder, and deleted it; nothing in the data folder.
    assert list(Path(env["TMPDIR"]).iterdir()) == []
    assert list(app_data.iterdir()) == []


@pytest.mark.slow
def test_self_test_passes_with_sockets_refused(tmp_path):
    done = _run(_env(tmp_path, TOEX_NO_SOCKETS="1"))
    assert done.returncode == 0, done.stderr
    assert "self-test passed" in done.stdout


def test_socket_guard_refuses_any_socket(tmp_path):
    code = (
        "import sys, toexdesk.__main__ as m; m._refuse_sockets_if_asked(); import socket\n"
        "try:\n    socket.socket()\nexcept PermissionError as e:\n    print(e); sys.exit(7)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=_env(tmp_path, TOEX_NO_SOCKETS="1"),
        timeout=60,
    )
    assert done.returncode == 7, done.stderr
    assert "TOEX_NO_SOCKETS=1 refuses sockets (socket.__new__)" in done.stdout


def test_a_failed_check_is_one_line_on_stderr_and_the_folder_goes(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(selftest.tempfile, "tempdir", str(tmp_path))

    def broken(ctx):
        (ctx.folder / "half-written.toex").write_bytes(b"x")
        raise selftest.CheckFailed("the widget is\nmissing")

    monkeypatch.setattr(
        selftest, "CHECKS", [("sqlcipher", selftest.check_sqlcipher), ("widget", broken)]
    )
    assert selftest.main(["--self-test"]) == selftest.EXIT_FAILED
    out, err = capsys.readouterr()
    assert "  ok  SQLCipher 4." in out
    assert err.splitlines() == ["toexdesk self-test FAILED at widget: the widget is missing"]
    assert list(tmp_path.iterdir()) == []


def test_an_unexpected_error_names_its_type(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(selftest.tempfile, "tempdir", str(tmp_path))

    def crash(ctx):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(selftest, "CHECKS", [("workspace", crash)])
    assert selftest.main([]) == selftest.EXIT_FAILED
    assert capsys.readouterr().err == (
        "toexdesk self-test FAILED at workspace: OSError: [Errno 28] No space left on device\n"
    )


def test_later_checks_say_what_they_needed(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(selftest.tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(selftest, "CHECKS", [("pdf", selftest.check_pdf)])
    assert selftest.main([]) == selftest.EXIT_FAILED
    assert "pdf: skipped: the workspace check did not pass" in capsys.readouterr().err


def test_arguments_are_refused(capsys):
    assert selftest.main(["--self-test", "--verbose"]) == selftest.EXIT_USAGE
    assert "takes no arguments" in capsys.readouterr().err


def test_entry_point_routes_the_flag(monkeypatch):
    from toexdesk import __main__ as entry

    seen = []
    monkeypatch.setattr(selftest, "main", lambda args: seen.append(args) or 0)
    assert entry.main(["--self-test"]) == 0
    assert seen == [["--self-test"]]


def test_attach_console_does_nothing_outside_the_windows_executable(monkeypatch):
    from toexdesk import __main__ as entry

    monkeypatch.setattr(sys, "stdout", None)
    entry.attach_console()  # not the frozen Windows executable: leaves the streams alone
    assert sys.stdout is None


class FakeKernel32:
    """AttachConsole succeeds only for the process ids given (Windows is not needed)."""

    def __init__(self, consoles: set[int]):
        self.consoles, self.calls = consoles, []

    def AttachConsole(self, pid: int) -> int:  # the Windows name
        self.calls.append(pid)
        return int(pid in self.consoles)


def test_attaches_to_the_console_of_whoever_started_it(monkeypatch):
    from toexdesk import __main__ as entry

    kernel32 = FakeKernel32({entry.ATTACH_PARENT_PROCESS})
    assert entry._attach_to_shell_console(kernel32, 100, "toexdesk.exe")
    assert kernel32.calls == [entry.ATTACH_PARENT_PROCESS]


def test_one_file_build_attaches_past_its_unpacking_stage(monkeypatch):
    from toexdesk import __main__ as entry

    # cmd.exe (10) started toexdesk.exe (100, the unpacking stage: windowed, no console),
    # which started this process.
    monkeypatch.setattr(
        entry, "_process_table", lambda k: {100: (10, "TOEXDESK.EXE"), 10: (1, "cmd.exe")}
    )
    kernel32 = FakeKernel32({10})
    assert entry._attach_to_shell_console(kernel32, 100, "toexdesk.exe")
    assert kernel32.calls == [entry.ATTACH_PARENT_PROCESS, 10]


def test_never_attaches_to_a_console_that_is_not_its_starters(monkeypatch):
    from toexdesk import __main__ as entry

    # Started from Explorer (no console): its parent's console is not ours to write to.
    monkeypatch.setattr(entry, "_process_table", lambda k: {100: (10, "explorer.exe")})
    kernel32 = FakeKernel32({10})
    assert not entry._attach_to_shell_console(kernel32, 100, "toexdesk.exe")
    assert kernel32.calls == [entry.ATTACH_PARENT_PROCESS]
