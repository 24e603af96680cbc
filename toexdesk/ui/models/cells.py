"""How a pane's table shows its rows: each cell's text for each role through the pane's
columns, the header, and the flags. Subclasses say what the rows are (``rowCount``,
``id_at``, ``sort_key``, ``row_info``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QStyle

from toexdesk.ui.models.columns import Column

SORT_ROLE = Qt.ItemDataRole.UserRole
ID_ROLE = Qt.ItemDataRole.UserRole + 1
_Index = QModelIndex | QPersistentModelIndex


class ColumnTableModel(QAbstractTableModel):
    """A table whose columns are ``Column`` specs over each row's info dataclass."""

    columns: Sequence[Column] = ()

    def __init__(self, columns: Sequence[Column] | None = None, parent: QObject | None = None):
        super().__init__(parent)
        if columns is not None:
            self.columns = tuple(columns)
        self._icons: dict[QStyle.StandardPixmap, QIcon] = {}

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() else len(self.columns)

    def id_at(self, row: int) -> int:
        raise NotImplementedError

    def sort_key(self, row: int, column: int) -> Any:
        raise NotImplementedError

    def row_info(self, row: int) -> Any | None:
        """The info dataclass of a row; None if it no longer exists."""
        raise NotImplementedError

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= self.rowCount():
            return None
        column = self.columns[index.column()]
        if role == SORT_ROLE:
            return self.sort_key(index.row(), index.column())
        if role == ID_ROLE:
            return self.id_at(index.row())
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if column.numeric:
                return Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
            return None
        if role not in _INFO_ROLES:
            return None
        info = self.row_info(index.row())
        if info is None:
            gone = "(no longer in the workspace)"
            if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
                return gone if index.column() == 0 else ""
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return column.display(info)
        if role == Qt.ItemDataRole.ToolTipRole:
            return column.tooltip(info) if column.tooltip is not None else None
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return column.accessible_of(info)
        if role == Qt.ItemDataRole.DecorationRole and column.icon is not None:
            pixmap = column.icon(info)
            return self._icon(pixmap) if pixmap is not None else None
        return None

    def _icon(self, pixmap: QStyle.StandardPixmap) -> QIcon | None:
        if pixmap not in self._icons:
            app = QApplication.instance()
            if not isinstance(app, QApplication):
                return None  # no widget style without a QApplication
            self._icons[pixmap] = app.style().standardIcon(pixmap)
        return self._icons[pixmap]

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.columns):
            column = self.columns[section]
            if role == Qt.ItemDataRole.DisplayRole:
                return column.header
            if role == Qt.ItemDataRole.ToolTipRole:
                return column.header_tooltip or None
            if role == Qt.ItemDataRole.AccessibleTextRole:
                return column.header_tooltip or column.header
            return None
        return super().headerData(section, orientation, role)

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (
            Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemNeverHasChildren
        )

    def column_index(self, key: str) -> int:
        return next(i for i, col in enumerate(self.columns) if col.key == key)


_INFO_ROLES = frozenset(
    {
        Qt.ItemDataRole.DisplayRole,
        Qt.ItemDataRole.ToolTipRole,
        Qt.ItemDataRole.AccessibleTextRole,
        Qt.ItemDataRole.DecorationRole,
    }
)
