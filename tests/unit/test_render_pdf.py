"""The PDF research summary and briefing pack, read back with pypdfium2 as a recipient's
viewer reads them: marking on every page, page numbers, citations that resolve, handling
conditions, bookmarks and contents, user text printed as data, and never a partial file."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import unicodedata

import pytest
import report_factory as rf
from pdf_reader import one_spaced, read, squash

from toexdesk.core.enums import HandlingCode, LinkRelation, Marking, Phia
from toexdesk.core.errors import Cancelled
from toexdesk.core.render import text as rtext
from toexdesk.core.render.pdf import render_pack_pdf, render_summary_pdf

CITATION = re.compile(r"\[(S\d+) · (\d/[A-E]/[PC])\]")
# A register row as extracted: its cells one after another, the grading code on a line.
REGISTER_ROW = re.compile(r"^(S\d+) .*?^(\d/[A-E]/[PC])$", re.M | re.S)
HOSTILE = (
    '<a href="http://x">click</a>',
    '<img src="file:///etc/passwd"/>',
    "<b>unclosed bold",
    "&amp; &lt; & <",
    '<font name="Courier" size="80" color="red">big</font>',
    "<para>para</para>",
    "<br/><seq/><onDraw name='x'/>",
    '"><script>alert(1)</script>',
)


def pdf_of(obj, **kw) -> bytes:
    out = io.BytesIO()
    render = render_pack_pdf if hasattr(obj, "summaries") else render_summary_pdf
    pages = render(obj, out, **kw)
    data = out.getvalue()
    assert data.startswith(b"%PDF-") and pages == len(read(data)[0])
    return data


def body(pages) -> str:
    """The document's text without page headers and footers, as one string."""
    return "\n".join(p.body for p in pages)


def section(text: str, start: str, end: str | None) -> str:
    after = text.split(start, 1)[1]
    return after.split(end, 1)[0] if end else after


# --- marking and page numbers ---------------------------------------------------------------
def test_marking_is_centred_in_the_header_and_footer_of_every_page_of_a_long_register():
    summary = rf.big_summary(n_sources=150, n_findings=20)
    pages, _ = read(pdf_of(summary))
    register_pages = [p for p in pages if "Obtained 3x5x2 grading" in p.text]
    assert len(pages) >= 5 and len(register_pages) >= 3  # the register continues
    for page in pages:
        assert page.header.splitlines()[0] == "OFFICIAL-SENSITIVE"
        assert page.footer.splitlines()[-1] == "OFFICIAL-SENSITIVE"
        assert "Research summary TX-2026-0042" in page.header
    # Continuation pages repeat the register's heading row.
    for page in register_pages:
        assert "Ref Source Type Obtained 3x5x2 grading Handling conditions" in one_spaced(page.text)


def test_every_page_says_page_x_of_y_and_when_it_was_generated():
    pages, _ = read(pdf_of(rf.big_summary(n_sources=120, n_findings=30)))
    total = len(pages)
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {total}" in page.footer
        assert "Generated 14 Mar 2026 09:26 UTC (" in page.footer
        assert "local time, UTC" in page.footer


def test_an_official_task_citing_an_official_sensitive_source_prints_official_sensitive(ws):
    from toexdesk.core.services import findings, reports, sources, tasks

    task = tasks.create_task(
        ws, tasks.TaskDraft("Runners at Hallam Vale", "DS Lee Marsh", "county_lines")
    )
    plain = sources.create_source(
        ws, task.id, sources.SourceDraft("Open profile", "open_source", "2", "C", "P")
    )
    sensitive = sources.create_source(
        ws,
        task.id,
        sources.SourceDraft(
            "Closed report", "closed_source", "1", "B", "P", marking=Marking.OFFICIAL_SENSITIVE
        ),
    )
    findings.create_finding(
        ws,
        task.id,
        findings.FindingDraft("Runners use the flat at 07700 900123.", Phia.LIKELY),
        [(plain.id, LinkRelation.SUPPORTS), (sensitive.id, LinkRelation.CONTEXT)],
    )
    summary = reports.research_summary(ws, task.id)
    assert task.marking is Marking.OFFICIAL
    pages, _ = read(pdf_of(summary))
    for page in pages:
        assert page.header.splitlines()[0] == "OFFICIAL-SENSITIVE"
        assert page.footer.splitlines()[-1] == "OFFICIAL-SENSITIVE"
    assert "OFFICIAL-SENSITIVE (task OFFICIAL; raised by S2)" in pages[0].text


