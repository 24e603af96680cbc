"""Full-text search over a real encrypted workspace: every record type, diacritics, ranking,
snippets, hostile queries, filters, and an index that follows the data transaction by
transaction. All data is invented."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import text

from toexdesk.core.extract import Extractor
from toexdesk.core.model import Task
from toexdesk.core.services import attachments, entities, findings, search, sources, tasks
from toexdesk.core.services.search import GradingFilter, RecordType
from toexdesk.core.store import search as index
from toexdesk.core.store import search_index
from toexdesk.core.store.engine import open_workspace, session_scope

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def index_rows(ws) -> list[tuple]:
    with ws.engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT rowid, record_type, task_id, record_id, title, body, extra "
                "FROM search_index ORDER BY rowid"
            )
        ).all()


def found(ws, query: str, **filters) -> list[tuple[str, str]]:
    return [(h.record_type.value, h.label) for h in search.search(ws, query, **filters)]


@pytest.fixture
def case(ws, tmp_path):
    """A small case: two tasks, sources, findings, entities and a captured file."""
    t1 = tasks.create_task(
        ws,
        tasks.TaskDraft(
            "Line KESTREL supply into Marlow Fen",
            "DS Ada Rowe",
            "county_lines",
            research_questions="Who runs the deal line from Eastbrook?",
        ),
    )
    tasks.update_task(ws, t1.id, gaps="No phone attribution for the Osprey handset yet")
    t2 = tasks.create_task(
        ws, tasks.TaskDraft("Car wash labour in Hallam Vale", "DI Sam Okafor", "modern_slavery")
    )
    s1 = sources.create_source(
        ws,
        t1.id,
        sources.SourceDraft(
            "Custody record review",
            "police_system",
            "1",
            "A",
            "P",
            description="Arrested with two handsets; one registered to Dritë Hoxha.",
            reference="PND-2026-00417",
            obtained_on="2026-10-02",
        ),
    )
    s2 = sources.create_source(
        ws,
        t1.id,
        sources.SourceDraft(
            "Youth offending team referral",
            "partner_agency",
            "2",
            "B",
            "C",
            handling_conditions="Originator consent before onward sharing (Gatekeeper Lumen)",
        ),
    )
    s3 = sources.create_source(
        ws,
        t2.id,
        sources.SourceDraft(
            "Forum advert", "open_source", "3", "C", "P", description="Car wash staff wanted"
        ),
    )
    f1 = findings.create_finding(
        ws,
        t1.id,
        findings.FindingDraft("KESTREL is run from Eastbrook by Teodor Vasilescu.", "likely"),
        [(s1.id, "supports")],
    )
    e1 = entities.create_entity(
        ws, entities.EntityDraft("person", "Şükrü Yılmazer", notes="Seen at the Quayside car wash")
    )
    note = tmp_path / "handset download.txt"
    note.write_text("Contacts export: Ravenscar Cleaners, 07700 900417, call at 02:14.\n")
    with Extractor(files_per_helper=10) as extractor:
        file = attachments.capture_file(
            ws, s2.id, note, exhibit_ref="JD/7", extractor=extractor
        ).attachment
    return dict(t1=t1, t2=t2, s1=s1, s2=s2, s3=s3, f1=f1, e1=e1, file=file)


# --- what is found ------------------------------------------------------------------------
def test_every_record_type_is_found_by_its_text(ws, case):
    ref1, ref2 = case["t1"].reference, case["t2"].reference
    assert found(ws, "Eastbrook deal") == [("task", ref1)]  # research questions
    assert found(ws, "Osprey") == [("task", ref1)]  # gaps
    assert found(ws, "Okafor") == [("task", ref2)]  # requester
    assert found(ws, ref2) == [("task", ref2)]  # the reference itself
    assert found(ws, "custody") == [("source", f"{ref1}/S1")]
    assert found(ws, "PND-2026-00417") == [("source", f"{ref1}/S1")]  # reference
    assert found(ws, "Gatekeeper") == [("source", f"{ref1}/S2")]  # handling conditions
    assert found(ws, "Vasilescu") == [("finding", f"{ref1}/F1")]
    assert found(ws, "Quayside") == [("entity", f"E{case['e1'].id}")]  # notes
    assert found(ws, "Ravenscar") == [("attachment", f"{ref1}/S2")]  # extracted text
    assert found(ws, "handset download") == [("attachment", f"{ref1}/S2")]  # file name
    assert found(ws, "JD/7") == [("attachment", f"{ref1}/S2")]  # exhibit reference
    hit = search.search(ws, "Ravenscar")[0]
    assert (hit.record_id, hit.source_id, hit.task_id) == (
        case["file"].id,
        case["s2"].id,
        case["t1"].id,
    )
    assert hit.title == "handset download.txt" and hit.task_reference == ref1


def test_accents_and_case_do_not_matter(ws, case):
    assert found(ws, "drite hoxha") == [("source", f"{case['t1'].reference}/S1")]
    assert found(ws, "DRITË") == found(ws, "Drite")
    assert found(ws, "sukru yilmazer") == [("entity", f"E{case['e1'].id}")]
    # Letters with no decomposition (ł, ı, ß, ø…) are folded by a second, hidden copy.
    polish = entities.create_entity(
        ws, entities.EntityDraft("person", "Łukasz Wiśniewski", notes="Lives on Hauptstraße")
    )
    for query in ("lukasz wisniewski", "Łukasz", "ŁUKASZ wiś", "hauptstrasse"):
        assert found(ws, query) == [("entity", f"E{polish.id}")], query
    (hit,) = search.search(ws, "łukasz")
    assert hit.title == "Łukasz Wiśniewski"
    assert [hit.title[a:b] for a, b in hit.title_highlights] == ["Łukasz"]
    (hit,) = search.search(ws, "lukasz")
    assert hit.title == "Łukasz Wiśniewski"  # the folded copy is never shown as the title
    entities.create_entity(ws, entities.EntityDraft("person", "Drite Krasniqi"))
    assert len(search.search(ws, "Dritë")) == 2


def test_the_last_word_matches_as_a_prefix_while_typing(ws, case):
    ref = case["t1"].reference
    assert ("task", ref) in found(ws, "kestr")
    assert found(ws, "kestr ") == []  # a space ends the word
    assert found(ws, "ke") == []  # too short to be a prefix: matched whole
    assert found(ws, "vasil") == [("finding", f"{ref}/F1")]
    assert found(ws, '"vasil"') == []  # a quoted phrase is matched whole


def test_quoted_phrases_need_the_words_in_order(ws, case):
    ref = case["t1"].reference
    assert found(ws, '"supply into"') == [("task", ref)]
    assert found(ws, '"into supply"') == []
    assert found(ws, "into supply") == [("task", ref)]  # bare words: any order


def test_title_matches_rank_above_body_matches(ws, case):
    t = case["t2"]
    weak = sources.create_source(
        ws,
        t.id,
        sources.SourceDraft(
            "Council licensing return",
            "partner_agency",
            "2",
            "B",
            "P",
            description="Mentions Lumbridge once among a great many other words " * 5,
        ),
    )
    strong = sources.create_source(
        ws, t.id, sources.SourceDraft("Lumbridge premises visit", "human", "2", "B", "P")
    )
    hits = search.search(ws, "lumbridge")
    assert [h.record_id for h in hits] == [strong.id, weak.id]
    assert hits[0].score > hits[1].score


def test_snippets_and_titles_mark_the_matched_words(ws, case):
    hit = search.search(ws, "handsets hoxha")[0]
    marked = [hit.snippet[a:b] for a, b in hit.highlights]
    assert [m.casefold() for m in marked] == ["handsets", "hoxha"]
    assert "\x02" not in hit.snippet and "\x03" not in hit.snippet
    task_hit = search.search(ws, "marlow")[0]
    assert task_hit.title == "Line KESTREL supply into Marlow Fen"
    assert [task_hit.title[a:b] for a, b in task_hit.title_highlights] == ["Marlow"]
    prefix_hit = search.search(ws, "ravensc")[0]
    assert [prefix_hit.snippet[a:b] for a, b in prefix_hit.highlights] == ["Ravenscar"]


def test_marker_characters_in_the_data_do_not_fake_highlights(ws, case):
    sources.create_source(
        ws,
        case["t2"].id,
        sources.SourceDraft(
            "Odd \x02text\x03 import", "document", "2", "C", "P", description="\x02Zebulon\x03"
        ),
    )
    (hit,) = search.search(ws, "zebulon")
    assert hit.snippet == "Zebulon" and hit.highlights == ((0, 7),)
    assert hit.title == "Odd text import" and hit.title_highlights == ()


HOSTILE = [
    '"',
    '""',
    '" "',
    "*",
    "**",
    "NEAR(",
    "NEAR(kestrel marlow, 2)",
    "AND OR",
    "NOT",
    "kestrel NOT marlow",
    "-",
    "-kestrel",
    ":",
    "title:kestrel",
    "{title body}: kestrel",
    "record_type : task",
    '"unbalanced quote',
    'kestrel"marlow',
    "^kestrel",
    "(kestrel",
    "kestrel)",
    "'; DROP TABLE task; --",
    "\x00",
    "\x02\x03",
    "🦅 kestrel",
    "x" * 10_000,
    " ".join(["kestrel"] * 5_000),
    "a" * 3,
]


@pytest.mark.parametrize("query", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_queries_never_raise(ws, case, query):
    hits = search.search(ws, query)
    assert isinstance(hits, list)
    with ws.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM task")).scalar_one() == 2


def test_queries_without_words_find_nothing(ws, case):
    for query in ("", "   ", "---", '"" ""', "* * *", "((( )))", "\n\t"):
        assert search.search(ws, query) == []
    assert search.search(ws, "kestrel", limit=0) == []


def test_operator_words_are_searched_as_plain_words(ws, case):
    ref = case["t1"].reference
    assert found(ws, "kestrel NOT") == []  # "not" is a word that must appear
    sources.create_source(
        ws, case["t1"].id, sources.SourceDraft("Near or not", "document", "2", "C", "P")
    )
    assert found(ws, "near OR not") == [("source", f"{ref}/S3")]


# --- filters ------------------------------------------------------------------------------
def test_filters_by_type_task_grading_and_date(ws, case):
    ref1, ref2 = case["t1"].reference, case["t2"].reference
    assert set(found(ws, "kestrel")) == {("task", ref1), ("finding", f"{ref1}/F1")}
    assert found(ws, "kestrel", record_types=["finding"]) == [("finding", f"{ref1}/F1")]
    assert found(ws, "kestrel", record_types=[]) == []
    assert found(ws, "car wash", task_id=case["t2"].id) == [
        ("task", ref2),
        ("source", f"{ref2}/S1"),
    ]
    assert ("entity", f"E{case['e1'].id}") in found(ws, "car wash")
    one_a = GradingFilter(evaluations=("1",), assessments=("A",))
    assert found(ws, "handsets", grading=one_a) == [("source", f"{ref1}/S1")]
    assert found(ws, "handsets", grading=GradingFilter(evaluations=("2",))) == []
    # A file carries its source's grading (S2 is 2/B/C).
    assert found(ws, "ravenscar", grading=GradingFilter(handling=("C",))) == [
        ("attachment", f"{ref1}/S2")
    ]
    assert found(ws, "kestrel", grading=one_a) == []  # tasks and findings have no grading
    obtained = dt.date(2026, 10, 2)  # S1 was obtained then; everything else is from today
    assert found(ws, "handsets", date_to=obtained) == [("source", f"{ref1}/S1")]
    assert found(ws, "handsets", date_from=obtained + dt.timedelta(days=1)) == []
    today = dt.date.today()
    assert found(ws, "vasilescu", date_from=today, date_to=today) == [("finding", f"{ref1}/F1")]


def test_archived_records_are_left_out_unless_asked_for(ws, case):
    ref1 = case["t1"].reference
    sources.archive_source(ws, case["s2"].id, justification="duplicate referral")
    assert found(ws, "gatekeeper") == []
    assert found(ws, "ravenscar") == []  # the file of an archived source goes with it
    hits = search.search(ws, "gatekeeper", include_archived=True)
    assert [(h.label, h.archived) for h in hits] == [(f"{ref1}/S2", True)]
    sources.archive_source(ws, case["s2"].id, archived=False)
    assert found(ws, "gatekeeper") == [("source", f"{ref1}/S2")]
    tasks.archive_task(ws, case["t1"].id, justification="closed")
    assert found(ws, "kestrel") == [] and found(ws, "custody") == []
    attachments.archive_attachment(ws, case["file"].id)
    tasks.archive_task(ws, case["t1"].id, archived=False)
    assert found(ws, "ravenscar") == []
    entities.archive_entity(ws, case["e1"].id)
    assert found(ws, "quayside") == []


# --- the index follows the data -----------------------------------------------------------
def test_the_index_follows_updates_and_erasures(ws, case):
    ref1 = case["t1"].reference
    sources.update_source(ws, case["s1"].id, title="Interview summary")
    assert found(ws, "custody") == []
    assert found(ws, "interview summary") == [("source", f"{ref1}/S1")]
    findings.update_finding(ws, case["f1"].id, text="Run from Westgate by Teodor Vasilescu.")
    assert found(ws, "eastbrook") == [("task", ref1)]
    assert found(ws, "westgate") == [("finding", f"{ref1}/F1")]
    entities.update_entity(ws, case["e1"].id, notes="")
    assert found(ws, "quayside") == []
    entities.erase_entity(ws, case["e1"].id, justification="entered in error")
    assert found(ws, "yilmazer") == []
    attachments.erase_attachment(ws, case["file"].id, justification="wrong file")
    assert found(ws, "ravenscar") == [] and found(ws, "JD/7") == []
    tasks.erase_task(ws, case["t1"].id, justification="retention period over")
    assert found(ws, "vasilescu") == [] and found(ws, "gatekeeper") == []
    with ws.engine.connect() as conn:
        types = conn.execute(text("SELECT DISTINCT record_type FROM search_index")).scalars()
        assert sorted(types) == ["source", "task"]  # only the second task and its source


def test_a_rolled_back_transaction_leaves_the_index_as_it_was(ws, case):
    before = index_rows(ws)
    with pytest.raises(RuntimeError), session_scope(ws) as s:
        task = s.get(Task, case["t1"].id)
        task.title = "Completely different words"
        s.flush()  # the trigger has run inside the transaction...
        hits = index.run_search(s.connection(), "completely different")
        assert [h.record_id for h in hits] == [task.id]  # ...and its own reads see it
        raise RuntimeError("the unit of work fails")
    assert index_rows(ws) == before
    assert found(ws, "completely different") == []
    assert found(ws, "marlow") == [("task", case["t1"].reference)]


def test_rebuilding_the_index_gives_what_the_triggers_keep(ws, case):
    before = index_rows(ws)
    assert len(before) == 2 + 3 + 1 + 1 + 2  # tasks, sources, finding, entity, file + text
    with ws.engine.begin() as conn:
        conn.execute(text("DELETE FROM search_index"))
    assert found(ws, "kestrel") == []
    assert search.rebuild_search_index(ws, justification="index repair") == len(before)
    assert index_rows(ws) == before
    assert found(ws, "kestrel") != []
    from toexdesk.core.services import workspace

    (event,) = [e for e in workspace.audit_events(ws) if "rebuilt" in str(e.details)]
    assert event.action == "alteration"


def test_searching_writes_no_audit_event(ws, case):
    with ws.engine.connect() as conn:
        before = conn.execute(text("SELECT count(*) FROM audit_event")).scalar_one()
    for query in ("kestrel", "ravenscar", "hoxha", "nothing at all"):
        search.search(ws, query)
    with ws.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit_event")).scalar_one() == before


# --- long texts and broad queries ---------------------------------------------------------
def test_a_long_text_is_indexed_in_segments_and_found_once(ws, case, tmp_path):
    filler = "routine log entry with nothing of note in it\n" * 400  # ~18 k characters
    path = tmp_path / "long log.txt"
    path.write_text(filler + "Parcel handed to Zoltan Beck at the depot.\n" + filler)
    info = attachments.capture_file(ws, case["s1"].id, path).attachment
    with ws.engine.connect() as conn:
        segments = conn.execute(
            text("SELECT count(*) FROM attachment_text WHERE attachment_id = :id"), {"id": info.id}
        ).scalar_one()
    assert segments >= 9
    assert attachments.attachment_text(ws, info.id) == path.read_text()
    (hit,) = search.search(ws, "zoltan beck")
    assert hit.record_id == info.id and "Parcel handed to Zoltan Beck" in hit.snippet
    assert len(search.search(ws, "routine log")) == 1  # many segments, one hit


def test_text_segments_cut_between_words_and_join_back():
    sample = ("word " * 3000) + "x" * 9000
    pieces = search_index.text_segments(sample, size=1000)
    assert "".join(pieces) == sample
    assert all(len(p) <= 1000 for p in pieces)
    assert all(p.endswith(" ") for p in pieces[:14])  # cut after a space while there is one


@pytest.mark.parametrize("prefix", [False, True])
def test_a_broad_query_is_ranked_among_its_newest_matches(ws, monkeypatch, prefix):
    monkeypatch.setattr(index, "RANK_WINDOW", 5)
    t = tasks.create_task(ws, tasks.TaskDraft("Bulk partner data", "DS Example", "ocg"))
    drafts = [
        sources.SourceDraft(f"Partner return {n:02d}", "partner_agency", "2", "B", "P")
        for n in range(30)
    ]
    sources.create_sources(ws, t.id, drafts)
    query = "return" + ("" if prefix else " ")
    assert len(search.search(ws, query)) == 30  # windows of 5, then 40: all 30
    newest = search.search(ws, query, limit=3)
    assert {h.title for h in newest} <= {f"Partner return {n:02d}" for n in range(25, 30)}


# --- upgraded and temporary files ---------------------------------------------------------
def test_an_upgraded_0001_workspace_is_searchable(tmp_path):
    path = tmp_path / "old.toex"
    shutil.copyfile(FIXTURES / "workspace-0001.toex", path)
    with open_workspace(path, "fixture passphrase 0001") as ws:
        assert [h.label for h in search.search(ws, "kestrel", record_types=["task"])] == [
            "TX-2026-0001"
        ]
        assert {h.record_type for h in search.search(ws, "lukasz wisniewski")} == {
            RecordType.FINDING,
            RecordType.ENTITY,
        }
        assert [h.label for h in search.search(ws, "forum advert")] == ["TX-2026-0002/S1"]


def test_capture_and_search_leave_nothing_in_the_temporary_folder(ws, case, tmp_path, monkeypatch):
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    for name in ("TMPDIR", "TEMP", "TMP", "SQLITE_TMPDIR"):
        monkeypatch.setenv(name, str(private_tmp))
    monkeypatch.setattr(tempfile, "tempdir", str(private_tmp))
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "marker.txt").write_text("ZEBRA-MARKER-7731 " * 20_000)
    result = attachments.capture_file(ws, case["s1"].id, drop / "marker.txt")
    assert result.ok
    for query in ("zebra marker", "zebra", "kestrel", "ravensc"):
        search.search(ws, query)
    search.rebuild_search_index(ws)
    assert list(private_tmp.iterdir()) == []
    beside = [p.name for p in ws.path.parent.iterdir() if p.name.startswith(ws.path.name)]
    assert beside == [ws.path.name]  # no journal, WAL or temporary file left beside it
    assert b"ZEBRA-MARKER" not in ws.path.read_bytes()
    assert os.path.getsize(ws.path) > 300_000  # the marker text really is inside


def test_verify_finds_a_gap_or_stale_entry_in_the_index_and_the_cli_rebuilds_it(ws, case):
    from test_cli import one_error_line, run

    from toexdesk.core.services import workspace

    assert workspace.verify(ws).ok
    source_id = case["s1"].id if "s1" in case else sources.list_sources(ws, case["t1"].id)[0].id
    with ws.engine.begin() as conn:  # lose one source's entry, and leave one for a ghost
        conn.execute(
            text("DELETE FROM search_index WHERE rowid = (1099511627776 - :id) * 8 + 2"),
            {"id": source_id},
        )
        conn.execute(
            text(
                "INSERT INTO search_index(rowid, record_type, task_id, record_id, title, body, "
                "extra) VALUES ((1099511627776 - 99999) * 8 + 3, 'finding', '', 99999, '', "
                "'ghost words', '')"
            )
        )
    report = workspace.verify(ws)
    assert not report.ok
    assert report.integrity == (
        "search index: 1 sources are not in it",
        "search index: 1 entries point to findings that no longer exist",
    )
    path = ws.path
    ws.close()
    proc = run("verify", str(path))
    assert proc.returncode == 1 and "--rebuild-index" in proc.stdout
    assert "search index" in one_error_line(proc)
    proc = run("verify", str(path), "--rebuild-index")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "search index rebuilt" in proc.stdout


def test_verify_reports_a_damaged_index_structure(ws, case):
    from toexdesk.core.services import workspace

    with ws.engine.begin() as conn:
        conn.execute(text("UPDATE search_index_data SET block = zeroblob(length(block))"))
    report = workspace.verify(ws)
    assert any("fts5" in p.casefold() for p in report.integrity), report.integrity
    search.rebuild_search_index(ws, justification="repair")
    assert workspace.verify(ws).ok


def test_the_rebuild_makes_the_index_the_migration_made(ws, case):
    """``store.search_index`` keeps the current copy of what migration 0002 indexes and how
    it creates the table: the two must not drift apart."""
    import importlib.util

    from toexdesk.core.store import search_index as current

    path = Path(current.__file__).parent / "migrations" / "versions" / "0002_capture_and_search.py"
    spec = importlib.util.spec_from_file_location("migration_0002", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    assert {t: v[:7] for t, v in migration.INDEXED.items()} == current.INDEXED  # less "watched"

    def table_sql() -> str:
        with ws.engine.connect() as conn:
            return conn.execute(
                text("SELECT sql FROM sqlite_master WHERE name = 'search_index'")
            ).scalar_one()

    made_by_migration = table_sql()
    search.rebuild_search_index(ws, justification="repair")
    assert table_sql() == made_by_migration == current.CREATE_TABLE
