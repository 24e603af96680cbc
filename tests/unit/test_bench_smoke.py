"""The benchmark script still runs against today's code (figures are not checked here:
budgets are measured by `make.py bench`, never asserted in the normal run)."""

from __future__ import annotations

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
    ):
        assert heading in proc.stdout
    assert (tmp_path / "bench.json").stat().st_size > 0
