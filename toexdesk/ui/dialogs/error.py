"""The dialog an unexpected error shows, with a summary the researcher can copy to support.

The summary holds the app, Python, Qt and OS versions, the time (UTC), the error's type and
where it happened (file:line:function). It never holds the error's message (database errors
carry record content in it), local variables, or anything else from the workspace; folders
outside the app are cut to the file name, so no user name rides along in a path."""

from __future__ import annotations

import datetime as dt
import platform
import site
import sys
import sysconfig
import traceback
from pathlib import Path, PurePath

import PySide6
from PySide6.QtCore import qVersion
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from toexdesk import APP_NAME, __version__, config

MAX_FRAMES = 40  # a runaway recursion's traceback would otherwise be thousands of lines
MAX_OTHERS = 10  # kinds of further errors listed in one dialog


def _roots() -> list[Path]:
    """Folders whose files are named relative to them (longest first)."""
    found = [Path(__file__).resolve().parents[3]]  # the folder holding the toexdesk package
    candidates: list[str] = []
    for getter in (site.getsitepackages, site.getusersitepackages):
        try:
            got = getter()
        except (AttributeError, OSError):  # frozen builds trim the site module
            continue
        candidates += [got] if isinstance(got, str) else list(got)
    try:
        paths = sysconfig.get_paths()
    except Exception:  # a trimmed frozen build: the names stay short anyway
        paths = {}
    candidates += [paths.get(key, "") for key in ("stdlib", "platstdlib", "purelib", "platlib")]
    candidates += [getattr(sys, "_MEIPASS", ""), sys.prefix, sys.base_prefix]
    for text in candidates:
        if text:
            found.append(Path(text).resolve())
    return sorted(set(found), key=lambda p: len(p.parts), reverse=True)


def short_path(filename: str, roots: list[Path] | None = None) -> str:
    """The file's path inside the app, a library or the standard library; else its name."""
    if filename.startswith("<"):  # <string>, <frozen importlib._bootstrap>
        return filename
    path = PurePath(filename)
    if not path.is_absolute():
        return path.as_posix()  # frozen builds already record package-relative names
    resolved = Path(filename).resolve()
    for root in _roots() if roots is None else roots:
        if resolved.is_relative_to(root):
            return resolved.relative_to(root).as_posix()
    return f"…/{path.name}"


