"""Capture into a real encrypted workspace: bytes round-trip, one stored copy per file,
provenance, audit events without names or content, every bad input, cancellation, bounded
memory, reading back, archiving and erasure. All data is invented."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import ANALYST, PASSPHRASE
from sqlalchemy import text

from toexdesk.core import errors
from toexdesk.core.enums import ExtractionStatus, Marking
from toexdesk.core.extract import Extractor, FileType
from toexdesk.core.services import attachments, sources, tasks
from toexdesk.core.services.attachments import CaptureOutcome
from toexdesk.core.store import blobs

ROOT = Path(__file__).resolve().parents[2]
NOTE = "Interview note: Dritë Hoxha rang 07700 900123 from the KESTREL address.\n"


def count(ws, table: str, where: str = "") -> int:
    with ws.engine.connect() as conn:
        sql = f"SELECT count(*) FROM {table} {where}"  # noqa: S608 (test constants)
        return conn.execute(text(sql)).scalar_one()


def snapshot(ws) -> dict[str, int]:
    names = ("attachment", "attachment_text", "blob", "blob_chunk", "source", "audit_event")
    return {t: count(ws, t) for t in names}


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def task(ws):
    return tasks.create_task(ws, tasks.TaskDraft("Line KESTREL", "DS Ada Rowe", "county_lines"))


@pytest.fixture
def source(ws, task):
    draft = sources.SourceDraft("Custody record review", "police_system", "1", "A", "P")
    return sources.create_source(ws, task.id, draft)


@pytest.fixture
def other_source(ws, task):
    draft = sources.SourceDraft("Partner referral", "partner_agency", "2", "B", "P")
    return sources.create_source(ws, task.id, draft)


@pytest.fixture
def extractor():
    with Extractor(files_per_helper=50) as shared:
        yield shared


@pytest.fixture
def files(tmp_path) -> Path:
    folder = tmp_path / "drop"
    folder.mkdir()
    return folder


def audit_rows(ws) -> list[dict]:
    with ws.engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM audit_event ORDER BY seq")).mappings().all()
    return [dict(r) for r in rows]


# --- storing and reading back -------------------------------------------------------------
def test_captured_file_reads_back_byte_for_byte_with_its_metadata(ws, source, files, extractor):
    path = files / "interview note.txt"
    path.write_text(NOTE * 50, encoding="utf-8")
    modified = dt.datetime(2026, 10, 2, 14, 30, tzinfo=dt.UTC)
    os.utime(path, (modified.timestamp(), modified.timestamp()))

    result = attachments.capture_file(ws, source.id, path, extractor=extractor)

    assert result.outcome is CaptureOutcome.CAPTURED and result.ok, result.message
    assert result.message == "Captured (Plain text, 3 KB)" and not result.linked
    info = result.attachment
    assert info.original_name == "interview note.txt"
    assert info.size == path.stat().st_size and info.sha256 == sha(path.read_bytes())
    assert info.detected_type is FileType.TXT and info.media_type == "text/plain"
    assert info.file_modified_at == modified
    assert info.captured_by == ANALYST
    assert abs(info.captured_at - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)
    assert info.extraction_status is ExtractionStatus.OK and info.extraction_reason == ""
    assert info.ref == f"{source.task_reference}/S1/A{info.id}"
    data = b"".join(attachments.read_attachment(ws, info.id))
    assert data == path.read_bytes()
    assert attachments.attachment_text(ws, info.id) == NOTE * 50
    assert attachments.list_attachments(ws, source.id) == [info]
    assert attachments.attachment_info(ws, info.id) == info
    assert sources.get_source(ws, source.id).attachment_count == 1


def test_a_multi_chunk_file_is_stored_in_chunks_and_streamed_back(ws, source, files, extractor):
    path = files / "export.csv"
    lines = "".join(f"R{n},Person {n},07700 900{n % 1000:03d}\n" for n in range(100_000))
    payload = ("ref,name,phone\n" + lines).encode()[: 3 * blobs.CHUNK_BYTES + 12_345]
    path.write_bytes(payload)
    info = attachments.capture_file(ws, source.id, path, extractor=extractor).attachment
    assert count(ws, "blob_chunk") == 4
    chunks = list(attachments.read_attachment(ws, info.id))
    assert [len(c) for c in chunks] == [blobs.CHUNK_BYTES] * 3 + [12_345]
    assert sha(b"".join(chunks)) == sha(payload) == info.sha256


def test_a_damaged_stored_copy_is_reported_when_read(ws, source, files, extractor):
    path = files / "note.txt"
    path.write_text(NOTE)
    info = attachments.capture_file(ws, source.id, path, extractor=extractor).attachment
    with ws.engine.begin() as conn:
        conn.execute(text("UPDATE blob_chunk SET data = x'00'"))
    with pytest.raises(errors.WorkspaceDamaged, match="SHA-256 does not match"):
        b"".join(attachments.read_attachment(ws, info.id))


# --- one stored copy ----------------------------------------------------------------------
def test_the_same_file_twice_on_one_source_is_a_duplicate_and_changes_nothing(
    ws, source, files, extractor
):
    path = files / "note.txt"
    path.write_text(NOTE)
    first = attachments.capture_file(ws, source.id, path, extractor=extractor)
    before = snapshot(ws)
    copy = files / "renamed copy.txt"
    copy.write_bytes(path.read_bytes())
    again = attachments.capture_files(ws, source.id, [path, copy], extractor=extractor)
    assert [r.outcome for r in again] == [CaptureOutcome.DUPLICATE] * 2
    assert all(r.attachment.id == first.attachment.id for r in again)
    assert again[0].message.startswith("Already attached to this source: captured ")
    assert snapshot(ws) == before


def test_a_file_on_two_sources_shares_one_stored_copy(ws, source, other_source, files, extractor):
    path = files / "statement.txt"
    path.write_bytes((NOTE * 40_000).encode()[: 2 * blobs.CHUNK_BYTES + 7])
    first = attachments.capture_file(ws, source.id, path, extractor=extractor)
    second = attachments.capture_file(
        ws, other_source.id, path, obtained_from="PND ref 2026/0042", extractor=extractor
    )
    assert second.outcome is CaptureOutcome.CAPTURED and second.linked
    assert "stored copy is shared" in second.message
    assert (count(ws, "blob"), count(ws, "blob_chunk"), count(ws, "attachment")) == (1, 3, 2)
    a, b = first.attachment, second.attachment
    assert (a.sha256, a.detected_type) == (b.sha256, b.detected_type)
    assert b.obtained_from == "PND ref 2026/0042" and a.obtained_from == ""
    assert attachments.attachment_text(ws, b.id) == attachments.attachment_text(ws, a.id)
    assert b"".join(attachments.read_attachment(ws, b.id)) == path.read_bytes()
    linked = [
        e
        for e in audit_rows(ws)
        if e["action"] == "collection" and e["record_type"] == "attachment"
    ]
    assert [json.loads(e["details"])["stored"] for e in linked] == ["new", "linked"]


# --- provenance ---------------------------------------------------------------------------
def test_provenance_is_kept_apart_from_the_capture_time(ws, source, files, extractor):
    path = files / "page.html"
    path.write_text("<html><body><p>Advert for car wash staff</p></body></html>")
    obtained = dt.datetime(2026, 9, 30, 8, 15, tzinfo=dt.UTC)
    info = attachments.capture_file(
        ws,
        source.id,
        path,
        obtained_from="https://forum.example.org/t/4411",
        obtained_at=obtained,
        exhibit_ref="ADR/1",
        extractor=extractor,
    ).attachment
    assert (info.obtained_from, info.obtained_at, info.exhibit_ref) == (
        "https://forum.example.org/t/4411",
        obtained,
        "ADR/1",
    )
    assert info.captured_at > obtained
    assert info.detected_type is FileType.HTML


def test_invalid_provenance_is_refused_before_any_file_is_read(ws, source, files):
    path = files / "note.txt"
    path.write_text(NOTE)
    before = snapshot(ws)
    tomorrow = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    with pytest.raises(errors.ValidationError) as caught:
        attachments.capture_files(
            ws, source.id, [path], obtained_at=tomorrow, exhibit_ref="X" * 101
        )
    assert {e.field for e in caught.value.errors} == {"obtained_at", "exhibit_ref"}
    with pytest.raises(errors.ValidationError, match="not a date and time"):
        attachments.capture_file(ws, source.id, path, obtained_at="last Tuesday")
    with pytest.raises(errors.RecordNotFound):
        attachments.capture_file(ws, 999, path)
    assert snapshot(ws) == before


# --- audit --------------------------------------------------------------------------------
def test_capture_is_a_collection_event_with_no_file_name_or_content(ws, source, files, extractor):
    path = files / "Statement of Dritë Hoxha.txt"
    path.write_text(NOTE)
    info = attachments.capture_file(ws, source.id, path, extractor=extractor).attachment
    b"".join(attachments.read_attachment(ws, info.id, justification="checking the call"))
    attachments.attachment_text(ws, info.id)
    events = [e for e in audit_rows(ws) if e["record_type"] == "attachment"]
    assert [e["action"] for e in events] == ["collection", "consultation", "consultation"]
    collected = json.loads(events[0]["details"])
    assert collected == {
        "sha256": info.sha256,
        "size": info.size,
        "type": "txt",
        "stored": "new",
        "text": "ok",
    }
    assert events[0]["record_ref"] == info.ref and events[0]["record_id"] == info.id
    assert events[1]["justification"] == "checking the call"
    for event in audit_rows(ws):
        flat = json.dumps(event, default=str)
        assert "Hoxha" not in flat and "07700" not in flat and "Statement" not in flat


# --- text extraction ----------------------------------------------------------------------
def test_a_file_whose_text_cannot_be_read_is_still_captured(ws, source, files, extractor):
    path = files / "scan.pdf"
    path.write_bytes(b"%PDF-1.7\n" + os.urandom(4000))  # a PDF header and nothing valid
    result = attachments.capture_file(ws, source.id, path, extractor=extractor)
    assert result.outcome is CaptureOutcome.CAPTURED
    info = result.attachment
    assert info.detected_type is FileType.PDF
    assert info.extraction_status is ExtractionStatus.FAILED and info.extraction_reason
    assert result.note == f"No text extracted: {info.extraction_reason}"
    assert attachments.attachment_text(ws, info.id) == ""
    assert b"".join(attachments.read_attachment(ws, info.id)) == path.read_bytes()


# --- bad input ----------------------------------------------------------------------------
def test_every_bad_file_gets_its_own_reason_and_the_batch_carries_on(ws, source, files, extractor):
    good = files / "good.txt"
    good.write_text(NOTE)
    empty = files / "empty.txt"
    empty.write_bytes(b"")
    liar = files / "report.docx"  # plain text pretending to be a Word document
    liar.write_text("Not a Word document at all: a note about Marlow Fen.")
    folder = files / "a folder.pdf"
    folder.mkdir()
    big = files / "big.txt"
    big.write_bytes(b"x" * 5000)
    vanishing = files / "vanishing.txt"
    vanishing.write_text("gone before its turn")
    last = files / "last.csv"
    last.write_text("name,phone\nAlex Example,07700 900456\n")
    batch = [good, empty, liar, folder, vanishing, big, files / "never existed.txt", last]

    def progress(done: int, total: int, message: str) -> None:
        if message.startswith("report.docx") and vanishing.exists():
            vanishing.unlink()  # deleted while the batch runs, before its turn

    results = attachments.capture_files(
        ws, source.id, batch, extractor=extractor, max_bytes=3 * 1024, progress=progress
    )
    got = {r.name: (r.outcome.value, r.message) for r in results}
    assert [r.name for r in results] == [p.name for p in batch]
    assert got["good.txt"][0] == got["report.docx"][0] == got["last.csv"][0] == "captured"
    assert got["empty.txt"] == ("failed", "Empty file (0 bytes): nothing to capture")
    assert got["a folder.pdf"] == ("failed", "Not a file: it is a folder")
    assert got["vanishing.txt"] == (
        "failed",
        "File not found: moved or deleted before it could be captured",
    )
    assert got["big.txt"] == ("failed", "Too large to capture: 4 KB (the limit is 3 KB)")
    assert got["never existed.txt"][0] == "failed"
    liar_result = results[2]
    assert liar_result.attachment.detected_type is FileType.TXT
    assert liar_result.note == "Named .docx, but the content is a Plain text"
    assert count(ws, "attachment") == 3 and count(ws, "blob") == 3
    events = [e for e in audit_rows(ws) if e["record_type"] == "attachment"]
    assert len(events) == 3  # one collection per stored file, none for a failure


def test_a_file_that_changes_while_it_is_captured_is_refused(ws, source, files, extractor):
    first = files / "a.txt"
    first.write_text("A" * 2000)
    attachments.capture_file(ws, source.id, first, extractor=extractor)
    before = snapshot(ws)
    growing = files / "b.txt"
    growing.write_text("B" * 2000)  # same size: it is hashed first, then stored

    def progress(done: int, total: int, message: str) -> None:
        if done and growing.stat().st_size == 2000:
            with growing.open("a") as f:
                f.write("appended while it was read")

    result = attachments.capture_file(
        ws, source.id, growing, extractor=extractor, progress=progress
    )
    assert result.outcome is CaptureOutcome.FAILED
    assert result.message == "The file changed while it was being captured; try again"
    assert snapshot(ws) == before


def test_cancelling_mid_file_rolls_back_that_file_only(ws, source, files, extractor):
    done = files / "done.txt"
    done.write_text(NOTE)
    big = files / "big.bin"
    big.write_bytes(os.urandom(4 * blobs.CHUNK_BYTES))
    after = files / "after.txt"
    after.write_text("never reached")
    chunks_read = {"n": 0}
    stop = {"now": False}

    def progress(done_bytes: int, total: int, message: str) -> None:
        if message.startswith("big.bin"):
            chunks_read["n"] += 1
            stop["now"] = chunks_read["n"] >= 3  # two chunks of big.bin are in the database

    results = attachments.capture_files(
        ws,
        source.id,
        [done, big, after],
        extractor=extractor,
        progress=progress,
        cancelled=lambda: stop["now"],
    )
    assert [r.outcome for r in results] == [
        CaptureOutcome.CAPTURED,
        CaptureOutcome.CANCELLED,
        CaptureOutcome.CANCELLED,
    ]
    assert results[1].message == "Cancelled: this file was not captured"
    assert results[2].message == "Cancelled before this file: not captured"
    assert (count(ws, "attachment"), count(ws, "blob"), count(ws, "blob_chunk")) == (1, 1, 1)
    assert [a.original_name for a in attachments.list_attachments(ws, source.id)] == ["done.txt"]


UNREADABLE = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from toexdesk.core.services import attachments, sources, tasks
    from toexdesk.core.store.engine import create_workspace
    if __name__ == "__main__":
        folder = Path(sys.argv[1])
        with create_workspace(folder / "w.toex", {passphrase!r}, "Unprivileged Analyst") as ws:
            t = tasks.create_task(ws, tasks.TaskDraft("Permissions", "DS Example", "other"))
            s = sources.create_source(
                ws, t.id, sources.SourceDraft("Shared drive", "document", "2", "C", "P")
            )
            results = attachments.capture_files(
                ws, s.id, [folder / "locked.txt", folder / "open.txt"]
            )
            print(json.dumps([[r.outcome.value, r.message] for r in results]))
    """
)


