"""``toexdesk --self-test``: prove this copy of TOEX Desk works on this machine, headless.

Run after copying the executable to a workstation, or in CI after building it. Each check
exercises a part the executable must carry and that breaks first when packaging goes
wrong: the SQLCipher build (version 4, FTS5), a real encrypted workspace through the same
services the window uses (Alembic migrations, the audit chain), a PDF research summary in the
bundled font, text extraction in a child process (which re-runs the executable), and Qt.

It writes only to a new folder in the system's temporary folder, which it deletes, and opens
no network connection. Output: one line per check on stdout; exit code 0 when all pass.
On failure: one line on stderr naming the check and why, exit code 1 (2: bad arguments).
"""

from __future__ import annotations

import contextlib
import io
import platform
import secrets
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from toexdesk import APP_NAME, __version__

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
SAMPLE_TITLE = "Self-test: Nguyễn Thị Hường, Łukasz Żółć, Олександр Коваленко"
SQLCIPHER_MAJOR = "4."


class CheckFailed(Exception):
    """A check found something wrong; the message says what, in one line."""


@dataclass
class Context:
    """What the checks share: the temporary folder and what earlier checks made."""

    folder: Path
    passphrase: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    workspace: Path | None = None
    task_id: int | None = None
    reference: str = ""
    pdf: bytes = b""


# --- the checks -----------------------------------------------------------------------------
def check_sqlcipher(ctx: Context) -> str:
    """SQLCipher 4.x with FTS5, in a temporary in-memory database."""
    import sqlcipher3

    con = sqlcipher3.connect(":memory:")
    try:
        version = con.execute("PRAGMA cipher_version").fetchone()
        if not version or not version[0]:
            raise CheckFailed("the sqlcipher3 module is plain SQLite (no cipher_version)")
        if not str(version[0]).startswith(SQLCIPHER_MAJOR):
            raise CheckFailed(f"SQLCipher {version[0]} found, 4.x needed")
        try:
            con.execute("CREATE VIRTUAL TABLE probe USING fts5(body)")
        except sqlcipher3.OperationalError as exc:
            raise CheckFailed(f"FTS5 is missing from this SQLCipher build ({exc})") from None
        con.execute("INSERT INTO probe (body) VALUES ('county lines referral')")
        hits = con.execute("SELECT count(*) FROM probe WHERE probe MATCH 'referral'").fetchone()
        if hits != (1,):
            raise CheckFailed("an FTS5 search found nothing")
        sqlite = con.execute("SELECT sqlite_version()").fetchone()[0]
    finally:
        con.close()
    return f"SQLCipher {version[0]} (SQLite {sqlite}), FTS5 present"


def check_workspace(ctx: Context) -> str:
    """A new encrypted workspace; a task written through the services and read back after
    reopening the file with its passphrase."""
    from toexdesk.core.services import tasks
    from toexdesk.core.store.engine import SQLITE_MAGIC, create_workspace, open_workspace

    path = ctx.folder / "self-test.toex"
    with create_workspace(path, ctx.passphrase, "self-test") as ws:
        draft = tasks.TaskDraft(
            title=SAMPLE_TITLE,
            requester="TOEX Desk self-test",
            thematic="other",
            research_questions="Does this copy of TOEX Desk work on this machine?",
        )
        info = tasks.create_task(ws, draft, justification="self-test")
    ctx.workspace, ctx.task_id, ctx.reference = path, info.id, info.reference
    if path.read_bytes()[: len(SQLITE_MAGIC)] == SQLITE_MAGIC:
        raise CheckFailed("the workspace file is not encrypted")
    with open_workspace(path, ctx.passphrase) as ws:
        again = tasks.get_task(ws, info.id, justification="self-test")
    if again.title != SAMPLE_TITLE or again.reference != info.reference:
        raise CheckFailed("the task read back differs from the one written")
    return f"encrypted workspace created, task {info.reference} written and read back"


def check_pdf(ctx: Context) -> str:
    """The task's research summary as a one-page PDF in the bundled font."""
    from toexdesk.core.render.pdf import render_summary_pdf
    from toexdesk.core.services.reports import research_summary
    from toexdesk.core.store.engine import open_workspace

    _needs(ctx.workspace, "the workspace check")
    with open_workspace(ctx.workspace, ctx.passphrase) as ws:
        summary = research_summary(ws, ctx.task_id)
    out = io.BytesIO()
    pages = render_summary_pdf(summary, out)
    ctx.pdf = out.getvalue()
    if not ctx.pdf.startswith(b"%PDF-"):
        raise CheckFailed("the research summary is not a PDF")
    if pages != 1:
        raise CheckFailed(f"the research summary has {pages} pages, 1 expected")
    if b"DejaVuSans" not in ctx.pdf:
        raise CheckFailed("the PDF does not embed the bundled DejaVu Sans font")
    return f"research summary rendered: 1 page, {len(ctx.pdf) / 1024:.0f} KiB, DejaVu Sans embedded"


def check_audit(ctx: Context) -> str:
    """Page HMACs, structure and the audit hash chain."""
    from toexdesk.core.services import workspace
    from toexdesk.core.store.engine import open_workspace

    _needs(ctx.workspace, "the workspace check")
    with open_workspace(ctx.workspace, ctx.passphrase) as ws:
        report = workspace.verify(ws)
    if report.integrity:
        raise CheckFailed(f"integrity: {report.integrity[0]}")
    if not report.chain.ok:
        raise CheckFailed(f"audit chain: {report.chain.first_problem.message}")
    return f"audit chain verified ({report.chain.events} events), pages and structure intact"


