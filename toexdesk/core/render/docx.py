"""Research summaries and briefing packs as Word documents (python-docx), for analysts who
paste the work into their own product.

The document says what the PDF says, from the same dataclasses (``services.reports``): a
header block, the research questions, the findings with their PHIA term and citations such
as ``[S3 · 2/B/P]``, the source register as a real table (its header row repeats on every
page), the gaps, a box gathering every handling condition and, when the summary carries a
research log with entries, the log as an appendix table. The protective marking is
centred in the header and the footer of every section, with "Page X of Y" and the time the
product was generated.

Only Word's built-in styles are used (Title, Subtitle, Heading 1/2, Table Grid), so text
pasted into an analyst's own template takes that template's look.

User text is data. python-docx escapes it for XML; the characters XML 1.0 forbids (C0
controls other than tab and newline, U+FFFE/U+FFFF, lone surrogates) are dropped here, as are
the C1 controls, because they make python-docx raise or give a file Word refuses. Newlines
become line breaks, blank lines new paragraphs. No user text becomes a style, a field or a
hyperlink.

A file is never left half-written: the document is built in memory (``cancelled`` is asked
between sections), saved to a temporary file in the target's folder, synced and renamed over
the target; the temporary file is removed on any error. The document properties carry no
personal data: the title is the task reference only and the author is "TOEX Desk".
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from toexdesk.core.enums import HandlingCode, LinkRelation, LogKind, Marking
from toexdesk.core.errors import Cancelled
from toexdesk.core.services.reports import BriefingPack, ResearchSummary
from toexdesk.core.store.checks import fsync_dir

__all__ = ["clean", "render_pack_docx", "render_summary_docx"]

APP_NAME = "TOEX Desk"
FONT = "Arial"  # on every Windows workstation; LibreOffice maps it to Liberation Sans
INK = RGBColor(0x1F, 0x2A, 0x44)  # headings: dark navy, prints as near-black
GREY = RGBColor(0x59, 0x59, 0x59)
HEADER_FILL = "D9D9D9"
LABEL_FILL = "F2F2F2"
BOX_FILL = "F2F2F2"
DASH = "—"

# A4 with 2 cm margins leaves 17 cm of text width; every table is laid out on it.
PAGE_WIDTH, PAGE_HEIGHT, MARGIN = Cm(21.0), Cm(29.7), Cm(2.0)
HEADER_BLOCK_WIDTHS = (3.4, 5.6, 2.3, 5.7)
REGISTER_COLUMNS = (
    ("Ref", 1.2),
    ("Source", 5.3),
    ("Type", 2.0),
    ("Obtained", 1.9),
    ("3x5x2", 3.2),
    ("Handling conditions", 3.4),
)
CONTENTS_WIDTHS = (2.9, 10.1, 4.0)
LOG_COLUMNS = (
    ("When (UTC)", 2.3),
    ("Entry", 2.1),
    ("System and what was searched, or decision", 6.6),
    ("Outcome", 2.0),
    ("Reason / notes", 4.0),
)
TABLE_TEXT = Pt(8.5)
# A register row up to about half a page is kept on one page. Word cuts off (rather than
# moves) the part of an unsplittable row that is taller than a page, so long rows may split.
KEEP_ROW_WHOLE_CHARS = 1_200
KEEP_ROW_WHOLE_LINES = 25

Cancel = Callable[[], bool] | None

# --- text is data --------------------------------------------------------------------------
# Line breaks in any spelling become "\n" (python-docx writes it as <w:br/>); vertical tab and
# form feed are what Word's own clipboard uses for a manual line and page break.
_LINE_BREAKS = str.maketrans(
    {"\r": "\n", "\x0b": "\n", "\x0c": "\n", "\x85": "\n", "\u2028": "\n", "\u2029": "\n\n"}
)
# What XML 1.0 cannot carry (C0 controls but tab and newline, U+FFFE, U+FFFF, surrogates),
# and the C1 controls, which it can but which mean nothing in a document.
_FORBIDDEN = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")
_BLANK_LINE = re.compile(r"\n[ \t]*\n")


def clean(text: object) -> str:
    """``text`` as a Word document can hold it: line breaks as ``\\n``, characters XML 1.0
    forbids dropped. Everything else, markup-looking text included, is kept literally."""
    if text is None:
        return ""
    return _FORBIDDEN.sub("", str(text).replace("\r\n", "\n").translate(_LINE_BREAKS))


def _blocks(text: str) -> list[str]:
    """User text as paragraphs: split at blank lines; single newlines stay line breaks."""
    return [b.strip("\n") for b in _BLANK_LINE.split(clean(text)) if b.strip()]


# --- small formatting helpers ----------------------------------------------------------------
def _date(value: dt.date | None) -> str:
    if value is None:
        return DASH
    if isinstance(value, dt.datetime):
        value = _utc(value).date()
    return f"{value.day} {value:%b %Y}"


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _when(value: dt.datetime) -> str:
    value = _utc(value)
    return f"{value.day} {value:%b %Y %H:%M} UTC"


def _run(par, text: str, *, bold=False, italic=False, size=None, colour=None):
    run = par.add_run(clean(text))
    if bold:
        run.bold = True
    if italic:
        run.italic = True
    if size is not None:
        run.font.size = size
    if colour is not None:
        run.font.color.rgb = colour
    if run._r.rPr is not None:
        _complex_script_too(run._r.rPr)
    return run


def _complex_script_too(rpr) -> None:
    """Word sizes and emboldens complex-script text (Arabic, Hebrew, and any text after a
    bidi override) by separate properties: give it the same size, bold and italic."""
    sz = rpr.find(qn("w:sz"))
    if sz is not None:
        sz_cs = rpr.find(qn("w:szCs"))
        if sz_cs is None:
            sz_cs = OxmlElement("w:szCs")
            sz.addnext(sz_cs)
        sz_cs.set(qn("w:val"), sz.get(qn("w:val")))
    if rpr.find(qn("w:b")) is not None:
        rpr.get_or_add_bCs()
    if rpr.find(qn("w:i")) is not None:
        rpr.get_or_add_iCs()


def _text(container, text: str, *, empty: str) -> None:
    """User text as paragraphs in ``container`` (document or cell), or ``empty`` in italics."""
    blocks = _blocks(text)
    if not blocks:
        _run(container.add_paragraph(), empty, italic=True)
    for block in blocks:
        container.add_paragraph().add_run(block)


def _cell_paragraph(cell):
    """The cell's first paragraph while it is still empty, else a new one."""
    paragraphs = cell.paragraphs
    if len(paragraphs) == 1 and not paragraphs[0].runs:
        return paragraphs[0]
    return cell.add_paragraph()


