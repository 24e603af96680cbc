"""A research summary as tables: the source register and the findings as CSV and XLSX, the
entities they name as a CSV for i2 Analyst's Notebook, and the hash manifest of an export.

Every table is built from the same ``services.reports.ResearchSummary`` the PDF and Word
products print (cited sources only, the same numbers and gradings), so every format of an
export says the same thing.

**User text is data, never a formula.** Every cell, headers included, passes through
:func:`cell_text`: line breaks become ``\\n``, the characters XML 1.0 forbids and the C1
controls are dropped, bidirectional overrides and isolates are shown as ``[U+202E]`` (as in
the PDF, so a cell cannot read differently from what it holds), and then :func:`neutralise`
puts a ``'`` before a value that starts with ``=``, ``+``, ``-``, ``@``, tab, carriage
return, line feed or NUL (OWASP "CSV injection"; a leading tab is *not* a safe prefix: Excel
strips it and evaluates the rest). A value whose first character after leading spaces is one
of those is neutralised too, as some importers trim before they parse. So a phone number
typed as ``+44 7700 900123`` arrives as ``'+44 7700 900123``: the price of never running a
formula. XLSX cells are written as strings (``data_type`` "s", number format ``@``), never
as formulas or error values (``#N/A`` typed by a user stays text), and are cut at Excel's
32,767-character cell limit with a note saying so; the CSV files keep the whole text.

**CSV:** RFC 4180 through the ``csv`` module, every field quoted (``QUOTE_ALL``: embedded
commas, quotes and line breaks are unambiguous, and importers that honour quoting, e.g.
LibreOffice's "quoted field as text", keep every field as text), records ending in CRLF,
line breaks inside a field as LF (what Excel uses inside a cell). Encoded as UTF-8 **with a
byte order mark**: without it Excel on Windows reads the file as the ANSI code page and
"Nguyễn Thị Hường" arrives mangled; Python (``utf-8-sig``), LibreOffice and i2 read the mark
as the encoding and drop it. The register and findings files start with a marking row (the
marking, what the file is, when it was made) above the header row, as their XLSX sheets do;
the i2 file starts with its header row, so an import specification can match it by its
column names, and carries the marking in a column of every row and in its file name.

**i2 Analyst's Notebook** (classic import, "Import from File"): one row per *mention*, laid
out for the default import design of two entities and a link. Entity 1 is the entity; entity
2 is the source or finding it is mentioned in; the link is "Mentioned in". Identities are
stable and unique (``TOEX-E-<uid>``, ``TOEX-S-<uid>``, ``TOEX-F-<uid>``), so an entity named
in five sources becomes one chart item with five links, and a later export merges into the
same chart instead of duplicating it (i2 merges items whose identities match exactly).
Labels are what the chart shows. The 3x5x2 grading goes to i2's three item grades in their
own columns, as codes so they match a chart grading system defined as Grade 1 = 1, 2, 3;
Grade 2 = A–E; Grade 3 = P, C (i2 gives an unmatched value the last grade in the list, so
labels would be graded wrongly): "Source Grading" (source evaluation), "Intelligence
Grading" (intelligence assessment), "Handling Code". Finding rows leave them empty (a
finding is not graded on 3x5x2; its PHIA term has its own column), which i2 shows as
ungraded. "Source Type", "Source Reference" and "Date" fill the item properties of those
names. i2 needs each row on one line, so text in this file is put on one line (`` / ``
between lines) and descriptions are cut at 2,000 characters (the full text is in the
register and findings files).

    Entity Type, Entity Identity, Entity Label, Entity Description,
    Link Type, Link Label,
    Record Type, Record Identity, Record Label, Record Description,
    Date, Source Type, Source Reference,
    Source Grading, Intelligence Grading, Handling Code, Handling Conditions,
    Confidence (PHIA), Marking

**Manifest:** ``sha256  name`` per exported file, as ``sha256sum`` writes and checks it
(``sha256sum -c`` skips the ``#`` header lines), UTF-8, LF line ends. The header says what
was exported, when, to whom, why, at what marking, and the audit chain head the workspace
had when the files were recorded as disclosed, as text and as the ``TOEX-AUDIT-ANCHOR``
line (with the workspace's random id) that a later ``verify --against`` checks. Recipient
and purpose are put on one line each, so no user text can add a line that looks like a
checksum.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import BinaryIO

from toexdesk.core.enums import EntityKind, LinkRelation, Marking
from toexdesk.core.services.reports import RegisterEntry, ResearchSummary, SummaryFinding

__all__ = [
    "CSV_ENCODING",
    "EntityMention",
    "Sheet",
    "cell_text",
    "findings_sheet",
    "i2_sheet",
    "manifest_text",
    "neutralise",
    "register_sheet",
    "write_csv",
    "write_xlsx",
]

APP_NAME = "TOEX Desk"
CSV_ENCODING = "utf-8-sig"  # UTF-8 with a byte order mark (see the module docstring)
XLSX_CELL_LIMIT = 32_767  # characters Excel holds in one cell
I2_TEXT_LIMIT = 2_000
I2_LABEL_LIMIT = 120
ROWS_PER_WRITE = 500

# OWASP's list; a tab is on it because Excel drops a leading tab and evaluates the rest.
_TRIGGERS = frozenset("=+-@\t\r\n\x00")
_LINE_BREAKS = re.compile("\r\n|[\r\x0b\x0c\x85\u2028\u2029]")
# XML 1.0 forbids C0 controls other than tab, LF and CR, lone surrogates, U+FFFE and
# U+FFFF; the C1 controls are legal but mean nothing in a cell.
_FORBIDDEN = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")


# --- cell text -------------------------------------------------------------------------------
def neutralise(value: str) -> str:
    """``value`` with a leading ``'`` if a spreadsheet could take it for a formula: it
    starts (after any spaces) with ``=``, ``+``, ``-``, ``@``, tab, CR, LF or NUL."""
    if value and (value[0] in _TRIGGERS or value.lstrip(" \u00a0")[:1] in _TRIGGERS):
        return "'" + value
    return value


def clean(value: object) -> str:
    """``value`` as text a cell can hold: line breaks as ``\\n``, forbidden characters
    dropped, bidi controls made visible."""
    if value is None:
        return ""
    text = _LINE_BREAKS.sub("\n", str(value))
    text = _FORBIDDEN.sub("", text)
    return _BIDI.sub(lambda m: f"[U+{ord(m.group()):04X}]", text)


def cell_text(value: object) -> str:
    """The one way user text becomes a CSV or XLSX cell: cleaned, then neutralised."""
    return neutralise(clean(value))


def _one_line(value: object, limit: int) -> str:
    lines = [line.strip() for line in clean(value).split("\n")]
    text = " / ".join(line for line in lines if line)
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def _xlsx_text(value: object) -> str:
    text = cell_text(value)
    if len(text) > XLSX_CELL_LIMIT:
        note = f" […cut at Excel's cell limit: {len(text):,} characters in all]"
        text = text[: XLSX_CELL_LIMIT - len(note)] + note
    return text


# --- tables ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Sheet:
    """One table of an export: its name (the XLSX sheet name), what it is (the marking row
    says so), its columns with their XLSX widths, and its rows as raw values."""

    name: str
    title: str
    columns: tuple[tuple[str, float], ...]
    rows: tuple[tuple[str, ...], ...]

    @property
    def header(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.columns)


@dataclass(frozen=True)
class EntityMention:
    """An entity named in one of the summary's sources or findings: one row for i2."""

    entity_uid: str
    kind: EntityKind
    name: str
    notes: str
    marking: Marking
    record_label: str  # "S3" or "F2", as the summary numbers them
    record_uid: str


