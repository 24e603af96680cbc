"""UI watchdog: the longest stall of the UI thread while the window captures files, searches
and renders products over a 10,000-source workspace (budget: under 100 ms).

    PYTHONPATH=. python tests/perf/bench_ui_watchdog.py [--sources 10000] [--files 200]
        [--queries 40] [--json out.json]

The workspace is ``bench_window``'s cached demo (200 tasks, 10,000 sources, 2,000 findings).
In a fresh offscreen process the main window is shown, then a 5 ms heartbeat timer on the UI
thread records the gaps between its ticks (a gap is time the UI thread could not answer)
through four phases, each driven as a user would through the window's own actions:

1. *capture*: ``--files`` generated documents of every kind (``bench_capture``) dropped on
   the selected source: the provenance form is filled and accepted, the capture runs in its
   worker with progress, and the phase ends when the results list is shown;
2. *search*: the search dialog (Ctrl+K), ``--queries`` of the search benchmark's queries
   typed one after the other, each phase step ending when its results are listed;
3. *summary*: Report › Research summary of the selected task, until the preview has
   painted its first page; then every page is shown in turn;
4. *pack*: a briefing pack of 24 tasks (the pack form filled and accepted), until its
   preview has painted.

Reported per phase: the longest gap, the 99th percentile, the phase's wall time and the
garbage collector's pauses. Not part of the normal test run (``test_bench_smoke`` runs it on
a tiny workspace without judging the figures).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
for path in (ROOT, ROOT / "tests"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from tests.perf import bench_window as bw  # noqa: E402  (needs the paths above as a script)

BUDGET_MS = 100.0
clock = time.perf_counter


def _wait(app, done, what: str, timeout_s: float = 600.0) -> None:
    from PySide6.QtCore import QEventLoop

    deadline = clock() + timeout_s
    while not done():
        if clock() > deadline:
            raise SystemExit(f"bench_ui_watchdog: timed out waiting for {what}")
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)


def _accept_when_shown(kind, fill=None, accept: str = "accept") -> None:
    """Fill and accept the next modal dialog of ``kind`` once it is up (as a user would)."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    def poll() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, kind):
            QTimer.singleShot(10, poll)
            return
        if fill is not None:
            fill(dialog)
        QTimer.singleShot(30, getattr(dialog, accept))

    QTimer.singleShot(0, poll)


def _phase(app, beat, gcp, run) -> dict:
    for _ in range(5):
        app.processEvents()
    mark = len(gcp.pauses)
    beat.start()
    t0 = clock()
    run()
    wall = clock() - t0
    gaps = sorted(beat.stop())
    return {
        "wall_s": round(wall, 2),
        "longest_ms": round(gaps[-1] * 1000, 1),
        "p99_ms": round(gaps[min(len(gaps) - 1, int(len(gaps) * 0.99))] * 1000, 1),
        "ticks": len(gaps),
        **{k: v for k, v in gcp.summary(mark).items() if k.startswith("gc")},
    }


