"""Word (python-docx) and Excel (openpyxl, read-only) text, behind a ZIP bomb check.

XML entity expansion: python-docx parses with lxml and ``resolve_entities=False``;
openpyxl parses worksheets with defusedxml when it is installed (it refuses any entity
declaration) and its other parts with lxml, ``resolve_entities=False``. The child also
forces ``OPENPYXL_DEFUSEDXML=True`` so the environment cannot turn that off.
"""

from __future__ import annotations

import datetime
import struct
import zipfile
from typing import BinaryIO

from .result import ExtractionFailed, TextSink
from .source import Source

ZIP_MAX_TOTAL = 200 * 1024 * 1024
ZIP_MAX_MEMBERS = 10_000
ZIP_MAX_RATIO = 100
# A member this small cannot hurt, whatever its ratio (runs of spaces compress > 100×).
ZIP_RATIO_FLOOR = 1024 * 1024
XLSX_MAX_ROWS = 100_000  # per sheet; the text cap usually comes first
_XML_ERRORS = ("XMLSyntaxError", "ParseError")  # lxml, xml.etree (expat)


def check_zip(stream: BinaryIO, label: str) -> None:
    """Refuse a ZIP container whose members would expand past the limits, before any
    parser inflates them. Uses the sizes the archive declares; zipfile itself stops at a
    member's declared size, so an archive cannot lie its way past this."""
    _check_member_count(stream)
    try:
        archive = zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
        raise ExtractionFailed(f"Not a valid {label}: damaged ZIP container") from exc
    with archive:
        infos = archive.infolist()
    if len(infos) > ZIP_MAX_MEMBERS:
        raise ExtractionFailed(f"ZIP bomb: more than {ZIP_MAX_MEMBERS:,} members")
    total = 0
    for info in infos:
        total += info.file_size
        if total > ZIP_MAX_TOTAL:
            raise ExtractionFailed(f"ZIP bomb: expands beyond {ZIP_MAX_TOTAL // 2**20} MB")
        if info.file_size > ZIP_RATIO_FLOOR and info.file_size > ZIP_MAX_RATIO * max(
            info.compress_size, 1
        ):
            raise ExtractionFailed(
                f"ZIP bomb: a member expands more than {ZIP_MAX_RATIO} times its stored size"
            )
    stream.seek(0)


def _check_member_count(stream: BinaryIO) -> None:
    """Read the member count from the end record before zipfile lists every member."""
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(max(0, size - 65_557))
    tail = stream.read()
    end = tail.rfind(b"PK\x05\x06")
    stream.seek(0)
    if end < 0 or end + 22 > len(tail):
        return  # zipfile will say what is wrong
    (count,) = struct.unpack_from("<H", tail, end + 10)
    if count > ZIP_MAX_MEMBERS:  # includes 0xFFFF, the ZIP64 "see elsewhere" marker
        raise ExtractionFailed(f"ZIP bomb: more than {ZIP_MAX_MEMBERS:,} members")


# --- DOCX -------------------------------------------------------------------------------
def parse_docx(source: Source, sink: TextSink) -> None:
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table
    from lxml.etree import XMLSyntaxError

    label = "Word document"
    with source.open() as stream:
        check_zip(stream, label)
        try:
            document = docx.Document(stream)
        except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile) as exc:
            raise ExtractionFailed(f"Not a valid {label}: {_why(exc)}") from exc
        except XMLSyntaxError as exc:
            raise ExtractionFailed(_xml_reason(label, exc)) from exc
        for block in document.iter_inner_content():
            if isinstance(block, Table):
                _table(block, sink)
            else:
                sink.line(block.text)
        _headers_and_footers(document, sink)


def _table(table, sink: TextSink) -> None:
    for row in table.rows:
        seen: list[object] = []
        cells: list[str] = []
        for cell in row.cells:
            if any(cell._tc is other for other in seen):  # a merged cell repeats
                continue
            seen.append(cell._tc)
            cells.append(cell.text.replace("\n", " "))
        sink.line("\t".join(cells))


def _headers_and_footers(document, sink: TextSink) -> None:
    """Once each: markings and references often sit in the page header."""
    lines: list[str] = []
    for section in document.sections:
        for part in (section.header, section.footer):
            if part.is_linked_to_previous:
                continue
            lines.extend(p.text for p in part.paragraphs if p.text.strip())
    for line in dict.fromkeys(lines):
        sink.line(line)


def _why(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return "a required part is missing"
    if "content type" in str(exc).lower():
        return "not a Word document body (wrong content type)"
    return "damaged package"


# --- XLSX -------------------------------------------------------------------------------
def parse_xlsx(source: Source, sink: TextSink) -> None:
    import openpyxl
    from lxml.etree import XMLSyntaxError

    label = "Excel workbook"
    with source.open() as stream:
        check_zip(stream, label)
        try:
            book = openpyxl.load_workbook(stream, read_only=True, data_only=True, keep_links=False)
        except (KeyError, ValueError, TypeError, zipfile.BadZipFile, XMLSyntaxError) as exc:
            raise ExtractionFailed(_xml_reason(label, exc, "damaged workbook")) from exc
        try:
            for number, sheet in enumerate(book.worksheets):
                if number:
                    sink.add("\n")
                sink.line(f"Sheet: {sheet.title}")
                _sheet(sheet, sink)
        except (ValueError, XMLSyntaxError, SyntaxError) as exc:  # ParseError is a SyntaxError
            raise ExtractionFailed(_xml_reason(label, exc, "damaged worksheet")) from exc
        finally:
            book.close()


def _sheet(sheet, sink: TextSink) -> None:
    # A hostile <dimension ref="A1:XFD1048576"> would pad every row to 16,384 cells.
    sheet.reset_dimensions()
    rows = 0
    for row in sheet.iter_rows(values_only=True):
        cells = [_cell_text(value) for value in row]
        while cells and not cells[-1]:
            cells.pop()
        if not cells:
            continue
        rows += 1
        if rows > XLSX_MAX_ROWS:
            sink.truncated = True
            sink.line(f"[rows after {XLSX_MAX_ROWS:,} not read]")
            return
        sink.line("\t".join(cells))


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime) and value.time() == datetime.time():
        return value.date().isoformat()
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).replace("\n", " ").replace("\t", " ")


def _xml_reason(label: str, exc: BaseException, otherwise: str = "damaged XML") -> str:
    """Name an entity-expansion refusal (defusedxml's, or libxml2's amplification limit)
    wherever it sits in the exception chain; anything else is damage."""
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            break
        entity = "entit" in str(seen).lower() and type(seen).__name__ in _XML_ERRORS
        if entity or type(seen).__module__.startswith("defusedxml"):
            return f"Refused {label}: XML entity declarations (an entity-expansion attack?)"
        seen = seen.__cause__ or seen.__context__
    return f"Not a valid {label}: {otherwise}"
