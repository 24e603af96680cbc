"""A task's draft schedule of unused material (MG6C style), for the disclosure officer.

It lists what the research gathered and did with it: every source of the task (archived
ones too: they are still held), every system the researcher checked, nil returns included,
and the research log itself (the workspace searches and the decisions). Each item keeps the
number it was given the first time it was scheduled (``ScheduleItem``), so a later version
of the schedule says "item 4" about the same material; new items take the next numbers
(``Task.last_schedule_number`` never goes down), in source number order then log order, and
an item erased since keeps its row, saying it is no longer held.

Drawing up the schedule numbers new items and reads the task: one transaction, recorded as a
consultation. Writing it to a folder (XLSX, PDF) is a disclosure: each file is written
atomically under a marking-led name, with its own disclosure event (recipient, purpose,
SHA-256), as exports are. The sensitivity column is a draft suggestion only (handling code
C, a SECRET or higher marking, a human source): the disclosure officer decides."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from toexdesk.core.enums import (
    AuditAction,
    HandlingCode,
    LogKind,
    Marking,
    ScheduleItemKind,
    SourceType,
    grading_code,
)
from toexdesk.core.errors import Cancelled, ExportFailed
from toexdesk.core.model import FindingSource, ScheduleItem, Source, Task, utcnow
from toexdesk.core.services import _common as c
from toexdesk.core.services import exports, reports, research_log
from toexdesk.core.services.exports import ExportedFile
from toexdesk.core.services.research_log import LogEntryInfo
from toexdesk.core.services.tasks import TaskInfo
from toexdesk.core.services.tasks import _info as _task_info
from toexdesk.core.store.engine import Workspace, session_scope

__all__ = [
    "FORMATS",
    "PRODUCT",
    "ScheduleExport",
    "ScheduleRow",
    "UnusedMaterialSchedule",
    "draft_schedule",
    "export_schedule",
    "schedule_file_name",
    "schedule_marking",
]

FORMATS = ("xlsx", "pdf")
PRODUCT = "unused material schedule"
FILE_KIND = "unused-material-schedule"
SENSITIVE, NOT_SENSITIVE = "Sensitive", "Not sensitive"
MAX_FILES_NAMED = 8
Progress = Callable[[int, int, str], None] | None
Cancel = Callable[[], bool] | None


@dataclass(frozen=True)
class ScheduleRow:
    """One numbered item of the schedule, as both formats print it."""

    number: int
    kind: ScheduleItemKind
    label: str  # "S3", "Check", "Log", or "" for an item no longer held
    description: str
    date: dt.date | None  # the relevant date: obtained, checked, or the log's last entry
    location: str  # where the material is held
    marking: Marking | None
    handling: str  # "1/B/C" for a source; "" otherwise
    suggestion: str  # SENSITIVE or NOT_SENSITIVE: a draft for the disclosure officer
    why: str  # what the suggestion rests on
    held: bool = True  # False: erased from the workspace since it was numbered


@dataclass(frozen=True)
class UnusedMaterialSchedule:
    task: TaskInfo
    workspace: str  # the workspace file's name, where the material is held
    researcher: str
    generated_at: dt.datetime  # UTC
    marking: Marking  # the highest of the task and every source listed
    rows: tuple[ScheduleRow, ...]  # by item number
    new_numbers: tuple[int, ...]  # the numbers first given in this version


def _day(value: dt.date | dt.datetime) -> str:
    if isinstance(value, dt.datetime):
        value = value.astimezone(dt.UTC).date()
    return f"{value.day} {value:%b %Y}"


def _suggest(marking: Marking, *reasons: str, graded: bool = False) -> tuple[str, str]:
    """(suggestion, why): sensitive for handling code C, a human source, or a marking of
    SECRET or above."""
    why = [r for r in reasons if r]
    if marking.rank >= Marking.SECRET.rank:
        why.append(f"marked {marking.label}")
    if why:
        return SENSITIVE, "; ".join(why)
    return NOT_SENSITIVE, f"marked {marking.label}" + ("; handling code P" if graded else "")


def _source_row(number: int, src: Source, where: str, cited: bool) -> ScheduleRow:
    names = [a.original_name for a in sorted(src.attachments, key=lambda a: a.id)]
    obtained = (
        f"obtained {_day(src.obtained_on)}" if src.obtained_on else "date obtained not recorded"
    )
    description = f"{src.title} ({src.source_type.label}; {obtained})."
    if cited:
        description += " Cited in the research summary."
    if src.archived_at is not None:
        description += " Archived (withdrawn from the working lists, still held)."
    location = f"{where}, source S{src.number}"
    if names:
        shown = ", ".join(names[:MAX_FILES_NAMED])
        more = f" and {len(names) - MAX_FILES_NAMED} more" if len(names) > MAX_FILES_NAMED else ""
        word = "attachment" if len(names) == 1 else "attachments"
        location += f", {word} {shown}{more}"
    if src.reference.strip():
        location += f". Original: {' '.join(src.reference.split())}"
    suggestion, why = _suggest(
        src.marking,
        "handling code C" if src.handling is HandlingCode.C else "",
        "human source" if src.source_type is SourceType.HUMAN else "",
        graded=True,
    )
    return ScheduleRow(
        number=number,
        kind=ScheduleItemKind.SOURCE,
        label=f"S{src.number}",
        description=description,
        date=src.obtained_on,
        location=location,
        marking=src.marking,
        handling=grading_code(src.evaluation, src.assessment, src.handling),
        suggestion=suggestion,
        why=why,
    )


def _check_row(number: int, entry: LogEntryInfo, where: str, task: Task) -> ScheduleRow:
    outcome = entry.outcome.label if entry.outcome is not None else "Outcome not recorded"
    description = f"Check of {entry.system}: {entry.detail}. Result: {outcome}"
    description += f" (checked {_day(entry.at)} by {entry.analyst})."
    if entry.reason:
        description += f" Notes: {entry.reason}"
    suggestion, why = _suggest(task.marking)
    return ScheduleRow(
        number=number,
        kind=ScheduleItemKind.LOG_ENTRY,
        label="Check",
        description=description,
        date=entry.at.date(),
        location=f"{entry.system} (the system checked); the check is recorded in {where}, "
        f"research log of {task.reference}",
        marking=task.marking,
        handling="",
        suggestion=suggestion,
        why=why,
    )


def _log_row(number: int, log: list[LogEntryInfo], where: str, task: Task) -> ScheduleRow:
    searches = sum(1 for e in log if e.kind is LogKind.SEARCH)
    nil = sum(1 for e in log if e.kind is LogKind.SEARCH and e.is_nil_return)
    decisions = sum(1 for e in log if e.kind is LogKind.DECISION)
    checks = sum(1 for e in log if e.kind is LogKind.SYSTEM_CHECK)
    span = f"{_day(log[0].at)} to {_day(log[-1].at)}" if log else "no entries"
    description = (
        f"Research log of {task.reference} ({span}): {searches} workspace "
        f"search{'es' if searches != 1 else ''} ({nil} with a nil return), {decisions} "
        f"decision{'s' if decisions != 1 else ''} with reasons and {checks} system "
        f"check{'s' if checks != 1 else ''} (each check also listed as its own item)."
    )
    suggestion, why = _suggest(task.marking)
    return ScheduleRow(
        number=number,
        kind=ScheduleItemKind.LOG_ENTRY,
        label="Log",
        description=description,
        date=log[-1].at.date() if log else None,
        location=f"{where}, research log of {task.reference} (printable as an appendix to "
        "the research summary)",
        marking=task.marking,
        handling="",
        suggestion=suggestion,
        why=why,
    )


def _gone(number: int, kind: ScheduleItemKind) -> ScheduleRow:
    return ScheduleRow(
        number=number,
        kind=kind,
        label="",
        description="No longer held: erased from the workspace since this item was numbered.",
        date=None,
        location="Not held",
        marking=None,
        handling="",
        suggestion="",
        why="",
        held=False,
    )


def draft_schedule(ws: Workspace, task_id: int) -> UnusedMaterialSchedule:
    """Draw up the task's schedule: number the items not numbered before (sources by number,
    then system checks in log order, then the research log), read every item, and record
    the reading as a consultation of the task. One transaction."""
    now = utcnow()
    with session_scope(ws) as s:
        task = c.fetch(s, Task, task_id, "task")
        srcs = s.scalars(
            select(Source)
            .where(Source.task_id == task.id)
            .order_by(Source.number)
            .options(selectinload(Source.attachments))
        ).all()
        cited = set(
            s.scalars(
                select(FindingSource.source_id).where(
                    FindingSource.source_id.in_([x.id for x in srcs])
                )
            )
        )
        log = research_log.entries(s, task.id)
        checks = [e for e in log if e.kind is LogKind.SYSTEM_CHECK]
        has_log = any(e.kind is not LogKind.SYSTEM_CHECK for e in log)
        numbered = {
            item.item_uid: item
            for item in s.scalars(select(ScheduleItem).where(ScheduleItem.task_id == task.id))
        }
        wanted = [(ScheduleItemKind.SOURCE, x.uid) for x in srcs]
        wanted += [(ScheduleItemKind.LOG_ENTRY, e.uid) for e in checks]
        if has_log:
            wanted.append((ScheduleItemKind.LOG_ENTRY, task.uid))  # the log as a whole
        new_numbers = []
        for kind, uid in wanted:
            if uid not in numbered:
                task.last_schedule_number += 1
                item = ScheduleItem(
                    task_id=task.id, number=task.last_schedule_number, kind=kind, item_uid=uid
                )
                s.add(item)
                numbered[uid] = item
                new_numbers.append(item.number)
        by_uid = {x.uid: x for x in srcs}
        check_by_uid = {e.uid: e for e in checks}
        where = f"TOEX workspace {ws.path.name}"
        rows = []
        for item in sorted(numbered.values(), key=lambda i: i.number):
            if item.item_uid in by_uid:
                src = by_uid[item.item_uid]
                rows.append(_source_row(item.number, src, where, src.id in cited))
            elif item.item_uid in check_by_uid:
                rows.append(_check_row(item.number, check_by_uid[item.item_uid], where, task))
            elif item.item_uid == task.uid:
                rows.append(_log_row(item.number, log, where, task))
            else:
                rows.append(_gone(item.number, item.kind))
        marking = Marking.highest([task.marking, *(x.marking for x in srcs)])
        c.record(
            s,
            ws,
            AuditAction.CONSULTATION,
            "task",
            task.id,
            task.reference,
            details={"read": PRODUCT, "items": len(rows), "new_items": len(new_numbers)},
        )
        info = _task_info(task)
    return UnusedMaterialSchedule(
        task=info,
        workspace=ws.path.name,
        researcher=ws.analyst,
        generated_at=now,
        marking=marking,
        rows=tuple(rows),
        new_numbers=tuple(new_numbers),
    )


# --- writing to a folder -------------------------------------------------------------------
@dataclass(frozen=True)
class ScheduleExport:
    schedule: UnusedMaterialSchedule
    folder: Path
    files: tuple[ExportedFile, ...]


def schedule_marking(ws: Workspace, task_id: int) -> tuple[str, Marking]:
    """(task reference, marking) the task's schedule takes now: the highest of the task and
    its sources (to name the files before writing them; reads markings only)."""
    with session_scope(ws, write=False) as s:
        task = c.fetch(s, Task, task_id, "task")
        markings = s.scalars(select(Source.marking).where(Source.task_id == task.id)).all()
        return task.reference, Marking.highest([task.marking, *markings])


def schedule_file_name(marking: Marking, reference: str, fmt: str) -> str:
    """E.g. ``OFFICIAL-SENSITIVE_TX-2026-0042_unused-material-schedule.pdf``."""
    return exports.product_file_name(marking, reference, FILE_KIND, fmt)


def _check_request(formats: Iterable[str], recipient: str, purpose: str) -> tuple[str, ...]:
    return exports.check_request(
        formats,
        recipient,
        purpose,
        known=FORMATS,
        none_chosen="Choose at least one format: xlsx, pdf.",
    )


def export_schedule(
    ws: Workspace,
    task_id: int,
    folder: Path | str,
    *,
    formats: Iterable[str] = FORMATS,
    recipient: str,
    purpose: str,
    overwrite: bool = False,
    progress: Progress = None,
    cancelled: Cancel = None,
) -> ScheduleExport:
    """Draw up the task's schedule and write it to ``folder`` as XLSX and/or PDF: each file
    atomically, under a marking-led name, with its own disclosure event. Refuses before
    writing anything if a file is there already (unless ``overwrite``)."""
    from toexdesk.core.render import schedule as render

    wanted = _check_request(formats, recipient, purpose)
    recipient, purpose = recipient.strip(), purpose.strip()
    folder = Path(folder)
    try:
        if not folder.is_dir():
            raise ExportFailed(f"The folder {folder} is not there (a network drive gone?).")
    except OSError as exc:
        raise exports._failure(exc, folder / "schedule") from None
    if progress is not None:
        progress(0, len(wanted) + 1, "Drawing up the schedule…")
    sched = draft_schedule(ws, task_id)
    ref = sched.task.reference
    targets = {fmt: folder / schedule_file_name(sched.marking, ref, fmt) for fmt in wanted}
    for target in targets.values():
        exports._check_target(target, overwrite)  # all refused before any is written
    saved: list[ExportedFile] = []
    for n, fmt in enumerate(wanted, start=1):
        if cancelled is not None and cancelled():
            raise Cancelled(
                "The schedule was stopped"
                + (f"; {saved[0].name} was saved and recorded as disclosed." if saved else ".")
            )
        target = targets[fmt]
        if progress is not None:
            progress(n, len(wanted) + 1, f"Writing {target.name}")
        pages: list[int | None] = [None]

        def write(fh: BinaryIO, fmt=fmt, pages=pages) -> None:
            if fmt == "pdf":
                pages[0] = render.render_schedule_pdf(sched, fh, cancelled=cancelled)
            else:
                buffer = io.BytesIO()
                render.write_schedule_xlsx(sched, buffer)
                fh.write(buffer.getvalue())

        def disclose(sha256: str, fmt=fmt, pages=pages) -> None:
            reports.record_disclosure(
                ws,
                [task_id],
                recipient=recipient,
                purpose=purpose,
                product=PRODUCT,
                fmt=fmt,
                marking=sched.marking,
                sha256=sha256,
                pages=pages[0],
            )

        digest = exports.write_atomically(
            target, write, overwrite=overwrite, before_publish=disclose
        )
        saved.append(ExportedFile(target, PRODUCT, fmt, sched.marking, digest))
    if progress is not None:
        progress(len(wanted) + 1, len(wanted) + 1, f"Wrote {len(saved)} files to {folder}")
    return ScheduleExport(sched, folder, tuple(saved))