def _date(value: dt.date | None) -> str:
    return value.isoformat() if value is not None else ""


def _coded(member) -> str:
    return f"{member.code} – {member.label}"


REGISTER_COLUMNS = (
    ("Ref", 6),
    ("Title", 32),
    ("Source type", 16),
    ("Description", 60),
    ("Reference", 26),
    ("Obtained", 11),
    ("Source evaluation", 16),
    ("Intelligence assessment", 30),
    ("Handling code", 26),
    ("3x5x2", 8),
    ("Handling conditions", 40),
    ("Marking", 20),
)


def register_sheet(summary: ResearchSummary) -> Sheet:
    """The source register: every source the findings cite, by number."""
    rows = tuple(
        (
            e.label,
            e.title,
            e.source_type.label,
            e.description,
            e.reference,
            _date(e.obtained_on),
            _coded(e.evaluation),
            _coded(e.assessment),
            _coded(e.handling),
            e.grading,
            e.handling_conditions,
            e.marking.label,
        )
        for e in summary.register
    )
    return Sheet("Sources", "Source register", REGISTER_COLUMNS, rows)


FINDINGS_COLUMNS = (
    ("Ref", 6),
    ("Finding", 80),
    ("Probability (PHIA)", 22),
    ("PHIA range", 12),
    ("Supported by", 22),
    ("Contradicted by", 22),
    ("Context", 22),
    ("Marking", 20),
)


