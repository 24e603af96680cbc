"""The steps of capturing one file that need no transaction of their own: provenance
checks, progress, extraction, and what an attachment row takes from an extraction or from
an earlier capture of the same bytes. (Used by ``services.capture``.)"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from toexdesk.core import errors, extract
from toexdesk.core.enums import ExtractionStatus
from toexdesk.core.extract import Extraction, Extractor, FileType
from toexdesk.core.extract.child import mismatch_note
from toexdesk.core.extract.detect import sniff
from toexdesk.core.model import Attachment, utcnow
from toexdesk.core.services import _common as c
from toexdesk.core.services._attachment_rows import (
    MEDIA_TYPES,
    CaptureOutcome,
    CaptureResult,
    file_type,
    info_of,
)
from toexdesk.core.store import blobs
from toexdesk.core.store.blobs import OpenedFile
from toexdesk.core.store.search_index import text_segments

Progress = Callable[[int, int, str], None]  # done, total (bytes of the batch), message
Cancel = Callable[[], bool]


@dataclass(frozen=True)
class Provenance:
    obtained_from: str
    obtained_at: dt.datetime | None
    exhibit_ref: str


def provenance(obtained_from: str, obtained_at, exhibit_ref: str) -> Provenance:
    ck = c.Checker()
    where = ck.text("obtained_from", obtained_from, "Obtained from", max_len=2000, required=False)
    exhibit = ck.text("exhibit_ref", exhibit_ref, "Exhibit reference", max_len=100, required=False)
    when = None
    if isinstance(obtained_at, str) and obtained_at.strip():
        try:
            obtained_at = dt.datetime.fromisoformat(obtained_at.strip())
        except ValueError:
            ck.fail("obtained_at", f"Obtained at: {obtained_at!r} is not a date and time.")
            obtained_at = None
    if isinstance(obtained_at, dt.datetime):
        when = obtained_at.astimezone(dt.UTC)  # a naive time is the computer's local time
    elif isinstance(obtained_at, dt.date):
        when = dt.datetime.combine(obtained_at, dt.time()).astimezone(dt.UTC)
    elif obtained_at not in (None, ""):
        ck.fail("obtained_at", "Obtained at must be a date and time.")
    if when is not None and when > utcnow() + dt.timedelta(minutes=5):
        ck.fail("obtained_at", "Obtained at cannot be in the future.")
    ck.done()
    return Provenance(where, when, exhibit)


class Meter:
    """Turns per-file byte counts into batch progress. A file read twice (hashed before
    storing) counts half per pass, so the bar never goes back."""

    def __init__(self, report: Progress | None, sizes: Sequence[int]):
        self.report, self.total, self.base = report, max(sum(sizes), 1), 0
        self.sizes, self.message = sizes, ""

    def start(self, index: int, message: str) -> None:
        self.base = sum(self.sizes[:index])
        self.message = message
        self.emit(0)

    def emit(self, done: int) -> None:
        if self.report is not None:
            self.report(min(self.base + done, self.total), self.total, self.message)

    def pass_of(self, size: int, share: float, offset: float = 0.0) -> blobs.Progress:
        return lambda done: self.emit(int(offset * size + share * done))


def size_of(path: Path) -> int:
    try:
        return max(path.stat().st_size, 0)
    except OSError:
        return 0


def on_source(s: Session, source_id: int, blob_id: int) -> Attachment | None:
    return s.scalar(
        select(Attachment).where(Attachment.source_id == source_id, Attachment.blob_id == blob_id)
    )


def duplicate(result, existing: Attachment) -> CaptureResult:
    when = existing.created_at.astimezone().strftime("%d/%m/%Y %H:%M")
    archived = " (archived)" if existing.archived_at is not None else ""
    message = f"Already attached to this source{archived}: captured {when}; nothing added"
    return result(CaptureOutcome.DUPLICATE, message, attachment=info_of(existing))


def run_extraction(extractor: Extractor | None, opened: OpenedFile, cancelled: Cancel | None):
    if cancelled is not None and cancelled():
        raise errors.Cancelled("Capture cancelled")
    if extractor is not None:
        return extractor.extract_text(opened.path)
    return extract.extract_text(opened.path)


def from_extraction(extraction: Extraction, opened: OpenedFile) -> dict:
    kind = file_type(extraction.type_code)
    if kind is FileType.UNKNOWN:
        complete = opened.size <= len(opened.head)
        kind = sniff(opened.head, opened.name, tail=opened.tail, complete=complete)
    reason = extraction.reason or (mismatch_note(kind, opened.name) if extraction.ok else "")
    return {
        "detected_type": kind.value,
        "media_type": MEDIA_TYPES.get(kind, "application/octet-stream"),
        "extraction_status": ExtractionStatus.OK if extraction.ok else ExtractionStatus.FAILED,
        "extraction_reason": reason,
        "extraction_truncated": extraction.truncated,
    }


def text_donor(s: Session, blob_id: int) -> Attachment | None:
    """An attachment of the same bytes whose extraction can be reused."""
    return s.scalar(
        select(Attachment)
        .where(
            Attachment.blob_id == blob_id,
            Attachment.extraction_status != ExtractionStatus.PENDING,
        )
        .order_by(Attachment.id)
        .limit(1)
    )


def from_donor(donor: Attachment, opened: OpenedFile) -> dict:
    kind = file_type(donor.detected_type)
    ok = donor.extraction_status is ExtractionStatus.OK
    return {
        "detected_type": donor.detected_type,
        "media_type": donor.media_type,
        "extraction_status": donor.extraction_status,
        # The note about a lying extension depends on this file's own name.
        "extraction_reason": mismatch_note(kind, opened.name) if ok else donor.extraction_reason,
        "extraction_truncated": donor.extraction_truncated,
    }


def store_text(s: Session, attachment_id: int, value: str) -> None:
    # One statement for all segments: the index takes them in one go.
    s.execute(
        text(
            "INSERT INTO attachment_text (attachment_id, seq, body) "
            "SELECT :id, key, value FROM json_each(:segments)"
        ),
        {"id": attachment_id, "segments": json.dumps(text_segments(value), ensure_ascii=False)},
    )


def copy_text(s: Session, donor_id: int, attachment_id: int) -> None:
    s.execute(
        text(
            "INSERT INTO attachment_text (attachment_id, seq, body) "
            "SELECT :id, seq, body FROM attachment_text WHERE attachment_id = :donor"
        ),
        {"id": attachment_id, "donor": donor_id},
    )
