"""The audit trail (DPA 2018 s.62 logging): one event per unit of work, append-only, and a
hash chain whose verification names the first event that was edited, deleted, inserted or
reordered. Everything runs against a real SQLCipher workspace file."""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import json

import pytest
import sqlalchemy.exc
import sqlcipher3
from conftest import ANALYST
from sqlalchemy import text

from toexdesk.core.errors import ValidationError
from toexdesk.core.services import entities, findings, sources, tasks, workspace
from toexdesk.core.store import audit
from toexdesk.core.store.engine import session_scope


# --- helpers ----------------------------------------------------------------------------
def events(ws) -> list[dict]:
    with ws.engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM audit_event ORDER BY seq")).mappings().all()
    return [dict(r) for r in rows]


def count(ws, table: str) -> int:
    with ws.engine.connect() as conn:
        return conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()  # noqa: S608


def new_events(ws, before: int) -> list[dict]:
    return [e for e in events(ws) if e["seq"] > before]


def head_seq(ws) -> int:
    return events(ws)[-1]["seq"]


@contextlib.contextmanager
def raw(ws):
    """A raw DBAPI connection in autocommit mode, as someone with the key could get."""
    with ws.engine.connect() as conn:
        yield conn.connection.dbapi_connection


def drop_triggers(con) -> None:
    con.execute("DROP TRIGGER audit_event_no_update")
    con.execute("DROP TRIGGER audit_event_no_delete")


def task_draft(title: str = "County lines activity in Northtown", **kw) -> tasks.TaskDraft:
    return tasks.TaskDraft(title=title, requester="DS Patel", thematic="county_lines", **kw)


def source_draft(**kw) -> sources.SourceDraft:
    values = dict(
        title="Custody record",
        source_type="police_system",
        evaluation="1",
        assessment="B",
        handling="P",
    )
    values.update(kw)
    return sources.SourceDraft(**values)


def populate(ws, n_tasks: int = 4) -> int:
    """Write some events; return how many the chain holds."""
    for i in range(n_tasks):
        t = tasks.create_task(ws, task_draft(f"Task {i}"))
        tasks.get_task(ws, t.id)
    return len(events(ws))


def check_problem(ws, seq: int, kind: str) -> None:
    report = workspace.verify(ws)
    assert report.ok is False
    assert report.integrity == ()
    first = report.chain.first_problem
    assert first is not None
    assert (first.seq, first.kind) == (seq, kind), report.chain.problems
    assert f"#{seq}" in first.message
    # The store-level check agrees with the service.
    with session_scope(ws, write=False) as s:
        direct = audit.verify_chain(s)
    assert direct.ok is False
    assert direct.first_problem == first


# --- one event per write, with the right action ------------------------------------------
def test_create_task_writes_one_collection_event(ws):
    before = head_seq(ws)
    t = tasks.create_task(ws, task_draft())
    (ev,) = new_events(ws, before)
    assert ev["action"] == "collection"
    assert (ev["record_type"], ev["record_id"], ev["record_ref"]) == ("task", t.id, t.reference)


def test_update_task_writes_alteration_listing_changed_field_names(ws):
    t = tasks.create_task(ws, task_draft())
    before = head_seq(ws)
    tasks.update_task(ws, t.id, title="A new title", priority="P1", justification="re-tasked")
    (ev,) = new_events(ws, before)
    assert ev["action"] == "alteration"
    assert (ev["record_type"], ev["record_id"], ev["record_ref"]) == ("task", t.id, t.reference)
    assert json.loads(ev["details"]) == {"fields": ["priority", "title"]}
    assert ev["justification"] == "re-tasked"


def test_audit_events_never_hold_field_values(ws):
    secret_title = "Zephyrquill Nakamura-Oyelaran 7731"
    t = tasks.create_task(ws, task_draft("Boring first title"))
    tasks.update_task(ws, t.id, title=secret_title, requester="Insp Quorndon-Velasquez")
    tasks.get_task(ws, t.id)
    rows = events(ws)
    assert len(rows) == 4
    for row in rows:
        for column, value in row.items():
            assert secret_title not in str(value), column
            assert "Quorndon" not in str(value), column
            assert "Boring first title" not in str(value), column


