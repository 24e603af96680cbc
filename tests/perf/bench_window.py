"""Main-window benchmarks: unlock + main window shown, and UI-thread stalls while scrolling.

Run by ``build/make.py bench`` through ``run_bench.py``, or alone:
``python tests/perf/bench_window.py [--sources 10000] [--repeat 3]``; prints Markdown tables.

The workspace is the demo (``toexdesk.core.demo.build_demo``) at benchmark size: for
10,000 sources 200 tasks, 2,000 findings and 30 entities. Building it takes ~35 s, so it is
kept under ``--cache-dir`` (default: ``<system temp>/toex-bench-cache``), keyed by its size
and a hash of ``toexdesk/core/**/*.py`` (the schema, the services and the demo generator);
each run opens a fresh copy of it.

Every run is a fresh child process with ``QT_QPA_PLATFORM=offscreen``, in which the
``QApplication`` exists and a small dialog has been shown and painted first (as the unlock
dialog is on screen before a workspace is opened). Measured, wall clock:

1. Unlock + main window shown: from calling ``open_workspace(path, passphrase)`` until the
   tasks and sources tables' viewports have painted their first rows after
   ``window.show()``; split into open (of which the KDF), window construction and first
   paint. Three variants: the app's default (the first task selected), the task with the
   most sources selected, and "All tasks" ticked in the sources pane (every source in the
   pane). The last two are applied after construction, before ``show()``.
2. Ticking "All tasks" in a shown window: the UI thread is busy until the pane repaints.
3. Scrolling the sources pane ("All tasks" on) from top to bottom and back, one screenful
   per step every 8 ms (a user dragging the scroll bar), which makes the view fetch a page
   at a time at the end (``fetchMore``), and scrolling back up re-reads rows the model's
   cache let go. A 5 ms heartbeat timer on the UI thread records the largest gap between
   its ticks (the longest stall); a step is ``setValue`` plus the repaint it causes.

Timings are never asserted by the normal test run (``tests/unit/test_bench_smoke.py`` only
checks that this script still runs and reports).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import hashlib
import importlib.metadata
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

UNLOCK_WINDOW_BUDGET_S = 1.5
STALL_BUDGET_S = 0.100
HEARTBEAT_MS = 5
STEP_MS = 8
SEED = 2026
VARIANTS = (
    ("first", "the first task selected (the app's default)"),
    ("largest", "the task with the most sources selected"),
    ("all", '"All tasks" ticked (every source in the pane)'),
)
clock = time.perf_counter


def demo_size(sources: int) -> dict[str, int]:
    """The benchmark workspace for ``sources``: README's 10 k demo is 200 tasks, 2,000
    findings (and the default 30 entities); smaller sizes scale down."""
    return {
        "tasks": max(1, round(sources / 50)),
        "sources": sources,
        "findings": sources // 5,
        "entities": 30,
    }


# -- the cached workspace ------------------------------------------------------------------


def _core_hash() -> str:
    digest = hashlib.sha256()
    for f in sorted((ROOT / "toexdesk" / "core").rglob("*.py")):
        digest.update(f.relative_to(ROOT).as_posix().encode() + b"\0" + f.read_bytes())
    return digest.hexdigest()


def cached_workspace(sources: int, cache_dir: Path, log=print) -> tuple[Path, dict]:
    """The benchmark workspace for ``sources`` and what it holds, built if not cached."""
    size = demo_size(sources)
    key = hashlib.sha256(
        (_core_hash() + json.dumps({"seed": SEED, **size}, sort_keys=True)).encode()
    ).hexdigest()[:12]
    cache_dir.mkdir(parents=True, exist_ok=True)
    stem = f"window-{sources}src"
    path, meta_path = cache_dir / f"{stem}-{key}.toex", cache_dir / f"{stem}-{key}.json"
    if path.exists() and meta_path.exists():
        return path, json.loads(meta_path.read_text())
    for stale in cache_dir.glob(f"{stem}-*"):  # built by older code
        with contextlib.suppress(OSError):
            stale.unlink()
    partial = cache_dir / f"{stem}-{key}.partial-{os.getpid()}.toex"
    partial.unlink(missing_ok=True)
    log(f"[window] building the {sources:,}-source demo workspace (cached in {cache_dir}) …")
    t0 = clock()
    with tempfile.TemporaryDirectory(prefix="toex-bench-build-") as tmp:
        extra = ["--worker", "build", "--path", str(partial), "--sources", str(sources)]
        meta = _child(extra, Path(tmp))
    meta["build_seconds"] = clock() - t0
    os.replace(partial, path)
    meta_path.write_text(json.dumps(meta))
    log(f"[window]   built in {meta['build_seconds']:.1f} s")
    return path, meta


def _worker_build(args: argparse.Namespace) -> dict:
    from sqlalchemy import func, select

    from toexdesk.core import demo
    from toexdesk.core.model import Source, Task
    from toexdesk.core.store import engine

    size = demo_size(args.sources)
    ws = engine.create_workspace(Path(args.path), demo.DEMO_PASSPHRASE, demo.DEMO_ANALYST)
    try:
        stats = demo.build_demo(ws, seed=SEED, **size)
        with engine.session_scope(ws, write=False) as s:
            per_task = s.execute(
                select(Task.id, Task.reference, func.count(Source.id))
                .join(Source, Source.task_id == Task.id)
                .where(Source.archived_at.is_(None))
                .group_by(Task.id)
                .order_by(func.count(Source.id).desc(), Task.reference)
            ).all()
    finally:
        ws.close()
    largest_id, largest_ref, largest_n = per_task[0]
    return {
        "size": size,
        "stats": {k: getattr(stats, k) for k in ("tasks", "sources", "findings", "entities")},
        "largest_task": {"id": largest_id, "reference": largest_ref, "sources": largest_n},
        "file_bytes": Path(args.path).stat().st_size,
    }


# -- the measurements (child process) -------------------------------------------------------


def _warm_up(app) -> None:
    """What the unlock dialog has done by the time a workspace is opened: the style,
    fonts and a first paint."""
    from PySide6.QtWidgets import QDialog, QLabel, QLineEdit, QPushButton, QVBoxLayout

    dialog = QDialog()
    layout = QVBoxLayout(dialog)
    for widget in (QLabel("<b>Workspace</b>"), QLineEdit("passphrase"), QPushButton("Unlock")):
        layout.addWidget(widget)
    dialog.show()
    deadline = clock() + 2
    while clock() < deadline and not dialog.isVisible():
        app.processEvents()
    for _ in range(20):
        app.processEvents()
    dialog.close()
    app.processEvents()


def _paint_watch(viewports):
    """An event filter noting the Paint events of ``viewports`` (an event filter sees the
    event just before it is painted; the caller checks after ``processEvents`` returns)."""
    from PySide6.QtCore import QEvent, QObject

    class Watch(QObject):
        def __init__(self) -> None:
            super().__init__()
            self.paints = 0

        def eventFilter(self, _obj, event) -> bool:
            if event.type() == QEvent.Type.Paint:
                self.paints += 1
            return False

    watches = []
    for viewport in viewports:
        watch = Watch()
        viewport.installEventFilter(watch)
        watches.append(watch)
    return watches


def _wait_painted(app, watches, timeout_s: float = 30.0) -> None:
    from PySide6.QtCore import QEventLoop

    start = [w.paints for w in watches]
    deadline = clock() + timeout_s
    while any(w.paints == s for w, s in zip(watches, start, strict=True)):
        if clock() > deadline:
            raise SystemExit("bench_window: the tables never painted")
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)


class _Heartbeat:
    """A 5 ms precise timer on the UI thread; ``gaps`` are the times between its ticks."""

    def __init__(self) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(HEARTBEAT_MS)
        self.timer.timeout.connect(self.tick)
        self.gaps: list[float] = []
        self.last = clock()

    def start(self) -> None:
        self.gaps, self.last = [], clock()
        self.timer.start()

    def tick(self) -> None:
        now = clock()
        self.gaps.append(now - self.last)
        self.last = now

    def stop(self) -> list[float]:
        self.tick()
        self.timer.stop()
        return self.gaps


class _GcPauses:
    """Python's garbage-collector pauses (generation, seconds) while installed: a full
    (generation 2) collection walks every tracked object and stops the UI thread."""

    def __init__(self) -> None:
        self.pauses: list[tuple[int, float]] = []
        self._start = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._start = clock()
        else:
            self.pauses.append((info["generation"], clock() - self._start))

    def __enter__(self) -> _GcPauses:
        gc.callbacks.append(self)
        return self

    def __exit__(self, *_exc) -> None:
        gc.callbacks.remove(self)

    def since(self, mark: int) -> float:
        return sum(seconds for _gen, seconds in self.pauses[mark:])

    def summary(self, mark: int = 0) -> dict:
        full = [seconds for gen, seconds in self.pauses[mark:] if gen == 2]
        return {
            "gc_seconds": self.since(mark),
            "gc_full": len(full),
            "gc_full_max": max(full, default=0.0),
        }


def _p95(values: list[float]) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _scroll(app, pane, gcp: _GcPauses) -> dict:
    """Scroll ``pane``'s table top → bottom (fetching pages at the end) and back."""
    from PySide6.QtCore import QEventLoop, QModelIndex, QTimer

    table, proxy, model = pane.table, pane.proxy, pane.model
    bar, root = table.verticalScrollBar(), QModelIndex()
    reads = {"n": 0, "s": 0.0}
    fetch = getattr(model, "_fetch_rows", None)
    if fetch is not None:  # count the model's database reads (rows fetched or re-read)

        def counted(ids):
            t0 = clock()
            try:
                return fetch(ids)
            finally:
                reads["n"] += 1
                reads["s"] += clock() - t0

        model._fetch_rows = counted
    pages = {"n": 0}
    model.rowsInserted.connect(lambda *_a: pages.__setitem__("n", pages["n"] + 1))
    phases: dict[str, dict] = {}
    slow: list[list] = []
    state = {"phase": "down", "idle": 0, "steps": [], "reads": (0, 0.0), "t0": clock()}
    heart, loop, driver = _Heartbeat(), QEventLoop(), QTimer()
    driver.setInterval(STEP_MS)

    def end_phase() -> None:
        gaps = heart.stop()
        steps = state["steps"]
        n0, s0 = state["reads"]
        phases[state["phase"]] = {
            "steps": len(steps),
            "step_p95": _p95(steps),
            "step_max": max(steps, default=0.0),
            "max_stall": max(gaps, default=0.0),
            "stalls_over_budget": sum(g > STALL_BUDGET_S for g in gaps),
            "wall": clock() - state["t0"],
            "reads": reads["n"] - n0,
            "read_seconds": reads["s"] - s0,
            "fetched": model.rowCount(),
            **gcp.summary(state["gc"]),
        }

    def begin_phase(name: str) -> None:
        state.update(
            phase=name,
            idle=0,
            steps=[],
            reads=(reads["n"], reads["s"]),
            t0=clock(),
            gc=len(gcp.pauses),
        )
        heart.start()

    def step() -> None:
        value, top = bar.value(), bar.maximum()
        if state["phase"] == "down":
            if value >= top:
                if not proxy.canFetchMore(root):
                    end_phase()
                    begin_phase("up")
                    return
                state["idle"] += 1  # at the end: the view fetches the next page
                if state["idle"] > 2_000:
                    raise SystemExit("bench_window: scrolling stuck at the end")
                return
            target = min(top, value + bar.pageStep())
        else:
            if value <= 0:
                end_phase()
                driver.stop()
                loop.quit()
                return
            target = max(0, value - bar.pageStep())
        state["idle"] = 0
        reads_before, gc_before, t0 = reads["n"], len(gcp.pauses), clock()
        bar.setValue(target)
        app.processEvents()  # the repaint (and any page fetched) belong to this step
        took = clock() - t0
        state["steps"].append(took)
        if took > STALL_BUDGET_S / 4:  # for the JSON: where the slow steps were
            slow.append(
                {
                    "phase": state["phase"],
                    "row": target,
                    "fetched": model.rowCount(),
                    "reads": reads["n"] - reads_before,
                    "gc": gcp.since(gc_before),
                    "seconds": took,
                }
            )

    driver.timeout.connect(step)
    table.setFocus()
    begin_phase("down")
    driver.start()
    loop.exec()
    return {
        "rows_fetched": model.rowCount(),
        "rows_total": model.total,
        "pages_inserted": pages["n"],
        "page_step_rows": bar.pageStep(),
        "phases": phases,
        "slow_steps": slow,
    }


