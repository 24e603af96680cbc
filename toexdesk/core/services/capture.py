"""Capture: files onto sources (or as new sources), one transaction per file.

For each file: open it (and keep it open: what is checked is what is stored); if a stored
file has the same size, hash it first, so a duplicate or a file already held for another
source costs no extraction; extract the text in a child process, outside any transaction;
then, in one write transaction, store the bytes in chunks (hashing as they go), the
attachment with its provenance, the text in segments and the collection event. Any failure
or a cancellation rolls back that file alone. Nothing here raises for a bad file: the
result says what happened. (Public API re-exported by ``services.attachments``.)"""

from __future__ import annotations

import datetime as dt
import logging
import traceback
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from toexdesk.core import errors
from toexdesk.core.enums import AuditAction, ExtractionStatus, Marking, SourceType
from toexdesk.core.extract import Extractor
from toexdesk.core.extract.source import file_size_text
from toexdesk.core.model import Attachment, Source, Task
from toexdesk.core.services import _capture_steps as steps
from toexdesk.core.services import _common as c
from toexdesk.core.services import sources
from toexdesk.core.services._attachment_rows import (
    CaptureOutcome,
    CaptureResult,
    info_of,
    ref_of,
)
from toexdesk.core.services._capture_steps import Cancel, Progress
from toexdesk.core.store import blobs
from toexdesk.core.store.blobs import DEFAULT_MAX_BYTES, FileRefused, OpenedFile
from toexdesk.core.store.engine import Workspace, session_scope

log = logging.getLogger(__name__)

FILES_PER_HELPER = 25  # a batch reuses extraction processes (any failure still replaces one)
NEW_SOURCE_GRADING = ("2", "C", "P")  # untested / known indirectly / lawful sharing permitted


# --- one file -----------------------------------------------------------------------------
@dataclass
class _Target:
    """Where a file goes: an existing source, or a new source made from the file."""

    source_id: int | None = None
    task_id: int | None = None
    marking: Marking | str = Marking.OFFICIAL

    def resolve(self, s: Session, ws: Workspace, opened: OpenedFile, prov: steps.Provenance):
        if self.source_id is not None:
            return c.fetch(s, Source, self.source_id, "source")
        # A Linux name's undecodable bytes arrive as lone surrogates, which cannot be stored.
        title = c.storable(opened.path.stem or opened.name).strip()[:300] or "Captured file"
        values = sources._validate(  # the usual rules for a source
            sources.SourceDraft(
                title,
                SourceType.DOCUMENT,
                *NEW_SOURCE_GRADING,
                reference=prov.obtained_from,
                obtained_on=prov.obtained_at.astimezone().date() if prov.obtained_at else None,
                marking=self.marking,
            )
        )
        src = sources._new(s, c.fetch(s, Task, self.task_id, "task"), values)
        s.flush()
        sources._collected(s, ws, src, "")
        return src


def _capture_one(
    ws: Workspace,
    path: Path,
    target: _Target,
    prov: steps.Provenance,
    *,
    extractor: Extractor | None,
    max_bytes: int,
    meter: steps.Meter,
    cancelled: Cancel | None,
) -> CaptureResult:
    def result(outcome: CaptureOutcome, message: str, **kw) -> CaptureResult:
        return CaptureResult(str(path), path.name, outcome, message, **kw)

    try:
        with blobs.opened_file(path, max_bytes=max_bytes) as opened:
            return _capture_opened(
                ws, opened, target, prov, extractor, max_bytes, meter, cancelled, result
            )
    except FileRefused as exc:
        return result(CaptureOutcome.FAILED, str(exc))
    except errors.Cancelled:
        return result(CaptureOutcome.CANCELLED, "Cancelled: this file was not captured")
    except errors.RecordNotFound as exc:
        return result(CaptureOutcome.FAILED, str(exc))
    except errors.ToexError as exc:  # e.g. the disk is full: the message is written for people
        return result(CaptureOutcome.FAILED, f"Not captured: {exc}")
    except Exception as exc:  # a bug must not end the batch; the log gets no file name
        log.error(
            "capture failed with %s\n%s",
            type(exc).__name__,
            "".join(traceback.format_tb(exc.__traceback__)),
        )
        return result(CaptureOutcome.FAILED, f"Not captured: internal error ({type(exc).__name__})")


