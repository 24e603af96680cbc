"""pytest-benchmark versions of the storage benchmarks.

Not in the normal test run (pyproject's testpaths leave tests/perf out). Run them with
``pytest tests/perf --benchmark-only``; ``TOEX_BENCH_SOURCES`` (default 10 000) sizes the
unlock workspace and the bulk insert, ``TOEX_BENCH_WORKLOAD_SOURCES`` (default 1 000) the
mixed workload.

In one pytest process ``cipher_memory_security`` is ON for everything once the first
encrypted workspace is opened (it is a process-wide switch that cannot be turned off), so
the plain figures here carry that allocator cost too. The fair encrypted-vs-plain ratio,
one fresh process per run, comes from ``python tests/perf/run_bench.py``."""

from __future__ import annotations

import itertools
import os

import pytest

pytest.importorskip("pytest_benchmark")

import workload as w

from toexdesk.core.services import sources, tasks
from toexdesk.core.store import checks, engine, keys

N_SOURCES = int(os.environ.get("TOEX_BENCH_SOURCES", "10000"))
N_WORKLOAD = int(os.environ.get("TOEX_BENCH_WORKLOAD_SOURCES", "1000"))
_names = itertools.count()


@pytest.fixture(scope="module")
def populated(tmp_path_factory):
    """An encrypted workspace holding one task with N_SOURCES sources (closed)."""
    path = tmp_path_factory.mktemp("bench") / "populated.toex"
    ws = w.create_encrypted(path)
    try:
        task_id = tasks.create_task(ws, w._task_draft()).id
        sources.create_sources(ws, task_id, w.source_drafts(N_SOURCES))
    finally:
        ws.close()
    return path


@pytest.fixture(scope="module")
def bench_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("bench-runs")


@pytest.mark.benchmark(group="unlock")
def test_kdf(benchmark, populated):
    salt = checks.inspect_file(populated)[: keys.SALT_BYTES]
    key = benchmark(keys.derive_key, w.PASSPHRASE, salt)
    assert len(key.key) == keys.KEY_BYTES


@pytest.mark.benchmark(group="unlock")
def test_unlock(benchmark, populated):
    benchmark(lambda: engine.open_workspace(populated, w.PASSPHRASE).close())


@pytest.mark.benchmark(group="unlock")
def test_unlock_with_integrity_check(benchmark, populated):
    benchmark(lambda: engine.open_workspace(populated, w.PASSPHRASE, check_integrity=True).close())


@pytest.mark.parametrize("variant", ["encrypted", "plain"])
@pytest.mark.benchmark(group="bulk insert")
def test_bulk_insert(benchmark, bench_dir, variant):
    create, _open, _ = w.VARIANTS[variant]
    ws = create(bench_dir / f"bulk-{variant}.toex")
    drafts = w.source_drafts(N_SOURCES)

    def fresh_task():
        task = tasks.create_task(ws, w._task_draft())
        return (ws, task.id, drafts), {}

    try:
        count = benchmark.pedantic(sources.create_sources, setup=fresh_task, rounds=3)
    finally:
        ws.close()
    assert count == N_SOURCES
    benchmark.extra_info.update(
        sources=N_SOURCES,
        memory_security=w.memory_security_active(),
        sources_per_second=round(N_SOURCES / benchmark.stats.stats.median),
    )


@pytest.mark.parametrize("variant", ["encrypted", "plain"])
@pytest.mark.benchmark(group="workload")
def test_workload(benchmark, bench_dir, variant):
    create, open_, _ = w.VARIANTS[variant]
    phases: list[dict] = []

    def fresh_workspace():
        path = bench_dir / f"workload-{variant}-{next(_names)}.toex"
        create(path).close()
        return (open_(path),), {}

    def run(ws):
        try:
            phases.append(w.run_workload(ws, N_WORKLOAD).as_dict()["wall"])
        finally:
            ws.close()

    benchmark.pedantic(run, setup=fresh_workspace, rounds=3)
    benchmark.extra_info.update(
        sources=N_WORKLOAD,
        memory_security=w.memory_security_active(),
        phases_last_round={k: round(v, 4) for k, v in phases[-1].items()},
    )
