"""Exporting a task to a shared drive, on real workspaces: every format under a marking-led
name, a manifest whose hashes match the files and which records the audit chain head, one
disclosure event per file written before the file takes its name, hostile and non-Latin
text that comes back as text, and a clear message with no partial file for every bad target
(read-only folder, full disk, vanished folder, path too long, reserved names, kill -9)."""

from __future__ import annotations

import csv
import datetime as dt
import errno
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import PASSPHRASE
from openpyxl import load_workbook
from test_cli import one_error_line, run

from toexdesk.core.enums import Marking
from toexdesk.core.errors import Cancelled, ExportFailed, RecordNotFound, ValidationError
from toexdesk.core.model import AuditEvent, WorkspaceMeta
from toexdesk.core.render import tabular
from toexdesk.core.services import (
    anchors,
    entities,
    exports,
    findings,
    reports,
    sources,
    tasks,
)
from toexdesk.core.services.exports import (
    ExportIncomplete,
    export_task,
    last_disclosure,
    product_file_name,
    safe_file_name,
    write_atomically,
)
from toexdesk.core.services.workspace import audit_events
from toexdesk.core.store.engine import session_scope

ROOT = Path(__file__).resolve().parents[2]
RECIPIENT = "DS Farah Lindqvist, Regional Tasking Group"
PURPOSE = "Tasking meeting: next steps on the Fennick Bay line"
ALL = {"pdf", "docx", "csv", "xlsx", "i2"}
TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\x00")
NAMES = ("Nguyễn Thị Hường", "Dritë Çeka", "Łukasz Żółć", "Олександр Коваленко")
LONG = "Observed at the address on several dates. " * 1_000  # 43,000 characters
HOSTILE = (
    '=HYPERLINK("http://x","click")',
    "+1",
    "-2+3",
    "@SUM(A1)",
    "\t=1",  # the services strip edges: this is stored as "=1"
    "\r=1",
    "=1+1\t=2",
    "#N/A",
    "\u202eexe.fdp",
    'say "hi", then, leave',
    "line one\nline two\r\nline three",
)


# --- helpers -----------------------------------------------------------------------------------
@pytest.fixture
def share(tmp_path) -> Path:
    """The folder an export goes to (the workspace files live beside it in tmp_path)."""
    folder = tmp_path / "share"
    folder.mkdir()
    return folder


def disclosures(ws) -> list:
    return [e for e in audit_events(ws) if e.action == "disclosure"]


def demo_ws_uid(ws) -> str:
    with session_scope(ws, write=False) as s:
        return s.get(WorkspaceMeta, 1).uid


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def task_id(ws, ref: str = "TX-2026-0001") -> int:
    return tasks.find_task_id(ws, ref)


def export(ws, folder, formats=ALL, ref="TX-2026-0001", **kw):
    kw = {"recipient": RECIPIENT, "purpose": PURPOSE} | kw
    return export_task(ws, task_id(ws, ref), folder, formats=formats, **kw)


def csv_rows(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh, strict=True))


def safe(value: str) -> bool:
    return not value or (value[0] not in TRIGGERS and value.lstrip(" ")[:1] not in TRIGGERS)


def hostile_task(ws) -> int:
    """A task with a hostile value in every text field of its sources, findings and the
    entities they mention, plus names in four scripts."""
    task = tasks.create_task(
        ws,
        tasks.TaskDraft(
            title=HOSTILE[0],
            requester="+44 7700 900123",
            thematic="county_lines",
            research_questions="=1+1",
            gaps="@gaps",
        ),
    )
    for i, value in enumerate(HOSTILE, start=1):
        src = sources.create_source(
            ws,
            task.id,
            sources.SourceDraft(
                title=value,
                source_type="police_system",
                evaluation="2",
                assessment="B",
                handling="C",
                handling_conditions=value,
                description=LONG if i == 1 else value,
                reference=value,
                obtained_on=dt.date(2026, 1, i),
            ),
        )
        finding = findings.create_finding(
            ws,
            task.id,
            findings.FindingDraft(text=LONG if i == 2 else value, phia="likely"),
            [(src.id, "supports")],
        )
        name = NAMES[i % len(NAMES)] if i <= len(NAMES) else value
        entity = entities.create_entity(
            ws, entities.EntityDraft(kind="person", name=f"{name} {i}", notes=value)
        )
        entities.mention(ws, entity.id, source_id=src.id)
        entities.mention(ws, entity.id, finding_id=finding.id)
    return task.id


