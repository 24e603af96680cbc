"""Writing a product to a folder the user chose (often a shared drive): all or nothing.

The file is written to a temporary name in the target folder, flushed and fsynced, then the
disclosure is recorded, and only then is it renamed to its real name. So a failure at any
step leaves no partial file under the real name, and a product is never published without
its audit event (if the final rename fails after the event, the trail errs on the side of
saying more went out than did). An existing file is never replaced unless asked. A killed
export leaves at most a dot-named temporary file (``.toex-*.part``), which the next export
to that folder removes once it is an hour old.

``export_task`` writes a task's products to one folder (a shared drive): the research summary
(PDF, DOCX), the source register and findings (CSV, XLSX), the entities for i2 Analyst's
Notebook (CSV) and a SHA-256 manifest of them with the audit chain head. Each file is
written as above and has its own disclosure event (recipient, purpose, format, SHA-256); the
recipient and purpose are remembered per task by reading back the task's last disclosure
event (inside the encrypted workspace, never in the plaintext settings file)."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select

from toexdesk.core.enums import AuditAction, Marking
from toexdesk.core.errors import Cancelled, ExportFailed, RecordNotFound
from toexdesk.core.model import (
    AuditEvent,
    Entity,
    Finding,
    FindingSource,
    Source,
    Task,
    finding_entity,
    source_entity,
    utcnow,
)
from toexdesk.core.services import _common as c
from toexdesk.core.services import reports
from toexdesk.core.store.checks import fsync_dir
from toexdesk.core.store.engine import Workspace, session_scope

# Names Windows reserves for devices, with or without an extension (the superscript digits
# count as digits there too).
_RESERVED = (
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
    | {f"{p}{n}" for p in ("COM", "LPT") for n in range(10)}
    | {f"{p}{n}" for p in ("COM", "LPT") for n in "\u00b9\u00b2\u00b3"}
)
# Separators and what Windows forbids, controls (C0, DEL, C1), the bidi embeddings,
# overrides and isolates that make "summary\u202efdp.exe" read as "summaryexe.pdf", and
# lone surrogates (undecodable bytes in a Linux name, which Windows cannot store).
_UNSAFE = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]')
MAX_NAME = 150  # leaves room under Windows' 260-character path limit on deep shares
MAX_NAME_BYTES = 240  # Linux allows 255 bytes of UTF-8 (Windows 255 UTF-16 units, fewer)
MAX_EXT = 16
WINDOWS_MAX_PATH = 260  # MAX_PATH: Explorer and Office cannot open a longer path
_WINDOWS = os.name == "nt"


def safe_file_name(name: str) -> str:
    """A file name that is legal on Windows and Linux: no separators, reserved characters,
    control characters, trailing dots or spaces, or device names; at most ``MAX_NAME``
    characters and ``MAX_NAME_BYTES`` bytes of UTF-8. A safe name comes back unchanged."""
    # A cut can turn the tail of a long name into what looks like an extension, so the
    # result is cleaned again until it is stable (``write_atomically`` relies on that).
    for _ in range(3):
        cleaned = _clean_name(name)
        if cleaned == name:
            break
        name = cleaned
    return name


def _clean_name(name: str) -> str:
    stem, dot, ext = name.rpartition(".") if "." in name else (name, "", "")
    if len(ext) > MAX_EXT:  # a dot in a sentence, not an extension
        stem, dot, ext = name, "", ""
    stem = _UNSAFE.sub("_", stem).strip(" .") or "product"
    ext = _UNSAFE.sub("_", ext).strip(" .")
    if stem.split(".")[0].rstrip(" ").upper() in _RESERVED:
        stem = f"_{stem}"
    room = MAX_NAME - len(ext) - 1
    budget = MAX_NAME_BYTES - len(ext.encode("utf-8", "surrogatepass")) - 1
    stem = stem[:room]
    while len(stem.encode("utf-8", "surrogatepass")) > budget:
        stem = stem[:-1]
    stem = stem.rstrip(" .") or "product"  # a cut may end on a dot or space
    return f"{stem}{dot}{ext}" if ext else stem


def product_file_name(marking: Marking, reference: str, kind: str, ext: str) -> str:
    """E.g. ``OFFICIAL-SENSITIVE_TX-2026-0042_summary.pdf``: the marking leads the name, so
    it shows in any folder listing."""
    return safe_file_name(f"{marking.value.replace(' ', '-')}_{reference}_{kind}.{ext}")


class _Hashing:
    def __init__(self, fh: BinaryIO):
        self.fh, self.sha = fh, hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.sha.update(data)
        return self.fh.write(data)

    def flush(self) -> None:
        self.fh.flush()


def _failure(exc: OSError, target: Path) -> ExportFailed:
    folder = target.parent
    if exc.errno == errno.ENOSPC:
        return ExportFailed(f"The disk holding {folder} is full; nothing was saved.")
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return ExportFailed(f"No permission to write in {folder}; nothing was saved.")
    if exc.errno == errno.ENAMETOOLONG:
        return ExportFailed("The file path is too long; choose a shorter name or folder.")
    if exc.errno in (errno.ENOENT, errno.ENOTDIR):
        return ExportFailed(f"The folder {folder} is not there (a network drive gone?).")
    return ExportFailed(f"Could not save to {folder} ({exc.strerror or type(exc).__name__}).")


def _check_target(target: Path, overwrite: bool) -> None:
    """Refuse, before anything is written, a name or path that cannot work."""
    name = target.name
    if len(name.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES or len(name) > MAX_NAME:
        raise ExportFailed(f"The file name {name[:40]!r}… is too long; choose a shorter one.")
    if name != safe_file_name(name):
        raise ExportFailed(f"{name!r} is not a file name Windows and Linux both accept.")
    if _WINDOWS and len(str(target.absolute())) >= WINDOWS_MAX_PATH:
        raise ExportFailed(
            f"The path to {name} is longer than Windows allows ({WINDOWS_MAX_PATH - 1} "
            "characters); choose a folder nearer the top of the drive."
        )
    try:
        if not target.parent.is_dir():
            raise ExportFailed(f"The folder {target.parent} is not there (a network drive gone?).")
        if target.exists() and not overwrite:
            raise ExportFailed(f"{name} already exists in {target.parent}.")
    except OSError as exc:  # e.g. ENAMETOOLONG or EACCES from stat on the way there
        raise _failure(exc, target) from None


TEMP_PREFIX, TEMP_SUFFIX = ".toex-", ".part"
_TEMP_NAME = re.compile(r"\.toex-[a-z0-9_]{8}\.part")  # mkstemp's eight random characters
STALE_TEMP_SECONDS = 3600  # a temporary file this old was left by a killed export


def remove_stale_temps(folder: Path | str) -> list[Path]:
    """Delete temporary files that exports killed part-way (power cut, kill -9) left in
    ``folder``; only old ones, as a fresh one may be another export's, still being written."""
    cutoff = time.time() - STALE_TEMP_SECONDS
    removed = []
    with contextlib.suppress(OSError):
        for path in Path(folder).iterdir():
            if _TEMP_NAME.fullmatch(path.name) and path.stat().st_mtime < cutoff:
                with contextlib.suppress(OSError):
                    path.unlink()
                    removed.append(path)
    return removed