def _worker_window(args: argparse.Namespace) -> dict:
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(["toexdesk-bench"])
    from toexdesk import config
    from toexdesk.core import demo
    from toexdesk.core.store import engine, keys
    from toexdesk.ui.main_window import MainWindow

    meta = json.loads(args.meta)
    _warm_up(app)
    if not args.no_gc_freeze:  # as the app does (app.py) once its imports are done
        gc.collect()
        gc.freeze()
    kdf: list[float] = []
    derive = keys.derive_key

    def timed_derive(*a, **kw):
        t0 = clock()
        try:
            return derive(*a, **kw)
        finally:
            kdf.append(clock() - t0)

    keys.derive_key = timed_derive  # open_workspace calls keys.derive_key once
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    gcp = _GcPauses().__enter__()
    t0 = clock()
    ws = engine.open_workspace(Path(args.path), demo.DEMO_PASSPHRASE)
    t1 = clock()
    window = MainWindow(ws, config.Settings())
    if args.variant == "all":
        window.sources.all_tasks.setChecked(True)
    elif args.variant == "largest":
        ids = window.tasks.proxy.ids()
        window.tasks.table.selectRow(ids.index(meta["largest_task"]["id"]))
    t2 = clock()
    watches = _paint_watch([window.tasks.table.viewport(), window.sources.table.viewport()])
    window.show()
    _wait_painted(app, watches)
    t3 = clock()
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(args.profile)
    keys.derive_key = derive
    result = {
        "variant": args.variant,
        "open": t1 - t0,
        "kdf": sum(kdf),
        "construct": t2 - t1,
        "first_paint": t3 - t2,
        "total": t3 - t0,
        **gcp.summary(),
        "task_rows": window.tasks.model.rowCount(),
        "source_rows_total": window.sources.model.total,
        "source_rows_fetched": window.sources.model.rowCount(),
        "viewport": [
            window.sources.table.viewport().width(),
            window.sources.table.viewport().height(),
        ],
    }
    if args.variant == "first" and not args.no_scroll:
        watch = _paint_watch([window.sources.table.viewport()])
        for _ in range(5):  # let anything queued at start-up run first
            app.processEvents()
        mark, t0 = len(gcp.pauses), clock()
        window.sources.all_tasks.setChecked(True)
        _wait_painted(app, watch)
        result["toggle_all"] = clock() - t0
        result["toggle_gc"] = gcp.summary(mark)
        result["toggle_rows_total"] = window.sources.model.total
        result["scroll"] = _scroll(app, window.sources, gcp)
    gcp.__exit__()
    window.close()
    app.processEvents()
    return result


