"""Runs the hostile input corpus (``tests/hostile_corpus.py``, issue 9 requirement 3)
through capture, extraction, search, report and export, in this process, against a real
workspace, and counts what happened per kind of case.

    PYTHONPATH=. python tests/perf/hostile_run.py [--limit N] [--every K] [--json out.json]

Per case: files go through ``capture_files`` or ``create_sources_from_files`` (extraction in
child processes with the product's own time and memory limits); field values through the
create and update services (a stored value must read back exactly as validation leaves it,
i.e. stripped; a refused one must raise a ``ToexError`` whose message is one clear line);
queries through ``search``; names through the export's ``safe_file_name`` and a real write.
After any case that should not have changed the workspace (refused, duplicate, a search), a
hash of every row of every table is compared with the one taken before the case. Then the
task that collected the hostile values is rendered (PDF, DOCX, briefing pack) and exported
(CSV, XLSX, i2, manifest): the PDF must parse, no CSV/XLSX cell may start with a formula
character, every file name must be one Windows and Linux accept.

A *failure* is anything else: an exception that is not a ``ToexError``, a message that is
not one clear line (a traceback, raw exception text, a control character, "internal
error"), a refused case that changed stored data, a value read back differently, text an
XXE case must never see. Exit status 1 if there is any."""

from __future__ import annotations

import argparse
import contextlib
import csv
import hashlib
import io
import json
import os
import re
import shutil
import stat
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

import hostile_corpus as hc  # noqa: E402

from toexdesk.core import errors  # noqa: E402
from toexdesk.core.extract import Extractor  # noqa: E402
from toexdesk.core.services import (  # noqa: E402
    attachments,
    entities,
    exports,
    findings,
    reports,
    search,
    sources,
    tasks,
)
from toexdesk.core.services.capture import FILES_PER_HELPER  # noqa: E402
from toexdesk.core.store.engine import Workspace, create_workspace  # noqa: E402

PASSPHRASE = "hostile corpus passphrase 2026"
SENTINEL = "SENTINEL-7f3 <b>bold</b> &amp; <font size=40>big</font> =1+1"
FORMULA = '=HYPERLINK("http://example.org","FORMULA-SENTINEL")'
FORMULA_START = frozenset("=+-@\t\r\n\x00")
MAX_MESSAGE = 400
_RAW = re.compile(
    r"Traceback|File \"|line \d+, in |internal error|object has no attribute|NoneType|"
    r"codec can't|surrogates not allowed|\[Errno|sqlalchemy|sqlite3\.|sqlcipher|"
    r"Background on this error|unexpected keyword|takes \d+ positional",
    re.IGNORECASE,
)
_UNSAFE_CHARS = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


class CaseFailed(Exception):
    """A case broke one of the promises; the message says which."""


@dataclass
class Tally:
    cases: int = 0
    stored: int = 0  # stored and read back (or answered, for searches and names)
    no_text: int = 0  # captured, but no text could be extracted (with a reason)
    refused: int = 0  # refused with a clear message, nothing changed
    failures: int = 0
    seconds: float = 0.0


def unclear(message: object) -> str | None:
    """Why ``message`` is not one clear line for a person, or None if it is."""
    if not isinstance(message, str) or not message.strip():
        return "empty message"
    if "\n" in message or "\r" in message:
        return "message is not one line"
    if len(message) > MAX_MESSAGE:
        return f"message is {len(message):,} characters long"
    if _RAW.search(message):
        return f"raw exception text or internal error in message: {message[:160]!r}"
    if _UNSAFE_CHARS.search(message):
        return f"control or bidi characters in message: {message[:160]!r}"
    return None


def storable(name: str) -> str:
    """A name as the workspace can hold it: the undecodable bytes of a Linux file name
    (lone surrogates) as U+FFFD."""
    return "".join("\ufffd" if "\ud800" <= ch <= "\udfff" else ch for ch in name)


