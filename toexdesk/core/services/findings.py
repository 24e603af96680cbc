"""Findings: statements the researcher can support, with a PHIA term and cited sources."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from toexdesk.core.enums import AuditAction, LinkRelation, Marking, Phia, grading_code
from toexdesk.core.errors import FieldError, ValidationError
from toexdesk.core.model import Finding, FindingSource, Source, Task, utcnow
from toexdesk.core.services import _common as c
from toexdesk.core.store.engine import Workspace, session_scope


@dataclass(frozen=True)
class FindingDraft:
    text: str
    phia: Phia | str
    marking: Marking | str = Marking.OFFICIAL
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Citation:
    """A source as a finding cites it, e.g. ``[S3 · 2/B/P]``."""

    source_id: int
    number: int
    title: str
    grading: str
    relation: LinkRelation
    marking: Marking

    @property
    def label(self) -> str:
        return f"S{self.number}"

    @property
    def text(self) -> str:
        return f"[S{self.number} · {self.grading}]"


@dataclass(frozen=True)
class FindingInfo:
    id: int
    uid: str
    task_id: int
    task_reference: str
    number: int
    position: int
    text: str
    phia: Phia
    marking: Marking
    tags: tuple[str, ...]
    citations: tuple[Citation, ...]
    created_at: dt.datetime
    updated_at: dt.datetime
    archived: bool

    @property
    def label(self) -> str:
        return f"F{self.number}"


EDITABLE = (*tuple(f.name for f in dataclasses.fields(FindingDraft)), "position")
Link = tuple[int, LinkRelation | str]


def _validate(draft: FindingDraft) -> dict:
    ck = c.Checker()
    values = {
        "text": ck.text("text", draft.text, "Finding", max_len=50_000),
        "phia": ck.choice("phia", Phia, draft.phia, "Probability (PHIA)"),
        "marking": ck.choice("marking", Marking, draft.marking, "Protective marking"),
    }
    tags = ck.tags("tags", draft.tags)
    ck.done()
    values["tags"] = tags
    return values


def _info(f: Finding) -> FindingInfo:
    cites = sorted(
        (
            Citation(
                link.source.id,
                link.source.number,
                link.source.title,
                grading_code(link.source.evaluation, link.source.assessment, link.source.handling),
                link.relation,
                link.source.marking,
            )
            for link in f.links
            if link.source.archived_at is None
        ),
        key=lambda ci: ci.number,
    )
    return FindingInfo(
        id=f.id,
        uid=f.uid,
        task_id=f.task_id,
        task_reference=f.task.reference,
        number=f.number,
        position=f.position,
        text=f.text,
        phia=f.phia,
        marking=f.marking,
        tags=tuple(sorted(t.name for t in f.tags)),
        citations=tuple(cites),
        created_at=f.created_at,
        updated_at=f.updated_at,
        archived=f.archived_at is not None,
    )


def _ref(f: Finding) -> str:
    return f"{f.task.reference}/F{f.number}"


def _check_links(
    s: Session, task_id: int, links: Iterable[Link], known: dict[int, Source] | None = None
) -> list[tuple[Source, LinkRelation]]:
    ck = c.Checker()
    out: list[tuple[Source, LinkRelation]] = []
    for source_id, relation in links:
        rel = ck.choice("links", LinkRelation, relation, "Link")
        src = (known or {}).get(source_id) or s.get(Source, source_id)
        if src is None or src.task_id != task_id:
            ck.fail("links", f"Source {source_id} does not belong to this task.")
        elif src.archived_at is not None:
            ck.fail("links", f"S{src.number} is archived; restore it before citing it.")
        elif any(cited is src for cited, _ in out):
            # One link per source (it is the table's key): say so instead of failing on it.
            ck.fail("links", f"S{src.number} is cited twice; cite each source once.")
        elif rel is not None:
            out.append((src, rel))
    ck.done()
    return out


def _new(s: Session, task: Task, values: dict, checked: list[tuple[Source, LinkRelation]]):
    tags = values.pop("tags")
    task.last_finding_number += 1
    f = Finding(
        uid=c.new_uid(),
        task=task,
        number=task.last_finding_number,
        position=task.last_finding_number,
        tags=c.resolve_tags(s, tags),
        **values,
    )
    f.links = [FindingSource(source=src, relation=rel) for src, rel in checked]
    s.add(f)
    return f


def _collected(s: Session, ws: Workspace, f: Finding, justification: str) -> None:
    cites = sorted(f"S{link.source.number}" for link in f.links)
    c.record(
        s,
        ws,
        AuditAction.COLLECTION,
        "finding",
        f.id,
        _ref(f),
        justification=justification,
        details={"cites": cites},
    )


def create_finding(
    ws: Workspace,
    task_id: int,
    draft: FindingDraft,
    links: Iterable[Link] = (),
    *,
    justification: str = "",
) -> FindingInfo:
    """Record a finding for a task, citing its sources (supports / contradicts / context)."""
    values = _validate(draft)
    with session_scope(ws) as s:
        task = c.fetch(s, Task, task_id, "task")
        f = _new(s, task, values, _check_links(s, task.id, links))
        s.flush()
        _collected(s, ws, f, justification)
        return _info(f)


def create_findings(
    ws: Workspace,
    task_id: int,
    items: Iterable[tuple[FindingDraft, Iterable[Link]]],
    *,
    justification: str = "",
) -> int:
    """Record many findings in one transaction (imports, demo data): all of them, or none if
    any is invalid or cites a source of another task. Each gets its own collection event."""
    validated = [(_validate(draft), list(links)) for draft, links in items]
    with session_scope(ws) as s:
        task = c.fetch(s, Task, task_id, "task")
        # Load the cited sources in a few queries, so checking each link needs no SELECT.
        cited = list({source_id for _, links in validated for source_id, _ in links})
        known = {
            src.id: src
            for i in range(0, len(cited), 500)
            for src in s.scalars(select(Source).where(Source.id.in_(cited[i : i + 500])))
        }
        checked = [_check_links(s, task.id, links, known) for _, links in validated]
        added = [
            _new(s, task, values, ch) for (values, _), ch in zip(validated, checked, strict=True)
        ]
        s.flush()  # one batch of INSERTs gives every finding its id
        for f in added:
            _collected(s, ws, f, justification)
    return len(validated)


def update_finding(
    ws: Workspace,
    finding_id: int,
    *,
    links: Iterable[Link] | None = None,
    justification: str = "",
    **changes,
) -> FindingInfo:
    """Change a finding's fields and, when ``links`` is given, replace the set of sources it
    cites (with how each is cited): all in one transaction with one alteration event."""
    c.check_unknown(changes, EDITABLE)
    position = changes.pop("position", None)
    with session_scope(ws) as s:
        f = c.fetch(s, Finding, finding_id, "finding")
        current = FindingDraft(f.text, f.phia, f.marking, tuple(t.name for t in f.tags))
        values = _validate(dataclasses.replace(current, **changes))
        tags = values.pop("tags")
        checked = _check_links(s, f.task_id, links) if links is not None else None
        changed = c.apply(f, values)
        if sorted(t.name for t in f.tags) != sorted(tags):
            f.tags = c.resolve_tags(s, tags)
            changed.append("tags")
        if position is not None and position != f.position:
            if not isinstance(position, int) or position < 0:
                raise ValidationError(FieldError("position", "Position must be 0 or more."))
            f.position = position
            changed.append("position")
        details: dict = {}
        if checked is not None:
            details = _relink(f, checked)
            if details:
                changed.append("links")
        if changed:
            f.updated_at = utcnow()
            s.flush()
            c.record(
                s,
                ws,
                AuditAction.ALTERATION,
                "finding",
                f.id,
                _ref(f),
                justification=justification,
                details={"fields": sorted(changed), **details},
            )
        return _info(f)


def _relink(f: Finding, checked: list[tuple[Source, LinkRelation]]) -> dict:
    """Make the finding cite exactly these sources; say which were added, dropped or
    re-related (by source label, never by content). Citations of archived sources are not
    shown, so they stay as they are: restoring the source restores the citation."""
    wanted = {src.id: (src, rel) for src, rel in checked}
    cites, uncites, related = [], [], []
    for link in list(f.links):
        if link.source_id not in wanted and link.source.archived_at is None:
            uncites.append(f"S{link.source.number}")
            f.links.remove(link)
    have = {link.source_id: link for link in f.links}
    for source_id, (src, rel) in wanted.items():
        link = have.get(source_id)
        if link is None:
            f.links.append(FindingSource(source=src, relation=rel))
            cites.append(f"S{src.number}")
        elif link.relation != rel:
            link.relation = rel
            related.append(f"S{src.number}")
    found = {"cites": cites, "uncites": uncites, "relations": related}
    return {key: sorted(labels) for key, labels in found.items() if labels}


def link_source(
    ws: Workspace,
    finding_id: int,
    source_id: int,
    relation: LinkRelation | str = LinkRelation.SUPPORTS,
    *,
    justification: str = "",
) -> FindingInfo:
    """Cite a source in a finding, or change how it is cited."""
    return link_sources(ws, finding_id, [source_id], relation, justification=justification)


def link_sources(
    ws: Workspace,
    finding_id: int,
    source_ids: Sequence[int],
    relation: LinkRelation | str = LinkRelation.SUPPORTS,
    *,
    justification: str = "",
) -> FindingInfo:
    """Cite several sources in a finding the same way (a drop from the Sources pane): one
    transaction, one event; sources already cited take the new relation."""
    with session_scope(ws) as s:
        f = c.fetch(s, Finding, finding_id, "finding")
        dropped = set(source_ids)
        others = [
            (link.source_id, link.relation)
            for link in f.links
            if link.source.archived_at is None and link.source_id not in dropped
        ]
        checked = _check_links(s, f.task_id, [*others, *((sid, relation) for sid in dropped)])
        details = _relink(f, checked)
        if not details:
            return _info(f)
        f.updated_at = utcnow()
        s.flush()
        rel = LinkRelation.parse(relation)
        c.record(
            s,
            ws,
            AuditAction.ALTERATION,
            "finding",
            f.id,
            _ref(f),
            justification=justification,
            details={**details, "relation": rel.value},
        )
        return _info(f)


def unlink_source(
    ws: Workspace, finding_id: int, source_id: int, *, justification: str = ""
) -> FindingInfo:
    with session_scope(ws) as s:
        f = c.fetch(s, Finding, finding_id, "finding")
        link = s.get(FindingSource, (f.id, source_id))
        if link is not None:
            number = link.source.number
            f.links.remove(link)
            f.updated_at = utcnow()
            s.flush()
            c.record(
                s,
                ws,
                AuditAction.ALTERATION,
                "finding",
                f.id,
                _ref(f),
                justification=justification,
                details={"uncites": f"S{number}"},
            )
        return _info(f)


def get_finding(ws: Workspace, finding_id: int, *, justification: str = "") -> FindingInfo:
    """Open a finding to read it: logged as a consultation."""
    with session_scope(ws) as s:
        f = c.fetch(s, Finding, finding_id, "finding")
        c.record(
            s, ws, AuditAction.CONSULTATION, "finding", f.id, _ref(f), justification=justification
        )
        return _info(f)


def list_findings(
    ws: Workspace, task_id: int, *, include_archived: bool = False
) -> list[FindingInfo]:
    """A task's findings in report order, with their citations."""
    return finding_rows(ws, finding_ids(ws, task_id, include_archived=include_archived))


