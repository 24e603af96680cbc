"""Walking a window as a keyboard or screen-reader user would, for the accessibility tests.

- A *control* is a QAbstractButton (QCheckBox...), QLineEdit, QPlainTextEdit, QTextEdit,
  QComboBox, QAbstractSpinBox (QDateEdit...), QAbstractItemView or QSlider that takes focus
  by Tab, leaving out Qt's own parts of composite controls (a spin box's editor, a combo
  box's popup list, anything named ``qt_*``).
- A control is *named* when a screen reader has a name to say, the way Qt's accessibility
  bridge finds one: its accessibleName; else, for a button or check box, its text; else the
  text of a sibling QLabel whose buddy it is. A tooltip, a placeholder or a combo box's
  current item is not a name.
- *Tab order*: from the first focus widget, pressing Tab visits every visible, enabled
  control once and comes back to the start; a control that keeps Tab to itself (a table
  moving between cells, a text box typing a tab) is a trap. Within each part of the window
  (a splitter pane, else the whole window) Tab goes as one reads, and down each form.
"""

from __future__ import annotations

import itertools

import keyring.backends.fail
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSlider,
    QSplitter,
    QTextEdit,
    QWidget,
)

from toexdesk import config
from toexdesk.core.services import findings, sources, tasks

CONTROLS = (
    QAbstractButton,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QComboBox,
    QAbstractSpinBox,
    QAbstractItemView,
    QSlider,
)
COMPOSITES = (QComboBox, QAbstractSpinBox)  # their inner editors and popups are theirs
MAX_INNER_TABS = 4  # Tab presses a control may keep (a date edit's sections) before a trap


# --- walking widgets ----------------------------------------------------------------------
def _inside_composite(widget: QWidget, top: QWidget) -> bool:
    parent = widget.parentWidget()
    while parent is not None and parent is not top:
        if isinstance(parent, COMPOSITES):
            return True
        parent = parent.parentWidget()
    return False


def controls(top: QWidget) -> list[QWidget]:
    found = []
    for widget in top.findChildren(QWidget):
        if not isinstance(widget, CONTROLS) or widget.objectName().startswith("qt_"):
            continue
        if not widget.focusPolicy() & Qt.FocusPolicy.TabFocus:
            continue
        if widget.focusProxy() is not None or _inside_composite(widget, top):
            continue
        found.append(widget)
    return found


def screen_reader_name(widget: QWidget) -> str:
    if widget.accessibleName().strip():
        return widget.accessibleName().strip()
    if isinstance(widget, QAbstractButton) and widget.text().replace("&", "").strip():
        return widget.text().replace("&", "").strip()
    parent = widget.parentWidget()
    if parent is not None:
        for label in parent.findChildren(QLabel, options=Qt.FindChildOption.FindDirectChildrenOnly):
            if label.buddy() is widget and label.text().strip():
                return label.text().replace("&", "").strip()
    return ""


def describe(widget: QWidget | None) -> str:
    if widget is None:
        return "nothing"
    hint = screen_reader_name(widget) or widget.objectName() or widget.toolTip()[:40]
    owner = widget.parentWidget()
    while owner is not None and not owner.isWindow():
        owner = owner.parentWidget()
    where = type(owner).__name__ if owner is not None else "?"
    return f"{type(widget).__name__} {hint!r} in {where}"


def unnamed(top: QWidget) -> list[str]:
    return [describe(w) for w in controls(top) if not screen_reader_name(w)]


def tab_problems(qtbot, top: QWidget, visited: list | None = None) -> list[str]:
    """Press Tab round the window; say what is unreachable, visited twice, or a trap.
    ``visited`` (if given) receives the controls in the order Tab reached them."""
    expected = [w for w in controls(top) if w.isVisibleTo(top) and w.isEnabled()]
    if not QApplication.focusWidget() or not top.isAncestorOf(QApplication.focusWidget()):
        top.focusNextChild()
    start = QApplication.focusWidget()
    visited = [] if visited is None else visited
    visited.append(start)
    problems = []
    stays = 0
    if start is None:
        return [f"no focus in {type(top).__name__} (active window: {QApplication.activeWindow()})"]
    for _ in range((len(expected) + 1) * (MAX_INNER_TABS + 2)):
        current = QApplication.focusWidget()
        if current is None:
            problems.append(f"focus is lost after {describe(visited[-1])}")
            break
        qtbot.keyClick(current, Qt.Key.Key_Tab)
        now = QApplication.focusWidget()
        if now is current:
            # A date edit tabs through its day, month and year first; more is a trap.
            stays += 1
            if stays > MAX_INNER_TABS:
                problems.append(f"Tab stays in {describe(current)} (a trap)")
                break
            continue
        stays = 0
        if now is start:
            break
        if now in visited:
            problems.append(f"{describe(now)} is visited twice before the cycle closes")
            break
        visited.append(now)
    else:
        problems.append("Tab never comes back to where it started")
    problems += [f"{describe(w)} is not reachable by Tab" for w in expected if w not in visited]
    return problems