def _compact(par, after: float = 1.0) -> None:
    fmt = par.paragraph_format
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(after)


def _shade(cell, fill: str) -> None:
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shd)


def _row_flags(row, *, header: bool) -> None:
    """Keep ``row`` on one page; as a ``header``, also repeat it at the top of every page
    the table runs onto."""
    tr_pr = row._tr.get_or_add_trPr()
    tags = ("w:cantSplit", "w:tblHeader") if header else ("w:cantSplit",)
    for tag in tags:  # schema order: cantSplit before tblHeader
        el = OxmlElement(tag)
        el.set(qn("w:val"), "true")
        tr_pr.append(el)


def _short(*texts: str) -> bool:
    joined = "\n".join(texts)
    return len(joined) <= KEEP_ROW_WHOLE_CHARS and joined.count("\n") <= KEEP_ROW_WHOLE_LINES


def _table(container, rows: int, widths: tuple[float, ...]):
    """A Table Grid table with fixed column widths, so long words wrap inside their cell
    instead of pushing the table off the page."""
    table = container.add_table(rows=rows, cols=len(widths))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False  # w:tblLayout fixed
    for column, width in zip(table.columns, widths, strict=True):
        column.width = Cm(width)
    for row in table.rows:
        _set_widths(row, widths)
    return table


def _set_widths(row, widths: tuple[float, ...]) -> None:
    for cell, width in zip(row.cells, widths, strict=True):
        cell.width = Cm(width)


