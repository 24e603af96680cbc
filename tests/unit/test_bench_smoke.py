"""The benchmark scripts still run against today's code (figures are not checked here:
budgets are measured by `make.py bench`, never asserted in the normal run)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_script_runs_end_to_end_on_a_tiny_workspace(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "tests" / "perf" / "run_bench.py"),
            "--sources",
            "40",
            "--repeat",
            "1",
            "--json",
            str(tmp_path / "bench.json"),
            "--cache-dir",
            str(tmp_path / "cache"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    for heading in (
        "Unlock (`open_workspace`)",
        "Encrypted / plain with the same PRAGMAs",
        "Cost of `cipher_memory_security = ON`",
        "| **total** |",
        "## Main window: unlock + shown, and scrolling",  # bench_window.py, run by run_bench
        "Unlock + main window shown",
    ):
        assert heading in proc.stdout
    assert (tmp_path / "bench.json").stat().st_size > 0


def test_window_bench_runs_and_scrolls_to_the_end(tmp_path):
    """bench_window.py on a 250-source workspace: more than one page, so scrolling to the
    end has to fetch (the figures it prints are not checked)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = tmp_path / "window.json"
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "tests" / "perf" / "bench_window.py"),
            "--sources",
            "250",
            "--repeat",
            "1",
            "--cache-dir",
            str(tmp_path / "cache"),
            "--json",
            str(out),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    for heading in (
        "Unlock + main window shown, the first task selected",
        '"All tasks" ticked',
        "longest UI-thread stall",
        "Rows fetched by the model after reaching the end",
        "| `MainWindow(ws, settings)`",
    ):
        assert heading in proc.stdout
    data = json.loads(out.read_text())
    assert {"first", "largest", "all"} <= set(data["runs"])
    scroll = data["runs"]["first"][0]["scroll"]
    assert scroll["rows_fetched"] == scroll["rows_total"] == 250
    assert scroll["pages_inserted"] >= 1
    assert data["runs"]["all"][0]["source_rows_total"] == 250


def test_capture_bench_captures_one_of_every_kind_and_finds_each(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = tmp_path / "capture.json"
    script = str(ROOT / "tests" / "perf" / "bench_capture.py")
    proc = subprocess.run(
        [sys.executable, script, "--files", "11", "--json", str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    figures = json.loads(out.read_text())
    assert figures["outcomes"] == {"captured": 11} and figures["not_found"] == 0


def test_ui_watchdog_bench_drives_every_phase(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = tmp_path / "watchdog.json"
    script = str(ROOT / "tests" / "perf" / "bench_ui_watchdog.py")
    args = ["--sources", "40", "--files", "11", "--queries", "3", "--json", str(out)]
    args += ["--cache-dir", str(tmp_path / "cache")]
    proc = subprocess.run(
        [sys.executable, script, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
        check=False,
    )
    assert proc.returncode in (0, 1), proc.stdout[-2000:] + proc.stderr[-2000:]  # 1: over budget
    figures = json.loads(out.read_text())
    for phase in ("capture", "search", "summary", "pack"):
        assert figures[phase]["ticks"] > 0 and figures[phase]["longest_ms"] > 0
    assert figures["files"] == 11 and figures["queries"] == 3


def test_scaling_bench_measures_both_twins_and_judges_growth(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    script = str(ROOT / "tests" / "perf" / "bench_scaling.py")
    out = tmp_path / "scaling.json"
    args = ["--sizes", "200,400", "--cache-dir", str(tmp_path / "cache"), "--json", str(out)]
    proc = subprocess.run(
        [sys.executable, script, *args, "--markdown", str(tmp_path / "scaling.md")],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
        check=False,
    )
    assert proc.returncode in (0, 1), proc.stdout[-2000:] + proc.stderr[-2000:]
    rows = json.loads(out.read_text())["rows"]
    assert [r["n"] for r in rows] == [200, 400]
    for row in rows:
        for variant in ("encrypted", "plain"):
            assert row[variant]["open_ms"] > 0 and row[variant]["report_ms"] > 0
    assert "n log n bound" in (tmp_path / "scaling.md").read_text()
