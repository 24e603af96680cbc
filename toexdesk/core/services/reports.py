"""What a research summary and a briefing pack contain, read in one consistent snapshot,
and the disclosure event every print or export writes.

The renderers (``core/render``: PDF, DOCX) take these dataclasses and nothing else, so every
format says the same thing. Reading a summary for a product is a consultation of the task;
handing the product over (print, save, export) is a disclosure, with recipient and purpose."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from toexdesk.core.enums import (
    AuditAction,
    HandlingCode,
    IntelligenceAssessment,
    LinkRelation,
    Marking,
    Phia,
    SourceEvaluation,
    SourceType,
    grading_code,
)
from toexdesk.core.errors import FieldError, ValidationError
from toexdesk.core.model import Finding, FindingSource, Source, Task, utcnow
from toexdesk.core.services import _common as c
from toexdesk.core.services import research_log
from toexdesk.core.services.research_log import LogEntryInfo
from toexdesk.core.services.tasks import TaskInfo
from toexdesk.core.services.tasks import _info as _task_info
from toexdesk.core.store.engine import Workspace, session_scope


@dataclass(frozen=True)
class RegisterEntry:
    """A cited source as the source register lists it."""

    label: str  # "S3"
    title: str
    description: str
    source_type: SourceType
    reference: str
    obtained_on: dt.date | None
    evaluation: SourceEvaluation
    assessment: IntelligenceAssessment
    handling: HandlingCode
    handling_conditions: str
    marking: Marking

    @property
    def grading(self) -> str:
        return grading_code(self.evaluation, self.assessment, self.handling)


@dataclass(frozen=True)
class SummaryCitation:
    label: str  # "S3", resolves to the register entry with that label
    grading: str  # "2/B/P"
    relation: LinkRelation

    @property
    def text(self) -> str:
        """As printed after a finding: ``[S3 · 2/B/P]``."""
        return f"[{self.label} · {self.grading}]"


@dataclass(frozen=True)
class SummaryFinding:
    label: str  # "F1"
    text: str
    phia: Phia
    marking: Marking
    citations: tuple[SummaryCitation, ...]


@dataclass(frozen=True)
class ResearchSummary:
    """Everything one task's research summary prints, in print order."""

    task: TaskInfo
    researcher: str
    generated_at: dt.datetime  # UTC
    marking: Marking  # the highest of the task, its findings and every source they cite
    findings: tuple[SummaryFinding, ...]
    register: tuple[RegisterEntry, ...]  # the cited sources, by number
    # The task's research log, printed as an appendix when it has entries (None: left out).
    research_log: tuple[LogEntryInfo, ...] | None = None

    @property
    def handling_conditions(self) -> tuple[tuple[str, str], ...]:
        """(source label, conditions) for every C-coded source cited."""
        return tuple(
            (entry.label, entry.handling_conditions)
            for entry in self.register
            if entry.handling is HandlingCode.C
        )


@dataclass(frozen=True)
class BriefingPack:
    title: str
    recipient: str
    generated_at: dt.datetime
    marking: Marking  # the highest of its parts
    summaries: tuple[ResearchSummary, ...]


def _entry(src: Source) -> RegisterEntry:
    return RegisterEntry(
        label=f"S{src.number}",
        title=src.title,
        description=src.description,
        source_type=src.source_type,
        reference=src.reference,
        obtained_on=src.obtained_on,
        evaluation=src.evaluation,
        assessment=src.assessment,
        handling=src.handling,
        handling_conditions=src.handling_conditions,
        marking=src.marking,
    )


