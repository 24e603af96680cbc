"""Shared fixtures: offscreen Qt, a private app-data folder, no network, fresh workspaces."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

# Before anything imports Qt: tests never need a screen.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

PASSPHRASE = "correct horse battery staple"
ANALYST = "Test Analyst"

# --- no network -------------------------------------------------------------------------
# Two guards, armed for every test:
# 1. An audit hook sees every socket operation made through Python in this process, whichever
#    library makes it, and fails the test at the first one. Local (AF_UNIX) sockets are
#    allowed: they cannot leave the machine (multiprocessing may use them to talk to its
#    helper processes).
# 2. After the test, every socket this process still holds is looked up in the kernel's
#    tables (/proc/self/net): an internet socket opened by native code (Qt, SQLCipher,
#    PDFium), which the audit hook cannot see, fails the test too.
# Qt's own local sockets: none under the offscreen platform the tests use. On a desktop Qt
# talks to the display server over a local socket (X11/Wayland on Linux, none on Windows);
# QtNetwork is never imported (test_no_network.py checks) and the exe build excludes it.
_NETWORK_EVENTS = {
    "socket.connect",
    "socket.bind",
    "socket.getaddrinfo",
    "socket.gethostbyname",
    "socket.gethostbyaddr",
    "socket.sendto",
    "socket.sendmsg",
}
_guard = {"armed": False}


def _is_local(args: tuple) -> bool:
    import socket

    sock = args[0] if args else None
    return isinstance(sock, socket.socket) and sock.family == socket.AF_UNIX


def _network_hook(event: str, args: tuple) -> None:
    if _guard["armed"] and event in _NETWORK_EVENTS and not _is_local(args):
        _guard["armed"] = False  # let pytest report without tripping again
        raise RuntimeError(f"network access attempted in a test: {event} {args[1:]!r}")


sys.addaudithook(_network_hook)


def internet_sockets() -> list[str]:
    """This process's open sockets that are internet ones (TCP, UDP, raw; IPv4 or IPv6),
    as "tcp 127.0.0.1:8080"-style lines; empty where /proc is missing (not Linux)."""
    net = Path("/proc/self/net")
    fds = Path("/proc/self/fd")
    if not net.is_dir() or not fds.is_dir():
        return []
    inodes = set()
    for fd in fds.iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = []
    for table in ("tcp", "tcp6", "udp", "udp6", "raw", "raw6"):
        try:
            lines = (net / table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 9 and fields[9] in inodes:
                found.append(f"{table} local {fields[1]} remote {fields[2]}")
    return found


@pytest.fixture(autouse=True)
def no_network():
    before = set(internet_sockets())
    _guard["armed"] = True
    yield
    _guard["armed"] = False
    opened = [s for s in internet_sockets() if s not in before]
    assert not opened, f"the test left internet sockets open: {opened}"


# --- app data ---------------------------------------------------------------------------
@pytest.fixture(autouse=True)
def app_data(tmp_path_factory, monkeypatch) -> Path:
    """Settings, logs and the demo workspace go to a private folder per test."""
    folder = tmp_path_factory.mktemp("appdata")
    monkeypatch.setenv("TOEX_DATA_DIR", str(folder))
    monkeypatch.delenv("TOEX_PASSPHRASE", raising=False)
    monkeypatch.delenv("TOEX_NEW_PASSPHRASE", raising=False)
    return folder


# --- workspaces -------------------------------------------------------------------------
class DiscardPrompts:
    """Stands in for the "Discard unsaved changes?" box, which would block a test (and
    pytest-qt's closing of widgets at the end of one). Records each question and gives
    ``answer``; ``real`` is the real box, for the test that drives it."""

    def __init__(self, real):
        self.real, self.asked, self.answer = real, [], True

    def __call__(self, parent, what: str) -> bool:
        self.asked.append(what)
        return self.answer


@pytest.fixture(autouse=True)
def discard_prompts(monkeypatch) -> DiscardPrompts:
    from toexdesk.ui.dialogs import unsaved

    prompts = DiscardPrompts(unsaved.confirm_discard)
    monkeypatch.setattr(unsaved, "confirm_discard", prompts)
    return prompts


@pytest.fixture
def ws_path(tmp_path) -> Path:
    return tmp_path / "case.toex"


@pytest.fixture
def ws(ws_path):
    from toexdesk.core.store.engine import create_workspace

    workspace = create_workspace(ws_path, PASSPHRASE, ANALYST)
    yield workspace
    workspace.close()


@pytest.fixture(scope="session")
def _demo_template(tmp_path_factory) -> Path:
    """Build the demo once per run; tests get their own copy of the file."""
    from toexdesk.core import demo
    from toexdesk.core.store.engine import create_workspace

    path = tmp_path_factory.mktemp("demo-template") / "demo.toex"
    _guard["armed"] = True
    try:
        with create_workspace(path, PASSPHRASE, demo.DEMO_ANALYST) as workspace:
            demo.build_demo(workspace)
    finally:
        _guard["armed"] = False
    return path


@pytest.fixture
def demo_ws(_demo_template, tmp_path):
    """A populated demo workspace (fictional data), opened."""
    from toexdesk.core.store.engine import open_workspace

    path = tmp_path / "demo.toex"
    shutil.copyfile(_demo_template, path)
    workspace = open_workspace(path, PASSPHRASE)
    yield workspace
    workspace.close()


# --- privileges -------------------------------------------------------------------------
def _unprivileged_prefix() -> list[str] | None:
    """A command prefix under which file permissions apply (root ignores them)."""
    if os.name != "posix" or os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return None
    # Stay uid 0 (the venv lives under /root) but drop the capabilities that bypass
    # permission bits, so a read-only folder is read-only for the child too.
    caps = "-dac_override,-dac_read_search,-fowner"
    return [setpriv, f"--inh-caps={caps}", f"--bounding-set={caps}", "--"]


@pytest.fixture
def unprivileged() -> list[str]:
    prefix = _unprivileged_prefix()
    if prefix is None:
        pytest.skip("running as root without setpriv: permission bits cannot be tested")
    return prefix
