"""Crash safety (issue 9, requirement 1): kill -9 a process in the middle of mixed writes,
many times over, and check after each kill that nothing committed was lost and nothing
uncommitted or half-written was kept.

    PYTHONPATH=. python tests/perf/crash_trials.py --trials 200 --seed 1 [--json out.json]

Each trial copies a small seeded workspace (made once), writes a random plan of real service
calls (create a task, update a source, create a finding citing sources, capture a file,
change the passphrase, back up) and starts ``crash_worker.py`` on it. The worker journals
``BEGIN``/``DONE`` lines on stdout; this script SIGKILLs it at a random moment, or a random
time after the ``BEGIN`` of a chosen operation (so a rekey or a backup is caught mid-way).
Then, as the app would, it opens the workspace and checks:

* exactly one of the passphrases in play opens it (the old or the new one when a rekey was
  in flight; otherwise the one the journal says is current);
* ``cipher_integrity_check``, ``integrity_check``, the foreign keys, the search index and
  the audit chain all pass (``workspace.verify``);
* every operation reported DONE is there, no operation that never began is there, and the
  one in flight is there wholly or not at all: its rows, its stored file and its text, and
  its audit event, which must be exactly the next one in the chain;
* the backup folder holds only complete backups, each referenced by its audit event,
  opening with the passphrase of its time, verifying and matching its anchor; a killed
  backup may leave its dot-named temporary files (which ``backups.remove_stale_partials``
  deletes once stale) and, when killed between the two renames, an anchor whose backup is
  missing (``test_kill_export_backup`` documents that); both are counted;
* once reopened, the workspace folder holds the workspace file and nothing else.

The figures are printed as a table; ``--json`` writes them too. Exit status 1 on any
failure; failed trials' folders are kept for inspection."""

from __future__ import annotations

import argparse
import contextlib
import functools
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
for entry in (str(ROOT), str(HERE)):
    if entry not in sys.path:
        sys.path.insert(0, entry)

from crash_worker import KINDS  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from toexdesk.core import errors  # noqa: E402
from toexdesk.core.model import (  # noqa: E402
    Attachment,
    AttachmentText,
    AuditEvent,
    Blob,
    BlobChunk,
    Finding,
    Source,
    Task,
)
from toexdesk.core.services import backups, sources, tasks, workspace  # noqa: E402
from toexdesk.core.store import keys  # noqa: E402
from toexdesk.core.store.engine import (  # noqa: E402
    create_workspace,
    open_workspace,
    session_scope,
)

WORKER = HERE / "crash_worker.py"
WS_NAME = "case.toex"
PASSPHRASES = [f"crash trial passphrase {i:02d}" for i in range(8)]
ANALYST = "Crash Trials"
WEIGHTS = {"task": 3, "update": 3, "link": 3, "capture": 2, "rekey": 1, "backup": 1}
AT_MOST = {"capture": 3, "rekey": 2, "backup": 2}
RELATIONS = ("supports", "contradicts", "context")
PHIA = ("unlikely", "realistic_possibility", "likely", "highly_likely")
WORKER_TIMEOUT_S = 120


# --- the base workspace ------------------------------------------------------------------
@dataclass
class Base:
    path: Path
    task_id: int
    source_ids: list[int]
    descriptions: dict[int, str]
    head_seq: int


def prepare_base(folder: Path, n_sources: int = 600) -> Base:
    """A workspace with one task and ``n_sources`` sources (a few MB of pages, so a rekey
    or a backup takes long enough to be interrupted)."""
    path = folder / "base.toex"
    filler = " ".join(f"lorem{i % 97}" for i in range(180))
    with create_workspace(path, PASSPHRASES[0], ANALYST) as ws:
        task = tasks.create_task(ws, tasks.TaskDraft("Crash trials base task", "DS Base", "ocg"))
        drafts = [
            sources.SourceDraft(
                f"Base source {i}", "document", "2", "C", "P", description=f"Base {i}. {filler}"
            )
            for i in range(n_sources)
        ]
        sources.create_sources(ws, task.id, drafts)
        listed = sources.list_sources(ws, task.id)
        head = workspace.verify(ws).chain.head_seq
    return Base(path, task.id, [s.id for s in listed], {s.id: s.description for s in listed}, head)


