"""Dragging sources onto findings: what a drag carries, and asking how a source is cited.

A drag carries the workspace file it came from and (task id, source id) pairs, never any
record text, so dropping into another application (or another workspace) yields nothing
that could leak."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QMimeData, QPoint
from PySide6.QtWidgets import QMenu, QWidget

from toexdesk.core.enums import LinkRelation

SOURCES_MIME = "application/x-toexdesk-sources"

RELATION_TIPS = {
    LinkRelation.SUPPORTS: "The source supports the finding",
    LinkRelation.CONTRADICTS: "The source contradicts the finding",
    LinkRelation.CONTEXT: "The source gives context to the finding",
}


def sources_mime(workspace: Path, pairs: Sequence[tuple[int, int]]) -> QMimeData:
    mime = QMimeData()
    payload = {"workspace": str(workspace), "sources": [list(p) for p in pairs]}
    mime.setData(SOURCES_MIME, json.dumps(payload).encode("utf-8"))
    return mime


def dropped_sources(mime: QMimeData, workspace: Path) -> list[tuple[int, int]] | None:
    """The (task id, source id) pairs of a drag from this workspace; None for anything
    else (another workspace, another application, a damaged payload)."""
    if not mime.hasFormat(SOURCES_MIME):
        return None
    try:
        payload = json.loads(bytes(mime.data(SOURCES_MIME)).decode("utf-8"))
        if payload["workspace"] != str(workspace):
            return None
        return [(int(task), int(source)) for task, source in payload["sources"]]
    except (ValueError, KeyError, TypeError):
        return None


def ask_relation(parent: QWidget, at: QPoint, count: int) -> LinkRelation | None:
    """A small menu where the drop happened: cite as supports / contradicts / context."""
    menu = QMenu(parent)
    menu.setAccessibleName("Cite as")
    what = "this source" if count == 1 else f"these {count} sources"
    menu.setTitle(f"Cite {what} as")
    header = menu.addAction(f"Cite {what} as:")
    header.setEnabled(False)
    for relation in LinkRelation:
        action = menu.addAction(f"&{relation.label}")
        action.setData(relation.value)
        action.setToolTip(RELATION_TIPS[relation])
    menu.setActiveAction(menu.actions()[1])
    chosen = menu.exec(at)
    return LinkRelation.parse(chosen.data()) if chosen is not None and chosen.data() else None