def _section(widget: QWidget, top: QWidget) -> QWidget:
    """The part of the window a control is in: a splitter's pane, else the window."""
    while widget.parentWidget() is not None and widget.parentWidget() is not top:
        if isinstance(widget.parentWidget(), QSplitter):
            return widget
        widget = widget.parentWidget()
    return top


def reading_order_problems(top: QWidget, visited: list[QWidget]) -> list[str]:
    """Within each section, Tab goes as one reads: down the lines, along each line. The
    cycle may start anywhere, so it is read from the control nearest the top left."""
    problems = []
    sections: dict[int, list[QWidget]] = {}
    for widget in visited:
        sections.setdefault(id(_section(widget, top)), []).append(widget)
    for group in sections.values():
        rects = {id(w): QRect(w.mapTo(top, QPoint(0, 0)), w.size()) for w in group}
        first = min(
            range(len(group)), key=lambda i: (rects[id(group[i])].top(), rects[id(group[i])].left())
        )
        ring = group[first:] + group[:first]
        for before, after in itertools.pairwise(ring):
            a, b = rects[id(before)], rects[id(after)]
            same_line = b.top() <= a.bottom() and a.top() <= b.bottom()
            if b.bottom() < a.top() or (same_line and b.right() < a.left()):
                problems.append(
                    f"Tab goes back up/left from {describe(before)} to {describe(after)}"
                )
    return problems


def form_order_problems(qtbot, top: QWidget) -> list[str]:
    """In each form, Tab goes down the rows in the order they are shown."""
    problems = []
    for form in top.findChildren(QFormLayout):
        fields = []
        for row in range(form.rowCount()):
            item = form.itemAt(row, QFormLayout.ItemRole.FieldRole)
            widget = item.widget() if item is not None else None
            while widget is not None and widget.focusProxy() is not None:
                widget = widget.focusProxy()
            if widget in controls(top) and widget.isVisibleTo(top) and widget.isEnabled():
                fields.append(widget)
        order = []
        widget = fields[0] if fields else None
        while widget is not None and len(order) < len(fields):
            if widget in fields and widget not in order:
                order.append(widget)
            widget = widget.nextInFocusChain()
            if widget is fields[0]:  # the chain is a ring: once round is enough
                break
        if order != fields:
            problems.append(
                "form rows are not tabbed top to bottom: " + " → ".join(describe(w) for w in order)
            )
    return problems


def show(qtbot, widget: QWidget) -> QWidget:
    qtbot.addWidget(widget)
    with qtbot.waitActive(widget):
        widget.show()
        widget.activateWindow()
    return widget


# --- the windows under test ------------------------------------------------------------
def build_unlock(qtbot, ws, create_page: bool = False):
    from toexdesk.ui.dialogs.unlock import UnlockDialog

    settings = config.Settings()
    settings.add_recent(ws.path)
    dialog = show(qtbot, UnlockDialog(settings, keyring_backend=keyring.backends.fail.Keyring()))
    if create_page:
        dialog.show_create()
    return dialog


def first_task(ws):
    return next(t for t in tasks.list_tasks(ws) if sources.list_sources(ws, t.id))


def build_task_editor(qtbot, ws, existing: bool):
    from toexdesk.ui.dialogs.editors import TaskEditor

    return show(qtbot, TaskEditor(ws, first_task(ws).id if existing else None))


def build_source_editor(qtbot, ws):
    from toexdesk.ui.dialogs.editors import SourceEditor

    task = first_task(ws)
    return show(qtbot, SourceEditor(ws, task.id, sources.list_sources(ws, task.id)[0].id))


def build_finding_editor(qtbot, ws):
    from toexdesk.ui.dialogs.finding_editor import FindingEditor

    task = next(t for t in tasks.list_tasks(ws) if findings.list_findings(ws, t.id))
    finding = findings.list_findings(ws, task.id)[0]
    return show(qtbot, FindingEditor(ws, task.id, finding.id))


def build_source_picker(qtbot, ws):
    from toexdesk.ui.dialogs.finding_editor import SourcePicker

    return show(qtbot, SourcePicker(ws, first_task(ws).id))


def build_audit(qtbot, ws):
    from toexdesk.ui.dialogs.audit import AuditDialog

    task = first_task(ws)
    return show(qtbot, AuditDialog(ws, "task", task.id, task.reference))