def _capture_opened(ws, opened, target, prov, extractor, max_bytes, meter, cancelled, result):
    size = opened.size
    sha256 = blob_id = None
    with session_scope(ws, write=False) as s:
        known_size = blobs.size_is_stored(s, size)
    if known_size:  # it may be stored already: hash first, a duplicate costs no extraction
        sha256 = blobs.file_sha256(
            opened, max_bytes=max_bytes, progress=meter.pass_of(size, 0.5), cancelled=cancelled
        )
        with session_scope(ws, write=False) as s:
            blob_id = blobs.find_blob(s, sha256)
            if blob_id is not None and target.source_id is not None:
                same = steps.on_source(s, target.source_id, blob_id)
                if same is not None:
                    return steps.duplicate(result, same)
    extraction = None if blob_id is not None else steps.run_extraction(extractor, opened, cancelled)
    store_progress = meter.pass_of(size, 0.5, 0.5) if sha256 else meter.pass_of(size, 1.0)
    with session_scope(ws) as s:
        src = target.resolve(s, ws, opened, prov)
        if sha256 is None and blobs.size_is_stored(s, size):  # stored since we looked
            sha256 = blobs.file_sha256(opened, max_bytes=max_bytes, cancelled=cancelled)
        blob_id = blobs.find_blob(s, sha256) if sha256 else None
        linked = blob_id is not None
        donor = None
        if linked:
            same = steps.on_source(s, src.id, blob_id)
            if same is not None:
                return steps.duplicate(result, same)
            donor = steps.text_donor(s, blob_id)
        if donor is None and extraction is None:  # rare: the stored copy went meanwhile
            extraction = steps.run_extraction(extractor, opened, cancelled)
        if not linked:
            blob_id, sha256 = blobs.store_blob(
                s,
                opened,
                expected_sha256=sha256,
                max_bytes=max_bytes,
                progress=store_progress,
                cancelled=cancelled,
            )
        if donor is not None:
            fields = steps.from_donor(donor, opened)
        else:
            fields = steps.from_extraction(extraction, opened)
        att = Attachment(
            uid=c.new_uid(),
            source=src,
            blob_id=blob_id,
            original_name=c.storable(opened.name)[:500],
            size=size,
            sha256=sha256,
            file_modified_at=opened.modified_at,
            captured_by=ws.analyst,
            obtained_from=prov.obtained_from,
            obtained_at=prov.obtained_at,
            exhibit_ref=prov.exhibit_ref,
            **fields,
        )
        s.add(att)
        s.flush()
        if donor is not None:
            steps.copy_text(s, donor.id, att.id)
        elif extraction.ok and extraction.text:
            steps.store_text(s, att.id, extraction.text)
        c.record(
            s,
            ws,
            AuditAction.COLLECTION,
            "attachment",
            att.id,
            ref_of(att),
            details={
                "sha256": sha256,
                "size": size,
                "type": att.detected_type,
                "stored": "linked" if linked else "new",
                "text": att.extraction_status.value,
            },
        )
        info = info_of(att)
    message = f"Captured ({info.type_label}, {file_size_text(size)})"
    if linked:
        message += "; the same file is on another source, so the stored copy is shared"
    note = info.extraction_reason
    if info.extraction_status is ExtractionStatus.FAILED:
        note = f"No text extracted: {note}"
    return result(CaptureOutcome.CAPTURED, message, note=note, attachment=info, linked=linked)


