"""Carrying out a bundle's merge plan inside the caller's one transaction: records inserted
or updated, files copied in chunks (bounded memory) unless the same bytes are here, the
unused-material schedule merged as a union, counters moved up so no number is reused, the
other workspaces' audit events received, the exchange bases set, and combination events."""

from __future__ import annotations

import hashlib
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from toexdesk.core.enums import AuditAction, LinkRelation, ScheduleItemKind
from toexdesk.core.errors import Cancelled
from toexdesk.core.model import (
    Attachment,
    AttachmentText,
    Blob,
    BlobChunk,
    Entity,
    ExchangeState,
    FindingSource,
    ReceivedEvent,
    ReferenceCounter,
    ScheduleItem,
    Task,
    WorkspaceMeta,
    utcnow,
)
from toexdesk.core.services import _common as c
from toexdesk.core.services._bundle_merge import (
    CONFLICT,
    NEW,
    SKIP,
    Body,
    Content,
    Plan,
    Step,
)
from toexdesk.core.services._bundle_records import (
    FIELDS,
    MODELS,
    NOUNS,
    Invalid,
    Rec,
    parse_time,
    text_hash,
)
from toexdesk.core.services.entities import normalise
from toexdesk.core.store.blobs import find_blob
from toexdesk.core.store.engine import Workspace

JUSTIFICATION = "Records combined from an exchange bundle"


# --- carrying it out ----------------------------------------------------------------------
@dataclass
class Outcome:
    per_task: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    totals: Counter = field(default_factory=Counter)
    events_received: int = 0
    schedule_added: int = 0
    schedule_renumbered: int = 0
    entity_events: int = 0
    changed: bool = False


