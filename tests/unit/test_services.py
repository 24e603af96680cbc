"""Services over a real SQLCipher workspace: references, status, validation, sources,
findings and citations, markings, entities, archiving, counts and persistence."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy.exc
from conftest import ANALYST, PASSPHRASE
from sqlalchemy import text

from toexdesk.core.enums import LinkRelation, Marking, TaskStatus
from toexdesk.core.errors import ValidationError
from toexdesk.core.services import entities, findings, sources, tasks, workspace
from toexdesk.core.store.engine import create_workspace, open_workspace


# --- helpers ----------------------------------------------------------------------------
def count(ws, table: str) -> int:
    with ws.engine.connect() as conn:
        return conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()  # noqa: S608


def snapshot(ws) -> dict[str, int]:
    tables = ("task", "source", "finding", "finding_source", "entity", "audit_event")
    return {t: count(ws, t) for t in tables}


def task_draft(title: str = "County lines activity in Northtown", **kw) -> tasks.TaskDraft:
    values = dict(title=title, requester="DS Patel", thematic="county_lines")
    values.update(kw)
    return tasks.TaskDraft(**values)


def source_draft(title: str = "Custody record", **kw) -> sources.SourceDraft:
    values = dict(
        title=title,
        source_type="police_system",
        evaluation="1",
        assessment="B",
        handling="P",
    )
    values.update(kw)
    return sources.SourceDraft(**values)


def finding_draft(text_: str = "The line is run from Southport", **kw) -> findings.FindingDraft:
    return findings.FindingDraft(text=text_, phia=kw.pop("phia", "likely"), **kw)


def fields_of(exc: pytest.ExceptionInfo[ValidationError]) -> list[str]:
    return [e.field for e in exc.value.errors]


# --- references -------------------------------------------------------------------------
def test_task_references_are_sequential_for_the_current_year(ws):
    year = dt.date.today().year
    refs = [tasks.create_task(ws, task_draft(f"Task {i}")).reference for i in range(3)]
    assert refs == [f"TX-{year}-0001", f"TX-{year}-0002", f"TX-{year}-0003"]
    assert len({t.reference for t in tasks.list_tasks(ws)}) == 3
    assert tasks.find_task_id(ws, f"tx-{year}-0002 ") == tasks.list_tasks(ws)[1].id


def test_task_reference_is_never_reused_after_erasure(ws):
    year = dt.date.today().year
    tasks.create_task(ws, task_draft("First"))
    newest = tasks.create_task(ws, task_draft("Second"))
    tasks.erase_task(ws, newest.id, justification="entered in error")
    again = tasks.create_task(ws, task_draft("Third"))
    assert again.reference == f"TX-{year}-0003"
    assert [t.reference for t in tasks.list_tasks(ws)] == [f"TX-{year}-0001", again.reference]


# --- status -----------------------------------------------------------------------------
def test_legal_status_transitions_work(ws):
    t = tasks.create_task(ws, task_draft())
    assert t.status is TaskStatus.NEW
    path = ["in_progress", "awaiting_review", "in_progress", "awaiting_review", "completed"]
    for status in path:
        assert tasks.update_task(ws, t.id, status=status).status is TaskStatus(status)
    # A closed task can be reopened, and an open one cancelled.
    assert tasks.update_task(ws, t.id, status="in_progress").status is TaskStatus.IN_PROGRESS
    assert tasks.update_task(ws, t.id, status="Cancelled").status is TaskStatus.CANCELLED


@pytest.mark.parametrize(
    ("steps", "illegal"),
    [
        ([], "completed"),
        ([], "awaiting_review"),
        (["in_progress"], "completed"),
        (["cancelled"], "completed"),
    ],
)
def test_illegal_status_transition_is_refused_and_changes_nothing(ws, steps, illegal):
    t = tasks.create_task(ws, task_draft("Before"))
    for step in steps:
        tasks.update_task(ws, t.id, status=step)
    current = tasks.list_tasks(ws)[0].status
    before = snapshot(ws)
    with pytest.raises(ValidationError) as exc:
        tasks.update_task(ws, t.id, status=illegal, title="After")
    assert fields_of(exc) == ["status"]
    assert current.label.lower() in str(exc.value)
    assert TaskStatus(illegal).label.lower() in str(exc.value)
    after = tasks.list_tasks(ws)[0]
    assert (after.status, after.title) == (current, "Before")
    assert snapshot(ws) == before


def test_unknown_status_is_a_status_error(ws):
    t = tasks.create_task(ws, task_draft())
    with pytest.raises(ValidationError) as exc:
        tasks.update_task(ws, t.id, status="done")
    assert fields_of(exc) == ["status"]


# --- validation -------------------------------------------------------------------------
def test_empty_title_is_reported_on_the_title(ws):
    with pytest.raises(ValidationError) as exc:
        tasks.create_task(ws, task_draft("   "))
    assert fields_of(exc) == ["title"]
    assert exc.value.for_field("title") == "Title is required."
    assert count(ws, "task") == 0


def test_over_long_title_is_reported_with_its_length(ws):
    tasks.create_task(ws, task_draft("x" * 300))
    with pytest.raises(ValidationError) as exc:
        tasks.create_task(ws, task_draft("x" * 301))
    assert fields_of(exc) == ["title"]
    assert "too long" in exc.value.for_field("title")
    assert "301" in exc.value.for_field("title")
    assert count(ws, "task") == 1


def test_bad_enum_codes_are_reported_per_field(ws):
    with pytest.raises(ValidationError) as exc:
        tasks.create_task(
            ws, task_draft(thematic="burglary", priority="P9", marking="CONFIDENTIAL")
        )
    assert fields_of(exc) == ["thematic", "priority", "marking"]
    assert "'burglary'" in exc.value.for_field("thematic")
    assert "county_lines" in exc.value.for_field("thematic")
    assert "'P9'" in exc.value.for_field("priority")
    t = tasks.create_task(ws, task_draft())
    with pytest.raises(ValidationError) as exc:
        sources.create_source(
            ws, t.id, source_draft(source_type="rumour", evaluation="4", assessment="F")
        )
    assert fields_of(exc) == ["source_type", "evaluation", "assessment"]
    assert "1, 2, 3" in exc.value.for_field("evaluation")
    with pytest.raises(ValidationError) as exc:
        sources.create_source(ws, t.id, source_draft(handling="X"))
    assert fields_of(exc) == ["handling"]
    with pytest.raises(ValidationError) as exc:
        findings.create_finding(ws, t.id, finding_draft(phia="maybe"))
    assert fields_of(exc) == ["phia"]
    assert count(ws, "source") == count(ws, "finding") == 0


def test_several_problems_are_all_reported_at_once(ws):
    draft = tasks.TaskDraft(
        title="", requester=" ", thematic="bogus", priority="P0", due_date="31/12/2026"
    )
    with pytest.raises(ValidationError) as exc:
        tasks.create_task(ws, draft)
    assert fields_of(exc) == ["title", "requester", "thematic", "priority", "due_date"]
    assert "YYYY-MM-DD" in exc.value.for_field("due_date")
    assert count(ws, "task") == 0


def test_handling_code_c_needs_conditions(ws):
    t = tasks.create_task(ws, task_draft())
    with pytest.raises(ValidationError) as exc:
        sources.create_source(ws, t.id, source_draft(handling="C", handling_conditions="  "))
    assert fields_of(exc) == ["handling_conditions"]
    assert "handling code c needs conditions" in str(exc.value).casefold()
    src = sources.create_source(
        ws, t.id, source_draft(handling="C", handling_conditions="Not to leave the force")
    )
    assert src.grading == "1/B/C"
    # Switching to C later is checked against the whole record, too.
    plain = sources.create_source(ws, t.id, source_draft())
    with pytest.raises(ValidationError) as exc:
        sources.update_source(ws, plain.id, handling="C")
    assert fields_of(exc) == ["handling_conditions"]
    assert count(ws, "source") == 2


def test_handling_code_p_refuses_conditions(ws):
    t = tasks.create_task(ws, task_draft())
    with pytest.raises(ValidationError) as exc:
        sources.create_source(ws, t.id, source_draft(handling="P", handling_conditions="Only CPS"))
    assert fields_of(exc) == ["handling_conditions"]
    assert "code C" in exc.value.for_field("handling_conditions")
    assert count(ws, "source") == 0


def test_source_obtained_in_the_future_is_refused(ws):
    t = tasks.create_task(ws, task_draft())
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    with pytest.raises(ValidationError) as exc:
        sources.create_source(ws, t.id, source_draft(obtained_on=tomorrow))
    assert fields_of(exc) == ["obtained_on"]
    assert "future" in exc.value.for_field("obtained_on")
    today = sources.create_source(ws, t.id, source_draft(obtained_on=dt.date.today().isoformat()))
    assert today.obtained_on == dt.date.today()


# --- sources ----------------------------------------------------------------------------
def test_sources_are_numbered_per_task_and_never_reused(ws):
    a = tasks.create_task(ws, task_draft("A"))
    b = tasks.create_task(ws, task_draft("B"))
    s1, s2 = (sources.create_source(ws, a.id, source_draft(f"A{i}")) for i in (1, 2))
    assert (s1.label, s2.label) == ("S1", "S2")
    assert sources.create_source(ws, b.id, source_draft("B1")).label == "S1"
    sources.archive_source(ws, s2.id)
    s3 = sources.create_source(ws, a.id, source_draft("A3"))
    assert s3.number == 3
    assert [s.label for s in sources.list_sources(ws, a.id)] == ["S1", "S3"]


def test_source_grading_code(ws):
    t = tasks.create_task(ws, task_draft())
    src = sources.create_source(ws, t.id, source_draft(evaluation="Untested", assessment="d"))
    assert src.grading == "2/D/P"
    assert sources.get_source(ws, src.id).grading == "2/D/P"
    assert sources.create_source(ws, t.id, source_draft()).grading == "1/B/P"


def test_create_sources_is_all_or_nothing_when_a_draft_is_invalid(ws):
    t = tasks.create_task(ws, task_draft())
    before = snapshot(ws)
    drafts = [source_draft("ok 1"), source_draft("bad", handling="C"), source_draft("ok 2")]
    with pytest.raises(ValidationError):
        sources.create_sources(ws, t.id, drafts)
    assert snapshot(ws) == before
    assert sources.create_source(ws, t.id, source_draft()).label == "S1"


def test_create_sources_is_all_or_nothing_when_the_database_refuses_one(ws):
    t = tasks.create_task(ws, task_draft())
    with ws.engine.connect() as conn:
        conn.connection.dbapi_connection.execute(
            "CREATE TRIGGER test_refuse BEFORE INSERT ON source WHEN NEW.title = 'boom' "
            "BEGIN SELECT RAISE(ABORT, 'refused by test'); END"
        )
    before = snapshot(ws)
    with pytest.raises(sqlalchemy.exc.IntegrityError, match="refused by test"):
        sources.create_sources(ws, t.id, [source_draft("ok"), source_draft("boom")])
    assert snapshot(ws) == before
    assert sources.create_sources(ws, t.id, [source_draft("a"), source_draft("b")]) == 2
    assert [s.label for s in sources.list_sources(ws, t.id)] == ["S1", "S2"]
    assert count(ws, "audit_event") == before["audit_event"] + 2


# --- findings and citations -------------------------------------------------------------
def test_finding_cannot_cite_a_source_of_another_task(ws):
    a = tasks.create_task(ws, task_draft("A"))
    b = tasks.create_task(ws, task_draft("B"))
    own = sources.create_source(ws, a.id, source_draft())
    other = sources.create_source(ws, b.id, source_draft())
    before = snapshot(ws)
    with pytest.raises(ValidationError) as exc:
        findings.create_finding(ws, a.id, finding_draft(), [(own.id, "supports"), (other.id, "x")])
    assert set(fields_of(exc)) == {"links"}
    assert f"Source {other.id} does not belong" in str(exc.value)
    assert snapshot(ws) == before
    f = findings.create_finding(ws, a.id, finding_draft(), [(own.id, "supports")])
    before = snapshot(ws)
    with pytest.raises(ValidationError) as exc:
        findings.link_source(ws, f.id, other.id)
    assert fields_of(exc) == ["links"]
    with pytest.raises(ValidationError):
        findings.link_source(ws, f.id, 9999)
    assert snapshot(ws) == before
    assert [c.source_id for c in findings.get_finding(ws, f.id).citations] == [own.id]


def test_citations_read_like_analysts_write_them(ws):
    t = tasks.create_task(ws, task_draft())
    s1 = sources.create_source(ws, t.id, source_draft())
    s2 = sources.create_source(
        ws,
        t.id,
        source_draft(evaluation="3", assessment="E", handling="C", handling_conditions="x"),
    )
    f = findings.create_finding(
        ws, t.id, finding_draft(), [(s2.id, "context"), (s1.id, "supports")]
    )
    assert [c.text for c in f.citations] == ["[S1 · 1/B/P]", "[S2 · 3/E/C]"]
    assert [c.relation for c in f.citations] == [LinkRelation.SUPPORTS, LinkRelation.CONTEXT]
    assert f.label == "F1"


def test_link_source_changes_relation_and_unlink_removes(ws):
    t = tasks.create_task(ws, task_draft())
    s1 = sources.create_source(ws, t.id, source_draft())
    s2 = sources.create_source(ws, t.id, source_draft())
    f = findings.create_finding(ws, t.id, finding_draft(), [(s1.id, "supports")])
    f = findings.link_source(ws, f.id, s1.id, "contradicts")
    assert [(c.label, c.relation) for c in f.citations] == [("S1", LinkRelation.CONTRADICTS)]
    events = count(ws, "audit_event")
    findings.link_source(ws, f.id, s1.id, LinkRelation.CONTRADICTS)  # no change, no event
    assert count(ws, "audit_event") == events
    f = findings.link_source(ws, f.id, s2.id)
    assert [(c.label, c.relation) for c in f.citations] == [
        ("S1", LinkRelation.CONTRADICTS),
        ("S2", LinkRelation.SUPPORTS),
    ]
    f = findings.unlink_source(ws, f.id, s1.id)
    assert [c.label for c in f.citations] == ["S2"]
    listed = findings.list_findings(ws, t.id)
    assert [c.label for c in listed[0].citations] == ["S2"]
    assert count(ws, "finding_source") == 1
    assert count(ws, "source") == 2  # unlinking never deletes the source


def test_update_finding_replaces_its_citations_in_one_event(ws):
    t = tasks.create_task(ws, task_draft())
    s1, s2, s3 = (sources.create_source(ws, t.id, source_draft()) for _ in range(3))
    f = findings.create_finding(
        ws, t.id, finding_draft(), [(s1.id, "supports"), (s2.id, "context")]
    )
    events = count(ws, "audit_event")
    f = findings.update_finding(
        ws, f.id, phia="remote_chance", links=[(s2.id, "contradicts"), (s3.id, "supports")]
    )
    assert [(c.label, c.relation) for c in f.citations] == [
        ("S2", LinkRelation.CONTRADICTS),
        ("S3", LinkRelation.SUPPORTS),
    ]
    assert count(ws, "audit_event") == events + 1
    last = workspace.audit_events(ws, "finding", f.id)[-1]
    assert json.loads(last.details) == {
        "fields": ["links", "phia"],
        "cites": ["S3"],
        "uncites": ["S1"],
        "relations": ["S2"],
    }


def test_update_finding_with_a_bad_link_changes_nothing(ws):
    t = tasks.create_task(ws, task_draft())
    other = tasks.create_task(ws, task_draft())
    s1 = sources.create_source(ws, t.id, source_draft())
    foreign = sources.create_source(ws, other.id, source_draft())
    f = findings.create_finding(ws, t.id, finding_draft(), [(s1.id, "supports")])
    before = count(ws, "audit_event")
    with pytest.raises(ValidationError) as caught:
        findings.update_finding(ws, f.id, text="Changed", links=[(foreign.id, "supports")])
    assert caught.value.errors[0].field == "links"
    again = findings.get_finding(ws, f.id)
    assert again.text == f.text and [c.label for c in again.citations] == ["S1"]
    assert count(ws, "audit_event") == before + 1  # only the consultation just made


def test_citations_of_an_archived_source_survive_relinking(ws):
    t = tasks.create_task(ws, task_draft())
    s1, s2 = (sources.create_source(ws, t.id, source_draft()) for _ in range(2))
    f = findings.create_finding(ws, t.id, finding_draft(), [(s1.id, "supports")])
    sources.archive_source(ws, s1.id)
    f = findings.update_finding(ws, f.id, links=[(s2.id, "context")])
    assert [c.label for c in f.citations] == ["S2"]
    sources.archive_source(ws, s1.id, archived=False)
    assert [c.label for c in findings.get_finding(ws, f.id).citations] == ["S1", "S2"]


def test_link_sources_cites_several_at_once_keeping_the_others(ws):
    t = tasks.create_task(ws, task_draft())
    s1, s2, s3 = (sources.create_source(ws, t.id, source_draft()) for _ in range(3))
    f = findings.create_finding(ws, t.id, finding_draft(), [(s1.id, "context")])
    events = count(ws, "audit_event")
    f = findings.link_sources(ws, f.id, [s2.id, s3.id], "contradicts")
    assert [(c.label, c.relation.value) for c in f.citations] == [
        ("S1", "context"),
        ("S2", "contradicts"),
        ("S3", "contradicts"),
    ]
    assert count(ws, "audit_event") == events + 1
    findings.link_sources(ws, f.id, [s2.id], "contradicts")  # nothing new: no event
    assert count(ws, "audit_event") == events + 1


# --- markings ---------------------------------------------------------------------------
def test_research_marking_rises_with_a_cited_source(ws):
    t = tasks.create_task(ws, task_draft(marking="OFFICIAL"))
    assert tasks.research_marking(ws, t.id) is Marking.OFFICIAL
    src = sources.create_source(ws, t.id, source_draft(marking="OFFICIAL-SENSITIVE"))
    f = findings.create_finding(ws, t.id, finding_draft(), [(src.id, "supports")])
    assert tasks.research_marking(ws, t.id) is Marking.OFFICIAL_SENSITIVE
    findings.archive_finding(ws, f.id)
    assert tasks.research_marking(ws, t.id) is Marking.OFFICIAL


def test_research_marking_follows_the_citations_shown(ws):
    t = tasks.create_task(ws, task_draft(marking="OFFICIAL"))
    src = sources.create_source(ws, t.id, source_draft(marking="SECRET"))
    f = findings.create_finding(ws, t.id, finding_draft(), [(src.id, "supports")])
    assert tasks.research_marking(ws, t.id) is Marking.SECRET
    sources.archive_source(ws, src.id)
    # A withdrawn source is no longer cited, so it no longer marks the product.
    assert findings.get_finding(ws, f.id).citations == ()
    assert tasks.research_marking(ws, t.id) is Marking.OFFICIAL


def test_research_marking_takes_a_secret_finding(ws):
    t = tasks.create_task(ws, task_draft(marking="OFFICIAL-SENSITIVE"))
    findings.create_finding(ws, t.id, finding_draft(marking="SECRET"))
    assert tasks.research_marking(ws, t.id) is Marking.SECRET
    # Another task's markings do not leak into this one's.
    other = tasks.create_task(ws, task_draft())
    assert tasks.research_marking(ws, other.id) is Marking.OFFICIAL


# --- entities ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "folded"),
    [
        ("Nguyễn Văn Đức", "nguyen van duc"),
        ("Łukasz Wiśniewski", "lukasz wisniewski"),
        ("  ZOË   O'Brien ", "zoe o'brien"),
        ("Søren Ærø", "soren aero"),
    ],
)
def test_normalise_folds_case_accents_and_spaces(name, folded):
    assert entities.normalise(name) == folded


def test_same_name_finds_accent_and_case_variants(ws):
    a = entities.create_entity(ws, entities.EntityDraft("person", "Nguyễn Văn Đức"))
    b = entities.create_entity(ws, entities.EntityDraft("person", "NGUYEN VAN DUC"))
    entities.create_entity(ws, entities.EntityDraft("organisation", "Nguyen Van Duc"))
    entities.create_entity(ws, entities.EntityDraft("person", "Nguyen Van Dung"))
    found = entities.same_name(ws, "person", "nguyễn  văn đức")
    assert sorted(e.id for e in found) == [a.id, b.id]
    assert {e.normalised for e in found} == {"nguyen van duc"}


def test_erase_entity_removes_it_and_its_mentions(ws):
    t = tasks.create_task(ws, task_draft())
    src = sources.create_source(ws, t.id, source_draft())
    f = findings.create_finding(ws, t.id, finding_draft())
    gone = entities.create_entity(ws, entities.EntityDraft("person", "Łukasz Wiśniewski"))
    kept = entities.create_entity(ws, entities.EntityDraft("vehicle", "AB12 CDE"))
    for e in (gone, kept):
        entities.mention(ws, e.id, source_id=src.id)
        entities.mention(ws, e.id, finding_id=f.id)
    assert entities.get_entity(ws, gone.id).mentions == 2
    entities.erase_entity(ws, gone.id, justification="Not the same person")
    assert [e.id for e in entities.list_entities(ws, include_archived=True)] == [kept.id]
    assert count(ws, "source_entity") == count(ws, "finding_entity") == 1
    assert entities.get_entity(ws, kept.id).mentions == 2
    assert (count(ws, "source"), count(ws, "finding")) == (1, 1)


def test_mention_needs_exactly_one_target(ws):
    e = entities.create_entity(ws, entities.EntityDraft("person", "John Smith"))
    before = snapshot(ws)
    for kwargs in ({}, {"finding_id": 1, "source_id": 1}):
        with pytest.raises(ValidationError) as exc:
            entities.mention(ws, e.id, **kwargs)
        assert fields_of(exc) == ["mention"]
    assert snapshot(ws) == before


def test_list_entities_counts_mentions(ws):
    t = tasks.create_task(ws, task_draft())
    src = sources.create_source(ws, t.id, source_draft())
    e = entities.create_entity(ws, entities.EntityDraft("person", "John Smith"))
    entities.mention(ws, e.id, source_id=src.id)
    assert entities.get_entity(ws, e.id).mentions == 1
    assert [x.mentions for x in entities.list_entities(ws)] == [1]


# --- archive, counts, erasure -------------------------------------------------------------
def test_archive_hides_from_lists_but_deletes_nothing(ws):
    t = tasks.create_task(ws, task_draft())
    src = sources.create_source(ws, t.id, source_draft())
    f = findings.create_finding(ws, t.id, finding_draft())
    e = entities.create_entity(ws, entities.EntityDraft("person", "John Smith"))
    before = snapshot(ws)
    assert sources.archive_source(ws, src.id).archived
    assert findings.archive_finding(ws, f.id).archived
    assert entities.archive_entity(ws, e.id).archived
    assert tasks.archive_task(ws, t.id).archived
    assert tasks.list_tasks(ws) == []
    assert sources.list_sources(ws, t.id) == sources.list_sources(ws) == []
    assert findings.list_findings(ws, t.id) == []
    assert entities.list_entities(ws) == []
    assert [x.id for x in tasks.list_tasks(ws, include_archived=True)] == [t.id]
    assert [x.archived for x in sources.list_sources(ws, t.id, include_archived=True)] == [True]
    assert [x.id for x in findings.list_findings(ws, t.id, include_archived=True)] == [f.id]
    assert [x.id for x in entities.list_entities(ws, include_archived=True)] == [e.id]
    after = snapshot(ws)
    assert after["audit_event"] == before["audit_event"] + 4
    assert {k: v for k, v in after.items() if k != "audit_event"} == {
        k: v for k, v in before.items() if k != "audit_event"
    }
    # Restoring brings it back; archiving twice logs nothing.
    tasks.archive_task(ws, t.id)
    assert count(ws, "audit_event") == after["audit_event"]
    assert not tasks.archive_task(ws, t.id, archived=False).archived
    assert [x.id for x in tasks.list_tasks(ws)] == [t.id]


def test_list_tasks_counts_live_sources_and_findings(ws):
    a = tasks.create_task(ws, task_draft("A"))
    b = tasks.create_task(ws, task_draft("B"))
    tasks.create_task(ws, task_draft("C"))
    srcs = [sources.create_source(ws, a.id, source_draft()) for _ in range(3)]
    sources.archive_source(ws, srcs[0].id)
    sources.create_source(ws, b.id, source_draft())
    fnds = [findings.create_finding(ws, a.id, finding_draft()) for _ in range(2)]
    findings.archive_finding(ws, fnds[1].id)
    for _ in range(4):
        findings.create_finding(ws, b.id, finding_draft())
    counts = [(x.title, x.source_count, x.finding_count) for x in tasks.list_tasks(ws)]
    assert counts == [("A", 2, 1), ("B", 1, 4), ("C", 0, 0)]
    got = tasks.get_task(ws, a.id)
    assert (got.source_count, got.finding_count) == (2, 1)


def test_erase_task_removes_everything_collected_for_it(ws):
    a = tasks.create_task(ws, task_draft("A"))
    b = tasks.create_task(ws, task_draft("B"))
    src = sources.create_source(ws, a.id, source_draft())
    f = findings.create_finding(ws, a.id, finding_draft(), [(src.id, "supports")])
    e = entities.create_entity(ws, entities.EntityDraft("person", "John Smith"))
    entities.mention(ws, e.id, finding_id=f.id)
    sources.create_source(ws, b.id, source_draft())
    tasks.erase_task(ws, a.id, justification="retention review")
    assert [t.id for t in tasks.list_tasks(ws, include_archived=True)] == [b.id]
    assert (count(ws, "source"), count(ws, "finding")) == (1, 0)
    assert count(ws, "finding_source") == count(ws, "finding_entity") == 0
    assert count(ws, "entity") == 1  # entities stand alone; only the mention went


def test_erasure_event_counts_archived_records_it_erased(ws):
    t = tasks.create_task(ws, task_draft())
    live = sources.create_source(ws, t.id, source_draft())
    old = sources.create_source(ws, t.id, source_draft())
    sources.archive_source(ws, old.id)
    assert live.id != old.id
    tasks.erase_task(ws, t.id, justification="retention review")
    assert count(ws, "source") == 0
    with ws.engine.connect() as conn:
        details = conn.execute(
            text("SELECT details FROM audit_event ORDER BY seq DESC LIMIT 1")
        ).scalar_one()
    assert details == '{"findings": 0, "sources": 2}'


# --- persistence ------------------------------------------------------------------------
def test_data_survives_close_and_reopen(tmp_path):
    path = tmp_path / "t.toex"
    with create_workspace(path, PASSPHRASE, ANALYST) as ws:
        t = tasks.create_task(
            ws, task_draft("Modern slavery at Żabka Car Wash", marking="OFFICIAL-SENSITIVE")
        )
        tasks.update_task(ws, t.id, status="in_progress", tags=["car wash", "MSHT"])
        src = sources.create_source(
            ws, t.id, source_draft(handling="C", handling_conditions="Partner consent only")
        )
        findings.create_finding(
            ws, t.id, finding_draft(phia="highly_likely"), [(src.id, "context")]
        )
        e = entities.create_entity(ws, entities.EntityDraft("organisation", "Żabka Car Wash"))
        entities.mention(ws, e.id, source_id=src.id)
        before = (
            tasks.list_tasks(ws),
            sources.list_sources(ws),
            findings.list_findings(ws, t.id),
            entities.list_entities(ws),
        )
    assert ws.closed
    with open_workspace(path, PASSPHRASE) as again:
        assert again.analyst == ANALYST
        after = (
            tasks.list_tasks(again),
            sources.list_sources(again),
            findings.list_findings(again, t.id),
            entities.list_entities(again),
        )
        assert after == before
        (task,) = after[0]
        assert task.tags == ("MSHT", "car wash")
        assert task.status is TaskStatus.IN_PROGRESS
        assert after[2][0].citations[0].text == "[S1 · 1/B/C]"
        assert entities.get_entity(again, e.id).mentions == 1
