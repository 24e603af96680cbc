"""The system's colours and font size are honoured: no hard-coded colours or font sizes,
error messages readable in a high-contrast theme, fonts that follow the app font."""

from __future__ import annotations

import re
import tokenize
from pathlib import Path

import pytest
from a11y_checks import build_main_window, build_unlock, describe, show
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication, QWidget

from toexdesk import config
from toexdesk.ui.style import MessageLabel, contrast_ratio

UI = Path(__file__).resolve().parents[2] / "toexdesk" / "ui"

# Hex colours or named colours in code, style sheets, rich text colour or size attributes,
# and fixed font sizes. style.py is the one place that may choose a colour.
HARD_CODED = re.compile(
    r"""setStyleSheet\(|["']#[0-9a-fA-F]{3,8}\b|QColor\(|Qt\.GlobalColor|\bcolor\s*[:=]"""
    r"""|font-size|setPointSize|setPixelSize|QFont\([^)]*,\s*\d|\d+\s*px\b""",
)


def _code_lines(path: Path) -> list[str]:
    """The file's lines with comments blanked out (a comment may say "#1 priority")."""
    lines = path.read_text(encoding="utf-8").splitlines()
    with path.open("rb") as source:
        for token in tokenize.tokenize(source.readline):
            if token.type == tokenize.COMMENT:
                row, column = token.start
                lines[row - 1] = lines[row - 1][:column]
    return lines


def test_no_widget_code_hard_codes_colours_or_font_sizes():
    found = []
    for path in sorted(UI.rglob("*.py")):
        if path.name == "style.py":
            continue
        for number, line in enumerate(_code_lines(path), 1):
            if HARD_CODED.search(line):
                found.append(f"{path.relative_to(UI.parent)}:{number}: {line.strip()}")
    assert not found, "\n".join(found)


@pytest.fixture
def high_contrast_big_font(qapp):
    """A dark high-contrast palette (like Windows 'High Contrast Black') and 20 pt text."""
    old_palette, old_font = qapp.palette(), qapp.font()
    palette = QPalette()
    for role, colour in (
        (QPalette.ColorRole.Window, "#000000"),
        (QPalette.ColorRole.WindowText, "#ffffff"),
        (QPalette.ColorRole.Base, "#000000"),
        (QPalette.ColorRole.AlternateBase, "#1a1a1a"),
        (QPalette.ColorRole.Text, "#ffffff"),
        (QPalette.ColorRole.Button, "#000000"),
        (QPalette.ColorRole.ButtonText, "#ffffff"),
        (QPalette.ColorRole.Highlight, "#1aebff"),
        (QPalette.ColorRole.HighlightedText, "#000000"),
        (QPalette.ColorRole.ToolTipBase, "#000000"),
        (QPalette.ColorRole.ToolTipText, "#ffffff"),
    ):
        palette.setColor(role, QColor(colour))
    font = QFont(old_font)
    font.setPointSizeF(20)
    qapp.setPalette(palette)
    qapp.setFont(font)
    yield qapp
    qapp.setPalette(old_palette)
    qapp.setFont(old_font)


def _error_contrast(label: MessageLabel) -> float:
    colours = label.palette()
    window = label.parentWidget().palette().color(QPalette.ColorRole.Window)
    return contrast_ratio(colours.color(QPalette.ColorRole.WindowText), window)


def _own_palette_or_style(top: QWidget) -> list[str]:
    """Widgets that set colours of their own (only an error message may)."""
    found = []
    for widget in [top, *top.findChildren(QWidget)]:
        if isinstance(widget, MessageLabel) and widget.is_error:
            continue
        if widget.styleSheet():
            found.append(f"{describe(widget)} has a style sheet")
        if widget.testAttribute(Qt.WidgetAttribute.WA_SetPalette):
            found.append(f"{describe(widget)} sets its own palette")
    return found


def _fonts_not_following(top: QWidget, size: float) -> list[str]:
    return [
        f"{describe(w)}: {w.font().pointSizeF()} pt / {w.font().pixelSize()} px"
        for w in [top, *top.findChildren(QWidget)]
        if w.font().pixelSize() != -1 or abs(w.font().pointSizeF() - size) > 0.01
    ]


