"""Review and retention (MoPI) over a real SQLCipher workspace: default review dates by
thematic, the "due for review" list, retaining with a reason, and erasing a task or a source
with everything under it (files, search text, links) and an erasure event without content."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import text

from toexdesk import config
from toexdesk.core.enums import LogKind, Thematic
from toexdesk.core.errors import RecordNotFound, ValidationError
from toexdesk.core.extract import Extractor
from toexdesk.core.services import (
    attachments,
    entities,
    findings,
    research_log,
    review,
    schedule,
    search,
    sources,
    tasks,
)

TODAY = dt.date.today()
SECRET_TITLE = "Dale FENWICKSON at 14 Quarry Lane, 07700 900123"


# --- helpers ---------------------------------------------------------------------------------
def count(ws, table: str, where: str = "") -> int:
    with ws.engine.connect() as conn:
        sql = f"SELECT count(*) FROM {table} {where}"  # noqa: S608 (test constants)
        return conn.execute(text(sql)).scalar_one()


def events(ws) -> list[dict]:
    with ws.engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM audit_event ORDER BY seq")).mappings().all()
    return [dict(r) for r in rows]


def task_draft(title: str = "Line KESTREL into Northtown", thematic: str = "county_lines"):
    return tasks.TaskDraft(title=title, requester="DS Ada Rowe", thematic=thematic)


def source_draft(title: str = "Custody record review", **kw) -> sources.SourceDraft:
    values = dict(
        title=title, source_type="police_system", evaluation="1", assessment="B", handling="P"
    )
    values.update(kw)
    return sources.SourceDraft(**values)


@pytest.fixture
def extractor():
    with Extractor(files_per_helper=50) as shared:
        yield shared


def set_review(ws, table: str, record_id: int, day: dt.date) -> None:
    """Put a record's review date in the past, as time passing would."""
    with ws.engine.begin() as conn:
        conn.execute(
            text(f"UPDATE {table} SET review_on = :d WHERE id = :i"),  # noqa: S608
            {"d": day, "i": record_id},
        )


# --- default review dates --------------------------------------------------------------------
def test_new_records_get_the_review_period_of_their_thematic(ws):
    lines = tasks.create_task(ws, task_draft())
    children = tasks.create_task(
        ws, task_draft("Exploitation at Hallam Vale", "child_exploitation")
    )
    assert lines.review_on == review.add_months(TODAY, 12)
    assert children.review_on == review.add_months(TODAY, 24)
    src = sources.create_source(ws, children.id, source_draft())
    assert src.review_on == review.add_months(TODAY, 24)  # the task's thematic
    # Callers with settings pass the date those give; None means no date.
    months = dict(config.DEFAULT_REVIEW_MONTHS, county_lines=6)
    chosen = review.default_review_date("county_lines", months)
    assert chosen == review.add_months(TODAY, 6)
    assert tasks.create_task(ws, task_draft(), review_on=chosen).review_on == chosen
    assert tasks.create_task(ws, task_draft(), review_on=None).review_on is None
    assert sources.create_source(ws, lines.id, source_draft(), review_on=None).review_on is None
    assert tasks.get_task(ws, lines.id).review_on == lines.review_on


def test_add_months_keeps_the_day_or_takes_the_months_last():
    assert review.add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert review.add_months(dt.date(2028, 1, 31), 1) == dt.date(2028, 2, 29)
    assert review.add_months(dt.date(2026, 11, 15), 14) == dt.date(2028, 1, 15)


def test_review_periods_are_a_setting_with_defaults_for_every_thematic(tmp_path):
    path = tmp_path / "settings.json"
    settings = config.Settings()
    assert set(settings.review_months) == {t.value for t in Thematic}
    assert settings.review_months["child_exploitation"] > settings.review_months["ocg"]
    settings.review_months["ocg"] = 18
    config.save_settings(settings, path)
    assert config.load_settings(path).review_months["ocg"] == 18
    # A damaged or hand-edited file falls back per entry, within range.
    path.write_text(
        json.dumps({"review_months": {"ocg": 9999, "county_lines": "x", "bogus": 3}}),
        encoding="utf-8",
    )
    loaded = config.load_settings(path).review_months
    assert loaded["ocg"] == config.MAX_REVIEW_MONTHS
    assert loaded["county_lines"] == config.DEFAULT_REVIEW_MONTHS["county_lines"]
    assert "bogus" not in loaded
    path.write_text(json.dumps({"review_months": [1, 2]}), encoding="utf-8")
    assert config.load_settings(path).review_months == config.DEFAULT_REVIEW_MONTHS


