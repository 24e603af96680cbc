"""The demo generator: fictional, seeded, reproducible, written through the services."""

from __future__ import annotations

import datetime as dt
import random
import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from toexdesk.core.demo import (
    DEMO_ANALYST,
    DEMO_PASSPHRASE,
    DemoCancelled,
    DemoStats,
    build_demo,
)
from toexdesk.core.enums import (
    EntityKind,
    HandlingCode,
    LinkRelation,
    Marking,
    Priority,
    SourceType,
    TaskStatus,
    Thematic,
)
from toexdesk.core.errors import ToexError, ValidationError
from toexdesk.core.model import AuditEvent, finding_entity, source_entity
from toexdesk.core.services import entities, findings, sources, tasks
from toexdesk.core.store import audit
from toexdesk.core.store.engine import create_workspace, session_scope

VIETNAMESE = set("ễầạặĐđơưăộờữõ")
CYRILLIC = re.compile(r"[\u0400-\u04FF]")
REFERENCE = re.compile(r"^(PND|LA|TEL|FIN|PRIS|HSR|DOC)-\d{4}-\d{5}$")


def _content(ws) -> dict[str, list[str]]:
    """What a reader sees, in the order the lists show it."""
    task_list = tasks.list_tasks(ws)
    return {
        "tasks": [t.title for t in task_list],
        "sources": [s.title for s in sources.list_sources(ws)],
        "findings": [f.text for t in task_list for f in findings.list_findings(ws, t.id)],
        "entities": [e.name for e in entities.list_entities(ws)],
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """One default demo build shared by the read-only tests, with its progress calls."""
    path = tmp_path_factory.mktemp("demo") / "demo.toex"
    ws = create_workspace(path, DEMO_PASSPHRASE, DEMO_ANALYST)
    calls: list[tuple[int, int, str]] = []
    stats = build_demo(ws, progress=lambda *call: calls.append(call))
    yield ws, stats, calls
    ws.close()


def test_default_build_has_the_asked_counts(built):
    ws, stats, _ = built
    assert stats.tasks == 8 and stats.sources == 60 and stats.findings == 40
    assert stats.entities == 30
    task_list = tasks.list_tasks(ws)
    assert len(task_list) == 8
    assert len(sources.list_sources(ws)) == 60
    assert sum(t.finding_count for t in task_list) == 40
    assert len(entities.list_entities(ws)) == 30
    assert stats.mentions > 0 and stats.citations >= 40


def test_every_thematic_status_priority_and_source_type_is_present(built):
    ws, _, _ = built
    task_list = tasks.list_tasks(ws)
    assert {t.thematic for t in task_list} == set(Thematic)
    assert {t.status for t in task_list} == set(TaskStatus)
    assert {t.priority for t in task_list} == set(Priority)
    assert {s.source_type for s in sources.list_sources(ws)} == set(SourceType)
    assert {e.kind for e in entities.list_entities(ws)} == set(EntityKind)
    assert all(t.research_questions.startswith("1. ") for t in task_list)


def test_due_dates_include_overdue_due_soon_and_later_tasks(built):
    ws, _, _ = built
    today = dt.date.today()
    task_list = tasks.list_tasks(ws)
    assert any(t.is_overdue(today) for t in task_list)
    assert any(t.is_due_soon(today) for t in task_list)
    assert any(t.status.is_open and t.due_date > today + dt.timedelta(days=6) for t in task_list)


def test_markings_are_mostly_official_with_some_official_sensitive(built):
    ws, _, _ = built
    task_markings = [t.marking for t in tasks.list_tasks(ws)]
    source_markings = [s.marking for s in sources.list_sources(ws)]
    for markings in (task_markings, source_markings):
        assert Marking.OFFICIAL_SENSITIVE in markings
        assert markings.count(Marking.OFFICIAL) > len(markings) / 2


def test_an_official_task_cites_an_official_sensitive_source(built):
    ws, _, _ = built
    raised = [
        t
        for t in tasks.list_tasks(ws)
        if t.marking is Marking.OFFICIAL
        and any(
            c.marking is Marking.OFFICIAL_SENSITIVE
            for f in findings.list_findings(ws, t.id)
            for c in f.citations
        )
    ]
    assert raised
    assert tasks.research_marking(ws, raised[0].id) is Marking.OFFICIAL_SENSITIVE


def test_sources_are_graded_and_conditions_go_with_handling_code_c(built):
    ws, _, _ = built
    source_list = sources.list_sources(ws)
    coded_c = [s for s in source_list if s.handling is HandlingCode.C]
    assert coded_c, "the demo should show handling code C"
    assert all(s.handling_conditions.strip() for s in coded_c)
    assert all(not s.handling_conditions for s in source_list if s.handling is HandlingCode.P)
    assert len({s.grading for s in source_list}) > 5
    today = dt.date.today()
    assert all(s.obtained_on is not None and s.obtained_on <= today for s in source_list)


def test_every_finding_cites_one_to_three_sources_of_its_own_task(built):
    ws, _, _ = built
    relations = set()
    for task in tasks.list_tasks(ws):
        own = {s.id for s in sources.list_sources(ws, task.id)}
        for finding in findings.list_findings(ws, task.id):
            assert 1 <= len(finding.citations) <= 3
            assert {c.source_id for c in finding.citations} <= own
            assert LinkRelation.SUPPORTS in {c.relation for c in finding.citations}
            relations |= {c.relation for c in finding.citations}
    assert relations == set(LinkRelation)


def test_phone_numbers_come_only_from_the_ofcom_drama_range(built):
    ws, _, _ = built
    phones = [e.name for e in entities.list_entities(ws, EntityKind.PHONE)]
    assert phones
    assert all(re.fullmatch(r"07700 900\d{3}", p) for p in phones)
    # Numbers written into texts are from the same range.
    texts = [s.description for s in sources.list_sources(ws)]
    for number in re.findall(r"\b07\d{3} ?\d{6}\b", " ".join(texts)):
        assert number.startswith("07700 900")


def test_names_cover_several_scripts(built):
    ws, _, _ = built
    people = [e.name for e in entities.list_entities(ws, EntityKind.PERSON)]
    assert any(VIETNAMESE & set(name) for name in people)
    assert any("ë" in name for name in people)
    assert any("ł" in name or "Ł" in name for name in people)
    assert any(CYRILLIC.search(name) for name in people)
    assert any(name.isascii() for name in people)


def test_references_urls_and_e_mail_use_only_fictional_or_reserved_names(built):
    ws, _, _ = built
    for s in sources.list_sources(ws):
        if s.reference.startswith("http"):
            host = urlsplit(s.reference).hostname or ""
            assert host.endswith(("example.org", "example.com")), s.reference
        else:
            assert REFERENCE.match(s.reference), s.reference
    accounts = [e.name for e in entities.list_entities(ws, EntityKind.ONLINE_ACCOUNT)]
    assert all(name.startswith("@") or name.endswith("@example.com") for name in accounts)
    vehicles = [e.name for e in entities.list_entities(ws, EntityKind.VEHICLE)]
    assert all(re.fullmatch(r"Z[A-Y]\d{2} [A-Y]{3}", v) for v in vehicles)


def test_entities_are_mentioned_in_findings_and_sources(built):
    ws, stats, _ = built
    with session_scope(ws, write=False) as s:
        in_findings = s.scalar(select(func.count()).select_from(finding_entity))
        in_sources = s.scalar(select(func.count()).select_from(source_entity))
    assert in_findings > 0 and in_sources > 0
    assert in_findings + in_sources == stats.mentions


def test_progress_is_reported_and_ends_with_done_equal_to_total(built):
    _, _, calls = built
    assert len(calls) >= 3
    totals = {total for _, total, _ in calls}
    assert totals == {30 + 8 + 60 + 40}
    dones = [done for done, _, _ in calls]
    assert dones == sorted(dones)
    assert calls[-1][0] == calls[-1][1]
    assert all(message for _, _, message in calls)


def test_demo_writes_a_sound_audit_trail(built):
    ws, _, _ = built
    with session_scope(ws, write=False) as s:
        report = audit.verify_chain(s)
    assert report.ok, report.first_problem
    # One collection event per record, plus mentions and status changes.
    assert report.events > 30 + 8 + 60 + 40


def test_same_seed_gives_the_same_content(built, tmp_path):
    first, _, _ = built
    ws = create_workspace(tmp_path / "demo.toex", DEMO_PASSPHRASE, DEMO_ANALYST)
    try:
        build_demo(ws)
        assert _content(ws) == _content(first)
    finally:
        ws.close()


def test_different_seed_gives_different_content(built, tmp_path):
    first, _, _ = built
    ws = create_workspace(tmp_path / "demo.toex", DEMO_PASSPHRASE, DEMO_ANALYST)
    try:
        build_demo(ws, seed=7)
        theirs, ours = _content(ws), _content(first)
        assert theirs["sources"] != ours["sources"]
        assert theirs["findings"] != ours["findings"]
        assert theirs["entities"] != ours["entities"]
    finally:
        ws.close()


def test_build_leaves_the_global_random_generator_alone(tmp_path):
    random.seed(12345)
    before = random.getstate()
    ws = create_workspace(tmp_path / "demo.toex", DEMO_PASSPHRASE, DEMO_ANALYST)
    try:
        build_demo(ws, tasks=2, sources=4, findings=2, entities=6)
    finally:
        ws.close()
    assert random.getstate() == before


def test_cancel_stops_the_build_between_tasks(tmp_path):
    asked = []

    def cancel() -> bool:
        asked.append(1)
        return len(asked) > 3  # before entities, task 1, task 2: go on; then stop

    ws = create_workspace(tmp_path / "demo.toex", DEMO_PASSPHRASE, DEMO_ANALYST)
    try:
        with pytest.raises(DemoCancelled) as caught:
            build_demo(ws, cancel=cancel)
        assert isinstance(caught.value, ToexError)
        assert "2 of 8" in str(caught.value)
        assert len(tasks.list_tasks(ws)) == 2
    finally:
        ws.close()


def test_cancel_before_anything_writes_nothing(tmp_path):
    ws = create_workspace(tmp_path / "demo.toex", DEMO_PASSPHRASE, DEMO_ANALYST)
    try:
        with pytest.raises(DemoCancelled):
            build_demo(ws, cancel=lambda: True)
        assert tasks.list_tasks(ws) == []
        assert entities.list_entities(ws) == []
    finally:
        ws.close()


def test_without_entities_texts_fall_back_to_unnamed_subjects(tmp_path):
    ws = create_workspace(tmp_path / "demo.toex", DEMO_PASSPHRASE, DEMO_ANALYST)
    try:
        stats = build_demo(ws, tasks=12, sources=300, findings=90, entities=0)
        assert stats == DemoStats(12, 300, 90, 0, stats.citations, 0)
        task_list = tasks.list_tasks(ws)
        assert sum(t.source_count for t in task_list) == 300
        assert sum(t.finding_count for t in task_list) == 90
        texts = [f.text for t in task_list for f in findings.list_findings(ws, t.id)]
        assert all("{" not in text and not text[0].islower() for text in texts)
        assert any("unidentified" in text or "unattributed" in text for text in texts)
    finally:
        ws.close()


def test_fewer_sources_than_tasks_still_builds(tmp_path):
    ws = create_workspace(tmp_path / "demo.toex", DEMO_PASSPHRASE, DEMO_ANALYST)
    try:
        stats = build_demo(ws, tasks=6, sources=3, findings=5, entities=4)
        assert (stats.tasks, stats.sources, stats.findings) == (6, 3, 5)
        for task in tasks.list_tasks(ws):
            if task.finding_count:
                assert task.source_count > 0
    finally:
        ws.close()


@pytest.mark.parametrize(
    "counts",
    [{"tasks": -1}, {"sources": -5}, {"tasks": 0, "sources": 3}, {"sources": 0, "findings": 2}],
)
def test_impossible_counts_are_rejected_before_writing(tmp_path, counts):
    ws = create_workspace(tmp_path / "demo.toex", DEMO_PASSPHRASE, DEMO_ANALYST)
    try:
        with pytest.raises(ValidationError):
            build_demo(ws, **counts)
        assert entities.list_entities(ws) == []
    finally:
        ws.close()


# create_findings is the bulk service the demo uses for large workspaces.
def _task_with_sources(ws, n: int = 2) -> tuple[int, list[int]]:
    task = tasks.create_task(ws, tasks.TaskDraft("Bulk", "DS Test", Thematic.OCG))
    drafts = [
        sources.SourceDraft(f"Source {i}", SourceType.DOCUMENT, "1", "A", "P") for i in range(n)
    ]
    sources.create_sources(ws, task.id, drafts)
    return task.id, [s.id for s in sources.list_sources(ws, task.id)]


def test_create_findings_writes_each_finding_with_its_own_audit_event(tmp_path):
    ws = create_workspace(tmp_path / "demo.toex", DEMO_PASSPHRASE, DEMO_ANALYST)
    try:
        task_id, (s1, s2) = _task_with_sources(ws)
        items = [
            (findings.FindingDraft("First", "likely"), [(s1, "supports")]),
            (findings.FindingDraft("Second", "unlikely"), [(s1, "context"), (s2, "supports")]),
        ]
        assert findings.create_findings(ws, task_id, items) == 2
        written = findings.list_findings(ws, task_id)
        assert [(f.label, f.text, len(f.citations)) for f in written] == [
            ("F1", "First", 1),
            ("F2", "Second", 2),
        ]
        with session_scope(ws, write=False) as s:
            refs = s.scalars(
                select(AuditEvent.record_ref).where(AuditEvent.record_type == "finding")
            ).all()
        assert sorted(refs) == [
            f"{written[0].task_reference}/F1",
            f"{written[0].task_reference}/F2",
        ]
    finally:
        ws.close()


def test_create_findings_writes_none_when_one_cites_another_tasks_source(tmp_path):
    ws = create_workspace(tmp_path / "demo.toex", DEMO_PASSPHRASE, DEMO_ANALYST)
    try:
        task_id, (s1, _) = _task_with_sources(ws)
        _, (foreign, _) = _task_with_sources(ws)
        items = [
            (findings.FindingDraft("Fine", "likely"), [(s1, "supports")]),
            (findings.FindingDraft("Wrong task", "likely"), [(foreign, "supports")]),
        ]
        with pytest.raises(ValidationError):
            findings.create_findings(ws, task_id, items)
        assert findings.list_findings(ws, task_id) == []
    finally:
        ws.close()


def test_citing_one_source_twice_is_a_validation_error_not_a_database_error(tmp_path):
    ws = create_workspace(tmp_path / "demo.toex", DEMO_PASSPHRASE, DEMO_ANALYST)
    try:
        task_id, (s1, _) = _task_with_sources(ws)
        twice = [(s1, "supports"), (s1, "context")]
        with pytest.raises(ValidationError, match="cited twice"):
            findings.create_finding(ws, task_id, findings.FindingDraft("Twice", "likely"), twice)
        with pytest.raises(ValidationError, match="cited twice"):
            findings.create_findings(
                ws, task_id, [(findings.FindingDraft("Twice", "likely"), twice)]
            )
        assert findings.list_findings(ws, task_id) == []
    finally:
        ws.close()
