"""Review and retention, the research log and the unused-material schedule, from the main
window:

- View › Due for review… lists the tasks and sources due (MoPI), to retain or erase;
- View › Research log… shows the selected task's log; Edit › Log system check… and Log
  decision… add to it;
- Report › Unused material schedule… writes the selected task's draft schedule (XLSX, PDF)
  to a folder, recorded as a disclosure, in a worker; an existing file is replaced only
  when the user says so.

These windows show record content, so they close when the window locks."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from toexdesk.core.errors import ToexError
from toexdesk.core.services import exports
from toexdesk.core.services import schedule as schedule_svc
from toexdesk.core.store.engine import Workspace
from toexdesk.ui.dialogs.research_log import CheckDialog, DecisionDialog, ResearchLogDialog
from toexdesk.ui.dialogs.review import DueForReviewDialog, EraseDialog, RetainDialog
from toexdesk.ui.style import MessageLabel
from toexdesk.ui.workers import run_op, show_failure


def _labelled(text: str, buddy: QWidget) -> QLabel:
    label = QLabel(text)
    label.setBuddy(buddy)
    return label


class ScheduleDialog(QDialog):
    """Where to write the unused-material schedule, in which formats, for whom and why."""

    def __init__(
        self,
        ws: Workspace,
        task_id: int,
        label: str,
        folder: str = "",
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.ws, self.task_id = ws, task_id
        self.setWindowTitle(f"Unused material schedule — {label}")
        intro = QLabel(
            f"A <b>draft</b> schedule of the unused material of {label} (MG6C style): its "
            "sources, the systems checked (nil returns included) and its research log, with "
            "item numbers that stay the same in later versions. Writing it is recorded as a "
            "disclosure."
        )
        intro.setWordWrap(True)
        self.folder = QLineEdit(folder)
        self.folder.setAccessibleName("Folder")
        self.folder.setToolTip("The folder to write to, e.g. on the shared drive")
        self.browse = QPushButton("&Browse…")
        self.browse.setAccessibleName("Choose the folder")
        self.browse.setToolTip("Choose the folder to write the schedule to")
        self.browse.clicked.connect(self._browse)
        self.xlsx = QCheckBox("&XLSX (Excel)")
        self.xlsx.setToolTip("A workbook the disclosure officer can complete")
        self.pdf = QCheckBox("P&DF")
        self.pdf.setToolTip("A printable copy, the marking on every page")
        self.xlsx.setChecked(True)
        self.pdf.setChecked(True)
        last = exports.last_disclosure(ws, task_id) or ("", "")
        self.recipient = QLineEdit(last[0])
        self.recipient.setAccessibleName("Recipient")
        self.recipient.setToolTip("Who receives it, e.g. the disclosure officer (audited)")
        self.purpose = QPlainTextEdit(last[1])
        self.purpose.setAccessibleName("Purpose")
        self.purpose.setToolTip("Why it is disclosed (audited)")
        self.purpose.setTabChangesFocus(True)
        self.purpose.setMaximumHeight(self.fontMetrics().lineSpacing() * 4 + 12)
        self.message = MessageLabel(name="Message")
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(self.browse)
        formats = QHBoxLayout()
        formats.addWidget(self.xlsx)
        formats.addWidget(self.pdf)
        formats.addStretch()
        form = QFormLayout()
        form.addRow(_labelled("&Folder:", self.folder), folder_row)
        form.addRow("Formats:", formats)
        form.addRow(_labelled("&Recipient:", self.recipient), self.recipient)
        form.addRow(_labelled("&Purpose:", self.purpose), self.purpose)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Write schedule")
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 80)
        (self.folder if not folder else self.recipient if not last[0] else self.purpose).setFocus()

    def _browse(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, "Write the schedule to", self.folder.text())
        if chosen:
            self.folder.setText(chosen)

    def formats(self) -> tuple[str, ...]:
        return tuple(f for f, box in (("xlsx", self.xlsx), ("pdf", self.pdf)) if box.isChecked())

    def values(self) -> tuple[Path, tuple[str, ...], str, str]:
        return (
            Path(self.folder.text().strip()),
            self.formats(),
            self.recipient.text().strip(),
            self.purpose.toPlainText().strip(),
        )

    def _accept(self) -> None:
        folder, formats, recipient, purpose = self.values()
        problems = []
        if not self.folder.text().strip() or not folder.is_dir():
            problems.append("choose a folder that exists")
        if not formats:
            problems.append("tick XLSX, PDF or both")
        if not recipient:
            problems.append("enter the recipient")
        if not purpose:
            problems.append("enter the purpose")
        if problems:
            self.message.show_error("; ".join(problems).capitalize() + ".")
            return
        self.accept()


def existing_targets(ws: Workspace, task_id: int, folder: Path, formats) -> list[Path]:
    """The schedule files already in ``folder`` under the names this schedule would take."""
    reference, marking = schedule_svc.schedule_marking(ws, task_id)
    paths = [folder / schedule_svc.schedule_file_name(marking, reference, f) for f in formats]
    return [p for p in paths if p.exists()]


class ReviewMixin:
    """Part of ``MainWindow``: needs ``ws``, ``settings``, ``tasks``, ``stack``, ``locked``,
    ``_action``, ``menus``, ``workspace_actions`` and ``_reload_task_panes``."""

    _schedule_folder = ""

    def _add_menu_items(self) -> None:
        super()._add_menu_items()
        self.due_action = self._action(
            "Due for re&view…",
            "Ctrl+Shift+D",
            "Tasks and sources due for their retention review (MoPI): retain or erase them",
            self.show_due_for_review,
        )
        self.log_action = self._action(
            "Research &log…",
            "Ctrl+Shift+L",
            "The selected task's research log: searches, systems checked and decisions",
            self.show_research_log,
        )
        self.check_action = self._action(
            "Log system chec&k…",
            "Ctrl+Shift+H",
            "Record a system checked for the selected task, a nil return included",
            self.add_system_check,
        )
        self.decision_action = self._action(
            "Log &decision…",
            "Ctrl+Shift+J",
            "Record a research decision for the selected task, with its reason",
            self.add_decision,
        )
        self.schedule_action = self._action(
            "&Unused material schedule…",
            "Ctrl+Shift+U",
            "Write the selected task's draft unused-material schedule (MG6C style) as XLSX "
            "and PDF, recorded as a disclosure",
            self.unused_material_schedule,
        )
        self.menus["view"].addSeparator()
        self.menus["view"].addActions([self.log_action, self.due_action])
        self.menus["edit"].addSeparator()
        self.menus["edit"].addActions([self.check_action, self.decision_action])
        self.menus["report"].addAction(self.schedule_action)
        self.workspace_actions += [
            self.due_action,
            self.log_action,
            self.check_action,
            self.decision_action,
            self.schedule_action,
        ]
        # They show record content: they go when the window locks.
        self.stack.currentChanged.connect(self._close_review_if_locked)

    def _close_review_if_locked(self, _index: int) -> None:
        if not self.locked:
            return
        inner = (RetainDialog, EraseDialog, CheckDialog, DecisionDialog)
        outer = (DueForReviewDialog, ResearchLogDialog, ScheduleDialog)
        for kinds in (inner, outer):
            for kind in kinds:
                for dialog in self.findChildren(kind):
                    dialog.reject()

    def _selected_task(self) -> tuple[int, str] | None:
        task_id = self.tasks.current_id()
        if task_id is None:
            self.statusBar().showMessage("Select a task first.", 5_000)
            return None
        info = self.tasks.proxy.row_info(self.tasks.table.currentIndex().row())
        return task_id, (info.reference if info is not None else f"task {task_id}")

    def _show_single(self, kind, make) -> None:
        """One window of a kind: opening it again replaces the one open."""
        for old in self.findChildren(kind):
            old.reject()
        try:
            dialog = make()
        except ToexError as exc:
            show_failure(self, exc)
            return
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()

    # -- review -----------------------------------------------------------------------------
    def show_due_for_review(self) -> None:
        def make() -> DueForReviewDialog:
            dialog = DueForReviewDialog(self.ws, self, review_months=self.settings.review_months)
            dialog.changed.connect(self._review_changed)
            return dialog

        self._show_single(DueForReviewDialog, make)

    def _review_changed(self) -> None:
        """A record was retained or erased: show the panes as the workspace now is."""
        keep = self.tasks.current_id()
        self.tasks.model.reload()
        self.tasks._update_count()
        if keep is not None and self.tasks.select_id(keep):
            self._reload_task_panes()
        elif self.tasks.proxy.rowCount():
            self.tasks.select_first()
        else:
            self._task_selected(None)

    # -- research log -----------------------------------------------------------------------
    def show_research_log(self) -> None:
        chosen = self._selected_task()
        if chosen is not None:
            task_id, label = chosen
            self._show_single(
                ResearchLogDialog, lambda: ResearchLogDialog(self.ws, task_id, label, self)
            )

    def _add_entry(self, kind) -> None:
        chosen = self._selected_task()
        if chosen is None:
            return
        task_id, label = chosen
        dialog = kind(self.ws, task_id, self)
        dialog.setWindowTitle(f"{dialog.windowTitle()} — {label}")
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        for open_log in self.findChildren(ResearchLogDialog):
            if open_log.task_id == task_id:
                open_log.show_entries([*open_log.entries, dialog.entry])
        self.statusBar().showMessage(f"Added to the research log of {label}.", 10_000)

    def add_system_check(self) -> None:
        self._add_entry(CheckDialog)

    def add_decision(self) -> None:
        self._add_entry(DecisionDialog)

    # -- schedule ---------------------------------------------------------------------------
    def unused_material_schedule(self) -> None:
        chosen = self._selected_task()
        if chosen is None:
            return
        task_id, label = chosen
        try:
            dialog = ScheduleDialog(self.ws, task_id, label, self._schedule_folder, self)
        except ToexError as exc:
            show_failure(self, exc)
            return
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        folder, formats, recipient, purpose = dialog.values()
        ReviewMixin._schedule_folder = str(folder)
        try:
            existing = existing_targets(self.ws, task_id, folder, formats)
        except ToexError as exc:
            show_failure(self, exc)
            return
        overwrite = False
        if existing:
            names = "\n".join(p.name for p in existing)
            answer = QMessageBox.question(
                self,
                "Replace the schedule?",
                f"These files are already in {folder}:\n{names}\n\nReplace them with this version?",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                QMessageBox.StandardButton.No,
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
            overwrite = True
        ws = self.ws
        run_op(
            self,
            "Writing the unused material schedule…",
            lambda op: schedule_svc.export_schedule(
                ws,
                task_id,
                folder,
                formats=formats,
                recipient=recipient,
                purpose=purpose,
                overwrite=overwrite,
                progress=op.progress,
                cancelled=op.cancelled,
            ),
            self._schedule_written,
        )

    def _schedule_written(self, result: schedule_svc.ScheduleExport) -> None:
        names = ", ".join(f.name for f in result.files)
        new = len(result.schedule.new_numbers)
        self.statusBar().showMessage(
            f"Wrote {names} ({len(result.schedule.rows)} items, {new} newly numbered).", 15_000
        )
