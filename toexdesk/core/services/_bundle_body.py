"""The tables inside a bundle's (encrypted) body, and reading them back with every value
checked: records, the tasks' number counters, schedule items, extracted text, file bytes in
chunks, and audit events (the sender's own and those it received)."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from typing import Any

from toexdesk.core import enums
from toexdesk.core.enums import AuditAction, ScheduleItemKind
from toexdesk.core.services._bundle_merge import Content
from toexdesk.core.services._bundle_records import (
    EXTRAS,
    FIELDS,
    LONG,
    ORDER,
    PARENT,
    REFERENCE,
    UID,
    Invalid,
    Rec,
    parse_time,
)

SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE record (
    ord INTEGER PRIMARY KEY, uid TEXT NOT NULL UNIQUE, kind TEXT NOT NULL,
    parent TEXT NOT NULL, label TEXT NOT NULL, data TEXT NOT NULL,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL, archived_at TEXT NOT NULL);
CREATE TABLE task_counter (
    task TEXT PRIMARY KEY, source INTEGER NOT NULL, finding INTEGER NOT NULL,
    schedule INTEGER NOT NULL);
CREATE TABLE schedule (
    task TEXT NOT NULL, number INTEGER NOT NULL, kind TEXT NOT NULL, item_uid TEXT NOT NULL,
    PRIMARY KEY (task, number));
CREATE TABLE attachment_text (
    attachment TEXT NOT NULL, seq INTEGER NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (attachment, seq));
CREATE TABLE blob (sha256 TEXT PRIMARY KEY, size INTEGER NOT NULL);
CREATE TABLE blob_chunk (
    sha256 TEXT NOT NULL, seq INTEGER NOT NULL, data BLOB NOT NULL,
    PRIMARY KEY (sha256, seq));
CREATE TABLE event (
    origin TEXT NOT NULL, seq INTEGER NOT NULL, record_uid TEXT NOT NULL, at TEXT NOT NULL,
    analyst TEXT NOT NULL, action TEXT NOT NULL, record_type TEXT NOT NULL,
    record_ref TEXT NOT NULL, justification TEXT NOT NULL, recipient TEXT NOT NULL,
    details TEXT NOT NULL, hash TEXT NOT NULL, PRIMARY KEY (origin, seq));
"""
MAX_CHUNK = 8 * 1024 * 1024
_SHA256 = re.compile(r"[0-9a-f]{64}")
_ACTIONS = {a.value for a in AuditAction}
_SCHEDULE_KINDS = {k.value for k in ScheduleItemKind}


def _int(value: Any, what: str, low: int = 0, high: int = 10**9) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise Invalid(f"a malformed {what}")
    return value


def _uid(value: Any, what: str) -> str:
    if not isinstance(value, str) or not UID.fullmatch(value):
        raise Invalid(f"a malformed {what}")
    return value


def _text(value: Any, what: str, max_len: int) -> str:
    if not isinstance(value, str) or len(value) > max_len or "\x00" in value:
        raise Invalid(f"a malformed {what}")
    return value


# --- records --------------------------------------------------------------------------------
def checked_rec(
    uid: Any,
    kind: Any,
    parent: Any,
    label: Any,
    data_json: Any,
    created: Any,
    updated: Any,
    archived: Any,
) -> Rec:
    """A record read from a bundle, every field checked and put in canonical form (so a
    value written differently but meaning the same hashes the same)."""
    if kind not in FIELDS:
        raise Invalid("a record of an unknown kind")
    if not isinstance(uid, str) or not UID.fullmatch(uid):
        raise Invalid(f"a {kind} with a malformed id")
    want_parent = kind in PARENT
    if not isinstance(parent, str) or (
        UID.fullmatch(parent) is None if want_parent else parent != ""
    ):
        raise Invalid(f"a {kind} with a malformed parent")
    if not isinstance(label, str) or len(label) > 16:
        raise Invalid(f"a {kind} with a malformed label")
    if kind == "task" and not REFERENCE.fullmatch(label):
        raise Invalid("a task without a reference")
    if kind in ("source", "finding") and not (label.isdigit() and 0 < int(label) < 10**9):
        raise Invalid(f"a {kind} without a number")
    try:
        raw = json.loads(data_json)
    except (TypeError, ValueError):
        raise Invalid(f"a {kind} whose content is not JSON") from None
    if not isinstance(raw, dict):
        raise Invalid(f"a {kind} whose content is not an object")
    expected = set(FIELDS[kind]) | set(EXTRAS[kind])
    if set(raw) != expected:
        raise Invalid(f"a {kind} with missing or unknown fields")
    data: dict[str, Any] = {}
    for name, codec in FIELDS[kind].items():
        data[name] = codec.dump(codec.load(raw[name], name))
    if kind == "source" and (data["handling"] == "C") != bool(data["handling_conditions"].strip()):
        raise Invalid("a source whose handling conditions do not match its handling code")
    for name in EXTRAS[kind]:
        data[name] = _extra(name, raw[name])
    for name, value in (("created", created), ("updated", updated), ("archived", archived)):
        if not isinstance(value, str) or (value and _safe_time(value) is None):
            raise Invalid(f"a {kind} with a malformed {name} time")
    if kind != "log" and not (created and updated):
        raise Invalid(f"a {kind} without its times")
    return Rec(uid, kind, parent, label, data, created, updated, archived)