# --- content --------------------------------------------------------------------------------
def test_findings_print_in_order_with_phia_term_range_and_citations():
    summary = rf.big_summary(n_sources=12, n_findings=10)
    pages, _ = read(pdf_of(summary))
    text = body(pages)
    findings = "\n" + section(text, "\nFindings\n", "\nGaps and further research\n")
    positions = [findings.index(f"\n{f.label} ") for f in summary.findings]
    assert positions == sorted(positions)
    flat = one_spaced(findings)
    for f in summary.findings:
        assert f"{f.phia.label} ({f.phia.range_text})" in flat
        for c in f.citations:
            assert c.text in flat
    assert "Contradicted by [" in flat and "Context [" in flat


def test_every_citation_resolves_to_a_register_row_with_the_same_grading():
    summary = rf.big_summary(n_sources=50, n_findings=40)
    pages, _ = read(pdf_of(summary))
    text = body(pages)
    findings = section(text, "\nFindings\n", "\nSource register\n")
    register = section(text, "\nSource register\n", None)
    cited = set(CITATION.findall(one_spaced(findings)))
    rows = dict(REGISTER_ROW.findall(register))
    assert len(cited) >= 50
    for label, grading in cited:
        assert rows.get(label) == grading, label
    assert set(rows) == {e.label for e in summary.register}


def test_the_handling_conditions_box_lists_every_c_condition_in_full():
    long_condition = "\n".join(
        f"Condition line {i}: share only with the named safeguarding lead." for i in range(80)
    )
    register = [
        rf.source(1, handling=HandlingCode.C, conditions="Originator consent before sharing."),
        rf.source(2),
        rf.source(3, handling=HandlingCode.C, conditions="Not for evidential use."),
        rf.source(4, handling=HandlingCode.C, conditions=long_condition),
    ]
    findings = [rf.finding(1, "Runners use Flat 2.", [rf.cite(e) for e in register])]
    pages, _ = read(pdf_of(rf.summary(register, findings)))
    box = section(body(pages), "\nHandling conditions\n", "\nResearch questions\n")
    lines = [one_spaced(line) for line in box.splitlines()]
    for entry in register:
        if entry.handling is HandlingCode.C:
            for line in entry.handling_conditions.splitlines():
                assert any(line in seen for seen in lines), line
    assert not any(line.startswith("S2") for line in lines)  # P-coded: not in the box
    labels = [line.split()[0] for line in lines if re.match(r"S\d+ ", line)]
    assert labels == ["S1", "S3", "S4"]


def test_an_empty_summary_says_so_in_every_section():
    summary = rf.summary([], [], task_info=rf.task(questions="", gaps=""))
    pages, _ = read(pdf_of(summary))
    text = pages[0].text
    assert "No cited source carries handling conditions" in text
    assert text.count("None recorded.") == 2
    assert "No findings recorded." in text and "No sources are cited." in text


# --- text is data ---------------------------------------------------------------------------
def test_hostile_text_prints_literally_makes_no_links_images_or_fonts():
    hostile = "\n".join(HOSTILE)
    controls = "NUL\x00here BEL\x07there ESC\x1b[31m red\x7f DEL \ud800 surrogate"
    rtl = "invoice\u202eexe.txt"
    entry = rf.source(
        1,
        title=HOSTILE[0],
        description=hostile,
        reference='javascript:alert(1) <a href="http://y">',
        handling=HandlingCode.C,
        conditions=HOSTILE[2] + " " + HOSTILE[1],
    )
    task = rf.task(
        title=HOSTILE[4], questions=hostile, gaps=controls + "\n" + rtl, requester=HOSTILE[3]
    )
    findings = [rf.finding(1, hostile + "\n" + controls, [rf.cite(entry)])]
    data = pdf_of(rf.summary([entry], findings, task_info=task))
    pages, _ = read(data)
    text = body(pages)
    flat = one_spaced(text)
    for line in HOSTILE:
        assert one_spaced(line) in flat, line
    assert "NULhere BELthere ESC[31m red DEL surrogate" in flat
    assert "invoice[U+202E]exe.txt" in flat
    assert not re.search("[\x00-\x08\x0b-\x1f\u202e]", text)
    assert all(p.annotations == () for p in pages)
    assert b"/Annots" not in data and b"/URI" not in data
    assert not re.search(rb"/Subtype\s*/(Image|Link)", data)
    fonts = set(re.findall(rb"/BaseFont /([\w+-]+)", data))
    assert fonts and all(b"DejaVuSans" in f for f in fonts), fonts


