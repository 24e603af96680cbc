"""Review and retention (MoPI): every task and source carries a date by which it must be
reviewed; a review keeps it (retained until a later date, with the reason) or erases it.

- New records get a review date from a period per thematic (``config.Settings
  .review_months``; the built-in defaults when a caller has no settings).
- ``due_for_review`` lists the tasks and sources due on a day, overdue first. A list is not
  a consultation: it shows what the panes already show (reference, title, dates).
- ``set_review_date`` and ``retain`` are alterations with a reason; ``retain`` also writes
  the decision to the task's research log. ``erase`` removes a task or a source for good
  (``tasks.erase_task``, ``sources.erase_source``): the erasure event keeps counts and the
  record's reference, never what it said.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import func, or_, select

from toexdesk.config import DEFAULT_REVIEW_MONTHS
from toexdesk.core.enums import AuditAction, LogKind, Marking, Thematic
from toexdesk.core.errors import FieldError, RecordNotFound, ValidationError
from toexdesk.core.model import (
    Attachment,
    Finding,
    FindingSource,
    ResearchLogEntry,
    Source,
    Task,
    utcnow,
)
from toexdesk.core.services import _common as c
from toexdesk.core.services import research_log
from toexdesk.core.store.engine import Workspace, session_scope

__all__ = [
    "DEFAULT",
    "KINDS",
    "ErasurePlan",
    "ReviewItem",
    "add_months",
    "default_review_date",
    "due_for_review",
    "erase",
    "erasure_plan",
    "resolve_ref",
    "retain",
    "review_date",
    "review_items",
    "set_review_date",
]

KINDS = ("task", "source")


class Default:
    """The type of ``DEFAULT``: "use the review period for the record's thematic"."""

    _instance: Default | None = None

    def __new__(cls) -> Default:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "DEFAULT"


DEFAULT = Default()


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus whole calendar months; the 31st becomes the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def default_review_date(
    thematic: Thematic | str,
    months: Mapping[str, int] | None = None,
    *,
    today: dt.date | None = None,
) -> dt.date:
    """When a record of this thematic, recorded ``today``, is first due for review:
    ``months`` (thematic code → months, e.g. ``settings.review_months``) or the defaults."""
    code = Thematic.parse(thematic).value
    table = DEFAULT_REVIEW_MONTHS if months is None else months
    period = table.get(code, DEFAULT_REVIEW_MONTHS[code])
    return add_months(today or c.today(), int(period))


def review_date(value: object) -> dt.date | None:
    """A review date as given (a date, ``YYYY-MM-DD`` or None for none), checked: a
    ValidationError on the ``review_on`` field otherwise."""
    ck = c.Checker()
    day = ck.date("review_on", value, "Review date")
    ck.done()
    return day


# --- what is due ---------------------------------------------------------------------------
@dataclass(frozen=True)
class ReviewItem:
    """A task or source as the "Due for review" view lists it."""

    kind: str  # "task" or "source"
    id: int
    task_id: int
    reference: str  # "TX-2026-0042" or "TX-2026-0042/S3"
    title: str
    thematic: Thematic
    marking: Marking
    review_on: dt.date | None
    archived: bool

    def days_overdue(self, on: dt.date) -> int:
        """Days past the review date on ``on`` (0 when due that day, negative before)."""
        return (on - self.review_on).days if self.review_on is not None else 0

    def is_overdue(self, on: dt.date) -> bool:
        return self.review_on is not None and self.review_on < on


def _task_item(t: Task) -> ReviewItem:
    archived = t.archived_at is not None
    return ReviewItem(
        "task", t.id, t.id, t.reference, t.title, t.thematic, t.marking, t.review_on, archived
    )


def _source_item(src: Source, task: Task) -> ReviewItem:
    return ReviewItem(
        "source",
        src.id,
        task.id,
        f"{task.reference}/S{src.number}",
        src.title,
        task.thematic,
        src.marking,
        src.review_on,
        src.archived_at is not None or task.archived_at is not None,
    )


def review_items(
    ws: Workspace, *, due_on: dt.date | None = None, include_undated: bool = False
) -> list[ReviewItem]:
    """Tasks and sources with their review dates (archived ones too: they are still held),
    earliest date first. ``due_on``: only those due on or before that day. Records with no
    review date are left out unless ``include_undated`` (then they come first)."""
    with session_scope(ws, write=False) as s:
        task_query = select(Task)
        source_query = select(Source, Task).join(Source.task)
        if due_on is not None:
            task_due = Task.review_on <= due_on
            source_due = Source.review_on <= due_on
            if include_undated:
                task_due = or_(task_due, Task.review_on.is_(None))
                source_due = or_(source_due, Source.review_on.is_(None))
            task_query = task_query.where(task_due)
            source_query = source_query.where(source_due)
        items = [_task_item(t) for t in s.scalars(task_query)]
        items += [_source_item(src, t) for src, t in s.execute(source_query)]
    if not include_undated:
        items = [i for i in items if i.review_on is not None]
    return sorted(items, key=_order)


def _order(item: ReviewItem) -> tuple:
    number = int(item.reference.rpartition("/S")[2]) if item.kind == "source" else 0
    dated = item.review_on is not None
    return (dated, item.review_on or dt.date.min, item.reference.split("/")[0], number)


def due_for_review(
    ws: Workspace, on: dt.date | None = None, *, include_undated: bool = False
) -> list[ReviewItem]:
    """Tasks and sources whose review date is ``on`` (today by default) or earlier."""
    return review_items(ws, due_on=on or c.today(), include_undated=include_undated)


# --- references ----------------------------------------------------------------------------
_REF = re.compile(r"^\s*(TX-\d{4}-\d{4})\s*(?:/\s*S(\d+)\s*)?$", re.IGNORECASE)


def resolve_ref(ws: Workspace, ref: str) -> tuple[str, int]:
    """("task", id) for ``TX-2026-0042``, ("source", id) for ``TX-2026-0042/S3``."""
    found = _REF.match(ref or "")
    if found is None:
        raise RecordNotFound(
            f"{ref.strip()!r} is not a task or source reference (e.g. TX-2026-0042 or "
            "TX-2026-0042/S3)."
        )
    task_ref, number = found.group(1).upper(), found.group(2)
    with session_scope(ws, write=False) as s:
        task_id = s.scalar(select(Task.id).where(Task.reference == task_ref))
        if task_id is None:
            raise RecordNotFound(f"There is no task {task_ref}.")
        if number is None:
            return "task", task_id
        source_id = s.scalar(
            select(Source.id).where(Source.task_id == task_id, Source.number == int(number))
        )
    if source_id is None:
        raise RecordNotFound(f"There is no source {task_ref}/S{int(number)}.")
    return "source", source_id


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise ValidationError(FieldError("kind", f"{kind!r} is not a task or a source."))
    return kind


def _load(s, kind: str, record_id: int) -> tuple[Task | Source, Task, str]:
    if _kind(kind) == "task":
        task = c.fetch(s, Task, record_id, "task")
        return task, task, task.reference
    src = c.fetch(s, Source, record_id, "source")
    return src, src.task, f"{src.task.reference}/S{src.number}"


def _item(obj: Task | Source, task: Task) -> ReviewItem:
    return _task_item(obj) if isinstance(obj, Task) else _source_item(obj, task)


# --- review decisions ----------------------------------------------------------------------
def set_review_date(
    ws: Workspace, kind: str, record_id: int, review_on: dt.date | str | None, reason: str
) -> ReviewItem:
    """Change a task's or source's review date (None: no date), saying why: an alteration."""
    reason = research_log.require_reason(reason, "the review date changes")
    new_date = review_date(review_on)
    with session_scope(ws) as s:
        obj, task, ref = _load(s, kind, record_id)
        if obj.review_on != new_date:
            obj.review_on = new_date
            obj.updated_at = utcnow()
            c.record(
                s,
                ws,
                AuditAction.ALTERATION,
                kind,
                obj.id,
                ref,
                justification=reason,
                details={"fields": ["review_on"]},
            )
        return _item(obj, task)


def retain(
    ws: Workspace, kind: str, record_id: int, until: dt.date | str, reason: str
) -> ReviewItem:
    """Keep a task or source after its review, until ``until`` (its next review date, after
    today), for ``reason``: an alteration, and a decision in the task's research log."""
    reason = research_log.require_reason(reason, "it is being kept")
    ck = c.Checker()
    new_date = ck.date("until", until, "Retain until")
    if new_date is None and not ck.errors:
        ck.fail("until", "Say until when it is kept (its next review date).")
    elif new_date is not None and new_date <= c.today():
        ck.fail("until", "The next review date must be after today.")
    ck.done()
    with session_scope(ws) as s:
        obj, task, ref = _load(s, kind, record_id)
        obj.review_on = new_date
        obj.updated_at = utcnow()
        c.record(
            s,
            ws,
            AuditAction.ALTERATION,
            kind,
            obj.id,
            ref,
            justification=reason,
            details={"fields": ["review_on"], "review": "retained"},
        )
        what = "Task" if kind == "task" else f"Source S{obj.number}"
        research_log.add_entry(
            s,
            ws,
            task,
            LogKind.DECISION,
            detail=f"{what} retained after its review; next review {new_date.isoformat()}.",
            reason=reason,
            automatic=True,
        )
        return _item(obj, task)


