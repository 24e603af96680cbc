"""The extraction child process. It limits itself (``limits.apply_limits``), then serves
jobs from the parent one at a time: detect the type from the whole content, run that type's
parser, send back a result header and the text in chunks. Any failure becomes a one-line
reason; nothing the file does can reach the parent except through that reply.

Protocol (two one-way pipes; see ``runner``):
  parent → child  ``{"path": str, "name": str, "max_chars": int}`` or, for bytes,
                  ``{"nbytes": int, ...}`` followed by the bytes in chunks; ``None`` ends.
  child → parent  ``("ready", limited)`` once; per job ``("type", code)`` as soon as it is
                  known, then ``("result", code, ok, reason, truncated, image_size, chunks)``
                  and ``chunks`` UTF-8 byte strings.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import sys
import warnings
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path

from .filetypes import FileType, claimed_type
from .limits import apply_limits
from .result import ExtractionFailed, TextFull, TextSink
from .source import Source, file_size_text

CHUNK_CHARS = 1024 * 1024
Parser = Callable[[Source, TextSink], None]

# Types whose parser holds the whole file (and a tree built from it) in memory: refuse them
# past memory_mb / factor before trying, rather than meet the memory limit half way.
_SIZE_FACTORS = {
    FileType.PDF: 2,
    FileType.EML: 8,
    FileType.MHT: 8,
    FileType.HTML: 8,
    FileType.MSG: 4,
}


def serve(jobs: Connection, results: Connection, memory_mb: int) -> None:
    """Entry point of the child process (started with the "spawn" method)."""
    limited = apply_limits(memory_mb)
    _quiet()
    try:
        results.send(("ready", limited))
        while (job := jobs.recv()) is not None:
            _run(job, jobs, results, memory_mb)
    except (EOFError, OSError):  # the parent closed the pipes: it no longer wants us
        return


def _quiet() -> None:
    """Library warnings go nowhere: they would reach the app's console or log and some
    quote the file. The environment cannot switch off openpyxl's use of defusedxml."""
    os.environ["OPENPYXL_DEFUSEDXML"] = "True"
    logging.getLogger().addHandler(logging.NullHandler())
    warnings.simplefilter("ignore")


def _run(job: dict, jobs: Connection, results: Connection, memory_mb: int) -> None:
    name = job.get("name", "")
    hook = _load_hook(job.get("hook"))
    sink = TextSink(job["max_chars"])
    kind = FileType.UNKNOWN
    ok = False
    try:
        if "nbytes" in job:
            source = Source(name, data=_receive(jobs, job["nbytes"]))
        else:
            source = Source(name, path=Path(job["path"]))
        kind = source.detect()
        results.send(("type", kind.value))
        parse = hook or parser_for(kind)
        if parse is None:
            raise ExtractionFailed(unsupported_reason(kind, name))
        _check_size(kind, source.size, memory_mb)
        with contextlib.suppress(TextFull):  # the text cap was reached: a success
            parse(source, sink)
        ok = True
        reason = sink.note or mismatch_note(kind, name)
    except ExtractionFailed as exc:
        reason = str(exc)
    except MemoryError:
        sink = TextSink(0)  # let the partial text go before replying
        reason = f"Too much memory (limit {memory_mb} MB)"
    except RecursionError:
        reason = f"Not a valid {kind.label}: nested too deeply"
    except FileNotFoundError:
        reason = "File not found: moved or deleted before extraction"
    except IsADirectoryError:
        reason = "Not a file (a folder?)"
    except PermissionError:
        reason = "Cannot read the file: permission denied (is it open in another program?)"
    except OSError as exc:
        reason = f"Cannot read the file: {exc.strerror or type(exc).__name__}"
    except Exception as exc:  # a parser bug on odd input: the type of error, never its text
        reason = f"Could not read this {kind.label}: {type(exc).__name__}"
    text = sink.text() if ok else ""
    starts = range(0, len(text), CHUNK_CHARS)
    header = ("result", kind.value, ok, reason, sink.truncated, sink.image_size, len(starts))
    results.send(header)
    for start in starts:
        results.send_bytes(text[start : start + CHUNK_CHARS].encode("utf-8", errors="replace"))


def _receive(jobs: Connection, size: int) -> bytes:
    buffer = bytearray(size)
    offset = 0
    while offset < size:
        offset += jobs.recv_bytes_into(buffer, offset)
    return bytes(buffer)


def parser_for(kind: FileType) -> Parser | None:
    """The parser of a type. Imports are plain and inside each branch: a helper loads only
    the libraries its file needs, and PyInstaller still sees every one."""
    if kind is FileType.PDF:
        from .pdf import parse_pdf

        return parse_pdf
    if kind is FileType.DOCX:
        from .office import parse_docx

        return parse_docx
    if kind is FileType.XLSX:
        from .office import parse_xlsx

        return parse_xlsx
    if kind is FileType.EML:
        from .mail import parse_eml

        return parse_eml
    if kind is FileType.MHT:
        from .mail import parse_mht

        return parse_mht
    if kind is FileType.MSG:
        from .mail import parse_msg

        return parse_msg
    if kind is FileType.HTML:
        from .markup import parse_html

        return parse_html
    if kind in (FileType.TXT, FileType.CSV):
        from .plain import parse_text

        return parse_text
    if kind in (FileType.PNG, FileType.JPEG):
        from .image import parse_image

        return parse_image
    return None


def _check_size(kind: FileType, size: int, memory_mb: int) -> None:
    factor = _SIZE_FACTORS.get(kind)
    if factor is None:
        return
    limit = memory_mb * 1024 * 1024 // factor
    if size > limit:
        raise ExtractionFailed(
            f"Too large to extract: {file_size_text(size)} "
            f"(limit {file_size_text(limit)} for a {kind.label})"
        )


def _extension(name: str) -> str:
    dot = name.rfind(".")
    return name[dot:].lower() if dot >= 0 else ""


def unsupported_reason(kind: FileType, name: str) -> str:
    if kind is FileType.EMPTY:
        return "Empty file (0 bytes)"
    claimed = claimed_type(name)
    if claimed is FileType.MSG and kind is FileType.OLE:
        return "Not an Outlook message: an OLE compound file without message streams"
    if claimed is FileType.MSG:
        return "Not an Outlook message: the content is not an OLE compound file"
    if kind is FileType.OLE:
        return "Unsupported type: older Office file (OLE compound file); save it as DOCX or XLSX"
    if claimed is not None and claimed is not kind and claimed.extractable:
        return (
            f"Unsupported type: named {_extension(name)}, but the content is not a {claimed.label}"
        )
    return f"Unsupported type: {kind.label}"


_COMPATIBLE = {frozenset({FileType.TXT, FileType.CSV}), frozenset({FileType.HTML, FileType.MHT})}


def mismatch_note(kind: FileType, name: str) -> str:
    """A note when the extension claims another type than the content ("lying extension")."""
    claimed = claimed_type(name)
    if claimed is None or claimed is kind or frozenset({claimed, kind}) in _COMPATIBLE:
        return ""
    return f"Named {_extension(name)}, but the content is a {kind.label}"


def _load_hook(hook: str | None) -> Parser | None:
    """Tests only: "module:function" replaces every parser (to hang, hog memory, crash).
    Set in-process by the test suite (``runner._test_parser``), never from outside, and
    ignored in the frozen app."""
    if not hook or getattr(sys, "frozen", False):
        return None
    module, _, function = hook.partition(":")
    return getattr(importlib.import_module(module), function)
