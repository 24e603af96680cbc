"""Finding things from the main window: the search dialog (Ctrl+K) and jumping from a hit
to its record in the panes."""

from __future__ import annotations

from PySide6.QtCore import Qt

from toexdesk.ui.dialogs.search import SearchDialog


class NavigationMixin:
    """Part of ``MainWindow``: needs its ``ws`` and panes."""

    def show_search(self) -> None:
        dialog = self.findChild(SearchDialog)
        if dialog is None or not dialog.isVisible():
            dialog = SearchDialog(self.ws, self.tasks.current_id(), self)
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            dialog.open_record.connect(self.jump_to)
            dialog.show()
        dialog.raise_()
        dialog.activateWindow()
        dialog.query.setFocus()
        dialog.query.selectAll()

    def jump_to(self, hit) -> None:
        """Show a search hit's record in the panes."""
        kind = hit.record_type.value
        if kind == "entity":
            self.statusBar().showMessage(
                f"{hit.label} is an entity: entities have no pane yet; the hit shows where "
                "its name appears.",
                10_000,
            )
            return
        if hit.task_id is None or not (
            self.tasks.current_id() == hit.task_id or self.tasks.select_id(hit.task_id)
        ):
            self.statusBar().showMessage(
                f"{hit.label} is hidden by the task filters: clear them to see it.", 10_000
            )
            return
        if kind in ("source", "attachment") and hit.source_id is not None:
            self.sources.select_id(hit.source_id)
            self.sources.table.setFocus()
        elif kind == "finding":
            self.findings.select_id(hit.record_id)
            self.findings.table.setFocus()
        else:
            self.tasks.table.setFocus()
        self.activateWindow()