def state_hash(ws: Workspace) -> str:
    """SHA-256 over every row of every table (the FTS5 index through its shadow tables)."""
    digest = hashlib.sha256()
    with ws.engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        names = [
            row[0]
            for row in raw.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND sql NOT LIKE 'CREATE VIRTUAL%' ORDER BY name"
            )
        ]
        for name in names:
            digest.update(b"\x1etable " + name.encode())
            for row in raw.execute(f'SELECT * FROM "{name}"'):  # noqa: S608 (our own names)
                for value in row:
                    if isinstance(value, bytes):
                        digest.update(b"\x1fb%d:" % len(value) + value)
                    else:
                        digest.update(b"\x1f" + repr(value).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


# --- the runner --------------------------------------------------------------------------------
class Runner:
    def __init__(self, folder: Path, *, log: Callable[[str], None] = print) -> None:
        self.folder = folder
        self.files = folder / "files"
        self.out = folder / "exports"
        for path in (self.files, self.out):
            path.mkdir(parents=True, exist_ok=True)
        self.secret = folder / "secret.txt"
        self.secret.write_text(hc.XXE_SECRET + "\n", encoding="utf-8")
        self.log = log
        self.ws = create_workspace(folder / "hostile.toex", PASSPHRASE, "Hostile Analyst")
        self.extractor = Extractor(files_per_helper=FILES_PER_HELPER)
        self.tally: dict[str, Tally] = defaultdict(Tally)
        self.failures: list[dict] = []
        self.notes: dict[str, int] = defaultdict(int)  # extraction reasons, by first words
        self._hash: str | None = None
        self._n = 0
        self._setup()

    def _setup(self) -> None:
        ws = self.ws
        self.task = tasks.create_task(
            ws, tasks.TaskDraft("Hostile corpus task", "DS Test", "ocg", research_questions="Q?")
        ).id
        self.scratch = tasks.create_task(ws, tasks.TaskDraft("Scratch", "DS Test", "other")).id
        self.source = sources.create_source(
            ws, self.task, sources.SourceDraft("Base source", "open_source", "2", "B", "P")
        ).id
        self.finding = findings.create_finding(
            ws, self.task, findings.FindingDraft(SENTINEL, "likely"), [(self.source, "supports")]
        ).id
        findings.create_finding(
            ws, self.task, findings.FindingDraft(FORMULA, "likely"), [(self.source, "supports")]
        )
        self.editable_finding = findings.create_finding(
            ws,
            self.task,
            findings.FindingDraft("Edited finding", "unlikely"),
            [(self.source, "supports")],
        ).id
        self.entity = entities.create_entity(ws, entities.EntityDraft("person", "Ada Quill")).id
        entities.mention(ws, self.entity, finding_id=self.finding)

    def close(self) -> None:
        self.extractor.close()
        self.ws.close()

    # --- bookkeeping ----------------------------------------------------------------------------
    def state(self) -> str:
        if self._hash is None:
            self._hash = state_hash(self.ws)
        return self._hash

    def run(self, cases: Iterable[hc.Case]) -> None:
        for case in cases:
            self.run_case(case)

    def run_case(self, case: hc.Case) -> str:
        """Run one case; returns its outcome (stored, no_text, refused, failed)."""
        handler = {
            "capture": self._capture,
            "field": self._field,
            "search": self._search,
            "name": self._name,
        }[case.stage]
        return self.check(case.id, case.kind, lambda: handler(case), expect=case.expect)

    def check(self, case_id: str, kind: str, action: Callable[[], str], expect: str = "") -> str:
        """Run ``action`` (returns stored, no_text, refused or unchanged) and hold it to the
        promises; a refused or unchanged outcome must leave every row as it was."""
        tally = self.tally[kind]
        tally.cases += 1
        self._n += 1
        started = time.perf_counter()
        before = self.state()
        try:
            try:
                outcome = action()
            except errors.ToexError as exc:
                why = unclear(str(exc))
                if why:
                    raise CaseFailed(f"refused, but {why}") from None
                outcome = "refused"
            except CaseFailed:
                raise
            except Exception as exc:  # the promise: nothing but a ToexError
                raise CaseFailed(f"raised {type(exc).__name__}: {str(exc)[:200]!r}") from None
            if outcome in ("refused", "unchanged"):
                self._hash = None
                if self.state() != before:
                    raise CaseFailed(f"{outcome}, but stored data changed")
            else:
                self._hash = None
            if expect == "refused" and outcome != "refused":
                raise CaseFailed(f"expected a refusal, got {outcome}")
            if expect == "stored" and outcome == "refused":
                raise CaseFailed("expected the value to be stored, but it was refused")
        except CaseFailed as exc:
            self._hash = None
            tally.failures += 1
            self.failures.append({"id": case_id, "kind": kind, "why": str(exc)})
            self.log(f"FAIL {case_id} [{kind}]: {exc}")
            outcome = "failed"
        else:
            if outcome == "refused":
                tally.refused += 1
            elif outcome == "no_text":
                tally.no_text += 1
            else:
                tally.stored += 1
        tally.seconds += time.perf_counter() - started
        if self._n % 100 == 0:
            self.log(
                f"... {self._n} cases, {sum(t.failures for t in self.tally.values())} failures"
            )
        return outcome

    # --- files ----------------------------------------------------------------------------------
    def _materialise(self, case: hc.Case) -> Path:
        folder = self.files / f"c{self._n:05d}"
        folder.mkdir()
        if len("/".join(case.subdirs)) > 3000:  # deeper than PATH_MAX: walk down by handles
            return _deep_file(folder, case.subdirs, case.name, case.data)
        where = folder.joinpath(*case.subdirs) if case.subdirs else folder
        if ".." in case.subdirs:
            for i in range(len(case.subdirs)):
                part = folder.joinpath(*case.subdirs[: i + 1])
                if case.subdirs[i] not in ("..", "."):
                    part.mkdir(exist_ok=True)
        else:
            where.mkdir(parents=True, exist_ok=True)
        path = where / case.name
        special = case.special
        if special == "fifo":
            os.mkfifo(path)
        elif special == "folder":
            path.mkdir()
        elif special == "dangling":
            path.symlink_to(folder / "no-such-file.txt")
        elif special == "loop":
            path.symlink_to(folder / "loop-b")
            (folder / "loop-b").symlink_to(path)
        elif special == "missing":
            pass
        else:
            path.write_bytes(case.data)
            if special == "mtime-future":
                os.utime(path, (2**40, 2**40))
            elif special == "mtime-old":
                os.utime(path, (-(2**40), -(2**40)))
        return path

    def _capture(self, case: hc.Case) -> str:
        path = self._materialise(case)
        try:
            if self._n % 2:
                (result,) = attachments.capture_files(
                    self.ws, self.source, [path], extractor=self.extractor
                )
            else:
                (result,) = attachments.create_sources_from_files(
                    self.ws, self.task, [path], extractor=self.extractor
                )
            return self._captured(case, path, result)
        finally:
            _remove(self.files / f"c{self._n:05d}")

    def _captured(self, case: hc.Case, path: Path, result) -> str:
        outcome = result.outcome
        why = unclear(result.message)
        if why:
            raise CaseFailed(f"capture message: {why}")
        if outcome is attachments.CaptureOutcome.FAILED:
            return "refused"
        if outcome is attachments.CaptureOutcome.DUPLICATE:
            return "unchanged"
        if outcome is not attachments.CaptureOutcome.CAPTURED:
            raise CaseFailed(f"unexpected outcome {outcome}")
        info = attachments.attachment_info(self.ws, result.attachment.id)
        if info.original_name != storable(path.name)[:500]:
            raise CaseFailed(f"name read back as {info.original_name!r}")
        data = case.data
        if info.sha256 != hashlib.sha256(data).hexdigest() or info.size != len(data):
            raise CaseFailed("the stored file is not the file captured")
        text = attachments.attachment_text(self.ws, info.id)
        if case.forbidden and (case.forbidden in text or case.forbidden in (result.note or "")):
            raise CaseFailed("an external entity was resolved: the secret file was read")
        if result.note:
            why = unclear(result.note)
            if why:
                raise CaseFailed(f"capture note: {why}")
            self.notes[" ".join(result.note.split()[:5])] += 1
        if info.extraction_status.value == "failed":
            return "no_text"
        return "stored"

    # --- field values ---------------------------------------------------------------------------
    def _field(self, case: hc.Case) -> str:
        record, name, value = case.record, case.field, case.value
        expected = " ".join(value.split()) if name == "tags" else value.strip()
        if record == "task":
            info = self._task_field(case, name, value)
        elif record == "source":
            info = self._source_field(case, name, value)
        elif record == "finding":
            info = self._finding_field(case, name, value)
        elif record == "entity":
            info = self._entity_field(case, name, value)
        elif record == "justification":
            return self._justification(value)
        elif record == "provenance":
            return self._provenance(name, value)
        else:
            raise ValueError(record)
        got = getattr(info, name)
        if name == "tags":
            if expected and expected.casefold() not in {t.casefold() for t in got}:
                raise CaseFailed(f"tag read back as {got!r}")
        elif isinstance(got, str) and got != expected:
            raise CaseFailed(f"{record}.{name} read back differently ({len(got)} characters)")
        return "stored"

    def _changes(self, name: str, value: str) -> dict:
        return {"tags": (value,)} if name == "tags" else {name: value}

    def _task_field(self, case: hc.Case, name: str, value: str):
        changes = self._changes(name, value)
        if case.op == "update" or name == "status":
            tasks.update_task(self.ws, self.task, **changes)
            return tasks.get_task(self.ws, self.task)
        draft = tasks.TaskDraft(
            **{"title": "Field task", "requester": "DS Test", "thematic": "ocg", **changes}
        )
        return tasks.create_task(self.ws, draft)

    def _source_field(self, case: hc.Case, name: str, value: str):
        changes = self._changes(name, value)
        if name == "handling_conditions":
            changes["handling"] = "C"
        if case.op == "update":
            return sources.update_source(self.ws, self.source, **changes)
        base = {"title": "Field source", "source_type": "open_source", "evaluation": "2"}
        base |= {"assessment": "B", "handling": "P"}
        info = sources.create_source(self.ws, self.task, sources.SourceDraft(**(base | changes)))
        findings.link_source(self.ws, self.finding, info.id, "context")
        return info

    def _finding_field(self, case: hc.Case, name: str, value: str):
        changes = self._changes(name, value)
        if case.op == "update":
            return findings.update_finding(self.ws, self.editable_finding, **changes)
        draft = findings.FindingDraft(**({"text": "Field finding", "phia": "likely"} | changes))
        return findings.create_finding(self.ws, self.task, draft, [(self.source, "supports")])

    def _entity_field(self, case: hc.Case, name: str, value: str):
        if case.op == "update":
            return entities.update_entity(self.ws, self.entity, **{name: value})
        draft = entities.EntityDraft(**({"kind": "person", "name": "Field entity"} | {name: value}))
        info = entities.create_entity(self.ws, draft)
        entities.mention(self.ws, info.id, finding_id=self.finding)
        return info

    def _justification(self, value: str) -> str:
        title = f"Scratch {self._n}"
        tasks.update_task(self.ws, self.scratch, title=title, justification=value)
        with self.ws.engine.connect() as conn:
            raw = conn.connection.dbapi_connection
            (got,) = raw.execute(
                "SELECT justification FROM audit_event ORDER BY seq DESC LIMIT 1"
            ).fetchone()
        if got != value.strip():
            raise CaseFailed("justification read back differently")
        return "stored"

    def _provenance(self, name: str, value: str) -> str:
        path = self.files / f"provenance-{self._n}.txt"
        path.write_bytes(f"provenance case {self._n}\n".encode())
        try:
            (result,) = attachments.capture_files(
                self.ws, self.source, [path], extractor=self.extractor, **{name: value}
            )
        finally:
            path.unlink()
        if result.outcome is not attachments.CaptureOutcome.CAPTURED:
            raise CaseFailed(
                f"a good file with valid provenance was not captured: {result.message}"
            )
        got = getattr(attachments.attachment_info(self.ws, result.attachment.id), name)
        if got != value.strip():
            raise CaseFailed(f"provenance {name} read back differently")
        return "stored"

    # --- searches and names ---------------------------------------------------------------------
    def _search(self, case: hc.Case) -> str:
        for options in ({}, {"record_types": ["source", "attachment"]}, {"task_id": self.task}):
            hits = search.search(self.ws, case.value, **options)
            for hit in hits:
                if not isinstance(hit.snippet, str) or not isinstance(hit.title, str):
                    raise CaseFailed("a hit without text")
                if any(not 0 <= a < b <= len(hit.snippet) for a, b in hit.highlights):
                    raise CaseFailed("a highlight outside its snippet")
        return "unchanged"

    def _name(self, case: hc.Case) -> str:
        cleaned = exports.safe_file_name(case.name)
        problem = name_problem(cleaned)
        if problem:
            raise CaseFailed(f"safe_file_name({case.name[:40]!r}) = {cleaned!r}: {problem}")
        folder = self.out / "names"
        folder.mkdir(exist_ok=True)
        exports.write_atomically(folder / cleaned, lambda fh: fh.write(b"x"), overwrite=True)
        if cleaned not in os.listdir(folder):
            raise CaseFailed(f"{cleaned!r} was not written under that name")
        return "stored"

    # --- products -------------------------------------------------------------------------------
    def run_products(self) -> None:
        self.check("product/summary-pdf", "product_pdf", self._summary_pdf)
        self.check("product/summary-docx", "product_docx", self._summary_docx)
        self.check("product/pack", "product_pack", self._pack)
        self.check("product/export-all", "product_export", lambda: self._export(self.out / "all"))
        weird = self.out / "folder \u202eevil\x1b[31m ctl\x01"
        self.check("product/export-odd-folder", "product_export", lambda: self._export(weird))
        for i, (recipient, purpose, expect) in enumerate(RECIPIENTS):
            folder = self.out / f"recipient-{i:02d}"
            self.check(
                f"product/recipient/{i:02d}",
                "product_recipient",
                lambda f=folder, r=recipient, p=purpose: self._export(f, ("csv",), r, p),
                expect=expect,
            )

    def _summary_pdf(self) -> str:
        from pypdf import PdfReader

        from toexdesk.core.render.pdf import render_summary_pdf

        summary = reports.research_summary(self.ws, self.task)
        buffer = io.BytesIO()
        pages = render_summary_pdf(summary, buffer)
        reader = PdfReader(io.BytesIO(buffer.getvalue()), strict=True)
        if len(reader.pages) != pages or pages < 1:
            raise CaseFailed(f"the PDF has {len(reader.pages)} pages, the renderer said {pages}")
        text = " ".join(" ".join((p.extract_text() or "").split()) for p in reader.pages)
        if "<b>bold</b>" not in text or "<font size=40>big</font>" not in text:
            raise CaseFailed("markup in a finding was not printed as text")
        marking = summary.marking.label
        for number, page in enumerate(reader.pages, 1):
            if marking not in (page.extract_text() or ""):
                raise CaseFailed(f"page {number} does not show the marking {marking}")
        self.log(f"research summary PDF: {pages} pages, {len(buffer.getvalue()):,} bytes")
        return "stored"

    def _summary_docx(self) -> str:
        import docx

        from toexdesk.core.render.docx import render_summary_docx

        summary = reports.research_summary(self.ws, self.task)
        buffer = io.BytesIO()
        render_summary_docx(summary, buffer)
        document = docx.Document(io.BytesIO(buffer.getvalue()))
        text = "\n".join(p.text for p in document.paragraphs)
        text += "\n".join(c.text for t in document.tables for r in t.rows for c in r.cells)
        if SENTINEL not in text:
            raise CaseFailed("the sentinel finding is not in the DOCX as written")
        return "stored"

    def _pack(self) -> str:
        import docx
        from pypdf import PdfReader

        from toexdesk.core.render.docx import render_pack_docx
        from toexdesk.core.render.pdf import render_pack_pdf

        title = "<font size=99>Pack</font> =1+1 \u202eevil & <para>"
        pack = reports.briefing_pack(
            self.ws, [self.task, self.scratch], title=title, recipient="=cmd|x"
        )
        buffer = io.BytesIO()
        pages = render_pack_pdf(pack, buffer)
        reader = PdfReader(io.BytesIO(buffer.getvalue()), strict=True)
        if len(reader.pages) != pages:
            raise CaseFailed("the pack PDF does not have the pages the renderer said")
        buffer = io.BytesIO()
        render_pack_docx(pack, buffer)
        docx.Document(io.BytesIO(buffer.getvalue()))
        return "stored"

    def _export(
        self,
        folder: Path,
        formats: tuple[str, ...] = exports.FORMATS,
        recipient: str = "DS Ada Rowe <script>",
        purpose: str = '=HYPERLINK("http://example.org") tasking',
    ) -> str:
        folder.mkdir(parents=True, exist_ok=True)
        try:
            result = exports.export_task(
                self.ws, self.task, folder, formats=formats, recipient=recipient, purpose=purpose
            )
        except errors.ToexError:
            if os.listdir(folder):
                raise CaseFailed("a refused export left files behind") from None
            raise
        names = sorted(os.listdir(folder))
        if names != sorted(f.name for f in result.files):
            raise CaseFailed(f"the folder holds {names}, the export reported others")
        for exported in result.files:
            problem = name_problem(exported.name)
            if problem or exported.path.parent != folder:
                raise CaseFailed(f"exported file name {exported.name!r}: {problem or 'elsewhere'}")
            data = exported.path.read_bytes()
            if hashlib.sha256(data).hexdigest() != exported.sha256:
                raise CaseFailed(f"{exported.name} does not match its recorded SHA-256")
            if exported.name.endswith(".csv"):
                check_cells(exported.name, csv_cells(data))
            elif exported.name.endswith(".xlsx"):
                check_cells(exported.name, xlsx_cells(data))
            elif exported.name.endswith(".pdf"):
                from pypdf import PdfReader

                PdfReader(io.BytesIO(data), strict=True).pages[0].extract_text()
            elif exported.name.endswith(".sha256"):
                check_manifest(data, result)
        if formats == exports.FORMATS:  # the formula finding did reach the tables, made safe
            for exported in result.files:
                if exported.name.endswith(("findings.csv", ".xlsx")):
                    data = exported.path.read_bytes()
                    cells = csv_cells(data) if exported.name.endswith(".csv") else xlsx_cells(data)
                    if "'" + FORMULA not in cells:
                        raise CaseFailed(
                            f"{exported.name}: the formula finding is not there as text"
                        )
        return "stored"

    # --- the report -----------------------------------------------------------------------------
    def totals(self) -> Tally:
        total = Tally()
        for tally in self.tally.values():
            for key in ("cases", "stored", "no_text", "refused", "failures"):
                setattr(total, key, getattr(total, key) + getattr(tally, key))
            total.seconds += tally.seconds
        return total

    def table(self) -> str:
        lines = [
            f"{'kind':<24} {'cases':>6} {'stored':>6} {'no text':>7} {'refused':>7} "
            f"{'fail':>5} {'time s':>7}"
        ]
        rows = [*sorted(self.tally.items()), ("TOTAL", self.totals())]
        for kind, t in rows:
            lines.append(
                f"{kind:<24} {t.cases:>6} {t.stored:>6} {t.no_text:>7} {t.refused:>7} "
                f"{t.failures:>5} {t.seconds:>7.1f}"
            )
        return "\n".join(lines)


RECIPIENTS = [
    ("<b>DS Rowe</b>", "<script>alert(1)</script>", "stored"),
    ("=cmd|' /C calc'!A0", "+1 -1 @SUM(1)", "stored"),
    ("DS Rowe\n0" * 3, "line one\nabcdef0123456789" * 8 + "  manifest.csv", "stored"),
    ("\u202eewoR SD", "\u2066purpose\u2069 \u200b", "stored"),
    ("DS Rowe", "purpose\x00", "refused"),
    ("x" * 301, "purpose", "refused"),
    ("DS Rowe", "p" * (hc.MB), "refused"),
    ("\ud800", "purpose", "refused"),
    ("", "purpose", "refused"),
]


def name_problem(name: str) -> str | None:
    if name in ("", ".", ".."):
        return "empty or a dot name"
    if re.search(r'[<>:"/\\|?*\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]', name):
        return "a character Windows or Linux refuses, a control or a bidi override"
    if name.endswith((" ", ".")):
        return "ends with a space or a dot"
    if len(name) > exports.MAX_NAME or len(name.encode("utf-8")) > exports.MAX_NAME_BYTES:
        return "too long"
    if name.split(".")[0].rstrip(" ").upper() in exports._RESERVED:
        return "a Windows device name"
    if exports.safe_file_name(name) != name:
        return "cleaning it again changes it"
    return None


def csv_cells(data: bytes) -> list[str]:
    csv.field_size_limit(sys.maxsize)  # a finding citing hundreds of sources is a long cell
    text = data.decode("utf-8-sig")
    return [cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row]


def xlsx_cells(data: bytes) -> list[str]:
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(data))
    cells = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    raise CaseFailed(
                        f"a formula cell in the XLSX at {sheet.title}!{cell.coordinate}"
                    )
                if cell.value is not None:
                    cells.append(str(cell.value))
    return cells