def frame_lines(exc: BaseException) -> list[str]:
    """``file:line:function`` for each frame, outermost first. No source text, no locals."""
    summary = traceback.StackSummary.extract(
        traceback.walk_tb(exc.__traceback__), limit=None, lookup_lines=False
    )
    roots = _roots()
    lines = [f"{short_path(f.filename, roots)}:{f.lineno}:{f.name}" for f in summary]
    if len(lines) > MAX_FRAMES:
        cut = len(lines) - MAX_FRAMES
        lines = [
            *lines[: MAX_FRAMES // 2],
            f"… {cut} frames left out …",
            *lines[-MAX_FRAMES // 2 :],
        ]
    return lines


def type_name(exc: BaseException) -> str:
    kind = type(exc)
    module = kind.__module__
    return (
        kind.__qualname__ if module in ("builtins", "__main__") else f"{module}.{kind.__qualname__}"
    )


def error_summary(exc: BaseException, when: dt.datetime | None = None) -> str:
    """The copyable summary of one error (see the module docstring for what it leaves out)."""
    when = when or dt.datetime.now(dt.UTC)
    lines = [
        f"{APP_NAME} {__version__} — error summary",
        f"Time (UTC): {when.astimezone(dt.UTC).strftime('%Y-%m-%d %H:%M:%S')}",
        f"Python: {platform.python_version()} ({platform.python_implementation()})",
        f"Qt: {qVersion()} (PySide6 {PySide6.__version__})",
        f"OS: {platform.platform()}",
        f"Frozen build: {'yes' if getattr(sys, 'frozen', False) else 'no'}",
        "",
        f"Error type: {type_name(exc)}",
        "(The error's own message is left out: it can contain workspace content.)",
        "Where (outermost call first):",
    ]
    for depth, link in enumerate(config.exception_chain(exc)):
        if depth:
            lines += ["", f"Caused by: {type_name(link)}"]
        lines += [f"  {line}" for line in frame_lines(link)] or ["  (no frames)"]
    return "\n".join(lines)


class ErrorDialog(QDialog):
    """Says that something went wrong, shows the summary, offers to copy it.

    Later errors that arrive while it is open are added with ``add`` (repeats of the same
    error are counted, not listed again)."""

    def __init__(self, exc: BaseException, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(f"{APP_NAME} — something went wrong")
        self._first = error_summary(exc)
        self._signature = signature(exc)
        self._others: dict[tuple, list] = {}  # signature -> [type name, count]
        self.repeats = 1
        self.unlisted = 0  # other errors beyond MAX_OTHERS kinds
        intro = QLabel(
            f"Something went wrong inside {APP_NAME} ({type(exc).__name__}), and what you "
            "were doing may not have finished. Changes are written to the workspace one "
            "whole step at a time, so nothing half-done was saved.\n\n"
            "You can go on working. If it happens again, copy the summary below and send "
            "it to your IT support. It says where in the program the error happened; it "
            "holds nothing from your workspace."
        )
        intro.setWordWrap(True)
        self.count = QLabel()
        self.count.setWordWrap(True)
        self.count.hide()
        self.summary = QPlainTextEdit()
        self.summary.setReadOnly(True)
        self.summary.setTabChangesFocus(True)
        self.summary.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.summary.setAccessibleName("Error summary")
        self.summary.setToolTip("What to send to support: versions, time and where it happened")
        summary_label = QLabel("&Summary:")
        summary_label.setBuddy(self.summary)
        lines = self.fontMetrics().lineSpacing()
        self.summary.setMinimumHeight(lines * 12)
        self.log_folder = QLineEdit(str(config.log_dir()))
        self.log_folder.setReadOnly(True)
        self.log_folder.setAccessibleName("Log folder")
        self.log_folder.setToolTip("The full log is kept in this folder")
        log_label = QLabel("&Log folder:")
        log_label.setBuddy(self.log_folder)
        self.copy_button = QPushButton("&Copy summary")
        self.copy_button.setToolTip("Put the summary on the clipboard")
        self.copy_button.clicked.connect(self.copy_summary)
        # Copy sits apart from the button box, whose order differs between platforms:
        # on its left it is first for the eye and for Tab alike.
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close = self.buttons.button(QDialogButtonBox.StandardButton.Close)
        close.setToolTip("Close this message and go on working")
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.count)
        layout.addWidget(summary_label)
        layout.addWidget(self.summary, 1)
        layout.addWidget(log_label)
        layout.addWidget(self.log_folder)
        row = QHBoxLayout()
        row.addWidget(self.copy_button)
        row.addStretch()
        row.addWidget(self.buttons)
        layout.addLayout(row)
        self.resize(self.fontMetrics().averageCharWidth() * 100, lines * 30)
        self._refresh()
        self.copy_button.setFocus()

    def add(self, exc: BaseException) -> None:
        """Another error while this dialog is open."""
        key = signature(exc)
        if key == self._signature:
            self.repeats += 1
        elif key in self._others or len(self._others) < MAX_OTHERS:
            entry = self._others.setdefault(key, [type_name(exc), 0, frame_lines(exc)[-1:]])
            entry[1] += 1
        else:
            self.unlisted += 1
        self._refresh()

    def summary_text(self) -> str:
        text = self._first
        if self.repeats > 1:
            text += f"\n\nThis error happened {self.repeats} times."
        for name, count, where in self._others.values():
            place = f" at {where[0]}" if where else ""
            text += f"\nAlso: {name}{place} ({count} time{'s' if count != 1 else ''})"
        if self.unlisted:
            text += f"\nAnd {self.unlisted} more errors of other kinds (see the log)."
        return text

    def _refresh(self) -> None:
        self.summary.setPlainText(self.summary_text())
        others = sum(entry[1] for entry in self._others.values()) + self.unlisted
        if self.repeats > 1 or others:
            parts = [f"This error has happened {self.repeats} times"] if self.repeats > 1 else []
            if others:
                parts.append(f"{others} other error{'s' if others != 1 else ''} followed")
            self.count.setText("; ".join(parts) + ". The summary lists them.")
            self.count.show()

    def copy_summary(self) -> None:
        # No ClipboardGuard: the summary holds nothing from the workspace.
        QApplication.clipboard().setText(self.summary_text())
        self.copy_button.setText("&Copy summary (copied)")


def signature(exc: BaseException) -> tuple:
    """Two errors are 'the same' when they have the same type and the same innermost frames."""
    frames = traceback.StackSummary.extract(
        traceback.walk_tb(exc.__traceback__), lookup_lines=False
    )[-3:]
    return (type(exc), tuple((f.filename, f.lineno, f.name) for f in frames))