def _field(par, instruction: str, placeholder: str, size) -> None:
    """A Word field (``PAGE``, ``NUMPAGES``) as begin / instruction / separate / result / end
    runs; Word and LibreOffice work out the result when they lay out the page."""

    def char(kind: str):
        el = OxmlElement("w:fldChar")
        el.set(qn("w:fldCharType"), kind)
        return el

    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    for part in (char("begin"), instr, char("separate"), None, char("end")):
        run = par.add_run(placeholder if part is None else "")
        run.font.size = size
        if part is not None:
            run._r.append(part)


# --- document set-up -------------------------------------------------------------------------
def _style_font(style, *, size=None, colour=None) -> None:
    """Give a built-in style a plain font (theme fonts differ between Word versions)."""
    fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
        fonts.attrib.pop(qn(f"w:{attr}"), None)
    for attr in ("ascii", "hAnsi", "cs"):
        fonts.set(qn(f"w:{attr}"), FONT)
    if size is not None:
        style.font.size = size
    if colour is not None:
        style.font.color.rgb = colour
    _complex_script_too(style.element.rPr)


def _new_document():
    doc = Document()
    styles = doc.styles
    _style_font(styles["Normal"], size=Pt(10))
    styles["Normal"].paragraph_format.space_after = Pt(4)
    _style_font(styles["Title"], size=Pt(20), colour=INK)
    for rule in styles["Title"].element.iter(qn("w:bottom")):  # the rule under the title
        rule.set(qn("w:color"), str(INK))
        rule.attrib.pop(qn("w:themeColor"), None)
    _style_font(styles["Subtitle"], size=Pt(12), colour=GREY)
    _style_font(styles["Heading 1"], size=Pt(14), colour=INK)
    styles["Heading 1"].paragraph_format.space_before = Pt(16)
    styles["Heading 1"].paragraph_format.space_after = Pt(4)
    _style_font(styles["Heading 2"], size=Pt(12), colour=INK)
    styles["Heading 2"].paragraph_format.space_before = Pt(12)
    styles["Heading 2"].paragraph_format.space_after = Pt(3)
    _page_setup(doc.sections[0])
    # The template's thumbnail is a picture of some other document: drop it.
    rels = doc.part.package.rels
    for r_id, rel in list(rels.items()):
        if rel.reltype == RT.THUMBNAIL:
            rels.pop(r_id)
    return doc


def _page_setup(section) -> None:
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
    section.left_margin = section.right_margin = MARGIN
    section.top_margin = section.bottom_margin = MARGIN
    section.header_distance = section.footer_distance = Cm(1.0)


def _marking_header_footer(section, marking: Marking, note: str) -> None:
    """Marking centred at the top and the bottom; above the bottom one, ``note`` and
    "Page X of Y"."""
    header = section.header
    header.is_linked_to_previous = False
    top = header.paragraphs[0]
    top.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(top, marking.label, bold=True, size=Pt(11))

    footer = section.footer
    footer.is_linked_to_previous = False
    line = footer.paragraphs[0]
    line.alignment = WD_ALIGN_PARAGRAPH.CENTER
    small = Pt(8)
    _run(line, f"{note} · Page ", size=small, colour=GREY)
    _field(line, "PAGE", "1", small)
    _run(line, " of ", size=small, colour=GREY)
    _field(line, "NUMPAGES", "1", small)
    bottom = footer.add_paragraph()
    bottom.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(bottom, marking.label, bold=True, size=Pt(11))


def _properties(doc, title: str, when: dt.datetime) -> None:
    """File metadata travels with the file onto shared drives: nothing personal in it."""
    props = doc.core_properties
    props.title = clean(title)
    props.author = APP_NAME
    props.last_modified_by = ""
    for name in ("comments", "subject", "keywords", "category", "content_status"):
        setattr(props, name, "")
    for name in ("identifier", "language", "version"):
        setattr(props, name, "")
    props.revision = 1
    stamp = _utc(when).replace(microsecond=0)
    props.created = props.modified = stamp


def _checker(cancelled: Cancel) -> Callable[[], None]:
    def check() -> None:
        if cancelled is not None and cancelled():
            raise Cancelled("Stopped: the Word document was not written.")

    return check


