"""Exchange bundles between real encrypted workspaces: everything arrives (files byte for
byte, extracted text searchable), a second import duplicates nothing, a change on one side
updates the other, a change on both is a conflict resolved either way, a cancel leaves the
workspace as it was, and the audit trails say what happened. All data is invented."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from conftest import ANALYST, PASSPHRASE
from sqlalchemy import text

from toexdesk.core import errors
from toexdesk.core.extract import Extractor
from toexdesk.core.services import attachments, bundles, entities, findings, sources, tasks
from toexdesk.core.services import search as search_svc
from toexdesk.core.services import workspace as workspace_svc
from toexdesk.core.store.bundle_file import KdfParams
from toexdesk.core.store.engine import create_workspace

BUNDLE_PASSPHRASE = "hand-off passphrase 4417"
FAST = KdfParams(time_cost=1, memory_kib=64, parallelism=1)  # tests only: quick to derive
NOTE = "Interview note: Dritë Hoxha rang 07700 900123 about the KESTREL address.\n"
TABLES = (
    "task",
    "source",
    "finding",
    "finding_source",
    "entity",
    "source_entity",
    "finding_entity",
    "attachment",
    "attachment_text",
    "blob",
    "blob_chunk",
    "research_log",
    "schedule_item",
    "received_event",
    "audit_event",
    "exchange_state",
)
HOSTILE = (
    '=HYPERLINK("http://x") \'; DROP TABLE task;-- <b>bold</b> \u202egnp.exe '
    "line\nbreak \u00a0 Łukasz 🚓 %s {0} \\x00"
)


def count(ws, table: str) -> int:
    with ws.engine.connect() as conn:
        return conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()  # noqa: S608


def snapshot(ws) -> dict[str, int]:
    return {table: count(ws, table) for table in TABLES}


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def task_by_uid(ws, uid: str) -> tasks.TaskInfo:
    return next(t for t in tasks.list_tasks(ws, include_archived=True) if t.uid == uid)


def send(ws, task_ids, out: Path, **kw) -> bundles.BundleResult:
    return bundles.write_bundle(ws, task_ids, out, BUNDLE_PASSPHRASE, kdf=FAST, **kw)


def receive(ws, path: Path, resolutions=None, **kw) -> bundles.ImportReport:
    return bundles.import_bundle(ws, path, BUNDLE_PASSPHRASE, resolutions, **kw)


def events(ws, action: str) -> list[dict]:
    with ws.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT * FROM audit_event WHERE action = :a ORDER BY seq"), {"a": action}
        )
        return [dict(r._mapping) for r in rows]


@pytest.fixture(scope="module")
def extractor():
    with Extractor(files_per_helper=50) as shared:
        yield shared


@pytest.fixture
def sent(demo_ws, tmp_path, extractor):
    """Two demo tasks, one of them with captured files (one file on two sources)."""
    first, second = tasks.list_tasks(demo_ws)[:2]
    src = sources.list_sources(demo_ws, first.id)
    folder = tmp_path / "files"
    folder.mkdir()
    note = folder / "note.txt"
    note.write_text(NOTE * 40, encoding="utf-8")
    payload = folder / "bytes.bin"
    payload.write_bytes(bytes(range(256)) * 9000)  # > 2 MB: several chunks
    for path in (note, payload):
        result = attachments.capture_file(demo_ws, src[0].id, path, extractor=extractor)
        assert result.ok, result.message
    assert attachments.capture_file(demo_ws, src[1].id, note, extractor=extractor).ok
    return first, second


# --- round trip ---------------------------------------------------------------------------
def test_everything_arrives_and_the_files_are_byte_identical(demo_ws, ws, sent, tmp_path):
    first, second = sent
    out = tmp_path / "handoff.toexb"
    result = send(demo_ws, [first.id, second.id], out, recipient="DS Ada Rowe", purpose="Review")
    assert result.task_references == (first.reference, second.reference)
    assert result.counts["attachments"] == 3 and out.is_file()

    preview = bundles.preview_bundle(ws, out, BUNDLE_PASSPHRASE)
    assert {i.action for i in preview.items} == {"new"} and not preview.conflicts
    assert preview.sender_workspace and preview.anchor == result.anchor
    report = receive(ws, out)
    assert report.changed and tuple(t.reference for t in report.tasks) == result.task_references

    for sent_task in sent:
        here = task_by_uid(ws, sent_task.uid)
        assert (here.reference, here.title, here.tags) == (
            sent_task.reference,
            sent_task.title,
            sent_task.tags,
        )
        theirs = sources.list_sources(demo_ws, sent_task.id, include_archived=True)
        mine = sources.list_sources(ws, here.id, include_archived=True)
        key = lambda s: (s.uid, s.number, s.title, s.grading, s.description)  # noqa: E731
        assert sorted(map(key, theirs)) == sorted(map(key, mine))
        f_theirs = findings.list_findings(demo_ws, sent_task.id, include_archived=True)
        f_mine = findings.list_findings(ws, here.id, include_archived=True)
        cites = lambda f: (f.uid, f.text, sorted(c.number for c in f.citations))  # noqa: E731
        assert sorted(map(cites, f_theirs)) == sorted(map(cites, f_mine))

    here_first = task_by_uid(ws, first.uid)
    for src in sources.list_sources(ws, here_first.id):
        theirs_src = next(s for s in sources.list_sources(demo_ws, first.id) if s.uid == src.uid)
        for att in attachments.list_attachments(ws, src.id):
            original = next(
                a for a in attachments.list_attachments(demo_ws, theirs_src.id) if a.uid == att.uid
            )
            assert b"".join(attachments.read_attachment(ws, att.id)) == b"".join(
                attachments.read_attachment(demo_ws, original.id)
            )
            assert att.sha256 == original.sha256
    assert count(ws, "blob") == 2  # the note on two sources is stored once
    hits = search_svc.search(ws, "Hoxha KESTREL")
    assert any(h.record_type == "attachment" for h in hits)
    mentioned = {e.uid for e in entities.list_entities(ws)}
    assert mentioned and mentioned <= {e.uid for e in entities.list_entities(demo_ws)}
    assert workspace_svc.verify(ws).ok


def test_the_trails_record_disclosure_there_and_combination_here(demo_ws, ws, sent, tmp_path):
    first, second = sent
    out = tmp_path / "handoff.toexb"
    result = send(demo_ws, [first.id, second.id], out, recipient="DS Ada Rowe", purpose="Review")
    disclosed = [
        e for e in events(demo_ws, "disclosure") if json.loads(e["details"])["format"] == "toexb"
    ]
    assert [e["record_ref"] for e in disclosed] == [first.reference, second.reference]
    assert {(e["recipient"], e["justification"]) for e in disclosed} == {("DS Ada Rowe", "Review")}
    details = json.loads(disclosed[0]["details"])
    assert details["sha256"] == result.sha256 == digest(out)
    assert f"#{details['anchor_seq']} {details['anchor_hash']}" == result.anchor
    assert count(demo_ws, "exchange_state") == sum(
        v for k, v in result.counts.items() if k != "audit_events"
    )

    report = receive(ws, out)
    combined = events(ws, "combination")
    task_events = [e for e in combined if e["record_type"] == "task"]
    assert [e["record_ref"] for e in task_events] == [first.reference, second.reference]
    sender = json.loads(task_events[0]["details"])
    assert sender["from_workspace"] == report.sender_workspace and sender["task"] == "new"
    assert sender["counts"]["source:new"] == first.source_count
    # Counts and ids only: no title or text of a record in any event written here.
    for e in combined:
        assert first.title not in e["details"] and NOTE.strip() not in e["details"]
    assert count(ws, "received_event") == result.counts["audit_events"]
    assert workspace_svc.verify(ws).ok and workspace_svc.verify(demo_ws).ok


def test_importing_twice_duplicates_nothing_and_changes_nothing(demo_ws, ws, sent, tmp_path):
    out = tmp_path / "handoff.toexb"
    send(demo_ws, [t.id for t in sent], out)
    receive(ws, out)
    before = snapshot(ws)
    again = receive(ws, out)
    assert not again.changed
    assert again.summary_lines() == ["Nothing to import: everything in the bundle is already here."]
    assert snapshot(ws) == before
    preview = bundles.preview_bundle(ws, out, BUNDLE_PASSPHRASE)
    assert {i.action for i in preview.items} == {"unchanged"}


def test_preview_touches_nothing(demo_ws, ws, sent, tmp_path):
    out = tmp_path / "handoff.toexb"
    send(demo_ws, [sent[0].id], out)
    ws.close()
    before = digest(ws.path)
    from toexdesk.core.store.engine import open_workspace

    with open_workspace(ws.path, PASSPHRASE) as reopened:
        bundles.preview_bundle(reopened, out, BUNDLE_PASSPHRASE)
    assert digest(ws.path) == before


# --- changes on one side, on both ---------------------------------------------------------
@pytest.fixture
def pair(demo_ws, ws, tmp_path):
    """The demo's first task, sent to ``ws`` and received there."""
    task = tasks.list_tasks(demo_ws)[0]
    out = tmp_path / "first.toexb"
    send(demo_ws, [task.id], out)
    receive(ws, out)
    return task, task_by_uid(ws, task.uid)