def test_a_review_date_is_edited_like_any_field_and_the_audit_names_the_field_only(ws):
    t = tasks.create_task(ws, task_draft())
    src = sources.create_source(ws, t.id, source_draft())
    later = TODAY + dt.timedelta(days=500)
    assert tasks.update_task(ws, t.id, review_on=later).review_on == later
    assert sources.update_source(ws, src.id, review_on=None).review_on is None
    last = events(ws)[-2:]
    assert [json.loads(e["details"]) for e in last] == [
        {"fields": ["review_on"]},
        {"fields": ["review_on"]},
    ]
    with pytest.raises(ValidationError) as exc:
        tasks.update_task(ws, t.id, review_on="next spring")
    assert [e.field for e in exc.value.errors] == ["review_on"]


# --- due for review ----------------------------------------------------------------------------
def test_due_for_review_lists_due_and_overdue_tasks_and_sources_earliest_first(ws):
    a = tasks.create_task(ws, task_draft("A"))
    b = tasks.create_task(ws, task_draft("B"))
    s1 = sources.create_source(ws, a.id, source_draft("First"))
    sources.create_source(ws, a.id, source_draft("Second"))
    undated = tasks.create_task(ws, task_draft("C"), review_on=None)
    set_review(ws, "task", a.id, TODAY - dt.timedelta(days=40))
    set_review(ws, "source", s1.id, TODAY)
    set_review(ws, "task", b.id, TODAY - dt.timedelta(days=3))
    tasks.archive_task(ws, b.id)  # archived records are still held: still reviewed
    before = len(events(ws))
    due = review.due_for_review(ws, TODAY)
    assert [(i.kind, i.reference) for i in due] == [
        ("task", a.reference),
        ("task", b.reference),
        ("source", f"{a.reference}/S1"),
    ]
    assert [i.days_overdue(TODAY) for i in due] == [40, 3, 0]
    assert [i.is_overdue(TODAY) for i in due] == [True, True, False]
    assert due[1].archived and not due[0].archived
    assert len(events(ws)) == before  # a list is not a consultation
    # Looking ahead brings in the rest; records with no date only when asked for.
    ahead = review.due_for_review(ws, TODAY + dt.timedelta(days=2 * 366))
    assert len(ahead) == 4 and undated.id not in {i.id for i in ahead if i.kind == "task"}
    with_undated = review.due_for_review(ws, TODAY, include_undated=True)
    assert with_undated[0].reference == undated.reference and with_undated[0].review_on is None


def test_retain_sets_the_next_review_date_with_a_reason_and_logs_the_decision(ws):
    t = tasks.create_task(ws, task_draft())
    src = sources.create_source(ws, t.id, source_draft(SECRET_TITLE))
    set_review(ws, "source", src.id, TODAY - dt.timedelta(days=1))
    until = TODAY + dt.timedelta(days=365)
    item = review.retain(ws, "source", src.id, until, "Live investigation: Op KESTREL")
    assert item.review_on == until and review.due_for_review(ws, TODAY) == []
    event = events(ws)[-2]  # the alteration, then the log entry's collection
    assert (event["action"], event["record_type"], event["record_ref"]) == (
        "alteration",
        "source",
        f"{t.reference}/S1",
    )
    assert event["justification"] == "Live investigation: Op KESTREL"
    assert json.loads(event["details"]) == {"fields": ["review_on"], "review": "retained"}
    (entry,) = research_log.list_log(ws, t.id)
    assert entry.kind is LogKind.DECISION and entry.automatic
    assert entry.detail == f"Source S1 retained after its review; next review {until}."
    assert entry.reason == "Live investigation: Op KESTREL"
    assert "FENWICKSON" not in json.dumps(events(ws))