# --- the summary -----------------------------------------------------------------------------
def _key_values(doc, rows: list[tuple[str, str, str, str]], last: tuple[str, str]) -> None:
    """A 4-column label/value block; ``last`` spans the full width."""
    table = _table(doc, len(rows) + 1, HEADER_BLOCK_WIDTHS)
    for row, values in zip(table.rows, rows, strict=False):
        for i, (cell, value) in enumerate(zip(row.cells, values, strict=True)):
            par = _cell_paragraph(cell)
            _compact(par, 0)
            if i % 2 == 0:
                _shade(cell, LABEL_FILL)
                _run(par, value, bold=True, size=Pt(9))
            else:
                _run(par, value, size=Pt(9))
    label_cell, *value_cells = table.rows[-1].cells
    value = value_cells[0].merge(value_cells[-1])
    _shade(label_cell, LABEL_FILL)
    for cell, text, bold in ((label_cell, last[0], True), (value, last[1], True)):
        par = _cell_paragraph(cell)
        _compact(par, 0)
        _run(par, text, bold=bold, size=Pt(9))


def _header_block(doc, summary: ResearchSummary) -> None:
    task = summary.task
    _key_values(
        doc,
        [
            ("Reference", task.reference, "Priority", task.priority.label),
            ("Requester", task.requester, "Due date", _date(task.due_date)),
            ("Thematic", task.thematic.label, "Requested", _date(task.created_at)),
            ("Researcher", summary.researcher, "Generated", _when(summary.generated_at)),
        ],
        ("Protective marking", summary.marking.label),
    )


def _findings(doc, summary: ResearchSummary) -> None:
    if not summary.findings:
        _run(doc.add_paragraph(), "No findings recorded.", italic=True)
        return
    hang = Cm(1.0)
    for finding in summary.findings:
        par = doc.add_paragraph()
        fmt = par.paragraph_format
        fmt.left_indent, fmt.first_line_indent = hang, -hang
        fmt.space_before, fmt.space_after = Pt(6), Pt(1)
        fmt.keep_with_next = True
        _run(par, finding.label, bold=True)
        par.add_run("\t")
        _run(par, clean(finding.text).strip())

        meta = doc.add_paragraph()
        meta.paragraph_format.left_indent = hang
        _compact(meta, 4)
        _run(meta, f"{finding.phia.label} ({finding.phia.range_text})", italic=True)
        _run(meta, "  ·  ", colour=GREY)
        if not finding.citations:
            _run(meta, "No source cited", italic=True, colour=GREY)
        for i, citation in enumerate(finding.citations):
            if i:
                meta.add_run(" ")
            _run(meta, citation.text, bold=True)
            if citation.relation is not LinkRelation.SUPPORTS:
                _run(meta, f" ({citation.relation.label.lower()})", italic=True)


def _register(doc, summary: ResearchSummary, check: Callable[[], None]) -> None:
    if not summary.register:
        _run(doc.add_paragraph(), "No sources are cited.", italic=True)
        return
    widths = tuple(width for _, width in REGISTER_COLUMNS)
    table = _table(doc, 1, widths)
    head = table.rows[0]
    _row_flags(head, header=True)
    for cell, (title, _) in zip(head.cells, REGISTER_COLUMNS, strict=True):
        _shade(cell, HEADER_FILL)
        par = _cell_paragraph(cell)
        _compact(par, 0)
        _run(par, title, bold=True, size=TABLE_TEXT)

    for n, entry in enumerate(summary.register):
        if n and n % 100 == 0:
            check()
        row = table.add_row()
        _set_widths(row, widths)
        if _short(entry.title, entry.description, entry.reference, entry.handling_conditions):
            _row_flags(row, header=False)
        ref, source, kind, obtained, grading, conditions = row.cells

        def put(cell, text, **style):
            par = _cell_paragraph(cell)
            _compact(par)
            return _run(par, text, size=TABLE_TEXT, **style)

        put(ref, entry.label, bold=True)
        put(source, entry.title, bold=True)
        for block in _blocks(entry.description):
            put(source, block)
        details = [f"Reference: {entry.reference}"] if entry.reference.strip() else []
        details.append(f"Marking: {entry.marking.label}")
        for detail in details:
            put(source, detail, colour=GREY)
        put(kind, entry.source_type.label)
        put(obtained, _date(entry.obtained_on))
        put(grading, entry.grading, bold=True)
        for part in (entry.evaluation, entry.assessment, entry.handling):
            put(grading, f"{part.code} · {part.label}")
        if entry.handling is HandlingCode.C:
            for block in _blocks(entry.handling_conditions) or [DASH]:
                put(conditions, block)
        else:
            put(conditions, "None (P)", colour=GREY)