def write_atomically(
    target: Path | str,
    write: Callable[[BinaryIO], None],
    *,
    overwrite: bool = False,
    before_publish: Callable[[str], None] | None = None,
) -> str:
    """Write a file through ``write(fh)``; call ``before_publish(sha256)`` (e.g. to record
    the disclosure) once the bytes are safely on disk; then give the file its name. Returns
    the SHA-256 of what was written."""
    target = Path(target)
    _check_target(target, overwrite)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX, dir=target.parent)
    except OSError as exc:
        raise _failure(exc, target) from None
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            out = _Hashing(fh)
            write(out)  # type: ignore[arg-type]
            fh.flush()
            os.fsync(fh.fileno())
        digest = out.sha.hexdigest()
        if before_publish is not None:
            before_publish(digest)
        if overwrite:
            os.replace(tmp, target)
        elif os.name == "nt":
            os.rename(tmp, target)  # refuses to replace a file that appeared meanwhile
        else:
            os.link(tmp, target)  # likewise: link fails if the name is taken
            tmp.unlink()
        fsync_dir(target.parent)
        return digest
    except FileExistsError:
        raise ExportFailed(f"{target.name} appeared in {target.parent} meanwhile.") from None
    except OSError as exc:
        raise _failure(exc, target) from None
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


# --- a task's products to a folder ---------------------------------------------------------------
FORMATS = ("pdf", "docx", "csv", "xlsx", "i2")
Progress = Callable[[int, int, str], None] | None
Cancel = Callable[[], bool] | None