# --- plans -------------------------------------------------------------------------------
def pick_kinds(rng: random.Random, must: str | None) -> list[str]:
    """6 to 10 operations of random kinds (at least one ``must``, if given)."""
    n_ops = rng.randint(6, 10)
    kinds: list[str] = []
    while len(kinds) < n_ops:
        kind = rng.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))[0]
        if kinds.count(kind) < AT_MOST.get(kind, n_ops):
            kinds.append(kind)
    if must is not None and must not in kinds:
        kinds[rng.randrange(n_ops)] = must
    return kinds


def make_plan(rng: random.Random, trial: int, base: Base, tdir: Path, kinds: list[str]) -> dict:
    """The operations, each with the unique key by which its result is found again."""
    n_ops = len(kinds)
    updatable = rng.sample(base.source_ids, n_ops)
    files = tdir / "files"
    files.mkdir(parents=True, exist_ok=True)
    ops, passphrase = [], 0
    for n, kind in enumerate(kinds):
        marker = f"CT{trial:04d}X{n:02d}"
        op: dict = {"n": n, "kind": kind}
        if kind == "task":
            op |= {"title": f"Crash task {marker}", "questions": f"Questions {marker}"}
            op |= {"tags": [f"crash-{marker.lower()}"], "key": marker}
        elif kind == "update":
            sid = updatable[n]
            op |= {
                "source_id": sid,
                "description": f"Updated {marker} " + "u" * rng.randint(0, 3000),
            }
            op |= {"tags": [f"upd-{marker.lower()}"], "key": f"S{sid}:{marker}"}
        elif kind == "link":
            cited = rng.sample(base.source_ids, rng.randint(1, 3))
            op |= {"text": f"Finding {marker} is supported.", "phia": rng.choice(PHIA)}
            op |= {"links": [[sid, rng.choice(RELATIONS)] for sid in cited], "key": marker}
        elif kind == "capture":
            body = f"Captured note {marker}. " + "capture text line\n" * rng.randint(5, 8000)
            data = body.encode("utf-8")
            path = files / f"note-{marker}.txt"
            path.write_bytes(data)
            sha = hashlib.sha256(data).hexdigest()
            op |= {"source_id": rng.choice(base.source_ids), "path": str(path)}
            op |= {"marker": marker, "size": len(data), "key": sha}
        elif kind == "rekey":
            op |= {"old": passphrase, "new": passphrase + 1, "key": f"pass{passphrase + 1}"}
            passphrase += 1
        elif kind == "backup":
            op |= {"key": "-"}
        op["passphrase"] = passphrase  # the one current once this operation is done
        ops.append(op)
    return {
        "workspace": str(tdir / "ws" / WS_NAME),
        "backup_dir": str(tdir / "backups"),
        "passphrases": PASSPHRASES,
        "start": 0,
        "task_id": base.task_id,
        "ops": ops,
    }


# --- running and killing a worker --------------------------------------------------------
@dataclass
class Run:
    lines: list[str]
    times: list[float]  # when each line was read, seconds after the start
    killed: bool
    how: str  # what the kill waited for
    returncode: int
    stderr: str


def run_worker(plan_path: Path, *, after: str = "", delay: float | None = None) -> Run:
    """Start the worker and SIGKILL it ``delay`` seconds after the journal line starting
    with ``after`` appears (after the start, for ""); ``delay=None``: let it finish."""
    with tempfile.TemporaryFile(mode="w+") as err:
        started = time.monotonic()
        child = subprocess.Popen(
            [sys.executable, str(WORKER), str(plan_path)],
            stdout=subprocess.PIPE,
            stderr=err,
            stdin=subprocess.DEVNULL,
            text=True,
            env=dict(os.environ, PYTHONPATH=str(ROOT)),
            start_new_session=True,  # its own group: the extraction helper goes with it
        )
        lines, times, how, killed = _supervise(child, started, after, delay)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(child.pid, signal.SIGKILL)  # an orphaned extraction helper of its own
        err.seek(0)
        stderr = err.read()
    return Run(lines, times, killed, how, child.returncode, stderr)


