"""Where TOEX Desk keeps its own files (settings, logs, the demo workspace).

Workspaces live wherever the user puts them. The app's own folder is the per-user data
folder (not roaming), or, in portable mode, a folder beside the executable: portable mode is
on when a file named ``toexdesk.portable`` sits beside the executable (or the package when run
from source). ``TOEX_DATA_DIR`` overrides both (tests, scripted use)."""

from __future__ import annotations

import contextlib
import json
import logging
import logging.handlers
import os
import sys
import tempfile
import traceback
from dataclasses import asdict, dataclass, field, fields
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


# --- settings ---------------------------------------------------------------------------
MAX_RECENT = 10


@dataclass
class Settings:
    """The app's own preferences. Never a passphrase, never record content."""

    recent_workspaces: list[str] = field(default_factory=list)
    auto_lock_minutes: int = 10
    clipboard_clear_seconds: int = 30
    ui_state: dict[str, str] = field(default_factory=dict)  # base64 geometry/splitter blobs

    def add_recent(self, path: Path | str) -> None:
        entry = str(Path(path).resolve())
        self.recent_workspaces = [entry] + [p for p in self.recent_workspaces if p != entry]
        del self.recent_workspaces[MAX_RECENT:]


def load_settings(path: Path | None = None) -> Settings:
    """Read the settings file; a missing or unreadable one gives the defaults (and is
    logged), so a damaged file never stops the app."""
    path = path or settings_path()
    defaults = Settings()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return defaults
    except (OSError, ValueError) as exc:
        logging.getLogger(__name__).warning(
            "settings unreadable (%s); using defaults", type(exc).__name__
        )
        return defaults
    if not isinstance(raw, dict):
        return defaults
    known = {f.name: f for f in fields(Settings)}
    values = {}
    for name, value in raw.items():
        default = getattr(defaults, name, None)
        if name in known and isinstance(value, type(default)):
            values[name] = value
    settings = Settings(**values)
    settings.recent_workspaces = [p for p in settings.recent_workspaces if isinstance(p, str)]
    settings.auto_lock_minutes = min(max(settings.auto_lock_minutes, 1), 240)
    settings.clipboard_clear_seconds = min(max(settings.clipboard_clear_seconds, 5), 600)
    return settings


def save_settings(settings: Settings, path: Path | None = None) -> None:
    """Write atomically: a temp file beside the target, flushed, then renamed over it."""
    path = path or settings_path()
    data = json.dumps(asdict(settings), indent=2, ensure_ascii=False)
    fd, tmp = tempfile.mkstemp(prefix=".settings-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
