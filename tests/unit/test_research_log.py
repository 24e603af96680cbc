"""A task's research log over a real SQLCipher workspace: searches, system checks (nil
returns included) and decisions with reasons; append-only in the database itself; status
changes written as decisions; printed as the research summary's appendix (PDF and Word)."""

from __future__ import annotations

import io
import json

import pytest
import sqlalchemy.exc
from docx import Document
from pdf_reader import one_spaced, read
from sqlalchemy import text

from toexdesk.core.enums import CheckOutcome, LogKind
from toexdesk.core.errors import RecordNotFound, ValidationError
from toexdesk.core.render.docx import render_summary_docx
from toexdesk.core.render.pdf import render_summary_pdf
from toexdesk.core.services import reports, research_log, tasks

QUERY = '"Blaze line" Fenwickson'


def events(ws) -> list[dict]:
    with ws.engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM audit_event ORDER BY seq")).mappings().all()
    return [dict(r) for r in rows]


@pytest.fixture
def task(ws):
    draft = tasks.TaskDraft("Line KESTREL into Northtown", "DS Ada Rowe", "county_lines")
    return tasks.create_task(ws, draft)


def test_searches_checks_and_decisions_are_logged_in_order_each_with_an_event(ws, task):
    before = len(events(ws))
    research_log.log_search(ws, task.id, QUERY, hits=3, filters="only sources")
    research_log.log_search(ws, task.id, "Quarry Lane", hits=0)
    research_log.log_check(ws, task.id, "PNC", "Dale Fenwickson, b. 1990", "nil")
    research_log.log_check(
        ws, task.id, "Niche RMS", "07700 900123", CheckOutcome.FOUND, "Two occurrences"
    )
    research_log.log_decision(ws, task.id, "Not to check social media", "Out of the tasking")
    log = research_log.list_log(ws, task.id)
    assert [(e.kind, e.outcome) for e in log] == [
        (LogKind.SEARCH, CheckOutcome.FOUND),
        (LogKind.SEARCH, CheckOutcome.NIL_RETURN),
        (LogKind.SYSTEM_CHECK, CheckOutcome.NIL_RETURN),
        (LogKind.SYSTEM_CHECK, CheckOutcome.FOUND),
        (LogKind.DECISION, None),
    ]
    search, nil_search, nil_check, found, decision = log
    assert search.detail == QUERY and search.automatic  # the query as typed
    assert search.reason == "3 matches · only sources"
    assert nil_search.reason == "0 matches" and nil_search.is_nil_return
    assert nil_check.summary == "PNC: Dale Fenwickson, b. 1990 — Nil return"
    assert not nil_check.automatic and nil_check.analyst == "Test Analyst"
    assert found.reason == "Two occurrences"
    assert (decision.detail, decision.reason) == ("Not to check social media", "Out of the tasking")
    new = events(ws)[before:]
    assert [e["action"] for e in new] == ["collection"] * 5 + ["consultation"]
    assert {e["record_type"] for e in new[:5]} == {"research_log"}
    assert json.loads(new[2]["details"]) == {
        "automatic": False,
        "kind": "system_check",
        "outcome": "nil",
    }
    assert json.loads(new[-1]["details"]) == {"entries": 5, "read": "research log"}
    # The audit trail says what kind of entry was added, never what it says.
    dumped = json.dumps(new)
    for secret in ("Fenwickson", "Blaze", "Quarry", "07700", "social media", "tasking"):
        assert secret not in dumped


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda ws, t: research_log.log_decision(ws, t, "Stop here", "  "), "reason"),
        (lambda ws, t: research_log.log_decision(ws, t, "", "Because"), "decision"),
        (lambda ws, t: research_log.log_check(ws, t, "", "Fenwickson", "nil"), "system"),
        (lambda ws, t: research_log.log_check(ws, t, "PNC", " ", "nil"), "detail"),
        (lambda ws, t: research_log.log_check(ws, t, "PNC", "x", "maybe"), "outcome"),
        (lambda ws, t: research_log.log_search(ws, t, "   ", hits=0), "query"),
        (lambda ws, t: research_log.log_check(ws, t, "PNC\x00", "x", "nil"), "system"),
    ],
)
def test_an_entry_missing_what_it_needs_is_refused_and_nothing_is_written(ws, task, call, field):
    before = len(events(ws))
    with pytest.raises(ValidationError) as exc:
        call(ws, task.id)
    assert [e.field for e in exc.value.errors] == [field]
    assert len(events(ws)) == before
    with ws.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM research_log")).scalar_one() == 0


def test_a_log_for_a_task_that_is_not_there_is_refused(ws):
    with pytest.raises(RecordNotFound):
        research_log.log_decision(ws, 999, "Stop", "Because")
    with pytest.raises(RecordNotFound):
        research_log.list_log(ws, 999)


