"""Long work runs off the UI thread, with progress and Cancel, and errors reach the user."""

from __future__ import annotations

import threading
import time

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QMessageBox, QPushButton, QWidget

from toexdesk.core.errors import Cancelled, WrongPassphrase
from toexdesk.ui.workers import run_op


@pytest.fixture
def parent(qtbot):
    widget = QWidget()
    qtbot.addWidget(widget)
    widget.show()
    return widget


def test_result_comes_back_on_the_ui_thread_and_the_loop_keeps_running(qtbot, parent):
    ui_thread = threading.get_ident()
    seen = {}
    ticks = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(10)

    def work(op):
        seen["worker"] = threading.get_ident()
        time.sleep(0.4)
        return 42

    def done(value):
        seen["value"], seen["callback"] = value, threading.get_ident()

    run_op(parent, "Working…", work, done)
    qtbot.waitUntil(lambda: "value" in seen, timeout=5000)
    timer.stop()
    assert seen["value"] == 42
    assert seen["worker"] != ui_thread and seen["callback"] == ui_thread
    assert len(ticks) >= 10  # the event loop ran all along: the window never froze


def test_progress_dialog_shows_progress_and_cancel_stops_the_work(qtbot, parent):
    failures = []

    def work(op):
        for i in range(200):
            if op.cancelled():
                raise Cancelled("stopped")
            op.progress(i, 200, f"Step {i}")
            time.sleep(0.01)
        return "finished"

    op = run_op(parent, "Long job…", work, lambda v: failures.append(("ok", v)), failures.append)
    qtbot.waitUntil(lambda: op.dialog is not None and op.dialog.isVisible(), timeout=5000)
    qtbot.waitUntil(lambda: op.dialog.value() > 5, timeout=5000)
    assert op.dialog.maximum() == 200 and op.dialog.labelText().startswith("Step")
    (button,) = op.dialog.findChildren(QPushButton)
    assert button.text() == "Cancel"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(failures), timeout=5000)
    assert isinstance(failures[0], Cancelled)
    assert op.dialog is None  # closed


def test_errors_reach_the_failure_handler_not_the_void(qtbot, parent):
    got = []

    def work(op):
        raise WrongPassphrase("Wrong passphrase, or the file is not a TOEX workspace.")

    run_op(parent, "Opening…", work, on_failure=got.append, progress=False)
    qtbot.waitUntil(lambda: bool(got), timeout=5000)
    assert isinstance(got[0], WrongPassphrase)


def test_default_failure_handler_shows_the_message(qtbot, parent, monkeypatch):
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: shown.append(("warning", a[2])))
    monkeypatch.setattr(QMessageBox, "critical", lambda *a: shown.append(("critical", a[2])))

    def user_error(op):
        raise WrongPassphrase("Wrong passphrase.")

    def bug(op):
        raise KeyError("internal detail that must not be shown")

    run_op(parent, "x", user_error, progress=False)
    run_op(parent, "y", bug, progress=False)
    qtbot.waitUntil(lambda: len(shown) == 2, timeout=5000)
    assert ("warning", "Wrong passphrase.") in shown
    critical = next(text for kind, text in shown if kind == "critical")
    assert "KeyError" in critical and "internal detail" not in critical


def test_an_answer_for_a_closed_window_is_dropped_quietly(qtbot):
    import threading

    from PySide6.QtWidgets import QWidget

    window = QWidget()
    release = threading.Event()
    called = []

    def work(op):
        release.wait(5)
        raise RuntimeError("the workspace was closed under it")

    run_op(window, "Working…", work, called.append, called.append, progress=False)
    window.deleteLater()  # e.g. a dialog closed by locking while its search ran
    qtbot.waitUntil(lambda: not _alive(window), timeout=2000)
    with qtbot.captureExceptions() as raised:
        release.set()
        qtbot.wait(300)
    assert raised == [] and called == []


def _alive(widget) -> bool:
    from shiboken6 import isValid

    return isValid(widget)


def test_background_work_defers_full_collections_until_the_last_op_ends():
    """Full garbage collections hold the interpreter lock for as long as they walk every
    object: while operations run they are deferred (young ones go on), then restored."""
    import gc

    from toexdesk.ui.workers import young_collections_only

    before = gc.get_threshold()
    with young_collections_only():
        first = gc.get_threshold()
        assert first[:2] == before[:2] and first[2] > 10_000_000
        with young_collections_only():  # a second operation at the same time
            assert gc.get_threshold() == first
        assert gc.get_threshold() == first  # the first one still runs
    assert gc.get_threshold() == before
    try:
        with young_collections_only():
            raise ValueError("the work failed")
    except ValueError:
        pass
    assert gc.get_threshold() == before