def _supervise(child, started, after, delay) -> tuple[list, list, str, bool]:
    """Collect the journal until it is time to kill, kill (unless the worker has ended),
    and collect the rest: the pipe keeps what was written before the kill."""
    lines: list[str] = []
    times: list[float] = []
    seen = threading.Condition()

    def read() -> None:
        for line in child.stdout:
            with seen:
                lines.append(line.rstrip("\n"))
                times.append(time.monotonic() - started)
                seen.notify_all()
        with seen:
            seen.notify_all()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    how = "not killed"
    if delay is None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=WORKER_TIMEOUT_S)
    else:
        if after:
            with seen:
                seen.wait_for(
                    lambda: any(x.startswith(after) for x in lines) or child.poll() is not None,
                    timeout=WORKER_TIMEOUT_S,
                )
        time.sleep(delay)
        how = f"{delay:.3f} s after {after.strip() or 'the start'}"
    killed = child.poll() is None  # still running: this is the crash
    if killed:
        child.send_signal(signal.SIGKILL)
    child.wait()
    reader.join(timeout=30)
    return lines, times, how, killed


# --- checking a killed trial -------------------------------------------------------------
@dataclass
class Outcome:
    failures: list[str] = field(default_factory=list)
    begun: int = 0
    done: int = 0
    in_flight: str = ""  # kind of the operation in flight, "startup", "between" or "finished"
    in_flight_present: bool | None = None
    rekey_opened_with: str = ""  # "old" / "new" when a rekey was in flight
    backup_event_only: int = 0  # a killed backup's event is in, its file never took its name
    orphan_anchors: int = 0
    backup_temps: int = 0
    backups_verified: int = 0
    journal: bool = False  # a rollback journal beside the workspace after the kill
    hot_journal: bool = False  # ... one SQLite rolls back (its header written)
    read_only_open: str = ""  # with a hot journal: "ok" or the error, as `info` would say


def parse_journal(lines: list[str], plan: dict, out: Outcome) -> tuple[list[int], dict[int, str]]:
    begun: list[int] = []
    done: dict[int, str] = {}
    for line in lines:
        parts = line.split()
        if not parts or parts[0] in ("OPEN", "READY", "END"):
            continue
        n = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else -1
        if n < 0:
            out.failures.append(f"unexpected journal line {line!r}")
        elif parts[0] == "BEGIN":
            op = plan["ops"][n] if n < len(plan["ops"]) else None
            if op is None or parts[2:] != [op["kind"], op["key"]] or n != len(begun):
                out.failures.append(f"journal line out of plan: {line!r}")
            begun.append(n)
        elif parts[0] == "DONE":
            if not begun or begun[-1] != n or n in done:
                out.failures.append(f"DONE without its BEGIN: {line!r}")
            done[n] = " ".join(parts[2:])
        else:
            out.failures.append(f"unexpected journal line {line!r}")
    return begun, done


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


JOURNAL_MAGIC = bytes.fromhex("d9d505f920a163d7")  # a rollback journal's header, once synced


def _hot(journal: Path) -> bool:
    """A journal SQLite will roll back (its header written): the kill came mid-commit."""
    with contextlib.suppress(OSError), open(journal, "rb") as fh:
        return fh.read(8) == JOURNAL_MAGIC
    return False


def _open_exactly_one(path: Path, candidates: list[int], tried: list[int], out: Outcome):
    """Try the passphrases in play; exactly one opens, and it is one of ``candidates``."""
    opened, ws = [], None
    for index in tried:
        try:
            attempt = open_workspace(path, PASSPHRASES[index])
        except errors.WrongPassphrase:
            continue
        except errors.ToexError as exc:
            out.failures.append(f"passphrase {index}: does not open: {exc}")
            continue
        opened.append(index)
        if ws is None:
            ws = attempt
        else:
            attempt.close()
    if len(opened) != 1 or opened[0] not in candidates:
        out.failures.append(f"opened with passphrases {opened}, expected one of {candidates}")
    return ws, (opened[0] if opened else None)