# --- what an export writes ---------------------------------------------------------------------
def test_export_writes_every_format_under_marking_led_names_with_a_manifest(demo_ws, tmp_path):
    share = tmp_path / "share"
    share.mkdir()
    result = export(demo_ws, share)
    prefix = "OFFICIAL-SENSITIVE_TX-2026-0001"
    expected = [
        f"{prefix}_summary.pdf",
        f"{prefix}_summary.docx",
        f"{prefix}_sources.csv",
        f"{prefix}_findings.csv",
        f"{prefix}_register.xlsx",
        f"{prefix}_i2-entities.csv",
        f"{prefix}_manifest.sha256",
    ]
    assert [f.name for f in result.files] == expected
    assert names(share) == sorted(expected)  # and no temporary file
    assert result.manifest.name == expected[-1]
    for f in result.files:
        assert f.sha256 == sha256(f.path) and f.marking is Marking.OFFICIAL_SENSITIVE
    pdf, docx_, sources_csv, _, xlsx, i2, _ = (f.path for f in result.files)
    assert pdf.read_bytes().startswith(b"%PDF-") and docx_.read_bytes().startswith(b"PK")
    assert csv_rows(sources_csv)[0][0] == "OFFICIAL-SENSITIVE"
    assert load_workbook(xlsx).sheetnames == ["Sources", "Findings"]
    assert csv_rows(i2)[0][:3] == ["Entity Type", "Entity Identity", "Entity Label"]


def test_the_manifest_hashes_match_the_files_and_sha256sum_agrees(demo_ws, share):
    result = export(demo_ws, share, formats={"csv", "xlsx", "i2"})
    text = result.manifest.path.read_text(encoding="utf-8")
    entries = [line.split("  ", 1) for line in text.splitlines() if not line.startswith("#")]
    assert entries == [[f.sha256, f.name] for f in result.files[:-1]]
    for digest, name in entries:
        assert sha256(share / name) == digest
    header = [line for line in text.splitlines() if line.startswith("#")]
    assert f"# Recipient: {RECIPIENT}" in header and f"# Purpose: {PURPOSE}" in header
    assert "# Marking: OFFICIAL-SENSITIVE" in header and "# Task: TX-2026-0001" in header
    if shutil.which("sha256sum"):
        check = subprocess.run(
            ["sha256sum", "-c", result.manifest.name],
            cwd=share,
            capture_output=True,
            text=True,
            check=False,
        )
        assert check.returncode == 0, check.stdout + check.stderr
        assert check.stdout.count(": OK") == 4


def test_the_manifest_anchors_the_audit_chain_head_after_the_products_disclosures(demo_ws, share):
    result = export(demo_ws, share, formats={"csv"})
    line = next(
        ln for ln in result.manifest.path.read_text().splitlines() if "Audit chain head" in ln
    )
    seq_text, head = line.removeprefix("# Audit chain head: ").split()
    seq = int(seq_text.lstrip("#"))
    assert result.anchor == f"#{seq} {head}"
    with session_scope(demo_ws, write=False) as s:
        assert s.get(AuditEvent, seq).hash == head
    events = {e.seq: e for e in audit_events(demo_ws)}
    assert json.loads(events[seq].details)["format"] == "csv"  # the last product's event
    assert json.loads(events[seq + 1].details)["format"] == "manifest"
    assert max(events) == seq + 1
    # The machine-readable anchor names the workspace, and the trail extends it.
    text = result.manifest.path.read_text()
    assert f"# TOEX-AUDIT-ANCHOR v1 uid={demo_ws_uid(demo_ws)} seq={seq} hash={head}" in text
    check = anchors.verify_against(demo_ws, result.manifest.path)
    assert check.ok and check.kind == "extends", check.message


def test_one_disclosure_event_per_file_with_its_sha256(demo_ws, share):
    before = len(disclosures(demo_ws))
    result = export(demo_ws, share)
    events = disclosures(demo_ws)[before:]
    assert len(events) == len(result.files) == 7
    for event, f in zip(events, result.files, strict=True):
        details = json.loads(event.details)
        assert event.record_ref == "TX-2026-0001"
        assert event.recipient == RECIPIENT and event.justification == PURPOSE
        assert details["sha256"] == f.sha256 == sha256(f.path)
        assert details["format"] == f.fmt and details["product"] == f.product
        assert details["marking"] == "OFFICIAL-SENSITIVE"
    assert [json.loads(e.details)["format"] for e in events] == [
        "pdf",
        "docx",
        "csv",
        "csv",
        "xlsx",
        "i2",
        "manifest",
    ]
    assert json.loads(events[0].details)["pages"] >= 1