def first_source(ws, task_id):
    return sources.list_sources(ws, task_id)[0]


def test_a_change_on_one_side_updates_the_other_without_conflict(demo_ws, ws, pair, tmp_path):
    theirs_task, mine_task = pair
    src = first_source(ws, mine_task.id)
    sources.update_source(ws, src.id, title="Custody record, re-read")
    tasks.update_task(ws, mine_task.id, gaps="No partner data yet")
    back = tmp_path / "back.toexb"
    send(ws, [mine_task.id], back)

    preview = bundles.preview_bundle(demo_ws, back, BUNDLE_PASSPHRASE)
    updates = {i.kind for i in preview.items if i.action == "update"}
    assert updates == {"source", "task"} and not preview.conflicts
    receive(demo_ws, back)
    there = next(s for s in sources.list_sources(demo_ws, theirs_task.id) if s.uid == src.uid)
    assert there.title == "Custody record, re-read"
    assert task_by_uid(demo_ws, theirs_task.uid).gaps == "No partner data yet"

    # The other way: an edit there arrives here, still without a conflict.
    sources.update_source(demo_ws, there.id, description="Seen again on 3 March")
    again = tmp_path / "again.toexb"
    send(demo_ws, [theirs_task.id], again)
    receive(ws, again)
    assert sources.list_sources(ws, mine_task.id)[0].description == "Seen again on 3 March"
    assert workspace_svc.verify(ws).ok and workspace_svc.verify(demo_ws).ok


