"""The draft schedule of unused material (MG6C style) as PDF and XLSX.

Both take ``services.schedule.UnusedMaterialSchedule`` and nothing else, so both say the
same thing. The PDF follows the research summary's conventions (``page.py``): A4, the
bundled font, the marking centred at the top and bottom of every page, a running head, the
generation time and "Page X of Y"; every page also carries a faint diagonal DRAFT and the
header block says the schedule is a draft for the disclosure officer. User text is data: it
passes through ``text.markup`` before a paragraph sees it.

The XLSX writes every cell as text, cleaned and neutralised as ``tabular`` does (a value
starting with ``=``, ``+``, ``-``, ``@``, tab, CR, LF or NUL gets a leading ``'``), with the
marking in the first row, in every printed page's header and footer and in the document
title.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import BinaryIO

from reportlab.lib import colors
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, Spacer, Table

from toexdesk import APP_NAME
from toexdesk.core.render import styles as st
from toexdesk.core.render.fonts import SANS_BOLD
from toexdesk.core.render.page import Cancel, Furniture, ProductDoc, Progress
from toexdesk.core.render.styles import make_styles
from toexdesk.core.render.tabular import XLSX_CELL_LIMIT, cell_text
from toexdesk.core.render.text import DASH, date, generated, markup, one_line, shorten
from toexdesk.core.services.schedule import ScheduleRow, UnusedMaterialSchedule

__all__ = ["COLUMNS", "render_schedule_pdf", "schedule_rows", "write_schedule_xlsx"]

TITLE = "Schedule of unused material (MG6C style)"
DRAFT_NOTE = (
    "DRAFT for the disclosure officer. Item numbers stay the same in later versions of this "
    "schedule; new material takes the next numbers. The sensitivity column is a suggestion "
    "drawn from each item's marking and handling code: the disclosure officer decides "
    "(Sensitive / Not sensitive) and moves sensitive items to the sensitive schedule."
)
TEXT_LIMIT, TEXT_LINES = 1_500, 14  # a table row must fit on one page
PDF_COLUMNS = (  # (heading, width in mm); 174 mm of text width
    ("Item", 11),
    ("Description and date", 64),
    ("Location", 43),
    ("Marking and handling", 24),
    ("Sensitivity (draft)", 32),
)
COLUMNS = (  # the XLSX columns: (heading, width in characters)
    ("Item", 7),
    ("Ref", 7),
    ("Description", 70),
    ("Date", 12),
    ("Location", 50),
    ("Marking", 20),
    ("3x5x2", 9),
    ("Suggested sensitivity", 16),
    ("Why suggested", 34),
    ("Disclosure officer: Sensitive / Not sensitive", 24),
    ("Disclosure officer's comments", 40),
)


# --- PDF ---------------------------------------------------------------------------------------
class _DraftDoc(ProductDoc):
    """A product page with a faint DRAFT across it."""

    def _page_end(self, canv: Canvas, doc) -> None:
        super()._page_end(canv, doc)
        canv.saveState()
        canv.setFillColor(colors.Color(0.55, 0.55, 0.55, alpha=0.18))
        canv.setFont(SANS_BOLD, 96)
        canv.translate(st.PAGE_WIDTH / 2, st.PAGE_HEIGHT / 2)
        canv.rotate(45)
        canv.drawCentredString(0, -30, "DRAFT")
        canv.restoreState()


def _cut(text: str) -> str:
    shown, left_out = shorten(text, TEXT_LIMIT, TEXT_LINES)
    if left_out:
        shown += f"\n[{left_out:,} more characters in the workspace]"
    return markup(shown)


def _header(sched: UnusedMaterialSchedule, s: st.Styles) -> list[Flowable]:
    task = sched.task
    ref = one_line(task.reference)
    held = sum(1 for r in sched.rows if r.held)

    def label(text: str) -> Paragraph:
        return Paragraph(text, s.cell_bold)

    def value(text: str) -> Paragraph:
        return Paragraph(markup(one_line(text)), s.cell)

    rows = [
        [label("Reference"), value(task.reference), label("Status"), value("DRAFT")],
        [label("Researcher"), value(sched.researcher), label("Items"), value(str(held))],
        [label("Requester"), value(task.requester), label("Thematic"), value(task.thematic.label)],
        [label("Workspace"), value(sched.workspace), "", ""],
        [label("Generated"), value(generated(sched.generated_at)), "", ""],
        [label("Marking"), Paragraph(f"<b>{markup(sched.marking.label)}</b>", s.cell), "", ""],
    ]
    table = Table(rows, colWidths=[x * st.mm for x in (24, 63, 24, 63)], hAlign="LEFT")
    table.setStyle(
        st.table_style(
            ("BACKGROUND", (0, 0), (0, -1), st.LABEL_FILL),
            ("BACKGROUND", (2, 0), (2, 2), st.LABEL_FILL),
            *(("SPAN", (1, n), (3, n)) for n in (3, 4, 5)),
            ("GRID", (0, 0), (-1, -1), 0.4, st.GRID),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("TOPPADDING", (0, 0), (-1, -1), 3),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        )
    )
    note = Table([[Paragraph(markup(DRAFT_NOTE), s.cell)]], colWidths=[st.TEXT_WIDTH])
    note.setStyle(
        st.table_style(
            ("BACKGROUND", (0, 0), (-1, -1), st.BOX_FILL),
            ("BOX", (0, 0), (-1, -1), 1, st.BOX_EDGE),
            ("LEFTPADDING", (0, 0), (-1, -1), 6),
            ("TOPPADDING", (0, 0), (-1, -1), 4),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        )
    )
    return [
        Paragraph(f"DRAFT · UNUSED MATERIAL SCHEDULE · {markup(ref)}", s.kicker),
        Paragraph(markup(one_line(task.title)), s.title),
        table,
        Spacer(1, 6),
        note,
        Spacer(1, 8),
    ]


def _sensitivity(row: ScheduleRow) -> str:
    if not row.held:
        return DASH
    return (
        f"Suggested: <b>{markup(row.suggestion)}</b><br/>{markup(row.why)}<br/>"
        "Decision: Sensitive / Not sensitive"
    )


def _marking_cell(row: ScheduleRow) -> str:
    if row.marking is None:
        return DASH
    # "OFFICIAL-SENSITIVE" is wider than the column: break after its hyphen, not mid-word.
    parts = [markup(row.marking.label).replace("-", "-<br/>")]
    if row.handling:
        parts.append(f"3x5x2 {markup(row.handling)}")
    return "<br/>".join(parts)


def _table(sched: UnusedMaterialSchedule, s: st.Styles, check) -> list[Flowable]:
    if not sched.rows:
        return [Paragraph("Nothing to schedule: the task has no sources and no checks.", s.note)]
    rows: list[list] = [[Paragraph(name, s.cell_head) for name, _ in PDF_COLUMNS]]
    for row in sched.rows:
        check()
        label = f"<br/>{markup(row.label)}" if row.label else ""
        described = _cut(row.description)
        if row.date is not None:
            described += f"<br/><font size='7'>Date: {markup(date(row.date))}</font>"
        rows.append(
            [
                Paragraph(f"<b>{row.number}</b>{label}", s.cell),
                Paragraph(described, s.cell),
                Paragraph(_cut(row.location), s.cell),
                Paragraph(_marking_cell(row), s.cell),
                Paragraph(_sensitivity(row), s.cell),
            ]
        )
    table = Table(rows, colWidths=[w * st.mm for _, w in PDF_COLUMNS], repeatRows=1, hAlign="LEFT")
    table.setStyle(st.listing_style())
    return [table]


def render_schedule_pdf(
    sched: UnusedMaterialSchedule,
    fh: BinaryIO,
    *,
    progress: Progress = None,
    cancelled: Cancel = None,
) -> int:
    """Write the schedule as a PDF to a binary stream; returns the number of pages."""
    ref = one_line(sched.task.reference)
    furniture = Furniture(
        marking=sched.marking,
        running_head=f"DRAFT unused material schedule {ref}",
        generated=generated(sched.generated_at),
    )
    doc = _DraftDoc(
        fh,
        furniture,
        title=f"Unused material schedule {ref} (draft)",
        progress=progress,
        cancelled=cancelled,
    )
    doc.check()
    s = make_styles()
    flowables = _header(sched, s) + _table(sched, s, doc.check)
    doc.set_plan(len(flowables))
    doc.multiBuild(flowables, maxPasses=6)
    doc.report_done()
    return furniture.pages


# --- XLSX --------------------------------------------------------------------------------------
def _xlsx_text(value: object) -> str:
    text = cell_text(value)
    if len(text) > XLSX_CELL_LIMIT:
        note = f" […cut at Excel's cell limit: {len(text):,} characters in all]"
        text = text[: XLSX_CELL_LIMIT - len(note)] + note
    return text


def schedule_rows(sched: UnusedMaterialSchedule) -> list[tuple[str, ...]]:
    """The schedule's rows as raw values in ``COLUMNS`` order (before cleaning)."""
    out = []
    for r in sched.rows:
        out.append(
            (
                str(r.number),
                r.label,
                r.description,
                r.date.isoformat() if r.date is not None else "",
                r.location,
                r.marking.label if r.marking is not None else "",
                r.handling,
                r.suggestion,
                r.why,
                "",
                "",
            )
        )
    return out