def test_each_disclosure_is_recorded_before_its_file_takes_its_name(demo_ws, share, monkeypatch):
    original = reports.record_disclosure
    seen: list[list[str]] = []

    def spy(*args, **kw):
        seen.append([p.name for p in share.iterdir() if not p.name.startswith(".toex-")])
        return original(*args, **kw)

    monkeypatch.setattr(reports, "record_disclosure", spy)
    result = export(demo_ws, share, formats={"csv", "i2"})
    # When file n was recorded, exactly the n files before it had been published.
    expected = [sorted(f.name for f in result.files[:n]) for n in range(len(result.files))]
    assert [sorted(names) for names in seen] == expected


def test_recipient_and_purpose_are_remembered_per_task_inside_the_workspace(
    demo_ws, tmp_path, app_data
):
    one, two = task_id(demo_ws, "TX-2026-0001"), task_id(demo_ws, "TX-2026-0002")
    assert last_disclosure(demo_ws, one) is None
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    export(demo_ws, tmp_path / "a", formats={"csv"})
    export(
        demo_ws,
        tmp_path / "b",
        formats={"csv"},
        ref="TX-2026-0002",
        recipient="Ms Dritë Çeka, Safeguarding Hub",
        purpose="Strategy meeting",
    )
    assert last_disclosure(demo_ws, one) == (RECIPIENT, PURPOSE)
    assert last_disclosure(demo_ws, two) == ("Ms Dritë Çeka, Safeguarding Hub", "Strategy meeting")
    export(demo_ws, tmp_path / "b", formats={"i2"}, recipient="DC New", purpose="Second look")
    assert last_disclosure(demo_ws, one) == ("DC New", "Second look")
    # Never in the plaintext settings or logs.
    for path in app_data.rglob("*"):
        if path.is_file():
            assert RECIPIENT.encode() not in path.read_bytes(), path


def test_an_official_sensitive_entity_raises_only_the_i2_files_marking(ws, tmp_path):
    task = tasks.create_task(
        ws, tasks.TaskDraft(title="Line", requester="DS Okafor", thematic="county_lines")
    )
    src = sources.create_source(
        ws,
        task.id,
        sources.SourceDraft(
            title="Report", source_type="human", evaluation="1", assessment="A", handling="P"
        ),
    )
    findings.create_finding(
        ws, task.id, findings.FindingDraft(text="Seen.", phia="likely"), [(src.id, "supports")]
    )
    person = entities.create_entity(
        ws, entities.EntityDraft(kind="person", name=NAMES[0], marking="SECRET")
    )
    entities.mention(ws, person.id, source_id=src.id)
    result = export_task(
        ws, task.id, tmp_path, formats={"csv", "i2"}, recipient=RECIPIENT, purpose=PURPOSE
    )
    assert [f.name.split("_", 1)[0] for f in result.files] == [
        "OFFICIAL",
        "OFFICIAL",
        "SECRET",
        "SECRET",  # the manifest carries the highest marking of what it lists
    ]


