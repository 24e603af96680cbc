"""Full-text search across tasks, sources, findings, entities and attachments' text.

Searching is not a consultation: a hit list shows labels, titles and short snippets the
researcher already holds in this workspace, and recording every hit would bury the audit
trail in noise. Opening a hit is: the record's own service (``get_source``,
``attachment_text``…) writes the consultation event as it always does. So ``search``
writes no audit event; ``rebuild_search_index`` (a repair) records an alteration of the
workspace."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from toexdesk.core.enums import AuditAction
from toexdesk.core.services import _common as c
from toexdesk.core.store import search as index
from toexdesk.core.store import search_index
from toexdesk.core.store.engine import Workspace, session_scope
from toexdesk.core.store.search import GradingFilter, RecordType, SearchHit

__all__ = ["GradingFilter", "RecordType", "SearchHit", "rebuild_search_index", "search"]


def search(
    ws: Workspace,
    query: str,
    *,
    record_types: Collection[RecordType | str] | None = None,
    task_id: int | None = None,
    grading: GradingFilter | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    limit: int = 50,
    include_archived: bool = False,
) -> list[SearchHit]:
    """Ranked hits (best first) with highlighted snippets; [] for a query with no words.

    ``query``: words (all must match; the last one also as the start of a word) and
    "quoted phrases"; nothing else is syntax. ``record_types``: keep these kinds only.
    ``task_id``: that task and its sources, findings and attachments (entities belong to no
    task). ``grading``: sources with these 3x5x2 codes, and their attachments.
    ``date_from``/``date_to`` (inclusive): when a source or file was obtained, else when the
    record was made. Archived records, and everything of an archived task or source, are
    left out unless ``include_archived``."""
    with session_scope(ws, write=False) as s:
        return index.run_search(
            s.connection(),
            query,
            record_types=record_types,
            task_id=task_id,
            grading=grading,
            date_from=date_from,
            date_to=date_to,
            limit=limit,
            include_archived=include_archived,
        )


def rebuild_search_index(ws: Workspace, *, justification: str = "") -> int:
    """Index every record again from scratch (a repair; the index normally keeps itself up
    to date). Returns the number of index rows. One transaction: all or nothing."""
    with session_scope(ws) as s:
        rows = search_index.rebuild(s.connection())
        c.record(
            s,
            ws,
            AuditAction.ALTERATION,
            "workspace",
            1,
            ws.path.name,
            justification=justification,
            details={"event": "search index rebuilt", "rows": rows},
        )
    return rows
