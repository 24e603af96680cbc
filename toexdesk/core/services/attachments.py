"""Attachments: files captured onto sources, stored encrypted inside the workspace.

Capture opens the file once and keeps it open to the end; it extracts the text in a child
process (``core.extract``) before and apart from the database write, so a slow or hostile
file never holds the write lock; then it stores the bytes (streamed in chunks: bounded
memory), the provenance, the text and the collection event in one transaction. A failure
or cancellation rolls that one file back; a batch carries on with the next file.

The same bytes are stored once per workspace: a file already captured onto another source
is linked to the stored copy; the same file again on the same source is a *duplicate* and
nothing changes.

Audit: capturing is a *collection* (details: SHA-256, size and type; never the file name,
which can itself be personal data, and never content). Reading the bytes or the text is a
*consultation*. Listing attachments and their metadata is not."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

from sqlalchemy import delete, select

from toexdesk.core import errors
from toexdesk.core.enums import AuditAction
from toexdesk.core.model import Attachment, AttachmentText, Blob, Source
from toexdesk.core.services import _common as c
from toexdesk.core.services._attachment_rows import (
    AttachmentInfo,
    CaptureOutcome,
    CaptureResult,
)
from toexdesk.core.services._attachment_rows import info_of as _info
from toexdesk.core.services._attachment_rows import ref_of as _ref
from toexdesk.core.services.capture import (
    DEFAULT_MAX_BYTES,
    capture_file,
    capture_files,
    create_source_from_file,
    create_sources_from_files,
)
from toexdesk.core.store import blobs
from toexdesk.core.store.engine import Workspace, session_scope


# --- reading ------------------------------------------------------------------------------
def attachment_info(ws: Workspace, attachment_id: int) -> AttachmentInfo:
    """An attachment's metadata and provenance (not its content: no audit event)."""
    with session_scope(ws, write=False) as s:
        return _info(c.fetch(s, Attachment, attachment_id, "attachment"))


def list_attachments(
    ws: Workspace, source_id: int, *, include_archived: bool = False
) -> list[AttachmentInfo]:
    """A source's attachments in capture order (a list, not a consultation)."""
    with session_scope(ws, write=False) as s:
        c.fetch(s, Source, source_id, "source")
        query = select(Attachment).where(Attachment.source_id == source_id)
        if not include_archived:
            query = query.where(Attachment.archived_at.is_(None))
        return [_info(a) for a in s.scalars(query.order_by(Attachment.created_at, Attachment.id))]


def read_attachment(
    ws: Workspace, attachment_id: int, *, justification: str = ""
) -> Iterator[bytes]:
    """The file's bytes, chunk by chunk, as captured. The consultation is recorded now (not
    at the first chunk); each chunk is read in its own short transaction, so a slow reader
    never blocks a writer. The SHA-256 is checked at the end: a damaged copy raises
    ``WorkspaceDamaged`` after the last chunk."""
    with session_scope(ws) as s:
        att = c.fetch(s, Attachment, attachment_id, "attachment")
        c.record(
            s,
            ws,
            AuditAction.CONSULTATION,
            "attachment",
            att.id,
            _ref(att),
            justification=justification,
            details={"part": "file"},
        )
        blob_id, sha256, size = att.blob_id, att.sha256, att.size
    return _stream(ws, blob_id, sha256, size)


def _stream(ws: Workspace, blob_id: int, sha256: str, size: int) -> Iterator[bytes]:
    digest, seq, total = hashlib.sha256(), 0, 0
    while True:
        with session_scope(ws, write=False) as s:
            data = blobs.blob_chunk(s, blob_id, seq)
        if data is None:
            break
        digest.update(data)
        total += len(data)
        seq += 1
        yield data
    if total != size or digest.hexdigest() != sha256:
        raise errors.WorkspaceDamaged(
            "The stored copy of this file is damaged or incomplete: its SHA-256 does not match."
        )


def attachment_text(ws: Workspace, attachment_id: int, *, justification: str = "") -> str:
    """The text extracted from the file ("" if none): a consultation."""
    with session_scope(ws) as s:
        att = c.fetch(s, Attachment, attachment_id, "attachment")
        c.record(
            s,
            ws,
            AuditAction.CONSULTATION,
            "attachment",
            att.id,
            _ref(att),
            justification=justification,
            details={"part": "text"},
        )
        segments = s.scalars(
            select(AttachmentText.body)
            .where(AttachmentText.attachment_id == att.id)
            .order_by(AttachmentText.seq)
        )
        return "".join(segments)


# --- archiving and erasure ----------------------------------------------------------------
def archive_attachment(
    ws: Workspace, attachment_id: int, *, archived: bool = True, justification: str = ""
) -> AttachmentInfo:
    """Withdraw an attachment from the working lists and search (or restore it)."""
    with session_scope(ws) as s:
        att = c.fetch(s, Attachment, attachment_id, "attachment")
        c.set_archived(s, ws, att, "attachment", _ref(att), archived, justification)
        return _info(att)


def erase_attachment(ws: Workspace, attachment_id: int, *, justification: str) -> None:
    """Delete an attachment for good (e.g. captured in error). Its text goes with it, and its
    bytes too unless another source holds the same file (a trigger deletes unused blobs)."""
    if not justification.strip():
        raise errors.ValidationError(
            errors.FieldError("justification", "Say why this attachment is being erased.")
        )
    with session_scope(ws) as s:
        att = c.fetch(s, Attachment, attachment_id, "attachment")
        ref, blob_id = _ref(att), att.blob_id
        s.execute(delete(Attachment).where(Attachment.id == att.id))
        s.expunge(att)
        bytes_erased = s.get(Blob, blob_id) is None
        c.record(
            s,
            ws,
            AuditAction.ERASURE,
            "attachment",
            attachment_id,
            ref,
            justification=justification,
            details={"bytes_erased": bytes_erased},
        )


__all__ = [
    "DEFAULT_MAX_BYTES",
    "AttachmentInfo",
    "CaptureOutcome",
    "CaptureResult",
    "archive_attachment",
    "attachment_info",
    "attachment_text",
    "capture_file",
    "capture_files",
    "create_source_from_file",
    "create_sources_from_files",
    "erase_attachment",
    "list_attachments",
    "read_attachment",
]