# -- orchestration -------------------------------------------------------------------------


def _child(extra: list[str], workdir: Path | None = None) -> dict:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    if workdir is not None:  # settings, logs: never the user's data folder
        env["TOEX_DATA_DIR"] = str(workdir / "appdata")
    cmd = [sys.executable, str(Path(__file__).resolve()), *extra]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"window benchmark child {' '.join(extra[:4])} failed")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def measure(
    sources: int,
    repeat: int,
    *,
    cache_dir: Path | None = None,
    workdir: Path | None = None,
    scroll: bool = True,
    profile_dir: Path | None = None,
    gc_freeze: bool = True,
    log=None,
) -> dict:
    """Every run of every variant, each in a fresh process; variants interleaved."""
    say = log or (lambda message: sys.stderr.write(message + "\n"))
    cache_dir = cache_dir or Path(tempfile.gettempdir()) / "toex-bench-cache"
    cached, meta = cached_workspace(sources, cache_dir, say)
    load = [_load_average()]
    runs: dict[str, list[dict]] = {v: [] for v, _ in VARIANTS}
    with tempfile.TemporaryDirectory(prefix="toex-bench-window-", dir=workdir) as tmp:
        work = Path(tmp)
        for rep in range(repeat):
            for variant, _ in VARIANTS:
                copy = work / f"{variant}-{rep}.toex"
                shutil.copyfile(cached, copy)
                extra = ["--worker", "window", "--variant", variant, "--path", str(copy)]
                extra += ["--meta", json.dumps(meta)]
                if not scroll:
                    extra.append("--no-scroll")
                if not gc_freeze:
                    extra.append("--no-gc-freeze")
                if profile_dir is not None:
                    profile_dir.mkdir(parents=True, exist_ok=True)
                    extra += ["--profile", str(profile_dir / f"{variant}-{rep}.pstats")]
                say(f"[window] repeat {rep + 1}/{repeat}: {variant} …")
                result = _child(extra, work)
                say(f"[window]   unlock + window shown {result['total'] * 1000:.0f} ms")
                runs[variant].append(result)
                copy.unlink()
    load.append(_load_average())
    return {
        "sources": sources,
        "repeat": repeat,
        "load_average": load,
        "gc_freeze": gc_freeze,
        "workspace": meta,
        "runs": runs,
    }


