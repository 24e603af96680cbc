"""The source register, findings and i2 entities as CSV and XLSX, read back as a recipient's
tools read them (the csv module, openpyxl): every hostile value stays text and never becomes
a formula, fields are quoted per RFC 4180, names in any script survive, the i2 file has the
columns an import specification maps, and the manifest cannot be forged by user text."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import zipfile

import pytest
import report_factory as rf
from openpyxl import load_workbook

from toexdesk.core.enums import EntityKind, HandlingCode, LinkRelation, Marking, Phia
from toexdesk.core.render import tabular
from toexdesk.core.render.tabular import (
    EntityMention,
    cell_text,
    findings_sheet,
    i2_sheet,
    manifest_text,
    neutralise,
    register_sheet,
    write_csv,
    write_xlsx,
)

TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\x00")
HOSTILE = (
    '=HYPERLINK("http://x","click")',
    "+1",
    "-2+3",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    "\n=1",
    "\x00=1",
    " =1+1",
    "=cmd|' /C calc'!A0",
    "#N/A",
    "\u202eexe.fdp",
    'say "hi", then, leave',
    "line one\nline two\r\nline three\rline four",
    "tab\tinside",
    "bell\x07 and escape\x1b and C1\x9b and \ufffe",
)
NAMES = ("Nguyễn Thị Hường", "Dritë Çeka", "Łukasz Żółć", "Олександр Коваленко")
I2_HEADER = [
    "Entity Type",
    "Entity Identity",
    "Entity Label",
    "Entity Description",
    "Link Type",
    "Link Label",
    "Record Type",
    "Record Identity",
    "Record Label",
    "Record Description",
    "Date",
    "Source Type",
    "Source Reference",
    "Source Grading",
    "Intelligence Grading",
    "Handling Code",
    "Handling Conditions",
    "Confidence (PHIA)",
    "Marking",
]


# --- helpers -----------------------------------------------------------------------------------
def hostile_summary():
    """A summary with a hostile value in every text field of every row."""
    register = [
        rf.source(
            i,
            title=value or "x",
            description=value,
            reference=value,
            handling=HandlingCode.C,
            conditions=value,
        )
        for i, value in enumerate(HOSTILE, start=1)
    ]
    findings = [
        rf.finding(i, value, [rf.cite(register[i - 1])]) for i, value in enumerate(HOSTILE, 1)
    ]
    return rf.summary(register, findings, task_info=rf.task(title=HOSTILE[0]))


def csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 with a byte order mark"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), strict=True))


def csv_of(sheet, summary, **kw) -> bytes:
    out = io.BytesIO()
    write_csv(sheet, out, summary=summary, marking=summary.marking, **kw)
    return out.getvalue()


def xlsx_of(summary) -> bytes:
    out = io.BytesIO()
    sheets = [register_sheet(summary), findings_sheet(summary)]
    write_xlsx(sheets, out, summary=summary, marking=summary.marking)
    return out.getvalue()


def safe(value: str) -> bool:
    """A cell no spreadsheet takes for a formula."""
    return not value or (value[0] not in TRIGGERS and value.lstrip(" ")[:1] not in TRIGGERS)


# --- neutralise --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),  # a tab alone is no protection: Excel strips it
        ("\r=1", "'\r=1"),
        ("\n=1", "'\n=1"),
        ("\x00=1", "'\x00=1"),
        ("  =1", "'  =1"),  # importers that trim would see "=1"
        ("+44 7700 900123", "'+44 7700 900123"),
        ("07700 900123", "07700 900123"),
        ("1-2", "1-2"),
        ("a=b", "a=b"),
        ("'=1", "'=1"),
        ("", ""),
        ("Nguyễn Thị Hường", "Nguyễn Thị Hường"),
    ],
)
def test_neutralise_prefixes_a_quote_to_anything_a_spreadsheet_would_evaluate(value, expected):
    assert neutralise(value) == expected


def test_cell_text_drops_what_xml_forbids_and_shows_bidi_controls():
    assert cell_text("a\x00b\x07c\x1b\x7f\x9b\ufffe\ud800d") == "abcd"
    assert cell_text("one\r\ntwo\rthree\x0bfour\u2028five") == "one\ntwo\nthree\nfour\nfive"
    assert cell_text("\u202eexe.fdp") == "[U+202E]exe.fdp"
    assert cell_text("\x00=1") == "'=1"  # the NUL goes, the formula is still caught
    assert cell_text("\r=1") == "'\n=1"
    assert cell_text(None) == ""


# --- CSV -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("make", [register_sheet, findings_sheet])
def test_hostile_values_stay_text_in_csv_and_parse_as_rfc_4180(make):
    summary = hostile_summary()
    sheet = make(summary)
    data = csv_of(sheet, summary)
    rows = csv_rows(data)
    assert rows[0][0] == "OFFICIAL" and rows[1] == list(sheet.header)
    assert len(rows) == 2 + len(HOSTILE)
    assert {len(row) for row in rows[1:]} == {len(sheet.header)}
    for row, raw in zip(rows[2:], sheet.rows, strict=True):
        assert row == [cell_text(v) for v in raw]
        assert all(safe(cell) for cell in row), row
    # CRLF ends every record and nothing else: line breaks inside a field are LF.
    assert data.count(b"\r") == data.count(b"\r\n") == len(rows)
    # Every field quoted, quotes inside doubled.
    assert data[3:].startswith(b'"OFFICIAL","')
    assert b'"say ""hi"", then, leave"' in data


def test_every_hostile_string_is_neutralised_in_its_own_field():
    summary = hostile_summary()
    rows = csv_rows(csv_of(register_sheet(summary), summary))[2:]
    titles = [row[1] for row in rows]
    assert titles[:4] == ['\'=HYPERLINK("http://x","click")', "'+1", "'-2+3", "'@SUM(A1)"]
    assert titles[4:8] == ["'\t=1", "'\n=1", "'\n=1", "'=1"]
    assert titles[8] == "' =1+1" and titles[10] == "#N/A"
    assert titles[11] == "[U+202E]exe.fdp"
    assert titles[13] == "line one\nline two\nline three\nline four"
    assert titles[15] == "bell and escape and C1 and "


def test_names_in_any_script_round_trip_through_csv():
    register = [
        rf.source(i, title=name, description=f"Seen with {name}.")
        for i, name in enumerate(NAMES, 1)
    ]
    summary = rf.summary(register, [rf.finding(1, " / ".join(NAMES), map(rf.cite, register))])
    rows = csv_rows(csv_of(register_sheet(summary), summary))
    assert [row[1] for row in rows[2:]] == list(NAMES)
    findings = csv_rows(csv_of(findings_sheet(summary), summary))
    assert findings[2][1] == " / ".join(NAMES)
    assert findings[2][4] == ", ".join(f"{e.label} ({e.grading})" for e in register)


def test_very_long_text_is_kept_whole_in_csv():
    text = "Lorem ipsum dolor sit amet. " * 3_500  # 98,000 characters
    summary = rf.summary([], [rf.finding(1, text)])
    rows = csv_rows(csv_of(findings_sheet(summary), summary))
    assert rows[2][1] == text


def test_findings_list_their_sources_by_relation():
    s1, s2, s3 = (rf.source(i) for i in (1, 2, 3))
    finding = rf.finding(
        1,
        "A finding.",
        [
            rf.cite(s1),
            rf.cite(s2, LinkRelation.CONTRADICTS),
            rf.cite(s3, LinkRelation.CONTEXT),
        ],
        phia=Phia.HIGHLY_LIKELY,
    )
    summary = rf.summary([s1, s2, s3], [finding])
    row = findings_sheet(summary).rows[0]
    assert row[:4] == ("F1", "A finding.", "Highly likely", "≈80–90 %")
    assert row[4:7] == (f"S1 ({s1.grading})", f"S2 ({s2.grading})", f"S3 ({s3.grading})")


# --- XLSX ----------------------------------------------------------------------------------------
def test_hostile_values_are_text_cells_never_formulas_in_xlsx():
    summary = hostile_summary()
    data = xlsx_of(summary)
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["Sources", "Findings"]
    for ws, sheet in zip(wb, (register_sheet(summary), findings_sheet(summary)), strict=True):
        rows = list(ws.iter_rows(min_row=3))
        assert len(rows) == len(HOSTILE)
        for cells, raw in zip(rows, sheet.rows, strict=True):
            for c, value in zip(cells, raw, strict=True):
                assert (c.value or "") == cell_text(value)
                if c.value is not None:  # an empty value is no cell at all
                    assert c.data_type == "s", (c.coordinate, c.value)
                    assert safe(c.value)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                xml = z.read(name).decode()
                assert "<f>" not in xml and "<f " not in xml and 't="e"' not in xml


def test_xlsx_has_the_marking_row_a_styled_frozen_header_widths_and_marked_pages():
    summary = rf.big_summary(5, 3)
    summary = dataclasses.replace(summary, marking=Marking.SECRET)
    wb = load_workbook(io.BytesIO(xlsx_of(summary)))
    for ws in wb:
        assert ws["A1"].value == "SECRET" and ws["A1"].font.b
        assert "TX-2026-0042" in ws["B1"].value
        assert ws["A2"].value == "Ref" and ws["A2"].font.b
        assert ws["A2"].fill.fgColor.rgb.endswith("D9D9D9")
        assert ws.freeze_panes == "A3"
        assert ws.print_title_rows == "$1:$2"
        assert ws.column_dimensions["B"].width >= 30
        for hf in (ws.oddHeader, ws.evenHeader, ws.oddFooter, ws.evenFooter):
            assert hf.center.text == "SECRET"
        assert ws.oddFooter.right.text == "Page &P of &N"
        assert all(c.number_format == "@" for row in ws.iter_rows() for c in row if c.value)
    assert wb.properties.creator == "TOEX Desk"
    assert wb.properties.title == "TX-2026-0042 (SECRET)"


def test_a_cell_longer_than_excel_holds_is_cut_with_a_note():
    text = "x" * 40_000
    summary = rf.summary([], [rf.finding(1, text)])
    ws = load_workbook(io.BytesIO(xlsx_of(summary)))["Findings"]
    value = ws["B3"].value
    assert len(value) == tabular.XLSX_CELL_LIMIT
    assert value.startswith("x" * 32_000) and value.endswith("40,000 characters in all]")


def test_names_in_any_script_round_trip_through_xlsx():
    register = [rf.source(i, title=name) for i, name in enumerate(NAMES, 1)]
    summary = rf.summary(register, [])
    ws = load_workbook(io.BytesIO(xlsx_of(summary)))["Sources"]
    assert [r[1].value for r in ws.iter_rows(min_row=3)] == list(NAMES)


# --- i2 ------------------------------------------------------------------------------------------
def mention(uid: str, name: str, label: str, *, kind=EntityKind.PERSON, marking=None, notes=""):
    return EntityMention(
        entity_uid=uid,
        kind=kind,
        name=name,
        notes=notes,
        marking=marking or Marking.OFFICIAL,
        record_label=label,
        record_uid=f"rec-{label}",
    )


def i2_summary():
    s1 = rf.source(1, handling=HandlingCode.C, conditions="Originator consent.\nNo onward use.")
    s2 = rf.source(2, marking=Marking.OFFICIAL_SENSITIVE)
    f1 = rf.finding(1, "Runs the line.\nSecond line.", [rf.cite(s1)], phia=Phia.LIKELY)
    return rf.summary([s1, s2], [f1])


def test_i2_file_has_the_import_columns_and_one_row_per_mention():
    summary = i2_summary()
    s1 = summary.register[0]
    mentions = [
        mention("e1", NAMES[0], "S1", notes="DOB unknown.\nAlias 'Hu'."),
        mention("e1", NAMES[0], "S2"),
        mention("e2", "07700 900123", "F1", kind=EntityKind.PHONE),
        mention("e3", "=cmd|' /C calc'!A0", "S1", marking=Marking.SECRET),
        mention("e4", "Not in the product", "S9"),  # an uncited source: left out
    ]
    sheet = i2_sheet(summary, mentions)
    rows = csv_rows(csv_of(sheet, summary, marking_row=False))
    assert rows[0] == I2_HEADER
    body = [dict(zip(I2_HEADER, row, strict=True)) for row in rows[1:]]
    assert len(body) == 4
    by = {(r["Entity Identity"], r["Record Identity"]): r for r in body}
    first = by[("TOEX-E-e1", "TOEX-S-rec-S1")]
    assert first["Entity Type"] == "Person" and first["Entity Label"] == NAMES[0]
    assert first["Entity Description"] == "DOB unknown. / Alias 'Hu'."
    assert first["Link Type"] == "Mentioned in" and first["Link Label"] == f"S1 · {s1.grading}"
    assert first["Record Type"] == "Source"
    assert first["Record Label"] == f"TX-2026-0042/S1 {s1.title}"
    assert (first["Source Grading"], first["Intelligence Grading"], first["Handling Code"]) == (
        s1.evaluation.code,
        s1.assessment.code,
        "C",
    )
    assert first["Handling Conditions"] == "Originator consent. / No onward use."
    assert first["Date"] == s1.obtained_on.isoformat()
    assert first["Source Type"] == s1.source_type.label
    assert first["Source Reference"] == s1.reference
    assert first["Confidence (PHIA)"] == "" and first["Marking"] == "OFFICIAL"
    # The same entity in two sources: one identity, so i2 charts one item with two links.
    assert by[("TOEX-E-e1", "TOEX-S-rec-S2")]["Marking"] == "OFFICIAL-SENSITIVE"
    phone = by[("TOEX-E-e2", "TOEX-F-rec-F1")]
    assert phone["Entity Type"] == "Phone" and phone["Record Type"] == "Finding"
    assert phone["Source Grading"] == phone["Handling Code"] == ""  # ungraded in i2
    assert phone["Confidence (PHIA)"] == "Likely or probable"
    assert phone["Record Description"] == "Runs the line. / Second line."
    hostile = by[("TOEX-E-e3", "TOEX-S-rec-S1")]
    assert hostile["Entity Label"] == "'=cmd|' /C calc'!A0" and hostile["Marking"] == "SECRET"
    # i2 reads one item per line: nothing in this file breaks a line.
    assert all("\n" not in cell for row in rows for cell in row)
    # Rows follow the product: sources by number, then findings.
    assert [r["Record Identity"] for r in body] == [
        "TOEX-S-rec-S1",
        "TOEX-S-rec-S1",
        "TOEX-S-rec-S2",
        "TOEX-F-rec-F1",
    ]


def test_i2_cuts_long_descriptions_and_labels():
    summary = rf.summary([rf.source(1, description="word " * 2_000)], [])
    sheet = i2_sheet(summary, [mention("e1", "N" * 500, "S1")])
    row = dict(zip(I2_HEADER, sheet.rows[0], strict=True))
    assert len(row["Entity Label"]) == tabular.I2_LABEL_LIMIT and row["Entity Label"][-1] == "…"
    assert len(row["Record Description"]) <= tabular.I2_TEXT_LIMIT


# --- manifest ------------------------------------------------------------------------------------
def test_manifest_is_sha256sum_format_and_user_text_cannot_add_a_line():
    forged = "x\n" + "0" * 64 + "  evil.exe\r\n# Marking: OFFICIAL"
    text = manifest_text(
        reference="TX-2026-0042",
        marking=Marking.OFFICIAL_SENSITIVE,
        exported_at=dt.datetime(2026, 3, 16, 10, 22, 31, tzinfo=dt.UTC),
        recipient=forged,
        purpose="Tasking\u2028meeting",
        anchor="#12 " + "a" * 64,
        files=[("b" * 64, "OFFICIAL-SENSITIVE_TX-2026-0042_summary.pdf")],
    )
    lines = text.split("\n")
    assert lines[-1] == "" and "\r" not in text
    header = [ln for ln in lines if ln.startswith("#")]
    entries = [ln for ln in lines[:-1] if not ln.startswith("#")]
    assert entries == ["b" * 64 + "  OFFICIAL-SENSITIVE_TX-2026-0042_summary.pdf"]
    assert "# Marking: OFFICIAL-SENSITIVE" in header
    assert "# Exported: 2026-03-16T10:22:31Z" in header
    assert "# Audit chain head: #12 " + "a" * 64 in header
    assert "# Purpose: Tasking / meeting" in header
    assert any(ln.startswith("# Recipient: x / 000") for ln in header)
