"""Where TOEX Desk keeps its own files (settings, logs, the demo workspace).

Workspaces live wherever the user puts them. The app's own folder is the per-user data
folder (not roaming), or, in portable mode, a folder beside the executable: portable mode is
on when a file named ``toexdesk.portable`` sits beside the executable (or the package when run
from source). ``TOEX_DATA_DIR`` overrides both (tests, scripted use)."""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
import traceback
from pathlib import Path

import platformdirs

from toexdesk import APP_NAME

PORTABLE_MARKER = "toexdesk.portable"
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def _app_home() -> Path:
    if getattr(sys, "frozen", False):
        return Path(sys.executable).resolve().parent
    return Path(__file__).resolve().parent.parent


def is_portable() -> bool:
    return (_app_home() / PORTABLE_MARKER).is_file()


def data_dir() -> Path:
    override = os.environ.get("TOEX_DATA_DIR")
    if override:
        folder = Path(override)
    elif is_portable():
        folder = _app_home() / "toexdesk-data"
    else:
        folder = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False, roaming=False))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def log_dir() -> Path:
    folder = data_dir() / "logs"
    folder.mkdir(exist_ok=True)
    return folder


def settings_path() -> Path:
    return data_dir() / "settings.json"


def demo_workspace_path() -> Path:
    return data_dir() / "demo.toex"


def setup_logging(level: int = logging.INFO) -> Path:
    """Log to a rotating file in the data folder. Messages name operations and record ids,
    never record content, personal data or passphrases."""
    path = log_dir() / "toexdesk.log"
    root = logging.getLogger()
    if not any(getattr(h, "_toex", False) for h in root.handlers):
        handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=1_000_000, backupCount=5, encoding="utf-8"
        )
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        handler._toex = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(level)
    # Library loggers can echo SQL with bound values: keep them quiet.
    for noisy in ("sqlalchemy", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return path


def log_exception(logger: logging.Logger, message: str, exc: BaseException) -> None:
    """Log where an unexpected error happened without its message: database errors carry
    the SQL parameters (record content) in their text."""
    frames = "".join(traceback.format_tb(exc.__traceback__))
    logger.error("%s: %s\n%s", message, type(exc).__name__, frames)
