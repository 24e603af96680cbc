"""Sources: where information came from, graded on the 3x5x2 model."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import String, delete, func, select, type_coerce
from sqlalchemy.orm import Session, contains_eager, selectinload

from toexdesk.core.enums import (
    AuditAction,
    HandlingCode,
    IntelligenceAssessment,
    LogKind,
    Marking,
    SourceEvaluation,
    SourceType,
    grading_code,
)
from toexdesk.core.errors import FieldError, ValidationError
from toexdesk.core.model import Attachment, Blob, FindingSource, Source, Task, utcnow
from toexdesk.core.services import _common as c
from toexdesk.core.services import research_log
from toexdesk.core.services.review import DEFAULT, Default, default_review_date, review_date
from toexdesk.core.store.engine import Workspace, session_scope


@dataclass(frozen=True)
class SourceDraft:
    title: str
    source_type: SourceType | str
    evaluation: SourceEvaluation | str
    assessment: IntelligenceAssessment | str
    handling: HandlingCode | str
    handling_conditions: str = ""
    description: str = ""
    reference: str = ""
    obtained_on: dt.date | str | None = None
    marking: Marking | str = Marking.OFFICIAL
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class SourceInfo:
    id: int
    uid: str
    task_id: int
    task_reference: str
    number: int
    title: str
    source_type: SourceType
    description: str
    reference: str
    obtained_on: dt.date | None
    evaluation: SourceEvaluation
    assessment: IntelligenceAssessment
    handling: HandlingCode
    handling_conditions: str
    marking: Marking
    tags: tuple[str, ...]
    created_at: dt.datetime
    updated_at: dt.datetime
    archived: bool
    attachment_count: int = 0
    review_on: dt.date | None = None  # MoPI retention review date (None: none set)

    @property
    def label(self) -> str:
        return f"S{self.number}"

    @property
    def grading(self) -> str:
        return grading_code(self.evaluation, self.assessment, self.handling)


EDITABLE = tuple(f.name for f in dataclasses.fields(SourceDraft))
UPDATABLE = (*EDITABLE, "review_on")


def _validate(draft: SourceDraft) -> dict:
    ck = c.Checker()
    values = {
        "title": ck.text("title", draft.title, "Title", max_len=300),
        "source_type": ck.choice("source_type", SourceType, draft.source_type, "Source type"),
        "evaluation": ck.choice(
            "evaluation", SourceEvaluation, draft.evaluation, "Source evaluation"
        ),
        "assessment": ck.choice(
            "assessment", IntelligenceAssessment, draft.assessment, "Intelligence assessment"
        ),
        "handling": ck.choice("handling", HandlingCode, draft.handling, "Handling code"),
        "handling_conditions": ck.text(
            "handling_conditions",
            draft.handling_conditions,
            "Handling conditions",
            max_len=5_000,
            required=False,
        ),
        "description": ck.text(
            "description", draft.description, "Description", max_len=100_000, required=False
        ),
        "reference": ck.text(
            "reference", draft.reference, "Reference", max_len=2_000, required=False
        ),
        "obtained_on": ck.date("obtained_on", draft.obtained_on, "Date obtained", not_future=True),
        "marking": ck.choice("marking", Marking, draft.marking, "Protective marking"),
    }
    if values["handling"] is HandlingCode.C and not values["handling_conditions"]:
        ck.fail(
            "handling_conditions",
            "Handling code C needs conditions: say who may receive it and on what terms.",
        )
    if values["handling"] is HandlingCode.P and values["handling_conditions"]:
        ck.fail(
            "handling_conditions",
            "Handling conditions go with handling code C; clear them or choose C.",
        )
    tags = ck.tags("tags", draft.tags)
    ck.done()
    values["tags"] = tags
    return values


def _info(src: Source, attachments: int = 0) -> SourceInfo:
    return SourceInfo(
        id=src.id,
        uid=src.uid,
        task_id=src.task_id,
        task_reference=src.task.reference,
        number=src.number,
        title=src.title,
        source_type=src.source_type,
        description=src.description,
        reference=src.reference,
        obtained_on=src.obtained_on,
        evaluation=src.evaluation,
        assessment=src.assessment,
        handling=src.handling,
        handling_conditions=src.handling_conditions,
        marking=src.marking,
        tags=tuple(sorted(t.name for t in src.tags)),
        created_at=src.created_at,
        updated_at=src.updated_at,
        archived=src.archived_at is not None,
        attachment_count=attachments,
        review_on=src.review_on,
    )


def _new(
    s: Session, task: Task, values: dict, review_on: dt.date | str | Default | None = DEFAULT
) -> Source:
    tags = values.pop("tags")
    if review_on is DEFAULT:  # the built-in period for the task's thematic
        review_on = default_review_date(task.thematic)
    task.last_source_number += 1
    src = Source(
        uid=c.new_uid(),
        task=task,
        number=task.last_source_number,
        tags=c.resolve_tags(s, tags),
        review_on=review_on,
        **values,
    )
    s.add(src)
    return src


def _collected(s: Session, ws: Workspace, src: Source, justification: str) -> None:
    ref = f"{src.task.reference}/S{src.number}"
    c.record(s, ws, AuditAction.COLLECTION, "source", src.id, ref, justification=justification)


def create_source(
    ws: Workspace,
    task_id: int,
    draft: SourceDraft,
    *,
    justification: str = "",
    review_on: dt.date | str | Default | None = DEFAULT,
) -> SourceInfo:
    """Record a graded source for a task; it is numbered S1, S2… within the task.

    ``review_on``: its retention review date; by default the built-in period for the task's
    thematic (callers with settings pass the date the settings give); None: no date."""
    values = _validate(draft)
    if review_on is not DEFAULT:
        review_on = review_date(review_on)
    with session_scope(ws) as s:
        task = c.fetch(s, Task, task_id, "task")
        src = _new(s, task, values, review_on)
        s.flush()
        _collected(s, ws, src, justification)
        return _info(src)


def create_sources(
    ws: Workspace, task_id: int, drafts: Iterable[SourceDraft], *, justification: str = ""
) -> int:
    """Record many sources in one transaction (imports): all of them, or none if any is
    invalid. Each gets its own collection event."""
    validated, problems = [], []
    for row, draft in enumerate(drafts, start=1):
        try:
            validated.append(_validate(draft))
        except ValidationError as exc:
            problems += [FieldError(e.field, f"Source {row}: {e.message}") for e in exc.errors]
    if problems:
        raise ValidationError(problems)
    with session_scope(ws) as s:
        task = c.fetch(s, Task, task_id, "task")
        added = [_new(s, task, values) for values in validated]
        s.flush()  # one batch of INSERTs gives every source its id
        for src in added:
            _collected(s, ws, src, justification)
    return len(validated)


def _draft_of(src: Source) -> SourceDraft:
    return SourceDraft(
        **{name: getattr(src, name) for name in EDITABLE if name != "tags"},
        tags=tuple(t.name for t in src.tags),
    )


def update_source(
    ws: Workspace, source_id: int, *, justification: str = "", **changes
) -> SourceInfo:
    """Change some fields of a source; the whole result is validated (e.g. C needs
    conditions) before anything is written."""
    c.check_unknown(changes, UPDATABLE)
    review = {"review_on": review_date(changes.pop("review_on"))} if "review_on" in changes else {}
    with session_scope(ws) as s:
        src = c.fetch(s, Source, source_id, "source")
        values = _validate(dataclasses.replace(_draft_of(src), **changes))
        tags = values.pop("tags")
        changed = c.apply(src, values | review)
        if sorted(t.name for t in src.tags) != sorted(tags):
            src.tags = c.resolve_tags(s, tags)
            changed.append("tags")
        if changed:
            src.updated_at = utcnow()
            c.record(
                s,
                ws,
                AuditAction.ALTERATION,
                "source",
                src.id,
                f"{src.task.reference}/S{src.number}",
                justification=justification,
                details={"fields": sorted(changed)},
            )
        return _info(src, _attachments(s, src.id))


def _attachments(s: Session, source_id: int) -> int:
    return s.scalar(select(func.count()).where(Attachment.source_id == source_id)) or 0


def get_source(ws: Workspace, source_id: int, *, justification: str = "") -> SourceInfo:
    """Open a source to read it: logged as a consultation."""
    with session_scope(ws) as s:
        src = c.fetch(s, Source, source_id, "source")
        c.record(
            s,
            ws,
            AuditAction.CONSULTATION,
            "source",
            src.id,
            f"{src.task.reference}/S{src.number}",
            justification=justification,
        )
        return _info(src, _attachments(s, src.id))


def list_sources(
    ws: Workspace, task_id: int | None = None, *, include_archived: bool = False
) -> list[SourceInfo]:
    """Sources of one task (or all) as summary rows, in task then number order."""
    return source_rows(ws, list_source_ids(ws, task_id, include_archived=include_archived))


def archive_source(
    ws: Workspace, source_id: int, *, archived: bool = True, justification: str = ""
) -> SourceInfo:
    """Withdraw a source from the working lists (or restore it); nothing is deleted."""
    with session_scope(ws) as s:
        src = c.fetch(s, Source, source_id, "source")
        c.set_archived(
            s, ws, src, "source", f"{src.task.reference}/S{src.number}", archived, justification
        )
        return _info(src, _attachments(s, src.id))


def erase_source(ws: Workspace, source_id: int, *, justification: str) -> None:
    """Delete a source for good (e.g. at its retention review): its attachments and their
    text go with it, and each file's bytes unless another source holds the same file (a
    trigger deletes unused blobs); so do its search index rows, finding links, tags and
    entity mentions. The erasure event keeps counts only, never what the source said, and
    the task's research log records the decision with its reason."""
    reason = research_log.require_reason(justification, "this source is being erased")
    with session_scope(ws) as s:
        src = c.fetch(s, Source, source_id, "source")
        task, label = src.task, f"S{src.number}"
        ref = f"{task.reference}/{label}"
        blob_ids = set(s.scalars(select(Attachment.blob_id).where(Attachment.source_id == src.id)))
        n_links = s.scalar(select(func.count()).where(FindingSource.source_id == src.id)) or 0
        n_attachments = _attachments(s, src.id)
        s.execute(delete(Source).where(Source.id == src.id))
        s.expunge(src)
        gone = sum(1 for blob_id in blob_ids if s.get(Blob, blob_id) is None)
        c.record(
            s,
            ws,
            AuditAction.ERASURE,
            "source",
            source_id,
            ref,
            justification=reason,
            details={"attachments": n_attachments, "files_erased": gone, "finding_links": n_links},
        )
        research_log.add_entry(
            s,
            ws,
            task,
            LogKind.DECISION,
            detail=f"Source {label} erased.",
            reason=reason,
            automatic=True,
        )


