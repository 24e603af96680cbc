"""Runs extraction in a child process with a wall-clock timeout and a memory cap, so a
hostile or broken file can never hang or crash the app.

The child is started with multiprocessing's "spawn" method (never fork: the same code runs
on Windows and in the PyInstaller executable, where ``multiprocessing.freeze_support()``
must run first in ``toexdesk/__main__.py``). It talks over two one-way pipes: jobs and file
bytes go down one, the reply comes up the other in chunks, read as they arrive, so a large
text never fills a pipe while the parent waits on something else. A child that overruns its
time is terminated, then killed. Nothing is written to disk on the way.
"""

from __future__ import annotations

import os
import threading
import time
from multiprocessing import get_context
from multiprocessing.connection import Connection
from pathlib import Path

from .child import serve
from .filetypes import FileType
from .result import Extraction
from .source import file_size_text

STARTUP_TIMEOUT_S = 60.0
"""How long a new child may take to start (a frozen exe under antivirus scanning is slow);
not counted in a file's ``timeout_s``."""
_PAYLOAD_CHUNK = 1024 * 1024
# Bytes handed over in memory are held twice in the child for a moment, then parsed.
_BYTES_FACTOR = 4

_test_parser: str | None = None
"""Tests only: "module:function" that every child uses instead of the real parsers."""


class _Timeout(Exception):
    pass


class _Helper:
    """One child process and its two pipes."""

    def __init__(self, memory_mb: int) -> None:
        context = get_context("spawn")
        job_reader, self.jobs = context.Pipe(duplex=False)
        self.results, result_writer = context.Pipe(duplex=False)
        self.process = context.Process(
            target=serve,
            args=(job_reader, result_writer, memory_mb),
            name="toexdesk-extract",
            daemon=True,  # ends with the app whatever happens
        )
        self.process.start()
        job_reader.close()
        result_writer.close()
        self.ready = False
        self.served = 0

    def wait_ready(self) -> bool:
        if not self.ready:
            try:
                self.ready = self.receive(time.monotonic() + STARTUP_TIMEOUT_S)[0] == "ready"
            except (_Timeout, EOFError, OSError):
                return False
        return self.ready

    def receive(self, deadline: float):
        if not self.results.poll(max(0.0, deadline - time.monotonic())):
            raise _Timeout
        return self.results.recv()

    def receive_bytes(self, deadline: float) -> bytes:
        if not self.results.poll(max(0.0, deadline - time.monotonic())):
            raise _Timeout
        return self.results.recv_bytes()

    def crash_reason(self) -> str:
        self.process.join(2)
        code = self.process.exitcode
        if code is None:
            return "The extraction helper stopped answering"
        if code < 0:
            return f"The parser crashed on this file (signal {-code})"
        return f"The parser crashed on this file (exit code {code if code < 256 else hex(code)})"

    def stop(self) -> None:
        """Ask politely (closing its job pipe ends an idle child), then terminate, then kill."""
        for connection in (self.jobs, self.results):
            connection.close()
        self.process.join(1)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(2)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.process.close()


