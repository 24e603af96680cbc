"""The no-network guards of tests/conftest.py catch what they are for (a guard that cannot
fail is a defect): a Python-level connection attempt, and an internet socket left open by
code the audit hook cannot see. Local sockets are allowed."""

from __future__ import annotations

import socket

import conftest
import pytest


def test_a_python_connection_attempt_fails_the_test():
    with pytest.raises(RuntimeError, match="network access attempted"):
        socket.create_connection(("192.0.2.1", 9), timeout=0.01)  # TEST-NET-1: unroutable
    conftest._guard["armed"] = True  # the hook disarms itself after tripping


def test_a_name_lookup_fails_the_test():
    with pytest.raises(RuntimeError, match="network access attempted"):
        socket.getaddrinfo("example.org", 443)
    conftest._guard["armed"] = True


def test_local_sockets_are_allowed():
    left, right = socket.socketpair(socket.AF_UNIX)
    with left, right:
        left.sendall(b"ping")
        assert right.recv(4) == b"ping"


def test_an_internet_socket_left_open_is_seen_in_the_kernel_tables():
    conftest._guard["armed"] = False  # as if native code made it: the audit hook is blind
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))  # (an unbound socket has sent nothing and is in no table)
    try:
        found = conftest.internet_sockets()
        assert any(line.startswith("udp ") for line in found), found
    finally:
        sock.close()
        conftest._guard["armed"] = True
    assert not any(line.startswith("udp ") for line in conftest.internet_sockets())


def test_the_app_never_loads_qt_network(tmp_path):
    """Qt's network module is neither imported by the app nor frozen into the executable
    (build/toexdesk.spec excludes it): the window and every dialog load without it."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    modules = sorted(
        "toexdesk." + ".".join(p.relative_to(root / "toexdesk").with_suffix("").parts)
        for p in (root / "toexdesk" / "ui").rglob("*.py")
        if p.name != "__init__.py"
    )
    code = (
        f"import sys, importlib\nfor m in {modules!r}:\n    importlib.import_module(m)\n"
        "import toexdesk.app\n"
        "print(sorted(m for m in sys.modules if m.startswith('PySide6.QtNetwork')))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(root), "QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"},
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert len(modules) > 20 and proc.stdout.strip() == "[]"