def test_a_change_only_here_is_kept_when_theirs_did_not_change(demo_ws, ws, pair, tmp_path):
    theirs_task, mine_task = pair
    src = first_source(ws, mine_task.id)
    sources.update_source(ws, src.id, title="Mine, edited")
    stale = tmp_path / "stale.toexb"
    send(demo_ws, [theirs_task.id], stale)  # their copy is still the one exchanged
    preview = bundles.preview_bundle(ws, stale, BUNDLE_PASSPHRASE)
    assert [i.action for i in preview.items if i.uid == src.uid] == ["keep"]
    receive(ws, stale)
    assert first_source(ws, mine_task.id).title == "Mine, edited"


@pytest.mark.parametrize("choice", ["mine", "theirs"])
def test_a_change_on_both_sides_is_a_conflict_resolved_as_chosen(
    demo_ws, ws, pair, tmp_path, choice
):
    theirs_task, mine_task = pair
    src = first_source(ws, mine_task.id)
    there = next(s for s in sources.list_sources(demo_ws, theirs_task.id) if s.uid == src.uid)
    sources.update_source(ws, src.id, title="Edited here")
    sources.update_source(demo_ws, there.id, title="Edited there")
    out = tmp_path / "both.toexb"
    send(demo_ws, [theirs_task.id], out)

    preview = bundles.preview_bundle(ws, out, BUNDLE_PASSPHRASE)
    (conflict,) = preview.conflicts
    assert conflict.uid == src.uid and conflict.kind == "source"
    assert ("title", "Edited here", "Edited there") in conflict.differences
    before = snapshot(ws)
    with pytest.raises(bundles.UnresolvedConflicts, match="1 record changed both here"):
        receive(ws, out)
    assert snapshot(ws) == before

    report = receive(ws, out, {src.uid: choice})
    expected = "Edited here" if choice == "mine" else "Edited there"
    assert first_source(ws, mine_task.id).title == expected
    key = "source:kept mine" if choice == "mine" else "source:took theirs"
    assert report.totals[key] == 1
    # Resolved: the same bundle again is no conflict any more.
    assert not bundles.preview_bundle(ws, out, BUNDLE_PASSPHRASE).conflicts
    assert workspace_svc.verify(ws).ok