def _safe_time(value: str) -> dt.datetime | None:
    try:
        return parse_time(value)
    except ValueError:
        return None


def _extra(name: str, value: Any) -> Any:
    if name == "archived":
        if not isinstance(value, bool):
            raise Invalid("archived is not true or false")
        return value
    if name == "tags":
        if not isinstance(value, list) or len(value) > 1000:
            raise Invalid("malformed tags")
        names = []
        for tag in value:
            if not isinstance(tag, str) or not tag.strip() or len(tag) > 80 or "\x00" in tag:
                raise Invalid("a malformed tag")
            tag = " ".join(tag.split())
            if tag.casefold() not in (t.casefold() for t in names):
                names.append(tag)
        return sorted(names, key=str.casefold)
    if name == "entities":
        if not isinstance(value, list) or not all(
            isinstance(u, str) and UID.fullmatch(u) for u in value
        ):
            raise Invalid("malformed entity links")
        return sorted(set(value))
    if name == "links":
        links: dict[str, str] = {}
        if not isinstance(value, list):
            raise Invalid("malformed source links")
        for item in value:
            if not (
                isinstance(item, list)
                and len(item) == 2
                and isinstance(item[0], str)
                and UID.fullmatch(item[0])
            ):
                raise Invalid("a malformed source link")
            try:
                links[item[0]] = enums.LinkRelation(item[1]).value
            except (ValueError, TypeError):
                raise Invalid("a source link of an unknown kind") from None
        return sorted([uid, rel] for uid, rel in links.items())
    if name == "text_sha256":
        if not isinstance(value, str) or not re.fullmatch(r"[0-9a-f]{64}", value):
            raise Invalid("a malformed text hash")
        return value
    raise Invalid(f"unknown field {name}")


def read_content(con) -> Content:
    """Everything but the file bytes and extracted text (those are streamed on import)."""
    meta = {}
    for key, value in con.execute("SELECT key, value FROM meta"):
        meta[_text(key, "bundle property", 100)] = _text(value, "bundle property", 10_000)
    _uid(meta.get("workspace_uid"), "sending workspace id")
    rank = {kind: i for i, kind in enumerate(ORDER)}
    records = [
        checked_rec(*row)
        for row in con.execute(
            "SELECT uid, kind, parent, label, data, created_at, updated_at, archived_at "
            "FROM record ORDER BY ord"
        )
    ]
    records.sort(key=lambda r: rank[r.kind])  # parents first, whatever the file's order
    counters = {
        _uid(task, "task counter"): {
            "source": _int(source, "task counter"),
            "finding": _int(finding, "task counter"),
            "schedule": _int(schedule, "task counter"),
        }
        for task, source, finding, schedule in con.execute("SELECT * FROM task_counter")
    }
    schedule = []
    for task, number, kind, item_uid in con.execute("SELECT * FROM schedule ORDER BY task, number"):
        if kind not in _SCHEDULE_KINDS:
            raise Invalid("a schedule item of an unknown kind")
        schedule.append(
            (
                _uid(task, "schedule item"),
                _int(number, "schedule number", 1),
                kind,
                _uid(item_uid, "schedule item"),
            )
        )
    events = [_event(row) for row in con.execute("SELECT * FROM event ORDER BY origin, seq")]
    return Content(meta, records, counters, schedule, events)


def _event(row) -> dict[str, Any]:
    (origin, seq, record_uid, at, analyst, action, record_type, ref, why, recipient, details,
     digest) = row  # fmt: skip
    if action not in _ACTIONS:
        raise Invalid("an audit event of an unknown kind")
    if not isinstance(digest, str) or not _SHA256.fullmatch(digest):
        raise Invalid("an audit event with a malformed hash")
    try:
        json.loads(_text(details, "audit event", LONG))
    except ValueError:
        raise Invalid("an audit event with malformed details") from None
    return {
        "origin": _uid(origin, "audit event origin"),
        "seq": _int(seq, "audit event number", 1, 2**62),
        "record_uid": _uid(record_uid, "audit event record"),
        "at": _text(at, "audit event time", 32),
        "analyst": _text(analyst, "audit event analyst", 200),
        "action": action,
        "record_type": _text(record_type, "audit event record type", 32),
        "record_ref": _text(ref, "audit event reference", 64),
        "justification": _text(why, "audit event justification", LONG),
        "recipient": _text(recipient, "audit event recipient", 300),
        "details": details,
        "hash": digest,
    }


class BodyReader:
    """Streams file bytes and extracted text out of an open body, checked as they come."""

    def __init__(self, con):
        self.con = con

    def blob_chunks(self, sha256: str) -> Iterator[bytes]:
        query = "SELECT data FROM blob_chunk WHERE sha256 = ? ORDER BY seq"
        for (data,) in self.con.execute(query, (sha256,)):
            if not isinstance(data, bytes) or len(data) > MAX_CHUNK:
                raise Invalid("a malformed piece of a file")
            yield data

    def text_segments(self, attachment_uid: str) -> Iterator[str]:
        query = "SELECT body FROM attachment_text WHERE attachment = ? ORDER BY seq"
        for (body,) in self.con.execute(query, (attachment_uid,)):
            yield _text(body, "piece of extracted text", LONG)