def _conditions_box(doc, summary: ResearchSummary) -> None:
    box = _table(doc, 1, (sum(w for _, w in REGISTER_COLUMNS),))
    cell = box.cell(0, 0)
    _shade(cell, BOX_FILL)

    def say(text: str, **style):
        par = _cell_paragraph(cell)
        _compact(par, 3)
        return par, _run(par, text, **style)

    conditions = summary.handling_conditions
    if not summary.register:
        say("No sources are cited, so no handling conditions apply.", italic=True)
    elif not conditions:
        say(
            "No cited source carries handling conditions: every one is handling code P "
            "(lawful sharing permitted).",
            italic=True,
        )
    else:
        say("Cited sources graded C (lawful sharing permitted subject to conditions):", bold=True)
        for label, text in conditions:
            par, _ = say(label, bold=True)
            par.paragraph_format.left_indent = Cm(1.0)
            par.paragraph_format.first_line_indent = Cm(-1.0)
            par.add_run("\t")
            _run(par, clean(text).strip() or DASH)
    say(
        f"This product is marked {summary.marking.label}: the highest marking of the task, "
        "its findings and every source they cite. Handle it accordingly.",
        size=Pt(8.5),
        colour=GREY,
    )


def _summary_body(doc, summary: ResearchSummary, level: int, check: Callable[[], None]) -> None:
    """The same order as the PDF: sharing conditions before any content, the register last."""
    task = summary.task
    _header_block(doc, summary)
    check()
    doc.add_heading("Handling conditions", level)
    _conditions_box(doc, summary)
    check()
    doc.add_heading("Research questions", level)
    _text(doc, task.research_questions, empty="No research questions recorded.")
    check()
    doc.add_heading("Findings", level)
    _findings(doc, summary)
    check()
    doc.add_heading("Gaps and further research", level)
    _text(doc, task.gaps, empty="No gaps recorded.")
    check()
    doc.add_heading("Source register", level)
    _register(doc, summary, check)
    check()
    if summary.research_log:
        doc.add_heading("Appendix: research log", level)
        _log_appendix(doc, summary, check)
        check()


def _log_appendix(doc, summary: ResearchSummary, check: Callable[[], None]) -> None:
    """The research log, oldest first, as a table whose header row repeats."""
    entries = summary.research_log or ()
    _run(
        doc.add_paragraph(),
        f"{len(entries)} entries, oldest first. The log is append-only: an entry is never "
        "changed; a correction is a later entry.",
        italic=True,
    )
    widths = tuple(width for _, width in LOG_COLUMNS)
    table = _table(doc, 1, widths)
    _row_flags(table.rows[0], header=True)
    for cell, (title, _) in zip(table.rows[0].cells, LOG_COLUMNS, strict=True):
        _shade(cell, HEADER_FILL)
        par = _cell_paragraph(cell)
        _compact(par, 0)
        _run(par, title, bold=True, size=TABLE_TEXT)
    for n, entry in enumerate(entries):
        if n and n % 100 == 0:
            check()
        row = table.add_row()
        _set_widths(row, widths)
        if _short(entry.detail, entry.reason):
            _row_flags(row, header=False)
        when, kind, what, outcome, reason = row.cells

        def put(cell, text, **style):
            par = _cell_paragraph(cell)
            _compact(par)
            return _run(par, text, size=TABLE_TEXT, **style)

        at = _utc(entry.at)
        put(when, f"{_date(at)} {at:%H:%M}")
        put(when, entry.analyst, colour=GREY)
        put(kind, entry.kind.label + (" (automatic)" if entry.automatic else ""))
        if entry.kind is not LogKind.DECISION:
            put(what, entry.system, bold=True)
        for block in _blocks(entry.detail) or [DASH]:
            put(what, block)
        put(outcome, entry.outcome.label if entry.outcome is not None else DASH, bold=True)
        for block in _blocks(entry.reason) or [DASH]:
            put(reason, block)