def test_an_erased_task_is_not_brought_back(demo_ws, ws, pair, tmp_path):
    theirs_task, mine_task = pair
    tasks.erase_task(ws, mine_task.id, justification="Retention review: no longer needed")
    out = tmp_path / "again.toexb"
    send(demo_ws, [theirs_task.id], out)
    preview = bundles.preview_bundle(ws, out, BUNDLE_PASSPHRASE)
    assert {i.action for i in preview.items if i.kind != "entity"} == {"skip"}
    receive(ws, out)
    assert all(t.uid != theirs_task.uid for t in tasks.list_tasks(ws, include_archived=True))


# --- references and numbers ---------------------------------------------------------------
def test_a_taken_reference_gets_a_new_one_and_the_preview_says_so(demo_ws, ws, tmp_path):
    local = tasks.create_task(ws, tasks.TaskDraft("Local work", "DS Local", "ocg"))
    theirs = next(t for t in tasks.list_tasks(demo_ws) if t.reference == local.reference)
    out = tmp_path / "clash.toexb"
    send(demo_ws, [theirs.id], out)
    preview = bundles.preview_bundle(ws, out, BUNDLE_PASSPHRASE)
    (task_item,) = [i for i in preview.items if i.kind == "task"]
    assert f"{local.reference} is taken here" in task_item.note
    report = receive(ws, out)
    (imported,) = report.tasks
    assert imported.reference != local.reference and imported.reference_in_bundle == local.reference
    assert task_by_uid(ws, theirs.uid).reference == imported.reference
    # The counter moved past it: the next local task takes a fresh reference.
    nxt = tasks.create_task(ws, tasks.TaskDraft("Next", "DS Local", "ocg"))
    assert nxt.reference not in {local.reference, imported.reference}


def test_hostile_strings_cross_unchanged(ws, tmp_path):
    other = create_workspace(tmp_path / "other.toex", PASSPHRASE, ANALYST)
    try:
        task = tasks.create_task(
            other, tasks.TaskDraft(HOSTILE[:300], "=cmd|' /C calc'!A0", "other", gaps=HOSTILE)
        )
        draft = sources.SourceDraft(HOSTILE[:300], "open_source", "2", "C", "P")
        sources.create_source(other, task.id, draft)
        out = tmp_path / "hostile.toexb"
        send(other, [task.id], out)
        assert b"DROP TABLE" not in out.read_bytes() and b"calc" not in out.read_bytes()
        receive(ws, out)
    finally:
        other.close()
    here = task_by_uid(ws, task.uid)
    assert here.title == HOSTILE[:300].strip() and here.gaps == HOSTILE.strip()
    assert here.requester == "=cmd|' /C calc'!A0"
    assert sources.list_sources(ws, here.id)[0].title == HOSTILE[:300].strip()


