"""review, erase, log and schedule on the command line, as a script would use them: real
processes over a real workspace, exit codes, one-line errors."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from conftest import ANALYST, PASSPHRASE
from sqlalchemy import text
from test_cli import one_error_line, run

from toexdesk.core.services import research_log, sources, tasks
from toexdesk.core.store.engine import create_workspace, open_workspace

TODAY = dt.date.today()


@pytest.fixture
def made(tmp_path):
    """A workspace with one task (two sources, the first overdue for review), closed."""
    path = tmp_path / "review.toex"
    with create_workspace(path, PASSPHRASE, ANALYST) as ws:
        t = tasks.create_task(
            ws, tasks.TaskDraft("Line KESTREL into Northtown", "DS Ada Rowe", "county_lines")
        )
        for title in ("Custody record: Dale Fenwickson", "Partner referral"):
            draft = sources.SourceDraft(title, "police_system", "1", "B", "P")
            sources.create_source(ws, t.id, draft)
        with ws.engine.begin() as conn:
            conn.execute(
                text("UPDATE source SET review_on = :d WHERE number = 1"),
                {"d": TODAY - dt.timedelta(days=10)},
            )
    return path, t.reference


def test_review_lists_what_is_due_as_text_and_json(made, app_data):
    path, ref = made
    due = run("review", str(path), "--due", data_dir=app_data)
    assert due.returncode == 0, due.stderr
    lines = due.stdout.splitlines()
    assert lines[0].startswith(f"{ref}/S1 ") and "overdue by 10 days" in lines[0]
    assert lines[-1] == f"1 due for review on or before {TODAY.isoformat()}."
    every = run("review", str(path), "--json", data_dir=app_data)
    assert every.returncode == 0, every.stderr
    rows = json.loads(every.stdout)
    assert [r["reference"] for r in rows] == [f"{ref}/S1", ref, f"{ref}/S2"]
    assert rows[0]["days_overdue"] == 10 and rows[1]["days_overdue"] == 0
    later = (TODAY + dt.timedelta(days=400)).isoformat()
    ahead = run("review", str(path), "--due", "--on", later, "--json", data_dir=app_data)
    assert len(json.loads(ahead.stdout)) == 3


def test_log_adds_checks_and_decisions_and_prints_the_log(made, app_data):
    path, ref = made
    check_args = ("--check", "PNC", "--detail", "Dale Fenwickson", "--nil")
    check = run("log", str(path), ref, *check_args, data_dir=app_data)
    assert check.returncode == 0, check.stderr
    assert check.stdout.strip() == f"Logged for {ref}: PNC: Dale Fenwickson — Nil return"
    decision_args = ("--decision", "Stop at PNC", "--reason", "In scope only")
    decision = run("log", str(path), ref.lower(), *decision_args, data_dir=app_data)
    assert decision.returncode == 0, decision.stderr
    shown = run("log", str(path), ref, data_dir=app_data)
    assert shown.returncode == 0, shown.stderr
    assert "System checked  PNC: Dale Fenwickson — Nil return" in shown.stdout
    assert "Decision  Stop at PNC" in shown.stdout and "Reason: In scope only" in shown.stdout
    as_json = json.loads(run("log", str(path), ref, "--json", data_dir=app_data).stdout)
    assert [e["kind"] for e in as_json] == ["system_check", "decision"]
    assert as_json[0]["outcome"] == "nil"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--decision", "Stop"], "needs its reason"),
        (["--decision", "Stop", "--reason", "  "], "needs its reason"),
        (["--check", "PNC", "--nil"], "needs --detail"),
        (["--check", "PNC", "--detail", "x"], "--nil or --found"),
        (["--detail", "x"], "go with --check"),
        (["--check", "PNC", "--detail", "x", "--nil", "--decision", "Stop"], "not both"),
    ],
)
def test_a_log_request_missing_what_it_needs_is_one_error_line(made, app_data, args, message):
    path, ref = made
    proc = run("log", str(path), ref, *args, data_dir=app_data)
    assert proc.returncode == 1
    assert message in one_error_line(proc)
    with open_workspace(path, PASSPHRASE) as ws:
        assert research_log.list_log(ws, tasks.find_task_id(ws, ref)) == []


def test_erase_removes_a_source_and_refuses_a_blank_reason_or_unknown_ref(made, app_data):
    path, ref = made
    blank = run("erase", str(path), f"{ref}/S1", "--reason", " ", data_dir=app_data)
    assert blank.returncode == 1 and "--reason" in one_error_line(blank)
    unknown = run("erase", str(path), f"{ref}/S9", "--reason", "review", data_dir=app_data)
    assert unknown.returncode == 1
    assert one_error_line(unknown) == f"toexdesk: error: There is no source {ref}/S9."
    done = run("erase", str(path), f"{ref}/S1", "--reason", "Retention review", data_dir=app_data)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"Erased Source {ref}/S1")
    assert "Fenwickson" not in done.stdout
    with open_workspace(path, PASSPHRASE) as ws:
        left = sources.list_sources(ws, include_archived=True)
        assert [s.title for s in left] == ["Partner referral"]
    whole = run("erase", str(path), ref, "--reason", "Retention review", data_dir=app_data)
    assert whole.returncode == 0, whole.stderr
    with open_workspace(path, PASSPHRASE) as ws:
        assert tasks.list_tasks(ws, include_archived=True) == []


def test_schedule_writes_marked_files_and_never_overwrites_unasked(made, app_data, tmp_path):
    path, ref = made
    folder = tmp_path / "shared"
    folder.mkdir()
    args = ("schedule", str(path), ref, "--to", str(folder), "--recipient", "DC Lee")
    first = run(*args, "--purpose", "MG6", data_dir=app_data)
    assert first.returncode == 0, first.stderr
    names = sorted(p.name for p in folder.iterdir())
    assert names == [
        f"OFFICIAL_{ref}_unused-material-schedule.pdf",
        f"OFFICIAL_{ref}_unused-material-schedule.xlsx",
    ]
    assert "2 items, 2 newly numbered" in first.stdout
    again = run(*args, "--purpose", "MG6", data_dir=app_data)
    assert again.returncode == 1 and "already exists" in one_error_line(again)
    only_pdf = run(*args, "--purpose", "MG6", "--format", "pdf", "--overwrite", data_dir=app_data)
    assert only_pdf.returncode == 0, only_pdf.stderr
    assert "2 items." in only_pdf.stdout
    wrong = run(*args, "--purpose", "MG6", "--format", "docx", data_dir=app_data)
    assert wrong.returncode == 2 and "unknown format docx" in wrong.stderr
    blank = run(*args, "--purpose", "  ", data_dir=app_data)
    assert blank.returncode == 2  # a usage error, as for every product command