def build_settings(qtbot, ws):
    from toexdesk.ui.dialogs.settings import SettingsDialog

    settings = config.Settings()
    settings.add_recent(ws.path)
    settings.add_recent(ws.path.with_name("other.toex"))
    return show(qtbot, SettingsDialog(settings))


def build_error(qtbot, ws):
    from toexdesk.ui.dialogs.error import ErrorDialog

    try:
        raise LookupError("synthetic")
    except LookupError as exc:
        return show(qtbot, ErrorDialog(exc))


def build_lock_screen(qtbot, ws):
    from toexdesk.ui.lock import LockScreen

    return show(qtbot, LockScreen(ws.path.name))


def build_main_window(qtbot, ws):
    from toexdesk.ui.main_window import MainWindow

    return show(qtbot, MainWindow(ws, config.Settings()))


def build_disclosure(qtbot, ws):
    from toexdesk.core.enums import Marking
    from toexdesk.ui.dialogs.disclosure import DisclosureDialog

    return show(qtbot, DisclosureDialog("research summary TX-2026-0001", Marking.OFFICIAL))


def build_pack_dialog(qtbot, ws):
    from toexdesk.ui.products import PackDialog

    return show(qtbot, PackDialog(ws, first_task(ws).id))


def build_preview(qtbot, ws):
    from toexdesk.ui.dialogs.preview import ProductPreview
    from toexdesk.ui.products import summary_product

    product = summary_product(ws, first_task(ws).id)
    return show(qtbot, ProductPreview(ws, product))


def build_attachments(qtbot, ws):
    """A source's files with a two-page PDF shown (page controls visible)."""
    import tempfile
    from pathlib import Path

    from reportlab.pdfgen import canvas

    from toexdesk.core.services import capture, sources
    from toexdesk.ui.dialogs.attachments import AttachmentsDialog

    src = sources.list_sources(ws, first_task(ws).id)[0]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "return.pdf"
        pdf = canvas.Canvas(str(path))
        for n in (1, 2):
            pdf.drawString(72, 720, f"Page {n}: 07700 900{n:03d}")
            pdf.showPage()
        pdf.save()
        capture.capture_files(ws, src.id, [path])
    dialog = AttachmentsDialog(ws, src.id, "the source")
    dialog.view()
    return show(qtbot, dialog)


def build_search(qtbot, ws):
    from toexdesk.ui.dialogs.search import SearchDialog

    dialog = SearchDialog(ws, None)
    dialog.query.setText("line")
    return show(qtbot, dialog)


def build_export_dialog(qtbot, ws):
    from toexdesk.ui.dialogs.export import ExportDialog

    return show(qtbot, ExportDialog(ws, first_task(ws).id))


def build_restore_dialog(qtbot, ws):
    from toexdesk.ui.dialogs.restore import RestoreDialog

    return show(qtbot, RestoreDialog(ws.path, ws.path.parent))


def build_due_for_review(qtbot, ws):
    import datetime as dt

    from PySide6.QtCore import QDate

    from toexdesk.ui.dialogs.review import DueForReviewDialog

    dialog = DueForReviewDialog(ws)
    later = dt.date.today() + dt.timedelta(days=3 * 366)  # the demo's dates are all due then
    dialog.due_by.setDate(QDate(later.year, later.month, later.day))
    return show(qtbot, dialog)


def build_retain(qtbot, ws):
    import datetime as dt

    from toexdesk.core.services import review
    from toexdesk.ui.dialogs.review import RetainDialog

    item = review.review_items(ws)[0]
    return show(qtbot, RetainDialog(ws, item, dt.date.today() + dt.timedelta(days=365)))


def build_erase(qtbot, ws):
    from toexdesk.core.services import review
    from toexdesk.ui.dialogs.review import EraseDialog

    return show(qtbot, EraseDialog(review.erasure_plan(ws, "task", first_task(ws).id)))


def build_research_log(qtbot, ws):
    from toexdesk.ui.dialogs.research_log import ResearchLogDialog

    task = first_task(ws)
    return show(qtbot, ResearchLogDialog(ws, task.id, task.reference))


def build_check(qtbot, ws):
    from toexdesk.ui.dialogs.research_log import CheckDialog

    return show(qtbot, CheckDialog(ws, first_task(ws).id))


def build_decision(qtbot, ws):
    from toexdesk.ui.dialogs.research_log import DecisionDialog

    return show(qtbot, DecisionDialog(ws, first_task(ws).id))


def build_schedule(qtbot, ws):
    from toexdesk.ui.review import ScheduleDialog

    task = first_task(ws)
    return show(qtbot, ScheduleDialog(ws, task.id, task.reference, str(ws.path.parent)))