# --- cancel and refusals ------------------------------------------------------------------
def test_cancel_mid_import_leaves_the_workspace_unchanged(demo_ws, ws, sent, tmp_path):
    out = tmp_path / "handoff.toexb"
    send(demo_ws, [t.id for t in sent], out)
    ws.close()
    before = digest(ws.path)
    from toexdesk.core.store.engine import open_workspace

    reached: list[str] = []

    def progress(done: int, total: int, message: str) -> None:
        reached.append(message)

    def cancelled() -> bool:  # once tasks, sources and findings are written, at the files
        return any("attachments" in message for message in reached)

    with open_workspace(ws.path, PASSPHRASE) as reopened:
        with pytest.raises(errors.Cancelled):
            receive(reopened, out, progress=progress, cancelled=cancelled)
        assert "Importing findings…" in reached
        assert count(reopened, "task") == 0 and count(reopened, "blob") == 0
        assert workspace_svc.verify(reopened).ok
    assert digest(ws.path) == before


def test_cancel_while_writing_leaves_no_file(demo_ws, sent, tmp_path):
    out = tmp_path / "handoff.toexb"
    before = len(events(demo_ws, "disclosure"))
    with pytest.raises(errors.Cancelled):
        send(demo_ws, [t.id for t in sent], out, cancelled=lambda: True)
    assert list(tmp_path.glob("*.toexb")) == [] and list(tmp_path.glob(".toex-*")) == []
    assert len(events(demo_ws, "disclosure")) == before


def test_the_bundle_passphrase_must_be_strong_and_not_the_workspaces(demo_ws, tmp_path):
    task = tasks.list_tasks(demo_ws)[0]
    for weak in ("short", PASSPHRASE):
        with pytest.raises(errors.PassphraseRejected):
            bundles.write_bundle(demo_ws, [task.id], tmp_path / "x.toexb", weak, kdf=FAST)
    assert not (tmp_path / "x.toexb").exists()


def test_an_existing_file_is_never_replaced_silently(demo_ws, tmp_path):
    task = tasks.list_tasks(demo_ws)[0]
    out = tmp_path / "x.toexb"
    out.write_bytes(b"someone else's file")
    with pytest.raises(errors.ExportFailed, match="already exists"):
        send(demo_ws, [task.id], out)
    assert out.read_bytes() == b"someone else's file"
    send(demo_ws, [task.id], out, overwrite=True)
    assert out.read_bytes().startswith(b"TOEXBNDL")


def test_a_bundle_needs_its_suffix_and_a_task(demo_ws, tmp_path):
    task = tasks.list_tasks(demo_ws)[0]
    with pytest.raises(errors.ExportFailed, match=r"\.toexb"):
        send(demo_ws, [task.id], tmp_path / "x.zip")
    with pytest.raises(errors.ValidationError, match="at least one task"):
        send(demo_ws, [], tmp_path / "x.toexb")
    with pytest.raises(errors.RecordNotFound):
        send(demo_ws, [999_999], tmp_path / "x.toexb")
    assert list(tmp_path.iterdir()) == [demo_ws.path] or not list(tmp_path.glob("*.toexb"))


# --- what travels besides the records -----------------------------------------------------
def test_schedule_items_and_research_log_travel_and_merge_by_number(demo_ws, ws, tmp_path):
    from toexdesk.core.enums import CheckOutcome, LogKind, ScheduleItemKind
    from toexdesk.core.model import ResearchLogEntry, ScheduleItem, Task
    from toexdesk.core.store.engine import session_scope

    task = tasks.list_tasks(demo_ws)[0]
    src = sources.list_sources(demo_ws, task.id)
    with session_scope(demo_ws) as s:
        entry = ResearchLogEntry(
            task_id=task.id,
            analyst=ANALYST,
            kind=LogKind.SYSTEM_CHECK,
            system="PNC",
            detail="Name and date of birth",
            outcome=CheckOutcome.NIL_RETURN,
        )
        s.add(entry)
        s.flush()
        s.add_all(
            [
                ScheduleItem(
                    task_id=task.id, number=1, kind=ScheduleItemKind.SOURCE, item_uid=src[0].uid
                ),
                ScheduleItem(
                    task_id=task.id, number=2, kind=ScheduleItemKind.LOG_ENTRY, item_uid=entry.uid
                ),
            ]
        )
        s.get(Task, task.id).last_schedule_number = 2
        log_uid = entry.uid
    out = tmp_path / "log.toexb"
    send(demo_ws, [task.id], out)
    report = receive(ws, out)
    assert report.schedule_items_added == 2
    with session_scope(ws, write=False) as s:
        here = s.scalar(select_task(task.uid))
        items = s.execute(text("SELECT number, item_uid FROM schedule_item ORDER BY number")).all()
        assert [tuple(i) for i in items] == [(1, src[0].uid), (2, log_uid)]
        assert here.last_schedule_number == 2
        (nil,) = [e for e in s.scalars(select_log(here.id)) if e.uid == log_uid]
        assert nil.outcome is CheckOutcome.NIL_RETURN and nil.system == "PNC"
    assert not receive(ws, out).changed