# --- hostile and non-Latin text ----------------------------------------------------------------
def test_hostile_text_in_every_field_comes_back_as_text_never_a_formula(ws, tmp_path):
    task = hostile_task(ws)
    result = export_task(
        ws, task, tmp_path, formats={"csv", "xlsx", "i2"}, recipient=RECIPIENT, purpose=PURPOSE
    )
    csvs = [f.path for f in result.files if f.path.suffix == ".csv"]
    assert len(csvs) == 3
    for path in csvs:
        rows = csv_rows(path)
        assert {len(r) for r in rows[1:]} == {len(rows[1])}  # RFC 4180: one record per row
        for row in rows:
            assert all(safe(cell) for cell in row), (path.name, row)
    sources_rows = csv_rows(csvs[0])[2:]
    assert [r[1] for r in sources_rows][:4] == [
        '\'=HYPERLINK("http://x","click")',
        "'+1",
        "'-2+3",
        "'@SUM(A1)",
    ]
    assert sources_rows[0][3] == LONG.strip()  # CSV keeps the whole text
    assert sources_rows[9][1] == 'say "hi", then, leave'
    assert sources_rows[10][1] == "line one\nline two\nline three"
    assert sources_rows[8][1] == "[U+202E]exe.fdp"

    xlsx = next(f.path for f in result.files if f.fmt == "xlsx")
    wb = load_workbook(xlsx)
    for sheet in wb:
        for row in sheet.iter_rows():
            for c in row:
                if c.value is not None:
                    assert c.data_type == "s" and safe(c.value), (sheet.title, c.coordinate)
    assert wb["Sources"]["B3"].value == '\'=HYPERLINK("http://x","click")'
    assert wb["Sources"]["B10"].value == "#N/A"
    with zipfile.ZipFile(xlsx) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                xml = z.read(name).decode()
                assert "<f>" not in xml and "<f " not in xml and 't="e"' not in xml


def test_names_in_any_script_round_trip_through_every_table(ws, tmp_path):
    task = hostile_task(ws)
    result = export_task(
        ws, task, tmp_path, formats={"csv", "xlsx", "i2"}, recipient=RECIPIENT, purpose=PURPOSE
    )
    i2 = next(f.path for f in result.files if f.fmt == "i2")
    labels = {row[2] for row in csv_rows(i2)[1:]}
    for i, name in enumerate(NAMES[1:] + NAMES[:1], start=1):
        assert f"{name} {i}" in labels
    raw = i2.read_bytes()
    assert "Олександр Коваленко".encode() in raw and raw.startswith(b"\xef\xbb\xbf")


def test_product_file_names_are_safe_whatever_the_reference(tmp_path):
    for ref in ("CON", "../../etc/passwd", "TX:2026*0042?", "a" * 300, "Łódź\u202eexe"):
        name = product_file_name(Marking.TOP_SECRET, ref, "sources", "csv")
        assert name == safe_file_name(name) and name.startswith("TOP-SECRET_")
        assert name.endswith("_sources.csv") or len(name) == 150
        write_atomically(tmp_path / name, lambda fh: fh.write(b"x"))
    assert len(list(tmp_path.iterdir())) == 5


# --- refusals before anything is written -------------------------------------------------------
def test_an_existing_file_is_never_clobbered_unless_asked(demo_ws, share):
    mine = share / "OFFICIAL-SENSITIVE_TX-2026-0001_findings.csv"
    mine.write_bytes(b"the analyst's own file")
    before = len(disclosures(demo_ws))
    with pytest.raises(ExportFailed, match=r"findings\.csv already exists"):
        export(demo_ws, share, formats={"csv", "xlsx"})
    # Refused before any file was written, even those that did not exist.
    assert names(share) == [mine.name] and mine.read_bytes() == b"the analyst's own file"
    assert len(disclosures(demo_ws)) == before
    result = export(demo_ws, share, formats={"csv", "xlsx"}, overwrite=True)
    assert mine.read_bytes() != b"the analyst's own file" and len(result.files) == 4
    assert sha256(mine) == result.files[1].sha256


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"formats": {"csv", "html"}}, "Unknown format html"),
        ({"formats": set()}, "at least one format"),
        ({"recipient": "  "}, "Recipient is required"),
        ({"purpose": ""}, "Purpose is required"),
    ],
)
def test_a_bad_request_is_refused_with_nothing_written(demo_ws, share, kw, message):
    before = len(audit_events(demo_ws))
    with pytest.raises(ValidationError, match=message):
        export(demo_ws, share, **({"formats": {"csv"}} | kw))
    assert names(share) == [] and len(audit_events(demo_ws)) == before


def test_an_unknown_task_is_refused(demo_ws, share):
    with pytest.raises(RecordNotFound):
        export_task(demo_ws, 99_999, share, formats={"csv"}, recipient="R", purpose="P")
    assert names(share) == []


# --- bad targets -------------------------------------------------------------------------------
def test_a_vanished_folder_is_explained_and_nothing_is_disclosed(demo_ws, tmp_path):
    share = tmp_path / "share"
    share.mkdir()
    share.rmdir()  # the network drive went away between choosing and writing
    before = len(disclosures(demo_ws))
    with pytest.raises(ExportFailed, match="is not there"):
        export(demo_ws, share)
    assert not share.exists() and len(disclosures(demo_ws)) == before


