"""Starting TOEX Desk's window: the start-up dialog, then the main window.

``--demo`` opens the demo workspace in the app's data folder, building it the first time
(fictional data, public demo passphrase) with progress and Cancel. ``--screenshot PNG`` and
``--quit-after SECONDS`` exist for automated smoke tests and for keeping the README's
pictures current."""

from __future__ import annotations

import argparse
import contextlib
import gc
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from toexdesk import APP_NAME, __version__

log = logging.getLogger("toexdesk.app")


def _parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="toexdesk",
        description=f"{APP_NAME} {__version__}. "
        "Commands: toexdesk {init,info,demo,verify,passwd} --help",
    )
    parser.add_argument(
        "--demo", action="store_true", help="open the demo workspace (built the first time)"
    )
    parser.add_argument("--screenshot", type=Path, metavar="PNG", help=argparse.SUPPRESS)
    parser.add_argument("--quit-after", type=float, metavar="SECONDS", help=argparse.SUPPRESS)
    # Start-up benchmark: print the wall-clock time the start-up dialog first paints, then
    # quit (`build/make.py startup` measures cold start with it).
    parser.add_argument("--startup-probe", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(list(argv))


def main(argv: Sequence[str] = ()) -> int:
    args = _parse(argv)
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QDialog

    from toexdesk import config
    from toexdesk.ui.dialogs.unlock import UnlockDialog
    from toexdesk.ui.main_window import MainWindow
    from toexdesk.ui.workers import show_failure

    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    with contextlib.suppress(OSError):
        config.setup_logging()
    _install_excepthook()
    settings = config.load_settings()
    windows: list[MainWindow] = []
    # Everything imported so far (Qt, SQLAlchemy, the app) lives as long as the process:
    # move it out of the garbage collector's way, or each full collection walks it again
    # (35-110 ms pauses while scrolling a big pane, measured). Done before any workspace
    # is opened, so no record data is ever frozen in memory.
    gc.collect()
    gc.freeze()

    def save() -> None:
        try:
            config.save_settings(settings)
        except OSError as exc:
            log.warning("settings not saved (%s)", type(exc).__name__)

    def show(ws) -> None:
        window = MainWindow(ws, settings, on_close=save)
        windows.append(window)
        window.show()
        if args.screenshot:
            QTimer.singleShot(800, lambda: window.grab().save(str(args.screenshot)))
        if args.quit_after:
            QTimer.singleShot(int(args.quit_after * 1000), window.close)

    if args.quit_after:
        QTimer.singleShot(int(args.quit_after * 1000) + 60_000, app.quit)  # a safety net
    if args.demo:
        _open_demo(settings, show, lambda exc: (show_failure(None, exc), app.quit()))
    else:
        dialog = UnlockDialog(settings)
        if args.startup_probe:
            _probe_first_paint(dialog)
        if args.quit_after:
            QTimer.singleShot(int(args.quit_after * 1000), dialog.reject)
        if dialog.exec() != QDialog.DialogCode.Accepted or dialog.workspace is None:
            save()
            return 0
        save()
        show(dialog.workspace)
    return app.exec()


def _open_demo(settings, on_ready, on_failure) -> None:
    from toexdesk import config
    from toexdesk.core import demo
    from toexdesk.core.store.engine import create_workspace, open_workspace
    from toexdesk.ui.workers import run_op

    path = config.demo_workspace_path()

    def work(op):
        if path.exists():
            return open_workspace(path, demo.DEMO_PASSPHRASE)
        ws = create_workspace(path, demo.DEMO_PASSPHRASE, demo.DEMO_ANALYST)
        try:
            demo.build_demo(ws, progress=op.progress, cancel=op.cancelled)
        except BaseException:
            ws.close()
            path.unlink(missing_ok=True)  # a half-built demo is worth nothing
            raise
        return ws

    def ready(ws) -> None:
        settings.add_recent(ws.path)
        on_ready(ws)

    label = "Opening the demo workspace…" if path.exists() else "Building the demo workspace…"
    run_op(None, label, work, ready, on_failure)


def _probe_first_paint(dialog) -> None:
    """``--startup-probe``: when the dialog first paints, print ``startup-probe shown_at=``
    and the wall-clock time (seconds since the epoch, which the measuring process compares
    with its own launch time), then end the process at once: what is measured is the start,
    so the process's end time is the start plus the OS's (and the one-file executable's)
    clean-up, not Qt's and Python's orderly shutdown."""
    import os
    import time

    from PySide6.QtCore import QEvent, QObject

    class Probe(QObject):
        def eventFilter(self, watched, event) -> bool:
            if event.type() == QEvent.Type.Paint:
                print(f"startup-probe shown_at={time.time():.6f}", flush=True)
                sys.stderr.flush()
                os._exit(0)
            return False

    dialog.installEventFilter(Probe(dialog))


def _install_excepthook() -> None:
    """An unexpected error in a slot or a thread is logged (without its message, which may
    carry record content) and shown in an ErrorDialog with a copyable summary, instead of
    vanishing or killing the window. Needs the QApplication to exist."""
    from toexdesk.ui import excepthook

    excepthook.install()
