"""The draft unused-material schedule (MG6C style) over a real SQLCipher workspace, written
as real files: XLSX read back with openpyxl, PDF read back page by page. Item numbers stay
stable across versions; hostile text stays text; the marking leads every file name and sits
on every page; writing is a disclosure."""

from __future__ import annotations

import hashlib
import json

import pytest
from openpyxl import load_workbook
from pdf_reader import one_spaced, read
from sqlalchemy import text

from toexdesk.core.enums import Marking, ScheduleItemKind
from toexdesk.core.errors import ExportFailed, ValidationError
from toexdesk.core.render.tabular import neutralise
from toexdesk.core.services import findings, research_log, schedule, sources, tasks

HOSTILE = (
    '=HYPERLINK("http://x","click")',
    "+44 7700 900123",
    "-2+3",
    "@SUM(A1)",
    "=cmd|' /C calc'!A0",
    " =1+1",
    "\u202eexe.fdp",
    "<b>bold</b> & <a href='x'>link</a>",
)


def events(ws) -> list[dict]:
    with ws.engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM audit_event ORDER BY seq")).mappings().all()
    return [dict(r) for r in rows]


def source_draft(title: str, **kw) -> sources.SourceDraft:
    values = dict(
        title=title, source_type="police_system", evaluation="1", assessment="B", handling="P"
    )
    values.update(kw)
    return sources.SourceDraft(**values)


@pytest.fixture
def task(ws):
    draft = tasks.TaskDraft("Line KESTREL into Northtown", "DS Ada Rowe", "county_lines")
    return tasks.create_task(ws, draft)


@pytest.fixture
def out(tmp_path):
    folder = tmp_path / "shared drive"
    folder.mkdir()
    return folder


def rows_of(sched) -> list[tuple[int, str, bool]]:
    return [(r.number, r.label, r.held) for r in sched.rows]


# --- numbering -----------------------------------------------------------------------------------
def test_item_numbers_stay_the_same_across_versions_and_new_items_take_the_next(ws, task):
    s1 = sources.create_source(ws, task.id, source_draft("Custody record"))
    sources.create_source(ws, task.id, source_draft("Partner referral"))
    research_log.log_check(ws, task.id, "PNC", "Dale Fenwickson", "found")
    first = schedule.draft_schedule(ws, task.id)
    assert rows_of(first) == [(1, "S1", True), (2, "S2", True), (3, "Check", True)]
    assert first.new_numbers == (1, 2, 3)

    # A new source and a nil-return check, then the second version.
    sources.create_source(ws, task.id, source_draft("Open source profile"))
    research_log.log_check(ws, task.id, "PND", "07700 900123", "nil")
    research_log.log_decision(ws, task.id, "Stop at PND", "Nothing more in scope")
    second = schedule.draft_schedule(ws, task.id)
    assert rows_of(second) == [
        (1, "S1", True),
        (2, "S2", True),
        (3, "Check", True),
        (4, "S3", True),  # sources first, by number, then the log, in order
        (5, "Check", True),
        (6, "Log", True),
    ]
    assert second.new_numbers == (4, 5, 6)
    for old, new in zip(first.rows, second.rows, strict=False):
        assert (old.number, old.description) == (new.number, new.description)
    nil = second.rows[4]
    assert "Check of PND: 07700 900123. Result: Nil return" in nil.description
    assert nil.kind is ScheduleItemKind.LOG_ENTRY
    assert "research log" in second.rows[5].description.lower()

    # An erased source keeps its number, as no longer held; its number is never reused.
    sources.erase_source(ws, s1.id, justification="Retention review")
    sources.create_source(ws, task.id, source_draft("Later material"))
    third = schedule.draft_schedule(ws, task.id)
    assert rows_of(third)[0] == (1, "", False)
    assert "No longer held" in third.rows[0].description
    assert rows_of(third)[-1] == (7, "S4", True)
    assert schedule.draft_schedule(ws, task.id).new_numbers == ()


def test_drawing_up_the_schedule_is_a_consultation_of_the_task(ws, task):
    sources.create_source(ws, task.id, source_draft("Custody record"))
    schedule.draft_schedule(ws, task.id)
    last = events(ws)[-1]
    assert (last["action"], last["record_type"], last["record_ref"]) == (
        "consultation",
        "task",
        task.reference,
    )
    assert json.loads(last["details"]) == {
        "items": 1,
        "new_items": 1,
        "read": "unused material schedule",
    }