def test_a_folder_vanishing_mid_export_names_the_file_that_failed(demo_ws, tmp_path):
    share = tmp_path / "share"
    share.mkdir()

    def progress(done: int, total: int, message: str) -> None:
        if done == 1:
            shutil.rmtree(share)

    before = len(disclosures(demo_ws))
    with pytest.raises(ExportIncomplete) as caught:
        export(demo_ws, share, formats={"csv"}, progress=progress)
    err = caught.value
    assert err.failed == "OFFICIAL-SENSITIVE_TX-2026-0001_findings.csv"
    assert [f.name for f in err.saved] == ["OFFICIAL-SENSITIVE_TX-2026-0001_sources.csv"]
    assert "findings.csv was not saved" in str(err) and "sources.csv" in str(err)
    assert "is not there" in str(err)
    assert len(disclosures(demo_ws)) == before + 1


def test_a_failure_mid_export_keeps_the_complete_files_and_leaves_no_partial_one(
    demo_ws, share, monkeypatch
):
    real = tabular.write_csv

    def disk_fills_on_the_i2_file(sheet, fh, **kw):
        if not kw.get("marking_row", True):
            fh.write(b"\xef\xbb\xbf" + b'"Entity Type",' * 100)
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(sheet, fh, **kw)

    monkeypatch.setattr(tabular, "write_csv", disk_fills_on_the_i2_file)
    before = len(disclosures(demo_ws))
    with pytest.raises(
        ExportIncomplete, match=r"i2-entities\.csv was not saved: The disk"
    ) as caught:
        export(demo_ws, share, formats={"csv", "xlsx", "i2"})
    saved = caught.value.saved
    assert names(share) == sorted(f.name for f in saved)  # no partial file, no temporary
    assert len(saved) == 3 and len(disclosures(demo_ws)) == before + 3
    for f, event in zip(saved, disclosures(demo_ws)[before:], strict=True):
        assert json.loads(event.details)["sha256"] == f.sha256 == sha256(f.path)


