"""Keyboard and screen-reader use of the main window and every dialog. The rules (what a
control, a name and a sane Tab order are) are in ``a11y_checks``."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from a11y_checks import (
    build_attachments,
    build_audit,
    build_check,
    build_decision,
    build_disclosure,
    build_due_for_review,
    build_erase,
    build_error,
    build_export_dialog,
    build_finding_editor,
    build_lock_screen,
    build_main_window,
    build_pack_dialog,
    build_preview,
    build_research_log,
    build_restore_dialog,
    build_retain,
    build_schedule,
    build_search,
    build_settings,
    build_source_editor,
    build_source_picker,
    build_task_editor,
    build_unlock,
    controls,
    describe,
    form_order_problems,
    reading_order_problems,
    show,
    tab_problems,
    unnamed,
)
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QMenu, QWidget


# --- what to check ------------------------------------------------------------------------
@dataclass
class Case:
    name: str
    build: Callable  # (qtbot, ws) -> top-level widget, shown
    why: str = ""  # known violations (files this change may not edit): xfail until fixed


NAMES = [
    Case("unlock", build_unlock),
    Case("unlock-create", lambda qtbot, ws: build_unlock(qtbot, ws, create_page=True)),
    Case("task-editor-new", lambda qtbot, ws: build_task_editor(qtbot, ws, existing=False)),
    Case("task-editor-existing", lambda qtbot, ws: build_task_editor(qtbot, ws, existing=True)),
    Case("source-editor", build_source_editor),
    Case("finding-editor", build_finding_editor),
    Case("source-picker", build_source_picker),
    Case("audit", build_audit),
    Case("settings", build_settings),
    Case("error", build_error),
    Case("lock-screen", build_lock_screen),
    Case("main-window", build_main_window),
    Case("disclosure", build_disclosure),
    Case("pack", build_pack_dialog),
    Case("preview", build_preview),
    Case("export", build_export_dialog),
    Case("restore", build_restore_dialog),
    Case("attachments", build_attachments),
    Case("search", build_search),
    Case("due-for-review", build_due_for_review),
    Case("retain", build_retain),
    Case("erase", build_erase),
    Case("research-log", build_research_log),
    Case("system-check", build_check),
    Case("decision", build_decision),
    Case("schedule", build_schedule),
]
TABS = NAMES  # the same windows (a known violation would get its own Case with ``why``)


def _params(cases: list[Case]) -> list:
    return [
        pytest.param(
            case,
            id=case.name,
            marks=[pytest.mark.xfail(reason=case.why, strict=True)] if case.why else [],
        )
        for case in cases
    ]


@pytest.mark.parametrize("case", _params(NAMES))
def test_every_control_has_a_name_a_screen_reader_can_say(qtbot, demo_ws, case):
    top = case.build(qtbot, demo_ws)
    assert controls(top), "the walk found no controls at all"
    problems = unnamed(top)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("case", _params(TABS))
def test_tab_reaches_every_control_and_comes_back(qtbot, demo_ws, case):
    top = case.build(qtbot, demo_ws)
    visited: list[QWidget] = []
    problems = tab_problems(qtbot, top, visited)
    problems += reading_order_problems(top, visited) + form_order_problems(qtbot, top)
    assert not problems, "\n".join(problems)


# --- menus and shortcuts ------------------------------------------------------------------
def _menu_actions(menu: QMenu):
    for action in menu.actions():
        if action.isSeparator():
            continue
        if action.menu() is not None:
            yield from _menu_actions(action.menu())
        else:
            yield action


def _mnemonic(text: str) -> str | None:
    found = re.search(r"&([^&])", text)
    return found.group(1).lower() if found else None


def test_every_menu_action_has_a_shortcut_a_tooltip_and_a_mnemonic(qtbot, demo_ws):
    window = build_main_window(qtbot, demo_ws)
    problems, shortcuts = [], {}
    menus = [a.menu() for a in window.menuBar().actions() if a.menu() is not None]
    titles = [m.title() for m in menus]
    assert all(_mnemonic(t) for t in titles), titles
    assert len({_mnemonic(t) for t in titles}) == len(titles), f"menu mnemonics clash: {titles}"
    for menu in menus:
        letters: dict[str, str] = {}
        for action in _menu_actions(menu):
            text = action.text()
            plain = text.replace("&", "")
            keys = action.shortcut().toString()
            if not keys:
                problems.append(f"{menu.title()} › {plain}: no shortcut")
            elif keys in shortcuts:
                problems.append(f"{plain}: shortcut {keys} also used by {shortcuts[keys]}")
            else:
                shortcuts[keys] = plain
            tip = action.toolTip()
            if not tip or tip == plain.rstrip("…") or tip == plain:
                problems.append(f"{menu.title()} › {plain}: no tooltip of its own")
            elif keys and keys not in tip:
                problems.append(f"{menu.title()} › {plain}: tooltip does not show {keys}")
            letter = _mnemonic(text)
            if letter is None:
                problems.append(f"{menu.title()} › {plain}: no mnemonic (&)")
            elif letter in letters:
                problems.append(
                    f"{menu.title()} › {plain}: mnemonic clashes with {letters[letter]}"
                )
            else:
                letters[letter] = plain
    assert not problems, "\n".join(problems)


def test_the_checks_catch_what_they_look_for(qtbot):
    """The walkers are not vacuous: a deliberately poor dialog fails each of them."""
    from PySide6.QtGui import QStandardItemModel
    from PySide6.QtWidgets import QDialog, QTableView, QVBoxLayout

    dialog = QDialog()
    layout = QVBoxLayout(dialog)
    nameless = QComboBox()
    nameless.addItems(["first item is not a name", "b"])
    named_by_label = QLineEdit()
    label = QLabel("&Title:")
    label.setBuddy(named_by_label)
    table = QTableView()
    table.setAccessibleName("Rows")
    table.setModel(QStandardItemModel(3, 3, table))
    table.setCurrentIndex(table.model().index(0, 0))
    after_table = QLineEdit()
    after_table.setAccessibleName("After the table")
    for widget in (label, named_by_label, nameless, table, after_table):
        layout.addWidget(widget)
    show(qtbot, dialog)
    assert unnamed(dialog) == [describe(nameless)]
    named_by_label.setFocus()
    problems = tab_problems(qtbot, dialog)
    assert any("Tab stays in QTableView 'Rows'" in p for p in problems)
    assert any("'After the table' in QDialog is not reachable" in p for p in problems)
    table.setTabKeyNavigation(False)
    named_by_label.setFocus()
    assert tab_problems(qtbot, dialog) == []
