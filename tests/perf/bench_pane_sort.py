"""How a big pane sorts and filters: time to the answer and the longest UI-thread stall.

    PYTHONPATH=. python tests/perf/bench_pane_sort.py [--sources 100000] [--json out.json]

Builds (once, then cached under the temp folder) a demo workspace with ``--sources``
fictional sources through ``demo.build_demo``, opens a copy of it, and drives the Sources
pane's real table model, proxy and ``QTableView`` (offscreen) through what a researcher
does: open the pane over every task, click a header (first sort), sort by another column,
type in the quick filter on a freshly opened pane (first filter), narrow and clear it, and
reload a sorted pane after a write.

A ``QTimer`` ticks every 10 ms on the UI thread while each step runs and for a short while
after its answer is shown (so the first paint of the sorted rows counts); the longest gap
between two ticks is the longest stall the user would have felt. Not part of the normal
test run (pytest collects tests/unit and tests/ui only).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QEventLoop, QModelIndex, Qt, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication, QTableView  # noqa: E402

from toexdesk.core import demo  # noqa: E402
from toexdesk.core.store.engine import create_workspace, open_workspace  # noqa: E402
from toexdesk.ui.models import PaneProxy, SourceTableModel  # noqa: E402

TICK_MS = 10
AFTER_S = 0.3  # keep measuring this long after the answer shows: painting it counts too
BUDGET_MS = 100
FILTER_WORD = "warrant"  # in about one demo source title in fifteen
NARROWER = "warrant ashbury"


# -- the workspace --------------------------------------------------------------------------
def cached_workspace(n_sources: int, seed: int, cache: Path) -> Path:
    """The demo workspace for these settings, built into a temp folder the first time."""
    tasks = max(8, n_sources // 1_000)
    name = f"demo-{n_sources}-t{tasks}-seed{seed}.toex"
    path = cache / name
    if path.exists():
        return path
    cache.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(dir=cache) as building:
        tmp = Path(building) / name
        with create_workspace(tmp, demo.DEMO_PASSPHRASE, demo.DEMO_ANALYST) as ws:
            demo.build_demo(
                ws,
                seed=seed,
                tasks=tasks,
                sources=n_sources,
                findings=max(40, n_sources // 100),
                entities=100,
            )
        os.replace(tmp, path)
    print(f"built {path} in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return path


# -- measuring ------------------------------------------------------------------------------
@dataclass
class Step:
    name: str
    seconds: float  # from the user's action to the answer being in the model
    stall_ms: float  # the longest gap between two 10 ms ticks, answer's first paint included
    rows: int  # rows shown afterwards

    def row(self) -> str:
        flag = "" if self.stall_ms < BUDGET_MS else " ⚠"
        return (
            f"| {self.name} | {self.seconds * 1000:,.0f} ms | {self.stall_ms:,.0f} ms{flag} "
            f"| {self.rows:,} |"
        )


def busy(model) -> bool:
    """Whether the model is still working in the background (False for models that never do)."""
    return bool(getattr(model, "busy", ""))


def measure(
    app: QApplication,
    name: str,
    model,
    proxy,
    action: Callable[[], None],
    done: Callable[[], bool],
    *,
    timeout: float = 600,
) -> Step:
    """Run ``action`` inside the event loop and wait until ``done()``, timing the loop."""
    loop = QEventLoop()
    state = {"t0": 0.0, "answer": 0.0, "last": 0.0, "gap": 0.0, "stop": 0.0}

    def settled_now() -> None:
        if state["t0"] and not state["answer"] and not busy(model) and done():
            state["answer"] = time.perf_counter()
            state["stop"] = state["answer"] + AFTER_S

    def tick() -> None:
        now = time.perf_counter()
        state["gap"] = max(state["gap"], now - state["last"])
        state["last"] = now
        settled_now()
        answered = state["stop"] and now >= state["stop"]
        if answered or (state["t0"] and now - state["t0"] > timeout):
            loop.quit()

    def start() -> None:
        state["t0"] = time.perf_counter()
        action()
        settled_now()  # a synchronous model has its answer as soon as the call returns

    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.setInterval(TICK_MS)
    timer.timeout.connect(tick)
    signal = getattr(model, "busy_changed", None)
    if signal is not None:
        signal.connect(settled_now)
    app.processEvents()
    state["last"] = time.perf_counter()
    timer.start()
    QTimer.singleShot(0, start)
    loop.exec()
    timer.stop()
    if signal is not None:
        signal.disconnect(settled_now)
    if not state["answer"]:
        raise TimeoutError(f"{name}: no answer within {timeout:.0f} s")
    return Step(name, state["answer"] - state["t0"], state["gap"] * 1000, proxy.rowCount())


def open_pane(ws) -> tuple[SourceTableModel, PaneProxy, QTableView]:
    """The Sources pane's table as ``panes.base.Pane`` sets it up, over every task."""
    model = SourceTableModel(ws, task_id=None)
    proxy = PaneProxy()
    proxy.setSourceModel(model)
    view = QTableView()
    view.setModel(proxy)
    # No sort indicator before sorting is enabled: Qt would sort by column 0 at once.
    view.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
    view.setSortingEnabled(True)
    view.resize(1000, 600)
    view.show()
    return model, proxy, view


