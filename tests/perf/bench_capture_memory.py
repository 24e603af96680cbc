"""Capturing one large file: time and peak memory (budget: a 500 MB file under 300 MB).

    PYTHONPATH=. python tests/perf/bench_capture_memory.py [--mb 1024] [--json out.json]

A fresh process creates a workspace, captures a small file (imports and caches warm up),
records its peak resident memory, captures a sparse file of ``--mb`` MiB (zeros: no time
spent writing it, and its type is unknown, so extraction refuses it at once and what is
measured is the streaming into the encrypted file), reads it back, and reports the peak
again. Not part of the normal test run.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHILD = textwrap.dedent(
    """
    import json, resource, sys, time
    from pathlib import Path
    from toexdesk.core.services import attachments, sources, tasks
    from toexdesk.core.store.engine import create_workspace

    def peak_mb():
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    if __name__ == "__main__":
        folder, size = Path(sys.argv[1]), int(sys.argv[2])
        (folder / "small.txt").write_text("warm-up")
        big = folder / "big.bin"
        with big.open("wb") as f:
            f.truncate(size)
        with create_workspace(folder / "w.toex", "bench passphrase capture", "Bench") as ws:
            t = tasks.create_task(ws, tasks.TaskDraft("Memory", "DS Example", "other"))
            s = sources.create_source(
                ws, t.id, sources.SourceDraft("Big export", "document", "2", "C", "P")
            )
            attachments.capture_file(ws, s.id, folder / "small.txt")
            before = peak_mb()
            started = time.perf_counter()
            result = attachments.capture_file(ws, s.id, big)
            captured = time.perf_counter() - started
            after = peak_mb()
            started = time.perf_counter()
            for _chunk in attachments.read_attachment(ws, result.attachment.id):
                pass
            read = time.perf_counter() - started
            print(json.dumps({
                "outcome": result.outcome.value, "mb": size / 2**20,
                "capture_s": round(captured, 1), "read_back_s": round(read, 1),
                "peak_before_mb": round(before, 1), "peak_after_capture_mb": round(after, 1),
                "peak_after_read_mb": round(peak_mb(), 1),
                "workspace_mb": round((folder / "w.toex").stat().st_size / 2**20, 1),
            }))
    """
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=1024)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="toex-bench-capture-") as folder:
        script = Path(folder) / "child.py"
        script.write_text(CHILD)
        proc = subprocess.run(
            [sys.executable, str(script), folder, str(args.mb * 2**20)],
            env={"PYTHONPATH": str(ROOT), "PATH": ""},
            capture_output=True,
            text=True,
            check=True,
        )
    figures = json.loads(proc.stdout.strip().splitlines()[-1])
    growth = figures["peak_after_capture_mb"] - figures["peak_before_mb"]
    figures["peak_growth_mb"] = round(growth, 1)
    print(json.dumps(figures, indent=1))
    verdict = "PASS" if figures["peak_after_capture_mb"] < 300 else "FAIL"
    print(f"peak {figures['peak_after_capture_mb']} MB (budget < 300 MB): {verdict}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