@pytest.mark.parametrize(
    ("until", "reason", "field"),
    [
        (TODAY, "still needed", "until"),
        (TODAY - dt.timedelta(days=9), "still needed", "until"),
        (None, "still needed", "until"),
        (TODAY + dt.timedelta(days=9), "   ", "reason"),
    ],
)
def test_retain_needs_a_future_date_and_a_reason(ws, until, reason, field):
    t = tasks.create_task(ws, task_draft())
    before = len(events(ws))
    with pytest.raises(ValidationError) as exc:
        review.retain(ws, "task", t.id, until, reason)
    assert [e.field for e in exc.value.errors] == [field]
    assert len(events(ws)) == before


def test_references_resolve_to_tasks_and_sources(ws):
    t = tasks.create_task(ws, task_draft())
    src = sources.create_source(ws, t.id, source_draft())
    assert review.resolve_ref(ws, t.reference.lower()) == ("task", t.id)
    assert review.resolve_ref(ws, f" {t.reference}/s1 ") == ("source", src.id)
    for bad in ("S1", f"{t.reference}/S9", "TX-1999-0001", "TX-2026-0001; DROP TABLE task"):
        with pytest.raises(RecordNotFound):
            review.resolve_ref(ws, bad)


# --- erasure -----------------------------------------------------------------------------------
def index_rows(ws, where: str = "") -> int:
    return count(ws, "search_index", where)


def test_erasing_a_source_removes_its_files_text_index_rows_and_links(ws, tmp_path, extractor):
    t = tasks.create_task(ws, task_draft())
    keep = sources.create_source(ws, t.id, source_draft("Partner referral"))
    draft = source_draft(
        SECRET_TITLE,
        description="Seen with FENWICKSON",
        handling="C",
        handling_conditions="Force only",
    )
    gone = sources.create_source(ws, t.id, draft)
    shared, own = tmp_path / "shared.txt", tmp_path / "own.txt"
    shared.write_text("Statement mentioning QUARRYLANE and 07700 900123", encoding="utf-8")
    own.write_text("Only on the erased source: ZEBRAWORD", encoding="utf-8")
    attachments.capture_files(ws, gone.id, [shared, own], extractor=extractor)
    attachments.capture_file(ws, keep.id, shared, extractor=extractor)
    f = findings.create_finding(
        ws, t.id, findings.FindingDraft("The line runs weekly", "likely"), [(gone.id, "supports")]
    )
    e = entities.create_entity(ws, entities.EntityDraft("person", "Dale Fenwickson"))
    entities.mention(ws, e.id, source_id=gone.id)
    assert search.search(ws, "zebraword") and search.search(ws, "fenwickson")
    blobs_before = count(ws, "blob")
    erased_files = [a.id for a in attachments.list_attachments(ws, gone.id)]
    assert count(ws, "attachment_text", f"WHERE attachment_id IN {tuple(erased_files)}") > 0
    plan = review.erasure_plan(ws, "source", gone.id)
    assert (plan.attachments, plan.finding_links) == (2, 1)
    assert "cannot" not in plan.describe() and f"{t.reference}/S2" in plan.describe()

    sources.erase_source(ws, gone.id, justification="Review: no longer necessary")

    assert [x.id for x in sources.list_sources(ws, t.id, include_archived=True)] == [keep.id]
    assert count(ws, "attachment") == 1  # the kept source's copy of the shared file
    assert count(ws, "blob") == blobs_before - 1  # the shared file's bytes stay
    assert count(ws, "attachment_text", f"WHERE attachment_id IN {tuple(erased_files)}") == 0
    assert count(ws, "attachment_text") > 0  # the kept copy's text
    assert count(ws, "finding_source") == count(ws, "source_entity") == 0
    assert findings.get_finding(ws, f.id).citations == ()  # the finding stays, uncited
    assert count(ws, "entity") == 1  # entities stand alone; only the mention went
    assert search.search(ws, "zebraword") == []
    assert [h.record_type.value for h in search.search(ws, "fenwickson")] == ["entity"]
    assert search.search(ws, "quarrylane")  # still on the kept source's file
    assert index_rows(ws, f"WHERE record_type = 'source' AND record_id = '{gone.id}'") == 0
    erasure = next(e for e in events(ws) if e["action"] == "erasure")
    assert (erasure["record_type"], erasure["record_id"], erasure["record_ref"]) == (
        "source",
        gone.id,
        f"{t.reference}/S2",
    )
    assert json.loads(erasure["details"]) == {
        "attachments": 2,
        "files_erased": 1,
        "finding_links": 1,
    }
    dumped = json.dumps(events(ws)[-3:])
    for secret in ("FENWICKSON", "Fenwickson", "Quarry", "07700", "ZEBRAWORD", "own.txt"):
        assert secret not in dumped
    decision = research_log.list_log(ws, t.id)[-1]
    assert (decision.detail, decision.reason) == (
        "Source S2 erased.",
        "Review: no longer necessary",
    )