@dataclass(frozen=True)
class ExportedFile:
    """One file an export wrote, as its disclosure event records it."""

    path: Path
    product: str  # "research summary", "source register", …
    fmt: str  # the disclosure format: pdf, docx, csv, xlsx, i2, manifest
    marking: Marking
    sha256: str

    @property
    def name(self) -> str:
        return self.path.name


@dataclass(frozen=True)
class ExportResult:
    task_reference: str
    folder: Path
    files: tuple[ExportedFile, ...]  # in the order written; the manifest last
    anchor: str  # the audit chain head the manifest records

    @property
    def manifest(self) -> ExportedFile:
        return self.files[-1]


class ExportIncomplete(ExportFailed):
    """A file of an export failed after others were saved. Those stay: each is complete and
    recorded as disclosed; ``saved`` lists them and ``failed`` names the one that failed."""

    def __init__(self, message: str, saved: tuple[ExportedFile, ...], failed: str):
        super().__init__(message)
        self.saved, self.failed = saved, failed


@dataclass(frozen=True)
class _Planned:
    kind: str  # the file name's last part: summary, sources, findings, register, …
    ext: str
    fmt: str
    product: str
    marking: Marking
    write: Callable[[BinaryIO], int | None]  # returns the page count where there is one


def last_disclosure(ws: Workspace, task_id: int) -> tuple[str, str] | None:
    """(recipient, purpose) of the task's latest disclosure, to offer again; None if the
    task was never disclosed."""
    with session_scope(ws, write=False) as s:
        row = s.execute(
            select(AuditEvent.recipient, AuditEvent.justification)
            .where(
                AuditEvent.action == AuditAction.DISCLOSURE.value,
                AuditEvent.record_type == "task",
                AuditEvent.record_id == task_id,
            )
            .order_by(AuditEvent.seq.desc())
            .limit(1)
        ).first()
    return (row.recipient, row.justification) if row is not None else None


def planned_names(ws: Workspace, task_id: int, formats: Iterable[str]) -> tuple[str, ...]:
    """The names ``export_task`` gives the files of ``formats`` (the manifest last), worked
    out from the markings alone: without reading the task's content (no consultation), to
    show them and to ask before replacing any."""
    from toexdesk.core.services.tasks import research_marking

    wanted = [f for f in FORMATS if f in {str(x).strip().lower() for x in formats}]
    marking = research_marking(ws, task_id)  # the summary's marking, by the same rule
    i2_marking = marking
    with session_scope(ws, write=False) as s:
        ref = s.scalar(select(Task.reference).where(Task.id == task_id))
        if ref is None:
            raise RecordNotFound("The task is no longer there.")
        if "i2" in wanted:  # the entities of what the summary shows, as ``_plan`` picks them
            current = (Finding.task_id == task_id, Finding.archived_at.is_(None))
            shown = {f"F{n}" for n in s.scalars(select(Finding.number).where(*current))}
            cited = select(Source.number).join(FindingSource).join(Finding)
            shown |= {
                f"S{n}" for n in s.scalars(cited.where(*current, Source.archived_at.is_(None)))
            }
    if "i2" in wanted:
        mentions = [m.marking for m in _mentions(ws, task_id) if m.record_label in shown]
        i2_marking = Marking.highest([marking, *mentions])
    files = {
        "pdf": [("summary", "pdf", marking)],
        "docx": [("summary", "docx", marking)],
        "csv": [("sources", "csv", marking), ("findings", "csv", marking)],
        "xlsx": [("register", "xlsx", marking)],
        "i2": [("i2-entities", "csv", i2_marking)],
    }
    planned = [item for fmt in wanted for item in files[fmt]]
    names = [product_file_name(m, ref, kind, ext) for kind, ext, m in planned]
    if planned:
        top = Marking.highest(m for _, _, m in planned)
        names.append(product_file_name(top, ref, "manifest", "sha256"))
    return tuple(names)


def audit_anchor(ws: Workspace) -> tuple[str, str]:
    """The audit chain head as an export's manifest records it: ``#<seq> <sha256>``, and
    the anchor line ``verify --against`` reads (with the workspace's id)."""
    from toexdesk.core.services.anchors import current_anchor

    anchor = current_anchor(ws, source="export")
    return f"#{anchor.head_seq} {anchor.head_hash}", anchor.line()