def apply(
    s: Session,
    ws: Workspace,
    plan: Plan,
    content: Content,
    body: Body,
    *,
    bundle_sha256: str,
    progress: Callable[[int, int, str], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> Outcome:
    """Write the plan into the session (the caller's one transaction)."""
    out = Outcome()
    objects: dict[str, Any] = dict(plan.known)
    objects |= {st.rec.uid: st.local for st in plan.steps if st.local is not None}
    total = len(plan.steps) + 1
    kind_before = ""
    for i, step in enumerate(plan.steps):
        if cancelled is not None and cancelled():
            raise Cancelled("The import was stopped; nothing was imported.")
        rec = step.rec
        if rec.kind != kind_before:
            s.flush()  # parents get their ids before their children need them
            kind_before = rec.kind
        if progress is not None and (i % 20 == 0 or rec.kind != plan.steps[i - 1].rec.kind):
            progress(i, total, f"Importing {NOUNS[rec.kind][1]}…")
        if step.action == NEW:
            objects[rec.uid] = _insert(s, step, objects, body, cancelled)
        elif step.writes:
            _update(s, step, objects, body, cancelled)
        _count(out, step)
    s.flush()
    _schedule(s, plan, content, objects, out)
    _counters(s, plan, content, objects)
    out.events_received = _receive_events(s, ws, plan, content, out)
    bases_changed = _exchange_state(s, plan)
    out.changed = bool(
        any(st.writes for st in plan.steps)
        or bases_changed
        or out.events_received
        or out.schedule_added
        or any(st.resolution for st in plan.steps)
    )
    if out.changed:
        _audit(s, ws, plan, content, objects, out, bundle_sha256)
    if progress is not None:
        progress(total, total, "Imported.")
    return out


def _count(out: Outcome, step: Step) -> None:
    action = step.action
    if action == CONFLICT:
        action = "took theirs" if step.resolution == "theirs" else "kept mine"
    key = f"{step.rec.kind}:{action}"
    out.totals[key] += 1
    if step.task_uid and step.action != SKIP:
        out.per_task[step.task_uid][key] += 1
        if step.note and step.assign:
            out.per_task[step.task_uid]["renumbered"] += 1


def _values(rec: Rec) -> dict[str, Any]:
    return {name: rec.value(name) for name in FIELDS[rec.kind]}


def _entities(s: Session, objects: dict[str, Any], uids: Iterable[str]) -> list[Entity]:
    out = []
    for uid in uids:
        obj = objects.get(uid)
        if obj is None:
            obj = s.scalar(select(Entity).where(Entity.uid == uid))
        if obj is not None:
            out.append(obj)
    return out


def _insert(s: Session, step: Step, objects: dict[str, Any], body: Body, cancelled) -> Any:
    rec = step.rec
    model = MODELS[rec.kind]
    values = _values(rec)
    if rec.kind == "log":
        obj = model(uid=rec.uid, task_id=objects[rec.parent].id, **values)
        s.add(obj)
        return obj
    times = {
        "created_at": parse_time(rec.created_at),
        "updated_at": parse_time(rec.updated_at),
        "archived_at": _archived_at(rec),
    }
    if rec.kind == "entity":
        obj = Entity(uid=rec.uid, normalised=normalise(values["name"]), **values, **times)
    elif rec.kind == "task":
        obj = Task(uid=rec.uid, reference=step.assign, **values, **times)
    elif rec.kind == "attachment":
        blob_id = _blob(s, body, rec.data["sha256"], rec.data["size"], cancelled)
        obj = Attachment(
            uid=rec.uid, source=objects[rec.parent], blob_id=blob_id, **values, **times
        )
    else:
        obj = model(uid=rec.uid, task=objects[rec.parent], number=int(step.assign), **values)
        for name, value in times.items():
            setattr(obj, name, value)
    s.add(obj)
    _relations(s, obj, rec, objects)
    if rec.kind == "attachment":
        s.flush()
        _texts(s, obj.id, rec, body)
    return obj


def _archived_at(rec: Rec):
    if not rec.data["archived"]:
        return None
    return parse_time(rec.archived_at) or utcnow()


def _relations(s: Session, obj: Any, rec: Rec, objects: dict[str, Any]) -> None:
    data = rec.data
    if "tags" in data:
        obj.tags = c.resolve_tags(s, data["tags"])
    if "entities" in data:
        obj.entities = _entities(s, objects, data["entities"])
    if "links" in data:
        wanted = {uid: LinkRelation(rel) for uid, rel in data["links"]}
        current = {link.source.uid: link for link in obj.links}
        for uid, link in current.items():
            if uid not in wanted:
                obj.links.remove(link)
            elif link.relation != wanted[uid]:
                link.relation = wanted[uid]
        for uid, relation in wanted.items():
            source = objects.get(uid)
            if uid not in current and source is not None:
                obj.links.append(FindingSource(source=source, relation=relation))


def _update(s: Session, step: Step, objects: dict[str, Any], body: Body, cancelled) -> None:
    rec, obj = step.rec, step.local
    values = _values(rec)
    if rec.kind == "attachment" and values["sha256"] != obj.sha256:
        obj.blob_id = _blob(s, body, values["sha256"], values["size"], cancelled)
    c.apply(obj, values)
    if rec.kind == "entity":
        obj.normalised = normalise(obj.name)
    if rec.data["archived"] != (obj.archived_at is not None):
        obj.archived_at = _archived_at(rec)
    _relations(s, obj, rec, objects)
    if rec.kind == "attachment":
        s.execute(delete(AttachmentText).where(AttachmentText.attachment_id == obj.id))
        _texts(s, obj.id, rec, body)
    obj.updated_at = parse_time(rec.updated_at) or utcnow()


def _texts(s: Session, attachment_id: int, rec: Rec, body: Body) -> None:
    """The extracted text, segment by segment; it must be the text the record names."""
    table = AttachmentText.__table__
    segments = []
    for seq, text in enumerate(body.text_segments(rec.uid)):
        s.execute(insert(table), {"attachment_id": attachment_id, "seq": seq, "body": text})
        segments.append(text)
    if text_hash(segments) != rec.data["text_sha256"]:
        raise Invalid("a file whose extracted text does not match its record")


def _blob(s: Session, body: Body, sha256: str, size: int, cancelled) -> int:
    """The blob with these bytes: the one here already, or a copy of the bundle's, chunk
    by chunk (bounded memory), checked against its SHA-256 and size."""
    existing = find_blob(s, sha256)
    if existing is not None:
        return existing
    placeholder = f"pending-{uuid.uuid4().hex}"
    blob_id = s.execute(
        insert(Blob.__table__).values(sha256=placeholder, size=size, created_at=utcnow())
    ).inserted_primary_key[0]
    digest, total = hashlib.sha256(), 0
    for seq, data in enumerate(body.blob_chunks(sha256)):
        if cancelled is not None and cancelled():
            raise Cancelled("The import was stopped; nothing was imported.")
        digest.update(data)
        total += len(data)
        s.execute(insert(BlobChunk.__table__), {"blob_id": blob_id, "seq": seq, "data": data})
    if total != size or digest.hexdigest() != sha256:
        raise Invalid("a file whose bytes do not match its SHA-256")
    s.execute(update(Blob.__table__).where(Blob.id == blob_id).values(sha256=sha256))
    return blob_id


def _schedule(s: Session, plan: Plan, content: Content, objects, out: Outcome) -> None:
    """Schedule items are merged as a union: an item keeps its number here if it has one,
    else takes theirs if free, else the next one."""
    by_task: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
    for task_uid, number, kind, item_uid in content.schedule:
        by_task[task_uid].append((number, kind, item_uid))
    for task_uid, items in by_task.items():
        step = plan.by_uid.get(task_uid)
        task = objects.get(task_uid)
        if step is None or step.action == SKIP or task is None:
            continue
        rows = s.execute(
            select(ScheduleItem.number, ScheduleItem.item_uid).where(
                ScheduleItem.task_id == task.id
            )
        ).all()
        numbers = {n for n, _ in rows}
        scheduled = {u for _, u in rows}
        last = max([task.last_schedule_number, *numbers], default=0)
        for number, kind, item_uid in sorted(items):
            if item_uid in scheduled:
                continue
            if number in numbers:
                number = last + 1
                out.schedule_renumbered += 1
            s.add(
                ScheduleItem(
                    task_id=task.id, number=number, kind=ScheduleItemKind(kind), item_uid=item_uid
                )
            )
            numbers.add(number)
            scheduled.add(item_uid)
            last = max(last, number)
            out.schedule_added += 1
            out.per_task[task_uid]["schedule:new"] += 1
        task.last_schedule_number = last


def _counters(s: Session, plan: Plan, content: Content, objects: dict[str, Any]) -> None:
    """Numbers are never reused: counters here go up to what either side has issued."""
    for (task_uid, kind), last in plan.last.items():
        task = objects.get(task_uid) or s.scalar(select(Task).where(Task.uid == task_uid))
        if task is not None:
            name = f"last_{kind}_number"
            setattr(task, name, max(getattr(task, name) or 0, last))
    for task_uid, counters in content.counters.items():
        step = plan.by_uid.get(task_uid)
        task = objects.get(task_uid)
        if step is None or step.action == SKIP or task is None:
            continue
        for kind in ("source", "finding", "schedule"):
            name = f"last_{kind}_number"
            theirs = counters.get(kind, 0)
            if theirs > (getattr(task, name) or 0):
                setattr(task, name, theirs)
    for year, last in plan.ref_last.items():
        counter = s.get(ReferenceCounter, year)
        if counter is None:
            s.add(ReferenceCounter(year=year, last=last))
        elif last > counter.last:
            counter.last = last


def _receive_events(s: Session, ws: Workspace, plan: Plan, content: Content, out) -> int:
    here = s.scalar(select(WorkspaceMeta.uid).where(WorkspaceMeta.id == 1))
    origins = {ev["origin"] for ev in content.events} - {here}
    have = {
        (o, n)
        for o in origins
        for n in s.scalars(
            select(ReceivedEvent.origin_seq).where(ReceivedEvent.origin_workspace == o)
        )
    }
    added = 0
    for ev in content.events:
        if ev["origin"] == here or (ev["origin"], ev["seq"]) in have:
            continue
        step = plan.by_uid.get(ev["record_uid"])
        if step is None or step.action == SKIP:
            continue
        s.add(
            ReceivedEvent(
                origin_workspace=ev["origin"],
                origin_seq=ev["seq"],
                **{k: ev[k] for k in _EVENT_FIELDS},
            )
        )
        have.add((ev["origin"], ev["seq"]))
        if step.task_uid:
            out.per_task[step.task_uid]["events_received"] += 1
        added += 1
    return added


_EVENT_FIELDS = (
    "at",
    "analyst",
    "action",
    "record_type",
    "record_uid",
    "record_ref",
    "justification",
    "recipient",
    "details",
    "hash",
)


def _exchange_state(s: Session, plan: Plan) -> bool:
    """The base of every record carried becomes the content it came with."""
    changed = False
    now = utcnow()
    for step in plan.steps:
        if step.action == SKIP:
            continue
        rec = step.rec
        st = plan.bases.get(rec.uid)
        if st is None:
            s.add(
                ExchangeState(
                    uid=rec.uid, record_type=rec.kind, content_hash=rec.hash, exchanged_at=now
                )
            )
            changed = True
        elif st.content_hash != rec.hash:
            st.content_hash, st.exchanged_at = rec.hash, now
            changed = True
    return changed


def _audit(s, ws, plan: Plan, content: Content, objects, out: Outcome, sha256: str) -> None:
    """Combination events: one per task the import touched (counts only, never content),
    and one per entity it added or changed."""
    base = {"event": "bundle import", "from_workspace": content.sender, "bundle_sha256": sha256}
    for step in plan.steps:
        rec = step.rec
        if rec.kind == "entity" and step.writes:
            obj = objects[rec.uid]
            details = base | {"change": "added" if step.action == NEW else "updated"}
            c.record(
                s,
                ws,
                AuditAction.COMBINATION,
                "entity",
                obj.id,
                f"E{obj.id}",
                justification=JUSTIFICATION,
                details=details,
            )
            out.entity_events += 1
        if rec.kind != "task" or step.action == SKIP:
            continue
        counts = out.per_task.get(rec.uid, Counter())
        if not step.writes and not step.resolution and not _touched(counts):
            continue
        task = objects[rec.uid]
        details = base | {"task": step.action, "counts": dict(sorted(counts.items()))}
        if task.reference != rec.label:
            details["reference_in_bundle"] = rec.label
        c.record(
            s,
            ws,
            AuditAction.COMBINATION,
            "task",
            task.id,
            task.reference,
            justification=JUSTIFICATION,
            details=details,
        )


_QUIET = (":unchanged", ":keep", ":skip")


def _touched(counts: Counter) -> bool:
    return any(n and not key.endswith(_QUIET) for key, n in counts.items())
