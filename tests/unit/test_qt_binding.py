"""The Qt binding keeps Python's reference counts right. PySide6 6.12.0 drops a reference to
None on every call that returns None; on Python 3.11 (the app's, frozen into the exe) None
is then deallocated after a few thousand calls and the process aborts. pyproject.toml
excludes that release; this fails if a pinned or installed binding brings the fault back,
and the executable's --self-test checks the same on the machine it runs on."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QDialog, QListWidget, QWidget

from toexdesk.selftest import binding_drops_none


def test_calls_that_return_none_keep_none_alive(qtbot):
    widget, listing = QWidget(), QListWidget()
    qtbot.addWidget(widget)
    qtbot.addWidget(listing)
    calls = {
        "void method": lambda: widget.setEnabled(True),
        "findChild finding nothing": lambda: widget.findChild(QDialog),
        "parent of a top-level widget": lambda: widget.parent(),
        "item past the end": lambda: listing.item(5),
    }
    for name, call in calls.items():
        before = sys.getrefcount(None)
        for _ in range(1_000):
            call()
        assert sys.getrefcount(None) > before - 500, f"{name} drops references to None"
    assert not binding_drops_none(widget)


def test_the_probe_sees_a_binding_that_drops_none(monkeypatch):
    """The self-test's probe is not blind: a stand-in call that drops a reference to None
    each time is caught (the references are given back at once)."""
    import ctypes

    dropped = []

    class Leaky:
        def setEnabled(self, _on: bool) -> None:
            ctypes.pythonapi.Py_DecRef(ctypes.py_object(None))
            dropped.append(1)

    try:
        assert binding_drops_none(Leaky())
    finally:
        for _ in dropped:
            ctypes.pythonapi.Py_IncRef(ctypes.py_object(None))