def test_update_that_changes_nothing_writes_no_event(ws):
    t = tasks.create_task(ws, task_draft("Same title", priority="P2"))
    before = events(ws)
    info = tasks.update_task(ws, t.id, title="  Same title  ", priority="P2", status="new")
    assert info.title == "Same title"
    assert tasks.update_task(ws, t.id).title == "Same title"
    assert events(ws) == before


def test_failed_update_writes_no_event_and_changes_nothing(ws):
    t = tasks.create_task(ws, task_draft("Original title"))
    before_events = events(ws)
    with pytest.raises(ValidationError):
        tasks.update_task(ws, t.id, title="")
    # A valid change together with an illegal status change is rolled back as a whole.
    with pytest.raises(ValidationError):
        tasks.update_task(ws, t.id, title="Would-be title", status="completed")
    with pytest.raises(ValidationError):
        tasks.update_task(ws, t.id, colour="red")
    assert events(ws) == before_events
    with ws.engine.connect() as conn:
        row = conn.execute(text("SELECT title, status FROM task")).one()
    assert tuple(row) == ("Original title", "new")


def test_failed_create_writes_no_event_and_no_row(ws):
    tasks.create_task(ws, task_draft())
    t_before, e_before = count(ws, "task"), count(ws, "audit_event")
    with pytest.raises(ValidationError):
        tasks.create_task(ws, task_draft(""))
    with pytest.raises(ValidationError):
        sources.create_source(ws, 1, source_draft(handling="C"))
    assert (count(ws, "task"), count(ws, "audit_event")) == (t_before, e_before)
    assert count(ws, "source") == 0


@pytest.mark.parametrize("kind", ["task", "source", "finding", "entity"])
def test_opening_a_record_is_logged_as_consultation(ws, kind):
    t = tasks.create_task(ws, task_draft())
    src = sources.create_source(ws, t.id, source_draft())
    f = findings.create_finding(ws, t.id, findings.FindingDraft("Seen at the station", "likely"))
    e = entities.create_entity(ws, entities.EntityDraft("person", "John Smith"))
    opener, record_id, ref = {
        "task": (tasks.get_task, t.id, t.reference),
        "source": (sources.get_source, src.id, f"{t.reference}/S1"),
        "finding": (findings.get_finding, f.id, f"{t.reference}/F1"),
        "entity": (entities.get_entity, e.id, f"E{e.id}"),
    }[kind]
    before = head_seq(ws)
    opener(ws, record_id, justification="reviewing")
    (ev,) = new_events(ws, before)
    assert ev["action"] == "consultation"
    assert (ev["record_type"], ev["record_id"], ev["record_ref"]) == (kind, record_id, ref)
    assert ev["justification"] == "reviewing"


def test_listing_records_is_not_a_consultation(ws):
    t = tasks.create_task(ws, task_draft())
    sources.create_source(ws, t.id, source_draft())
    before = events(ws)
    tasks.list_tasks(ws)
    sources.list_sources(ws, t.id)
    findings.list_findings(ws, t.id)
    entities.list_entities(ws)
    assert events(ws) == before


def test_mentioning_an_entity_is_logged_as_combination_once(ws):
    t = tasks.create_task(ws, task_draft())
    src = sources.create_source(ws, t.id, source_draft())
    e = entities.create_entity(ws, entities.EntityDraft("person", "John Smith"))
    before = head_seq(ws)
    entities.mention(ws, e.id, source_id=src.id)
    (ev,) = new_events(ws, before)
    assert ev["action"] == "combination"
    assert (ev["record_type"], ev["record_id"], ev["record_ref"]) == ("entity", e.id, f"E{e.id}")
    assert json.loads(ev["details"]) == {"mentioned_in": f"{t.reference}/S1"}
    # Mentioning again changes nothing and logs nothing.
    entities.mention(ws, e.id, source_id=src.id)
    assert head_seq(ws) == before + 1


