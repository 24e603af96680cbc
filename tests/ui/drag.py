"""Drag events as Qt delivers them at the end of a drag, for tests. PySide6 6.11 builds a
``QDragEnterEvent`` from a ``QPoint`` and 6.12 from a ``QPointF``: both are accepted."""

from __future__ import annotations

from PySide6.QtCore import QMimeData, QPoint, Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent

NO_MODIFIERS = Qt.KeyboardModifier(0)


def enter_event(at: QPoint, actions: Qt.DropAction, mime: QMimeData) -> QDragEnterEvent:
    try:
        return QDragEnterEvent(at, actions, mime, Qt.MouseButton.LeftButton, NO_MODIFIERS)
    except TypeError:
        return QDragEnterEvent(
            at.toPointF(), actions, mime, Qt.MouseButton.LeftButton, NO_MODIFIERS
        )


def drop_event(at: QPoint, actions: Qt.DropAction, mime: QMimeData) -> QDropEvent:
    return QDropEvent(at.toPointF(), actions, mime, Qt.MouseButton.LeftButton, NO_MODIFIERS)