def _load_average() -> str:
    if not hasattr(os, "getloadavg"):
        return "?"
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds >= 0.01 else f"{seconds * 1000:.1f} ms"


def _table(head: list[str], rows: list[list[str]]) -> str:
    align = ["---"] + ["--:"] * (len(head) - 1)
    return "\n".join("| " + " | ".join(cells) + " |" for cells in [head, align, *rows])


def _verdict(value: float, budget: float) -> str:
    return "PASS" if value < budget else "FAIL"


def qt_info() -> str:
    version = "?"
    for dist in ("PySide6", "PySide6-Essentials"):  # the Essentials wheel alone is enough
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            version = importlib.metadata.version(dist)
            break
    return f"PySide6 {version}, QT_QPA_PLATFORM=offscreen (raster painting, no screen)"


def report(data: dict) -> str:
    runs, meta = data["runs"], data["workspace"]
    stats, largest = meta["stats"], meta["largest_task"]

    def med(variant: str, key: str) -> float:
        return statistics.median(r[key] for r in runs[variant])

    def per_run(variant: str, key: str) -> str:
        return ", ".join(f"{r[key] * 1000:.0f}" for r in runs[variant])

    first = runs["first"][0]
    out = [
        f"## Main window: unlock + shown, and scrolling ({stats['sources']:,} sources)",
        "",
        f"- workspace: demo, {stats['tasks']:,} tasks, {stats['sources']:,} sources, "
        f"{stats['findings']:,} findings, {stats['entities']:,} entities "
        f"({meta['file_bytes'] / 1_048_576:.1f} MiB)",
        f"- {qt_info()}; window 1280×780 (no saved geometry); every run a fresh process "
        f"with the QApplication up and a dialog already painted; medians of {data['repeat']}",
        "- load average (1, 5, 15 min) at start / end: "
        + " / ".join(data.get("load_average", ["?"])),
    ]
    if not data.get("gc_freeze", True):
        out.append(
            "- **EXPERIMENT:** without the app's `gc.freeze()` after its imports "
            "(the app itself freezes them)"
        )
    out.append("")

    def gc_note(summaries: list[dict]) -> str:
        full = statistics.median(g["gc_full"] for g in summaries)
        longest = statistics.median(g["gc_full_max"] for g in summaries)
        return f"{full:g} full (gen 2) garbage collection(s), longest {_ms(longest)}"

    rows = []
    for variant, label in VARIANTS:
        n = runs[variant][0]["source_rows_total"]
        if variant == "largest":
            label = f"{label} ({largest['reference']})"
        total = med(variant, "total")
        rows.append(
            [
                f"Unlock + main window shown, {label}: {n:,} sources in the pane",
                f"**{_ms(total)}** (per run, ms: {per_run(variant, 'total')})",
                f"< {UNLOCK_WINDOW_BUDGET_S} s → **{_verdict(total, UNLOCK_WINDOW_BUDGET_S)}**",
            ]
        )
    with_scroll = [r for r in runs["first"] if "scroll" in r]
    if with_scroll:
        toggle = statistics.median(r["toggle_all"] for r in with_scroll)
        rows.append(
            [
                f'Tick "All tasks" in the shown window ({with_scroll[0]["toggle_rows_total"]:,} '
                "sources): UI thread busy until repainted",
                f"{_ms(toggle)} (in it: {gc_note([r['toggle_gc'] for r in with_scroll])})",
                f"< {STALL_BUDGET_S * 1000:.0f} ms → **{_verdict(toggle, STALL_BUDGET_S)}**",
            ]
        )
        for phase, words in (("down", "top → bottom"), ("up", "bottom → top")):
            ph = [r["scroll"]["phases"][phase] for r in with_scroll]
            stall = statistics.median(p["max_stall"] for p in ph)
            worst = max(p["max_stall"] for p in ph)
            rows.append(
                [
                    f'Scroll the sources pane ("All tasks") {words}, one screenful '
                    f"({with_scroll[0]['scroll']['page_step_rows']} rows) per step: "
                    "longest UI-thread stall",
                    f"**{_ms(stall)}** (worst run {_ms(worst)})",
                    f"< {STALL_BUDGET_S * 1000:.0f} ms → **{_verdict(stall, STALL_BUDGET_S)}**",
                ]
            )
            rows.append(
                [
                    f"… per step ({ph[0]['steps']:,} steps, {ph[0]['reads']:,} row reads "
                    f"taking {_ms(statistics.median(p['read_seconds'] for p in ph))}): "
                    "p95 / max",
                    f"{_ms(statistics.median(p['step_p95'] for p in ph))} / "
                    f"{_ms(statistics.median(p['step_max'] for p in ph))}",
                    "",
                ]
            )
            rows.append(["… Python's garbage collector meanwhile", gc_note(ph), ""])
        sc = with_scroll[-1]["scroll"]
        rows.append(
            [
                "Rows fetched by the model after reaching the end / rows in the pane",
                f"{sc['rows_fetched']:,} / {sc['rows_total']:,} ({sc['pages_inserted']} pages "
                "fetched while scrolling)",
                "",
            ]
        )
    out += [_table(["Measure", "Result", "Budget"], rows), ""]

    head = ["Phase (median, wall clock)", *[v for v, _ in VARIANTS]]
    phase_rows = [
        ["`open_workspace` (KDF, probe, engine, migrations check)", "open"],
        ["… of which the KDF (PBKDF2-SHA512, 256 k)", "kdf"],
        ["`MainWindow(ws, settings)` (panes, first pages, first task selected)", "construct"],
        ["`show()` → tasks and sources tables painted", "first_paint"],
        ["**total**", "total"],
    ]
    rows = [[label, *[_ms(med(v, key)) for v, _ in VARIANTS]] for label, key in phase_rows]
    rows.append(
        [
            "on the UI thread: construction + first paint (the app runs `open_workspace` in "
            "a worker thread)",
            *[
                _ms(statistics.median(r["construct"] + r["first_paint"] for r in runs[v]))
                for v, _ in VARIANTS
            ],
        ]
    )
    rows.append(
        ["sources in the pane (fetched)"]
        + [
            f"{runs[v][0]['source_rows_total']:,} ({runs[v][0]['source_rows_fetched']:,})"
            for v, _ in VARIANTS
        ]
    )
    out += ["Where the time goes:", "", _table(head, rows), ""]
    if first.get("scroll"):
        out.append(
            f"Heartbeat: a {HEARTBEAT_MS} ms precise timer, so a stall of ~{HEARTBEAT_MS} ms "
            f"means none; steps every {STEP_MS} ms; a step is `setValue` plus the repaint "
            "and any page fetched."
        )
    return "\n".join(out) + "\n"