# --- erasure -------------------------------------------------------------------------------
@dataclass(frozen=True)
class ErasurePlan:
    """What erasing a task or source removes, for the confirmation (counts only)."""

    kind: str
    id: int
    reference: str
    sources: int  # the sources erased (1 for a source)
    findings: int
    attachments: int
    log_entries: int  # 0 for a source: its task's log stays
    finding_links: int  # citations of the sources by findings that stay (a source)

    def describe(self) -> str:
        """E.g. "Task TX-2026-0042 with its 3 sources, 2 findings, 4 attached files and its
        search text" (counts of nothing are left out)."""

        def n(count: int, word: str, words: str = "") -> str:
            return f"{count} {word if count == 1 else words or word + 's'}"

        if self.kind == "task":
            counts = [
                (self.sources, "source", ""),
                (self.findings, "finding", ""),
                (self.attachments, "attached file", ""),
                (self.log_entries, "research log entry", "research log entries"),
            ]
            parts = [n(*c) for c in counts if c[0]]
            what = f"Task {self.reference}"
        else:
            parts = [n(self.attachments, "attached file")] if self.attachments else []
            if self.finding_links:
                parts.append(f"citation by {n(self.finding_links, 'finding')}")
            what = f"Source {self.reference}"
        if not parts:
            return f"{what} and its search text"
        return f"{what} with its {', '.join(parts)} and its search text"


