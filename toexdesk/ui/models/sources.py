"""The source pane's table: reference, title, type, 3x5x2 grading (e.g. 1/B/P), marking,
date obtained, attachments. Sources of the selected task, or of every task.

Sorting and filtering read ``SourceKey`` records (``sources.source_keys``), not whole
sources: the columns' ``display`` and ``sort_key`` read only attributes both have."""

from __future__ import annotations

from toexdesk.core.services import sources as source_svc
from toexdesk.core.services.sources import SourceInfo, SourceKey
from toexdesk.core.store.engine import Workspace
from toexdesk.ui.models.columns import Column, date_key, date_text, plain_tooltip
from toexdesk.ui.models.scoped import TaskScopedTableModel


def grading_text(src: SourceInfo) -> str:
    """The 3x5x2 grading in the official words, one part a line (and any conditions)."""
    lines = [
        f"3x5x2 grading {src.grading}",
        f"Source evaluation {src.evaluation.code}: {src.evaluation.label}",
        f"Intelligence assessment {src.assessment.code}: {src.assessment.label}",
        f"Handling code {src.handling.code}: {src.handling.label}",
    ]
    if src.handling_conditions:
        lines.append(f"Conditions: {src.handling_conditions}")
    return "\n".join(lines)


def _grading_accessible(src: SourceInfo) -> str:
    return (
        f"Grading {src.grading}: {src.evaluation.label}; {src.assessment.label}; "
        f"{src.handling.label}"
    )


def _attachments(src: SourceInfo) -> str:
    n = src.attachment_count
    return "No attachments" if n == 0 else "1 attachment" if n == 1 else f"{n} attachments"


COLUMNS = (
    Column(
        "reference",
        "Ref.",
        lambda s: f"{s.task_reference}/{s.label}",
        # Numbers sort as numbers: S9 before S10.
        sort_key=lambda s: f"{s.task_reference}/{s.number:09d}",
        header_tooltip="Task reference and source number",
    ),
    Column("title", "Title", lambda s: s.title, tooltip=lambda s: plain_tooltip(s.title)),
    Column("type", "Type", lambda s: s.source_type.label, header_tooltip="Source type"),
    Column(
        "grading",
        "Grading",
        lambda s: s.grading,
        sort_key=lambda s: s.grading,
        tooltip=lambda s: plain_tooltip(grading_text(s)),
        accessible=_grading_accessible,
        header_tooltip=(
            "3x5x2 grading: source evaluation (1–3) / intelligence assessment (A–E) / "
            "handling code (P or C)"
        ),
    ),
    Column(
        "marking",
        "Marking",
        lambda s: s.marking.label,
        sort_key=lambda s: s.marking.rank,
        header_tooltip="Government Security Classification",
    ),
    Column(
        "obtained",
        "Obtained",
        lambda s: date_text(s.obtained_on),
        sort_key=lambda s: date_key(s.obtained_on),
        accessible=lambda s: f"Date obtained: {date_text(s.obtained_on) or 'not recorded'}",
        header_tooltip="Date obtained",
    ),
    Column(
        "attachments",
        "Attachments",
        lambda s: str(s.attachment_count),
        sort_key=lambda s: s.attachment_count,
        tooltip=_attachments,
        accessible=_attachments,
        numeric=True,
    ),
)


class SourceTableModel(TaskScopedTableModel):
    """Sources of one task (or every task when ``task_id`` is None), in task reference then
    number order."""

    columns = COLUMNS

    def _list_ids(self, ws: Workspace, task_id: int | None, include_archived: bool) -> list[int]:
        return source_svc.list_source_ids(ws, task_id, include_archived=include_archived)

    def _read_rows(self, ws: Workspace, ids: list[int]) -> list[SourceInfo]:
        return source_svc.source_rows(ws, ids)

    def _read_keys(self, ws: Workspace, ids: list[int]) -> list[SourceKey]:
        return source_svc.source_keys(ws, ids)