def _stamp(when: dt.datetime) -> str:
    return f"{when.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC"


def write_schedule_xlsx(sched: UnusedMaterialSchedule, fh: BinaryIO) -> None:
    """Write the schedule as a workbook of one sheet: the marking and a header block above a
    frozen header row, every cell a string."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    marking = sched.marking
    task = sched.task
    wb = Workbook(write_only=True)
    wb.properties.creator = APP_NAME
    wb.properties.lastModifiedBy = APP_NAME
    wb.properties.title = f"{task.reference} unused material schedule ({marking.label})"
    ws = wb.create_sheet("Unused material")
    bold, big = Font(bold=True), Font(bold=True, size=12)
    fill = PatternFill("solid", fgColor="D9D9D9")
    rule = Border(bottom=Side(style="thin"))
    top = Alignment(vertical="top", wrap_text=True)

    def text_cell(value: object, font=None, fill=None, border=None):
        text = _xlsx_text(value)
        if not text:
            return None  # no cell at all (an empty inline string is not well formed)
        cell = WriteOnlyCell(ws, value=text)
        cell.data_type = "s"  # never a formula or an error value, whatever the text
        cell.number_format = "@"
        cell.alignment = top
        if font is not None:
            cell.font = font
        if fill is not None:
            cell.fill = fill
        if border is not None:
            cell.border = border
        return cell

    header_block = [
        (marking.label, f"DRAFT · {TITLE}"),
        ("Task", task.reference),
        ("Title", task.title),
        ("Researcher", sched.researcher),
        ("Workspace", sched.workspace),
        ("Generated", f"{_stamp(sched.generated_at)} by {APP_NAME}"),
        ("Status", DRAFT_NOTE),
    ]
    head_row = len(header_block) + 2
    ws.freeze_panes = f"A{head_row + 1}"
    for i, (_, width) in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.print_title_rows = f"{head_row}:{head_row}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = 9  # A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    for part in (ws.oddHeader, ws.evenHeader, ws.firstHeader):
        part.center.text, part.center.size = marking.label, 12
        part.left.text, part.left.size = "DRAFT", 10
    for part in (ws.oddFooter, ws.evenFooter, ws.firstFooter):
        part.center.text, part.center.size = marking.label, 12
        part.right.text, part.right.size = "Page &P of &N", 8

    for n, (key, value) in enumerate(header_block):
        ws.append([text_cell(key, font=big if n == 0 else bold), text_cell(value, font=bold)])
    ws.append([])
    ws.append([text_cell(name, font=bold, fill=fill, border=rule) for name, _ in COLUMNS])
    for values in schedule_rows(sched):
        ws.append([text_cell(v) for v in values])
    if not sched.rows:
        ws.append([None, None, text_cell("Nothing to schedule: no sources and no checks.")])
    buffer = io.BytesIO()  # openpyxl writes a zip, which wants a seekable file
    wb.save(buffer)
    fh.write(buffer.getvalue())