def _cited(finding: SummaryFinding, relation: LinkRelation) -> str:
    return ", ".join(
        f"{c.label} ({c.grading})" for c in finding.citations if c.relation is relation
    )


def findings_sheet(summary: ResearchSummary) -> Sheet:
    """The findings in report order, with their PHIA term and the sources they cite."""
    rows = tuple(
        (
            f.label,
            f.text,
            f.phia.label,
            f.phia.range_text,
            _cited(f, LinkRelation.SUPPORTS),
            _cited(f, LinkRelation.CONTRADICTS),
            _cited(f, LinkRelation.CONTEXT),
            f.marking.label,
        )
        for f in summary.findings
    )
    return Sheet("Findings", "Findings", FINDINGS_COLUMNS, rows)


I2_COLUMNS = (
    ("Entity Type", 14),
    ("Entity Identity", 42),
    ("Entity Label", 28),
    ("Entity Description", 40),
    ("Link Type", 14),
    ("Link Label", 20),
    ("Record Type", 10),
    ("Record Identity", 42),
    ("Record Label", 40),
    ("Record Description", 60),
    ("Date", 11),
    ("Source Type", 16),
    ("Source Reference", 26),
    ("Source Grading", 8),
    ("Intelligence Grading", 8),
    ("Handling Code", 8),
    ("Handling Conditions", 40),
    ("Confidence (PHIA)", 20),
    ("Marking", 20),
)
LINK_TYPE = "Mentioned in"


def _source_row(ref: str, e: RegisterEntry, uid: str) -> tuple[str, ...]:
    return (
        LINK_TYPE,
        f"{e.label} · {e.grading}",
        "Source",
        f"TOEX-S-{uid}",
        _one_line(f"{ref}/{e.label} {e.title}", I2_LABEL_LIMIT),
        _one_line(e.description, I2_TEXT_LIMIT),
        _date(e.obtained_on),
        e.source_type.label,
        _one_line(e.reference, I2_TEXT_LIMIT),
        e.evaluation.code,
        e.assessment.code,
        e.handling.code,
        _one_line(e.handling_conditions, I2_TEXT_LIMIT),
        "",
    )


def _finding_row(ref: str, f: SummaryFinding, uid: str) -> tuple[str, ...]:
    return (
        LINK_TYPE,
        f"{f.label} · {f.phia.label}",
        "Finding",
        f"TOEX-F-{uid}",
        _one_line(f"{ref}/{f.label} {f.text}", I2_LABEL_LIMIT),
        _one_line(f.text, I2_TEXT_LIMIT),
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        f.phia.label,
    )


def i2_sheet(summary: ResearchSummary, mentions: Iterable[EntityMention]) -> Sheet:
    """Entities and where the summary's records mention them, for i2 Analyst's Notebook
    (the column layout is in the module docstring). Mentions of records that are not in
    the summary are left out."""
    ref = summary.task.reference
    register = {e.label: (i, e) for i, e in enumerate(summary.register)}
    findings = {f.label: (len(register) + i, f) for i, f in enumerate(summary.findings)}
    kinds = {kind: i for i, kind in enumerate(EntityKind)}
    keyed = []
    for m in mentions:
        if m.record_label in register:
            order, entry = register[m.record_label]
            link = _source_row(ref, entry, m.record_uid)
            record_marking = entry.marking
        elif m.record_label in findings:
            order, finding = findings[m.record_label]
            link = _finding_row(ref, finding, m.record_uid)
            record_marking = finding.marking
        else:
            continue
        row = (
            m.kind.label,
            f"TOEX-E-{m.entity_uid}",
            _one_line(m.name, I2_LABEL_LIMIT),
            _one_line(m.notes, I2_TEXT_LIMIT),
            *link,
            Marking.highest([m.marking, record_marking]).label,
        )
        keyed.append(((order, kinds[m.kind], m.name.casefold(), m.entity_uid), row))
    rows = tuple(row for _, row in sorted(keyed, key=lambda pair: pair[0]))
    return Sheet("i2 entities", "Entities for i2 Analyst's Notebook", I2_COLUMNS, rows)


# --- writers -----------------------------------------------------------------------------------
def _caption(sheet: Sheet, summary: ResearchSummary, marking: Marking) -> tuple[str, ...]:
    when = summary.generated_at  # UTC; naive values are UTC already
    if when.tzinfo is not None:
        when = when.astimezone(dt.UTC)
    stamp = f"{when:%Y-%m-%d %H:%M} UTC"
    return (
        marking.label,
        f"{sheet.title} · {summary.task.reference}",
        f"Generated {stamp} by {APP_NAME}",
    )