def test_the_database_refuses_to_change_or_delete_an_entry(ws, task):
    research_log.log_check(ws, task.id, "PNC", "Dale Fenwickson", "nil")
    for sql in (
        "UPDATE research_log SET outcome = 'found'",
        "UPDATE research_log SET detail = 'someone else'",
        "DELETE FROM research_log",
    ):
        with ws.engine.connect() as conn, pytest.raises(sqlalchemy.exc.DatabaseError) as exc:
            conn.execute(text(sql))
        assert "append-only" in str(exc.value)
    (entry,) = research_log.list_log(ws, task.id)
    assert (entry.detail, entry.outcome) == ("Dale Fenwickson", CheckOutcome.NIL_RETURN)


def test_erasing_the_task_erases_its_log(ws, task):
    other = tasks.create_task(ws, tasks.TaskDraft("Other", "DS Rowe", "ocg"))
    research_log.log_decision(ws, task.id, "Stop", "Enough")
    research_log.log_decision(ws, other.id, "Go on", "Not enough")
    tasks.erase_task(ws, task.id, justification="Retention review")
    with ws.engine.connect() as conn:
        assert conn.execute(text("SELECT task_id FROM research_log")).scalars().all() == [other.id]


def test_a_status_change_is_logged_as_a_decision_with_its_justification(ws, task):
    tasks.update_task(ws, task.id, status="in_progress", justification="Tasking accepted")
    tasks.update_task(ws, task.id, title="Line KESTREL (renamed)")  # not a status change
    tasks.update_task(ws, task.id, status="in_progress")  # no change: nothing logged
    tasks.update_task(ws, task.id, status="cancelled")  # no justification given
    log = research_log.list_log(ws, task.id)
    assert [(e.kind, e.detail, e.reason, e.automatic) for e in log] == [
        (LogKind.DECISION, "Status changed from new to in progress.", "Tasking accepted", True),
        (LogKind.DECISION, "Status changed from in progress to cancelled.", "", True),
    ]
    # An illegal transition is refused as a whole: no log entry either.
    with pytest.raises(ValidationError):
        tasks.update_task(ws, task.id, status="completed", justification="Done")
    assert len(research_log.list_log(ws, task.id)) == 2


# --- the appendix --------------------------------------------------------------------------------
def test_the_summary_prints_the_log_as_its_last_section_in_pdf_and_word(ws, task):
    research_log.log_search(ws, task.id, QUERY, hits=0)
    research_log.log_check(ws, task.id, "PNC", "Dale Fenwickson <b>x</b>", "nil")
    research_log.log_decision(ws, task.id, "Stop at PNC", "Enough for the tasking")
    summary = reports.research_summary(ws, task.id)
    assert [e.kind for e in summary.research_log] == [
        LogKind.SEARCH,
        LogKind.SYSTEM_CHECK,
        LogKind.DECISION,
    ]
    out = io.BytesIO()
    render_summary_pdf(summary, out)
    pages, marks = read(out.getvalue())
    assert marks[-1].title == "Appendix: research log"
    text_ = one_spaced(" ".join(p.body for p in pages))
    appendix = text_[text_.index("Appendix: research log") :]
    for expected in ("Nil return", "PNC", "Dale Fenwickson <b>x</b>", "Stop at PNC", "Enough"):
        assert expected in appendix, expected
    assert appendix.index("Search run") < appendix.index("System checked")
    assert appendix.index("System checked") < appendix.index("Decision")

    buffer = io.BytesIO()
    render_summary_docx(summary, buffer)
    doc = Document(io.BytesIO(buffer.getvalue()))
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert headings[-1] == "Appendix: research log"
    cells = " ".join(c.text for row in doc.tables[-1].rows for c in row.cells)
    assert "Dale Fenwickson <b>x</b>" in cells and "Nil return" in cells


def test_the_appendix_is_optional_and_absent_when_the_log_is_empty(ws, task):
    assert reports.research_summary(ws, task.id).research_log == ()
    research_log.log_decision(ws, task.id, "Stop", "Enough")
    without = reports.research_summary(ws, task.id, include_log=False)
    assert without.research_log is None
    out = io.BytesIO()
    render_summary_pdf(without, out)
    assert read(out.getvalue())[1][-1].title == "Source register"
    empty = tasks.create_task(ws, tasks.TaskDraft("Empty", "DS Rowe", "ocg"))
    out = io.BytesIO()
    render_summary_pdf(reports.research_summary(ws, empty.id), out)
    assert read(out.getvalue())[1][-1].title == "Source register"
    # A briefing pack leaves the logs out.
    pack = reports.briefing_pack(ws, [task.id], title="Weekly")
    assert pack.summaries[0].research_log is None
