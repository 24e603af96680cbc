"""Workspace-wide services: summary, verification and passphrase change."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select, text

from toexdesk.core import errors
from toexdesk.core.enums import TaskStatus
from toexdesk.core.model import (
    Attachment,
    AuditEvent,
    Entity,
    Finding,
    FindingSource,
    Source,
    Tag,
    Task,
    WorkspaceMeta,
)
from toexdesk.core.store import audit, engine, keys, search_index
from toexdesk.core.store.engine import Workspace, session_scope
from toexdesk.core.store.migrations import current_revision


@dataclass(frozen=True)
class WorkspaceSummary:
    """Counts and settings only: no personal data, so reading it is not a consultation."""

    path: str
    size_bytes: int
    cipher_version: str
    page_size: int
    kdf: str
    schema_revision: str
    uid: str
    analyst: str
    created_at: dt.datetime
    created_by_version: str
    tasks_by_status: dict[str, int]
    sources: int
    findings: int
    links: int
    entities: int
    attachments: int
    audit_events: int
    audit_head: str

    @property
    def tasks(self) -> int:
        return sum(self.tasks_by_status.values())


def summary(ws: Workspace) -> WorkspaceSummary:
    with session_scope(ws, write=False) as s:
        meta = s.execute(select(WorkspaceMeta)).scalar_one()
        conn = s.connection()
        cipher = conn.execute(text("PRAGMA cipher_version")).scalar() or "none (plain)"
        page_size = conn.execute(text("PRAGMA page_size")).scalar()
        by_status = dict.fromkeys((st.label for st in TaskStatus), 0)
        for status, n in s.execute(select(Task.status, func.count()).group_by(Task.status)):
            by_status[status.label] = n

        def count(model) -> int:
            return s.scalar(select(func.count()).select_from(model)) or 0

        return WorkspaceSummary(
            path=str(ws.path),
            size_bytes=ws.path.stat().st_size,
            cipher_version=str(cipher),
            page_size=int(page_size),
            kdf=f"PBKDF2-HMAC-SHA512, {keys.KDF_ITERATIONS:,} iterations",
            schema_revision=current_revision(conn) or "?",
            uid=meta.uid,
            analyst=meta.analyst,
            created_at=meta.created_at,
            created_by_version=meta.created_by_version,
            tasks_by_status=by_status,
            sources=count(Source),
            findings=count(Finding),
            links=count(FindingSource),
            entities=count(Entity),
            attachments=count(Attachment),
            audit_events=count(AuditEvent),
            audit_head=meta.audit_head_hash,
        )


@dataclass(frozen=True)
class VerifyReport:
    integrity: tuple[str, ...]
    chain: audit.ChainReport

    @property
    def ok(self) -> bool:
        return not self.integrity and self.chain.ok


def verify(ws: Workspace) -> VerifyReport:
    """Check every page's HMAC, the database structure, the search index (structure, and
    every record in it once) and the audit chain."""
    problems = tuple(engine.integrity_problems(ws))
    try:
        with session_scope(ws, write=False) as s:
            chain = audit.verify_chain(s)
            if not problems:  # a damaged file would only repeat its damage here
                problems = tuple(search_index.problems(s.connection()))
    except errors.WorkspaceDamaged as exc:
        unreadable = audit.ChainProblem(0, "unreadable", f"the audit trail cannot be read: {exc}")
        chain = audit.ChainReport(0, 0, "", (unreadable,))
    return VerifyReport(problems, chain)


def change_passphrase(ws: Workspace, old: str, new: str) -> None:
    """Re-encrypt the workspace under a new passphrase (atomic; audited)."""
    engine.change_passphrase(ws, old, new)


@dataclass(frozen=True)
class AuditEventInfo:
    seq: int
    at: dt.datetime
    analyst: str
    os_user: str
    action: str
    record_type: str
    record_id: int | None
    record_ref: str
    justification: str
    recipient: str
    details: str


def audit_events(
    ws: Workspace, record_type: str | None = None, record_id: int | None = None
) -> list[AuditEventInfo]:
    """Audit events, oldest first: of one record, or all. The trail holds references and
    field names, never record content, so reading it is not itself a consultation."""
    with session_scope(ws, write=False) as s:
        query = select(AuditEvent).order_by(AuditEvent.seq)
        if record_type is not None:
            query = query.where(AuditEvent.record_type == record_type)
        if record_id is not None:
            query = query.where(AuditEvent.record_id == record_id)
        return [
            AuditEventInfo(
                e.seq,
                dt.datetime.fromisoformat(e.at),
                e.analyst,
                e.os_user,
                e.action,
                e.record_type,
                e.record_id,
                e.record_ref,
                e.justification,
                e.recipient,
                e.details,
            )
            for e in s.scalars(query)
        ]


def tag_names(ws: Workspace) -> list[str]:
    """Every tag in use, for completion in the editors (names only: not a consultation)."""
    with session_scope(ws, write=False) as s:
        return list(s.scalars(select(Tag.name).order_by(Tag.name)))