# --- lazy lists ---------------------------------------------------------------------------
# A list pane loads every id first (cheap) and then its rows a page at a time, so a
# 100 k-source workspace opens at once. Listing is not a consultation: no audit event.
ROWS_PER_QUERY = 500  # well under SQLite's bound-parameter limit


def list_source_ids(
    ws: Workspace, task_id: int | None = None, *, include_archived: bool = False
) -> list[int]:
    """Ids of the sources of one task (or all), in task reference then number order."""
    with session_scope(ws, write=False) as s:
        query = select(Source.id).join(Source.task).order_by(Task.reference, Source.number)
        if task_id is not None:
            query = query.where(Source.task_id == task_id)
        if not include_archived:
            query = query.where(Source.archived_at.is_(None))
        return list(s.scalars(query))


def source_rows(ws: Workspace, ids: Sequence[int]) -> list[SourceInfo]:
    """Summary rows for these source ids, in the order given; ids that no longer exist are
    left out."""
    found: dict[int, SourceInfo] = {}
    with session_scope(ws, write=False) as s:
        for i in range(0, len(ids), ROWS_PER_QUERY):
            chunk = list(ids[i : i + ROWS_PER_QUERY])
            att = (
                select(Attachment.source_id, func.count().label("n"))
                .where(Attachment.source_id.in_(chunk))
                .group_by(Attachment.source_id)
                .subquery()
            )
            query = (
                select(Source, func.coalesce(att.c.n, 0))
                .join(Source.task)
                .outerjoin(att, att.c.source_id == Source.id)
                .where(Source.id.in_(chunk))
                .options(contains_eager(Source.task), selectinload(Source.tags))
            )
            for src, n in s.execute(query):
                found[src.id] = _info(src, n)
    return [found[source_id] for source_id in ids if source_id in found]