def select_task(uid):
    from sqlalchemy import select

    from toexdesk.core.model import Task

    return select(Task).where(Task.uid == uid)


def select_log(task_id):
    from sqlalchemy import select

    from toexdesk.core.model import ResearchLogEntry

    return select(ResearchLogEntry).where(ResearchLogEntry.task_id == task_id)


def workspace_uid(ws) -> str:
    with ws.engine.connect() as conn:
        return conn.execute(text("SELECT uid FROM workspace")).scalar_one()


def test_events_received_from_a_third_workspace_travel_on(demo_ws, ws, pair, tmp_path):
    theirs_task, mine_task = pair
    third = create_workspace(tmp_path / "third.toex", PASSPHRASE, "Third Analyst")
    try:
        out = tmp_path / "onward.toexb"
        send(ws, [mine_task.id], out)
        receive(third, out)
        with third.engine.connect() as conn:
            origins = set(
                conn.execute(text("SELECT DISTINCT origin_workspace FROM received_event")).scalars()
            )
        assert origins == {workspace_uid(demo_ws), workspace_uid(ws)}
        # And back to the first workspace: its own events are not received as another's.
        back = tmp_path / "back.toexb"
        send(third, [task_by_uid(third, theirs_task.uid).id], back)
        receive(demo_ws, back)
        with demo_ws.engine.connect() as conn:
            origins = set(
                conn.execute(text("SELECT DISTINCT origin_workspace FROM received_event")).scalars()
            )
        assert workspace_uid(demo_ws) not in origins
        assert origins == {workspace_uid(ws), workspace_uid(third)}
        assert workspace_svc.verify(third).ok and workspace_svc.verify(demo_ws).ok
    finally:
        third.close()


def test_changed_citations_tags_and_entities_update_the_other_side(demo_ws, ws, tmp_path):
    task = next(
        t
        for t in tasks.list_tasks(demo_ws)
        if any(len(f.citations) >= 2 for f in findings.list_findings(demo_ws, t.id))
    )
    out = tmp_path / "first.toexb"
    send(demo_ws, [task.id], out)
    receive(ws, out)
    here = task_by_uid(ws, task.uid)
    finding = next(f for f in findings.list_findings(ws, here.id) if len(f.citations) >= 2)
    kept = finding.citations[0]
    findings.update_finding(
        ws,
        finding.id,
        links=[(kept.source_id, "contradicts")],
        text="Rewritten here",
        tags=("reviewed",),
    )
    named = entities.list_entities(ws)[0]
    entities.update_entity(ws, named.id, notes="Seen at the KESTREL address")
    back = tmp_path / "back.toexb"
    send(ws, [here.id], back)
    report = receive(demo_ws, back)
    assert report.totals["finding:update"] == 1 and report.totals["entity:update"] == 1
    there = next(f for f in findings.list_findings(demo_ws, task.id) if f.uid == finding.uid)
    assert there.text == "Rewritten here" and there.tags == ("reviewed",)
    assert [(c.number, c.relation.value) for c in there.citations] == [(kept.number, "contradicts")]
    entity = next(e for e in entities.list_entities(demo_ws) if e.uid == named.uid)
    assert entity.notes == "Seen at the KESTREL address"
    assert not receive(demo_ws, back).changed
    assert workspace_svc.verify(demo_ws).ok
