"""Making products from the main window: the selected task's research summary, or a
briefing pack of several tasks. Both are read and laid out in a worker (progress, Cancel)
and open in the preview, from where they are printed or saved."""

from __future__ import annotations

import datetime as dt
import io

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from toexdesk.core.errors import ToexError
from toexdesk.core.services import reports as report_svc
from toexdesk.core.services import tasks as task_svc
from toexdesk.core.store.engine import Workspace
from toexdesk.ui.dialogs.preview import Product, ProductPreview
from toexdesk.ui.workers import run_op, show_failure


def _quiet(*_args) -> None:
    pass


def summary_product(
    ws: Workspace, task_id: int, progress=_quiet, cancelled=lambda: False
) -> Product:
    from toexdesk.core.render.docx import render_summary_docx
    from toexdesk.core.render.pdf import render_summary_pdf

    progress(0, 0, "Reading the task…")
    summary = report_svc.research_summary(ws, task_id)
    out = io.BytesIO()
    pages = render_summary_pdf(
        summary,
        out,
        progress=lambda done, total: progress(done, total, "Laying out the summary…"),
        cancelled=cancelled,
    )
    return Product(
        kind="research summary",
        name=summary.task.reference,
        file_kind="summary",
        task_ids=(task_id,),
        marking=summary.marking,
        pdf=out.getvalue(),
        pages=pages,
        docx=lambda fh: render_summary_docx(summary, fh),
    )


def pack_product(
    ws: Workspace,
    task_ids: list[int],
    title: str,
    recipient: str,
    progress=_quiet,
    cancelled=lambda: False,
) -> Product:
    from toexdesk.core.render.pdf import render_pack_pdf

    progress(0, 0, "Reading the tasks…")
    pack = report_svc.briefing_pack(ws, task_ids, title=title, recipient=recipient)
    out = io.BytesIO()
    pages = render_pack_pdf(
        pack,
        out,
        progress=lambda done, total: progress(done, total, "Laying out the pack…"),
        cancelled=cancelled,
    )
    docx = None
    try:
        from toexdesk.core.render.docx import render_pack_docx
    except ImportError:  # the DOCX pack is optional
        pass
    else:
        docx = lambda fh: render_pack_docx(pack, fh)  # noqa: E731
    return Product(
        kind="briefing pack",
        name=pack.title,
        file_kind="pack",
        task_ids=tuple(task_ids),
        marking=pack.marking,
        pdf=out.getvalue(),
        pages=pages,
        docx=docx,
    )


class PackDialog(QDialog):
    """Choose the tasks of a briefing pack (and their order), its title and recipient."""

    def __init__(self, ws: Workspace, selected: int | None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Briefing pack")
        self.title = QLineEdit(f"Briefing pack {dt.date.today():%d %B %Y}")
        self.title.setAccessibleName("Pack title")
        self.title.setToolTip("Printed on the cover and in the file name")
        self.recipient = QLineEdit()
        self.recipient.setAccessibleName("Recipient on the cover")
        self.recipient.setToolTip("Printed on the cover, e.g. the tasking meeting")
        self.tasks = QListWidget()
        self.tasks.setAccessibleName("Tasks in the pack")
        self.tasks.setToolTip("Tick the tasks to include; drag them to change their order")
        self.tasks.setDragDropMode(QListWidget.DragDropMode.InternalMove)
        for info in task_svc.list_tasks(ws):
            item = QListWidgetItem(f"{info.reference} — {info.title} ({info.status.label})")
            item.setData(Qt.ItemDataRole.UserRole, info.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            checked = info.id == selected
            item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
            self.tasks.addItem(item)
        self.message = QLabel()
        self.message.setAccessibleName("Message")
        form = QFormLayout()
        for text, widget in (("&Title:", self.title), ("&Recipient:", self.recipient)):
            label = QLabel(text)
            label.setBuddy(widget)
            form.addRow(label, widget)
        tasks_label = QLabel("T&asks (tick, and drag to order):")
        tasks_label.setBuddy(self.tasks)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Make pack")
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(tasks_label)
        layout.addWidget(self.tasks)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.resize(
            self.fontMetrics().averageCharWidth() * 90, self.fontMetrics().lineSpacing() * 26
        )

    def chosen(self) -> list[int]:
        items = (self.tasks.item(row) for row in range(self.tasks.count()))
        return [
            item.data(Qt.ItemDataRole.UserRole)
            for item in items
            if item.checkState() == Qt.CheckState.Checked
        ]

    def _accept(self) -> None:
        if not self.chosen():
            self.message.setText("Error: tick at least one task.")
            return
        if not self.title.text().strip():
            self.message.setText("Error: the pack needs a title.")
            return
        self.accept()


class ProductsMixin:
    """Part of ``MainWindow``: needs its ``ws`` and ``tasks`` pane."""

    def _show_product(self, product: Product) -> None:
        preview = ProductPreview(self.ws, product, self)
        preview.show()

    def research_summary(self) -> None:
        task_id = self.tasks.current_id()
        if task_id is None:
            return
        ws, dpi = self.ws, self._preview_dpi()
        run_op(
            self,
            "Making the research summary…",
            lambda op: summary_product(ws, task_id, op.progress, op.cancelled).prepare(dpi),
            self._show_product,
        )

    def briefing_pack(self) -> None:
        try:
            dialog = PackDialog(self.ws, self.tasks.current_id(), self)
        except ToexError as exc:
            show_failure(self, exc)
            return
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        ws, ids, dpi = self.ws, dialog.chosen(), self._preview_dpi()
        title, recipient = dialog.title.text().strip(), dialog.recipient.text().strip()
        run_op(
            self,
            "Making the briefing pack…",
            lambda op: pack_product(ws, ids, title, recipient, op.progress, op.cancelled).prepare(
                dpi
            ),
            self._show_product,
        )

    def _preview_dpi(self) -> float:
        """The dots per inch the preview draws pages at (100 %, on this window's screen)."""
        return self.logicalDpiX() * self.devicePixelRatioF()

    def close_products(self) -> None:
        """On lock: the previews show workspace content, so they go."""
        for preview in self.findChildren(ProductPreview):
            preview.hide()
            preview.close()
