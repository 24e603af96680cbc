"""Workspaces and "the app's workload" for the benchmarks (tests/perf only).

Three kinds of workspace, all with the schema, PRAGMAs and driver build the app uses:

- encrypted: ``engine.create_workspace`` / ``engine.open_workspace``, exactly as the app;
- plain: the same ``sqlcipher3`` build opened without a key (``raw_connect(path, None)``),
  the same connection PRAGMAs, page size, application id, migrations and workspace row;
- encrypted with ``cipher_memory_security`` OFF.

Two facts about ``cipher_memory_security`` shape how these are used (checked on SQLCipher
4.19): it is one *process-wide* switch, not a per-connection one, and once ON it cannot be
turned OFF again in that process. So a variant must run in a fresh process to be measured
alone (``run_bench.py`` does that), and ``memory_security_active()`` says what was in force.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import inspect
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import sqlcipher3
from sqlalchemy import func, select

from toexdesk.core.enums import (
    HandlingCode,
    IntelligenceAssessment,
    LinkRelation,
    Marking,
    Phia,
    SourceEvaluation,
    SourceType,
    Thematic,
)
from toexdesk.core.model import Source
from toexdesk.core.services import findings, sources, tasks
from toexdesk.core.store import checks, engine, keys, migrations

PASSPHRASE = "bench: correct horse battery staple"
ANALYST = "Bench Analyst"

MEMSEC_OFF = engine.CipherSettings(memory_security=False)

# Phase keys in the order the workload runs them, with what each one does.
PHASES = {
    "task": "create_task ×1",
    "bulk": "create_sources ×N (1 transaction)",
    "single": "create_source (1 transaction each)",
    "update": "update_source",
    "finding": "create_finding with 3 links",
    "list_sources": "list_sources(task)",
    "get": "get_source (consultation audit)",
    "list_tasks": "list_tasks",
    "like": "LIKE over source titles",
}


# -- process-wide SQLCipher state -------------------------------------------------------


def memory_security_active() -> bool:
    """Whether cipher_memory_security is in force in this process (a global switch)."""
    con = sqlcipher3.connect(":memory:")
    try:
        return str(con.execute("PRAGMA cipher_memory_security").fetchone()[0]) == "1"
    finally:
        con.close()


def enable_memory_security() -> None:
    """Turn the process-wide switch ON without opening a workspace (it stays ON)."""
    con = sqlcipher3.connect(":memory:")
    try:
        con.execute("PRAGMA cipher_memory_security = ON").fetchall()
    finally:
        con.close()


def cipher_version() -> str:
    con = sqlcipher3.connect(":memory:")
    try:
        row = con.execute("PRAGMA cipher_version").fetchone()
        return str(row[0]) if row else "unknown"
    finally:
        con.close()


def _takes_settings(fn) -> bool:
    return "settings" in inspect.signature(fn).parameters


# -- building and opening workspaces ----------------------------------------------------


def _build(
    path: Path, key: keys.RawKey | None, settings: engine.CipherSettings | None
) -> engine.Workspace:
    """What create_workspace does, with ``settings`` passed to every connection it opens
    (and ``key=None`` for the plain baseline); no temp-name-and-rename, which is not part
    of any measured phase."""
    engine.lay_out(path, key, ANALYST, record_ref=path.name, settings=settings)
    eng = engine._build_engine(path, key, read_only=False, settings=settings)
    ws = engine.Workspace(path, eng, key, read_only=False, settings=settings)
    ws.analyst = ANALYST
    return ws


def _open_unprobed(
    path: Path, key: keys.RawKey | None, settings: engine.CipherSettings | None
) -> engine.Workspace:
    """open_workspace without the probe connection (which, in this build, ignores
    ``settings`` and so switches memory security ON for the whole process)."""
    eng = engine._build_engine(path, key, read_only=False, settings=settings)
    ws = engine.Workspace(path, eng, key, read_only=False)
    try:
        migrations.ensure_current(eng, path=path, read_only=False)
        engine._load_identity(ws)
    except BaseException:
        ws.close()
        raise
    return ws


def create_encrypted(path: Path | str) -> engine.Workspace:
    """(a) An encrypted workspace exactly as the app makes it (memory security ON)."""
    return engine.create_workspace(Path(path), PASSPHRASE, ANALYST)


def open_encrypted(path: Path | str, *, check_integrity: bool = False) -> engine.Workspace:
    return engine.open_workspace(Path(path), PASSPHRASE, check_integrity=check_integrity)


def create_plain(path: Path | str) -> engine.Workspace:
    """(b) The baseline: same driver build, no key, same PRAGMAs, schema and workspace row."""
    return _build(Path(path), None, None)


def open_plain(path: Path | str) -> engine.Workspace:
    return _open_unprobed(Path(path), None, None)


def create_encrypted_memsec_off(path: Path | str) -> engine.Workspace:
    """(c) An encrypted workspace created without ever switching memory security ON."""
    path = Path(path)
    if _takes_settings(engine.create_workspace):
        return engine.create_workspace(path, PASSPHRASE, ANALYST, settings=MEMSEC_OFF)
    keys.check_new_passphrase(PASSPHRASE)
    return _build(path, keys.derive_key(PASSPHRASE, keys.new_salt()), MEMSEC_OFF)


def open_encrypted_memsec_off(path: Path | str) -> engine.Workspace:
    """(c) ``open_workspace(..., settings=CipherSettings(memory_security=False))``.

    While ``engine._probe`` takes no settings, the probe would switch memory security ON for
    the process before the engine is built, so the same steps are taken here without it."""
    path = Path(path)
    if _takes_settings(engine._probe):
        return engine.open_workspace(path, PASSPHRASE, settings=MEMSEC_OFF)
    head = checks.inspect_file(path)
    key = keys.derive_key(PASSPHRASE, head[: keys.SALT_BYTES])
    return _open_unprobed(path, key, MEMSEC_OFF)


def create_plain_memsec_on(path: Path | str) -> engine.Workspace:
    """A control: the plain baseline in a process where memory security is ON (as it is in
    the app after the first unlock). Separates the allocator's cost from the cipher's."""
    enable_memory_security()
    return create_plain(path)


def _pragma_name(pragma: str) -> str:
    return pragma.split()[1].split("=")[0].strip().lower()


def apply_overrides(pragmas: tuple[str, ...] = (), page_size: int | None = None) -> list[str]:
    """Experiments only: change the engine's PRAGMAs in *this* process (product code is not
    edited). A PRAGMA replaces the one of the same name; ``cipher_*`` ones go first, since
    they must precede the first page read. A page size other than 4096 also needs
    ``cipher_page_size`` on every encrypted connection. Returns what was changed."""
    applied = []
    current = list(engine.CONNECTION_PRAGMAS)
    if page_size:
        engine.PAGE_SIZE = page_size
        pragmas = (f"PRAGMA cipher_page_size = {page_size}", *pragmas)
        applied.append(f"page_size = {page_size}")
    for pragma in pragmas:
        pragma = pragma.strip()
        if not pragma.upper().startswith("PRAGMA "):
            pragma = f"PRAGMA {pragma}"
        name = _pragma_name(pragma)
        current = [c for c in current if _pragma_name(c) != name]
        if name.startswith("cipher_"):
            current.insert(0, pragma)
        else:
            current.append(pragma)
        applied.append(pragma.removeprefix("PRAGMA "))
    engine.CONNECTION_PRAGMAS = tuple(current)
    return applied


VARIANTS = {
    # name: (create, open, memory security expected afterwards)
    "encrypted": (create_encrypted, open_encrypted, True),
    "plain": (create_plain, open_plain, False),
    "encrypted-memsec-off": (create_encrypted_memsec_off, open_encrypted_memsec_off, False),
    "plain-memsec-on": (create_plain_memsec_on, open_plain, True),
}


# -- the app's workload -----------------------------------------------------------------

WORDS = (  # noqa: SIM905 (one string reads better than 45 one-word lines)
    "county lines safeguarding referral vehicle sighting address phone handset ferry port "
    "warehouse cash courier minors exploitation network bank transfer nail bar car wash "
    "cannabis grow rental flat hotel booking social media account vulnerable adult cuckooing "
    "supply route partner agency intelligence report interview statement invoice payslip"
).split()
LIKE_TERMS = ("county", "ferry", "Nguyen", "warehouse", "hotel", "S-10", "cash", "route")
SURNAMES = ("Nguyen", "Kowalski", "Smith", "Okafor", "Ahmed", "Murphy", "Silva", "Popescu")


def _sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def source_drafts(n: int, *, seed: int = 1, start: int = 0) -> list[sources.SourceDraft]:
    """``n`` realistic, varied, valid source drafts (deterministic for a seed)."""
    rng = random.Random(seed + start)
    today = dt.date.today()
    types = list(SourceType)
    out = []
    for i in range(start, start + n):
        handling = HandlingCode.C if i % 10 == 0 else HandlingCode.P
        stype = types[i % len(types)]
        out.append(
            sources.SourceDraft(
                title=f"S-{i} {rng.choice(SURNAMES)}: {_sentence(rng, 5)}",
                source_type=stype,
                evaluation=list(SourceEvaluation)[i % 3],
                assessment=list(IntelligenceAssessment)[i % 5],
                handling=handling,
                handling_conditions=(
                    "Not for onward disclosure without the originator's consent."
                    if handling is HandlingCode.C
                    else ""
                ),
                description=_sentence(rng, 40),
                reference=(
                    f"https://example.org/news/{i}"
                    if stype is SourceType.OPEN_SOURCE
                    else f"REF/{2026}/{i:06d}"
                ),
                obtained_on=today - dt.timedelta(days=i % 700),
                marking=Marking.OFFICIAL_SENSITIVE if i % 4 == 0 else Marking.OFFICIAL,
                tags=(f"theme-{i % 5}",) if i % 5 == 0 else (),
            )
        )
    return out


def _task_draft() -> tasks.TaskDraft:
    return tasks.TaskDraft(
        title="Bench: county lines supply into coastal towns",
        requester="DS Bench",
        thematic=Thematic.COUNTY_LINES,
        due_date=dt.date.today() + dt.timedelta(days=14),
        research_questions="Who runs the line? Which addresses are cuckooed?",
    )


@dataclass
class PhaseTimes:
    """Wall-clock and process CPU seconds per phase, in the order the phases ran.

    CPU time leaves out fsync waits and, mostly, time lost to other processes on a busy
    machine, so its ratios are steadier; the budget itself is about wall-clock time."""

    wall: dict[str, float] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)

    @contextlib.contextmanager
    def phase(self, name: str) -> Iterator[None]:
        w0, c0 = time.perf_counter(), time.process_time()
        yield
        self.wall[name] = time.perf_counter() - w0
        self.cpu[name] = time.process_time() - c0

    def as_dict(self) -> dict[str, dict[str, float]]:
        return {
            "wall": {**self.wall, "total": sum(self.wall.values())},
            "cpu": {**self.cpu, "total": sum(self.cpu.values())},
        }


def source_ids(ws: engine.Workspace, task_id: int) -> list[int]:
    with engine.session_scope(ws, write=False) as s:
        return list(s.scalars(select(Source.id).where(Source.task_id == task_id)))


def like_query(ws: engine.Workspace, term: str) -> list[tuple[int, str]]:
    """What a title filter box does: a LIKE scan over every source title."""
    with engine.session_scope(ws, write=False) as s:
        query = (
            select(Source.id, Source.title)
            .where(Source.title.like(f"%{term}%"), Source.archived_at.is_(None))
            .order_by(Source.id)
        )
        return [tuple(row) for row in s.execute(query)]


def count_sources(ws: engine.Workspace) -> int:
    with engine.session_scope(ws, write=False) as s:
        return s.scalar(select(func.count()).select_from(Source)) or 0


def run_workload(
    ws: engine.Workspace,
    n_sources: int,
    *,
    singles: int = 200,
    updates: int = 200,
    n_findings: int = 50,
    gets: int = 300,
    like_queries: int = len(LIKE_TERMS),
    seed: int = 1,
) -> PhaseTimes:
    """The mixed, service-level workload of one research task; seconds per phase.

    Inputs (drafts, random choices) are built before the clock starts, so every phase times
    service calls only, validation and audit writes included."""
    rng = random.Random(seed)
    bulk_drafts = source_drafts(n_sources, seed=seed)
    single_drafts = source_drafts(singles, seed=seed, start=n_sources)
    phia = list(Phia)
    relations = list(LinkRelation)
    times = PhaseTimes()

    with times.phase("task"):
        task_id = tasks.create_task(ws, _task_draft()).id

    with times.phase("bulk"):
        sources.create_sources(ws, task_id, bulk_drafts)

    with times.phase("single"):
        for draft in single_drafts:
            sources.create_source(ws, task_id, draft)

    ids = source_ids(ws, task_id)  # untimed: the inputs of the next phases
    update_ids = [rng.choice(ids) for _ in range(updates)]
    link_sets = [rng.sample(ids, 3) for _ in range(n_findings)]
    get_ids = [rng.choice(ids) for _ in range(gets)]
    new_titles = [f"Updated {n} {_sentence(rng, 4)}" for n in range(updates)]
    finding_texts = [f"Finding {n}: {_sentence(rng, 30)}" for n in range(n_findings)]

    with times.phase("update"):
        for sid, title in zip(update_ids, new_titles, strict=True):
            sources.update_source(ws, sid, title=title)

    with times.phase("finding"):
        for n, linked in enumerate(link_sets):
            findings.create_finding(
                ws,
                task_id,
                findings.FindingDraft(text=finding_texts[n], phia=phia[n % 7]),
                [(sid, relations[k % 3]) for k, sid in enumerate(linked)],
            )

    with times.phase("list_sources"):
        listed = sources.list_sources(ws, task_id)
    assert len(listed) == n_sources + singles

    with times.phase("get"):
        for sid in get_ids:
            sources.get_source(ws, sid)

    with times.phase("list_tasks"):
        tasks.list_tasks(ws)

    with times.phase("like"):
        for k in range(like_queries):
            like_query(ws, LIKE_TERMS[k % len(LIKE_TERMS)])

    return times


def phase_counts(
    n_sources: int,
    *,
    singles: int = 200,
    updates: int = 200,
    n_findings: int = 50,
    gets: int = 300,
    like_queries: int = len(LIKE_TERMS),
) -> dict[str, int]:
    """How many calls each phase makes (for labels and per-call figures)."""
    return {
        "task": 1,
        "bulk": n_sources,
        "single": singles,
        "update": updates,
        "finding": n_findings,
        "list_sources": 1,
        "get": gets,
        "list_tasks": 1,
        "like": like_queries,
    }