def test_erase_task_is_logged_as_erasure_with_justification(ws):
    t = tasks.create_task(ws, task_draft())
    sources.create_source(ws, t.id, source_draft())
    before = head_seq(ws)
    tasks.erase_task(ws, t.id, justification="Retention review 2026: no longer necessary")
    (ev,) = new_events(ws, before)
    assert ev["action"] == "erasure"
    assert (ev["record_type"], ev["record_id"], ev["record_ref"]) == ("task", t.id, t.reference)
    assert ev["justification"] == "Retention review 2026: no longer necessary"
    assert json.loads(ev["details"]) == {"sources": 1, "findings": 0}
    assert count(ws, "task") == 0
    assert count(ws, "source") == 0


def test_erase_entity_is_logged_as_erasure_with_justification(ws):
    e = entities.create_entity(ws, entities.EntityDraft("phone", "07700 900123"))
    before = head_seq(ws)
    entities.erase_entity(ws, e.id, justification="Wrongly attributed number")
    (ev,) = new_events(ws, before)
    assert ev["action"] == "erasure"
    assert (ev["record_type"], ev["record_id"], ev["record_ref"]) == ("entity", e.id, f"E{e.id}")
    assert ev["justification"] == "Wrongly attributed number"
    assert "07700" not in ev["details"]
    assert count(ws, "entity") == 0


def test_erasure_without_justification_is_refused_and_not_logged(ws):
    t = tasks.create_task(ws, task_draft())
    e = entities.create_entity(ws, entities.EntityDraft("person", "John Smith"))
    before = events(ws)
    with pytest.raises(ValidationError) as exc:
        tasks.erase_task(ws, t.id, justification="   ")
    assert [err.field for err in exc.value.errors] == ["justification"]
    with pytest.raises(ValidationError):
        entities.erase_entity(ws, e.id, justification="")
    assert events(ws) == before
    assert (count(ws, "task"), count(ws, "entity")) == (1, 1)


def test_record_and_its_event_commit_together(ws):
    """If the audit event cannot be written, the change it records is not written either."""
    t = tasks.create_task(ws, task_draft())
    with raw(ws) as con:
        con.execute(
            "CREATE TRIGGER test_block_audit BEFORE INSERT ON audit_event "
            "BEGIN SELECT RAISE(ABORT, 'audit blocked by test'); END"
        )
    before = events(ws)
    with pytest.raises(sqlalchemy.exc.IntegrityError, match="audit blocked"):
        tasks.create_task(ws, task_draft("Second"))
    with pytest.raises(sqlalchemy.exc.IntegrityError, match="audit blocked"):
        tasks.erase_task(ws, t.id, justification="retention")
    with pytest.raises(sqlalchemy.exc.IntegrityError, match="audit blocked"):
        tasks.update_task(ws, t.id, title="Changed")
    assert events(ws) == before
    with ws.engine.connect() as conn:
        assert conn.execute(text("SELECT title FROM task")).scalars().all() == [
            "County lines activity in Northtown"
        ]
        # The reference number taken inside the failed transaction was given back.
        assert conn.execute(text("SELECT last FROM reference_counter")).scalar_one() == 1
        head = conn.execute(text("SELECT audit_head_seq FROM workspace")).scalar_one()
    assert head == before[-1]["seq"]


