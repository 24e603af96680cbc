"""``python -m toexdesk`` / ``toexdesk``: a command (``toexdesk info WS``…) runs the command
line, ``--self-test`` the self-test (``toexdesk/selftest.py``); no command starts the app.

The Windows executable is a windowed program, so starting the app shows no console window;
the price is that Windows gives it no console either. When it is run with a command or
``--self-test`` it therefore attaches to the console of the program that started it (cmd,
PowerShell) and writes there. See README, "Building the executable", for what that means for
exit codes and passphrase prompts.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

ENV_NO_SOCKETS = "TOEX_NO_SOCKETS"
"""Set to 1: any socket this process (or an extraction child of the executable) tries to
make fails. The sandbox the built executable's self-test runs in where ``unshare -n`` is not
available (tests/unit/test_exe.py)."""

_CONSOLE_FLAGS = ("-h", "--help", "--version", "--self-test", "--startup-probe")


def main(argv: Sequence[str] | None = None) -> int:
    _refuse_sockets_if_asked()  # standard library only: before the child check on purpose
    # In the one-file executable a text-extraction child re-runs the executable: this
    # turns it into the child (and does nothing anywhere else). It must come first.
    import multiprocessing

    multiprocessing.freeze_support()
    args = list(sys.argv[1:] if argv is None else argv)
    from toexdesk import cli

    if args and (args[0] in cli.COMMANDS or args[0] in _CONSOLE_FLAGS):
        attach_console()
    if args and args[0] == "--self-test":
        from toexdesk import selftest

        return selftest.main(args)
    if args and (args[0] in cli.COMMANDS or args[0] in ("-h", "--help", "--version")):
        return cli.main(args)
    from toexdesk import app

    return app.main(args)


def _refuse_sockets_if_asked() -> None:
    if os.environ.get(ENV_NO_SOCKETS) != "1":
        return

    def refuse(event: str, args: tuple) -> None:
        if event.startswith("socket."):
            raise PermissionError(f"{ENV_NO_SOCKETS}=1 refuses sockets ({event})")

    sys.addaudithook(refuse)


def attach_console() -> None:
    """Windowed Windows executable, run from a console: write to that console.

    Only the output streams Windows left unset are attached (a redirected ``> file`` or pipe
    is kept). Standard input is never attached: the shell that started a windowed program
    does not wait for it and goes on reading the same console, so a passphrase typed at a
    prompt could land in the shell. Commands therefore take the passphrase from
    ``TOEX_PASSPHRASE`` here, and say so. Started without a console (a shortcut), the
    output goes nowhere and the exit code still tells."""
    if sys.platform != "win32" or not getattr(sys, "frozen", False):
        return
    if sys.stdout is not None and sys.stderr is not None:
        return  # a console is there already, or both streams are redirected
    import ctypes

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    kernel32.AttachConsole.argtypes = [ctypes.c_uint32]
    kernel32.AttachConsole.restype = ctypes.c_int
    attached = _attach_to_shell_console(kernel32, os.getppid(), Path(sys.executable).name)
    target = "CONOUT$" if attached else os.devnull
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            # "CONOUT$" opens as the Windows console (Unicode output, PEP 528).
            stream = open(target, "w", encoding="utf-8", errors="replace", buffering=1)  # noqa: SIM115
            setattr(sys, name, stream)
            setattr(sys, f"__{name}__", stream)
    if attached:
        print(file=sys.stdout)  # start below the prompt the shell has already printed


ATTACH_PARENT_PROCESS = 0xFFFFFFFF  # (DWORD)-1


def _attach_to_shell_console(kernel32, parent_pid: int, exe_name: str) -> bool:
    """Attach to the console of the process that started the executable. In the one-file
    build this process was started by the executable's own unpacking stage (the same file,
    windowed, so without a console): then the console is its parent's."""
    if kernel32.AttachConsole(ATTACH_PARENT_PROCESS):
        return True
    processes = _process_table(kernel32)
    parent = processes.get(parent_pid)
    if parent is None or parent[1].casefold() != exe_name.casefold():
        return False
    return bool(kernel32.AttachConsole(parent[0]))


def _process_table(kernel32) -> dict[int, tuple[int, str]]:
    """Every process's parent id and file name (Windows Tool Help snapshot)."""
    import ctypes

    class ProcessEntry(ctypes.Structure):  # PROCESSENTRY32W
        _fields_ = (
            ("dwSize", ctypes.c_uint32),
            ("cntUsage", ctypes.c_uint32),
            ("th32ProcessID", ctypes.c_uint32),
            ("th32DefaultHeapID", ctypes.c_size_t),
            ("th32ModuleID", ctypes.c_uint32),
            ("cntThreads", ctypes.c_uint32),
            ("th32ParentProcessID", ctypes.c_uint32),
            ("pcPriClassBase", ctypes.c_long),
            ("dwFlags", ctypes.c_uint32),
            ("szExeFile", ctypes.c_wchar * 260),
        )

    th32cs_snapprocess = 0x2
    kernel32.CreateToolhelp32Snapshot.restype = ctypes.c_void_p
    kernel32.CreateToolhelp32Snapshot.argtypes = [ctypes.c_uint32, ctypes.c_uint32]
    kernel32.Process32FirstW.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
    kernel32.Process32NextW.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
    kernel32.CloseHandle.argtypes = [ctypes.c_void_p]
    snapshot = kernel32.CreateToolhelp32Snapshot(th32cs_snapprocess, 0)
    if not snapshot or snapshot == ctypes.c_void_p(-1).value:
        return {}
    table: dict[int, tuple[int, str]] = {}
    try:
        entry = ProcessEntry()
        entry.dwSize = ctypes.sizeof(ProcessEntry)
        found = kernel32.Process32FirstW(snapshot, ctypes.byref(entry))
        while found:
            table[entry.th32ProcessID] = (entry.th32ParentProcessID, entry.szExeFile)
            found = kernel32.Process32NextW(snapshot, ctypes.byref(entry))
    finally:
        kernel32.CloseHandle(snapshot)
    return table


if __name__ == "__main__":
    sys.exit(main())