def check_request(
    formats: Iterable[str],
    recipient: str,
    purpose: str,
    *,
    known: tuple[str, ...] = FORMATS,
    none_chosen: str = "Choose at least one format to export.",
) -> tuple[str, ...]:
    """The wanted formats of ``known``, in its order; the recipient and purpose checked
    (a disclosure needs both to be text of a sane length)."""
    ck = c.Checker()
    ck.text("recipient", recipient, "Recipient", max_len=300)
    ck.text("purpose", purpose, "Purpose", max_len=2_000)
    wanted = {str(f).strip().lower() for f in formats}
    unknown = sorted(wanted - set(known))
    if unknown:
        ck.fail("formats", f"Unknown format {', '.join(unknown)} (use {', '.join(known)}).")
    elif not wanted:
        ck.fail("formats", none_chosen)
    ck.done()
    return tuple(f for f in known if f in wanted)


def _mentions(ws: Workspace, task_id: int):
    """Every current entity named in the task's sources and findings, with the S/F number
    of where (matched to the summary's numbers by the caller)."""
    from toexdesk.core.render.tabular import EntityMention

    out: list[EntityMention] = []
    with session_scope(ws, write=False) as s:
        for model, link, key, letter in (
            (Source, source_entity, source_entity.c.source_id, "S"),
            (Finding, finding_entity, finding_entity.c.finding_id, "F"),
        ):
            query = (
                select(model.number, model.uid, Entity)
                .join(link, key == model.id)
                .join(Entity, Entity.id == link.c.entity_id)
                .where(model.task_id == task_id, Entity.archived_at.is_(None))
            )
            for number, uid, e in s.execute(query):
                out.append(
                    EntityMention(
                        e.uid, e.kind, e.name, e.notes, e.marking, f"{letter}{number}", uid
                    )
                )
    return out


def _plan(ws: Workspace, task_id: int, formats: tuple[str, ...], cancelled: Cancel):
    from toexdesk.core.render import tabular

    summary = reports.research_summary(ws, task_id)  # a consultation of the task
    plan: list[_Planned] = []
    marking = summary.marking
    if "pdf" in formats:
        from toexdesk.core.render.pdf import render_summary_pdf

        def pdf(fh: BinaryIO) -> int:
            return render_summary_pdf(summary, fh, cancelled=cancelled)

        plan.append(_Planned("summary", "pdf", "pdf", "research summary", marking, pdf))
    if "docx" in formats:
        from toexdesk.core.render.docx import render_summary_docx

        def docx(fh: BinaryIO) -> None:
            buffer = io.BytesIO()  # python-docx wants a seekable file
            render_summary_docx(summary, buffer, cancelled=cancelled)
            fh.write(buffer.getvalue())

        plan.append(_Planned("summary", "docx", "docx", "research summary", marking, docx))
    register, findings = tabular.register_sheet(summary), tabular.findings_sheet(summary)
    if "csv" in formats:
        for kind, sheet, product in (
            ("sources", register, "source register"),
            ("findings", findings, "findings"),
        ):

            def table(fh: BinaryIO, sheet=sheet) -> None:
                tabular.write_csv(sheet, fh, summary=summary, marking=marking)

            plan.append(_Planned(kind, "csv", "csv", product, marking, table))
    if "xlsx" in formats:

        def xlsx(fh: BinaryIO) -> None:
            tabular.write_xlsx([register, findings], fh, summary=summary, marking=marking)

        product = "source register and findings"
        plan.append(_Planned("register", "xlsx", "xlsx", product, marking, xlsx))
    if "i2" in formats:
        labels = {e.label for e in summary.register} | {f.label for f in summary.findings}
        mentions = [m for m in _mentions(ws, task_id) if m.record_label in labels]
        i2 = tabular.i2_sheet(summary, mentions)
        i2_marking = Marking.highest([marking, *(m.marking for m in mentions)])

        def i2_csv(fh: BinaryIO) -> None:
            tabular.write_csv(i2, fh, summary=summary, marking=i2_marking, marking_row=False)

        product = "entities for i2 Analyst's Notebook"
        plan.append(_Planned("i2-entities", "csv", "i2", product, i2_marking, i2_csv))
    return summary, plan