@pytest.fixture
def tiny_disk(tmp_path):
    """A 64 KiB tmpfs (as root), so the disk really fills; None where it cannot be mounted."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    if os.name != "posix" or os.geteuid() != 0 or not shutil.which("mount"):
        yield None
        return
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        yield None
        return
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_is_explained_and_leaves_no_partial_file(
    demo_ws, tmp_path, tiny_disk, monkeypatch
):
    if tiny_disk is None:  # no tmpfs here: the disk fills on the first write instead
        folder = tmp_path / "share"
        folder.mkdir()

        def full(self, data):
            raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr(exports._Hashing, "write", full)
    else:
        folder = tiny_disk
        (folder / "filler").write_bytes(b"\0" * 56 * 1024)  # 8 KiB left: no room for a PDF
    before = len(disclosures(demo_ws))
    with pytest.raises(ExportFailed, match="is full; nothing was saved"):
        export(demo_ws, folder, formats={"pdf"})
    assert [n for n in names(folder) if n != "filler"] == []
    assert len(disclosures(demo_ws)) == before


def test_a_disk_filling_mid_export_keeps_whole_disclosed_files_only(demo_ws, tiny_disk):
    if tiny_disk is None:
        pytest.skip("no tmpfs can be mounted here (the monkeypatched case is tested above)")
    (tiny_disk / "filler").write_bytes(b"\0" * 40 * 1024)
    before = len(disclosures(demo_ws))
    with pytest.raises(ExportFailed, match="full") as caught:
        export(demo_ws, tiny_disk, formats={"csv", "xlsx", "i2"})
    events = disclosures(demo_ws)[before:]
    written = [n for n in names(tiny_disk) if n != "filler"]
    # Every file there is complete and disclosed with its hash; nothing else is there.
    assert sorted(json.loads(e.details)["sha256"] for e in events) == sorted(
        sha256(tiny_disk / n) for n in written
    )
    if isinstance(caught.value, ExportIncomplete):
        assert caught.value.failed not in written
        assert sorted(f.name for f in caught.value.saved) == written


def test_a_read_only_folder_is_explained_and_nothing_is_left(
    _demo_template, tmp_path, app_data, unprivileged
):
    demo = tmp_path / "demo.toex"
    shutil.copyfile(_demo_template, demo)
    folder = tmp_path / "read-only share"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        proc = run_cli(
            "export",
            str(demo),
            "TX-2026-0001",
            "--to",
            str(folder),
            "--format",
            "csv,pdf",
            "--recipient",
            RECIPIENT,
            "--purpose",
            PURPOSE,
            data_dir=app_data,
            prefix=unprivileged,
        )
    finally:
        folder.chmod(0o755)
    assert proc.returncode == 1, proc.stderr
    assert f"No permission to write in {folder}; nothing was saved." in one_error_line(proc)
    assert names(folder) == [] and cli_disclosures(demo) == []


def _deep_folder(base: Path, total: int) -> Path:
    """A folder whose path is about ``total`` characters long (made relative to a directory
    descriptor, since the path itself may be too long to use)."""
    part = "d" * 200
    fd = os.open(base, os.O_RDONLY)
    path = base
    try:
        while len(str(path)) + len(part) + 1 <= total:
            os.mkdir(part, dir_fd=fd)
            nfd = os.open(part, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd, path = nfd, path / part
        last = "e" * (total - len(str(path)) - 1)
        if last:
            os.mkdir(last, dir_fd=fd)
            path = path / last
    finally:
        os.close(fd)
    return path


@pytest.mark.skipif(os.name != "posix", reason="PATH_MAX is a POSIX limit")
@pytest.mark.parametrize("length", [4_080, 5_000])  # the file's path too long / the folder's
def test_a_path_too_long_is_explained_and_leaves_nothing(demo_ws, tmp_path, length):
    folder = _deep_folder(tmp_path, length)
    before = len(disclosures(demo_ws))
    with pytest.raises(ExportFailed, match="path is too long"):
        export(demo_ws, folder, formats={"csv"})
    assert len(disclosures(demo_ws)) == before
    if length < 4_096:
        fd = os.open(tmp_path, os.O_RDONLY)  # list the deep folder without its long path
        try:
            parts = folder.relative_to(tmp_path).parts
            for part in parts:
                nfd = os.open(part, os.O_RDONLY, dir_fd=fd)
                os.close(fd)
                fd = nfd
            assert os.listdir(fd) == []
        finally:
            os.close(fd)
    shutil.rmtree(tmp_path / ("d" * 200))


def test_a_name_longer_than_the_file_system_allows_is_refused(tmp_path):
    with pytest.raises(ExportFailed, match="too long"):
        write_atomically(tmp_path / ("x" * 300 + ".csv"), lambda fh: fh.write(b"x"))
    with pytest.raises(ExportFailed, match="too long"):
        write_atomically(tmp_path / ("Ł" * 130 + ".csv"), lambda fh: fh.write(b"x"))  # 260 B
    assert names(tmp_path) == []


def test_a_path_longer_than_windows_allows_is_refused_there(demo_ws, tmp_path, monkeypatch):
    monkeypatch.setattr(exports, "_WINDOWS", True)
    folder = tmp_path / ("w" * max(1, 235 - len(str(tmp_path))))
    folder.mkdir()
    before = len(disclosures(demo_ws))
    with pytest.raises(ExportFailed, match="longer than Windows allows"):
        export(demo_ws, folder, formats={"csv"})
    assert names(folder) == [] and len(disclosures(demo_ws)) == before


@pytest.mark.parametrize(
    "name", ["CON", "con.csv", "NUL.tar.gz", "COM1.pdf", "lpt9.xlsx", "AUX .csv", "CONIN$"]
)
def test_a_reserved_windows_name_is_refused(tmp_path, name):
    with pytest.raises(ExportFailed, match="not a file name Windows and Linux both accept"):
        write_atomically(tmp_path / name, lambda fh: fh.write(b"x"))
    assert names(tmp_path) == []


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("CON", "_CON"),
        ("con.csv", "_con.csv"),
        ("NUL.tar.gz", "_NUL.tar.gz"),
        ("COM1.pdf", "_COM1.pdf"),
        ("LPT0", "_LPT0"),
        ("COM\u00b9.txt", "_COM\u00b9.txt"),
        ("CONOUT$.log", "_CONOUT$.log"),
        ("con .tar.gz", "_con .tar.gz"),
        ("CONSOLE.pdf", "CONSOLE.pdf"),
        ("report. . ", "report"),
        ("report.pdf.", "report.pdf"),
        (" .hidden", "product.hidden"),
        ("..", "product"),
        ("", "product"),
        ("../../etc/passwd", "_._etc_passwd"),
        ('a/b\\c:d*e?f"g<h>i|j.pdf', "a_b_c_d_e_f_g_h_i_j.pdf"),
        ("tab\there\r\n.csv", "tab_here__.csv"),
        ("bell\x07del\x7fcsi\x9b.csv", "bell_del_csi_.csv"),
        ("summary\u202efdp.exe", "summary_fdp.exe"),
        ("bad\udcff.csv", "bad_.csv"),  # an undecodable byte in a Linux name
        (
            "Note. this is a sentence, not an extension",
            "Note. this is a sentence, not an extension",
        ),
        ("Nguyễn Thị Hường.csv", "Nguyễn Thị Hường.csv"),
        ("Олександр Коваленко.xlsx", "Олександр Коваленко.xlsx"),
    ],
)
def test_safe_file_name_table(name, expected):
    assert safe_file_name(name) == expected
    assert safe_file_name(expected) == expected  # a safe name comes back unchanged


@pytest.mark.parametrize(
    "name",
    [
        "x" * 300 + ".pdf",
        "Ł" * 200 + ".csv",
        "😀" * 100 + ".xlsx",
        "a" * 140 + ". then a long tail that looks like a sentence",
        "name." + "e" * 40,
        "x" * 148 + " . .pdf",
    ],
)
def test_long_names_are_cut_to_fit_windows_and_linux_and_stay_stable(name):
    safe = safe_file_name(name)
    assert len(safe) <= exports.MAX_NAME and len(safe.encode()) <= exports.MAX_NAME_BYTES
    assert not safe.endswith((" ", ".")) and safe_file_name(safe) == safe
    if name.endswith((".pdf", ".csv", ".xlsx")):
        assert safe.endswith(name[name.rindex(".") :])


# --- atomicity -----------------------------------------------------------------------------------
def test_a_writer_failing_mid_file_leaves_neither_file_nor_temporary_nor_disclosure(tmp_path):
    published: list[str] = []

    def half(fh):
        fh.write(b"x" * 100_000)
        raise RuntimeError("renderer bug")

    with pytest.raises(RuntimeError):
        write_atomically(tmp_path / "out.csv", half, before_publish=published.append)
    assert names(tmp_path) == [] and published == []


def test_a_failed_disclosure_publishes_nothing(tmp_path):
    def refuse(sha: str) -> None:
        raise ValidationError([])

    with pytest.raises(ValidationError):
        write_atomically(tmp_path / "out.csv", lambda fh: fh.write(b"x"), before_publish=refuse)
    assert names(tmp_path) == []


def test_cancel_between_files_keeps_the_saved_ones_and_says_so(demo_ws, share):
    state = {"done": 0}

    def progress(done: int, total: int, message: str) -> None:
        state["done"] = done

    before = len(disclosures(demo_ws))
    with pytest.raises(Cancelled, match=r"stopped before .*findings\.csv.*sources\.csv"):
        export(
            demo_ws,
            share,
            formats={"csv"},
            progress=progress,
            cancelled=lambda: state["done"] >= 1,
        )
    assert names(share) == ["OFFICIAL-SENSITIVE_TX-2026-0001_sources.csv"]
    assert len(disclosures(demo_ws)) == before + 1


KILL_SCRIPT = """
import sys, time
from pathlib import Path
from toexdesk.core.services.exports import write_atomically