def archive_finding(
    ws: Workspace, finding_id: int, *, archived: bool = True, justification: str = ""
) -> FindingInfo:
    with session_scope(ws) as s:
        f = c.fetch(s, Finding, finding_id, "finding")
        c.set_archived(s, ws, f, "finding", _ref(f), archived, justification)
        return _info(f)


# --- lazy lists ---------------------------------------------------------------------------
# A list pane loads every id first (cheap) and then its rows a page at a time. Listing is
# not a consultation: no audit event.
ROWS_PER_QUERY = 500  # well under SQLite's bound-parameter limit


def finding_ids(ws: Workspace, task_id: int, *, include_archived: bool = False) -> list[int]:
    """Ids of a task's findings in report order (as ``list_findings``)."""
    with session_scope(ws, write=False) as s:
        query = (
            select(Finding.id)
            .where(Finding.task_id == task_id)
            .order_by(Finding.position, Finding.number)
        )
        if not include_archived:
            query = query.where(Finding.archived_at.is_(None))
        return list(s.scalars(query))


def finding_rows(ws: Workspace, ids: Sequence[int]) -> list[FindingInfo]:
    """Rows for these finding ids with their citations, in the order given; ids that no
    longer exist are left out."""
    found: dict[int, FindingInfo] = {}
    with session_scope(ws, write=False) as s:
        for i in range(0, len(ids), ROWS_PER_QUERY):
            query = (
                select(Finding)
                .where(Finding.id.in_(list(ids[i : i + ROWS_PER_QUERY])))
                .options(
                    selectinload(Finding.links).selectinload(FindingSource.source),
                    selectinload(Finding.tags),
                    selectinload(Finding.task),
                )
            )
            for f in s.scalars(query):
                found[f.id] = _info(f)
    return [found[finding_id] for finding_id in ids if finding_id in found]
