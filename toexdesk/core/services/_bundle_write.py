"""Writing a bundle's body: one consistent read of the chosen tasks and everything of
theirs into the body's tables (file bytes a chunk at a time), and, once the file is safely
written, the disclosure events and the exchange bases in one transaction."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from toexdesk import __version__
from toexdesk.core.enums import AuditAction
from toexdesk.core.errors import Cancelled, RecordNotFound, ToexError
from toexdesk.core.model import (
    Attachment,
    AttachmentText,
    AuditEvent,
    Entity,
    ExchangeState,
    Finding,
    ReceivedEvent,
    ResearchLogEntry,
    ScheduleItem,
    Source,
    Task,
    WorkspaceMeta,
    finding_entity,
    source_entity,
    utcnow,
)
from toexdesk.core.services import _common as c
from toexdesk.core.services._bundle_body import SCHEMA
from toexdesk.core.services._bundle_records import NOUNS, ORDER, LocalReader
from toexdesk.core.store import blobs
from toexdesk.core.store.engine import Workspace, session_scope

DEFAULT_PURPOSE = "Hand-off as an exchange bundle"
Progress = Callable[[int, int, str], None] | None
Cancel = Callable[[], bool] | None


@dataclass
class Built:
    refs: dict[int, str]  # task id → reference
    hashes: dict[str, tuple[str, str]]  # uid → (kind, content hash)
    counts: dict[str, int]
    steps: int


def _in(s: Session, query, column, ids: Sequence[int]) -> list:
    out = []
    for i in range(0, len(ids), 500):
        out += s.scalars(query.where(column.in_(ids[i : i + 500]))).all()
    return out


def build(
    ws: Workspace, ids, con, anchor, anchor_line, progress: Progress, cancelled: Cancel
) -> Built:
    """Fill the body from one consistent read of the workspace."""
    con.executescript(SCHEMA)
    con.execute("BEGIN")
    with session_scope(ws, write=False) as s:
        tasks = _in(s, select(Task).options(selectinload(Task.tags)), Task.id, ids)
        missing = set(ids) - {t.id for t in tasks}
        if missing:
            raise RecordNotFound(f"There is no task with id {min(missing)}.")
        sources = _in(
            s,
            select(Source).options(selectinload(Source.tags), selectinload(Source.entities)),
            Source.task_id,
            ids,
        )
        findings = _in(
            s,
            select(Finding).options(
                selectinload(Finding.tags),
                selectinload(Finding.entities),
                selectinload(Finding.links),
            ),
            Finding.task_id,
            ids,
        )
        source_ids = [src.id for src in sources]
        entity_ids = sorted(
            set(_in(s, select(source_entity.c.entity_id), source_entity.c.source_id, source_ids))
            | set(
                _in(
                    s,
                    select(finding_entity.c.entity_id),
                    finding_entity.c.finding_id,
                    [f.id for f in findings],
                )
            )
        )
        entities = _in(s, select(Entity), Entity.id, entity_ids)
        attachments = _in(s, select(Attachment), Attachment.source_id, source_ids)
        logs = _in(s, select(ResearchLogEntry), ResearchLogEntry.task_id, ids)
        groups = {
            "entity": entities,
            "task": tasks,
            "source": sources,
            "finding": findings,
            "attachment": attachments,
            "log": sorted(logs, key=lambda e: (e.at, e.id)),
        }
        total = sum(len(v) for v in groups.values()) + 1
        reader = LocalReader(s)
        hashes: dict[str, tuple[str, str]] = {}
        files: dict[str, tuple[int, int]] = {}  # sha256 → blob id, size
        done = 0
        for kind in ORDER:
            for obj in groups[kind]:
                if cancelled is not None and cancelled():
                    raise Cancelled("The bundle was not written.")
                if progress is not None and done % 50 == 0:
                    progress(done, total, f"Reading {NOUNS[kind][1]}…")
                rec = reader.rec(kind, obj)
                con.execute(
                    "INSERT INTO record (uid, kind, parent, label, data, created_at, "
                    "updated_at, archived_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        rec.uid,
                        rec.kind,
                        rec.parent,
                        rec.label,
                        json.dumps(rec.data, ensure_ascii=False, sort_keys=True),
                        rec.created_at,
                        rec.updated_at,
                        rec.archived_at,
                    ),
                )
                hashes[rec.uid] = (kind, rec.hash)
                if kind == "attachment":
                    _copy_text(s, con, obj, rec.uid, files)
                done += 1
        for task in tasks:
            con.execute(
                "INSERT INTO task_counter VALUES (?, ?, ?, ?)",
                (
                    task.uid,
                    task.last_source_number,
                    task.last_finding_number,
                    task.last_schedule_number,
                ),
            )
            for item in s.scalars(select(ScheduleItem).where(ScheduleItem.task_id == task.id)):
                con.execute(
                    "INSERT INTO schedule VALUES (?, ?, ?, ?)",
                    (task.uid, item.number, item.kind.value, item.item_uid),
                )
        sender = s.scalar(select(WorkspaceMeta.uid).where(WorkspaceMeta.id == 1)) or ""
        events = _copy_events(s, con, sender, groups)
    _copy_files(ws, con, files, progress, cancelled)
    meta = {
        "workspace_uid": sender,
        "analyst": ws.analyst,
        "app_version": __version__,
        "created_utc": utcnow().isoformat(timespec="seconds"),
        "anchor": anchor,
        "anchor_line": anchor_line,
        "tasks": json.dumps([t.uid for t in tasks]),
    }
    con.executemany("INSERT INTO meta VALUES (?, ?)", list(meta.items()))
    con.execute("COMMIT")
    counts = {NOUNS[k][1].replace(" ", "_"): len(v) for k, v in groups.items()}
    counts["audit_events"] = events
    return Built({t.id: t.reference for t in tasks}, hashes, counts, total)


def _copy_text(s: Session, con, att: Attachment, uid: str, files: dict) -> None:
    texts = s.scalars(
        select(AttachmentText.body)
        .where(AttachmentText.attachment_id == att.id)
        .order_by(AttachmentText.seq)
    )
    for seq, body in enumerate(texts):
        con.execute("INSERT INTO attachment_text VALUES (?, ?, ?)", (uid, seq, body))
    files.setdefault(att.sha256, (att.blob_id, att.size))  # the same bytes go once


def _copy_files(ws: Workspace, con, files: dict, progress: Progress, cancelled: Cancel) -> None:
    """The files' bytes, a chunk at a time, each chunk read in its own short transaction
    (as ``attachments`` reads them), so a big bundle never holds the workspace's lock for
    long; the SHA-256 is checked at the end."""
    for n, (sha256, (blob_id, size)) in enumerate(files.items()):
        if progress is not None:
            progress(n, len(files), "Copying captured files…")
        con.execute("INSERT INTO blob VALUES (?, ?)", (sha256, size))
        digest, seq, total = hashlib.sha256(), 0, 0
        while True:
            if cancelled is not None and cancelled():
                raise Cancelled("The bundle was not written.")
            with session_scope(ws, write=False) as s:
                data = blobs.blob_chunk(s, blob_id, seq)
            if data is None:
                break
            digest.update(data)
            total += len(data)
            con.execute("INSERT INTO blob_chunk VALUES (?, ?, ?)", (sha256, seq, data))
            seq += 1
        if total != size or digest.hexdigest() != sha256:
            raise ToexError(
                "A captured file was erased or is damaged (its SHA-256 does not match); "
                "nothing was written."
            )


_EVENT_COLUMNS = (
    "at, analyst, action, record_type, record_ref, justification, recipient, details, hash"
)


def _event_values(ev) -> tuple:
    return tuple(getattr(ev, name) for name in _EVENT_COLUMNS.split(", "))


def _copy_events(s: Session, con, sender: str, groups: dict[str, list]) -> int:
    """This workspace's events about the records carried, and the events it received
    from other workspaces about them."""
    n = 0
    sql = f"INSERT OR IGNORE INTO event (origin, seq, record_uid, {_EVENT_COLUMNS}) VALUES ({', '.join('?' * 12)})"  # noqa: E501, S608
    for kind in ("task", "source", "finding", "entity", "attachment"):
        uid_of = {obj.id: obj.uid for obj in groups[kind]}
        query = select(AuditEvent).where(AuditEvent.record_type == kind)
        for ev in _in(s, query, AuditEvent.record_id, list(uid_of)):
            con.execute(sql, (sender, ev.seq, uid_of[ev.record_id], *_event_values(ev)))
            n += 1
    uids = [obj.uid for group in groups.values() for obj in group]
    for i in range(0, len(uids), 500):
        query = select(ReceivedEvent).where(ReceivedEvent.record_uid.in_(uids[i : i + 500]))
        for ev in s.scalars(query):
            row = (ev.origin_workspace, ev.origin_seq, ev.record_uid, *_event_values(ev))
            con.execute(sql, row)
            n += 1
    return n


def record_disclosure(ws, built: Built, out: Path, sha256, recipient, purpose, anchor) -> None:
    """One disclosure event per task, and the exchange base of every record sent, in one
    transaction."""
    seq, head = anchor.lstrip("#").split(" ", 1)
    details: dict[str, Any] = {
        "product": "exchange bundle",
        "format": "toexb",
        "file": out.name,
        "sha256": sha256,
        "records": built.counts,
        "anchor_seq": int(seq),
        "anchor_hash": head,
    }
    now = utcnow()
    with session_scope(ws) as s:
        for task_id, ref in built.refs.items():
            c.record(
                s,
                ws,
                AuditAction.DISCLOSURE,
                "task",
                task_id,
                ref,
                justification=purpose or DEFAULT_PURPOSE,
                recipient=recipient,
                details=details,
            )
        uids = list(built.hashes)
        states = {}
        for i in range(0, len(uids), 500):
            query = select(ExchangeState).where(ExchangeState.uid.in_(uids[i : i + 500]))
            states |= {st.uid: st for st in s.scalars(query)}
        for uid, (kind, digest) in built.hashes.items():
            st = states.get(uid)
            if st is None:
                s.add(ExchangeState(uid=uid, record_type=kind, content_hash=digest))
            else:
                st.content_hash, st.exchanged_at = digest, now
