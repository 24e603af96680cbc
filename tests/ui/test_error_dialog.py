"""Unexpected errors: a dialog with a copyable summary and a log entry, neither of which
carries the error's message (where record content would be)."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication

from toexdesk import config
from toexdesk.ui import excepthook
from toexdesk.ui.dialogs.error import ErrorDialog, error_summary, short_path

# Our hook must see the errors raised in slots, not pytest-qt's own capturing hook.
pytestmark = pytest.mark.qt_no_exception_capture

# Never on a raising line: the log shows source lines (code), so the value is kept apart.
SECRET = "Wiśniewska, 14 Quarry Lane, 07700 900417"


class SyntheticDbError(Exception):
    """Stands in for a database error whose text carries a row's content."""


@pytest.fixture
def log_file(app_data):
    root = logging.getLogger()
    before, level = list(root.handlers), root.level
    path = config.setup_logging()
    yield path
    for handler in [h for h in root.handlers if h not in before]:
        root.removeHandler(handler)
        handler.close()
    root.setLevel(level)


@pytest.fixture
def hook(qapp, log_file):
    installed = excepthook.install()
    yield installed
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, ErrorDialog):
            widget.close()
    excepthook.uninstall()


def fail_with_secret() -> None:
    raise SyntheticDbError(SECRET)


RAISING_LINE = fail_with_secret.__code__.co_firstlineno + 1


def shown_dialogs() -> list[ErrorDialog]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, ErrorDialog)]


def test_error_in_a_slot_shows_a_summary_without_the_message(qtbot, hook, log_file):
    QTimer.singleShot(0, fail_with_secret)
    qtbot.waitUntil(lambda: hook.dialog is not None and hook.dialog.isVisible(), timeout=3000)
    dialog = hook.dialog
    summary = dialog.summary.toPlainText()
    assert "Error type: test_error_dialog.SyntheticDbError" in summary
    assert f"tests/ui/test_error_dialog.py:{RAISING_LINE}:fail_with_secret" in summary
    assert SECRET not in summary and "Wiśniewska" not in summary
    assert "Time (UTC): " in summary and "Python: " in summary and "Qt: " in summary
    assert dialog.log_folder.text() == str(config.log_dir())
    assert dialog.summary.isReadOnly()

    logged = log_file.read_text(encoding="utf-8")
    assert "SyntheticDbError" in logged and "fail_with_secret" in logged
    assert "Wiśniewska" not in logged and "07700" not in logged


def test_copy_button_puts_the_summary_on_the_clipboard(qtbot, hook):
    QTimer.singleShot(0, fail_with_secret)
    qtbot.waitUntil(lambda: hook.dialog is not None, timeout=3000)
    dialog = hook.dialog
    QApplication.clipboard().clear()
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    copied = QApplication.clipboard().text()
    assert copied == dialog.summary.toPlainText() and "SyntheticDbError" in copied
    assert SECRET not in copied


def test_an_error_storm_gives_one_dialog_that_counts(qtbot, hook, log_file):
    timer = QTimer()
    timer.setInterval(1)
    ticks = []

    def tick() -> None:
        ticks.append(1)
        if len(ticks) >= 25:
            timer.stop()
        fail_with_secret()

    timer.timeout.connect(tick)
    timer.start()
    qtbot.waitUntil(lambda: len(ticks) >= 25, timeout=5000)
    QTimer.singleShot(0, lambda: {}["missing"])  # a different error meanwhile
    qtbot.waitUntil(lambda: "Also:" in hook.dialog.summary.toPlainText(), timeout=3000)
    assert len(shown_dialogs()) == 1
    dialog = hook.dialog
    assert dialog.repeats == 25
    assert "25 times" in dialog.count.text() and dialog.count.isVisible()
    assert "KeyError" in dialog.summary.toPlainText()
    logged = log_file.read_text(encoding="utf-8")
    assert logged.count("unhandled error: SyntheticDbError") == excepthook.FULL_LOGS
    assert "unhandled SyntheticDbError again: 10 times so far" in logged

    dialog.close()
    qtbot.waitUntil(lambda: hook.dialog is None, timeout=2000)
    QTimer.singleShot(0, fail_with_secret)  # after closing, a new error shows again
    qtbot.waitUntil(lambda: hook.dialog is not None, timeout=3000)
    assert hook.dialog.repeats == 1


def test_a_failing_hook_does_not_recurse(qtbot, hook, log_file, monkeypatch, capfd):
    def broken(*_args, **_kwargs):
        raise RuntimeError("the dialog could not be built")

    monkeypatch.setattr(excepthook, "ErrorDialog", broken)
    QTimer.singleShot(0, fail_with_secret)
    qtbot.waitUntil(
        lambda: "the error handler itself failed" in log_file.read_text(encoding="utf-8"),
        timeout=3000,
    )
    assert hook.dialog is None and not shown_dialogs()
    err = capfd.readouterr().err
    assert "unhandled SyntheticDbError" in err and "failed with RuntimeError" in err
    assert SECRET not in err


def test_an_error_in_a_thread_is_shown_on_the_ui_thread(qtbot, hook):
    worker = threading.Thread(target=fail_with_secret)
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: hook.dialog is not None, timeout=3000)
    assert hook.dialog.thread() is QApplication.instance().thread()
    assert "SyntheticDbError" in hook.dialog.summary.toPlainText()


def test_paths_outside_the_app_lose_their_folders():
    roots = [Path("/opt/toex").resolve()]
    assert short_path("/opt/toex/toexdesk/ui/x.py", roots) == "toexdesk/ui/x.py"
    assert short_path("/home/jdoe/Desktop/notes.py", roots) == "…/notes.py"
    assert short_path("<frozen runpy>", roots) == "<frozen runpy>"
    assert short_path("toexdesk/app.py", roots) == "toexdesk/app.py"  # frozen builds


def test_summary_lists_chained_errors_by_type_only():
    try:
        try:
            fail_with_secret()
        except SyntheticDbError as exc:
            raise RuntimeError(SECRET) from exc
    except RuntimeError as exc:
        summary = error_summary(exc)
    assert "Error type: RuntimeError" in summary
    assert "Caused by: test_error_dialog.SyntheticDbError" in summary
    assert f"test_error_dialog.py:{RAISING_LINE}:fail_with_secret" in summary
    assert SECRET not in summary
