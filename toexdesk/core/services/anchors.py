"""Audit anchors: the head of a workspace's audit chain, written down outside it.

The hash chain shows any edit, insertion or deletion, but someone with the passphrase could
rewrite the *whole* chain and its recorded head consistently. An anchor taken earlier (kept
with a backup, an export's manifest, a printout) defeats that: the event it names must still
be in the workspace with the same hash, and since each hash covers every event before it,
the whole trail up to the anchor is exactly what it was.

An anchor is a small JSON object (no personal data: the workspace's random id, the head's
number, hash and time, when it was taken, by which version, and what it came with)::

    {"format": "toexdesk-audit-anchor", "version": 1, "workspace_uid": "…",
     "head_seq": 1234, "head_hash": "…", "head_at": "…", "anchored_at": "…",
     "app_version": "…", "source": "backup", "file": "…", "file_sha256": "…",
     "file_size": 123}

It can stand alone (``<backup>.anchor.json``), sit under an ``"audit_anchor"`` key of a
larger JSON manifest, or be embedded in any text file as one line (``Anchor.line()``)::

    TOEX-AUDIT-ANCHOR v1 uid=<32 hex> seq=<n> hash=<64 hex> at=<ISO time>

An export manifest's ``Audit chain head: #<n> <64 hex>`` line is read too; it does not name
its workspace, so that check cannot tell another workspace's manifest by its id.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from toexdesk import __version__
from toexdesk.core import errors
from toexdesk.core.model import AuditEvent, WorkspaceMeta
from toexdesk.core.store import audit
from toexdesk.core.store.engine import Workspace, open_as_is, session_scope

ANCHOR_FORMAT = "toexdesk-audit-anchor"
ANCHOR_VERSION = 1
ANCHOR_KEY = "audit_anchor"  # where a larger JSON manifest keeps its anchor
LINE_PREFIX = "TOEX-AUDIT-ANCHOR"
_LINE = re.compile(
    rf"{LINE_PREFIX} v1 uid=(?P<uid>[0-9a-f]{{32}}) seq=(?P<seq>\d+) "
    r"hash=(?P<hash>[0-9a-f]{64})(?: at=(?P<at>\S+))?"
)
_MANIFEST_HEAD = re.compile(r"Audit chain head: #(?P<seq>\d+) (?P<hash>[0-9a-f]{64})")
_MANIFEST_TIME = re.compile(r"Exported: (\S+)")
_TEXT_LIMIT = 16 * 1024 * 1024  # a manifest or anchor file is small; a workspace is not text


@dataclass(frozen=True)
class Anchor:
    """The audit chain's head at one moment, and what it was recorded with."""

    workspace_uid: str
    head_seq: int
    head_hash: str
    head_at: str = ""  # the head event's own time, as recorded in the trail
    anchored_at: str = ""  # when the anchor was taken (UTC, ISO 8601)
    app_version: str = ""
    source: str = ""  # what it came with: "backup", "export", "workspace"…
    file: str = ""  # the file it describes, if any (name only)
    file_sha256: str = ""
    file_size: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"format": ANCHOR_FORMAT, "version": ANCHOR_VERSION, **asdict(self)}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    def line(self) -> str:
        """The one-line form, for text manifests."""
        at = f" at={self.anchored_at}" if self.anchored_at else ""
        return (
            f"{LINE_PREFIX} v{ANCHOR_VERSION} uid={self.workspace_uid} seq={self.head_seq} "
            f"hash={self.head_hash}{at}"
        )

    @property
    def when(self) -> str:
        """When it was taken, for messages: ``2026-03-01 14:05 UTC``."""
        for value in (self.anchored_at, self.head_at):
            with_zone = _parse_time(value)
            if with_zone is not None:
                return f"{with_zone:%Y-%m-%d %H:%M} UTC"
        return "an unknown date"

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str) -> Anchor:
        def bad(why: str) -> errors.ToexError:
            return errors.ToexError(f"The audit anchor in {where} is malformed ({why}).")

        if data.get("format") != ANCHOR_FORMAT:
            raise bad("not a TOEX Desk audit anchor")
        if data.get("version") != ANCHOR_VERSION:
            raise bad(f"version {data.get('version')!r}; this TOEX Desk reads version 1")
        uid, seq, digest = data.get("workspace_uid"), data.get("head_seq"), data.get("head_hash")
        if not isinstance(uid, str) or not re.fullmatch(r"[0-9a-f]{32}", uid):
            raise bad("workspace_uid")
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
            raise bad("head_seq")
        if not isinstance(digest, str) or not re.fullmatch(r"[0-9a-f]{64}", digest):
            raise bad("head_hash")
        size = data.get("file_size")
        text = {
            name: str(data.get(name) or "")
            for name in ("head_at", "anchored_at", "app_version", "source", "file", "file_sha256")
        }
        return cls(uid, seq, digest, file_size=size if isinstance(size, int) else None, **text)


