"""Research summaries and briefing packs made directly as dataclasses (no workspace), for
the renderer tests and the report benchmark. Every name, number and place is invented."""

from __future__ import annotations

import datetime as dt
import itertools
import random

from toexdesk.core.enums import (
    HandlingCode,
    IntelligenceAssessment,
    LinkRelation,
    Marking,
    Phia,
    Priority,
    SourceEvaluation,
    SourceType,
    TaskStatus,
    Thematic,
    grading_code,
)
from toexdesk.core.services.reports import (
    BriefingPack,
    RegisterEntry,
    ResearchSummary,
    SummaryCitation,
    SummaryFinding,
)
from toexdesk.core.services.tasks import TaskInfo

GENERATED = dt.datetime(2026, 3, 14, 9, 26, tzinfo=dt.UTC)
NAMES = (
    "Nguyễn Thị Hường",
    "Dritë Çeka",
    "Łukasz Żółć",
    "Mădălina Popescu",
    "Олександр Коваленко",
)
PLACES = ("Fennick Bay", "Hallam Vale", "Eastbrook", "Stallingford", "Kelderby")


def task(
    n: int = 42,
    *,
    title: str = "Runners moving between Eastbrook and Fennick Bay",
    marking: Marking = Marking.OFFICIAL,
    questions: str = "1. Who runs the line?\n2. Which addresses are used?",
    gaps: str = "Nothing yet on travel between Eastbrook and Fennick Bay.",
    requester: str = "DI Amara Okafor, Serious and Organised Crime Unit",
) -> TaskInfo:
    created = dt.datetime(2026, 3, 1, 10, 0, tzinfo=dt.UTC)
    return TaskInfo(
        id=n,
        uid=f"{n:032x}",
        reference=f"TX-2026-{n:04d}",
        title=title,
        requester=requester,
        thematic=Thematic.COUNTY_LINES,
        priority=Priority.P2,
        due_date=dt.date(2026, 3, 20),
        status=TaskStatus.IN_PROGRESS,
        research_questions=questions,
        gaps=gaps,
        marking=marking,
        tags=(),
        created_at=created,
        updated_at=created,
        archived=False,
    )


def source(
    number: int,
    *,
    title: str | None = None,
    description: str | None = None,
    handling: HandlingCode = HandlingCode.P,
    conditions: str = "",
    marking: Marking = Marking.OFFICIAL,
    reference: str | None = None,
    rng: random.Random | None = None,
) -> RegisterEntry:
    rng = rng or random.Random(number)
    name, place = rng.choice(NAMES), rng.choice(PLACES)
    if handling is HandlingCode.C and not conditions:
        conditions = f"Share with safeguarding partners in {place} only; originator consent."
    return RegisterEntry(
        label=f"S{number}",
        title=title or f"Intelligence report: {name} seen at an address in {place}",
        description=description
        or f"{name} seen arriving at an address in {place} with two others; phone "
        f"07700 900{number % 1000:03d} linked to the address by call data.",
        source_type=rng.choice(list(SourceType)),
        reference=reference if reference is not None else f"IR-2026-{10_000 + number}",
        obtained_on=dt.date(2026, 1, 1) + dt.timedelta(days=number % 60),
        evaluation=rng.choice(list(SourceEvaluation)),
        assessment=rng.choice(list(IntelligenceAssessment)),
        handling=handling,
        handling_conditions=conditions,
        marking=marking,
    )


def cite(entry: RegisterEntry, relation: LinkRelation = LinkRelation.SUPPORTS) -> SummaryCitation:
    return SummaryCitation(
        entry.label, grading_code(entry.evaluation, entry.assessment, entry.handling), relation
    )


def finding(
    number: int, text: str, citations=(), *, phia: Phia = Phia.LIKELY, marking=Marking.OFFICIAL
) -> SummaryFinding:
    return SummaryFinding(f"F{number}", text, phia, marking, tuple(citations))


def summary(
    register: list[RegisterEntry],
    findings: list[SummaryFinding],
    *,
    task_info: TaskInfo | None = None,
    marking: Marking | None = None,
) -> ResearchSummary:
    task_info = task_info or task()
    if marking is None:
        marking = Marking.highest(
            [task_info.marking, *(f.marking for f in findings), *(e.marking for e in register)]
        )
    return ResearchSummary(
        task=task_info,
        researcher="Test Analyst",
        generated_at=GENERATED,
        marking=marking,
        findings=tuple(findings),
        register=tuple(register),
    )


def big_summary(
    n_sources: int = 50, n_findings: int = 40, *, seed: int = 7, task_number: int = 42
) -> ResearchSummary:
    """A realistic large summary: every source cited, some C-coded, a few sensitive."""
    rng = random.Random(seed)
    register = [
        source(
            i,
            rng=rng,
            handling=HandlingCode.C if i % 5 == 0 else HandlingCode.P,
            marking=Marking.OFFICIAL_SENSITIVE if i % 9 == 3 else Marking.OFFICIAL,
        )
        for i in range(1, n_sources + 1)
    ]
    relations = itertools.cycle(
        [
            LinkRelation.SUPPORTS,
            LinkRelation.SUPPORTS,
            LinkRelation.CONTEXT,
            LinkRelation.CONTRADICTS,
        ]
    )
    findings = []
    for i in range(1, n_findings + 1):
        cited = rng.sample(register, k=min(3, len(register)))
        cited += [register[(i - 1) % len(register)]]  # every source cited at least once
        cited = sorted(set(cited), key=lambda e: int(e.label[1:]))
        name, place = rng.choice(NAMES), rng.choice(PLACES)
        text = (
            f"{name} is assessed to run deliveries from {place}; the phone 07700 "
            f"900{i:03d} was used to advertise supply on {2 + i % 9} occasions and was seen "
            "in the handset of a child reported missing. " * (1 + i % 3)
        ).strip()
        findings.append(
            finding(
                i,
                text,
                [cite(e, next(relations)) for e in cited],
                phia=list(Phia)[i % len(Phia)],
            )
        )
    return summary(register, findings, task_info=task(task_number))


def pack(summaries: list[ResearchSummary], *, title: str = "Tasking meeting 16 March 2026"):
    return BriefingPack(
        title=title,
        recipient="DS Farah Lindqvist, Regional Tasking Group",
        generated_at=GENERATED,
        marking=Marking.highest(s.marking for s in summaries),
        summaries=tuple(summaries),
    )
