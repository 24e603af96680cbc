"""One helper for every long operation: it runs off the UI thread, shows progress with a
Cancel button, and hands the result or the error back on the UI thread.

    run_op(parent, "Building demo…", lambda op: demo.build_demo(ws, progress=op.progress,
           cancel=op.cancelled), on_success=show_summary)

The function receives an ``OpContext``: ``op.progress(done, total, message)`` may be called
from the worker thread, and ``op.cancelled()`` says whether the user pressed Cancel (the
function stops by raising ``errors.Cancelled``). Exceptions never vanish in the thread: they
reach ``on_failure``, or, by default, a message box (a ToexError's own one-line message, or
a generic one for anything unexpected, with the details in the log)."""

from __future__ import annotations

import contextlib
import gc
import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal, Slot
from PySide6.QtWidgets import QMessageBox, QProgressDialog, QWidget
from shiboken6 import isValid

from toexdesk import config
from toexdesk.core.errors import Cancelled, ToexError

log = logging.getLogger(__name__)
SHOW_AFTER_MS = 300  # quick operations finish before a dialog would flash up
_RUNNING: set[Operation] = set()  # a caller may drop its reference; the operation lives on


class OpContext:
    """What the worker function may use: progress reports and the cancel flag."""

    def __init__(self, signals: _Signals):
        self._signals = signals
        self._cancel = threading.Event()

    def progress(self, done: int, total: int, message: str = "") -> None:
        self._signals.progress.emit(int(done), int(total), str(message))

    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def cancel(self) -> None:
        self._cancel.set()


class _Signals(QObject):
    progress = Signal(int, int, str)
    succeeded = Signal(object)
    failed = Signal(object)


_GC_LOCK = threading.Lock()
_GC_STATE = {"running": 0, "threshold": gc.get_threshold()}


@contextlib.contextmanager
def young_collections_only() -> Iterator[None]:
    """While background work runs, Python's collector sweeps only its young generations.

    A full collection walks every live object while holding the interpreter lock, whichever
    thread starts it: during a briefing pack's layout (a million objects alive) that froze
    the window for 160 ms (``tests/perf/bench_ui_watchdog.py``). Young collections still
    reclaim the short-lived cycles; the full one comes back when the last operation ends,
    when what the work built has been freed and the sweep is short."""
    with _GC_LOCK:
        if _GC_STATE["running"] == 0:
            _GC_STATE["threshold"] = gc.get_threshold()
            first, second, _third = _GC_STATE["threshold"]
            gc.set_threshold(first, second, 1_000_000_000)
        _GC_STATE["running"] += 1
    try:
        yield
    finally:
        with _GC_LOCK:
            _GC_STATE["running"] -= 1
            if _GC_STATE["running"] == 0:
                gc.set_threshold(*_GC_STATE["threshold"])


class _Runnable(QRunnable):
    def __init__(self, fn: Callable[[OpContext], Any], op: OpContext, signals: _Signals):
        super().__init__()
        self.setAutoDelete(True)
        self._fn, self._op, self._signals = fn, op, signals

    def run(self) -> None:
        try:
            with young_collections_only():
                result = self._fn(self._op)
        except BaseException as exc:  # every failure goes back to the UI thread
            self._emit(self._signals.failed, exc)
        else:
            self._emit(self._signals.succeeded, result)

    def _emit(self, signal, value) -> None:
        try:
            signal.emit(value)
        except RuntimeError:
            # The window that started the operation has closed: nobody is left to tell.
            log.info("background operation ended after its window closed")


class Operation(QObject):
    """A running operation; keeps its signals and dialog alive until it ends."""

    finished = Signal()

    def __init__(self, parent: QWidget | None, label: str, *, progress: bool, cancellable: bool):
        super().__init__(parent)
        self.signals = _Signals()
        self.context = OpContext(self.signals)
        self.done = False
        self.dialog: QProgressDialog | None = None
        if progress:
            dialog = QProgressDialog(label, "Cancel" if cancellable else "", 0, 0, parent)
            dialog.setWindowTitle("TOEX Desk")
            dialog.setWindowModality(Qt.WindowModality.WindowModal)
            dialog.setMinimumDuration(SHOW_AFTER_MS)
            dialog.setAutoClose(False)
            dialog.setAutoReset(False)
            dialog.setAccessibleName(label)
            if cancellable:
                dialog.canceled.connect(self.cancel)
            else:
                dialog.setCancelButton(None)
            self.dialog = dialog
            self.signals.progress.connect(self._on_progress)

    @Slot()
    def cancel(self) -> None:
        self.context.cancel()
        if self.dialog is not None:
            self.dialog.setLabelText("Cancelling…")

    @Slot(int, int, str)
    def _on_progress(self, done: int, total: int, message: str) -> None:
        if self.dialog is None or self.done:
            return
        self.dialog.setMaximum(max(total, 0))
        self.dialog.setValue(min(done, total) if total else 0)
        if message and not self.context.cancelled():
            self.dialog.setLabelText(message)

    def _finish(self) -> None:
        self.done = True
        _RUNNING.discard(self)
        if self.dialog is not None:
            self.dialog.close()
            self.dialog.deleteLater()
            self.dialog = None
        self.finished.emit()


def show_failure(parent: QWidget | None, exc: BaseException) -> None:
    """The default failure handler: one clear message; cancellations are not failures."""
    if isinstance(exc, Cancelled):
        return
    if isinstance(exc, ToexError):
        QMessageBox.warning(parent, "TOEX Desk", str(exc))
        return
    config.log_exception(log, "background operation failed", exc)
    QMessageBox.critical(
        parent,
        "TOEX Desk",
        f"Something went wrong ({type(exc).__name__}). Nothing further was changed. "
        f"The details are in the log in {config.log_dir()}.",
    )


def run_op(
    parent: QWidget | None,
    label: str,
    fn: Callable[[OpContext], Any],
    on_success: Callable[[Any], None] | None = None,
    on_failure: Callable[[BaseException], None] | None = None,
    *,
    progress: bool = True,
    cancellable: bool = True,
) -> Operation:
    """Run ``fn(op)`` on the thread pool; call back on the UI thread when it ends."""
    operation = Operation(parent, label, progress=progress, cancellable=cancellable)

    def gone() -> bool:
        """The window that asked was closed (e.g. by locking) while the work ran: the
        answer has nobody to go to, and must not touch the deleted widgets."""
        if isValid(operation):
            return False
        _RUNNING.discard(operation)
        log.info("background operation ended after its window closed")
        return True

    def succeeded(result: Any) -> None:
        if gone():
            return
        operation._finish()
        if on_success is not None:
            on_success(result)

    def failed(exc: BaseException) -> None:
        if gone():
            return
        operation._finish()
        (on_failure or (lambda e: show_failure(parent, e)))(exc)

    # Queued: the callbacks run in the UI thread, whichever thread emitted.
    operation.signals.succeeded.connect(succeeded, Qt.ConnectionType.QueuedConnection)
    operation.signals.failed.connect(failed, Qt.ConnectionType.QueuedConnection)
    _RUNNING.add(operation)
    QThreadPool.globalInstance().start(_Runnable(fn, operation.context, operation.signals))
    return operation