# --- sort and filter keys -----------------------------------------------------------------
# Sorting or quick-filtering a pane needs a few short columns of every row, not whole rows:
# descriptions, conditions and tags are long or cost more queries, and an ORM object per row
# costs more than the row is worth. Two queries (the columns, the attachment counts) read
# the keys of any number of ids: the ids travel as one JSON array (SQLite's json_each), so
# there is no bound-parameter limit to chunk around. Listing is not a consultation: no
# audit event. 100 k sources: about 0.5-1 s (about a third of it SQLCipher's page reads).
KEYS_SCAN_ATTACHMENTS = 5_000  # from this many ids, count every source's attachments at once


@dataclass(frozen=True, slots=True)
class SourceKey:
    """A source as a list sorts and quick-filters it: ``SourceInfo`` without its long text
    (description, reference, conditions), tags and timestamps. ``label`` and ``grading``
    are SourceInfo's own rules, so both give the same text."""

    id: int
    task_reference: str
    number: int
    title: str
    source_type: SourceType
    obtained_on: dt.date | None
    evaluation: SourceEvaluation
    assessment: IntelligenceAssessment
    handling: HandlingCode
    marking: Marking
    attachment_count: int = 0

    label = SourceInfo.label
    grading = SourceInfo.grading


def _json_ids(ids: Sequence[int]):
    """A subquery yielding these ids, bound as one JSON array (SQLite's json_each)."""
    values = func.json_each(json.dumps([int(i) for i in ids])).table_valued("value")
    return select(values.c.value).scalar_subquery()


