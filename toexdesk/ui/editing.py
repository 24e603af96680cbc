"""Opening editors from the main window, and citing sources dropped on the Findings pane.

Editors are not modal: the researcher can read the panes, and drag sources into a finding
editor, while one is open. One editor per record; opening it again raises it. After a save
the panes the record shows in are reloaded with the record selected."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QMessageBox

from toexdesk.core.enums import Marking
from toexdesk.core.errors import ToexError
from toexdesk.core.services import findings as finding_svc
from toexdesk.ui.dialogs.editor_base import RecordEditor
from toexdesk.ui.dialogs.editors import SourceEditor, TaskEditor
from toexdesk.ui.dialogs.finding_editor import FindingEditor
from toexdesk.ui.dnd import ask_relation
from toexdesk.ui.workers import show_failure


class EditingMixin:
    """Part of ``MainWindow``: needs its ``ws``, panes, ``_editors`` and ``_show_status``."""

    def _open_editor(self, key, make: Callable[[], RecordEditor], kind: str) -> None:
        existing = self._editors.get(key) if key is not None else None
        if existing is not None:
            existing.raise_()
            existing.activateWindow()
            return
        try:
            editor = make()
        except ToexError as exc:  # e.g. the record was erased meanwhile
            show_failure(self, exc)
            return
        editor.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        editor.accepted.connect(lambda: self._saved(kind, editor.result_info))
        if key is not None:
            self._editors[key] = editor
            editor.finished.connect(lambda _result: self._editors.pop(key, None))
        editor.show()

    def _saved(self, kind: str, info) -> None:
        """After a save, reload the panes the record shows in, selecting the record."""
        task_id = info.id if kind == "task" else info.task_id
        self.tasks.model.reload()
        self.tasks._update_count()
        if task_id == self.tasks.current_id() or not self.tasks.select_id(task_id):
            self._reload_task_panes()  # (selecting another task reloads them itself)
        pane = {"source": self.sources, "finding": self.findings}.get(kind)
        if pane is not None:
            pane.select_id(info.id)

    def _reload_task_panes(self) -> None:
        for pane in (self.sources, self.findings):
            keep = pane.current_id()
            pane.model.reload()
            pane._update_count()
            if keep in pane.proxy.ids():
                pane.table.selectRow(pane.proxy.ids().index(keep))
        self._show_status(self.tasks.current_id())

    def _default_marking(self) -> Marking:
        try:
            return Marking.parse(self.settings.default_marking)
        except ValueError:
            return Marking.OFFICIAL

    def new_task(self) -> None:
        marking = self._default_marking()
        self._open_editor(None, lambda: TaskEditor(self.ws, parent=self, marking=marking), "task")

    def new_source(self) -> None:
        task_id, marking = self.tasks.current_id(), self._default_marking()
        if task_id is not None:
            self._open_editor(
                None,
                lambda: SourceEditor(self.ws, task_id, parent=self, marking=marking),
                "source",
            )

    def new_finding(self, cite=()) -> None:
        task_id, marking = self.tasks.current_id(), self._default_marking()
        if task_id is not None:
            self._open_editor(
                None,
                lambda: FindingEditor(self.ws, task_id, parent=self, cite=cite, marking=marking),
                "finding",
            )

    def edit_selected(self, pane=None) -> None:
        pane = pane or self._focused_pane()
        record_id = pane.current_id()
        task_id = self.tasks.current_id()
        if record_id is None:
            return
        if pane is self.tasks:
            make, kind = (lambda: TaskEditor(self.ws, record_id, parent=self)), "task"
        elif pane is self.sources:
            info = pane.proxy.row_info(pane.table.currentIndex().row())
            source_task = info.task_id if info is not None else task_id
            make = lambda: SourceEditor(self.ws, source_task, record_id, parent=self)  # noqa: E731
            kind = "source"
        else:
            make = lambda: FindingEditor(self.ws, task_id, record_id, parent=self)  # noqa: E731
            kind = "finding"
        self._open_editor((kind, record_id), make, kind)

    def _sources_dropped(self, pairs: list, finding_id: int | None, at: QPoint) -> None:
        """Sources dragged onto the Findings pane: cite them by the finding they were
        dropped on (asking how), or start a new finding citing them."""
        task_id = self.tasks.current_id()
        if task_id is None:
            return
        ours = [source_id for source_task, source_id in pairs if source_task == task_id]
        if len(ours) < len(pairs):
            reference = self.tasks.proxy.row_info(self.tasks.table.currentIndex().row()).reference
            QMessageBox.information(
                self,
                "Sources of another task",
                f"A finding of {reference} can cite only {reference}'s sources; "
                f"{len(pairs) - len(ours)} of the dropped sources belong to another task "
                "and were left out.",
            )
        if not ours:
            return
        relation = ask_relation(self, at, len(ours))
        if relation is None:
            return
        if finding_id is None:
            self.new_finding(cite=[(source_id, relation) for source_id in ours])
            return
        try:
            info = finding_svc.link_sources(self.ws, finding_id, ours, relation)
        except ToexError as exc:
            show_failure(self, exc)
            return
        self._reload_task_panes()
        cited = ", ".join(c.label for c in info.citations if c.source_id in set(ours))
        self.statusBar().showMessage(
            f"{info.label} now cites {cited} ({relation.label.lower()})", 10_000
        )
