"""How the costs grow with the workspace: open, search p95, report and memory at 1 k, 10 k
and 100 k sources, encrypted and plain, with a table and (if matplotlib is there) a plot.

    PYTHONPATH=. python tests/perf/bench_scaling.py [--sizes 1000,10000,100000]
        [--cache-dir DIR] [--json out.json] [--plot out.png] [--markdown out.md]

Each size is a workspace of the same shape (built once, then kept in the cache folder):
``n`` sources in ``n/100`` tasks (so every task, and so every research summary, is the same
size whatever the workspace), ``n/10`` findings citing 3 sources each, ``n/50`` entities and
``n/50`` captured files with 20,000 characters of text each (indexed as capture indexes
them). Its plain twin is the same database exported without a key (``sqlcipher_export``).

Every measurement runs in a fresh process (so memory is that size's own, and nothing is
cached from another run), with the app's SQLCipher settings for the encrypted file and the
same PRAGMAs, memory security included, for the plain one:

- *open*: ``open_workspace`` and the first task's sources listed, as the window does when it
  appears (the encrypted figure includes the deliberate ~135 ms of key derivation, which the
  plain twin does not have);
- *search p95*: the search benchmark's 182 queries, once to warm up, then timed;
- *report*: the first task's research summary read from the workspace and rendered to PDF;
- *memory*: the process's peak resident set size at the end.

Growth is judged between successive sizes against ``n log n``: the ratio of costs must not
exceed ``(n2 log n2) / (n1 log n1)`` (12.5-13.3 for a 10x step). Not part of the normal run.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.perf import bench_search  # noqa: E402  (needs the path above as a script)

PASSPHRASE = bench_search.PASSPHRASE
METRICS = (
    ("open_ms", "Open (unlock + first task's sources)", "ms"),
    ("search_p95_ms", "Search p95 (182 queries, warm)", "ms"),
    ("report_ms", "Research summary (read + render PDF)", "ms"),
    ("peak_rss_mb", "Peak memory (RSS)", "MB"),
)


# --- building -------------------------------------------------------------------------------
def shape(n: int) -> dict:
    return {
        "tasks": max(10, n // 100),
        "findings": n // 10,
        "entities": max(20, n // 50),
        "cites": 3,
    }


def workspace_for(n: int, cache: Path) -> tuple[Path, Path]:
    """The encrypted workspace of ``n`` sources and its plain twin (built if missing)."""
    enc = cache / f"scale-{n}.toex"
    plain = cache / f"scale-{n}-plain.sqlite"
    if not enc.exists():
        started = time.perf_counter()
        partial = enc.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        bench_search.build(partial, n, max(20, n // 50), **shape(n))
        partial.rename(enc)
        print(f"  built {enc.name} in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    if not plain.exists():
        export_plain(enc, plain)
    return enc, plain


def export_plain(enc: Path, plain: Path) -> None:
    from toexdesk.core.store import engine, keys

    partial = plain.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    with enc.open("rb") as fh:
        key = keys.derive_key(PASSPHRASE, fh.read(keys.SALT_BYTES))
    con = engine.raw_connect(enc, key, settings=engine.CipherSettings(memory_security=False))
    try:
        con.execute(f"ATTACH DATABASE '{partial}' AS plain KEY ''")
        con.execute("SELECT sqlcipher_export('plain')")
        con.execute("DETACH DATABASE plain")
    finally:
        con.close()
    partial.rename(plain)


# --- measuring (in a child process) ---------------------------------------------------------
CHILD = """
import sys
sys.path.insert(0, {root!r})
from tests.perf.bench_scaling import measure_here
measure_here({path!r}, {variant!r})
"""


def measure_here(path: str, variant: str) -> None:
    import io
    import resource

    from toexdesk.core.render.pdf import render_summary_pdf
    from toexdesk.core.services import reports, search, sources, tasks
    from toexdesk.core.store import engine

    started = time.perf_counter()
    if variant == "encrypted":
        ws = engine.open_workspace(path, PASSPHRASE)
    else:
        from tests.perf.workload import enable_memory_security, memory_security_active

        enable_memory_security()  # process-wide, as the app's key sets it
        assert memory_security_active()
        settings = engine.CipherSettings()  # the app's PRAGMAs
        eng = engine._build_engine(Path(path), None, read_only=False, settings=settings)
        ws = engine.Workspace(Path(path), eng, None, read_only=False, settings=settings)
    first = tasks.list_tasks(ws)[0]
    sources.list_sources(ws, first.id)
    open_ms = (time.perf_counter() - started) * 1000

    queries = bench_search.queries()
    for _kind, query in queries:  # warm-up pass
        search.search(ws, query)
    times = []
    for _kind, query in queries:
        t0 = time.perf_counter()
        search.search(ws, query)
        times.append((time.perf_counter() - t0) * 1000)

    t0 = time.perf_counter()
    summary = reports.research_summary(ws, first.id)
    out = io.BytesIO()
    render_summary_pdf(summary, out)
    report_ms = (time.perf_counter() - t0) * 1000
    ws.close()
    print(
        json.dumps(
            {
                "open_ms": round(open_ms, 1),
                "search_p95_ms": round(bench_search.percentile(times, 95), 1),
                "search_p50_ms": round(bench_search.percentile(times, 50), 1),
                "report_ms": round(report_ms, 1),
                "report_pages_bytes": out.tell(),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            }
        )
    )


def measure(path: Path, variant: str) -> dict:
    code = CHILD.format(root=str(ROOT), path=str(path), variant=variant)
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False
    )
    if proc.returncode != 0:
        raise SystemExit(f"measuring {path.name} ({variant}) failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# --- judging and showing --------------------------------------------------------------------
def nlogn_bound(n1: int, n2: int) -> float:
    return (n2 * math.log(n2)) / (n1 * math.log(n1))


def growth(rows: list[dict], key: str) -> list[tuple[int, int, float, float]]:
    """(n1, n2, cost ratio, n log n bound) between successive sizes."""
    out = []
    for a, b in itertools.pairwise(rows):
        ratio = b["encrypted"][key] / max(a["encrypted"][key], 1e-9)
        out.append((a["n"], b["n"], ratio, nlogn_bound(a["n"], b["n"])))
    return out


def markdown(rows: list[dict], machine: str) -> str:
    sizes = " | ".join(f"{r['n']:,} sources" for r in rows)
    lines = [
        f"Machine: {machine}.",
        "",
        f"| Measure (encrypted, app settings) | {sizes} | growth per step (n log n bound) |",
        "| --- | " + " | ".join("--:" for _ in rows) + " | --- |",
    ]
    for key, label, unit in METRICS:
        cells = " | ".join(f"{r['encrypted'][key]:,.0f} {unit}" for r in rows)
        steps = ", ".join(
            f"{ratio:.2f}x ({bound:.1f}) {'ok' if ratio <= bound else 'OVER'}"
            for _n1, _n2, ratio, bound in growth(rows, key)
        )
        lines.append(f"| {label} | {cells} | {steps} |")
    cells = " | ".join(f"{r['file_mb']:,.0f} MB" for r in rows)
    lines.append(f"| Workspace file | {cells} | |")
    for key, label, _unit in METRICS[:3]:
        cells = " | ".join(f"{r['encrypted'][key] / max(r['plain'][key], 1e-9):.2f}x" for r in rows)
        lines.append(f"| Encrypted / plain: {label.split(' (')[0].lower()} | {cells} | |")
    return "\n".join(lines)


def plot(rows: list[dict], out: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no plot (pip install matplotlib)", file=sys.stderr)
        return False
    ns = [r["n"] for r in rows]
    fig, axes = plt.subplots(1, len(METRICS), figsize=(4.2 * len(METRICS), 3.6))
    for ax, (key, label, unit) in zip(axes, METRICS, strict=True):
        for variant, style in (("encrypted", "o-"), ("plain", "s--")):
            ax.plot(ns, [r[variant][key] for r in rows], style, label=variant)
        base = rows[0]["encrypted"][key]
        ax.plot(
            ns,
            [base * nlogn_bound(ns[0], n) for n in ns],
            ":",
            color="grey",
            label="n log n from the smallest",
        )
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(label, fontsize=9)
        ax.set_xlabel("sources")
        ax.set_ylabel(unit)
        ax.grid(True, which="both", alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return True


def machine() -> str:
    import os

    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} logical CPUs, "
        f"Python {platform.python_version()}, {time.strftime('%Y-%m-%d')}, "
        f"load average {os.getloadavg()[0]:.1f} at the start"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument(
        "--cache-dir", type=Path, default=Path(tempfile.gettempdir()) / "toex-bench-scaling"
    )
    parser.add_argument("--json", type=Path)
    parser.add_argument("--plot", type=Path)
    parser.add_argument("--markdown", type=Path)
    args = parser.parse_args(argv)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    args.cache_dir.mkdir(parents=True, exist_ok=True)
    where = machine()
    rows = []
    for n in sizes:
        enc, plain = workspace_for(n, args.cache_dir)
        row = {"n": n, "file_mb": enc.stat().st_size / 2**20}
        for variant, path in (("encrypted", enc), ("plain", plain)):
            row[variant] = measure(path, variant)
        rows.append(row)
        print(f"  {n:>7,} sources: {row['encrypted']}", file=sys.stderr)
    table = markdown(rows, where)
    print(table)
    over = [
        (key, n1, n2)
        for key, _label, _unit in METRICS
        for n1, n2, ratio, bound in growth(rows, key)
        if ratio > bound
    ]
    if args.markdown:
        args.markdown.write_text(table + "\n")
    if args.json:
        args.json.write_text(json.dumps({"machine": where, "rows": rows}, indent=1))
    if args.plot and plot(rows, args.plot):
        print(f"plot: {args.plot}")
    for key, n1, n2 in over:
        print(f"GROWTH OVER n log n: {key} from {n1:,} to {n2:,} sources")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
