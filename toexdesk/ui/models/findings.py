"""The findings pane's table for the selected task: reference, text, PHIA term, linked
sources, marking.

No keys service here: findings belong to one task (hundreds, not 100 k), and the quick
filter searches the finding's text, i.e. most of the record; sorting or filtering a big
task's findings reads them in full, in the background (see ``lazy``)."""

from __future__ import annotations

from toexdesk.core.services import findings as finding_svc
from toexdesk.core.services.findings import FindingInfo
from toexdesk.core.store.engine import Workspace
from toexdesk.ui.models.columns import Column, one_line, plain_tooltip
from toexdesk.ui.models.scoped import TaskScopedTableModel


def phia_text(f: FindingInfo) -> str:
    """The PHIA term with its probability range, e.g. "Likely or probable (≈55–75 %)"."""
    return f"{f.phia.label} ({f.phia.range_text})"


def citations_text(f: FindingInfo) -> str:
    if not f.citations:
        return "Cites no source"
    return "\n".join(f"{c.text} {c.relation.label}: {c.title}" for c in f.citations)


def _linked(f: FindingInfo) -> str:
    n = len(f.citations)
    return "Linked sources: none" if n == 0 else f"Linked sources: {n}"


COLUMNS = (
    Column(
        "reference",
        "No.",
        lambda f: f.label,
        sort_key=lambda f: f.number,
        header_tooltip="Finding number within the task",
    ),
    Column(
        "text",
        "Finding",
        lambda f: one_line(f.text),
        tooltip=lambda f: plain_tooltip(f.text),
        accessible=lambda f: f"Finding: {f.text}",
    ),
    Column(
        "phia",
        "Probability",
        lambda f: f.phia.label,
        sort_key=lambda f: f.phia.low,
        tooltip=phia_text,
        accessible=lambda f: f"Probability: {phia_text(f)}",
        header_tooltip="PHIA probability yardstick",
    ),
    Column(
        "sources",
        "Sources",
        lambda f: str(len(f.citations)),
        sort_key=lambda f: len(f.citations),
        tooltip=lambda f: plain_tooltip(citations_text(f)),
        accessible=_linked,
        header_tooltip="How many sources the finding cites",
        numeric=True,
    ),
    Column(
        "marking",
        "Marking",
        lambda f: f.marking.label,
        sort_key=lambda f: f.marking.rank,
        header_tooltip="Government Security Classification",
    ),
)


class FindingTableModel(TaskScopedTableModel):
    """Findings of one task in report order; no task (None) shows no rows."""

    columns = COLUMNS

    def _list_ids(self, ws: Workspace, task_id: int | None, include_archived: bool) -> list[int]:
        if task_id is None:
            return []
        return finding_svc.finding_ids(ws, task_id, include_archived=include_archived)

    def _read_rows(self, ws: Workspace, ids: list[int]) -> list[FindingInfo]:
        return finding_svc.finding_rows(ws, ids)