def _parse(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sources", type=int, default=10_000, help="sources in the workspace")
    ap.add_argument("--repeat", type=int, default=3, help="runs per variant (medians)")
    ap.add_argument("--cache-dir", type=Path, help="where the built workspace is kept")
    ap.add_argument("--dir", type=Path, help="folder for the run copies (default: temp)")
    ap.add_argument("--json", type=Path, help="also write every measurement to this file")
    ap.add_argument("--no-scroll", action="store_true", help="skip the scrolling measure")
    ap.add_argument("--profile-dir", type=Path, help="cProfile each unlock → shown here")
    ap.add_argument(
        "--no-gc-freeze",
        action="store_true",
        help="experiment: skip the app's gc.freeze() after imports (to see what it saves)",
    )
    ap.add_argument("--worker", choices=("build", "window"), help=argparse.SUPPRESS)
    ap.add_argument("--variant", help=argparse.SUPPRESS)
    ap.add_argument("--path", help=argparse.SUPPRESS)
    ap.add_argument("--meta", help=argparse.SUPPRESS)
    ap.add_argument("--profile", help=argparse.SUPPRESS)
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    if args.worker:
        worker = _worker_build if args.worker == "build" else _worker_window
        print(json.dumps(worker(args)))
        return 0
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(AttributeError, ValueError):
            stream.reconfigure(errors="replace")
    data = measure(
        args.sources,
        args.repeat,
        cache_dir=args.cache_dir,
        workdir=args.dir,
        scroll=not args.no_scroll,
        profile_dir=args.profile_dir,
        gc_freeze=not args.no_gc_freeze,
    )
    print(report(data))
    if args.json:
        args.json.write_text(json.dumps(data, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