class Extractor:
    """Extracts text from files one at a time, each in a child process with limits.

    ``files_per_helper`` is how many files one child process may serve: 1 (the default)
    gives every file a fresh process; more saves the start-up cost (a new process and the
    parser's imports: 0.1–0.35 s a file on the dev machine, against 5–20 ms when reused) at
    the price of files sharing a process. Whatever the setting, a child is replaced
    after any failure, and a memory failure or crash in a child that had already served
    files is retried once in a fresh one. A new child is started as soon as one is
    retired, so it boots while the caller stores the previous result. Not thread-safe:
    use one per worker thread. Use as a context manager, or call ``close()``.
    """

    def __init__(
        self,
        *,
        timeout_s: float = 20,
        memory_mb: int = 512,
        max_chars: int = 5_000_000,
        files_per_helper: int = 1,
    ) -> None:
        self.timeout_s = timeout_s
        self.memory_mb = memory_mb
        self.max_chars = max_chars
        self.files_per_helper = max(1, files_per_helper)
        self._prestart = True
        self._helper: _Helper | None = None

    def __enter__(self) -> Extractor:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        if self._helper is not None:
            self._helper.stop()
            self._helper = None

    def extract_text(self, path: Path | str) -> Extraction:
        """The text of the file at ``path``, read in place by the child."""
        path = Path(path)
        try:
            size = _size_of(path)
        except FileNotFoundError:
            return _failed(FileType.UNKNOWN, "File not found: moved or deleted before extraction")
        except OSError as exc:
            why = exc.strerror or type(exc).__name__
            return _failed(FileType.UNKNOWN, f"Cannot read the file: {why}")
        if size == 0 and path.is_file():
            return _failed(FileType.EMPTY, "Empty file (0 bytes)")
        job = {"path": os.fspath(path.absolute()), "name": path.name, "max_chars": self.max_chars}
        return self._extract(job, None)

    def extract_text_bytes(self, data: bytes, name_hint: str = "") -> Extraction:
        """The text of a file held in memory (``name_hint``: its original name, a hint only).
        The bytes go to the child over the pipe: no temporary file."""
        if not data:
            return _failed(FileType.EMPTY, "Empty file (0 bytes)")
        limit = self.memory_mb * 1024 * 1024 // _BYTES_FACTOR
        if len(data) > limit:
            return _failed(
                FileType.UNKNOWN,
                f"Too large to extract: {file_size_text(len(data))} "
                f"(limit {file_size_text(limit)} with {self.memory_mb} MB of memory)",
            )
        job = {"nbytes": len(data), "name": name_hint, "max_chars": self.max_chars}
        return self._extract(job, data)

    # --- the exchange with a child ----------------------------------------------------------
    def _extract(self, job: dict, payload: bytes | None) -> Extraction:
        helper = self._helper or _Helper(self.memory_mb)
        self._helper = helper
        reused = helper.served > 0
        if not helper.wait_ready():
            self._retire(fresh=False)
            return _failed(FileType.UNKNOWN, "The extraction helper did not start")
        result, healthy = self._exchange(helper, job, payload)
        helper.served += 1
        if not healthy or not result.ok or helper.served >= self.files_per_helper:
            self._retire(fresh=self._prestart)
        if reused and not healthy and not result.reason.startswith("Timed out"):
            return self._extract(job, payload)  # once: the next helper is fresh
        return result

    def _exchange(
        self, helper: _Helper, job: dict, payload: bytes | None
    ) -> tuple[Extraction, bool]:
        """One job; returns the result and whether the child is still fit to serve."""
        kind = FileType.UNKNOWN.value
        deadline = time.monotonic() + self.timeout_s
        sender = None
        if _test_parser:
            job = {**job, "hook": _test_parser}
        try:
            helper.jobs.send(job)
            if payload is not None:
                sender = threading.Thread(
                    target=_send_payload, args=(helper.jobs, payload), daemon=True
                )
                sender.start()
            while True:
                message = helper.receive(deadline)
                if message[0] == "type":
                    kind = message[1]
                    continue
                _, kind, ok, reason, truncated, image_size, chunks = message
                text = b"".join(helper.receive_bytes(deadline) for _ in range(chunks))
                memory_failure = reason.startswith("Too much memory")
                extraction = Extraction(
                    kind, text.decode("utf-8"), ok, reason, truncated, image_size
                )
                return extraction, not memory_failure
        except _Timeout:
            helper.process.terminate()
            return _failed(kind, f"Timed out after {self.timeout_s:g} s"), False
        except (EOFError, OSError):
            return _failed(kind, helper.crash_reason()), False
        finally:
            if sender is not None:
                sender.join(1)
                if sender.is_alive():  # a child that stopped reading: ending it ends the send
                    helper.process.terminate()
                    sender.join(5)

    def _retire(self, *, fresh: bool) -> None:
        self.close()
        if fresh:
            self._helper = _Helper(self.memory_mb)


def _size_of(path: Path) -> int:
    """The size, looked up before a child starts (a vanished file costs no process)."""
    return path.stat().st_size


def _send_payload(connection: Connection, data: bytes) -> None:
    view = memoryview(data)
    try:
        for start in range(0, len(view), _PAYLOAD_CHUNK):
            connection.send_bytes(view, start, min(_PAYLOAD_CHUNK, len(view) - start))
    except (OSError, ValueError):  # the child was stopped: the result says why
        return


def _failed(kind: str, reason: str) -> Extraction:
    return Extraction(type_code=str(kind), text="", ok=False, reason=reason)


def extract_text(
    path: Path | str,
    *,
    timeout_s: float = 20,
    memory_mb: int = 512,
    max_chars: int = 5_000_000,
) -> Extraction:
    """The text of one file, read in a fresh child process with a time and memory limit.
    Never raises for a bad file: the failure is in ``Extraction.reason``."""
    extractor = Extractor(timeout_s=timeout_s, memory_mb=memory_mb, max_chars=max_chars)
    extractor._prestart = False
    with extractor:
        return extractor.extract_text(path)


def extract_text_bytes(
    data: bytes,
    name_hint: str = "",
    *,
    timeout_s: float = 20,
    memory_mb: int = 512,
    max_chars: int = 5_000_000,
) -> Extraction:
    """``extract_text`` for a file held in memory (an attachment read from the workspace):
    the bytes reach the child over a pipe, never a temporary file."""
    extractor = Extractor(timeout_s=timeout_s, memory_mb=memory_mb, max_chars=max_chars)
    extractor._prestart = False
    with extractor:
        return extractor.extract_text_bytes(data, name_hint)