# --- what every event carries -------------------------------------------------------------
def test_events_carry_utc_time_analyst_os_user_and_record(ws):
    start = dt.datetime.now(dt.UTC)
    t = tasks.create_task(ws, task_draft())
    tasks.get_task(ws, t.id)
    end = dt.datetime.now(dt.UTC)
    rows = events(ws)
    assert [r["seq"] for r in rows] == [1, 2, 3]
    assert (rows[0]["record_type"], rows[0]["record_id"], rows[0]["action"]) == (
        "workspace",
        1,
        "collection",
    )
    assert rows[0]["record_ref"] == ws.path.name
    for row in rows[1:]:
        at = dt.datetime.fromisoformat(row["at"])
        assert at.utcoffset() == dt.timedelta(0)
        assert start <= at <= end
        assert row["analyst"] == ANALYST == ws.analyst
        assert row["os_user"] == ws.os_user
        assert row["os_user"]
        assert (row["record_type"], row["record_id"], row["record_ref"]) == (
            "task",
            t.id,
            t.reference,
        )
    assert rows[1]["at"] <= rows[2]["at"]


def test_each_event_chains_from_the_previous_one(ws):
    populate(ws, 2)
    rows = events(ws)
    assert rows[0]["prev_hash"] == audit.GENESIS
    for prev, row in itertools.pairwise(rows):
        assert row["prev_hash"] == prev["hash"]
    for row in rows:
        assert audit.chain_hash(row["prev_hash"], row) == row["hash"]
    with ws.engine.connect() as conn:
        head = conn.execute(text("SELECT audit_head_seq, audit_head_hash FROM workspace")).one()
    assert tuple(head) == (rows[-1]["seq"], rows[-1]["hash"])


# --- append-only ------------------------------------------------------------------------
def test_direct_update_of_an_event_is_refused(ws):
    before = events(ws)
    with raw(ws) as con, pytest.raises(sqlcipher3.DatabaseError, match="append-only"):
        con.execute("UPDATE audit_event SET analyst = 'Mallory' WHERE seq = 1")
    assert events(ws) == before


def test_direct_delete_of_an_event_is_refused(ws):
    populate(ws, 1)
    before = events(ws)
    with raw(ws) as con, pytest.raises(sqlcipher3.DatabaseError, match="append-only"):
        con.execute("DELETE FROM audit_event WHERE seq = 2")
    with raw(ws) as con, pytest.raises(sqlcipher3.DatabaseError, match="append-only"):
        con.execute("DELETE FROM audit_event")
    assert events(ws) == before


# --- tamper detection -------------------------------------------------------------------
def test_untouched_chain_verifies_ok_with_event_count(ws):
    n = populate(ws, 3)
    assert n == 7
    report = workspace.verify(ws)
    assert report.ok is True
    assert report.integrity == ()
    assert report.chain.events == n
    assert report.chain.head_seq == n
    assert report.chain.problems == ()
    assert report.chain.first_problem is None


@pytest.mark.parametrize(
    ("column", "value"),
    [("analyst", "Mallory"), ("action", "consultation"), ("details", '{"x":1}'), ("at", "x")],
)
def test_verify_names_first_edited_event(ws, column, value):
    populate(ws)
    with raw(ws) as con:
        drop_triggers(con)
        con.execute(f"UPDATE audit_event SET {column} = ? WHERE seq = 4", (value,))  # noqa: S608
        con.execute("UPDATE audit_event SET record_ref = 'forged' WHERE seq = 7")
    check_problem(ws, 4, "edited")
    kinds = [(p.seq, p.kind) for p in workspace.verify(ws).chain.problems]
    assert kinds == [(4, "edited"), (7, "edited")]


def test_verify_detects_edited_hash_link(ws):
    populate(ws)
    with raw(ws) as con:
        drop_triggers(con)
        con.execute("UPDATE audit_event SET prev_hash = ? WHERE seq = 5", ("f" * 64,))
    check_problem(ws, 5, "edited")


def test_verify_names_deleted_event(ws):
    populate(ws)
    with raw(ws) as con:
        drop_triggers(con)
        con.execute("DELETE FROM audit_event WHERE seq = 4")
    check_problem(ws, 4, "deleted")
    assert workspace.verify(ws).chain.events == 8