def write_csv(
    sheet: Sheet,
    fh: BinaryIO,
    *,
    summary: ResearchSummary,
    marking: Marking,
    marking_row: bool = True,
) -> int:
    """Write ``sheet`` as RFC 4180 CSV (UTF-8 with BOM, CRLF, every field quoted) to a
    binary stream; returns the number of data rows. ``marking_row`` puts the marking row
    above the header (the i2 file goes without, so its header row comes first)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    fh.write("\ufeff".encode())

    def flush() -> None:
        fh.write(buffer.getvalue().encode("utf-8"))
        buffer.seek(0)
        buffer.truncate()

    if marking_row:
        writer.writerow([cell_text(v) for v in _caption(sheet, summary, marking)])
    writer.writerow([cell_text(v) for v in sheet.header])
    for n, row in enumerate(sheet.rows, start=1):
        writer.writerow([cell_text(v) for v in row])
        if n % ROWS_PER_WRITE == 0:
            flush()
    flush()
    return len(sheet.rows)


def write_xlsx(
    sheets: Sequence[Sheet], fh: BinaryIO, *, summary: ResearchSummary, marking: Marking
) -> None:
    """Write the sheets as one workbook (openpyxl, write-only) to a binary stream: a marking
    row and a styled header row frozen above the data, column widths, the marking in every
    printed page's header and footer, every cell a string."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    wb.properties.creator = APP_NAME
    wb.properties.lastModifiedBy = APP_NAME
    wb.properties.title = f"{summary.task.reference} ({marking.label})"  # no personal data
    bold, big = Font(bold=True), Font(bold=True, size=12)
    fill = PatternFill("solid", fgColor="D9D9D9")
    rule = Border(bottom=Side(style="thin"))
    top = Alignment(vertical="top", wrap_text=True)

    for sheet in sheets:
        ws = wb.create_sheet(sheet.name)

        def text_cell(value: object, ws=ws, font=None, fill=None, border=None, align=top):
            text = _xlsx_text(value)
            if not text:
                return None  # no cell at all (an empty inline string is not well formed)
            c = WriteOnlyCell(ws, value=text)
            c.data_type = "s"  # never a formula or an error value, whatever the text
            c.number_format = "@"
            c.alignment = align
            if font is not None:
                c.font = font
            if fill is not None:
                c.fill = fill
            if border is not None:
                c.border = border
            return c

        ws.freeze_panes = "A3"  # the marking and header rows stay in view
        for i, (_, width) in enumerate(sheet.columns, start=1):
            ws.column_dimensions[get_column_letter(i)].width = width
        ws.print_title_rows = "1:2"
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = 9  # A4
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
        for part in (ws.oddHeader, ws.evenHeader, ws.firstHeader):
            part.center.text, part.center.size = marking.label, 12
        for part in (ws.oddFooter, ws.evenFooter, ws.firstFooter):
            part.center.text, part.center.size = marking.label, 12
            part.right.text, part.right.size = "Page &P of &N", 8

        caption = _caption(sheet, summary, marking)
        ws.append([text_cell(v, font=big if i == 0 else bold) for i, v in enumerate(caption)])
        ws.append([text_cell(v, font=bold, fill=fill, border=rule) for v in sheet.header])
        for row in sheet.rows:
            ws.append([text_cell(v) for v in row])

    buffer = io.BytesIO()  # openpyxl writes a zip, which wants a seekable file
    wb.save(buffer)
    fh.write(buffer.getvalue())


# --- manifest -----------------------------------------------------------------------------------
def manifest_text(
    *,
    reference: str,
    marking: Marking,
    exported_at: dt.datetime,
    recipient: str,
    purpose: str,
    anchor: str,
    files: Sequence[tuple[str, str]],
    anchor_line: str = "",
) -> str:
    """The manifest of an export: a ``#`` header, then ``sha256  name`` per file.
    ``anchor`` is ``#<seq> <hash>``; ``anchor_line`` the machine-readable anchor line."""
    when = exported_at.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    header = [
        f"{APP_NAME} export manifest",
        f"Marking: {marking.label}",
        f"Task: {reference}",
        f"Exported: {when}",
        f"Recipient: {recipient}",
        f"Purpose: {purpose}",
        f"Audit chain head: {anchor}",
        *([anchor_line] if anchor_line else []),
        "Check: sha256sum -c <this file> (Windows: Get-FileHash -Algorithm SHA256 <file>)",
    ]
    lines = [f"# {_one_line(line, 2_000)}" for line in header]
    lines += [f"{sha256}  {name}" for sha256, name in files]
    return "\n".join(lines) + "\n"