def _present(s, op: dict, base: Base, opened_with: int | None, out: Outcome) -> bool:
    """Whether the operation's results are in the workspace; a partial result is a failure."""
    kind, n = op["kind"], op["n"]
    if kind == "task":
        rows = s.scalars(select(Task).where(Task.title == op["title"])).all()
        if rows and (
            [t.name for t in rows[0].tags] != op["tags"]
            or rows[0].research_questions != op["questions"]
        ):
            out.failures.append(f"op {n}: task half-written")
        if len(rows) > 1:
            out.failures.append(f"op {n}: task written {len(rows)} times")
        return bool(rows)
    if kind == "update":
        src = s.get(Source, op["source_id"])
        tags = [t.name for t in src.tags]
        if src.description == op["description"] and tags == op["tags"]:
            return True
        if src.description != base.descriptions[src.id] or tags:
            out.failures.append(f"op {n}: source {src.id} half-updated")
        return False
    if kind == "link":
        rows = s.scalars(select(Finding).where(Finding.text == op["text"])).all()
        if rows:
            links = sorted([link.source_id, link.relation.value] for link in rows[0].links)
            if links != sorted(op["links"]) or len(rows) > 1:
                out.failures.append(f"op {n}: finding half-written ({links} != {op['links']})")
        return bool(rows)
    if kind == "capture":
        atts = s.scalars(select(Attachment).where(Attachment.sha256 == op["key"])).all()
        blob = s.scalar(select(Blob).where(Blob.sha256 == op["key"]))
        if not atts:
            if blob is not None:
                out.failures.append(f"op {n}: stored file without its attachment")
            return False
        att = atts[0]
        chunks = s.scalars(
            select(BlobChunk.data).where(BlobChunk.blob_id == att.blob_id).order_by(BlobChunk.seq)
        ).all()
        data = b"".join(chunks)
        text = "".join(
            s.scalars(select(AttachmentText.body).where(AttachmentText.attachment_id == att.id))
        )
        texts = s.scalar(select(func.count()).where(AttachmentText.attachment_id == att.id))
        if (
            len(atts) > 1
            or att.source_id != op["source_id"]
            or len(data) != op["size"]
            or hashlib.sha256(data).hexdigest() != op["key"]
            or op["marker"] not in text
            or not texts
        ):
            out.failures.append(f"op {n}: capture half-written")
        return True
    if kind == "rekey":
        # Passphrases follow one another: the later ones open only after this rekey.
        return opened_with is not None and opened_with >= op["new"]
    raise ValueError(kind)


def _event_matches(ev, op: dict, s, done_note: str) -> bool:
    details = json.loads(ev.details or "{}")
    kind = op["kind"]
    if kind == "task":
        ref = s.scalar(select(Task.reference).where(Task.title == op["title"]))
        return (ev.action, ev.record_type, ev.record_ref) == ("collection", "task", ref)
    if kind == "update":
        return (ev.action, ev.record_type, ev.record_id) == (
            "alteration",
            "source",
            op["source_id"],
        ) and details.get("fields") == ["description", "tags"]
    if kind == "link":
        fid = s.scalar(select(Finding.id).where(Finding.text == op["text"]))
        return (ev.action, ev.record_type, ev.record_id) == ("collection", "finding", fid)
    if kind == "capture":
        return (ev.action, ev.record_type) == ("collection", "attachment") and details.get(
            "sha256"
        ) == op["key"]
    if kind == "rekey":
        return (ev.action, details.get("event")) == ("alteration", "passphrase changed")
    if kind == "backup":
        return (ev.action, details.get("event")) == ("disclosure", "backup") and (
            not done_note or details.get("file") == done_note
        )
    return False