def test_verify_names_first_of_several_deleted_events(ws):
    populate(ws)
    with raw(ws) as con:
        drop_triggers(con)
        con.execute("DELETE FROM audit_event WHERE seq IN (3, 4, 5)")
    check_problem(ws, 3, "deleted")
    assert "#5" in workspace.verify(ws).chain.first_problem.message


def test_verify_detects_deleted_first_event(ws):
    populate(ws)
    with raw(ws) as con:
        drop_triggers(con)
        con.execute("DELETE FROM audit_event WHERE seq = 1")
    check_problem(ws, 1, "deleted")


def test_verify_detects_events_cut_from_the_end(ws):
    n = populate(ws)
    with raw(ws) as con:
        drop_triggers(con)
        con.execute("DELETE FROM audit_event WHERE seq = ?", (n,))
    check_problem(ws, n, "deleted")
    with raw(ws) as con:
        con.execute("DELETE FROM audit_event WHERE seq = ?", (n - 1,))
    check_problem(ws, n - 1, "deleted")
    assert f"#{n}" in workspace.verify(ws).chain.first_problem.message


def test_verify_detects_the_whole_trail_deleted(ws):
    populate(ws)
    with raw(ws) as con:
        drop_triggers(con)
        con.execute("DELETE FROM audit_event")
    check_problem(ws, 1, "deleted")


def _forged_fields(**overrides) -> dict:
    fields = {
        "at": dt.datetime.now(dt.UTC).isoformat(timespec="microseconds"),
        "analyst": ANALYST,
        "os_user": "someone",
        "action": "consultation",
        "record_type": "task",
        "record_id": 1,
        "record_ref": "TX-2000-0001",
        "justification": "",
        "recipient": "",
        "details": "{}",
    }
    fields.update(overrides)
    return fields


def _insert(con, seq: int, prev_hash: str, fields: dict) -> None:
    digest = audit.chain_hash(prev_hash, fields)
    names = ["seq", *fields, "prev_hash", "hash"]
    con.execute(
        f"INSERT INTO audit_event ({', '.join(names)}) "  # noqa: S608
        f"VALUES ({', '.join('?' for _ in names)})",
        (seq, *fields.values(), prev_hash, digest),
    )


def test_verify_names_event_inserted_in_the_middle(ws):
    k = 4
    populate(ws)
    prev_hash = events(ws)[k - 2]["hash"]  # event k-1
    with raw(ws) as con:
        drop_triggers(con)
        # Shift through a temporary offset so the primary key never clashes.
        con.execute("UPDATE audit_event SET seq = seq + 1000 WHERE seq >= ?", (k,))
        con.execute("UPDATE audit_event SET seq = seq - 999 WHERE seq >= ?", (1000 + k,))
        _insert(con, k, prev_hash, _forged_fields())
    check_problem(ws, k, "inserted")
    assert workspace.verify(ws).chain.events == 10


def test_verify_names_reordered_events(ws):
    populate(ws)
    with raw(ws) as con:
        drop_triggers(con)
        con.execute("UPDATE audit_event SET seq = -1 WHERE seq = 4")
        con.execute("UPDATE audit_event SET seq = 4 WHERE seq = 5")
        con.execute("UPDATE audit_event SET seq = 5 WHERE seq = -1")
    check_problem(ws, 4, "reordered")


def test_verify_names_event_appended_past_the_recorded_head(ws):
    n = populate(ws)
    last_hash = events(ws)[-1]["hash"]
    with raw(ws) as con:
        # Appending needs no trigger dropped: the recorded head is what catches it.
        _insert(con, n + 1, last_hash, _forged_fields())
    check_problem(ws, n + 1, "inserted")


def test_chain_keeps_verifying_after_more_writes(ws):
    populate(ws)
    t = tasks.create_task(ws, task_draft())
    tasks.erase_task(ws, t.id, justification="entered in error")
    report = workspace.verify(ws)
    assert report.ok
    assert report.chain.events == 11