def test_sensitivity_is_suggested_from_handling_marking_and_source_type(ws, task):
    for draft in (
        source_draft("Plain"),
        source_draft("Conditions", handling="C", handling_conditions="Force only"),
        source_draft("Secret", marking="SECRET"),
        source_draft("CHIS report", source_type="human"),
    ):
        sources.create_source(ws, task.id, draft)
    rows = schedule.draft_schedule(ws, task.id).rows
    assert [(r.suggestion, r.why) for r in rows] == [
        ("Not sensitive", "marked OFFICIAL; handling code P"),
        ("Sensitive", "handling code C"),
        ("Sensitive", "marked SECRET"),
        ("Sensitive", "human source"),
    ]
    assert [r.handling for r in rows] == ["1/B/P", "1/B/C", "1/B/P", "1/B/P"]


def test_locations_say_where_the_material_is_held(ws, task, tmp_path):
    from toexdesk.core.services import attachments

    src = sources.create_source(
        ws, task.id, source_draft("Custody record", reference="Niche 12/3456/26")
    )
    note = tmp_path / "custody note.txt"
    note.write_text("Custody note", encoding="utf-8")
    attachments.capture_file(ws, src.id, note)
    research_log.log_check(ws, task.id, "PNC", "Dale Fenwickson", "nil")
    first, check = schedule.draft_schedule(ws, task.id).rows
    assert first.location == (
        f"TOEX workspace {ws.path.name}, source S1, attachment custody note.txt. "
        "Original: Niche 12/3456/26"
    )
    assert check.location.startswith("PNC (the system checked)")
    assert f"research log of {task.reference}" in check.location


# --- files ---------------------------------------------------------------------------------------
def test_schedule_files_carry_the_marking_in_their_names_and_are_disclosed(ws, task, out):
    sources.create_source(ws, task.id, source_draft("Custody record"))
    sources.create_source(ws, task.id, source_draft("Sensitive", marking="OFFICIAL-SENSITIVE"))
    before = len(events(ws))
    result = schedule.export_schedule(
        ws, task.id, out, formats=["pdf", "xlsx"], recipient="DC Lee, disclosure", purpose="MG6"
    )
    names = sorted(f.name for f in result.files)
    assert names == [
        f"OFFICIAL-SENSITIVE_{task.reference}_unused-material-schedule.pdf",
        f"OFFICIAL-SENSITIVE_{task.reference}_unused-material-schedule.xlsx",
    ]
    assert sorted(p.name for p in out.iterdir()) == names  # no temporary file left behind
    disclosures = [e for e in events(ws)[before:] if e["action"] == "disclosure"]
    assert len(disclosures) == 2
    for event, written in zip(disclosures, result.files, strict=True):
        details = json.loads(event["details"])
        assert (event["recipient"], event["justification"]) == ("DC Lee, disclosure", "MG6")
        assert details["product"] == "unused material schedule"
        assert details["marking"] == "OFFICIAL-SENSITIVE"
        assert details["sha256"] == hashlib.sha256(written.path.read_bytes()).hexdigest()
        assert details["format"] == written.fmt
    assert "pages" in json.loads(disclosures[[f.fmt for f in result.files].index("pdf")]["details"])


def test_an_existing_file_is_never_replaced_unless_asked(ws, task, out):
    sources.create_source(ws, task.id, source_draft("Custody record"))
    kwargs = dict(recipient="DC Lee", purpose="MG6")
    schedule.export_schedule(ws, task.id, out, formats=["xlsx"], **kwargs)
    xlsx = next(out.iterdir())
    xlsx.write_bytes(b"the disclosure officer's own edits")
    before = len(events(ws))
    with pytest.raises(ExportFailed, match="already exists"):
        schedule.export_schedule(ws, task.id, out, **kwargs)
    assert xlsx.read_bytes() == b"the disclosure officer's own edits"
    assert len(list(out.iterdir())) == 1  # the PDF was not written either
    assert not [e for e in events(ws)[before:] if e["action"] == "disclosure"]
    schedule.export_schedule(ws, task.id, out, overwrite=True, **kwargs)
    assert xlsx.read_bytes().startswith(b"PK")


