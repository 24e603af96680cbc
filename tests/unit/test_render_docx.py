"""The research summary and briefing pack as Word documents, on real workspace data, read
back with python-docx: sections in order, citations that resolve, the marking in every header
and footer, hostile and non-Latin text kept literally, clean metadata, and no partial file."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import zipfile
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn

from toexdesk.core.enums import Marking
from toexdesk.core.errors import Cancelled
from toexdesk.core.render.docx import clean, render_pack_docx, render_summary_docx
from toexdesk.core.services import findings, reports, sources, tasks

SECTIONS = [  # the PDF's order: sharing conditions before content, the register last
    "Handling conditions",
    "Research questions",
    "Findings",
    "Gaps and further research",
    "Source register",
]
CONDITIONS = "Not to be shared outside the force without the provider's consent."
NAMES = ["Nguyễn Thị Hường", "Dritë Çeka", "Łukasz Żółć", "Олександр Коваленко"]
LONG_WORD = "x" * 250 + "https://example.invalid/" + "y" * 226  # 500 characters, no break
HOSTILE = (
    "<w:p><w:r><w:t>injected</w:t></w:r></w:p> ]]> & &amp; <b>bold?</b> "
    "\u202eevil\u202c \x01\x07\x1b\x7f done"
)
HOSTILE_SEEN = (
    "<w:p><w:r><w:t>injected</w:t></w:r></w:p> ]]> & &amp; <b>bold?</b> \u202eevil\u202c  done"
)


# --- helpers ---------------------------------------------------------------------------------
def task_draft(**kw) -> tasks.TaskDraft:
    values = dict(
        title="Supply of class A drugs into Northtown",
        requester="DS Amara Okafor",
        thematic="county_lines",
        priority="P2",
        due_date=dt.date.today() + dt.timedelta(days=7),
        research_questions="1. Who runs the 'Blaze' line?\n2. Which addresses are used?",
        gaps="No partner agency data yet.\n\nPhone 07700 900123 not yet attributed.",
        marking="OFFICIAL",
    )
    values.update(kw)
    return tasks.TaskDraft(**values)


def make_task(ws, *, sensitive_source=True, **kw):
    """A task with three sources (one C-coded, one OFFICIAL-SENSITIVE) and three findings."""
    task = tasks.create_task(ws, task_draft(**kw))
    s1 = sources.create_source(
        ws,
        task.id,
        sources.SourceDraft(
            title=f"Custody record: {NAMES[0]}",
            source_type="police_system",
            evaluation="1",
            assessment="A",
            handling="P",
            description=f"Arrested with {NAMES[1]}.\nMobile 07700 900456 seized.",
            reference="CUS/2026/0042",
            obtained_on=dt.date.today() - dt.timedelta(days=3),
        ),
    )
    s2 = sources.create_source(
        ws,
        task.id,
        sources.SourceDraft(
            title="Housing provider referral",
            source_type="partner_agency",
            evaluation="2",
            assessment="B",
            handling="C",
            handling_conditions=CONDITIONS,
            description=f"Tenant {NAMES[2]} reports cuckooing at Flat 3.",
            marking="OFFICIAL-SENSITIVE" if sensitive_source else "OFFICIAL",
        ),
    )
    s3 = sources.create_source(
        ws,
        task.id,
        sources.SourceDraft(
            title="Open source profile",
            source_type="open_source",
            evaluation="2",
            assessment="C",
            handling="P",
            description=f"Account in the name of {NAMES[3]}.",
            reference="https://social.example.invalid/profile/blaze-line",
        ),
    )
    f1 = findings.create_finding(
        ws,
        task.id,
        findings.FindingDraft(text=f"{NAMES[0]} runs the line.", phia="likely"),
        [(s1.id, "supports"), (s2.id, "supports")],
    )
    f2 = findings.create_finding(
        ws,
        task.id,
        findings.FindingDraft(text="The line uses Flat 3 as a base.", phia="highly_likely"),
        [(s2.id, "supports"), (s3.id, "contradicts")],
    )
    f3 = findings.create_finding(
        ws,
        task.id,
        findings.FindingDraft(
            text="The line has links to Southport.", phia="realistic_possibility"
        ),
        [(s3.id, "context")],
    )
    return task, (s1, s2, s3), (f1, f2, f3)


def read(path: Path | io.BytesIO):
    return docx.Document(path)


def all_text(document) -> str:
    """Body paragraphs and every table cell, in document order."""
    parts: list[str] = []
    body = document.element.body
    for child in body.iterchildren():
        if child.tag == qn("w:p"):
            parts.append(docx.text.paragraph.Paragraph(child, document).text)
        elif child.tag == qn("w:tbl"):
            table = docx.table.Table(child, document)
            for row in table.rows:
                for cell in row.cells:
                    parts.append(cell.text)
    return "\n".join(parts)


def headings(document) -> list[tuple[str, str]]:
    return [
        (p.style.name, p.text)
        for p in document.paragraphs
        if p.style.name.startswith(("Heading", "Title"))
    ]


def header_footer_texts(document) -> list[tuple[str, str]]:
    out = []
    for section in document.sections:
        out.append(
            (
                "\n".join(p.text for p in section.header.paragraphs),
                "\n".join(p.text for p in section.footer.paragraphs),
            )
        )
    return out


def register_table(document):
    """The table whose header row starts with "Ref"."""
    for table in document.tables:
        if table.rows[0].cells[0].text == "Ref":
            return table
    raise AssertionError("no source register table")


# --- contents and order ----------------------------------------------------------------------
def test_summary_has_header_block_sections_in_order_and_findings(ws, tmp_path):
    task, _, _ = make_task(ws)
    summary = reports.research_summary(ws, task.id)
    out = tmp_path / "summary.docx"
    render_summary_docx(summary, out)

    document = read(out)
    found = headings(document)
    assert found[0] == ("Title", task.title)
    assert [text for style, text in found if style == "Heading 1"] == SECTIONS

    text = all_text(document)
    for needle in (
        task.reference,
        "DS Amara Okafor",
        "County lines",
        "P2 – high",
        "Test Analyst",
        "UTC",
        "Who runs the 'Blaze' line?",
        "Phone 07700 900123 not yet attributed.",
        "Likely or probable (≈55–75 %)",
        "Highly likely (≈80–90 %)",
        "[S3 · 2/C/P] (contradicts)",
        "[S3 · 2/C/P] (context)",
        "Not to be shared outside the force without the provider's consent.",
        "CUS/2026/0042",
    ):
        assert needle in text, needle
    # Findings print in order, each with its label and PHIA term.
    order = [text.index(f.text) for f in summary.findings]
    assert order == sorted(order)
    for finding in summary.findings:
        assert f"{finding.label}\t{finding.text}" in text
    # The C condition is gathered in the handling conditions box after its heading.
    box_at = text.index("Cited sources graded C")
    assert text.index("Handling conditions") < box_at < text.index("Research questions")
    assert "S2\tNot to be shared" in text[box_at:]


def test_every_citation_resolves_to_a_register_row(ws, tmp_path):
    task, _, _ = make_task(ws)
    summary = reports.research_summary(ws, task.id)
    out = tmp_path / "summary.docx"
    render_summary_docx(summary, out)

    document = read(out)
    table = register_table(document)
    header = [cell.text for cell in table.rows[0].cells]
    assert header == ["Ref", "Source", "Type", "Obtained", "3x5x2", "Handling conditions"]
    rows = {row.cells[0].text: [c.text for c in row.cells] for row in table.rows[1:]}
    assert list(rows) == ["S1", "S2", "S3"]

    text = all_text(document)
    cited = [c for f in summary.findings for c in f.citations]
    assert cited
    for citation in cited:
        assert citation.text in text
        row = rows[citation.label]
        assert row[4].startswith(citation.grading)
    s2 = rows["S2"]
    assert s2[2] == "Partner agency"
    assert (
        "2 · Untested" in s2[4] and "B · Known indirectly to the source but corroborated" in s2[4]
    )
    assert "Not to be shared" in s2[5]
    assert rows["S1"][5] == "None (P)"
    assert "Marking: OFFICIAL-SENSITIVE" in s2[1]


def test_register_header_repeats_rows_keep_whole_and_columns_are_fixed(ws, tmp_path):
    task, _, _ = make_task(ws)
    out = tmp_path / "summary.docx"
    render_summary_docx(reports.research_summary(ws, task.id), out)

    table = register_table(read(out))
    tr_pr = table.rows[0]._tr.trPr
    assert tr_pr is not None and tr_pr.find(qn("w:tblHeader")) is not None
    assert all(
        row._tr.trPr is None or row._tr.trPr.find(qn("w:tblHeader")) is None
        for row in table.rows[1:]
    )
    # Ordinary rows stay on one page; a row longer than a page may split (Word would cut it).
    assert all(row._tr.trPr.find(qn("w:cantSplit")) is not None for row in table.rows)
    summary = reports.research_summary(ws, task.id)
    huge = dataclasses.replace(summary.register[0], description="Long report line.\n" * 400)
    out = tmp_path / "long.docx"
    render_summary_docx(dataclasses.replace(summary, register=(huge, *summary.register[1:])), out)
    rows = register_table(read(out)).rows
    assert rows[1]._tr.trPr is None or rows[1]._tr.trPr.find(qn("w:cantSplit")) is None
    assert rows[2]._tr.trPr.find(qn("w:cantSplit")) is not None
    layout = table._tbl.tblPr.find(qn("w:tblLayout"))
    assert layout is not None and layout.get(qn("w:type")) == "fixed"
    assert table.style.name == "Table Grid"


# --- marking ---------------------------------------------------------------------------------
def test_marking_is_in_header_and_footer_with_page_fields(ws, tmp_path):
    task, _, _ = make_task(ws, sensitive_source=False)
    summary = reports.research_summary(ws, task.id)
    assert summary.marking is Marking.OFFICIAL
    out = tmp_path / "summary.docx"
    render_summary_docx(summary, out)

    document = read(out)
    for header, footer in header_footer_texts(document):
        assert header.strip() == "OFFICIAL"
        assert footer.splitlines()[-1] == "OFFICIAL"
        assert "Page " in footer and task.reference in footer
    with zipfile.ZipFile(out) as zf:
        footers = [zf.read(n).decode() for n in zf.namelist() if n.startswith("word/footer")]
    assert any(" PAGE " in f and " NUMPAGES " in f for f in footers)


def test_official_task_citing_an_official_sensitive_source_is_official_sensitive(ws, tmp_path):
    task, _, _ = make_task(ws, sensitive_source=True)
    assert task.marking is Marking.OFFICIAL
    summary = reports.research_summary(ws, task.id)
    out = tmp_path / "summary.docx"
    render_summary_docx(summary, out)

    document = read(out)
    for header, footer in header_footer_texts(document):
        assert header.strip() == "OFFICIAL-SENSITIVE"
        assert footer.splitlines()[-1] == "OFFICIAL-SENSITIVE"
    assert "Protective marking\nOFFICIAL-SENSITIVE" in all_text(document)


# --- text is data ----------------------------------------------------------------------------
def test_hostile_text_prints_literally_and_the_file_opens(ws, tmp_path):
    task, _, _ = make_task(ws, title=f"Op <Nightjar> & co {HOSTILE}", gaps=LONG_WORD)
    summary = reports.research_summary(ws, task.id)
    # The services refuse NUL; the renderer must survive it anyway, and other odd characters.
    first = summary.findings[0]
    summary = dataclasses.replace(
        summary,
        researcher="Analyst\x00 One\ufffe\ud800",
        findings=(
            dataclasses.replace(first, text=f"{HOSTILE}\x00\nsecond line\r\nthird"),
            *summary.findings[1:],
        ),
        register=(
            dataclasses.replace(summary.register[0], description=f"{LONG_WORD}\x0bafter"),
            *summary.register[1:],
        ),
    )
    out = tmp_path / "hostile.docx"
    render_summary_docx(summary, out)

    with zipfile.ZipFile(out) as zf:
        assert zf.testzip() is None
        body = zf.read("word/document.xml").decode()
    assert "<w:t>injected</w:t>" not in body  # escaped, not markup
    assert "&lt;w:p&gt;" in body

    document = read(out)
    text = all_text(document)
    assert f"Op <Nightjar> & co {HOSTILE_SEEN}" in text
    assert f"{HOSTILE_SEEN}\nsecond line\nthird" in text
    assert "Analyst One" in text
    assert LONG_WORD in text
    assert f"{LONG_WORD}\nafter" in text
    assert "\x00" not in text and "\x01" not in text and "\x1b" not in text
    assert headings(document)[0] == ("Title", f"Op <Nightjar> & co {HOSTILE_SEEN}")
    # Text after the bidi override is complex-script text to Word: same size as the rest.
    for part in (document.element, document.styles.element):
        for sz in part.iter(qn("w:sz")):
            sz_cs = sz.getnext()
            assert sz_cs is not None and sz_cs.tag == qn("w:szCs")
            assert sz_cs.get(qn("w:val")) == sz.get(qn("w:val"))


def test_clean_drops_only_what_xml_forbids():
    assert clean("a\x00b\x08c\td\ne\x1ff\ufffeg\uffffh\ud800i") == "abc\td\nefghi"
    assert clean("one\r\ntwo\rthree\x0bfour\u2028five") == "one\ntwo\nthree\nfour\nfive"
    kept = "<w:p> ]]> & &amp; \u202e 🚔 Łukasz"
    assert clean(kept) == kept
    assert clean(None) == ""


def test_unicode_names_round_trip(ws, tmp_path):
    task, _, _ = make_task(ws, requester=NAMES[3], title=f"Exploitation linked to {NAMES[1]}")
    out = tmp_path / "names.docx"
    render_summary_docx(reports.research_summary(ws, task.id), out)
    text = all_text(read(out))
    for name in NAMES:
        assert name in text, name


# --- the file --------------------------------------------------------------------------------
def test_core_properties_carry_no_personal_data(ws, tmp_path):
    task, _, _ = make_task(ws, title=f"Activity of {NAMES[0]}")
    summary = reports.research_summary(ws, task.id)
    out = tmp_path / "summary.docx"
    render_summary_docx(summary, out)

    props = read(out).core_properties
    assert props.title == task.reference
    assert props.author == "TOEX Desk"
    assert props.last_modified_by == ""
    assert props.comments == "" and props.subject == "" and props.keywords == ""
    assert props.created == summary.generated_at.replace(microsecond=0)
    with zipfile.ZipFile(out) as zf:
        names = zf.namelist()
        meta = "".join(zf.read(n).decode() for n in names if n.startswith("docProps/"))
    assert not any("thumbnail" in n for n in names)
    for personal in (*NAMES, "Test Analyst", "Okafor", "python-docx", task.title):
        assert personal not in meta, personal


class CancelAt:
    """A ``cancelled`` callback that answers yes from its ``at``-th question on."""

    def __init__(self, at: int | None = None):
        self.at, self.asked = at, 0

    def __call__(self) -> bool:
        self.asked += 1
        return self.at is not None and self.asked >= self.at


def test_cancel_leaves_no_file_and_no_temp_file(ws, tmp_path):
    task, _, _ = make_task(ws)
    summary = reports.research_summary(ws, task.id)
    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / "summary.docx"

    count = CancelAt()
    render_summary_docx(summary, io.BytesIO(), cancelled=count)
    # On a path, one more question comes after the temporary file is written and synced.
    questions = count.asked + 1
    assert questions > 5  # asked between sections, not only once
    for at in (1, 3, questions):  # first thing, mid-document, after the temp file exists
        with pytest.raises(Cancelled):
            render_summary_docx(summary, target, cancelled=CancelAt(at))
        assert list(folder.iterdir()) == []
    render_summary_docx(summary, target, cancelled=CancelAt(questions + 1))
    assert [p.name for p in folder.iterdir()] == ["summary.docx"]


def test_existing_file_is_replaced_whole_and_kept_on_failure(ws, tmp_path, monkeypatch):
    task, _, _ = make_task(ws)
    summary = reports.research_summary(ws, task.id)
    folder = tmp_path / "out"
    folder.mkdir()
    out = folder / "summary.docx"
    out.write_bytes(b"previous version")

    def broken_save(self, stream):
        stream.write(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(docx.document.Document, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        render_summary_docx(summary, out)
    assert out.read_bytes() == b"previous version"
    assert [p.name for p in folder.iterdir()] == ["summary.docx"]

    monkeypatch.undo()
    render_summary_docx(summary, out)
    with zipfile.ZipFile(out) as zf:
        assert zf.testzip() is None
    assert task.reference in all_text(read(out))


def test_writes_to_a_stream_and_the_zip_is_valid(ws):
    task, _, _ = make_task(ws)
    buffer = io.BytesIO()
    render_summary_docx(reports.research_summary(ws, task.id), buffer)
    buffer.seek(0)
    with zipfile.ZipFile(buffer) as zf:
        assert zf.testzip() is None
        assert "word/document.xml" in zf.namelist()
    buffer.seek(0)
    assert task.title in all_text(read(buffer))


def test_empty_task_still_reads_as_a_product(ws, tmp_path):
    task = tasks.create_task(ws, task_draft(research_questions="", gaps=""))
    out = tmp_path / "empty.docx"
    render_summary_docx(reports.research_summary(ws, task.id), out)
    document = read(out)
    assert [t for s, t in headings(document) if s == "Heading 1"] == SECTIONS
    text = all_text(document)
    for needle in (
        "No research questions recorded.",
        "No findings recorded.",
        "No sources are cited.",
        "No gaps recorded.",
    ):
        assert needle in text


# --- briefing pack ---------------------------------------------------------------------------
def test_pack_has_cover_and_one_new_page_section_per_task(ws, tmp_path):
    first, _, _ = make_task(ws, sensitive_source=False)
    second, _, _ = make_task(ws, title="Modern slavery at a car wash", thematic="modern_slavery")
    pack = reports.briefing_pack(
        ws, [first.id, second.id], title="Weekly briefing", recipient="DI Rowan Hale"
    )
    assert pack.marking is Marking.OFFICIAL_SENSITIVE
    out = tmp_path / "pack.docx"
    render_pack_docx(pack, out)

    document = read(out)
    assert len(document.sections) == 3
    for header, footer in header_footer_texts(document):
        assert header.strip() == "OFFICIAL-SENSITIVE"
        assert footer.splitlines()[-1] == "OFFICIAL-SENSITIVE"
    found = headings(document)
    assert found[0] == ("Title", "Weekly briefing")
    tops = [t for s, t in found if s == "Heading 1"]
    assert tops == [
        "Contents",
        f"{first.reference} · {first.title}",
        f"{second.reference} · {second.title}",
    ]
    assert [t for s, t in found if s == "Heading 2"] == SECTIONS * 2
    text = all_text(document)
    assert "DI Rowan Hale" in text
    assert text.index("Contents") < text.index(f"{first.reference} · {first.title}")
    contents = document.tables[1]
    assert [[c.text for c in row.cells] for row in contents.rows] == [
        ["Reference", "Task", "Marking"],
        [first.reference, first.title, "OFFICIAL"],
        [second.reference, second.title, "OFFICIAL-SENSITIVE"],
    ]
    props = document.core_properties
    assert props.title == "Briefing pack" and props.author == "TOEX Desk"

    with pytest.raises(Cancelled):
        render_pack_docx(pack, tmp_path / "stopped.docx", cancelled=lambda: True)
    assert not (tmp_path / "stopped.docx").exists()
