"""What the attachment services return: metadata rows and per-file capture results."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from toexdesk.core.enums import ExtractionStatus
from toexdesk.core.extract import FileType
from toexdesk.core.model import Attachment

MEDIA_TYPES = {
    FileType.PDF: "application/pdf",
    FileType.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    FileType.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    FileType.CSV: "text/csv",
    FileType.TXT: "text/plain",
    FileType.EML: "message/rfc822",
    FileType.MSG: "application/vnd.ms-outlook",
    FileType.HTML: "text/html",
    FileType.MHT: "multipart/related",
    FileType.PNG: "image/png",
    FileType.JPEG: "image/jpeg",
    FileType.OLE: "application/x-ole-storage",
    FileType.ZIP: "application/zip",
}


class CaptureOutcome(StrEnum):
    CAPTURED = "captured"  # stored, or linked to the same bytes already in the workspace
    DUPLICATE = "duplicate"  # the same file is already on this source: nothing changed
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class AttachmentInfo:
    id: int
    uid: str
    source_id: int
    source_number: int
    task_id: int
    task_reference: str
    original_name: str
    media_type: str
    detected_type: FileType
    size: int
    sha256: str
    file_modified_at: dt.datetime | None
    captured_at: dt.datetime
    captured_by: str
    obtained_from: str
    obtained_at: dt.datetime | None
    exhibit_ref: str
    extraction_status: ExtractionStatus
    extraction_reason: str
    extraction_truncated: bool
    archived: bool

    @property
    def type_label(self) -> str:
        return self.detected_type.label

    @property
    def ref(self) -> str:
        """The reference used in the audit trail, e.g. ``TX-2026-0001/S3/A17``."""
        return f"{self.task_reference}/S{self.source_number}/A{self.id}"


@dataclass(frozen=True)
class CaptureResult:
    """What happened to one file, for a results list: ``message`` is one readable line;
    ``note`` says why no text was extracted, or remarks on it (e.g. a lying extension)."""

    path: str
    name: str
    outcome: CaptureOutcome
    message: str
    note: str = ""
    attachment: AttachmentInfo | None = None
    linked: bool = False  # the bytes were already stored (for another source): shared

    @property
    def ok(self) -> bool:
        return self.outcome in (CaptureOutcome.CAPTURED, CaptureOutcome.DUPLICATE)


def file_type(code: str) -> FileType:
    try:
        return FileType(code)
    except ValueError:
        return FileType.UNKNOWN


def info_of(att: Attachment) -> AttachmentInfo:
    src = att.source
    return AttachmentInfo(
        id=att.id,
        uid=att.uid,
        source_id=src.id,
        source_number=src.number,
        task_id=src.task_id,
        task_reference=src.task.reference,
        original_name=att.original_name,
        media_type=att.media_type,
        detected_type=file_type(att.detected_type),
        size=att.size,
        sha256=att.sha256,
        file_modified_at=att.file_modified_at,
        captured_at=att.created_at,
        captured_by=att.captured_by,
        obtained_from=att.obtained_from,
        obtained_at=att.obtained_at,
        exhibit_ref=att.exhibit_ref,
        extraction_status=att.extraction_status,
        extraction_reason=att.extraction_reason,
        extraction_truncated=att.extraction_truncated,
        archived=att.archived_at is not None,
    )


def ref_of(att: Attachment) -> str:
    return f"{att.source.task.reference}/S{att.source.number}/A{att.id}"