def check_cells(name: str, cells: list[str]) -> None:
    for cell in cells:
        if cell[:1] in FORMULA_START or cell.lstrip(" \u00a0")[:1] in FORMULA_START:
            raise CaseFailed(f"{name}: a cell starts with a formula character: {cell[:40]!r}")


def check_manifest(data: bytes, result) -> None:
    lines = data.decode("utf-8").split("\n")
    listed = [line for line in lines if line and not line.startswith("#")]
    expected = [f"{f.sha256}  {f.name}" for f in result.files[:-1]]
    if listed != expected:
        raise CaseFailed(f"the manifest lists {len(listed)} lines, not the {len(expected)} files")


def _deep_file(folder: Path, parts: tuple[str, ...], name: str, data: bytes) -> Path:
    """Make a file deeper than PATH_MAX, one folder at a time through open handles."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        for part in parts:
            os.mkdir(part, dir_fd=fd)
            child = os.open(part, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = child
        handle = os.open(name, os.O_WRONLY | os.O_CREAT, 0o600, dir_fd=fd)
        os.write(handle, data)
        os.close(handle)
    finally:
        os.close(fd)
    return folder.joinpath(*parts, name)


def _remove(folder: Path) -> None:
    """Delete a case's folder, however deep or odd (rmtree cannot follow past PATH_MAX)."""

    def walk(fd: int) -> None:
        for entry in os.listdir(fd):
            info = os.stat(entry, dir_fd=fd, follow_symlinks=False)
            if stat.S_ISDIR(info.st_mode):
                child = os.open(entry, os.O_RDONLY, dir_fd=fd)
                try:
                    walk(child)
                finally:
                    os.close(child)
                os.rmdir(entry, dir_fd=fd)
            else:
                os.unlink(entry, dir_fd=fd)

    with contextlib.suppress(FileNotFoundError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            walk(fd)
        finally:
            os.close(fd)
        folder.rmdir()


def select(cases: Iterable[hc.Case], *, every: int = 1, limit: int | None = None):
    for n, case in enumerate(cases):
        if limit is not None and n >= limit * every:
            return
        if n % every == 0:
            yield case


def run(folder: Path, *, every: int = 1, limit: int | None = None, log=print) -> Runner:
    runner = Runner(folder, log=log)
    try:
        with quiet_pdf_reader():
            runner.run(select(hc.cases(secret=runner.secret), every=every, limit=limit))
            runner.run_products()
    finally:
        runner.close()
    return runner


@contextlib.contextmanager
def quiet_pdf_reader():
    """pypdf's warnings about what it reads go to the root logger's stderr: not ours."""
    import logging

    logger = logging.getLogger("pypdf")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, help="run only the first N cases (after --every)")
    parser.add_argument("--every", type=int, default=1, help="run every K-th case")
    parser.add_argument("--json", type=Path, help="write the counts and failures here")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="toex-hostile-"))
    started = time.perf_counter()
    try:
        runner = run(folder, every=args.every, limit=args.limit)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    elapsed = time.perf_counter() - started
    print(runner.table())
    print(f"wall time {elapsed:.0f} s")
    for failure in runner.failures:
        print(f"FAILURE {failure['id']} [{failure['kind']}]: {failure['why']}")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "kinds": {k: asdict(t) for k, t in sorted(runner.tally.items())},
                    "total": asdict(runner.totals()),
                    "failures": runner.failures,
                    "extraction_notes": dict(sorted(runner.notes.items())),
                    "wall_seconds": round(elapsed, 1),
                },
                indent=2,
            ),
            encoding="utf-8",
        )
    return 1 if runner.failures else 0


if __name__ == "__main__":
    sys.exit(main())