def test_error_messages_read_well_in_high_contrast_and_follow_a_big_font(
    qtbot, demo_ws, high_contrast_big_font
):
    from toexdesk.ui.dialogs.editors import TaskEditor
    from toexdesk.ui.dialogs.settings import SettingsDialog
    from toexdesk.ui.lock import LockScreen

    unlock = build_unlock(qtbot, demo_ws)
    unlock.recent.clear()
    unlock.selected_path = None
    qtbot.mouseClick(unlock.unlock_button, Qt.MouseButton.LeftButton)
    editor = show(qtbot, TaskEditor(demo_ws))
    editor.buttons.accepted.emit()  # Save with nothing filled in
    lock = show(qtbot, LockScreen("case.toex"))
    lock.failed("Wrong passphrase.")
    settings = show(qtbot, SettingsDialog(config.Settings(), path=Path("/proc/no/settings.json")))
    settings.accept()  # saving there fails: the message is shown

    labels = [unlock.unlock_message, editor.errors["title"], lock.message, settings.message]
    for label in labels:
        assert label.is_error and label.text().startswith("Error: "), label.text()
        assert _error_contrast(label) >= 4.5, (describe(label), _error_contrast(label))
    for top in (unlock, editor, lock, settings):
        assert _own_palette_or_style(top) == []
        assert _fonts_not_following(top, 20) == []
        assert top.font().pointSizeF() == 20


def test_error_colour_is_red_on_light_windows_and_plain_text_when_no_red_reads_well(qtbot, qapp):
    from toexdesk.ui.style import ERROR_REDS, error_colour

    light = QPalette()
    light.setColor(QPalette.ColorRole.Window, QColor("#f0f0f0"))
    light.setColor(QPalette.ColorRole.WindowText, QColor("#000000"))
    assert error_colour(light) == ERROR_REDS[0]
    grey = QPalette()
    grey.setColor(QPalette.ColorRole.Window, QColor("#808080"))
    grey.setColor(QPalette.ColorRole.WindowText, QColor("#000000"))
    assert error_colour(grey) == QColor("#000000")  # no red reads well on mid grey

    holder = QWidget()
    qtbot.addWidget(holder)
    label = MessageLabel(holder)
    label.show_error("Something")
    assert label.text() == "Error: Something"
    dark = QPalette(light)
    dark.setColor(QPalette.ColorRole.Window, QColor("#000000"))
    dark.setColor(QPalette.ColorRole.WindowText, QColor("#ffffff"))
    holder.setPalette(dark)  # the theme changes while the message shows
    QApplication.sendPostedEvents(None, QEvent.Type.PolishRequest)
    assert _error_contrast(label) >= 4.5
    label.clear()
    assert not label.testAttribute(Qt.WidgetAttribute.WA_SetPalette) or (
        label.palette().color(QPalette.ColorRole.WindowText) == QColor("#ffffff")
    )


def test_main_window_tables_use_no_colours_and_no_colour_only_cells(
    qtbot, demo_ws, high_contrast_big_font
):
    window = build_main_window(qtbot, demo_ws)
    window.sources.all_tasks.setChecked(True)
    problems = _own_palette_or_style(window) + _fonts_not_following(window, 20)
    for pane in (window.tasks, window.sources, window.findings):
        proxy = pane.proxy
        for row in range(min(proxy.rowCount(), 20)):
            for column in range(proxy.columnCount()):
                index = proxy.index(row, column)
                for role in (Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.BackgroundRole):
                    if index.data(role) is not None:
                        problems.append(f"{pane.title.text()} cell {row},{column} sets a colour")
                if index.data(Qt.ItemDataRole.DecorationRole) is not None and not (
                    index.data(Qt.ItemDataRole.DisplayRole)
                    or index.data(Qt.ItemDataRole.AccessibleTextRole)
                ):
                    problems.append(f"{pane.title.text()} cell {row},{column}: icon without text")
    assert problems == []
