"""The flowables of one research summary, used alone or as a part of a briefing pack.

Order: the header block, the handling conditions (before the content, so that whoever
reads the product sees what they may do with it first), the research questions, the
findings with their PHIA term and citations, the gaps, the source register the
citations resolve to and, when the summary carries one with entries, the research log as an
appendix.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    KeepTogether,
    Paragraph,
    Spacer,
    Table,
)

from toexdesk.core.enums import HandlingCode, LinkRelation, LogKind, Marking
from toexdesk.core.render import styles as st
from toexdesk.core.render.page import Heading
from toexdesk.core.render.text import (
    DASH,
    NBSP,
    blocks,
    chunks,
    date,
    generated,
    markup,
    one_line,
    shorten,
    utc,
)
from toexdesk.core.services.reports import (
    RegisterEntry,
    ResearchSummary,
    SummaryCitation,
    SummaryFinding,
)

# The register identifies sources; it is not where their full text lives. A description
# pasted in whole (up to 100,000 characters) would turn one row into dozens of pages, and a
# table row must fit on one page.
DESCRIPTION_LIMIT, DESCRIPTION_LINES = 1_200, 12
CONDITIONS_IN_REGISTER, CONDITIONS_LINES = 400, 6
REFERENCE_LIMIT = 300
HEADING_ROOM = 40 * st.mm
HEADING_HEIGHT = 32  # points: an h1 with the space around it
REGISTER_COLUMNS = (  # (heading, width in mm); 174 mm of text width
    ("Ref", 9),
    ("Source", 58),
    ("Type", 17),
    ("Obtained", 16),
    ("3x5x2 grading", 42),
    ("Handling conditions", 32),
)
LOG_COLUMNS = (  # (heading, width in mm)
    ("When (UTC)", 22),
    ("Entry", 19),
    ("System and what was searched, or decision", 72),
    ("Outcome", 19),
    ("Reason / notes", 42),
)
APPENDIX = "Appendix: research log"
RELATION_WORDS = {
    LinkRelation.SUPPORTS: "Supported by",
    LinkRelation.CONTEXT: "Context",
    LinkRelation.CONTRADICTS: "Contradicted by",
}


@dataclass(frozen=True)
class Part:
    """Where a summary sits: alone (level 0 bookmarks) or in a pack (under its task)."""

    key: str  # bookmark key prefix, unique in the document
    level: int  # outline level of the section headings
    in_pack: bool = False


def citation_text(citation: SummaryCitation) -> str:
    """``[S3 · 2/B/P]``, kept on one line."""
    return citation.text.replace(" ", NBSP)


def toc_entry(ref: str, title: str, marking: str) -> tuple[str, str]:
    """A pack's contents row for a summary: reference and title cells, as markup from
    already escaped text."""
    return ref, f"{title} <font color='#5A5A5A' size='7.5'>({marking})</font>"


def summary_story(
    summary: ResearchSummary, s: st.Styles, part: Part, check: Callable[[], None]
) -> list[Flowable]:
    story: list[Flowable] = []
    story += _title(summary, s, part)
    sections: list[tuple[str, Callable[[], list[Flowable]]]] = [
        ("Handling conditions", lambda: _conditions_box(summary, s)),
        ("Research questions", lambda: _text_or_note(summary.task.research_questions, s)),
        ("Findings", lambda: _findings(summary, s, check)),
        ("Gaps and further research", lambda: _text_or_note(summary.task.gaps, s)),
        ("Source register", lambda: _register(summary, s, check)),
    ]
    if summary.research_log:
        sections.append((APPENDIX, lambda: _log_appendix(summary, s, check)))
    for n, (name, build) in enumerate(sections, start=1):
        check()
        heading = Heading(markup(name), s.h1, key=f"{part.key}s{n}", outline=(part.level, name))
        flowables = build()
        # A heading never ends a page: it starts a new one unless there is room for it and
        # the start of its section (a table's heading row and first row). keepWithNext
        # would move a whole register that fits a page, leaving the page before it empty.
        room = max(HEADING_ROOM, HEADING_HEIGHT + _lead_height(flowables[0]))
        story += [CondPageBreak(room), heading, *flowables]
    return story


# --- header block ----------------------------------------------------------------------------
def _title(summary: ResearchSummary, s: st.Styles, part: Part) -> list[Flowable]:
    task = summary.task
    ref = one_line(task.reference)
    kicker = f"RESEARCH SUMMARY{NBSP}·{NBSP}{markup(ref)}"
    outline_text = f"{ref} {one_line(task.title)}"
    if part.in_pack:
        toc = toc_entry(markup(ref), markup(one_line(task.title)), summary.marking.label)
        head: Flowable = Heading(
            kicker, s.kicker, key=part.key, outline=(0, outline_text), toc=toc, part=ref
        )
    else:
        head = Paragraph(kicker, s.kicker)
    return [head, Paragraph(markup(one_line(task.title)), s.title), _key_values(summary, s)]


def _marking_note(summary: ResearchSummary) -> str:
    """The marking and why: the highest of the task and everything it cites."""
    note = summary.marking.label
    if summary.marking is not summary.task.marking:
        raisers = [e.label for e in summary.register if e.marking is summary.marking]
        why = f"; raised by {', '.join(raisers[:6])}" if raisers else ""
        why += " and others" if len(raisers) > 6 else ""
        note += f" (task {summary.task.marking.label}{why})"
    return note


def _key_values(summary: ResearchSummary, s: st.Styles) -> Table:
    task = summary.task
    due = date(task.due_date)

    def label(text: str) -> Paragraph:
        return Paragraph(text, s.cell_bold)

    def value(text: str) -> Paragraph:
        return Paragraph(markup(one_line(text)), s.cell)

    rows = [
        [label("Reference"), value(task.reference), label("Priority"), value(task.priority.label)],
        [label("Requester"), value(task.requester), label("Thematic"), value(task.thematic.label)],
        [label("Researcher"), value(summary.researcher), label("Status"), value(task.status.label)],
        [label("Requested"), value(date(task.created_at)), label("Due"), value(due)],
        [label("Generated"), value(generated(summary.generated_at)), "", ""],
        [label("Marking"), Paragraph(f"<b>{markup(_marking_note(summary))}</b>", s.cell), "", ""],
    ]
    widths = [x * st.mm for x in (24, 63, 24, 63)]
    table = Table(rows, colWidths=widths, hAlign="LEFT")
    table.setStyle(
        st.table_style(
            ("BACKGROUND", (0, 0), (0, -1), st.LABEL_FILL),
            ("BACKGROUND", (2, 0), (2, 3), st.LABEL_FILL),
            ("SPAN", (1, 4), (3, 4)),
            ("SPAN", (1, 5), (3, 5)),
            ("GRID", (0, 0), (-1, -1), 0.4, st.GRID),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("TOPPADDING", (0, 0), (-1, -1), 3),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        )
    )
    return table


# --- sections --------------------------------------------------------------------------------
class LeadTable(Table):
    """A table that knows the height of its heading row and first body row together,
    the least of it that may follow its section heading on a page."""

    def __init__(self, rows: list[list], colWidths, **kw):
        super().__init__(rows, colWidths=colWidths, **kw)
        self._lead = rows[: self.repeatRows + 1], colWidths

    def lead_height(self) -> float:
        rows, widths = self._lead
        # Unstyled: reportlab's default padding is within a point or two of ours.
        return Table(rows, colWidths=widths).wrap(st.TEXT_WIDTH, st.PAGE_HEIGHT)[1] + 4


def _lead_height(flowable: Flowable) -> float:
    return flowable.lead_height() if isinstance(flowable, LeadTable) else 0.0


def _text_or_note(text: str, s: st.Styles) -> list[Flowable]:
    paragraphs = blocks(text)
    if not paragraphs:
        return [Paragraph("None recorded.", s.note)]
    return [Paragraph(p, s.body) for p in paragraphs]


def _conditions_box(summary: ResearchSummary, s: st.Styles) -> list[Flowable]:
    """Every C-coded source's conditions in one box; rows split across pages if need be."""
    conditions = summary.handling_conditions
    lines = []  # rows that start a source's conditions get a rule above
    if conditions:
        intro = (
            "Sharing is permitted subject to these conditions, set by the sources cited "
            "(handling code C)."
        )
        rows = [[Paragraph(intro, s.cell), ""]]
        for label, text in conditions:
            lines.append(("LINEABOVE", (0, len(rows)), (-1, len(rows)), 0.3, st.GRID))
            # A long condition takes several rows (one row cannot break across pages).
            for n, piece in enumerate(chunks(text) or [""]):
                label_text = f"<b>{markup(one_line(label))}</b>" if n == 0 else ""
                rows.append([Paragraph(label_text, s.cell), Paragraph(markup(piece), s.cell)])
    else:
        note = "No cited source carries handling conditions: every one is handling code P."
        rows = [[Paragraph(note, s.cell), ""]]
    table = LeadTable(
        rows,
        colWidths=[14 * st.mm, st.TEXT_WIDTH - 14 * st.mm],
        repeatRows=1 if conditions else 0,
        hAlign="LEFT",
    )
    table.setStyle(
        st.table_style(
            ("SPAN", (0, 0), (1, 0)),
            ("BACKGROUND", (0, 0), (-1, -1), st.BOX_FILL),
            ("BOX", (0, 0), (-1, -1), 1, st.BOX_EDGE),
            *lines,
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 6),
            ("TOPPADDING", (0, 0), (-1, -1), 4),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        )
    )
    return [table]


