"""The audit trail (DPA 2018 s.62 logging): append-only, SHA-256 hash-chained.

Each event's hash is SHA-256 over the previous event's hash and the event's canonical JSON.
The chain is ordered by ``seq``; the workspace row keeps the head (last seq and hash), so
cutting events off the end shows too. ``verify_chain`` names the first bad event and says
whether it was edited, deleted, inserted or reordered."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from toexdesk.core.enums import AuditAction
from toexdesk.core.model import AuditEvent, WorkspaceMeta

GENESIS = "0" * 64
HASHED_FIELDS = (
    "at",
    "analyst",
    "os_user",
    "action",
    "record_type",
    "record_id",
    "record_ref",
    "justification",
    "recipient",
    "details",
)


def canonical(fields: dict[str, Any]) -> bytes:
    return json.dumps(
        {name: fields[name] for name in HASHED_FIELDS},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode("utf-8")


def chain_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + b"\n" + canonical(fields)).hexdigest()


def _fields(ev: AuditEvent) -> dict[str, Any]:
    return {name: getattr(ev, name) for name in HASHED_FIELDS}


def initialise(session: Session, *, analyst: str, version: str, uid: str) -> None:
    session.add(
        WorkspaceMeta(
            id=1,
            uid=uid,
            analyst=analyst,
            created_by_version=version,
            audit_head_seq=0,
            audit_head_hash=GENESIS,
        )
    )
    session.flush()


def append(
    session: Session,
    *,
    analyst: str,
    os_user: str,
    action: AuditAction | str,
    record_type: str,
    record_id: int | None,
    record_ref: str = "",
    justification: str = "",
    recipient: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add one event to the chain inside the caller's transaction."""
    # The writer holds the database's write lock (BEGIN IMMEDIATE), so the head read here
    # cannot move under us; the identity map keeps it for the rest of the transaction.
    meta = session.get(WorkspaceMeta, 1)
    if meta is None:
        raise RuntimeError("workspace row missing")
    fields = {
        "at": dt.datetime.now(dt.UTC).isoformat(timespec="microseconds"),
        "analyst": analyst,
        "os_user": os_user,
        "action": AuditAction.parse(action).value,
        "record_type": record_type,
        "record_id": record_id,
        "record_ref": record_ref,
        "justification": justification.strip(),
        "recipient": recipient.strip(),
        "details": json.dumps(details or {}, sort_keys=True, ensure_ascii=False),
    }
    seq = meta.audit_head_seq + 1
    digest = chain_hash(meta.audit_head_hash, fields)
    event = AuditEvent(seq=seq, prev_hash=meta.audit_head_hash, hash=digest, **fields)
    session.add(event)
    meta.audit_head_seq = seq
    meta.audit_head_hash = digest
    return event


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    kind: str  # edited | deleted | inserted | reordered | truncated
    message: str


@dataclass(frozen=True)
class ChainReport:
    events: int
    head_seq: int
    head_hash: str
    problems: tuple[ChainProblem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_problem(self) -> ChainProblem | None:
        return self.problems[0] if self.problems else None


def verify_chain(session: Session) -> ChainReport:
    """Walk the whole chain; report every break, the first one first."""
    rows = session.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars().all()
    meta = session.get(WorkspaceMeta, 1)
    problems: list[ChainProblem] = []
    known = {row.hash for row in rows} | {GENESIS}
    claimed = {row.prev_hash for row in rows}
    pred_hash, pred_seq = GENESIS, 0
    for i, row in enumerate(rows):
        nxt = rows[i + 1] if i + 1 < len(rows) else None
        if nxt is not None and row.hash not in claimed and nxt.prev_hash == pred_hash:
            # Nothing chains from this event and the next one skips it: it was slipped in.
            problems.append(
                ChainProblem(
                    row.seq,
                    "inserted",
                    f"event #{row.seq} was inserted: #{nxt.seq} chains from #{pred_seq} past it",
                )
            )
            continue
        if chain_hash(row.prev_hash, _fields(row)) != row.hash:
            problems.append(
                ChainProblem(
                    row.seq,
                    "edited",
                    f"event #{row.seq} was edited: its content no longer matches its hash",
                )
            )
        elif row.prev_hash != pred_hash:
            if row.prev_hash in known:
                problems.append(
                    ChainProblem(
                        row.seq,
                        "reordered",
                        f"event #{row.seq} is out of order: it does not follow #{pred_seq}",
                    )
                )
            elif row.seq > pred_seq + 1:
                first, last = pred_seq + 1, row.seq - 1
                span = f"#{first}" if first == last else f"#{first}–#{last}"
                problems.append(
                    ChainProblem(
                        first, "deleted", f"event {span} deleted: #{row.seq} follows #{pred_seq}"
                    )
                )
            else:
                problems.append(
                    ChainProblem(
                        row.seq,
                        "deleted",
                        f"the event #{row.seq} chains from is missing: an event before it was "
                        f"deleted (and the numbers closed up), or #{pred_seq} was re-hashed",
                    )
                )
        elif row.seq != pred_seq + 1:
            problems.append(
                ChainProblem(
                    row.seq,
                    "edited",
                    f"event #{row.seq} was renumbered: the chain runs on from #{pred_seq}",
                )
            )
        pred_hash, pred_seq = row.hash, row.seq
    problems += _head_problems(meta, pred_hash, pred_seq)
    problems.sort(key=lambda p: p.seq)
    head_seq = meta.audit_head_seq if meta else 0
    head_hash = meta.audit_head_hash if meta else GENESIS
    return ChainReport(len(rows), head_seq, head_hash, tuple(problems))


def _head_problems(meta: WorkspaceMeta | None, last_hash: str, last_seq: int) -> list[ChainProblem]:
    if meta is None:
        return [ChainProblem(0, "deleted", "the workspace record holding the chain head is gone")]
    if last_hash == meta.audit_head_hash:
        return []
    if meta.audit_head_seq > last_seq:
        first, last = last_seq + 1, meta.audit_head_seq
        span = f"#{first}" if first == last else f"#{first}–#{last}"
        return [ChainProblem(first, "deleted", f"event {span} deleted from the end of the chain")]
    if meta.audit_head_seq < last_seq:
        return [
            ChainProblem(
                meta.audit_head_seq + 1,
                "inserted",
                f"event #{meta.audit_head_seq + 1} was inserted after the chain's recorded head",
            )
        ]
    return [ChainProblem(last_seq, "edited", "the last event does not match the recorded head")]
