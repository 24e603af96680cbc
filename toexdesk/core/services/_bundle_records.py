"""What an exchange bundle carries of each record, and in what form.

A record crosses as its stable ``uid``, its kind, its parent's uid, a label (a task's
reference, a source's or finding's number: kept if free on import, so not content) and the
exchanged fields as JSON. The content hash is SHA-256 over the canonical JSON of the kind,
the parent and those fields: never local ids, never the exchange's own timestamps. The same
code reads a record out of a workspace and out of a bundle, so equal content gives an equal
hash on both sides.

Everything read from a bundle is checked here as strictly as a form: a bundle made with the
passphrase by someone other than TOEX Desk is still data, never trusted."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from toexdesk.core import enums
from toexdesk.core.model import (
    Attachment,
    AttachmentText,
    Entity,
    Finding,
    ResearchLogEntry,
    Source,
    Task,
)

ORDER = ("entity", "task", "source", "finding", "attachment", "log")  # parents first
PARENT = {"source": "task", "finding": "task", "attachment": "source", "log": "task"}
MODELS: dict[str, type] = {
    "entity": Entity,
    "task": Task,
    "source": Source,
    "finding": Finding,
    "attachment": Attachment,
    "log": ResearchLogEntry,
}
NOUNS = {
    "entity": ("entity", "entities"),
    "task": ("task", "tasks"),
    "source": ("source", "sources"),
    "finding": ("finding", "findings"),
    "attachment": ("attachment", "attachments"),
    "log": ("research log entry", "research log entries"),
}
UID = re.compile(r"[0-9a-f]{32}")
REFERENCE = re.compile(r"TX-(\d{4})-(\d{4})")
LONG = 1_000_000


class Invalid(ValueError):
    """A value in a bundle that TOEX Desk would not have written."""


# --- field codecs -------------------------------------------------------------------------
class _Text:
    def __init__(self, max_len: int, *, required: bool = False):
        self.max_len, self.required = max_len, required

    def dump(self, value: str) -> str:
        return value

    def load(self, value: Any, name: str) -> str:
        if not isinstance(value, str):
            raise Invalid(f"{name} is not text")
        if len(value) > self.max_len or "\x00" in value or (self.required and not value.strip()):
            raise Invalid(f"{name} is empty, too long or holds a NUL")
        return value


class _Enum:
    def __init__(self, enum_cls: type[enums._Coded], *, optional: bool = False):
        self.enum_cls, self.optional = enum_cls, optional

    def dump(self, value: Any) -> str | None:
        return None if value is None else self.enum_cls.parse(value).value

    def load(self, value: Any, name: str):
        if value is None and self.optional:
            return None
        try:
            return self.enum_cls(value)
        except (ValueError, TypeError):
            raise Invalid(f"{name} is not a known code") from None


class _Date:
    def dump(self, value: dt.date | None) -> str | None:
        return None if value is None else value.isoformat()

    def load(self, value: Any, name: str) -> dt.date | None:
        if value is None:
            return None
        try:
            return dt.date.fromisoformat(value)
        except (TypeError, ValueError):
            raise Invalid(f"{name} is not a date") from None


class _DateTime:
    def __init__(self, *, required: bool = False):
        self.required = required

    def dump(self, value: dt.datetime | None) -> str | None:
        return None if value is None else value.astimezone(dt.UTC).isoformat()

    def load(self, value: Any, name: str) -> dt.datetime | None:
        if value is None and not self.required:
            return None
        try:
            parsed = dt.datetime.fromisoformat(value)
        except (TypeError, ValueError):
            raise Invalid(f"{name} is not a time") from None
        if parsed.tzinfo is None:
            raise Invalid(f"{name} has no time zone")
        return parsed.astimezone(dt.UTC)


class _Bool:
    def dump(self, value: bool) -> bool:
        return bool(value)

    def load(self, value: Any, name: str) -> bool:
        if not isinstance(value, bool):
            raise Invalid(f"{name} is not true or false")
        return value


class _Int:
    def __init__(self, low: int, high: int):
        self.low, self.high = low, high

    def dump(self, value: int) -> int:
        return int(value)

    def load(self, value: Any, name: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise Invalid(f"{name} is not a whole number")
        if not self.low <= value <= self.high:
            raise Invalid(f"{name} is out of range")
        return value


class _Sha256(_Text):
    def __init__(self):
        super().__init__(64)

    def load(self, value: Any, name: str) -> str:
        if not isinstance(value, str) or not re.fullmatch(r"[0-9a-f]{64}", value):
            raise Invalid(f"{name} is not a SHA-256")
        return value


E = enums
FIELDS: dict[str, dict[str, Any]] = {
    "task": {
        "title": _Text(300, required=True),
        "requester": _Text(200, required=True),
        "thematic": _Enum(E.Thematic),
        "priority": _Enum(E.Priority),
        "due_date": _Date(),
        "status": _Enum(E.TaskStatus),
        "research_questions": _Text(LONG),
        "gaps": _Text(LONG),
        "marking": _Enum(E.Marking),
        "review_on": _Date(),
    },
    "source": {
        "title": _Text(300, required=True),
        "source_type": _Enum(E.SourceType),
        "description": _Text(LONG),
        "reference": _Text(2000),
        "obtained_on": _Date(),
        "evaluation": _Enum(E.SourceEvaluation),
        "assessment": _Enum(E.IntelligenceAssessment),
        "handling": _Enum(E.HandlingCode),
        "handling_conditions": _Text(LONG),
        "marking": _Enum(E.Marking),
        "review_on": _Date(),
    },
    "finding": {
        "position": _Int(0, 10**9),
        "text": _Text(LONG, required=True),
        "phia": _Enum(E.Phia),
        "marking": _Enum(E.Marking),
    },
    "entity": {
        "kind": _Enum(E.EntityKind),
        "name": _Text(300, required=True),
        "notes": _Text(LONG),
        "marking": _Enum(E.Marking),
    },
    "attachment": {
        "original_name": _Text(500, required=True),
        "media_type": _Text(120),
        "detected_type": _Text(16),
        "size": _Int(1, 2**53),
        "sha256": _Sha256(),
        "file_modified_at": _DateTime(),
        "captured_by": _Text(200),
        "obtained_from": _Text(2000),
        "obtained_at": _DateTime(),
        "exhibit_ref": _Text(100),
        "extraction_status": _Enum(E.ExtractionStatus),
        "extraction_reason": _Text(LONG),
        "extraction_truncated": _Bool(),
    },
    "log": {
        "at": _DateTime(required=True),
        "analyst": _Text(200),
        "kind": _Enum(E.LogKind),
        "system": _Text(300),
        "detail": _Text(LONG),
        "outcome": _Enum(E.CheckOutcome, optional=True),
        "reason": _Text(LONG),
        "automatic": _Bool(),
    },
}
# Content beyond the scalar fields: links to other records, tags, the archived flag and,
# for an attachment, its extracted text (as a hash: the segments travel on their own).
EXTRAS = {
    "task": ("archived", "tags"),
    "source": ("archived", "tags", "entities"),
    "finding": ("archived", "tags", "entities", "links"),
    "entity": ("archived",),
    "attachment": ("archived", "text_sha256"),
    "log": (),
}


@dataclass
class Rec:
    """One record as exchanged."""

    uid: str
    kind: str
    parent: str  # the uid of its task (source, finding, log) or source (attachment)
    label: str  # task reference, or source/finding number; "" for other kinds
    data: dict[str, Any]
    created_at: str = ""
    updated_at: str = ""
    archived_at: str = ""
    _hash: str = field(default="", repr=False)

    @property
    def hash(self) -> str:
        if not self._hash:
            self._hash = content_hash(self.kind, self.parent, self.data)
        return self._hash

    @property
    def number(self) -> int | None:
        return int(self.label) if self.label.isdigit() else None

    def value(self, name: str):
        """A scalar field as the model holds it."""
        return FIELDS[self.kind][name].load(self.data[name], name)


def content_hash(kind: str, parent: str, data: dict[str, Any]) -> str:
    normal = dict(data)
    if "tags" in normal:  # tag names are case-insensitive
        normal["tags"] = sorted(t.casefold() for t in normal["tags"])
    text = json.dumps(
        {"kind": kind, "parent": parent, "data": normal},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _iso(value: dt.datetime | None) -> str:
    return "" if value is None else value.astimezone(dt.UTC).isoformat()


def parse_time(value: str) -> dt.datetime | None:
    if not value:
        return None
    parsed = dt.datetime.fromisoformat(value)
    return parsed.astimezone(dt.UTC) if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def text_hash(segments) -> str:
    """The hash of an attachment's extracted text, segment boundaries included."""
    digest = hashlib.sha256()
    for body in segments:
        data = body.encode("utf-8", "surrogatepass")
        digest.update(len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()


# --- out of a workspace -------------------------------------------------------------------
class LocalReader:
    """Turns this workspace's records into ``Rec``s (uids of parents looked up once)."""

    def __init__(self, s: Session):
        self.s = s
        self._task_uid: dict[int, str] = {}
        self._source_uid: dict[int, str] = {}

    def task_uid(self, task_id: int) -> str:
        if task_id not in self._task_uid:
            self._task_uid[task_id] = self.s.scalar(select(Task.uid).where(Task.id == task_id))
        return self._task_uid[task_id]

    def source_uid(self, source_id: int) -> str:
        if source_id not in self._source_uid:
            uid = self.s.scalar(select(Source.uid).where(Source.id == source_id))
            self._source_uid[source_id] = uid
        return self._source_uid[source_id]

    def text_sha256(self, attachment_id: int) -> str:
        segments = self.s.scalars(
            select(AttachmentText.body)
            .where(AttachmentText.attachment_id == attachment_id)
            .order_by(AttachmentText.seq)
        )
        return text_hash(segments)

    def rec(self, kind: str, obj: Any) -> Rec:
        data = {name: codec.dump(getattr(obj, name)) for name, codec in FIELDS[kind].items()}
        extras = EXTRAS[kind]
        if "archived" in extras:
            data["archived"] = obj.archived_at is not None
        if "tags" in extras:
            data["tags"] = sorted((t.name for t in obj.tags), key=str.casefold)
        if "entities" in extras:
            data["entities"] = sorted(e.uid for e in obj.entities)
        if "links" in extras:
            data["links"] = sorted(
                [self.source_uid(link.source_id), link.relation.value] for link in obj.links
            )
        if "text_sha256" in extras:
            data["text_sha256"] = self.text_sha256(obj.id)
        parent, label = "", ""
        if kind == "task":
            label = obj.reference
        elif kind in ("source", "finding"):
            parent, label = self.task_uid(obj.task_id), str(obj.number)
        elif kind == "attachment":
            parent = self.source_uid(obj.source_id)
        elif kind == "log":
            parent = self.task_uid(obj.task_id)
        if kind == "log":
            created = updated = _iso(obj.at)
            archived = ""
        else:
            created, updated = _iso(obj.created_at), _iso(obj.updated_at)
            archived = _iso(obj.archived_at)
        return Rec(obj.uid, kind, parent, label, data, created, updated, archived)


def describe(rec: Rec, task_ref: str = "") -> str:
    """A short label a person recognises: ``TX-2026-0003/S4 Custody record review``."""
    data = rec.data

    def short(text: str, n: int = 60) -> str:
        text = " ".join(text.split())
        return text if len(text) <= n else text[: n - 1] + "…"

    if rec.kind == "task":
        return f"{task_ref or rec.label} {short(data['title'])}"
    if rec.kind == "source":
        return f"{task_ref}/S{rec.label} {short(data['title'])}"
    if rec.kind == "finding":
        return f"{task_ref}/F{rec.label} {short(data['text'])}"
    if rec.kind == "entity":
        return f"{enums.EntityKind(data['kind']).label}: {short(data['name'])}"
    if rec.kind == "attachment":
        return f"{task_ref} file {short(data['original_name'])}"
    return f"{task_ref} log {data['at'][:16].replace('T', ' ')} {short(data['system'], 40)}"