def test_names_in_any_script_come_back_intact():
    names = rf.NAMES
    register = [rf.source(i + 1, title=f"Interview notes: {n}") for i, n in enumerate(names)]
    findings = [
        rf.finding(i + 1, f"{n} was seen at Flat 4 with 07700 900{i:03d}.", [rf.cite(e)])
        for i, (n, e) in enumerate(zip(names, register, strict=True))
    ]
    task = rf.task(title=f"Associates of {names[0]} and {names[4]}")
    pages, _ = read(pdf_of(rf.summary(register, findings, task_info=task)))
    text = one_spaced(unicodedata.normalize("NFC", body(pages)))
    for name in names:
        assert text.count(name) >= 2, name  # the finding and the register
    assert text.count(names[0]) >= 3 and text.count(names[4]) >= 3  # and the title


def test_long_urls_and_words_wrap_inside_the_page():
    url = "https://example.org/" + "/".join(f"segment{i:03d}" for i in range(28))
    word = "x" * 400
    assert len(url) >= 300
    entry = rf.source(1, reference=url, description=f"Seen at {url} and {word}.", title=word)
    findings = [rf.finding(1, f"Profile at {url} posted {word}.", [rf.cite(entry)])]
    task = rf.task(questions=url, title="Long " + "y" * 150)
    pages, _ = read(pdf_of(rf.summary([entry], findings, task_info=task)))
    margin = 18 * 72 / 25.4
    for page in pages:
        assert page.max_right <= page.width - margin + 1
    squashed = squash(body(pages))
    assert squashed.count(url) >= 3 and word in squashed


def test_a_long_finding_and_long_questions_break_across_pages():
    text = "\n".join(f"Line {i} of a long account by a witness." for i in range(300))
    task = rf.task(questions=text)
    pages, _ = read(pdf_of(rf.summary([], [rf.finding(1, text)], task_info=task)))
    assert len(pages) >= 8
    assert squash(body(pages)).count(squash(text)) == 2


# --- briefing pack --------------------------------------------------------------------------
def _three_task_pack():
    first = rf.big_summary(n_sources=8, n_findings=6, task_number=1)
    second = rf.big_summary(n_sources=60, n_findings=30, seed=2, task_number=2)  # several pages
    third = rf.summary(
        [rf.source(1)],
        [rf.finding(1, "A short finding.", [rf.cite(rf.source(1))])],
        task_info=rf.task(3, title="Metal theft from churches in Wrenholt"),
    )
    assert first.marking is Marking.OFFICIAL_SENSITIVE and third.marking is Marking.OFFICIAL
    return rf.pack([first, second, third])


def test_a_pack_has_a_cover_contents_with_right_page_numbers_and_bookmarks():
    pack = _three_task_pack()
    pages, marks = read(pdf_of(pack))
    cover = one_spaced(pages[0].text)
    assert "BRIEFING PACK" in cover and pack.title in cover
    assert "Prepared for DS Farah Lindqvist, Regional Tasking Group" in cover
    assert "Date 14 Mar 2026" in cover and "3 research summaries" in cover
    assert "OFFICIAL-SENSITIVE" in pages[0].text.replace(pages[0].header, "")

    contents = pages[1].text
    assert contents.startswith("Contents")
    for summary in pack.summaries:
        ref = summary.task.reference
        printed = re.search(rf"^{ref} .*?(\d+)$", contents, re.M)
        assert printed, ref
        start = next(i for i, p in enumerate(pages, 1) if f"RESEARCH SUMMARY · {ref}" in p.text)
        assert int(printed.group(1)) == start, ref
        assert f"link to page {start}" in pages[1].annotations  # the row is a link there
        # The part's bookmark points at the same page, with a bookmark per section under it.
        top = next(m for m in marks if m.level == 0 and m.title.startswith(ref))
        assert top.page == start
        under = marks[marks.index(top) + 1 : marks.index(top) + 6]
        assert [m.title for m in under] == [
            "Handling conditions",
            "Research questions",
            "Findings",
            "Gaps and further research",
            "Source register",
        ]
        assert all(m.level == 1 and m.page >= start for m in under)
    assert marks[0].title == "Contents" and marks[0].page == 2