def test_a_request_without_recipient_purpose_or_known_format_is_refused(ws, task, out):
    for kwargs, field in (
        (dict(recipient=" ", purpose="MG6"), "recipient"),
        (dict(recipient="DC Lee", purpose=""), "purpose"),
        (dict(recipient="DC Lee", purpose="MG6", formats=["docx"]), "formats"),
        (dict(recipient="DC Lee", purpose="MG6", formats=[]), "formats"),
    ):
        with pytest.raises(ValidationError) as exc:
            schedule.export_schedule(ws, task.id, out, **kwargs)
        assert [e.field for e in exc.value.errors] == [field]
    with pytest.raises(ExportFailed, match="not there"):
        schedule.export_schedule(ws, task.id, out / "gone", recipient="DC Lee", purpose="MG6")
    assert list(out.iterdir()) == []


def test_hostile_text_stays_text_in_the_xlsx(ws, task, out):
    for value in HOSTILE:
        sources.create_source(ws, task.id, source_draft(value, reference=value))
    research_log.log_check(ws, task.id, "=cmd|' /C calc'!A0", "@SUM(A1)", "nil", "-2+3")
    result = schedule.export_schedule(
        ws, task.id, out, formats=["xlsx"], recipient="DC Lee", purpose="MG6"
    )
    wb = load_workbook(result.files[0].path)
    sheet = wb.active
    values = []
    for row in sheet.iter_rows():
        for cell in row:
            if cell.value is None:
                continue
            assert cell.data_type == "s", (cell.coordinate, cell.value)
            assert isinstance(cell.value, str)
            assert neutralise(cell.value) == cell.value, cell.value  # nothing left to fire
            values.append(cell.value)
    assert '\'=HYPERLINK("http://x","click") (Police system; date obtained not recorded).' in (
        values
    )
    assert "'+44 7700 900123 (Police system; date obtained not recorded)." in values
    assert any(v.startswith("'=cmd|' /C calc'!A0 (the system checked)") for v in values)
    assert "[U+202E]exe.fdp (Police system; date obtained not recorded)." in values
    assert sheet["A1"].value == "OFFICIAL" and "DRAFT" in sheet["B1"].value
    assert sheet.oddHeader.center.text == "OFFICIAL"
    assert sheet.oddFooter.center.text == "OFFICIAL"
    assert wb.properties.title == f"{task.reference} unused material schedule (OFFICIAL)"
    header = [c.value for c in sheet[9]]
    assert header[:3] == ["Item", "Ref", "Description"]
    assert sheet.freeze_panes == "A10"


def test_every_pdf_page_carries_the_marking_and_says_draft(ws, task, out):
    drafts = [source_draft(f"Custody record {n} for Dale Fenwickson") for n in range(1, 40)]
    drafts.append(source_draft(HOSTILE[-1], marking="SECRET", description="x" * 5000))
    sources.create_sources(ws, task.id, drafts)
    research_log.log_check(ws, task.id, "PNC", "Dale Fenwickson", "nil")
    result = schedule.export_schedule(
        ws, task.id, out, formats=["pdf"], recipient="DC Lee", purpose="MG6"
    )
    (pdf,) = result.files
    assert pdf.name.startswith("SECRET_") and pdf.marking is Marking.SECRET
    pages, _ = read(pdf.path.read_bytes())
    assert len(pages) > 2
    for number, page in enumerate(pages, start=1):
        assert page.header.splitlines()[0] == "SECRET"
        assert page.footer.splitlines()[-1] == "SECRET"
        assert f"Page {number} of {len(pages)}" in page.footer
        assert "DRAFT" in page.text
    body = one_spaced(" ".join(p.body for p in pages))
    assert "DRAFT · UNUSED MATERIAL SCHEDULE" in body
    assert "<b>bold</b> & <a href='x'>link</a>" in body  # printed as text, not markup
    assert "Result: Nil return" in body
    assert "Suggested: Sensitive" in body and "marked SECRET" in body


def test_findings_citing_a_source_are_noted_on_its_item(ws, task):
    src = sources.create_source(ws, task.id, source_draft("Custody record"))
    sources.create_source(ws, task.id, source_draft("Unused"))
    findings.create_finding(
        ws, task.id, findings.FindingDraft("Runs weekly", "likely"), [(src.id, "supports")]
    )
    cited, unused = schedule.draft_schedule(ws, task.id).rows
    assert "Cited in the research summary." in cited.description
    assert "Cited" not in unused.description