def _summary_document(summary: ResearchSummary, check: Callable[[], None]):
    check()
    doc = _new_document()
    task = summary.task
    _marking_header_footer(
        doc.sections[0],
        summary.marking,
        f"{task.reference} · Generated {_when(summary.generated_at)}",
    )
    doc.add_heading(clean(task.title), 0)
    doc.add_paragraph(f"Research summary · {clean(task.reference)}", style="Subtitle")
    _summary_body(doc, summary, 1, check)
    _properties(doc, task.reference, summary.generated_at)
    return doc


def _pack_document(pack: BriefingPack, check: Callable[[], None]):
    check()
    doc = _new_document()
    _marking_header_footer(
        doc.sections[0], pack.marking, f"Briefing pack · Generated {_when(pack.generated_at)}"
    )
    doc.add_heading(clean(pack.title), 0)
    doc.add_paragraph("Briefing pack", style="Subtitle")
    researchers = sorted({s.researcher for s in pack.summaries if s.researcher.strip()})
    _key_values(
        doc,
        [
            ("Recipient", pack.recipient or DASH, "Generated", _when(pack.generated_at)),
            ("Researcher", ", ".join(researchers) or DASH, "Tasks", str(len(pack.summaries))),
        ],
        ("Protective marking", pack.marking.label),
    )
    doc.add_heading("Contents", 1)
    # A table, so each title is a paragraph of its own (a bidi override in one cannot run on).
    contents = _table(doc, 1, CONTENTS_WIDTHS)
    _row_flags(contents.rows[0], header=True)
    for cell, title in zip(contents.rows[0].cells, ("Reference", "Task", "Marking"), strict=True):
        _shade(cell, HEADER_FILL)
        par = _cell_paragraph(cell)
        _compact(par, 0)
        _run(par, title, bold=True, size=Pt(9))
    for summary in pack.summaries:
        row = contents.add_row()
        _set_widths(row, CONTENTS_WIDTHS)
        _row_flags(row, header=False)
        for cell, text, bold in zip(
            row.cells,
            (summary.task.reference, summary.task.title, summary.marking.label),
            (True, False, False),
            strict=True,
        ):
            par = _cell_paragraph(cell)
            _compact(par, 0)
            _run(par, text, bold=bold, size=Pt(9))
    for summary in pack.summaries:
        check()
        section = doc.add_section(WD_SECTION.NEW_PAGE)  # header and footer linked to the first
        _page_setup(section)
        doc.add_heading(f"{clean(summary.task.reference)} · {clean(summary.task.title)}", 1)
        _summary_body(doc, summary, 2, check)
    _properties(doc, "Briefing pack", pack.generated_at)
    return doc


# --- writing ---------------------------------------------------------------------------------
def _save(doc, out: Path | str | os.PathLike | BinaryIO, check: Callable[[], None]) -> None:
    check()
    if hasattr(out, "write"):
        doc.save(out)
        return
    target = Path(out)
    fd, tmp = tempfile.mkstemp(prefix=".toex-docx-", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            doc.save(fh)
            fh.flush()
            os.fsync(fh.fileno())
        check()
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):
        fsync_dir(target.parent)


def render_summary_docx(
    summary: ResearchSummary, out: Path | str | BinaryIO, *, cancelled: Cancel = None
) -> None:
    """Write one task's research summary as a .docx to ``out`` (a path, replaced atomically,
    or a binary stream). ``cancelled()`` returning true stops it with
    :class:`~toexdesk.core.errors.Cancelled`, and nothing is written."""
    check = _checker(cancelled)
    _save(_summary_document(summary, check), out, check)


def render_pack_docx(pack: BriefingPack, out: Path | str | BinaryIO, *, cancelled: Cancel = None):
    """Write a briefing pack as one .docx: cover details and contents first, then each task's
    summary in its own section starting on a new page; the pack's marking on every page."""
    check = _checker(cancelled)
    _save(_pack_document(pack, check), out, check)
