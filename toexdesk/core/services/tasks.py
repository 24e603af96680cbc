"""Tasks: research requests from a tasker, with their reference, status and marking."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import String, delete, func, select, type_coerce
from sqlalchemy.orm import Session, selectinload

from toexdesk.core.enums import (
    STATUS_TRANSITIONS,
    AuditAction,
    LogKind,
    Marking,
    Priority,
    TaskStatus,
    Thematic,
)
from toexdesk.core.errors import FieldError, RecordNotFound, ValidationError
from toexdesk.core.model import (
    Finding,
    FindingSource,
    ReferenceCounter,
    Source,
    Task,
    utcnow,
)
from toexdesk.core.services import _common as c
from toexdesk.core.services import research_log
from toexdesk.core.services.review import DEFAULT, Default, default_review_date, review_date
from toexdesk.core.store.engine import Workspace, session_scope

DUE_SOON_DAYS = 3


@dataclass(frozen=True)
class TaskDraft:
    title: str
    requester: str
    thematic: Thematic | str
    priority: Priority | str = Priority.P3
    due_date: dt.date | str | None = None
    research_questions: str = ""
    marking: Marking | str = Marking.OFFICIAL
    gaps: str = ""
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class TaskInfo:
    id: int
    uid: str
    reference: str
    title: str
    requester: str
    thematic: Thematic
    priority: Priority
    due_date: dt.date | None
    status: TaskStatus
    research_questions: str
    gaps: str
    marking: Marking
    tags: tuple[str, ...]
    created_at: dt.datetime
    updated_at: dt.datetime
    archived: bool
    source_count: int = 0
    finding_count: int = 0
    review_on: dt.date | None = None  # MoPI retention review date (None: none set)

    def is_overdue(self, today: dt.date) -> bool:
        return self.status.is_open and self.due_date is not None and self.due_date < today

    def is_due_soon(self, today: dt.date) -> bool:
        return (
            self.status.is_open
            and self.due_date is not None
            and today <= self.due_date <= today + dt.timedelta(days=DUE_SOON_DAYS)
        )


EDITABLE = (*tuple(f.name for f in dataclasses.fields(TaskDraft)), "status", "review_on")


def _validate(draft: TaskDraft) -> dict:
    ck = c.Checker()
    values = {
        "title": ck.text("title", draft.title, "Title", max_len=300),
        "requester": ck.text("requester", draft.requester, "Requester", max_len=200),
        "thematic": ck.choice("thematic", Thematic, draft.thematic, "Thematic"),
        "priority": ck.choice("priority", Priority, draft.priority, "Priority"),
        "due_date": ck.date("due_date", draft.due_date, "Due date"),
        "research_questions": ck.text(
            "research_questions",
            draft.research_questions,
            "Research questions",
            max_len=20_000,
            required=False,
        ),
        "marking": ck.choice("marking", Marking, draft.marking, "Protective marking"),
        "gaps": ck.text("gaps", draft.gaps, "Gaps", max_len=20_000, required=False),
    }
    tags = ck.tags("tags", draft.tags)
    ck.done()
    values["tags"] = tags
    return values


def _info(task: Task, sources: int = 0, findings: int = 0) -> TaskInfo:
    return TaskInfo(
        id=task.id,
        uid=task.uid,
        reference=task.reference,
        title=task.title,
        requester=task.requester,
        thematic=task.thematic,
        priority=task.priority,
        due_date=task.due_date,
        status=task.status,
        research_questions=task.research_questions,
        gaps=task.gaps,
        marking=task.marking,
        tags=tuple(sorted(t.name for t in task.tags)),
        created_at=task.created_at,
        updated_at=task.updated_at,
        archived=task.archived_at is not None,
        source_count=sources,
        finding_count=findings,
        review_on=task.review_on,
    )


def _next_reference(s: Session, year: int) -> str:
    counter = s.get(ReferenceCounter, year)
    if counter is None:
        counter = ReferenceCounter(year=year, last=0)
        s.add(counter)
    counter.last += 1
    if counter.last > 9999:
        raise ValidationError(FieldError("reference", f"No task references left for {year}."))
    return f"TX-{year}-{counter.last:04d}"


def create_task(
    ws: Workspace,
    draft: TaskDraft,
    *,
    justification: str = "",
    review_on: dt.date | str | Default | None = DEFAULT,
) -> TaskInfo:
    """Log a new research request; its reference is the next free TX-YYYY-NNNN.

    ``review_on``: its retention review date; by default the built-in period for its
    thematic (callers with settings pass the date the settings give); None: no date."""
    values = _validate(draft)
    tags = values.pop("tags")
    if review_on is DEFAULT:
        review_on = default_review_date(values["thematic"])
    values["review_on"] = review_date(review_on)
    with session_scope(ws) as s:
        task = Task(
            uid=c.new_uid(),
            reference=_next_reference(s, c.today().year),
            status=TaskStatus.NEW,
            tags=c.resolve_tags(s, tags),
            **values,
        )
        s.add(task)
        s.flush()
        c.record(
            s,
            ws,
            AuditAction.COLLECTION,
            "task",
            task.id,
            task.reference,
            justification=justification,
        )
        return _info(task)


def _draft_of(task: Task) -> TaskDraft:
    return TaskDraft(
        title=task.title,
        requester=task.requester,
        thematic=task.thematic,
        priority=task.priority,
        due_date=task.due_date,
        research_questions=task.research_questions,
        marking=task.marking,
        gaps=task.gaps,
        tags=tuple(t.name for t in task.tags),
    )


def update_task(ws: Workspace, task_id: int, *, justification: str = "", **changes) -> TaskInfo:
    """Change some fields (and/or the status, the review date) of a task. Unchanged values
    write nothing. A status change is also written to the task's research log as a
    decision, with the justification as its reason."""
    c.check_unknown(changes, EDITABLE)
    status = changes.pop("status", None)
    review = {"review_on": review_date(changes.pop("review_on"))} if "review_on" in changes else {}
    with session_scope(ws) as s:
        task = c.fetch(s, Task, task_id, "task")
        values = _validate(dataclasses.replace(_draft_of(task), **changes))
        tags = values.pop("tags")
        changed = c.apply(task, values | review)
        if tuple(sorted(t.name for t in task.tags)) != tuple(sorted(tags)):
            task.tags = c.resolve_tags(s, tags)
            changed.append("tags")
        if status is not None:
            ck = c.Checker()
            new_status = ck.choice("status", TaskStatus, status, "Status")
            ck.done()
            if new_status != task.status:
                if new_status not in STATUS_TRANSITIONS[task.status]:
                    raise ValidationError(
                        FieldError(
                            "status",
                            f"A task cannot go from {task.status.label.lower()} to "
                            f"{new_status.label.lower()}.",
                        )
                    )
                research_log.add_entry(
                    s,
                    ws,
                    task,
                    LogKind.DECISION,
                    detail=f"Status changed from {task.status.label.lower()} to "
                    f"{new_status.label.lower()}.",
                    reason=justification.strip(),
                    automatic=True,
                )
                task.status = new_status
                changed.append("status")
        if changed:
            task.updated_at = utcnow()
            c.record(
                s,
                ws,
                AuditAction.ALTERATION,
                "task",
                task.id,
                task.reference,
                justification=justification,
                details={"fields": sorted(changed)},
            )
        return _info(task, *_counts(s, task.id))


def _counts(s: Session, task_id: int, *, include_archived: bool = False) -> tuple[int, int]:
    counts = []
    for model in (Source, Finding):
        query = select(func.count()).where(model.task_id == task_id)
        if not include_archived:
            query = query.where(model.archived_at.is_(None))
        counts.append(s.scalar(query) or 0)
    return counts[0], counts[1]


def get_task(ws: Workspace, task_id: int, *, justification: str = "") -> TaskInfo:
    """Open a task to read it: logged as a consultation."""
    with session_scope(ws) as s:
        task = c.fetch(s, Task, task_id, "task")
        c.record(
            s,
            ws,
            AuditAction.CONSULTATION,
            "task",
            task.id,
            task.reference,
            justification=justification,
        )
        return _info(task, *_counts(s, task.id))


def find_task_id(ws: Workspace, reference: str) -> int:
    """The id of the task with this reference (e.g. TX-2026-0042)."""
    with session_scope(ws, write=False) as s:
        task_id = s.scalar(select(Task.id).where(Task.reference == reference.strip().upper()))
    if task_id is None:
        raise RecordNotFound(f"There is no task {reference.strip()}.")
    return task_id


def list_tasks(ws: Workspace, *, include_archived: bool = False) -> list[TaskInfo]:
    """Tasks as summary rows for a list (not a consultation: no record is opened)."""
    return task_rows(ws, task_ids(ws, include_archived=include_archived))


def archive_task(
    ws: Workspace, task_id: int, *, archived: bool = True, justification: str = ""
) -> TaskInfo:
    """Hide a task from the working lists (or bring it back); nothing is deleted."""
    with session_scope(ws) as s:
        task = c.fetch(s, Task, task_id, "task")
        c.set_archived(s, ws, task, "task", task.reference, archived, justification)
        return _info(task, *_counts(s, task.id))


def erase_task(ws: Workspace, task_id: int, *, justification: str) -> None:
    """Delete a task and everything collected for it, for good (e.g. retention review)."""
    if not justification.strip():
        raise ValidationError(FieldError("justification", "Say why this task is being erased."))
    with session_scope(ws) as s:
        task = c.fetch(s, Task, task_id, "task")
        n_sources, n_findings = _counts(s, task.id, include_archived=True)
        ref = task.reference
        s.execute(delete(Task).where(Task.id == task.id))
        c.record(
            s,
            ws,
            AuditAction.ERASURE,
            "task",
            task_id,
            ref,
            justification=justification,
            details={"sources": n_sources, "findings": n_findings},
        )


def research_marking(ws: Workspace, task_id: int) -> Marking:
    """A research product's marking: the highest of the task, its findings and every source
    they cite."""
    with session_scope(ws, write=False) as s:
        task = c.fetch(s, Task, task_id, "task")
        findings = s.scalars(
            select(Finding.marking).where(Finding.task_id == task_id, Finding.archived_at.is_(None))
        ).all()
        cited = s.scalars(
            select(Source.marking)
            .join(FindingSource, FindingSource.source_id == Source.id)
            .join(Finding, Finding.id == FindingSource.finding_id)
            .where(
                Finding.task_id == task_id,
                Finding.archived_at.is_(None),
                Source.archived_at.is_(None),  # as the citations show them
            )
        ).all()
        return Marking.highest([task.marking, *findings, *cited])


# --- lazy lists ---------------------------------------------------------------------------
# A list pane loads every id first (cheap) and then its rows a page at a time, so a big
# workspace opens at once. Listing is not a consultation: no audit event.
ROWS_PER_QUERY = 500  # well under SQLite's bound-parameter limit


def task_ids(ws: Workspace, *, include_archived: bool = False) -> list[int]:
    """Ids of the tasks a list shows, in reference order (as ``list_tasks``)."""
    with session_scope(ws, write=False) as s:
        query = select(Task.id).order_by(Task.reference)
        if not include_archived:
            query = query.where(Task.archived_at.is_(None))
        return list(s.scalars(query))


def task_rows(ws: Workspace, ids: Sequence[int]) -> list[TaskInfo]:
    """Summary rows for these task ids, in the order given; ids that no longer exist are
    left out. Counts leave out archived sources and findings, as in ``list_tasks``."""
    found: dict[int, TaskInfo] = {}
    with session_scope(ws, write=False) as s:
        for i in range(0, len(ids), ROWS_PER_QUERY):
            chunk = list(ids[i : i + ROWS_PER_QUERY])
            counts: dict[int, list[int]] = {task_id: [0, 0] for task_id in chunk}
            for slot, model in enumerate((Source, Finding)):
                query = (
                    select(model.task_id, func.count())
                    .where(model.task_id.in_(chunk), model.archived_at.is_(None))
                    .group_by(model.task_id)
                )
                for task_id, n in s.execute(query):
                    counts[task_id][slot] = n
            query = select(Task).where(Task.id.in_(chunk)).options(selectinload(Task.tags))
            for task in s.scalars(query):
                found[task.id] = _info(task, *counts[task.id])
    return [found[task_id] for task_id in ids if task_id in found]


# --- sort and filter keys -----------------------------------------------------------------
# Sorting and filtering the task list needs a few short columns of every task: not the
# research questions, gaps, tags or counts (which cost more queries). One query reads them
# for any number of ids (bound as one JSON array: no bound-parameter limit). Listing is not
# a consultation: no audit event.


@dataclass(frozen=True, slots=True)
class TaskKey:
    """A task as a list sorts and filters it: ``TaskInfo`` without its long text, tags,
    timestamps and counts. The overdue and due-soon rules are TaskInfo's own."""

    id: int
    reference: str
    title: str
    requester: str
    thematic: Thematic
    priority: Priority
    due_date: dt.date | None
    status: TaskStatus
    marking: Marking

    is_overdue = TaskInfo.is_overdue
    is_due_soon = TaskInfo.is_due_soon

    @classmethod
    def of(cls, info: TaskInfo | TaskKey) -> TaskKey:
        """The key of a task read in full (a key is returned as it is)."""
        if isinstance(info, cls):
            return info
        return cls(**{f.name: getattr(info, f.name) for f in dataclasses.fields(cls)})