def slow(fh):
    fh.write(b"x" * 1_000_000)
    fh.flush()
    print("writing", flush=True)
    time.sleep(60)

write_atomically(Path(sys.argv[1]), slow)
"""


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_kill_9_during_an_export_leaves_no_file_under_the_real_name(tmp_path):
    target = tmp_path / "OFFICIAL_TX-2026-0001_sources.csv"
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(
        [sys.executable, "-c", KILL_SCRIPT, str(target)],
        stdout=subprocess.PIPE,
        env=env,
        text=True,
    )
    try:
        assert child.stdout.readline().strip() == "writing"
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
        child.stdout.close()
    assert not target.exists()
    # Only the temporary file is left, under a hidden name that says what it is.
    assert all(n.startswith(".toex-") and n.endswith(".part") for n in names(tmp_path))


# --- the command line ----------------------------------------------------------------------------
def run_cli(*args: str, data_dir: Path, prefix: list[str] | None = None):
    return run(*args, data_dir=data_dir, prefix=prefix, timeout=180)


def cli_disclosures(path: Path) -> list:
    from toexdesk.core.store.engine import open_workspace

    with open_workspace(path, PASSPHRASE, read_only=True) as ws:
        return disclosures(ws)


@pytest.fixture
def demo(_demo_template, tmp_path) -> Path:
    path = tmp_path / "demo.toex"
    shutil.copyfile(_demo_template, path)
    return path


def test_cli_export_writes_the_files_and_a_disclosure_for_each(demo, tmp_path, app_data):
    out = tmp_path / "share"
    out.mkdir()
    proc = run_cli(
        "export",
        str(demo),
        "tx-2026-0001",
        "--to",
        str(out),
        "--format",
        "pdf,csv,i2",
        "--recipient",
        RECIPIENT,
        "--purpose",
        PURPOSE,
        data_dir=app_data,
    )
    assert proc.returncode == 0, proc.stderr
    prefix = "OFFICIAL-SENSITIVE_TX-2026-0001"
    expected = ["summary.pdf", "sources.csv", "findings.csv", "i2-entities.csv", "manifest.sha256"]
    assert names(out) == sorted(f"{prefix}_{n}" for n in expected)
    assert proc.stdout.count("Wrote ") == 5 and "Audit chain head #" in proc.stdout
    events = cli_disclosures(demo)
    assert [json.loads(e.details)["format"] for e in events] == [
        "pdf",
        "csv",
        "csv",
        "i2",
        "manifest",
    ]
    for event, name in zip(events, expected, strict=True):
        assert json.loads(event.details)["sha256"] == sha256(out / f"{prefix}_{name}")
        assert event.recipient == RECIPIENT and event.justification == PURPOSE


@pytest.mark.parametrize(
    "args",
    [
        ("--format", "csv", "--purpose", "P"),  # no recipient
        ("--format", "csv", "--recipient", "R"),  # no purpose
        ("--format", "csv", "--recipient", " ", "--purpose", "P"),  # a blank one
        ("--format", "csv,html", "--recipient", "R", "--purpose", "P"),  # unknown format
        ("--format", ",", "--recipient", "R", "--purpose", "P"),  # no format
        ("--recipient", "R", "--purpose", "P"),  # --format missing
    ],
)
def test_cli_usage_errors_exit_2_and_write_nothing(demo, tmp_path, app_data, args):
    out = tmp_path / "share"
    out.mkdir()
    proc = run_cli("export", str(demo), "TX-2026-0001", "--to", str(out), *args, data_dir=app_data)
    assert proc.returncode == 2, proc.stderr
    assert "usage: toexdesk export" in proc.stderr
    assert names(out) == [] and cli_disclosures(demo) == []


def test_cli_unknown_task_existing_file_and_missing_folder_are_one_line_exit_1(
    demo, tmp_path, app_data
):
    out = tmp_path / "share"
    out.mkdir()
    common = ("--format", "csv", "--recipient", "R", "--purpose", "P")
    proc = run_cli(
        "export", str(demo), "TX-2026-0999", "--to", str(out), *common, data_dir=app_data
    )
    assert proc.returncode == 1 and "There is no task TX-2026-0999." in one_error_line(proc)
    existing = out / "OFFICIAL-SENSITIVE_TX-2026-0001_sources.csv"
    existing.write_text("mine")
    proc = run_cli(
        "export", str(demo), "TX-2026-0001", "--to", str(out), *common, data_dir=app_data
    )
    assert proc.returncode == 1 and "already exists" in one_error_line(proc)
    assert existing.read_text() == "mine" and names(out) == [existing.name]
    gone = str(tmp_path / "gone")
    proc = run_cli("export", str(demo), "TX-2026-0001", "--to", gone, *common, data_dir=app_data)
    assert proc.returncode == 1 and "is not there" in one_error_line(proc)
    assert cli_disclosures(demo) == []
    again = ("export", str(demo), "TX-2026-0001", "--to", str(out), *common, "--overwrite")
    proc = run_cli(*again, data_dir=app_data)
    assert proc.returncode == 0, proc.stderr
    assert existing.read_text(encoding="utf-8-sig").startswith('"OFFICIAL-SENSITIVE"')