def check_trial(base: Base, plan: dict, lines: list[str], out: Outcome | None = None) -> Outcome:
    """Everything the requirement asks of a workspace after a kill; failures in ``out``."""
    out = out or Outcome()
    path = Path(plan["workspace"])
    folder = path.parent
    ops = plan["ops"]
    begun, done = parse_journal(lines, plan, out)
    out.begun, out.done = len(begun), len(done)
    flight = begun[-1] if begun and begun[-1] not in done else None
    if flight is not None:
        out.in_flight = ops[flight]["kind"]
    elif "END" in lines or len(done) == len(ops):
        out.in_flight = "finished"
    else:
        out.in_flight = "between" if begun else "startup"
    last_done = max(done, default=None)
    current = ops[last_done]["passphrase"] if last_done is not None else plan["start"]
    candidates = [current]
    if flight is not None and ops[flight]["kind"] == "rekey":
        candidates = [ops[flight]["old"], ops[flight]["new"]]
    in_play = sorted({plan["start"], *(op["passphrase"] for op in ops)})

    leftovers = sorted(p.name for p in folder.iterdir() if p.name != path.name)
    journal = folder / (path.name + "-journal")
    out.journal, out.hot_journal = journal.exists(), _hot(journal)
    if [x for x in leftovers if x != journal.name]:
        out.failures.append(f"left in the workspace folder after the kill: {leftovers}")
    if out.hot_journal:  # what `toexdesk verify` (read-only) makes of it, for the figures
        try:
            with open_workspace(path, PASSPHRASES[candidates[-1]], read_only=True):
                out.read_only_open = "ok"
        except Exception as exc:
            out.read_only_open = f"{type(exc).__name__}: {str(exc).replace(str(path), 'WS')}"
            if not isinstance(exc, errors.ToexError):
                out.failures.append(f"read-only open crashed: {exc!r}")

    order = random.Random(len(lines) * 7919 + len(done)).sample(in_play, len(in_play))
    ws, opened_with = _open_exactly_one(path, candidates, order, out)
    if ws is None:
        return out
    if flight is not None and ops[flight]["kind"] == "rekey":
        out.rekey_opened_with = "new" if opened_with == ops[flight]["new"] else "old"
    try:
        report = workspace.verify(ws)
        out.failures += [f"integrity: {p}" for p in report.integrity]
        out.failures += [f"audit chain: {p.message}" for p in report.chain.problems]
        with session_scope(ws, write=False) as s:
            tail = s.scalars(
                select(AuditEvent).where(AuditEvent.seq > base.head_seq).order_by(AuditEvent.seq)
            ).all()
            expected: list[tuple[dict, str]] = []
            for op in ops:
                n = op["n"]
                if op["kind"] == "backup":
                    here = n in done or (
                        n == flight
                        and len(tail) > len(expected)
                        and _event_matches(tail[len(expected)], op, s, "")
                    )
                else:
                    here = _present(s, op, base, opened_with, out)
                if n in done and not here:
                    out.failures.append(f"op {n} ({op['kind']} {op['key']}) reported DONE, missing")
                if n not in begun and here:
                    out.failures.append(f"op {n} ({op['kind']} {op['key']}) never began, present")
                if n == flight:
                    out.in_flight_present = here
                if here:
                    expected.append((op, done.get(n, "")))
            if len(tail) != len(expected):
                out.failures.append(
                    f"{len(tail)} audit events after the base, expected {len(expected)} "
                    f"({[op['kind'] for op, _ in expected]})"
                )
            for ev, (op, note) in zip(tail, expected, strict=False):
                if not _event_matches(ev, op, s, note):
                    out.failures.append(f"audit event #{ev.seq} is not that of op {op['n']}")
            recorded = {
                json.loads(ev.details)["file"]: ev.seq for ev in tail if ev.action == "disclosure"
            }
        _check_backups(ws, plan, done, flight, recorded, out)
    finally:
        ws.close()
    if flight is not None and ops[flight]["kind"] == "backup" and out.in_flight_present:
        out.backup_event_only = int(not (Path(plan["backup_dir"]) / _last(recorded)).exists())
    left = sorted(p.name for p in folder.iterdir())
    if left != [path.name]:
        out.failures.append(f"the workspace folder holds {left} after reopening")
    return out


def _last(recorded: dict[str, int]) -> str:
    return max(recorded, key=recorded.__getitem__) if recorded else "-"


