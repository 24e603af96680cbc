"""Report benchmarks against the DESIGN budgets: a research summary of 50 sources and 40
findings to PDF in under 1 s, a 200-page briefing pack in under 10 s.

    python tests/perf/bench_report.py [--repeat 5] [--skip-db]

Two kinds of figure: render only (the dataclasses made directly, so only layout and PDF
writing are timed) and end to end (a demo workspace on disk: read the summary or pack in
one snapshot, then render). Prints a Markdown table; exits 1 if a budget is missed.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
for entry in (str(ROOT), str(HERE.parent)):
    if entry not in sys.path:
        sys.path.insert(0, entry)

import report_factory as rf  # noqa: E402  (needs the paths above when run as a script)

from toexdesk.core.render.pdf import render_pack_pdf, render_summary_pdf  # noqa: E402

SUMMARY_BUDGET_S = 1.0
PACK_BUDGET_S = 10.0
PACK_PAGES = 200


def timed(fn: Callable[[], int], repeat: int) -> tuple[float, float, int]:
    """(first run, median of the rest, pages)."""
    times, pages = [], 0
    for _ in range(repeat + 1):
        start = time.perf_counter()
        pages = fn()
        times.append(time.perf_counter() - start)
    return times[0], statistics.median(times[1:]), pages


def render_only(repeat: int) -> list[tuple]:
    summary = rf.big_summary(n_sources=50, n_findings=40)
    rows = []
    first, median, pages = timed(lambda: render_summary_pdf(summary, io.BytesIO()), repeat)
    rows.append(("summary, 50 sources / 40 findings (render)", pages, first, median, 1.0))

    # Enough tasks like that one for a pack of at least 200 pages.
    parts = [rf.big_summary(50, 40, seed=n, task_number=n) for n in range(1, 40)]
    pack = rf.pack(parts)
    pages = render_pack_pdf(pack, io.BytesIO())
    per_part = pages / len(parts)
    wanted = int(PACK_PAGES / per_part) + 1
    pack = rf.pack(parts[:wanted])
    first, median, pages = timed(lambda: render_pack_pdf(pack, io.BytesIO()), max(1, repeat // 2))
    rows.append((f"briefing pack, {wanted} tasks (render)", pages, first, median, 10.0))
    return rows


def end_to_end(repeat: int) -> list[tuple]:
    from toexdesk.core import demo
    from toexdesk.core.services import reports, tasks
    from toexdesk.core.store.engine import create_workspace

    rows = []
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.toex"
        with create_workspace(path, "benchmark passphrase 1", "Bench Analyst") as ws:
            demo.build_demo(ws, tasks=1, sources=50, findings=40)
            task_id = tasks.list_tasks(ws)[0].id
            cited = len(reports.research_summary(ws, task_id).register)

            def summary() -> int:
                return render_summary_pdf(reports.research_summary(ws, task_id), io.BytesIO())

            first, median, pages = timed(summary, repeat)
            label = f"summary, 50 sources ({cited} cited) / 40 findings (read + render)"
            rows.append((label, pages, first, median, 1.0))

        path = Path(folder) / "pack.toex"
        with create_workspace(path, "benchmark passphrase 1", "Bench Analyst") as ws:
            n_tasks = 24
            demo.build_demo(ws, tasks=n_tasks, sources=n_tasks * 50, findings=n_tasks * 40)
            ids = [t.id for t in tasks.list_tasks(ws)]

            def pack() -> int:
                content = reports.briefing_pack(ws, ids, title="Benchmark pack", recipient="R")
                return render_pack_pdf(content, io.BytesIO())

            first, median, pages = timed(pack, max(1, repeat // 2))
            rows.append(
                (f"briefing pack, {n_tasks} tasks (read + render)", pages, first, median, 10)
            )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed runs after the first")
    parser.add_argument("--skip-db", action="store_true", help="render-only figures")
    args = parser.parse_args(argv)

    rows = render_only(args.repeat)
    if not args.skip_db:
        rows += end_to_end(args.repeat)
    print("| product | pages | first run | median | budget |")
    print("| --- | ---: | ---: | ---: | ---: |")
    missed = False
    for label, pages, first, median, budget in rows:
        ok = median < budget and (not label.startswith("briefing") or pages >= PACK_PAGES)
        missed |= not ok
        print(
            f"| {label} | {pages} | {first:.2f} s | {median:.2f} s | < {budget:g} s "
            f"{'ok' if ok else 'MISSED'} |"
        )
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