def _parse_time(value: str) -> dt.datetime | None:
    try:
        when = dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    return when.astimezone(dt.UTC) if when.tzinfo else when


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def current_anchor(ws: Workspace, *, source: str = "workspace") -> Anchor:
    """The workspace's audit head now."""
    with session_scope(ws, write=False) as s:
        meta = s.get(WorkspaceMeta, 1)
        if meta is None:
            raise errors.WorkspaceDamaged(f"{ws.path} has no workspace record.")
        at = s.scalar(select(AuditEvent.at).where(AuditEvent.seq == meta.audit_head_seq))
        return Anchor(
            meta.uid,
            meta.audit_head_seq,
            meta.audit_head_hash,
            head_at=at or "",
            anchored_at=now_iso(),
            app_version=__version__,
            source=source,
        )


def anchor_text(ws: Workspace, *, source: str = "export") -> str:
    """The current anchor as JSON text, to put beside or inside an export's manifest (as
    a file of its own, or under the key ``"audit_anchor"``)."""
    return current_anchor(ws, source=source).to_json()


def read_anchor(
    path: Path | str, *, ws: Workspace | None = None, passphrase: str | None = None
) -> Anchor:
    """The anchor a file records: an anchor or manifest (JSON, or text with an anchor
    line), or a backup workspace, whose own head is its anchor. A backup is opened with
    ``ws``'s key if it shares it, else with ``passphrase``; it is never changed."""
    path = Path(path)
    if not path.is_file():
        raise errors.ToexError(f"There is no file at {path}.")
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            head = fh.read(min(size, _TEXT_LIMIT))
    except OSError as exc:
        raise errors.ToexError(f"{path} cannot be read ({exc.strerror}).") from None
    text = _as_text(head) if size <= _TEXT_LIMIT else None
    if text is not None:
        return _anchor_in_text(text, path.name)
    return _anchor_of_backup(path, ws, passphrase)


def _as_text(data: bytes) -> str | None:
    if b"\x00" in data:
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def _anchor_in_text(text: str, where: str) -> Anchor:
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        if data.get("format") == ANCHOR_FORMAT:
            return Anchor.from_dict(data, where)
        if isinstance(data.get(ANCHOR_KEY), dict):
            return Anchor.from_dict(data[ANCHOR_KEY], where)
    found = _LINE.search(text)
    if found is not None:
        return Anchor(found["uid"], int(found["seq"]), found["hash"], anchored_at=found["at"] or "")
    # An export manifest that records the head without its workspace id.
    found = _MANIFEST_HEAD.search(text)
    if found is not None:
        exported = _MANIFEST_TIME.search(text)
        at = exported[1] if exported else ""
        return Anchor("", int(found["seq"]), found["hash"], anchored_at=at, source="export")
    raise errors.ToexError(f"{where} holds no TOEX Desk audit anchor.")


def _anchor_of_backup(path: Path, ws: Workspace | None, passphrase: str | None) -> Anchor:
    try:
        copy = open_as_is(path, passphrase, like=ws if ws is not None and not ws.closed else None)
    except errors.NotAWorkspace:
        raise errors.ToexError(
            f"{path.name} is neither an audit anchor, a manifest nor a TOEX Desk backup."
        ) from None
    with copy:
        anchor = current_anchor(copy, source="backup")
    return Anchor(
        anchor.workspace_uid,
        anchor.head_seq,
        anchor.head_hash,
        head_at=anchor.head_at,
        anchored_at=anchor.head_at,  # a backup was taken when its last event was written
        source="backup",
        file=path.name,
    )