def task_keys(ws: Workspace, ids: Sequence[int]) -> list[TaskKey]:
    """Sort and filter keys for these task ids, in the order given; ids that no longer
    exist are left out."""
    if not ids:
        return []
    # Coded columns as stored codes, looked up here (cheaper than an Enum call per value).
    thematic, priority, status, marking = (
        {member.value: member for member in enum_cls}
        for enum_cls in (Thematic, Priority, TaskStatus, Marking)
    )
    values = func.json_each(json.dumps([int(i) for i in ids])).table_valued("value")
    query = select(
        Task.id,
        Task.reference,
        Task.title,
        Task.requester,
        type_coerce(Task.thematic, String),
        type_coerce(Task.priority, String),
        Task.due_date,
        type_coerce(Task.status, String),
        type_coerce(Task.marking, String),
    ).where(Task.id.in_(select(values.c.value).scalar_subquery()))
    with session_scope(ws, write=False) as s:
        rows = s.connection().execute(query).all()  # plain rows: no ORM machinery per row
    found = {
        task_id: TaskKey(
            task_id, ref, title, requester, thematic[th], priority[p], due, status[st], marking[m]
        )
        for task_id, ref, title, requester, th, p, due, st, m in rows
    }
    return [found[task_id] for task_id in ids if task_id in found]