def test_every_page_of_a_pack_carries_the_highest_marking_of_its_parts():
    pack = _three_task_pack()
    assert pack.marking is Marking.OFFICIAL_SENSITIVE
    pages, _ = read(pdf_of(pack))
    for number, page in enumerate(pages, start=1):
        assert page.header.splitlines()[0] == "OFFICIAL-SENSITIVE"
        assert page.footer.splitlines()[-1] == "OFFICIAL-SENSITIVE"
        assert f"Page {number} of {len(pages)}" in page.footer
    # The OFFICIAL part still says what it is, inside the pack.
    third = next(p for p in pages if "RESEARCH SUMMARY · TX-2026-0003" in p.text)
    assert "Marking OFFICIAL\n" in third.text
    assert "TX-2026-0003" in third.header  # the running head names the part


def test_a_pack_links_only_inside_itself_whatever_its_titles_say():
    title = '<a href="http://x">) /URI (http://y) \\</a>\u202e'
    part = rf.summary([], [], task_info=rf.task(7, title=title))
    data = pdf_of(rf.pack([part], title=title))
    pages, marks = read(data)
    shown = title.replace("\u202e", "[U+202E]")
    assert shown in one_spaced(pages[0].text)  # the cover
    assert f"TX-2026-0007 {shown}" in [m.title for m in marks]
    assert pages[0].header.splitlines()[1] == f"Briefing pack: {shown}"
    # The contents links to its parts, and nothing anywhere links out.
    assert [p for p in pages if p.annotations] == [pages[1]]
    assert set(pages[1].annotations) == {"link to page 3"}
    assert b"/JavaScript" not in data and b"/Launch" not in data


# --- files, progress, cancel ----------------------------------------------------------------
def test_a_path_is_written_whole_and_replaced(tmp_path):
    target = tmp_path / "summary.pdf"
    target.write_bytes(b"old")
    pages = render_summary_pdf(rf.big_summary(10, 8), target)
    assert target.read_bytes().startswith(b"%PDF-") and pages == len(read(target.read_bytes())[0])
    assert [p.name for p in tmp_path.iterdir()] == ["summary.pdf"]


def test_progress_rises_to_the_total():
    seen: list[tuple[int, int]] = []
    pdf_of(_three_task_pack(), progress=lambda done, total: seen.append((done, total)))
    assert len(seen) > 10
    dones = [d for d, _ in seen]
    assert dones == sorted(dones)
    assert all(0 <= d <= t for d, t in seen) and seen[-1][0] == seen[-1][1]


@pytest.mark.parametrize("kind", ["summary", "pack"])
def test_cancel_mid_render_leaves_no_file_and_no_temporary_file(tmp_path, kind):
    target = tmp_path / f"{kind}.pdf"
    obj = rf.big_summary(60, 40) if kind == "summary" else _three_task_pack()
    render = render_summary_pdf if kind == "summary" else render_pack_pdf
    calls = {"n": 0}

    def cancelled() -> bool:
        calls["n"] += 1
        return calls["n"] > 40

    with pytest.raises(Cancelled):
        render(obj, target, cancelled=cancelled)
    assert calls["n"] > 40
    assert list(tmp_path.iterdir()) == []


def test_cancel_writes_nothing_to_a_stream():
    out = io.BytesIO()
    with pytest.raises(Cancelled):
        render_summary_pdf(rf.big_summary(20, 10), out, cancelled=lambda: True)
    assert out.getvalue() == b""


@pytest.mark.skipif(shutil.which("qpdf") is None, reason="qpdf is not installed")
def test_qpdf_finds_nothing_wrong(tmp_path):
    for name, obj in (("s.pdf", rf.big_summary(30, 20)), ("p.pdf", _three_task_pack())):
        path = tmp_path / name
        path.write_bytes(pdf_of(obj))
        proc = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, check=False)
        assert proc.returncode == 0, proc.stdout + proc.stderr


# --- the text helpers -----------------------------------------------------------------------
def test_markup_escapes_and_keeps_line_breaks():
    assert rtext.markup("a <b> & c\r\nd\x00e\tf") == "a &lt;b&gt; &amp; c<br/>de f"
    assert rtext.markup("\u202eabc") == "[U+202E]abc"
    assert rtext.blocks("one\n\n  \ntwo\nthree") == ["one", "two<br/>three"]
    assert rtext.one_line(" a\n\tb  ") == "a b"


def test_chunks_keep_every_word_and_respect_the_limits():
    text = " ".join(f"word{i}" for i in range(2_000))
    pieces = rtext.chunks(text, limit=500, max_lines=5)
    assert all(len(p) <= 500 for p in pieces)
    assert " ".join(pieces).split() == text.split()
    lines = rtext.chunks("\n".join("l" * 3 for _ in range(40)), limit=1_000, max_lines=5)
    assert all(p.count("\n") < 5 for p in lines) and sum(p.count("lll") for p in lines) == 40