@dataclass(frozen=True)
class AnchorCheck:
    """Whether a workspace's audit trail still extends an anchor, and in words."""

    ok: bool
    kind: str  # extends | other_workspace | shorter | missing | differs | broken
    message: str
    anchor: Anchor
    head_seq: int  # the workspace's head now


def check_anchor(ws: Workspace, anchor: Anchor) -> AnchorCheck:
    """Does the workspace's chain contain the anchored event, unchanged, and verify?"""
    seq, when = anchor.head_seq, anchor.when
    with session_scope(ws, write=False) as s:
        meta = s.get(WorkspaceMeta, 1)
        if meta is None:
            raise errors.WorkspaceDamaged(f"{ws.path} has no workspace record.")
        head = meta.audit_head_seq

        def result(ok: bool, kind: str, message: str) -> AnchorCheck:
            return AnchorCheck(ok, kind, message, anchor, head)

        if anchor.workspace_uid and meta.uid != anchor.workspace_uid:
            return result(
                False,
                "other_workspace",
                f"DOES NOT extend the anchor of {when}: it belongs to another workspace "
                f"({anchor.workspace_uid[:8]}…; this one is {meta.uid[:8]}…).",
            )
        if seq == 0:
            found = audit.GENESIS
        else:
            found = s.scalar(select(AuditEvent.hash).where(AuditEvent.seq == seq))
        if found is None and head < seq:
            return result(
                False,
                "shorter",
                f"DOES NOT extend the anchor of {when}: the chain is shorter (it ends at "
                f"event #{head}; the anchor is at #{seq}): "
                + (
                    _restored_before(s, seq)
                    or "events were cut off, or the workspace was put back to an earlier copy"
                )
                + ".",
            )
        if found is None:
            return result(
                False, "missing", f"DOES NOT extend the anchor of {when}: event #{seq} is missing."
            )
        if found != anchor.head_hash:
            return result(
                False,
                "differs",
                f"DOES NOT extend the anchor of {when}: event #{seq}'s hash differs from the "
                "anchor's: "
                + (_restored_before(s, seq) or "the trail up to it was rewritten")
                + ".",
            )
        chain = audit.verify_chain(s)
    if not chain.ok:
        problem = chain.first_problem
        assert problem is not None
        return result(
            False,
            "broken",
            f"Event #{seq} matches the anchor of {when}, but the chain does not verify: "
            f"{problem.message}.",
        )
    since = head - seq
    unsure = "" if anchor.workspace_uid else " (the anchor does not name its workspace)"
    return result(
        True,
        "extends",
        f"Extends the anchor of {when} (event #{seq}){unsure}; "
        f"{since:,} event{'s' if since != 1 else ''} since.",
    )


def _restored_before(s, seq: int) -> str:
    """If the workspace was restored from a backup older than event ``seq``, say so: that
    explains a trail that no longer holds the anchored event."""
    rows = s.execute(
        select(AuditEvent.seq, AuditEvent.at, AuditEvent.details)
        .where(AuditEvent.record_type == "workspace", AuditEvent.action == "alteration")
        .order_by(AuditEvent.seq.desc())
    )
    for event_seq, at, details in rows:
        try:
            data = json.loads(details)
        except ValueError:
            continue
        if not isinstance(data, dict) or data.get("event") != "restored from backup":
            continue
        backup_seq = data.get("backup_head_seq")
        if isinstance(backup_seq, int) and backup_seq < seq:
            date = _parse_time(at)
            on = f" on {date:%Y-%m-%d %H:%M} UTC" if date else ""
            return (
                f"the workspace was restored{on} (event #{event_seq}) from a backup that "
                f"ends at event #{backup_seq}, before the anchor"
            )
    return ""


def verify_against(
    ws: Workspace, path: Path | str, *, passphrase: str | None = None
) -> AnchorCheck:
    """Check ``ws`` against the anchor in ``path`` (anchor, manifest or backup file)."""
    return check_anchor(ws, read_anchor(path, ws=ws, passphrase=passphrase))
