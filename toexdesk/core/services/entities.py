"""Entities: people, organisations, locations, phones, vehicles and online accounts mentioned
in sources and findings."""

from __future__ import annotations

import dataclasses
import datetime as dt
import unicodedata
from dataclasses import dataclass

from sqlalchemy import delete, func, select

from toexdesk.core.enums import AuditAction, EntityKind, Marking
from toexdesk.core.errors import FieldError, ValidationError
from toexdesk.core.model import (
    Entity,
    Finding,
    Source,
    finding_entity,
    source_entity,
    utcnow,
)
from toexdesk.core.services import _common as c
from toexdesk.core.store.engine import Workspace, session_scope

# Letters that carry no combining mark to strip, so NFKD alone would keep them apart.
_FOLD = str.maketrans({"đ": "d", "ł": "l", "ø": "o", "æ": "ae", "œ": "oe", "ħ": "h", "ı": "i"})


def normalise(name: str) -> str:
    """Case- and accent-folded, space-collapsed form: "Nguyễn  Văn" → "nguyen van"."""
    folded = unicodedata.normalize("NFKD", name.casefold().translate(_FOLD))
    stripped = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return " ".join(stripped.translate(_FOLD).split())


@dataclass(frozen=True)
class EntityDraft:
    kind: EntityKind | str
    name: str
    notes: str = ""
    marking: Marking | str = Marking.OFFICIAL


@dataclass(frozen=True)
class EntityInfo:
    id: int
    uid: str
    kind: EntityKind
    name: str
    normalised: str
    notes: str
    marking: Marking
    created_at: dt.datetime
    updated_at: dt.datetime
    archived: bool
    mentions: int = 0


EDITABLE = tuple(f.name for f in dataclasses.fields(EntityDraft))


def _validate(draft: EntityDraft) -> dict:
    ck = c.Checker()
    values = {
        "kind": ck.choice("kind", EntityKind, draft.kind, "Entity kind"),
        "name": ck.text("name", draft.name, "Name", max_len=300),
        "notes": ck.text("notes", draft.notes, "Notes", max_len=20_000, required=False),
        "marking": ck.choice("marking", Marking, draft.marking, "Protective marking"),
    }
    ck.done()
    values["normalised"] = normalise(values["name"])
    return values


def _mention_counts(s, entity_ids=None) -> dict[int, int]:
    """Mentions in findings and sources, per entity (all entities when ids is None)."""
    counts: dict[int, int] = {}
    for link in (finding_entity, source_entity):
        query = select(link.c.entity_id, func.count()).group_by(link.c.entity_id)
        if entity_ids is not None:
            query = query.where(link.c.entity_id.in_(entity_ids))
        for entity_id, n in s.execute(query):
            counts[entity_id] = counts.get(entity_id, 0) + n
    return counts


def _mentions(s, entity_id: int) -> int:
    return _mention_counts(s, [entity_id]).get(entity_id, 0)


def _infos(s, query) -> list[EntityInfo]:
    rows = list(s.scalars(query))
    counts = _mention_counts(s, [e.id for e in rows]) if len(rows) < 500 else _mention_counts(s)
    return [_info(e, counts.get(e.id, 0)) for e in rows]


def _info(e: Entity, mentions: int = 0) -> EntityInfo:
    return EntityInfo(
        e.id,
        e.uid,
        e.kind,
        e.name,
        e.normalised,
        e.notes,
        e.marking,
        e.created_at,
        e.updated_at,
        e.archived_at is not None,
        mentions,
    )


def _ref(e: Entity) -> str:
    return f"E{e.id}"


def create_entity(ws: Workspace, draft: EntityDraft, *, justification: str = "") -> EntityInfo:
    values = _validate(draft)
    with session_scope(ws) as s:
        e = Entity(uid=c.new_uid(), **values)
        s.add(e)
        s.flush()
        c.record(
            s,
            ws,
            AuditAction.COLLECTION,
            "entity",
            e.id,
            _ref(e),
            justification=justification,
            details={"kind": e.kind.value},
        )
        return _info(e)