def _finding_meta(finding: SummaryFinding, summary_marking: Marking) -> str:
    phia = finding.phia
    parts = [f"<b>{markup(phia.label)}</b> ({markup(phia.range_text)})"]
    if finding.citations:
        for relation, words in RELATION_WORDS.items():
            cited = [c for c in finding.citations if c.relation is relation]
            if cited:
                labels = ", ".join(markup(citation_text(c)) for c in cited)
                parts.append(f"{words} {labels}")
    else:
        parts.append("<b>No source cited</b>")
    if finding.marking is not Marking.OFFICIAL or summary_marking is not Marking.OFFICIAL:
        parts.append(f"Marked {markup(finding.marking.label)}")
    return f"{NBSP}·{NBSP} ".join(parts)


def _findings(summary: ResearchSummary, s: st.Styles, check) -> list[Flowable]:
    if not summary.findings:
        return [Paragraph("No findings recorded.", s.note)]
    out: list[Flowable] = []
    for finding in summary.findings:
        check()
        text = Paragraph(markup(finding.text), s.finding, bulletText=one_line(finding.label))
        meta = Paragraph(_finding_meta(finding, summary.marking), s.finding_meta)
        out.append(KeepTogether([text, meta]))
    return out


def _grading(entry: RegisterEntry) -> str:
    return "<br/>".join(
        [
            f"<b>{markup(entry.grading)}</b>",
            markup(f"{entry.evaluation.code} {entry.evaluation.label}"),
            markup(f"{entry.assessment.code} {entry.assessment.label}"),
            markup(f"{entry.handling.code} {entry.handling.label}"),
        ]
    )