def test_erasing_a_source_needs_a_justification(ws):
    t = tasks.create_task(ws, task_draft())
    src = sources.create_source(ws, t.id, source_draft())
    before = len(events(ws))
    with pytest.raises(ValidationError):
        sources.erase_source(ws, src.id, justification="  ")
    with pytest.raises(ValidationError):
        review.erase(ws, "finding", src.id, "wrong kind")
    assert len(events(ws)) == before and count(ws, "source") == 1


def test_erasing_a_task_removes_everything_under_it_search_text_and_files(ws, tmp_path, extractor):
    t = tasks.create_task(ws, task_draft("Exploitation of ZEBRAWORD"))
    other = tasks.create_task(ws, task_draft("Another line"))
    src = sources.create_source(ws, t.id, source_draft(SECRET_TITLE))
    note = tmp_path / "note.txt"
    note.write_text("Interview with FENWICKSON about QUARRYLANE", encoding="utf-8")
    attachments.capture_file(ws, src.id, note, extractor=extractor)
    findings.create_finding(
        ws, t.id, findings.FindingDraft("Runs weekly", "likely"), [(src.id, "supports")]
    )
    research_log.log_check(ws, t.id, "PNC", "Dale Fenwickson", "nil")
    research_log.log_decision(ws, t.id, "Stop at PNC", "Enough for the tasking")
    schedule.draft_schedule(ws, t.id)
    sources.create_source(ws, other.id, source_draft("Kept"))
    plan = review.erasure_plan(ws, "task", t.id)
    assert (plan.sources, plan.findings, plan.attachments, plan.log_entries) == (1, 1, 1, 2)
    assert "2 research log entries" in plan.describe()

    review.erase(ws, "task", t.id, "Retention review: no longer necessary")

    for table in (
        "attachment",
        "attachment_text",
        "blob",
        "blob_chunk",
        "finding",
        "finding_source",
        "research_log",
        "schedule_item",
    ):
        assert count(ws, table) == 0, table
    assert count(ws, "source") == 1
    assert index_rows(ws, f"WHERE task_id = '{t.id}'") == 0
    for word in ("zebraword", "fenwickson", "quarrylane", "weekly"):
        assert search.search(ws, word) == [], word
    erasure = events(ws)[-1]
    assert (erasure["action"], erasure["record_ref"]) == ("erasure", t.reference)
    assert "ZEBRAWORD" not in json.dumps(events(ws))


def test_the_log_stays_append_only_until_its_task_is_erased(ws):
    t = tasks.create_task(ws, task_draft())
    research_log.log_decision(ws, t.id, "Widen to PND", "PNC gave nothing")
    with ws.engine.connect() as conn, pytest.raises(Exception, match="append-only"):
        conn.execute(text("DELETE FROM research_log"))
    tasks.erase_task(ws, t.id, justification="Retention review")
    assert count(ws, "research_log") == 0


def test_setting_a_review_date_needs_a_reason_and_is_an_alteration(ws):
    t = tasks.create_task(ws, task_draft())
    later = TODAY + dt.timedelta(days=90)
    with pytest.raises(ValidationError) as exc:
        review.set_review_date(ws, "task", t.id, later, " ")
    assert [e.field for e in exc.value.errors] == ["reason"]
    item = review.set_review_date(ws, "task", t.id, later.isoformat(), "Brought forward")
    assert item.review_on == later and tasks.get_task(ws, t.id).review_on == later
    event = events(ws)[-2]  # then get_task's consultation
    assert (event["action"], event["justification"]) == ("alteration", "Brought forward")
    assert json.loads(event["details"]) == {"fields": ["review_on"]}
    assert review.set_review_date(ws, "task", t.id, None, "No date for now").review_on is None
    before = len(events(ws))
    review.set_review_date(ws, "task", t.id, None, "Unchanged")  # nothing changes: no event
    assert len(events(ws)) == before
