"""Where TOEX Desk keeps its own files (settings, logs, the demo workspace).

Workspaces live wherever the user puts them. The app's own folder is the per-user data
folder (not roaming), or, in portable mode, a folder beside the executable: portable mode is
on when a file named ``toexdesk.portable`` sits beside the executable (or the package when run
from source). ``TOEX_DATA_DIR`` overrides both (tests, scripted use)."""

from __future__ import annotations

import contextlib
import getpass
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
from toexdesk.core.enums import Marking, Thematic

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
    ours = [h for h in root.handlers if getattr(h, "_toex", False)]
    for old in ours:
        # The data folder moved (TOEX_DATA_DIR changed): follow it rather than keep
        # writing to the old folder.
        if Path(old.baseFilename).resolve() != path.resolve():
            root.removeHandler(old)
            old.close()
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
    the SQL parameters (record content) in their text. Chained errors (``raise ... from``,
    or raised while handling another) are logged the same way, type and frames only."""
    parts = []
    for link in exception_chain(exc):
        prefix = "caused by " if parts else ""
        frames = "".join(traceback.format_tb(link.__traceback__))
        parts.append(f"{prefix}{type(link).__name__}\n{frames}")
    logger.error("%s: %s", message, "".join(parts).rstrip("\n"))


def exception_chain(exc: BaseException, limit: int = 5) -> list[BaseException]:
    """The error and up to ``limit - 1`` errors behind it (cause or context), newest first."""
    chain: list[BaseException] = []
    link: BaseException | None = exc
    while link is not None and len(chain) < limit and all(link is not c for c in chain):
        chain.append(link)
        link = link.__cause__ or (None if link.__suppress_context__ else link.__context__)
    return chain


# --- settings ---------------------------------------------------------------------------
MAX_RECENT = 10
# MoPI-style review periods: how many months after a task or source is recorded it is next
# reviewed for retention, by thematic. Child exploitation material is kept under review
# longer (safeguarding: patterns over years); everything else is looked at yearly.
DEFAULT_REVIEW_MONTHS: dict[str, int] = {
    Thematic.COUNTY_LINES.value: 12,
    Thematic.MODERN_SLAVERY.value: 12,
    Thematic.CHILD_EXPLOITATION.value: 24,
    Thematic.OCG.value: 12,
    Thematic.OTHER.value: 12,
}
MIN_REVIEW_MONTHS, MAX_REVIEW_MONTHS = 1, 120


@dataclass
class Settings:
    """The app's own preferences. Never a passphrase, never record content."""

    recent_workspaces: list[str] = field(default_factory=list)
    auto_lock_minutes: int = 10
    clipboard_clear_seconds: int = 30
    ui_state: dict[str, str] = field(default_factory=dict)  # base64 geometry/splitter blobs
    default_marking: str = Marking.OFFICIAL.value  # the marking new records start with
    analyst_name: str = ""  # prefills new workspaces' analyst; "" = the OS user name
    backup_on_close: bool = False  # make an encrypted backup each time a workspace closes
    backups_to_keep: int = 5  # automatic backups kept per workspace (1–100)
    backup_folder: str = ""  # "" = <data folder>/backups/<workspace name>
    # Months until a new task's or source's retention review, by thematic code (MoPI).
    review_months: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_REVIEW_MONTHS))

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
    settings.ui_state = {
        k: v for k, v in settings.ui_state.items() if isinstance(k, str) and isinstance(v, str)
    }
    if settings.default_marking not in {m.value for m in Marking}:
        settings.default_marking = defaults.default_marking
    settings.analyst_name = clean_analyst_name(settings.analyst_name)
    settings.backups_to_keep = min(max(int(settings.backups_to_keep), 1), MAX_BACKUPS_TO_KEEP)
    settings.backup_folder = settings.backup_folder.strip()
    if "\x00" in settings.backup_folder:
        settings.backup_folder = defaults.backup_folder
    settings.review_months = clean_review_months(settings.review_months)
    return settings


def clean_review_months(value: object) -> dict[str, int]:
    """A review period for every thematic, in range; unknown or damaged entries give way to
    the defaults."""
    months = dict(DEFAULT_REVIEW_MONTHS)
    if isinstance(value, dict):
        for code, n in value.items():
            if code in months and isinstance(n, int) and not isinstance(n, bool):
                months[code] = min(max(n, MIN_REVIEW_MONTHS), MAX_REVIEW_MONTHS)
    return months


MAX_BACKUPS_TO_KEEP = 100


def backup_folder(settings: Settings, workspace: Path | str) -> Path:
    """Where automatic backups of ``workspace`` go: the folder set, or by default a folder
    per workspace name in the app's data folder (made when first needed)."""
    if settings.backup_folder:
        return Path(settings.backup_folder).expanduser()
    return data_dir() / "backups" / Path(workspace).stem


MAX_ANALYST_NAME = 120


def clean_analyst_name(text: str) -> str:
    """One line of printable text, trimmed: it ends up in every audit event."""
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    return " ".join(text.split())[:MAX_ANALYST_NAME]


def os_user_name() -> str:
    """The account's login name, or "" when the OS does not say."""
    try:
        return clean_analyst_name(getpass.getuser())
    except (OSError, KeyError, ImportError):  # no USERNAME/LOGNAME and no passwd entry
        return ""


def default_analyst(settings: Settings) -> str:
    """The analyst name to prefill: the setting, else the OS user name."""
    return clean_analyst_name(settings.analyst_name) or os_user_name()


def storage_summary() -> str:
    """One line saying where settings and logs are kept, and why there."""
    if os.environ.get("TOEX_DATA_DIR"):
        mode = "set by TOEX_DATA_DIR"
    elif is_portable():
        mode = f"portable mode is on ({PORTABLE_MARKER} beside the program)"
    else:
        mode = "portable mode is off"
    return f"Settings: {settings_path()} · logs: {log_dir()} · {mode}"


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
