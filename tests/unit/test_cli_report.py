"""``toexdesk report`` and ``toexdesk pack`` as a script uses them: real processes over a
copy of the demo workspace, the files they write, their exit codes and one-line errors, and
the disclosure each file leaves in the audit trail."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from conftest import PASSPHRASE
from pdf_reader import one_spaced, read
from test_cli import one_error_line, run

ROOT = Path(__file__).resolve().parents[2]
PURPOSE = "Weekly tasking meeting: next steps on county lines"
RECIPIENT = "DS Farah Lindqvist, Regional Tasking Group"


@pytest.fixture
def demo(_demo_template, tmp_path) -> Path:
    path = tmp_path / "demo.toex"
    shutil.copyfile(_demo_template, path)
    return path


def disclosures(path: Path) -> list:
    from toexdesk.core.services.workspace import audit_events
    from toexdesk.core.store.engine import open_workspace

    with open_workspace(path, PASSPHRASE, read_only=True) as ws:
        return [e for e in audit_events(ws) if e.action == "disclosure"]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_report_writes_pdf_and_docx_and_records_a_disclosure_for_each(demo, tmp_path, app_data):
    pdf, docx = tmp_path / "summary.pdf", tmp_path / "summary.docx"
    proc = run(
        "report",
        str(demo),
        "tx-2026-0001",  # references are matched whatever their case
        "--pdf",
        str(pdf),
        "--docx",
        str(docx),
        "--recipient",
        RECIPIENT,
        "--purpose",
        PURPOSE,
        data_dir=app_data,
    )
    assert proc.returncode == 0, proc.stderr
    pages, _ = read(pdf.read_bytes())
    assert "RESEARCH SUMMARY · TX-2026-0001" in pages[0].text
    assert docx.read_bytes().startswith(b"PK")
    assert f"Wrote {pdf} (OFFICIAL-SENSITIVE, {len(pages)} pages)." in proc.stdout

    events = disclosures(demo)
    assert [e.record_ref for e in events] == ["TX-2026-0001", "TX-2026-0001"]
    details = [json.loads(e.details) for e in events]
    for event in events:
        assert event.recipient == RECIPIENT and event.justification == PURPOSE
    assert details[0] == {
        "product": "research summary",
        "format": "pdf",
        "marking": "OFFICIAL-SENSITIVE",
        "sha256": sha256(pdf),
        "pages": len(pages),
    }
    assert details[1]["format"] == "docx" and details[1]["sha256"] == sha256(docx)
    assert [p.name for p in sorted(tmp_path.iterdir())] == [
        "demo.toex",
        "summary.docx",
        "summary.pdf",
    ]


def test_pack_writes_one_pdf_and_a_disclosure_per_task(demo, tmp_path, app_data):
    out = tmp_path / "pack.pdf"
    refs = ["TX-2026-0006", "TX-2026-0001", "TX-2026-0008"]
    proc = run(
        "pack",
        str(demo),
        *refs,
        "--pdf",
        str(out),
        "--title",
        "Tasking meeting 16 March",
        "--recipient",
        RECIPIENT,
        "--purpose",
        PURPOSE,
        data_dir=app_data,
    )
    assert proc.returncode == 0, proc.stderr
    pages, marks = read(out.read_bytes())
    cover = one_spaced(pages[0].text)
    assert "Tasking meeting 16 March" in cover and RECIPIENT in cover
    assert [m.title.split()[0] for m in marks if m.level == 0] == ["Contents", *refs]

    events = disclosures(demo)
    assert [e.record_ref for e in events] == refs
    for event in events:
        details = json.loads(event.details)
        assert details["product"] == "briefing pack" and details["sha256"] == sha256(out)
        assert details["pages"] == len(pages)
        assert event.recipient == RECIPIENT and event.justification == PURPOSE


def test_an_unknown_task_is_one_line_exit_1_and_writes_nothing(demo, tmp_path, app_data):
    out = tmp_path / "x.pdf"
    for args in (
        ("report", str(demo), "TX-2026-0999", "--pdf", str(out)),
        ("pack", str(demo), "TX-2026-0001", "TX-2026-0999", "--pdf", str(out), "--title", "T"),
    ):
        proc = run(*args, "--recipient", "R", "--purpose", "P", data_dir=app_data)
        assert proc.returncode == 1
        assert "There is no task TX-2026-0999." in one_error_line(proc)
    assert not out.exists() and disclosures(demo) == []


def test_an_existing_file_is_refused_unless_overwrite(demo, tmp_path, app_data):
    out = tmp_path / "summary.pdf"
    out.write_bytes(b"the analyst's own file")
    args = ("report", str(demo), "TX-2026-0002", "--pdf", str(out), "--recipient", "R")
    proc = run(*args, "--purpose", "P", data_dir=app_data)
    assert proc.returncode == 1
    assert "already exists; use --overwrite" in one_error_line(proc)
    assert out.read_bytes() == b"the analyst's own file" and disclosures(demo) == []

    proc = run(*args, "--purpose", "P", "--overwrite", data_dir=app_data)
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes().startswith(b"%PDF-") and len(disclosures(demo)) == 1


@pytest.mark.parametrize(
    "missing",
    [
        ("--purpose", "P"),  # no recipient
        ("--recipient", "R"),  # no purpose
        ("--recipient", "  ", "--purpose", "P"),  # a blank one
        ("--recipient", "R", "--purpose", "P", "--no-such-option"),
    ],
)
def test_recipient_and_purpose_are_required(demo, tmp_path, app_data, missing):
    out = tmp_path / "summary.pdf"
    proc = run("report", str(demo), "TX-2026-0001", "--pdf", str(out), *missing, data_dir=app_data)
    assert proc.returncode == 2, proc.stderr
    assert "usage: toexdesk" in proc.stderr
    assert not out.exists() and disclosures(demo) == []


def test_report_needs_something_to_write_and_pack_a_title(demo, tmp_path, app_data):
    common = ("--recipient", "R", "--purpose", "P")
    proc = run("report", str(demo), "TX-2026-0001", *common, data_dir=app_data)
    assert proc.returncode == 2 and "--pdf FILE, --docx FILE or both" in proc.stderr
    out = str(tmp_path / "p.pdf")
    proc = run("pack", str(demo), "TX-2026-0001", "--pdf", out, *common, data_dir=app_data)
    assert proc.returncode == 2 and "--title" in proc.stderr