# --- the public API -----------------------------------------------------------------------
def _run(
    ws: Workspace,
    paths: Iterable[Path | str],
    target: _Target,
    prov: steps.Provenance,
    extractor: Extractor | None,
    max_bytes: int,
    progress: Progress | None,
    cancelled: Cancel | None,
    *,
    batch: bool,
) -> list[CaptureResult]:
    paths = [Path(p) for p in paths]
    meter = steps.Meter(progress, [steps.size_of(p) for p in paths])
    own = None
    if extractor is None and batch and len(paths) > 1:
        extractor = own = Extractor(files_per_helper=FILES_PER_HELPER)
    results: list[CaptureResult] = []
    try:
        for index, path in enumerate(paths):
            if cancelled is not None and cancelled():
                message = "Cancelled before this file: not captured"
                results.append(
                    CaptureResult(str(path), path.name, CaptureOutcome.CANCELLED, message)
                )
                continue
            meter.start(index, f"{path.name} ({index + 1} of {len(paths)})")
            results.append(
                _capture_one(
                    ws,
                    path,
                    target,
                    prov,
                    extractor=extractor,
                    max_bytes=max_bytes,
                    meter=meter,
                    cancelled=cancelled,
                )
            )
            meter.start(index + 1, meter.message)
    finally:
        if own is not None:
            own.close()
    return results


def capture_files(
    ws: Workspace,
    source_id: int,
    paths: Iterable[Path | str],
    *,
    obtained_from: str = "",
    obtained_at: dt.datetime | dt.date | str | None = None,
    exhibit_ref: str = "",
    extractor: Extractor | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    progress: Progress | None = None,
    cancelled: Cancel | None = None,
) -> list[CaptureResult]:
    """Capture files onto a source, one transaction each; one result per file, in order.
    A cancelled batch keeps every file completed before; the rest say "cancelled".
    Raises only for the call itself (no such source, invalid provenance)."""
    prov = steps.provenance(obtained_from, obtained_at, exhibit_ref)
    ws.require_writable()
    with session_scope(ws, write=False) as s:
        c.fetch(s, Source, source_id, "source")
    target = _Target(source_id=source_id)
    return _run(ws, paths, target, prov, extractor, max_bytes, progress, cancelled, batch=True)


def capture_file(
    ws: Workspace,
    source_id: int,
    path: Path | str,
    *,
    obtained_from: str = "",
    obtained_at: dt.datetime | dt.date | str | None = None,
    exhibit_ref: str = "",
    extractor: Extractor | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    progress: Progress | None = None,
    cancelled: Cancel | None = None,
) -> CaptureResult:
    """Capture one file onto a source (see ``capture_files``)."""
    return capture_files(
        ws,
        source_id,
        [path],
        obtained_from=obtained_from,
        obtained_at=obtained_at,
        exhibit_ref=exhibit_ref,
        extractor=extractor,
        max_bytes=max_bytes,
        progress=progress,
        cancelled=cancelled,
    )[0]


def create_sources_from_files(
    ws: Workspace,
    task_id: int,
    paths: Iterable[Path | str],
    *,
    marking: Marking | str = Marking.OFFICIAL,
    obtained_from: str = "",
    obtained_at: dt.datetime | dt.date | str | None = None,
    exhibit_ref: str = "",
    extractor: Extractor | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    progress: Progress | None = None,
    cancelled: Cancel | None = None,
) -> list[CaptureResult]:
    """A new source per file (a document titled from the file name, graded 2/C/P until the
    researcher grades it), each created in one transaction with its capture: a file that
    fails leaves no source behind. ``attachment.source_id`` is the new source."""
    prov = steps.provenance(obtained_from, obtained_at, exhibit_ref)
    Marking.parse(marking)
    ws.require_writable()
    with session_scope(ws, write=False) as s:
        c.fetch(s, Task, task_id, "task")
    target = _Target(task_id=task_id, marking=marking)
    return _run(ws, paths, target, prov, extractor, max_bytes, progress, cancelled, batch=True)


def create_source_from_file(
    ws: Workspace, task_id: int, path: Path | str, **options
) -> CaptureResult:
    """One new source from one file (see ``create_sources_from_files``)."""
    return create_sources_from_files(ws, task_id, [path], **options)[0]