def _summary(
    s, ws: Workspace, task: Task, now: dt.datetime, *, include_log: bool = False
) -> ResearchSummary:
    findings = s.scalars(
        select(Finding)
        .where(Finding.task_id == task.id, Finding.archived_at.is_(None))
        .order_by(Finding.position, Finding.number)
        .options(selectinload(Finding.links).selectinload(FindingSource.source))
    ).all()
    cited: dict[int, Source] = {}
    out = []
    for f in findings:
        links = sorted(
            (link for link in f.links if link.source.archived_at is None),
            key=lambda link: link.source.number,
        )
        for link in links:
            cited[link.source.id] = link.source
        out.append(
            SummaryFinding(
                label=f"F{f.number}",
                text=f.text,
                phia=f.phia,
                marking=f.marking,
                citations=tuple(
                    SummaryCitation(
                        f"S{link.source.number}",
                        grading_code(
                            link.source.evaluation, link.source.assessment, link.source.handling
                        ),
                        link.relation,
                    )
                    for link in links
                ),
            )
        )
    register = tuple(_entry(src) for src in sorted(cited.values(), key=lambda x: x.number))
    marking = Marking.highest(
        [task.marking, *(f.marking for f in findings), *(e.marking for e in register)]
    )
    c.record(s, ws, AuditAction.CONSULTATION, "task", task.id, task.reference)
    return ResearchSummary(
        task=_task_info(task),
        researcher=ws.analyst,
        generated_at=now,
        marking=marking,
        findings=tuple(out),
        register=register,
        research_log=tuple(research_log.entries(s, task.id)) if include_log else None,
    )


def research_summary(ws: Workspace, task_id: int, *, include_log: bool = True) -> ResearchSummary:
    """Read one task's summary (a consultation of the task); ``include_log`` adds its
    research log, printed as an appendix."""
    with session_scope(ws) as s:
        task = c.fetch(s, Task, task_id, "task")
        return _summary(s, ws, task, utcnow(), include_log=include_log)


def briefing_pack(
    ws: Workspace, task_ids: Sequence[int], *, title: str, recipient: str = ""
) -> BriefingPack:
    """Several tasks' summaries, read in one transaction so they agree with each other."""
    if not task_ids:
        raise ValidationError(FieldError("tasks", "Choose at least one task for the pack."))
    ck = c.Checker()
    title = ck.text("title", title, "Pack title", max_len=300)
    recipient = ck.text("recipient", recipient, "Recipient", max_len=300, required=False)
    ck.done()
    now = utcnow()
    with session_scope(ws) as s:
        tasks = [c.fetch(s, Task, task_id, "task") for task_id in dict.fromkeys(task_ids)]
        summaries = tuple(_summary(s, ws, task, now) for task in tasks)
    return BriefingPack(
        title=title,
        recipient=recipient,
        generated_at=now,
        marking=Marking.highest(summary.marking for summary in summaries),
        summaries=summaries,
    )


PRODUCT_FORMATS = ("pdf", "docx", "print", "csv", "xlsx", "i2", "manifest")


def record_disclosure(
    ws: Workspace,
    task_ids: Sequence[int],
    *,
    recipient: str,
    purpose: str,
    product: str,
    fmt: str,
    marking: Marking,
    sha256: str = "",
    pages: int | None = None,
) -> None:
    """Log that a product left the workspace: one disclosure event per task in it, with the
    recipient and purpose the user gave (both required), in one transaction."""
    ck = c.Checker()
    recipient = ck.text("recipient", recipient, "Recipient", max_len=300)
    purpose = ck.text("purpose", purpose, "Purpose", max_len=2_000)
    if fmt not in PRODUCT_FORMATS:
        ck.fail("format", f"Unknown product format {fmt!r}.")
    ck.done()
    details: dict = {"product": product, "format": fmt, "marking": marking.value}
    if sha256:
        details["sha256"] = sha256
    if pages is not None:
        details["pages"] = pages
    with session_scope(ws) as s:
        for task_id in dict.fromkeys(task_ids):
            task = c.fetch(s, Task, task_id, "task")
            c.record(
                s,
                ws,
                AuditAction.DISCLOSURE,
                "task",
                task.id,
                task.reference,
                justification=purpose,
                recipient=recipient,
                details=details,
            )
