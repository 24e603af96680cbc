"""A task's research log: the searches run (written automatically), the systems checked
(entered by the researcher, nil returns included) and the decisions taken, with reasons.

The log is append-only: the database refuses to change or delete an entry while its task
exists (triggers of migration 0003), so nothing here edits one; a mistake is put right by a
later entry. Erasing the task erases its log with it.

The query text of a search is kept: a research log must show what was searched. It lives in
the encrypted workspace only; the audit event of an entry says what kind of entry was added,
never what it says."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from toexdesk.core.enums import AuditAction, CheckOutcome, LogKind
from toexdesk.core.errors import FieldError, ValidationError
from toexdesk.core.model import ResearchLogEntry, Task, utcnow
from toexdesk.core.services import _common as c
from toexdesk.core.store.engine import Workspace, session_scope

__all__ = [
    "WORKSPACE_SEARCH",
    "LogEntryInfo",
    "add_entry",
    "list_log",
    "log_check",
    "log_decision",
    "log_search",
]

WORKSPACE_SEARCH = "TOEX Desk workspace search"
MAX_SYSTEM, MAX_DETAIL, MAX_REASON = 300, 20_000, 20_000


@dataclass(frozen=True)
class LogEntryInfo:
    """One line of a research log, as the log view, the appendix and the schedule show it."""

    id: int
    uid: str
    task_id: int
    at: dt.datetime  # UTC
    analyst: str
    kind: LogKind
    system: str
    detail: str
    outcome: CheckOutcome | None
    reason: str
    automatic: bool

    @property
    def is_nil_return(self) -> bool:
        return self.outcome is CheckOutcome.NIL_RETURN

    @property
    def summary(self) -> str:
        """One line saying what the entry records, e.g. ``PNC: Fenwick, Dale — Nil return``."""
        if self.kind is LogKind.DECISION:
            return self.detail
        what = f"{self.system}: {self.detail}" if self.system else self.detail
        return f"{what} — {self.outcome.label}" if self.outcome is not None else what


def _info(entry: ResearchLogEntry) -> LogEntryInfo:
    return LogEntryInfo(
        id=entry.id,
        uid=entry.uid,
        task_id=entry.task_id,
        at=entry.at,
        analyst=entry.analyst,
        kind=entry.kind,
        system=entry.system,
        detail=entry.detail,
        outcome=entry.outcome,
        reason=entry.reason,
        automatic=entry.automatic,
    )


def add_entry(
    s: Session,
    ws: Workspace,
    task: Task,
    kind: LogKind,
    *,
    system: str = "",
    detail: str = "",
    outcome: CheckOutcome | None = None,
    reason: str = "",
    automatic: bool = False,
) -> ResearchLogEntry:
    """Add an entry to ``task``'s log inside the caller's unit of work, with its collection
    event (for services that log as part of something else, e.g. a status change)."""
    entry = ResearchLogEntry(
        uid=c.new_uid(),
        task_id=task.id,
        at=utcnow(),
        analyst=ws.analyst,
        kind=kind,
        system=system,
        detail=detail,
        outcome=outcome,
        reason=reason,
        automatic=automatic,
    )
    s.add(entry)
    s.flush()
    details: dict = {"kind": kind.value, "automatic": automatic}
    if outcome is not None:
        details["outcome"] = outcome.value
    c.record(
        s,
        ws,
        AuditAction.COLLECTION,
        "research_log",
        entry.id,
        f"{task.reference}/log",
        details=details,
    )
    return entry


def _write(ws: Workspace, task_id: int, kind: LogKind, **values) -> LogEntryInfo:
    with session_scope(ws) as s:
        task = c.fetch(s, Task, task_id, "task")
        return _info(add_entry(s, ws, task, kind, **values))


def log_search(
    ws: Workspace,
    task_id: int,
    query: str,
    *,
    hits: int,
    filters: str = "",
    system: str = WORKSPACE_SEARCH,
) -> LogEntryInfo:
    """Record a search run for a task (written automatically): the query as typed, the
    filters in words and how many matches it gave (none is a nil return)."""
    ck = c.Checker()
    query = ck.text("query", query, "Search", max_len=MAX_DETAIL)
    system = ck.text("system", system, "System", max_len=MAX_SYSTEM)
    filters = ck.text("filters", filters, "Filters", max_len=2_000, required=False)
    ck.done()
    notes = f"{hits} match{'es' if hits != 1 else ''}"
    if filters:
        notes += f" · {filters}"
    return _write(
        ws,
        task_id,
        LogKind.SEARCH,
        system=system,
        detail=query,
        outcome=CheckOutcome.FOUND if hits else CheckOutcome.NIL_RETURN,
        reason=notes,
        automatic=True,
    )


def log_check(
    ws: Workspace,
    task_id: int,
    system: str,
    detail: str,
    outcome: CheckOutcome | str,
    reason: str = "",
) -> LogEntryInfo:
    """Record a system or place checked by the researcher and what it gave, a nil return
    included: ``system`` (e.g. "PNC"), ``detail`` (what was searched there)."""
    ck = c.Checker()
    system = ck.text("system", system, "System checked", max_len=MAX_SYSTEM)
    detail = ck.text("detail", detail, "What was searched", max_len=MAX_DETAIL)
    parsed = ck.choice("outcome", CheckOutcome, outcome, "Outcome")
    reason = ck.text("reason", reason, "Notes", max_len=MAX_REASON, required=False)
    ck.done()
    return _write(
        ws,
        task_id,
        LogKind.SYSTEM_CHECK,
        system=system,
        detail=detail,
        outcome=parsed,
        reason=reason,
    )


def log_decision(ws: Workspace, task_id: int, decision: str, reason: str) -> LogEntryInfo:
    """Record a research decision and why it was taken (the reason is required)."""
    ck = c.Checker()
    decision = ck.text("decision", decision, "Decision", max_len=MAX_DETAIL)
    reason = ck.text("reason", reason, "Reason", max_len=MAX_REASON)
    ck.done()
    return _write(ws, task_id, LogKind.DECISION, detail=decision, reason=reason)


def entries(s: Session, task_id: int) -> list[LogEntryInfo]:
    """The task's log in the order written, inside the caller's unit of work (no event)."""
    query = (
        select(ResearchLogEntry)
        .where(ResearchLogEntry.task_id == task_id)
        .order_by(ResearchLogEntry.at, ResearchLogEntry.id)
    )
    return [_info(e) for e in s.scalars(query)]


def list_log(ws: Workspace, task_id: int, *, justification: str = "") -> list[LogEntryInfo]:
    """Read a task's research log, oldest first: a consultation of the task."""
    with session_scope(ws) as s:
        task = c.fetch(s, Task, task_id, "task")
        found = entries(s, task.id)
        c.record(
            s,
            ws,
            AuditAction.CONSULTATION,
            "task",
            task.id,
            task.reference,
            justification=justification,
            details={"read": "research log", "entries": len(found)},
        )
    return found


def require_reason(reason: str, what: str) -> str:
    """``reason`` stripped; a ValidationError saying so when it is blank."""
    if not isinstance(reason, str) or not reason.strip():
        raise ValidationError(FieldError("reason", f"Say why {what}."))
    return reason.strip()
