"""`toexdesk capture` and `toexdesk search` as a script uses them: real processes over a
real workspace, one line per file or hit, exit codes and one-line errors."""

from __future__ import annotations

import json

import pytest
from conftest import PASSPHRASE
from test_cli import digest, one_error_line, run

from toexdesk.core.services import attachments, research_log, sources, tasks
from toexdesk.core.store.engine import open_workspace


@pytest.fixture
def case(ws, tmp_path):
    task = tasks.create_task(ws, tasks.TaskDraft("Kestrel line", "DS Rowe", "county_lines"))
    src = sources.create_source(
        ws, task.id, sources.SourceDraft("Partner return", "partner_agency", "2", "B", "P")
    )
    path = ws.path
    ws.close()
    note = tmp_path / "visit note.txt"
    note.write_text("Runner seen at LS1 4AP; handset 07700 900123.", encoding="utf-8")
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    return {"path": path, "ref": f"{task.reference}/S1", "task": task, "src": src, "note": note,
            "empty": empty}  # fmt: skip


def test_capture_prints_a_line_per_file_and_fails_only_the_bad_one(case):
    ws_path, note, empty = str(case["path"]), case["note"], case["empty"]
    proc = run("capture", ws_path, case["ref"], str(note), str(empty), str(note),
               "--obtained-from", "Partner portal PP-1", "--exhibit", "EX/7")  # fmt: skip
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == [
        f"{note}\tstored",
        f"{empty}\tfailed: Empty file (0 bytes): nothing to capture",
        f"{note}\tduplicate (already on this source: nothing changed)",
    ]
    assert "1 of 3 files could not be captured" in one_error_line(proc)
    with open_workspace(case["path"], PASSPHRASE) as ws:
        (info,) = attachments.list_attachments(ws, case["src"].id)
        assert info.original_name == "visit note.txt" and info.exhibit_ref == "EX/7"
        assert info.obtained_from == "Partner portal PP-1"
    proc = run("capture", ws_path, case["ref"], str(note))  # all fine: exit 0
    assert proc.returncode == 0 and proc.stdout.endswith("nothing changed)\n")


@pytest.mark.parametrize(
    ("ref", "said"),
    [
        ("TX-2026-9999/S1", "There is no task TX-2026-9999"),
        ("not a ref", "is not a task or source reference"),
    ],
)
def test_capture_to_a_missing_source_changes_nothing(case, ref, said):
    before = digest(case["path"])
    proc = run("capture", str(case["path"]), ref, str(case["note"]))
    assert proc.returncode == 1 and said in one_error_line(proc)
    assert digest(case["path"]) == before


def test_capture_onto_a_task_asks_for_a_source(case):
    proc = run("capture", str(case["path"]), case["task"].reference, str(case["note"]))
    assert proc.returncode == 1 and "give a source" in one_error_line(proc)


def test_search_finds_captured_text_and_logs_a_task_search(case):
    ws_path = str(case["path"])
    assert run("capture", ws_path, case["ref"], str(case["note"])).returncode == 0
    proc = run("search", ws_path, "runner seen")
    assert proc.returncode == 0, proc.stderr
    (line,) = proc.stdout.splitlines()
    assert line.startswith("Attachment") and "[Runner] [seen]" in line
    proc = run("search", ws_path, "900123", "--task", case["task"].reference, "--json")
    hits = json.loads(proc.stdout)
    assert [(h["type"], h["label"]) for h in hits] == [("attachment", case["ref"])]
    start, end = hits[0]["highlights"][0]
    assert hits[0]["snippet"][start:end] == "900123"
    proc = run("search", ws_path, "nothing like this", "--task", case["task"].reference)
    assert proc.stdout.strip() == "No matches."
    with open_workspace(case["path"], PASSPHRASE) as ws:
        logged = research_log.list_log(ws, case["task"].id)
    searches = [(e.detail, e.is_nil_return) for e in logged if e.kind.value == "search"]
    assert searches == [("900123", False), ("nothing like this", True)]


def test_search_filters_and_usage_errors(case):
    ws_path = str(case["path"])
    run("capture", ws_path, case["ref"], str(case["note"]))
    proc = run("search", ws_path, "kestrel", "--type", "task")
    assert proc.stdout.splitlines()[0].split()[0] == "Task"
    proc = run("search", ws_path, "runner", "--grading", "3")  # the source is graded 2
    assert proc.stdout.strip() == "No matches."
    proc = run("search", ws_path, "runner", "--grading", "2/B/P")
    assert "Attachment" in proc.stdout
    assert run("search", ws_path, "x", "--since", "yesterday").returncode == 2
    assert run("search", ws_path, "x", "--grading", "1/2/3/4").returncode == 2
    assert run("search", ws_path, "x", "--type", "nonsense").returncode == 2