def check_extraction(ctx: Context) -> str:
    """Text extraction in a child process: the summary PDF handed over in memory."""
    from toexdesk.core.extract import extract_text_bytes

    _needs(ctx.pdf, "the PDF check")
    started = time.perf_counter()
    result = extract_text_bytes(ctx.pdf, "self-test.pdf", timeout_s=60)
    took = time.perf_counter() - started
    if not result.ok:
        raise CheckFailed(f"the extraction child failed: {result.reason}")
    if ctx.reference not in result.text:
        raise CheckFailed("the text extracted from the PDF lacks the task's reference")
    return f"text extracted from the PDF in a child process ({took * 1000:.0f} ms)"


def check_qt(ctx: Context) -> str:
    """Qt loads (offscreen) and draws a widget; the platform plugins are present; the app's
    window code (the main window and everything it imports) loads."""
    import importlib

    from PySide6 import QtPrintSupport  # noqa: F401 (the module must load)
    from PySide6.QtCore import QLibraryInfo, qVersion
    from PySide6.QtWidgets import QApplication, QLabel

    app = QApplication.instance() or QApplication(["toexdesk", "-platform", "offscreen"])
    label = QLabel(SAMPLE_TITLE)
    label.adjustSize()
    image = label.grab()
    if image.isNull() or image.width() < 50:
        raise CheckFailed("Qt could not draw a label")
    if binding_drops_none(label):
        raise CheckFailed(
            "this PySide6 build drops a reference to None on every call that returns None "
            "(PySide6 6.12.0 on Python 3.11): the app would abort after a few thousand calls"
        )
    label.deleteLater()
    plugins = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath)) / "platforms"
    found = sorted(p.name for p in plugins.glob("*") if p.is_file()) if plugins.is_dir() else []
    native = {"win32": "windows", "darwin": "cocoa"}.get(sys.platform, "xcb")
    if not any(native in name for name in found):
        raise CheckFailed(f"Qt's {native} platform plugin is missing from {plugins}")
    for module in WINDOW_MODULES:
        importlib.import_module(module)
    del app
    return (
        f"Qt {qVersion()} widgets drawn offscreen, window code loaded; "
        f"platform plugins: {', '.join(found)}"
    )


def binding_drops_none(widget) -> bool:
    """Whether the Qt binding loses a reference to None when a call returns None. Python
    before 3.12 keeps None alive by counting references like any object: a binding that
    drops one per call makes it reach zero, and the interpreter aborts ("deallocating
    None"). Some thousand harmless calls tell."""
    calls = 2_000
    before = sys.getrefcount(None)
    for _ in range(calls):
        widget.setEnabled(True)  # returns None
    return sys.getrefcount(None) <= before - calls // 2


# The start-up dialog and the main window, which import the rest of the window code.
WINDOW_MODULES = ("toexdesk.app", "toexdesk.ui.dialogs.unlock", "toexdesk.ui.main_window")

CHECKS: list[tuple[str, Callable[[Context], str]]] = [
    ("sqlcipher", check_sqlcipher),
    ("workspace", check_workspace),
    ("pdf", check_pdf),
    ("audit", check_audit),
    ("extraction", check_extraction),
    ("qt", check_qt),
]


def _needs(value, what: str) -> None:
    if not value:
        raise CheckFailed(f"skipped: {what} did not pass")


def _one_line(text: str) -> str:
    return " ".join(str(text).split())[:300]


def _remove(folder: Path) -> None:
    """Delete the temporary folder; antivirus scanners on Windows may hold a new file for a
    moment, so try a few times."""
    for attempt in range(5):
        try:
            shutil.rmtree(folder)
            return
        except FileNotFoundError:
            return
        except OSError:
            if attempt == 4:
                raise
            time.sleep(0.2 * (attempt + 1))


def run(out=None) -> tuple[bool, str]:
    """Run every check in order, printing one line each; stop at the first failure.
    Returns (passed, the failure line or "")."""
    out = out or sys.stdout
    kind = "executable" if getattr(sys, "frozen", False) else "from source"
    print(
        f"{APP_NAME} {__version__} self-test ({kind}; Python {platform.python_version()}, "
        f"{platform.system()} {platform.machine()})",
        file=out,
        flush=True,
    )
    started = time.perf_counter()
    folder = Path(tempfile.mkdtemp(prefix="toexdesk-selftest-"))
    ctx = Context(folder)
    failure = ""
    try:
        for name, check in CHECKS:
            t0 = time.perf_counter()
            try:
                said = check(ctx)
            except CheckFailed as exc:
                failure = f"{name}: {_one_line(str(exc))}"
            except Exception as exc:
                failure = f"{name}: {type(exc).__name__}: {_one_line(str(exc))}"
            if failure:
                break
            ms = (time.perf_counter() - t0) * 1000
            print(f"  ok  {said} [{ms:.0f} ms]", file=out, flush=True)
    finally:
        try:
            _remove(folder)
        except OSError as exc:
            failure = failure or f"cleanup: could not delete {folder} ({exc.strerror})"
    if failure:
        return False, failure
    if folder.exists():
        return False, f"cleanup: {folder} is still there"
    total = time.perf_counter() - started
    print(f"self-test passed: {len(CHECKS)} checks in {total:.2f} s", file=out, flush=True)
    return True, ""


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "--self-test":
        args = args[1:]
    if args:
        print(f"toexdesk --self-test takes no arguments (got {' '.join(args)})", file=sys.stderr)
        return EXIT_USAGE
    try:
        passed, failure = run()
    except KeyboardInterrupt:
        passed, failure = False, "interrupted"
    if not passed:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
        print(f"toexdesk self-test FAILED at {failure}", file=sys.stderr, flush=True)
        return EXIT_FAILED
    return EXIT_OK
