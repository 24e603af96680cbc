"""The finding editor: the statement, its PHIA probability term, its marking and tags, and
the sources it cites with their 3x5x2 gradings and how each is cited.

Sources are added with "Cite sources…" (a picker over the task's sources) or by dragging
them from the Sources pane onto the citation list; the editor is not modal, so the main
window stays usable while it is open. Save writes the finding and its citations in one
transaction (one audit event)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from toexdesk.core.enums import LinkRelation, Marking, Phia
from toexdesk.core.services import findings as finding_svc
from toexdesk.core.services import sources as source_svc
from toexdesk.core.services import workspace as workspace_svc
from toexdesk.core.services.sources import SourceInfo
from toexdesk.core.store.engine import Workspace
from toexdesk.ui.dialogs.editor_base import RecordEditor, combo, select
from toexdesk.ui.dialogs.editors import marking_combo
from toexdesk.ui.dnd import RELATION_TIPS, ask_relation, dropped_sources
from toexdesk.ui.models import PaneProxy, SourceTableModel
from toexdesk.ui.models.sources import grading_text
from toexdesk.ui.panes.base import Pane
from toexdesk.ui.widgets.tags import TagEdit

PHIA_TIP = (
    "Probability on the PHIA yardstick: remote chance ≈0–5 %, highly unlikely ≈10–20 %, "
    "unlikely ≈25–35 %, realistic possibility ≈40–50 %, likely or probable ≈55–75 %, "
    "highly likely ≈80–90 %, almost certain ≈95–100 %"
)


def phia_combo() -> QComboBox:
    return combo(
        "Probability (PHIA yardstick)",
        Phia,
        lambda p: f"{p.label} ({p.range_text})",
        lambda p: f"PHIA yardstick: {p.label} means a probability of {p.range_text}",
    )


def relation_combo(name: str) -> QComboBox:
    return combo(name, LinkRelation, lambda r: r.label, lambda r: RELATION_TIPS[r])


class CitationTable(QTableWidget):
    """The sources a finding cites. Accepts sources dragged from the Sources pane;
    Delete removes the selected citations."""

    COLUMNS = ("Source", "Grading", "Cited as", "Marking")
    dropped = Signal(list, QPoint)  # [(task id, source id)], where (global) it was dropped
    changed = Signal()

    def __init__(self, ws: Workspace, parent: QWidget | None = None):
        super().__init__(0, len(self.COLUMNS), parent)
        self.ws = ws
        self.setHorizontalHeaderLabels(self.COLUMNS)
        self.setAccessibleName("Cited sources")
        self.setToolTip(
            "The sources this finding cites. Drag sources here from the Sources pane, or use "
            "Cite sources…; Delete removes the selected ones."
        )
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setTabKeyNavigation(False)
        self.verticalHeader().hide()
        head = self.horizontalHeader()
        head.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in range(1, len(self.COLUMNS)):
            head.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.setAcceptDrops(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DropOnly)
        self.setMinimumHeight(self.fontMetrics().lineSpacing() * 8)
        self.infos: dict[int, SourceInfo] = {}

    # --- rows ---------------------------------------------------------------------------
    def _row_of(self, source_id: int) -> int:
        for row in range(self.rowCount()):
            if self.item(row, 0).data(Qt.ItemDataRole.UserRole) == source_id:
                return row
        return -1

    def cite(self, info: SourceInfo, relation: LinkRelation) -> None:
        """Add a citation, or change how an already cited source is cited."""
        row = self._row_of(info.id)
        if row < 0:
            row = self.rowCount()
            self.insertRow(row)
            label = QTableWidgetItem(f"{info.label} — {info.title}")
            label.setData(Qt.ItemDataRole.UserRole, info.id)
            label.setToolTip(f"{info.label}: {info.title}")
            grading = QTableWidgetItem(info.grading)
            grading.setToolTip(grading_text(info))
            grading.setData(Qt.ItemDataRole.AccessibleTextRole, f"Grading {info.grading}")
            self.setItem(row, 0, label)
            self.setItem(row, 1, grading)
            self.setItem(row, 3, QTableWidgetItem(info.marking.label))
            box = relation_combo(f"How {info.label} is cited")
            box.currentIndexChanged.connect(lambda _i: self.changed.emit())
            self.setCellWidget(row, 2, box)
        self.infos[info.id] = info
        select(self.cellWidget(row, 2), relation)
        self.changed.emit()

    def links(self) -> list[tuple[int, LinkRelation]]:
        return [
            (
                self.item(row, 0).data(Qt.ItemDataRole.UserRole),
                self.cellWidget(row, 2).currentData(),
            )
            for row in range(self.rowCount())
        ]

    def remove_selected(self) -> None:
        rows = sorted({index.row() for index in self.selectedIndexes()}, reverse=True)
        for row in rows:
            self.infos.pop(self.item(row, 0).data(Qt.ItemDataRole.UserRole), None)
            self.removeRow(row)
        if rows:
            self.changed.emit()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.remove_selected()
            return
        super().keyPressEvent(event)

    # --- drops from the Sources pane ----------------------------------------------------
    def _accepts(self, event) -> bool:
        return dropped_sources(event.mimeData(), self.ws.path) is not None

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._accepts(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if self._accepts(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        pairs = dropped_sources(event.mimeData(), self.ws.path)
        if not pairs:
            event.ignore()
            return
        event.acceptProposedAction()
        self.dropped.emit(pairs, self.viewport().mapToGlobal(event.position().toPoint()))


class SourcePicker(QDialog):
    """Choose some of a task's sources to cite, and how."""

    def __init__(self, ws: Workspace, task_id: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Cite sources")
        em = self.fontMetrics().averageCharWidth()
        self.resize(em * 110, self.fontMetrics().lineSpacing() * 26)
        self.pane = Pane("Sources", SourceTableModel(ws, task_id=task_id), PaneProxy())
        self.pane.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.pane.table.doubleClicked.connect(lambda _index: self.accept())
        self.relation = relation_combo("Cite as")
        self.relation.setToolTip("How the chosen sources bear on the finding")
        relation_label = QLabel("Cite &as:")
        relation_label.setBuddy(self.relation)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Cite")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(relation_label)
        row.addWidget(self.relation)
        row.addStretch()
        row.addWidget(buttons)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Select one or more sources (Ctrl or Shift for several)."))
        layout.addWidget(self.pane)
        layout.addLayout(row)
        self.pane.fit_columns()
        self.pane.filter.setFocus()

    def chosen(self) -> list[SourceInfo]:
        rows = sorted({index.row() for index in self.pane.table.selectionModel().selectedRows()})
        infos = (self.pane.proxy.row_info(row) for row in rows)
        return [info for info in infos if info is not None]


class FindingEditor(RecordEditor):
    def __init__(
        self,
        ws: Workspace,
        task_id: int,
        finding_id: int | None = None,
        parent: QWidget | None = None,
        *,
        cite: Iterable[tuple[int, LinkRelation]] = (),
        marking: Marking = Marking.OFFICIAL,
    ):
        self.ws, self.task_id, self.finding_id = ws, task_id, finding_id
        current = finding_svc.get_finding(ws, finding_id) if finding_id is not None else None
        title = f"Finding {current.task_reference}/{current.label}" if current else "New finding"
        super().__init__(title, parent)
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 125)
        self.text = self.field("text", "&Finding:", self.text_box(lines=5))
        self.text.setToolTip("What the research shows, in one or a few sentences")
        self.phia = self.field("phia", "&Probability:", phia_combo(), PHIA_TIP)
        select(self.phia, Phia.REALISTIC_POSSIBILITY)
        self.marking = self.field("marking", "&Marking:", marking_combo())
        select(self.marking, marking)  # the default for new records (a setting)
        self.tags = self.field("tags", "&Tags:", TagEdit(workspace_svc.tag_names(ws)))
        self.citations = CitationTable(ws)
        self.cite_button = QPushButton("&Cite sources…")
        self.cite_button.setToolTip("Choose sources of this task to cite")
        self.cite_button.clicked.connect(self.pick_sources)
        self.remove_button = QPushButton("&Remove citation")
        self.remove_button.setToolTip("Stop citing the selected sources (Delete)")
        self.remove_button.clicked.connect(self.citations.remove_selected)
        self.product_marking = QLabel()
        self.product_marking.setAccessibleName("Marking of this finding with what it cites")
        self.product_marking.setWordWrap(True)
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.citations)
        buttons = QHBoxLayout()
        buttons.addWidget(self.cite_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch()
        column.addLayout(buttons)
        column.addWidget(self.product_marking)
        self.field("links", "Cited sources:", box)
        self.citations.dropped.connect(self._dropped)
        self.citations.changed.connect(self._show_product_marking)
        self.citations.changed.connect(self._chain_tabs)
        self.marking.currentIndexChanged.connect(self._show_product_marking)
        cited = list(cite)
        if current is not None:
            self.text.setPlainText(current.text)
            select(self.phia, current.phia)
            select(self.marking, current.marking)
            self.tags.set_tags(current.tags)
            cited = [(c.source_id, c.relation) for c in current.citations] + cited
        self._cite_ids(cited)
        self._show_product_marking()

    def _cite_ids(self, pairs: Sequence[tuple[int, LinkRelation]]) -> None:
        infos = {info.id: info for info in source_svc.source_rows(self.ws, [i for i, _ in pairs])}
        for source_id, relation in pairs:
            if source_id in infos:
                self.citations.cite(infos[source_id], relation)

    def extra_state(self) -> tuple:
        return tuple(self.citations.links())

    def cite_sources(self, infos: Iterable[SourceInfo], relation: LinkRelation) -> None:
        """Cite these sources; any from another task are refused with a message."""
        foreign = []
        for info in infos:
            if info.task_id == self.task_id:
                self.citations.cite(info, relation)
            else:
                foreign.append(f"{info.task_reference}/{info.label}")
        label = self.errors["links"]
        if foreign:
            label.show_error(
                f"{', '.join(foreign)} belong to another task; a finding cites only "
                "its own task's sources."
            )
        else:
            label.clear()
        label.setVisible(bool(foreign))

    def pick_sources(self) -> None:
        picker = SourcePicker(self.ws, self.task_id, self)
        if picker.exec() == QDialog.DialogCode.Accepted:
            self.cite_sources(picker.chosen(), picker.relation.currentData())

    def _dropped(self, pairs: list, at: QPoint) -> None:
        if not self.buttons.isEnabled():  # locked
            return
        relation = ask_relation(self, at, len(pairs))
        if relation is not None:
            self.cite_sources(source_svc.source_rows(self.ws, [s for _, s in pairs]), relation)

    def _chain_tabs(self) -> None:
        """Tab goes from the citation list through each row's "cited as" choice, then on to
        the buttons below: the order they are read in."""
        combos = [self.citations.cellWidget(r, 2) for r in range(self.citations.rowCount())]
        chain = [self.citations, *combos, self.cite_button, self.remove_button]
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)

    def _show_product_marking(self, *_args) -> None:
        markings = [self.marking.currentData()] + [
            info.marking for info in self.citations.infos.values()
        ]
        highest = Marking.highest(m for m in markings if m is not None)
        self.product_marking.setText(f"This finding with what it cites: {highest.label}")

    def save(self):
        values = dict(
            text=self.text.toPlainText(),
            phia=self.phia.currentData(),
            marking=self.marking.currentData(),
            tags=self.tags.tags(),
        )
        links = self.citations.links()
        if self.finding_id is None:
            draft = finding_svc.FindingDraft(**values)
            return finding_svc.create_finding(self.ws, self.task_id, draft, links)
        return finding_svc.update_finding(self.ws, self.finding_id, links=links, **values)