def source_keys(ws: Workspace, ids: Sequence[int]) -> list[SourceKey]:
    """Sort and filter keys for these source ids, in the order given; ids that no longer
    exist are left out."""
    if not ids:
        return []
    # The coded columns are read as their stored codes and looked up here: an Enum call
    # per value (what the column type does) would be most of the time on 100 k rows.
    coded = (SourceType, SourceEvaluation, IntelligenceAssessment, HandlingCode, Marking)
    lookups = [{member.value: member for member in enum_cls} for enum_cls in coded]
    kind, evaluation, assessment, handling, marking = lookups
    query = (
        select(
            Source.id,
            Task.reference,
            Source.number,
            Source.title,
            type_coerce(Source.source_type, String),
            Source.obtained_on,
            type_coerce(Source.evaluation, String),
            type_coerce(Source.assessment, String),
            type_coerce(Source.handling, String),
            type_coerce(Source.marking, String),
        )
        .join(Source.task)
        .where(Source.id.in_(_json_ids(ids)))
    )
    attachments = select(Attachment.source_id, func.count()).group_by(Attachment.source_id)
    if len(ids) < KEYS_SCAN_ATTACHMENTS:
        attachments = attachments.where(Attachment.source_id.in_(_json_ids(ids)))
    with session_scope(ws, write=False) as s:
        conn = s.connection()  # plain rows: no ORM machinery per row
        counts = dict(conn.execute(attachments).all())
        rows = conn.execute(query).all()
    found = {
        row_id: SourceKey(
            row_id,
            ref,
            number,
            title,
            kind[t],
            obtained,
            evaluation[e],
            assessment[a],
            handling[h],
            marking[m],
            counts.get(row_id, 0),
        )
        for row_id, ref, number, title, t, obtained, e, a, h, m in rows
    }
    return [found[source_id] for source_id in ids if source_id in found]