def update_entity(
    ws: Workspace, entity_id: int, *, justification: str = "", **changes
) -> EntityInfo:
    c.check_unknown(changes, EDITABLE)
    with session_scope(ws) as s:
        e = c.fetch(s, Entity, entity_id, "entity")
        current = EntityDraft(e.kind, e.name, e.notes, e.marking)
        changed = c.apply(e, _validate(dataclasses.replace(current, **changes)))
        changed = [name for name in changed if name != "normalised"]
        if changed:
            e.updated_at = utcnow()
            c.record(
                s,
                ws,
                AuditAction.ALTERATION,
                "entity",
                e.id,
                _ref(e),
                justification=justification,
                details={"fields": sorted(changed)},
            )
        return _info(e, _mentions(s, e.id))


def get_entity(ws: Workspace, entity_id: int, *, justification: str = "") -> EntityInfo:
    """Open an entity to read it: logged as a consultation."""
    with session_scope(ws) as s:
        e = c.fetch(s, Entity, entity_id, "entity")
        c.record(
            s, ws, AuditAction.CONSULTATION, "entity", e.id, _ref(e), justification=justification
        )
        return _info(e, _mentions(s, e.id))


def list_entities(
    ws: Workspace, kind: EntityKind | str | None = None, *, include_archived: bool = False
) -> list[EntityInfo]:
    with session_scope(ws, write=False) as s:
        query = select(Entity).order_by(Entity.kind, Entity.normalised)
        if kind is not None:
            query = query.where(Entity.kind == EntityKind.parse(kind))
        if not include_archived:
            query = query.where(Entity.archived_at.is_(None))
        return _infos(s, query)


def same_name(ws: Workspace, kind: EntityKind | str, name: str) -> list[EntityInfo]:
    """Entities of this kind whose folded name equals this one's: candidates to merge."""
    key = normalise(name)
    with session_scope(ws, write=False) as s:
        query = select(Entity).where(
            Entity.kind == EntityKind.parse(kind), Entity.normalised == key
        )
        return _infos(s, query)


def mention(
    ws: Workspace,
    entity_id: int,
    *,
    finding_id: int | None = None,
    source_id: int | None = None,
    justification: str = "",
) -> None:
    """Link an entity to a finding or source where it is mentioned (a combination of
    personal data with the record, so it is logged as such)."""
    if (finding_id is None) == (source_id is None):
        raise ValidationError(FieldError("mention", "Name one finding or one source."))
    with session_scope(ws) as s:
        e = c.fetch(s, Entity, entity_id, "entity")
        if finding_id is not None:
            target = c.fetch(s, Finding, finding_id, "finding")
            links, where = target.entities, f"{target.task.reference}/F{target.number}"
        else:
            target = c.fetch(s, Source, source_id, "source")
            links, where = target.entities, f"{target.task.reference}/S{target.number}"
        if e in links:
            return
        links.append(e)
        s.flush()
        c.record(
            s,
            ws,
            AuditAction.COMBINATION,
            "entity",
            e.id,
            _ref(e),
            justification=justification,
            details={"mentioned_in": where},
        )


def archive_entity(
    ws: Workspace, entity_id: int, *, archived: bool = True, justification: str = ""
) -> EntityInfo:
    with session_scope(ws) as s:
        e = c.fetch(s, Entity, entity_id, "entity")
        c.set_archived(s, ws, e, "entity", _ref(e), archived, justification)
        return _info(e, _mentions(s, e.id))


def erase_entity(ws: Workspace, entity_id: int, *, justification: str) -> None:
    """Delete an entity and its mentions for good (e.g. data no longer necessary)."""
    if not justification.strip():
        raise ValidationError(FieldError("justification", "Say why this entity is being erased."))
    with session_scope(ws) as s:
        e = c.fetch(s, Entity, entity_id, "entity")
        ref, kind = _ref(e), e.kind.value
        s.execute(delete(Entity).where(Entity.id == entity_id))
        c.record(
            s,
            ws,
            AuditAction.ERASURE,
            "entity",
            entity_id,
            ref,
            justification=justification,
            details={"kind": kind},
        )