def export_task(
    ws: Workspace,
    task_id: int,
    folder: Path | str,
    *,
    formats: Iterable[str],
    recipient: str,
    purpose: str,
    overwrite: bool = False,
    progress: Progress = None,
    cancelled: Cancel = None,
) -> ExportResult:
    """Write a task's products (``formats`` of pdf, docx, csv, xlsx, i2) and their SHA-256
    manifest to ``folder``, each file atomically under a marking-led name and with its own
    disclosure event. Refuses before writing anything if a file exists (unless
    ``overwrite``); if a file fails later, those already saved stay (complete, disclosed)
    and :class:`ExportIncomplete` says which failed."""
    wanted = check_request(formats, recipient, purpose)
    recipient, purpose = recipient.strip(), purpose.strip()
    folder = Path(folder)
    try:
        if not folder.is_dir():
            raise ExportFailed(f"The folder {folder} is not there (a network drive gone?).")
    except OSError as exc:  # e.g. a path too long to look at
        raise _failure(exc, folder / "export") from None  # _failure names the target's folder
    remove_stale_temps(folder)
    summary, plan = _plan(ws, task_id, wanted, cancelled)
    ref = summary.task.reference
    targets = [folder / product_file_name(p.marking, ref, p.kind, p.ext) for p in plan]
    manifest_marking = Marking.highest(p.marking for p in plan)
    manifest = folder / product_file_name(manifest_marking, ref, "manifest", "sha256")
    for target in [*targets, manifest]:
        _check_target(target, overwrite)  # all refused before any is written
    total = len(plan) + 1
    saved: list[ExportedFile] = []

    def step(done: int, message: str) -> None:
        if progress is not None:
            progress(done, total, message)

    for n, (item, target) in enumerate(zip(plan, targets, strict=True)):
        step(n, f"Writing {target.name}")
        saved.append(
            _publish(ws, task_id, target, item, recipient, purpose, overwrite, cancelled, saved)
        )
    anchor, anchor_line = audit_anchor(ws)  # the head after every product's disclosure
    step(len(plan), f"Writing {manifest.name}")
    from toexdesk.core.render.tabular import manifest_text

    text = manifest_text(
        reference=ref,
        marking=manifest_marking,
        exported_at=utcnow(),
        recipient=recipient,
        purpose=purpose,
        anchor=anchor,
        anchor_line=anchor_line,
        files=[(f.sha256, f.name) for f in saved],
    ).encode("utf-8")

    def write_manifest(fh: BinaryIO) -> None:
        fh.write(text)

    item = _Planned(
        "manifest", "sha256", "manifest", "hash manifest", manifest_marking, write_manifest
    )
    saved.append(
        _publish(ws, task_id, manifest, item, recipient, purpose, overwrite, cancelled, saved)
    )
    step(total, f"Exported {len(saved)} files to {folder}")
    return ExportResult(ref, folder, tuple(saved), anchor)


def _publish(
    ws: Workspace,
    task_id: int,
    target: Path,
    item: _Planned,
    recipient: str,
    purpose: str,
    overwrite: bool,
    cancelled: Cancel,
    saved: list[ExportedFile],
) -> ExportedFile:
    """Write one file of an export and record its disclosure before it takes its name."""
    pages: list[int | None] = [None]

    def write(fh: BinaryIO) -> None:
        pages[0] = item.write(fh)

    def disclose(sha256: str) -> None:
        reports.record_disclosure(
            ws,
            [task_id],
            recipient=recipient,
            purpose=purpose,
            product=item.product,
            fmt=item.fmt,
            marking=item.marking,
            sha256=sha256,
            pages=pages[0],
        )

    done = ", ".join(f.name for f in saved)
    try:
        if cancelled is not None and cancelled():
            raise Cancelled("The export was stopped.")
        digest = write_atomically(target, write, overwrite=overwrite, before_publish=disclose)
    except Cancelled:
        if saved:
            raise Cancelled(
                f"The export was stopped before {target.name}; the files saved before it are "
                f"complete and recorded as disclosed: {done}."
            ) from None
        raise
    except ExportFailed as exc:
        if not saved:
            raise
        reason = str(exc).removesuffix("; nothing was saved.").rstrip(".")
        raise ExportIncomplete(
            f"{target.name} was not saved: {reason}. The files saved before it are complete "
            f"and recorded as disclosed: {done}.",
            tuple(saved),
            target.name,
        ) from None
    return ExportedFile(target, item.product, item.fmt, item.marking, digest)