def worker(args: argparse.Namespace) -> dict:
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(["toexdesk-watchdog"])
    import bench_capture

    from tests.perf import bench_search
    from toexdesk import config
    from toexdesk.core import demo
    from toexdesk.core.store import engine
    from toexdesk.ui.capture import CaptureResults, ProvenanceDialog
    from toexdesk.ui.dialogs.preview import ProductPreview
    from toexdesk.ui.dialogs.search import SearchDialog
    from toexdesk.ui.main_window import MainWindow
    from toexdesk.ui.products import PackDialog

    bw._warm_up(app)
    gc.collect()
    gc.freeze()  # as the app does once its imports are done
    folder = Path(args.tmp)
    paths = bench_capture.generate(folder, args.files)
    ws = engine.open_workspace(Path(args.path), demo.DEMO_PASSPHRASE)
    window = MainWindow(ws, config.Settings())
    window.resize(1400, 900)
    watches = bw._paint_watch([window.tasks.table.viewport(), window.sources.table.viewport()])
    window.show()
    bw._wait_painted(app, watches)
    window.sources.table.selectRow(0)
    source_id = window.sources.current_id()
    beat, gcp = bw._Heartbeat(), bw._GcPauses().__enter__()
    phases = {}

    def capture() -> None:
        _accept_when_shown(ProvenanceDialog, lambda d: d.obtained_from.setText("Bench portal"))
        window.capture(paths, source_id=source_id)
        _wait(app, lambda: window.findChild(CaptureResults) is not None, "capture results")

    phases["capture"] = _phase(app, beat, gcp, capture)
    for results in window.findChildren(CaptureResults):
        results.close()

    queries = [q for _kind, q in bench_search.queries()][: args.queries]

    def search() -> None:
        window.show_search()
        dialog = window.findChild(SearchDialog)
        for query in queries:
            dialog.status.setText("")
            dialog.query.setText(query)
            dialog.run()
            _wait(app, lambda: dialog.status.text() != "", f"results of {query!r}")

    phases["search"] = _phase(app, beat, gcp, search)
    window.findChild(SearchDialog).close()

    def summary() -> None:
        window.research_summary()
        _wait(app, lambda: window.findChild(ProductPreview) is not None, "the summary preview")
        preview = window.findChild(ProductPreview)
        _wait(app, lambda: preview.isVisible(), "the preview shown")
        bar = preview.scroll.verticalScrollBar()  # page through it as a reader would
        for value in range(0, bar.maximum() + bar.pageStep(), max(1, bar.pageStep())):
            bar.setValue(value)
            for _ in range(3):
                app.processEvents()

    phases["summary"] = _phase(app, beat, gcp, summary)
    for preview in window.findChildren(ProductPreview):
        preview.close()
        preview.deleteLater()
    app.processEvents()

    def pack() -> None:
        def fill(dialog) -> None:
            from PySide6.QtCore import Qt

            dialog.title.setText("Watchdog pack")
            dialog.recipient.setText("DI Example")
            for row in range(min(24, dialog.tasks.count())):
                dialog.tasks.item(row).setCheckState(Qt.CheckState.Checked)

        _accept_when_shown(PackDialog, fill, accept="_accept")
        window.briefing_pack()
        _wait(app, lambda: window.findChild(ProductPreview) is not None, "the pack preview")
        preview = window.findChild(ProductPreview)
        _wait(app, lambda: preview.isVisible(), "the pack preview shown")

    phases["pack"] = _phase(app, beat, gcp, pack)
    gcp.__exit__()
    window.close()
    app.processEvents()
    return {"sources": args.sources, "files": len(paths), "queries": len(queries), **phases}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=10_000)
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--queries", type=int, default=40)
    parser.add_argument(
        "--cache-dir", type=Path, default=Path(tempfile.gettempdir()) / "toex-bench-cache"
    )
    parser.add_argument("--json", type=Path)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    parser.add_argument("--tmp", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args)))
        return 0
    path, _meta = bw.cached_workspace(args.sources, args.cache_dir, log=print)
    with tempfile.TemporaryDirectory(prefix="toex-watchdog-") as tmp:
        copy = Path(tmp) / "watchdog.toex"
        copy.write_bytes(path.read_bytes())
        (Path(tmp) / "files").mkdir()
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen", TOEX_DATA_DIR=str(Path(tmp) / "app"))
        cmd = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--worker",
            "--path",
            str(copy),
            "--tmp",
            str(Path(tmp) / "files"),
            "--sources",
            str(args.sources),
            "--files",
            str(args.files),
            "--queries",
            str(args.queries),
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-3000:] + proc.stderr[-3000:])
        return 2
    figures = json.loads(proc.stdout.strip().splitlines()[-1])
    print(
        f"UI-thread stalls, {figures['sources']:,}-source workspace (budget: longest < "
        f"{BUDGET_MS:.0f} ms); load average {os.getloadavg()[0]:.1f}\n"
    )
    print("| Phase | What | Longest stall | p99 gap | Wall | Verdict |")
    print("| --- | --- | --: | --: | --: | --- |")
    what = {
        "capture": f"{figures['files']} mixed files captured onto a source",
        "search": f"{figures['queries']} searches typed in the search dialog",
        "summary": "research summary previewed, every page shown",
        "pack": "briefing pack of 24 tasks previewed",
    }
    over = False
    for name in ("capture", "search", "summary", "pack"):
        f = figures[name]
        ok = f["longest_ms"] < BUDGET_MS
        over |= not ok
        print(
            f"| {name} | {what[name]} | {f['longest_ms']:.0f} ms | {f['p99_ms']:.0f} ms | "
            f"{f['wall_s']:.1f} s | {'PASS' if ok else 'OVER'} |"
        )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
