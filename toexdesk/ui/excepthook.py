"""Unexpected errors never vanish: each is logged (type and frames, never its message) and
shown in an ErrorDialog on the UI thread, whichever thread raised it.

Two guards keep the guard itself from doing harm. A failure inside the hook falls back to a
plain line on stderr and in the log instead of calling the hook again (no recursion). An
error that keeps coming back (a timer failing every tick) gets one dialog, which counts the
repeats, and a few log lines rather than thousands (no storm)."""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
from types import TracebackType

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot
from PySide6.QtWidgets import QApplication

from toexdesk import APP_NAME, config
from toexdesk.ui.dialogs.error import ErrorDialog, signature

log = logging.getLogger("toexdesk.errors")
FULL_LOGS = 3  # the first few times an error happens its frames are logged in full
_installed: ExceptionHook | None = None


class ExceptionHook(QObject):
    """Callable as ``sys.excepthook``; ``dialog`` is the ErrorDialog on screen, if any."""

    _reported = Signal(object)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.dialog: ErrorDialog | None = None
        self.seen: dict[tuple, int] = {}  # error signature -> times this session
        self._lock = threading.Lock()
        self._local = threading.local()
        # Queued: an error raised in a worker thread is shown by the UI thread.
        self._reported.connect(self._show_queued, Qt.ConnectionType.QueuedConnection)

    def __call__(
        self,
        kind: type[BaseException],
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, exc or kind(), tb)
            return
        if exc is None:
            exc = kind()
        if exc.__traceback__ is None and tb is not None:
            exc = exc.with_traceback(tb)
        if getattr(self._local, "busy", False):  # the hook failed while handling an error
            _fallback(exc)
            return
        self._local.busy = True
        try:
            self._log(exc)
            app = QApplication.instance()
            if app is None:
                _fallback(exc)
            elif QThread.currentThread() is app.thread():
                self._show(exc)
            else:
                self._reported.emit(exc)
        except BaseException as failure:  # the last line of defence: never raise from here
            _fallback(exc, failure)
        finally:
            self._local.busy = False

    def thread_hook(self, args: threading.ExceptHookArgs) -> None:
        """For ``threading.excepthook``: errors in Python threads end the same way."""
        if args.exc_type is SystemExit:
            return
        self(args.exc_type, args.exc_value, args.exc_traceback)

    def _log(self, exc: BaseException) -> None:
        key = signature(exc)
        with self._lock:
            count = self.seen[key] = self.seen.get(key, 0) + 1
        if count <= FULL_LOGS:
            config.log_exception(log, "unhandled error", exc)
        elif count in (10, 100) or count % 1000 == 0:
            log.error("unhandled %s again: %d times so far", type(exc).__name__, count)

    @Slot(object)
    def _show_queued(self, exc: BaseException) -> None:
        try:
            self._show(exc)
        except BaseException as failure:  # as in __call__: never back into the hook
            _fallback(exc, failure)

    def _show(self, exc: BaseException) -> None:
        if self.dialog is not None:  # one dialog at a time: it counts what follows
            self.dialog.add(exc)
            return
        # No parent: the dialog must outlive whichever window raised.
        dialog = ErrorDialog(exc)
        dialog.setWindowModality(Qt.WindowModality.ApplicationModal)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(lambda _result: self._closed(dialog))
        self.dialog = dialog
        dialog.show()  # not exec(): no nested event loop inside the hook
        dialog.raise_()
        dialog.activateWindow()

    def _closed(self, dialog: ErrorDialog) -> None:
        if self.dialog is dialog:
            self.dialog = None
            if dialog.repeats > 1:
                log.error("the error shown was repeated %d times", dialog.repeats)


def _fallback(exc: BaseException, failure: BaseException | None = None) -> None:
    """Say as much as is safe without Qt, the dialog or (perhaps) the log."""
    text = f"{APP_NAME}: unhandled {type(exc).__name__}"
    if failure is not None:
        text += f"; the error handler itself failed with {type(failure).__name__}"
    with contextlib.suppress(Exception):  # logging is best effort here
        log.error(text)
    stream = sys.__stderr__
    if stream is not None:  # a windowed build has no console
        with contextlib.suppress(OSError, ValueError):
            stream.write(text + "\n")


def install() -> ExceptionHook:
    """Route ``sys.excepthook`` and ``threading.excepthook`` to one ExceptionHook (once)."""
    global _installed
    if _installed is None:
        _installed = ExceptionHook(QApplication.instance())
    sys.excepthook = _installed
    threading.excepthook = _installed.thread_hook
    return _installed


def uninstall() -> None:
    """Put the interpreter's own hooks back (tests)."""
    global _installed
    sys.excepthook = sys.__excepthook__
    threading.excepthook = threading.__excepthook__
    if _installed is not None:
        _installed.setParent(None)  # let it go with its last reference
    _installed = None