def erasure_plan(ws: Workspace, kind: str, record_id: int) -> ErasurePlan:
    """Count what erasing this task or source would remove (reads counts only)."""
    with session_scope(ws, write=False) as s:
        obj, task, ref = _load(s, kind, record_id)

        def count(query) -> int:
            return s.scalar(query) or 0

        if kind == "task":
            source_ids = select(Source.id).where(Source.task_id == task.id)
            return ErasurePlan(
                kind,
                task.id,
                ref,
                sources=count(select(func.count()).where(Source.task_id == task.id)),
                findings=count(select(func.count()).where(Finding.task_id == task.id)),
                attachments=count(select(func.count()).where(Attachment.source_id.in_(source_ids))),
                log_entries=count(select(func.count()).where(ResearchLogEntry.task_id == task.id)),
                finding_links=0,
            )
        return ErasurePlan(
            kind,
            obj.id,
            ref,
            sources=1,
            findings=0,
            attachments=count(select(func.count()).where(Attachment.source_id == obj.id)),
            log_entries=0,
            finding_links=count(select(func.count()).where(FindingSource.source_id == obj.id)),
        )


def erase(ws: Workspace, kind: str, record_id: int, reason: str) -> None:
    """Erase a task (with everything under it) or a source, for good, saying why."""
    from toexdesk.core.services import sources, tasks

    if _kind(kind) == "task":
        tasks.erase_task(ws, record_id, justification=reason)
    else:
        sources.erase_source(ws, record_id, justification=reason)