def first_titles_sorted(proxy, column: int, descending: bool = False) -> bool:
    shown = [proxy.index(r, column).data(Qt.ItemDataRole.UserRole) for r in range(50)]
    return shown == sorted(shown, reverse=descending)


def run(ws, app: QApplication) -> list[Step]:
    steps: list[Step] = []
    keep: list[object] = []

    def pane():
        model, proxy, view = open_pane(ws)
        keep.append((model, proxy, view))
        return model, proxy, view

    # Opening: ids of every source, then the first page.
    holder: dict[str, object] = {}
    steps.append(
        measure(
            app,
            "open the pane (all tasks)",
            _Idle(),
            _Rows(lambda: holder["proxy"]),
            lambda: holder.update(zip(("model", "proxy", "view"), pane(), strict=True)),
            lambda: "proxy" in holder,
        )
    )
    model, proxy = holder["model"], holder["proxy"]
    title, grading = model.column_index("title"), model.column_index("grading")
    total = model.total

    steps.append(
        measure(
            app,
            "first sort (Title ↑)",
            model,
            proxy,
            lambda: holder["view"].sortByColumn(title, Qt.SortOrder.AscendingOrder),
            lambda: proxy.rowCount() == total and first_titles_sorted(proxy, title),
        )
    )
    steps.append(
        measure(
            app,
            "second sort (Grading ↓)",
            model,
            proxy,
            lambda: holder["view"].sortByColumn(grading, Qt.SortOrder.DescendingOrder),
            lambda: (
                model.sorting == ((grading,), Qt.SortOrder.DescendingOrder)
                and first_titles_sorted(proxy, grading, descending=True)
            ),
        )
    )
    steps.append(
        measure(
            app,
            "reload while sorted",
            model,
            proxy,
            model.reload,
            lambda: proxy.rowCount() == total,
        )
    )

    model, proxy, _view = pane()
    app.processEvents()
    steps.append(
        measure(
            app,
            f"first quick filter ({FILTER_WORD!r})",
            model,
            proxy,
            lambda: proxy.set_quick_filter(FILTER_WORD),
            lambda: not model.canFetchMore(QModelIndex()) and proxy.rowCount() < total,
        )
    )
    matched = proxy.rowCount()
    steps.append(
        measure(
            app,
            f"narrow the filter ({NARROWER!r})",
            model,
            proxy,
            lambda: proxy.set_quick_filter(NARROWER),
            lambda: proxy.rowCount() < matched,
        )
    )
    steps.append(
        measure(
            app,
            "clear the filter",
            model,
            proxy,
            lambda: proxy.set_quick_filter(""),
            lambda: proxy.rowCount() == total,
        )
    )
    for _model, _proxy, view in keep:
        view.close()
        view.deleteLater()
    app.processEvents()
    return steps


class _Idle:
    """A stand-in model for the opening step (the real one does not exist yet)."""

    busy = ""


class _Rows:
    def __init__(self, proxy: Callable[[], object]):
        self._proxy = proxy

    def rowCount(self) -> int:
        return self._proxy().rowCount()


# -- main -----------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path(tempfile.gettempdir()) / "toex-bench-pane-sort",
        help="where the built workspace is kept between runs",
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)

    template = cached_workspace(args.sources, args.seed, args.cache)
    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as work:
        path = Path(work) / template.name
        shutil.copyfile(template, path)
        ws = open_workspace(path, demo.DEMO_PASSPHRASE)
        try:
            steps = run(ws, app)
        finally:
            ws.close()

    load = f", load average {os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else ""
    print(
        f"Sources pane over {args.sources:,} sources (stall budget {BUDGET_MS} ms; "
        f"{os.cpu_count()} CPUs{load})\n"
    )
    print("| step | time to the answer | longest UI-thread stall | rows shown |")
    print("| --- | ---: | ---: | ---: |")
    for step in steps:
        print(step.row())
    if args.json:
        args.json.write_text(json.dumps([asdict(s) for s in steps], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