def _source_cell(entry: RegisterEntry, s: st.Styles) -> list[Flowable]:
    cell = [Paragraph(f"<b>{markup(one_line(entry.title))}</b>", s.cell)]
    description, left_out = shorten(entry.description, DESCRIPTION_LIMIT, DESCRIPTION_LINES)
    if description:
        if left_out:
            description += f"\n[{left_out:,} more characters in the workspace]"
        cell.append(Paragraph(markup(description), s.cell))
    reference = shorten(one_line(entry.reference), REFERENCE_LIMIT)[0]
    extra = [f"Reference: {reference}"] if reference else []
    extra.append(f"Marking: {entry.marking.label}")
    cell.append(Paragraph(markup(" · ".join(extra)), s.cell_small))
    return cell


def _conditions_cell(entry: RegisterEntry, s: st.Styles) -> Paragraph:
    if entry.handling is not HandlingCode.C:
        return Paragraph("None (P)", s.cell_small)
    text, left_out = shorten(entry.handling_conditions, CONDITIONS_IN_REGISTER, CONDITIONS_LINES)
    if left_out:
        text += "\n[in full under Handling conditions]"
    return Paragraph(markup(text), s.cell)


def _register(summary: ResearchSummary, s: st.Styles, check) -> list[Flowable]:
    if not summary.register:
        return [Paragraph("No sources are cited.", s.note)]
    rows: list[list] = [[Paragraph(name, s.cell_head) for name, _ in REGISTER_COLUMNS]]
    for entry in summary.register:
        check()
        rows.append(
            [
                Paragraph(f"<b>{markup(entry.label)}</b>", s.cell),
                _source_cell(entry, s),
                Paragraph(markup(entry.source_type.label), s.cell),
                Paragraph(markup(date(entry.obtained_on)), s.cell),
                Paragraph(_grading(entry), s.cell),
                _conditions_cell(entry, s),
            ]
        )
    table = LeadTable(
        rows,
        colWidths=[w * st.mm for _, w in REGISTER_COLUMNS],
        repeatRows=1,
        hAlign="LEFT",
    )
    table.setStyle(st.listing_style())
    return [table, Spacer(1, 2)]