def test_an_unreadable_file_is_refused_with_a_reason(tmp_path, unprivileged):
    (tmp_path / "locked.txt").write_text("no access")
    (tmp_path / "locked.txt").chmod(0)
    (tmp_path / "open.txt").write_text(NOTE)
    script = tmp_path / "capture_unreadable.py"
    script.write_text(UNREADABLE.format(passphrase=PASSPHRASE))
    env = dict(os.environ, PYTHONPATH=str(ROOT), TOEX_DATA_DIR=str(tmp_path / "data"))
    proc = subprocess.run(
        [*unprivileged, sys.executable, str(script), str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    locked, opened = json.loads(proc.stdout.strip().splitlines()[-1])
    assert locked == [
        "failed",
        "Cannot read the file: permission denied (is it open in another program?)",
    ]
    assert opened[0] == "captured"


# --- memory -------------------------------------------------------------------------------
BIG_CAPTURE = textwrap.dedent(
    """
    import json, resource, sys
    from pathlib import Path
    from toexdesk.core.services import attachments, sources, tasks
    from toexdesk.core.store.engine import create_workspace

    def peak_mb():
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    if __name__ == "__main__":
        folder, size = Path(sys.argv[1]), int(sys.argv[2])
        small = folder / "small.txt"
        small.write_text("warm-up")
        big = folder / "big.bin"
        with big.open("wb") as f:  # sparse: no time or disk spent writing it
            f.truncate(size)
        with create_workspace(folder / "w.toex", {passphrase!r}, "Memory Analyst") as ws:
            t = tasks.create_task(ws, tasks.TaskDraft("Memory", "DS Example", "other"))
            s = sources.create_source(
                ws, t.id, sources.SourceDraft("Big export", "document", "2", "C", "P")
            )
            attachments.capture_file(ws, s.id, small)  # imports and caches warmed up
            before = peak_mb()
            result = attachments.capture_file(ws, s.id, big)
            after = peak_mb()
            for _chunk in attachments.read_attachment(ws, result.attachment.id):
                pass
            print(json.dumps({{"outcome": result.outcome.value, "size": result.attachment.size,
                              "before": before, "after": after, "read_peak": peak_mb()}}))
    """
)


def test_a_large_file_is_captured_in_bounded_memory(tmp_path):
    size = 300 * 1024 * 1024
    script = tmp_path / "capture_big.py"
    script.write_text(BIG_CAPTURE.format(passphrase=PASSPHRASE))
    env = dict(os.environ, PYTHONPATH=str(ROOT), TOEX_DATA_DIR=str(tmp_path / "data"))
    proc = subprocess.run(
        [sys.executable, str(script), str(tmp_path), str(size)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    figures = json.loads(proc.stdout.strip().splitlines()[-1])
    assert figures["outcome"] == "captured" and figures["size"] == size
    # The peak grows by SQLite's page cache and a chunk or two, never by the file.
    assert figures["after"] - figures["before"] < 100, figures
    assert figures["read_peak"] - figures["before"] < 100, figures


# --- new sources from files ---------------------------------------------------------------
def test_a_dropped_file_becomes_a_source_with_its_attachment(ws, task, files, extractor):
    path = files / "Partner return Q3.txt"
    path.write_text(NOTE)
    result = attachments.create_source_from_file(
        ws,
        task.id,
        path,
        obtained_from="YOT referral 2026/117",
        obtained_at=dt.date(2026, 10, 1),
        marking="OFFICIAL-SENSITIVE",
        extractor=extractor,
    )
    assert result.outcome is CaptureOutcome.CAPTURED
    src = sources.get_source(ws, result.attachment.source_id)
    assert (src.title, src.source_type.value, src.grading) == (
        "Partner return Q3",
        "document",
        "2/C/P",
    )
    assert src.marking is Marking.OFFICIAL_SENSITIVE
    assert (src.reference, src.obtained_on) == ("YOT referral 2026/117", dt.date(2026, 10, 1))
    assert src.attachment_count == 1
    kinds = [(e["action"], e["record_type"]) for e in audit_rows(ws)][-3:]
    assert kinds == [
        ("collection", "source"),
        ("collection", "attachment"),
        ("consultation", "source"),
    ]


def test_a_file_that_fails_leaves_no_new_source_behind(ws, task, files, extractor):
    before = snapshot(ws)
    results = attachments.create_sources_from_files(
        ws, task.id, [files / "missing.pdf", files], extractor=extractor
    )
    assert [r.outcome for r in results] == [CaptureOutcome.FAILED] * 2
    assert snapshot(ws) == before


# --- archiving and erasure ----------------------------------------------------------------
def test_archived_attachments_leave_the_list_and_come_back(ws, source, files, extractor):
    path = files / "note.txt"
    path.write_text(NOTE)
    info = attachments.capture_file(ws, source.id, path, extractor=extractor).attachment
    assert attachments.archive_attachment(ws, info.id, justification="superseded").archived
    assert attachments.list_attachments(ws, source.id) == []
    assert [a.id for a in attachments.list_attachments(ws, source.id, include_archived=True)] == [
        info.id
    ]
    again = attachments.capture_file(ws, source.id, path, extractor=extractor)
    assert again.outcome is CaptureOutcome.DUPLICATE and "(archived)" in again.message
    assert not attachments.archive_attachment(ws, info.id, archived=False).archived


def test_erasing_the_last_attachment_of_a_file_erases_its_bytes(
    ws, source, other_source, files, extractor
):
    path = files / "note.txt"
    path.write_text(NOTE * 10)
    a = attachments.capture_file(ws, source.id, path, extractor=extractor).attachment
    b = attachments.capture_file(ws, other_source.id, path, extractor=extractor).attachment
    with pytest.raises(errors.ValidationError):
        attachments.erase_attachment(ws, a.id, justification=" ")
    attachments.erase_attachment(ws, a.id, justification="captured onto the wrong source")
    assert (count(ws, "attachment"), count(ws, "blob"), count(ws, "blob_chunk")) == (1, 1, 1)
    assert b"".join(attachments.read_attachment(ws, b.id)) == path.read_bytes()
    attachments.erase_attachment(ws, b.id, justification="retention review")
    assert (count(ws, "attachment"), count(ws, "blob"), count(ws, "blob_chunk")) == (0, 0, 0)
    assert count(ws, "attachment_text") == 0
    erased = [json.loads(e["details"]) for e in audit_rows(ws) if e["action"] == "erasure"]
    assert erased == [{"bytes_erased": False}, {"bytes_erased": True}]
    with pytest.raises(errors.RecordNotFound):
        attachments.attachment_info(ws, a.id)


def test_erasing_a_task_erases_its_files(ws, task, source, files, extractor):
    path = files / "note.txt"
    path.write_text(NOTE)
    attachments.capture_file(ws, source.id, path, extractor=extractor)
    tasks.erase_task(ws, task.id, justification="retention period over")
    assert {t: n for t, n in snapshot(ws).items() if t != "audit_event"} == {
        "attachment": 0,
        "attachment_text": 0,
        "blob": 0,
        "blob_chunk": 0,
        "source": 0,
    }