def _check_backups(ws, plan, done, flight, recorded: dict[str, int], out: Outcome) -> None:
    folder = Path(plan["backup_dir"])
    if not folder.exists():
        return
    ops = plan["ops"]
    backup_flight = flight is not None and ops[flight]["kind"] == "backup"
    partial = backups._partial_pattern(ws.path)
    names = {p.name for p in folder.iterdir()}
    for n, note in done.items():
        if ops[n]["kind"] == "backup" and note not in names:
            out.failures.append(f"op {n}: backup {note} reported DONE, not in the folder")
    by_file = {note: n for n, note in done.items() if ops[n]["kind"] == "backup"}
    for name in sorted(names):
        p = folder / name
        if partial.fullmatch(name):
            out.backup_temps += 1
            if not backup_flight:
                out.failures.append(f"backup temporary file {name} with no backup in flight")
            continue
        if name.endswith(backups.ANCHOR_SUFFIX):
            backup_name = name[: -len(backups.ANCHOR_SUFFIX)]
            if backup_name not in names:
                out.orphan_anchors += 1
                if not (backup_flight and backup_name in recorded):
                    out.failures.append(f"anchor {name} without its backup, not in flight")
            continue
        if name not in recorded:
            out.failures.append(f"backup {name} has no audit event (or is not ours)")
            continue
        n = by_file.get(name, flight)
        index = ops[n]["passphrase"] if n is not None else plan["start"]
        try:
            with open_workspace(p, PASSPHRASES[index], read_only=True) as copy:
                report = workspace.verify(copy)
        except Exception as exc:
            out.failures.append(f"backup {name} does not open: {exc!r}")
            continue
        if not report.ok:
            out.failures.append(f"backup {name} does not verify: {report}")
        anchor_path = folder / (name + backups.ANCHOR_SUFFIX)
        anchor = json.loads(anchor_path.read_text("utf-8")) if anchor_path.exists() else {}
        if anchor.get("file_sha256") != _sha256(p) or anchor.get("head_seq") != (
            report.chain.head_seq
        ):
            out.failures.append(f"backup {name}: its anchor is missing or does not match")
        out.backups_verified += 1


# --- trials ------------------------------------------------------------------------------
@contextlib.contextmanager
def cached_kdf():
    """Derive each passphrase's key once in this (checking) process: every trial's copy has
    the base's salt, and the checks try several passphrases. The worker derives as usual."""
    real = keys.derive_key
    keys.derive_key = functools.lru_cache(maxsize=64)(real)
    try:
        yield
    finally:
        keys.derive_key = real


@dataclass
class Figures:
    trials: int = 0
    seed: int = 0
    seconds: float = 0.0
    ops_begun: int = 0
    ops_completed: int = 0
    killed: int = 0
    finished_before_kill: int = 0
    targeted: int = 0
    kill_landed: dict = field(default_factory=Counter)
    in_flight_present: dict = field(default_factory=Counter)
    in_flight_absent: dict = field(default_factory=Counter)
    rekey_in_flight_opened_with: dict = field(default_factory=Counter)
    backups_verified: int = 0
    backup_event_without_file: int = 0
    orphan_anchors: int = 0
    backup_temp_files: int = 0
    journals_after_kill: int = 0
    hot_journals: int = 0
    read_only_open_with_hot_journal: dict = field(default_factory=Counter)
    runs: list = field(default_factory=list)  # one record per trial
    op_seconds: dict = field(default_factory=dict)
    failures: list = field(default_factory=list)