# --- appendix ----------------------------------------------------------------------------------
def _log_cells(entry, s: st.Styles) -> list:
    when = utc(entry.at)
    stamp = f"{markup(date(when))} {when:%H:%M}<br/><font size='6.5'>{markup(entry.analyst)}</font>"
    kind = entry.kind.label + (" (automatic)" if entry.automatic else "")
    if entry.kind is LogKind.DECISION:
        what = markup(shorten(entry.detail, DESCRIPTION_LIMIT, DESCRIPTION_LINES)[0])
    else:
        detail = shorten(entry.detail, DESCRIPTION_LIMIT, DESCRIPTION_LINES)[0]
        what = f"<b>{markup(one_line(entry.system))}</b><br/>{markup(detail)}"
    outcome = f"<b>{markup(entry.outcome.label)}</b>" if entry.outcome is not None else DASH
    reason = shorten(entry.reason, DESCRIPTION_LIMIT, DESCRIPTION_LINES)[0]
    return [
        Paragraph(stamp, s.cell),
        Paragraph(markup(kind), s.cell),
        Paragraph(what, s.cell),
        Paragraph(outcome, s.cell),
        Paragraph(markup(reason) if reason else DASH, s.cell),
    ]


def _log_appendix(summary: ResearchSummary, s: st.Styles, check) -> list[Flowable]:
    """The task's research log, oldest first: searches, systems checked (nil returns
    spelled out) and decisions with their reasons."""
    entries = summary.research_log or ()
    intro = Paragraph(
        f"{len(entries)} entries, oldest first. The log is append-only: an entry is never "
        "changed; a correction is a later entry.",
        s.note,
    )
    rows: list[list] = [[Paragraph(name, s.cell_head) for name, _ in LOG_COLUMNS]]
    for entry in entries:
        check()
        rows.append(_log_cells(entry, s))
    table = LeadTable(
        rows, colWidths=[w * st.mm for _, w in LOG_COLUMNS], repeatRows=1, hAlign="LEFT"
    )
    table.setStyle(st.listing_style())
    return [intro, table]
