"""What every pane has: a title, a quick filter box and one table over a lazy model."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from toexdesk.ui.models import LazyTableModel, PaneProxy


class Pane(QWidget):
    """A titled table with a quick filter. ``selected`` carries the id of the current row
    (or None)."""

    selected = Signal(object)
    table_class: type[QTableView] = QTableView  # panes that take drops use a subclass

    def __init__(
        self, title: str, model: LazyTableModel, proxy: PaneProxy, parent: QWidget | None = None
    ):
        super().__init__(parent)
        self.model, self.proxy = model, proxy
        proxy.setSourceModel(model)
        self.title = QLabel(f"<b>{title}</b>")
        self.count = QLabel()
        self.count.setAccessibleName(f"{title} count")
        self.filter = QLineEdit()
        self.filter.setPlaceholderText(f"Filter {title.lower()}…")
        self.filter.setAccessibleName(f"Filter {title.lower()}")
        self.filter.setToolTip("Show only rows containing this text (any column)")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._filter_changed)
        self.table = self.table_class()
        self.table.setObjectName(f"{title.lower()}-table")
        self.table.setAccessibleName(title)
        self.table.setModel(proxy)
        # Enabling sorting sorts at once by the indicator, which Qt starts at column 0: that
        # would fetch every row (10 k sources: ~0.7 s). Start unsorted instead.
        self.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setTabKeyNavigation(False)  # Tab leaves the table; arrows move in it
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        for signal in (
            proxy.rowsInserted,
            proxy.rowsRemoved,
            proxy.modelReset,
            proxy.layoutChanged,
        ):
            signal.connect(self._update_count)
        model.busy_changed.connect(self._update_count)  # "Sorting…" while a big pane sorts
        model.busy_changed.connect(self._select_pending)
        self._pending: int | None = None  # a record to select once a background reload ends
        head = QHBoxLayout()
        head.addWidget(self.title)
        head.addWidget(self.count)
        head.addStretch()
        self.tools = head  # panes add their own controls here
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(head)
        layout.addWidget(self.filter)
        layout.addWidget(self.table)
        self._update_count()

    def _filter_changed(self, text: str) -> None:
        self.proxy.set_quick_filter(text)
        self._update_count()

    def _update_count(self, *_args) -> None:
        if self.model.busy:  # the rows follow from the background
            self.count.setText(self.model.busy)
            return
        total = self.model.total
        shown = self.proxy.rowCount()
        if self.proxy.is_filtering():
            self.count.setText(f"{shown:,} of {total:,}")
        else:
            self.count.setText(f"{total:,}")

    def _current_changed(self, current, _previous) -> None:
        self.selected.emit(self.proxy.id_at(current.row()) if current.isValid() else None)

    def current_id(self) -> int | None:
        index = self.table.currentIndex()
        return self.proxy.id_at(index.row()) if index.isValid() else None

    def select_id(self, record_id: int) -> bool:
        """Select a record's row; if a big pane is still reloading in the background,
        select it when the reload ends. False if it is not (or not yet) shown."""
        ids = self.proxy.ids()
        if record_id in ids:
            self._pending = None
            self.table.selectRow(ids.index(record_id))
            return True
        self._pending = record_id if self.model.busy else None
        return False

    def _select_pending(self, busy: str) -> None:
        if not busy and self._pending is not None:
            self.select_id(self._pending)

    def select_first(self) -> None:
        if self.proxy.rowCount():
            self.table.selectRow(0)

    WIDE_COLUMNS = ("title", "text")  # the free text gets the room; the rest stay compact

    def fit_columns(self) -> None:
        self.table.resizeColumnsToContents()
        for column, spec in enumerate(self.model.columns):
            em = self.table.fontMetrics().averageCharWidth()  # grows with the system font
            cap = em * (56 if spec.key in self.WIDE_COLUMNS else 30)
            self.table.setColumnWidth(column, min(self.table.columnWidth(column), cap))