def calibrate(base: Base, root: Path, rng: random.Random) -> tuple[float, dict[str, float]]:
    """One uninterrupted run of every kind: start-up time and each kind's duration."""
    tdir = root / "calibration"
    plan = make_plan(rng, 9999, base, tdir, [*KINDS, *KINDS])
    (tdir / "ws").mkdir(parents=True)
    (tdir / "backups").mkdir()
    shutil.copyfile(base.path, tdir / "ws" / WS_NAME)
    (tdir / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
    run = run_worker(tdir / "plan.json")
    if run.returncode != 0:
        raise RuntimeError(f"the calibration run failed:\n{run.stderr[-3000:]}")
    outcome = check_trial(base, plan, run.lines)
    if outcome.failures:
        raise RuntimeError(f"the uninterrupted run fails its checks: {outcome.failures}")
    when = dict(zip(run.lines, run.times, strict=True))
    spans: dict[str, list[float]] = {}
    for op in plan["ops"]:
        start = next(t for x, t in when.items() if x.startswith(f"BEGIN {op['n']} "))
        end = next(t for x, t in when.items() if x.split()[:2] == ["DONE", str(op["n"])])
        spans.setdefault(op["kind"], []).append(end - start)
    durations = {kind: sum(v) / len(v) for kind, v in spans.items()}
    shutil.rmtree(tdir, ignore_errors=True)
    return when["READY"], durations


def run_trials(n_trials: int, seed: int, root: Path, *, log=print) -> Figures:
    started = time.monotonic()
    rng = random.Random(seed)
    figures = Figures(trials=n_trials, seed=seed)
    with cached_kdf():
        (root / "base").mkdir(parents=True, exist_ok=True)
        base = prepare_base(root / "base")
        ready, durations = calibrate(base, root, rng)
        figures.op_seconds = {k: round(v, 3) for k, v in durations.items()} | {
            "startup": round(ready, 3)
        }
        for trial in range(n_trials):
            tdir = root / f"trial-{trial:04d}"
            targeted = trial % 2 == 1
            must = KINDS[(trial // 2) % len(KINDS)] if targeted else None
            plan = make_plan(rng, trial, base, tdir, pick_kinds(rng, must))
            (tdir / "ws").mkdir(parents=True)
            (tdir / "backups").mkdir()
            shutil.copyfile(base.path, plan["workspace"])
            plan_path = tdir / "plan.json"
            plan_path.write_text(json.dumps(plan), encoding="utf-8")
            if targeted:
                target = rng.choice([op["n"] for op in plan["ops"] if op["kind"] == must])
                span, where = durations[must], rng.random()
                if where < 1 / 3:  # anywhere in the operation
                    delay = rng.uniform(0.0, span * 1.1)
                else:  # its last moments: the page writes, the commit, the renames
                    before = 0.15 if where < 2 / 3 else 0.03
                    delay = rng.uniform(max(0.0, span - before), span + 0.01)
                run = run_worker(plan_path, after=f"BEGIN {target} ", delay=delay)
                figures.targeted += 1
            elif trial % 8 == 0:  # while starting up and opening the workspace
                run = run_worker(plan_path, delay=rng.uniform(0.0, ready * 1.3))
            else:
                work = sum(durations[op["kind"]] for op in plan["ops"])
                run = run_worker(plan_path, after="READY", delay=rng.uniform(0.0, work))
            out = Outcome()
            if not run.killed and run.returncode != 0:
                out.failures.append(f"worker failed ({run.returncode}): {run.stderr[-2000:]}")
            try:
                check_trial(base, plan, run.lines, out)
            except Exception:  # a crash while checking is a failure of this trial, told in full
                out.failures.append(f"checking raised:\n{traceback.format_exc()}")
            _tally(figures, run, out)
            status = "FAIL" if out.failures else "ok"
            log(
                f"trial {trial + 1:>4}/{n_trials}  {status:4}  "
                f"{'killed' if run.killed else 'ended, not killed'} {run.how:<26} "
                f"in flight: {out.in_flight:<8} {_present_word(out):<8} done {out.done}"
            )
            if out.failures:
                figures.failures.append(
                    {"trial": trial, "dir": str(tdir), "how": run.how, "failures": out.failures}
                )
                for failure in out.failures:
                    log(f"      {failure}")
            else:
                shutil.rmtree(tdir, ignore_errors=True)
    figures.seconds = round(time.monotonic() - started, 1)
    return figures


def _present_word(out: Outcome) -> str:
    if out.in_flight_present is None:
        return ""
    return "present" if out.in_flight_present else "absent"


def _tally(figures: Figures, run: Run, out: Outcome) -> None:
    figures.ops_begun += out.begun
    figures.ops_completed += out.done
    figures.killed += run.killed
    figures.finished_before_kill += not run.killed
    figures.kill_landed[out.in_flight] += 1
    if out.in_flight_present is not None:
        bucket = figures.in_flight_present if out.in_flight_present else figures.in_flight_absent
        bucket[out.in_flight] += 1
    if out.rekey_opened_with:
        figures.rekey_in_flight_opened_with[out.rekey_opened_with] += 1
    figures.backups_verified += out.backups_verified
    figures.backup_event_without_file += out.backup_event_only
    figures.orphan_anchors += out.orphan_anchors
    figures.backup_temp_files += out.backup_temps
    figures.journals_after_kill += out.journal
    figures.hot_journals += out.hot_journal
    figures.runs.append(
        {
            "how": run.how,
            "in_flight": out.in_flight,
            "present": out.in_flight_present,
            "begun": out.begun,
            "done": out.done,
            "hot_journal": out.hot_journal,
            "failures": len(out.failures),
        }
    )
    if out.read_only_open:
        figures.read_only_open_with_hot_journal[out.read_only_open] += 1


def summary(f: Figures) -> str:
    rows = [
        f"Crash trials: {f.trials} trials (seed {f.seed}), {f.seconds:.0f} s",
        f"  operations begun {f.ops_begun}, completed (DONE) {f.ops_completed}",
        f"  killed {f.killed} ({f.targeted} a random time after a chosen BEGIN); "
        f"finished before the kill {f.finished_before_kill}",
        "",
        "  | kill landed in | trials | in flight: present | absent |",
        "  | --- | ---: | ---: | ---: |",
    ]
    for kind in ("startup", *KINDS, "between", "finished"):
        rows.append(
            f"  | {kind} | {f.kill_landed.get(kind, 0)} | "
            f"{f.in_flight_present.get(kind, '') if kind in KINDS else ''} | "
            f"{f.in_flight_absent.get(kind, '') if kind in KINDS else ''} |"
        )
    rekey = f.rekey_in_flight_opened_with
    rows += [
        "",
        f"  rekey in flight: opened with the old passphrase {rekey.get('old', 0)}, "
        f"the new one {rekey.get('new', 0)}",
        f"  backups verified {f.backups_verified}; killed backups: event in but file unnamed "
        f"{f.backup_event_without_file}, anchor without backup {f.orphan_anchors}, "
        f"temporary files left {f.backup_temp_files}",
        f"  journals beside the workspace after the kill {f.journals_after_kill} (hot, "
        f"rolled back at the open: {f.hot_journals}; read-only open then: "
        f"{dict(f.read_only_open_with_hot_journal) or '-'})",
        f"  seconds per operation (uninterrupted): {f.op_seconds}",
        f"  failures: {len(f.failures)}",
    ]
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", type=Path, help="also write the figures to this file")
    ap.add_argument("--dir", type=Path, help="folder for the trials (default: system temp)")
    ap.add_argument("--quiet", action="store_true", help="no line per trial")
    args = ap.parse_args(argv)
    if os.name != "posix":
        print("crash trials need POSIX signals (SIGKILL)", file=sys.stderr)
        return 2
    with contextlib.ExitStack() as stack:
        root = args.dir or Path(stack.enter_context(tempfile.TemporaryDirectory("-crash")))
        root.mkdir(parents=True, exist_ok=True)
        figures = run_trials(
            args.trials, args.seed, root, log=(lambda _m: None) if args.quiet else print
        )
        print(summary(figures))
        if args.json:
            plain = {k: dict(v) if isinstance(v, Counter) else v for k, v in vars(figures).items()}
            args.json.write_text(json.dumps(plain, indent=2), encoding="utf-8")
        if figures.failures and args.dir is None:
            keep = Path(tempfile.mkdtemp(prefix="crash-failures-"))
            for failed in figures.failures:
                with contextlib.suppress(OSError):
                    shutil.copytree(failed["dir"], keep / Path(failed["dir"]).name)
            print(f"failed trials kept in {keep}")
    return 1 if figures.failures else 0


if __name__ == "__main__":
    sys.exit(main())
