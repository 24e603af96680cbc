"""Backup benchmark: an encrypted, integrity-checked backup of the 10 k-source demo
workspace through SQLite's online backup API, against a plain file copy of the same file;
then restoring it and checking an anchor.

    python tests/perf/bench_backup.py [--sources 10000] [--repeat 5] [--cache-dir DIR]

The workspace is built once (``demo.build_demo``, the README's 10 k demo: 200 tasks, 10,000
sources, 2,000 findings) and kept under ``--cache-dir`` (default
``<system temp>/toex-bench-cache``), keyed by its size and the demo and schema code. DESIGN
sets no budget for backups; the figures go in the README. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from toexdesk.core import demo  # noqa: E402  (needs the path above when run as a script)
from toexdesk.core.services import anchors, backups, restore  # noqa: E402
from toexdesk.core.store import engine, migrations  # noqa: E402

PASSPHRASE = demo.DEMO_PASSPHRASE


def demo_size(sources: int) -> dict[str, int]:
    return {"tasks": max(1, round(sources / 50)), "sources": sources, "findings": sources // 5}


def cached_workspace(sources: int, cache_dir: Path) -> Path:
    """The demo workspace of ``sources`` sources, built if not cached."""
    digest = hashlib.sha256(migrations.HEAD_REVISION.encode())
    for name in ("demo.py", "demo_data.py"):
        digest.update((ROOT / "toexdesk" / "core" / name).read_bytes())
    path = cache_dir / f"backup-{sources}src-{digest.hexdigest()[:12]}.toex"
    if path.exists():
        return path
    cache_dir.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.unlink(missing_ok=True)
    print(f"building the {sources:,}-source demo workspace (cached in {cache_dir}) …")
    start = time.perf_counter()
    with engine.create_workspace(partial, PASSPHRASE, demo.DEMO_ANALYST) as ws:
        demo.build_demo(ws, **demo_size(sources))
    partial.replace(path)
    print(f"  built in {time.perf_counter() - start:.1f} s")
    return path


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """(first run, median of the rest)."""
    times = []
    for _ in range(repeat + 1):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times[0], statistics.median(times[1:])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sources", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=5, help="timed runs after the first")
    ap.add_argument("--cache-dir", type=Path, help="where the built workspace is kept")
    args = ap.parse_args(argv)
    cache_dir = args.cache_dir or Path(tempfile.gettempdir()) / "toex-bench-cache"
    cached = cached_workspace(args.sources, cache_dir)

    rows = []
    with tempfile.TemporaryDirectory(prefix="toex-bench-backup-") as tmp:
        work = Path(tmp)
        path = work / "bench.toex"
        shutil.copyfile(cached, path)
        size_mb = path.stat().st_size / 1e6
        out = work / "out"
        out.mkdir()

        def fresh_out() -> Path:
            for f in out.iterdir():
                f.unlink()
            return out

        def plain_copy() -> None:
            target = fresh_out() / "copy.toex"
            shutil.copyfile(path, target)
            with open(target, "rb+") as fh:
                os.fsync(fh.fileno())

        rows.append(("plain file copy + fsync (baseline)", *timed(plain_copy, args.repeat)))

        with engine.open_workspace(path, PASSPHRASE) as ws:
            info_box: list[backups.BackupInfo] = []

            def backup() -> None:
                info_box[:] = [backups.backup_workspace(ws, fresh_out())]

            rows.append(
                ("backup (online API, checks, fsync, audit, anchor)", *timed(backup, args.repeat))
            )
            info = info_box[0]
            kept = work / "kept.toex"
            shutil.copyfile(info.path, kept)
            shutil.copyfile(info.anchor_path, work / "kept.anchor.json")

            def check_copy() -> None:
                with engine.open_as_is(kept, like=ws) as copy:
                    assert not engine.integrity_problems(copy)

            rows.append(
                (
                    "HMAC + integrity check of a backup file (fresh open)",
                    *timed(check_copy, args.repeat),
                )
            )
            rows.append(
                (
                    "verify --against the anchor file",
                    *timed(
                        lambda: anchors.verify_against(ws, work / "kept.anchor.json"), args.repeat
                    ),
                )
            )
        # Restore into a scratch path each time (the workspace itself stays as it is).
        target = work / "restored.toex"

        def restore_once() -> None:
            for leftover in work.glob("restored*"):
                leftover.unlink()
            restore.restore_workspace(target, kept, PASSPHRASE)

        rows.append(("restore (KDF, full check, copy, audit)", *timed(restore_once, args.repeat)))
        pages = info.pages

    print(f"\nWorkspace: {args.sources:,} sources, {size_mb:.1f} MB, {pages:,} pages\n")
    print("| step | first run | median | MB/s (median) |")
    print("| --- | ---: | ---: | ---: |")
    for label, first, median in rows:
        rate = f"{size_mb / median:,.0f}" if not label.startswith(("verify", "HMAC")) else ""
        print(f"| {label} | {first:.2f} s | {median:.2f} s | {rate} |")
    print(f"\n(copy restarts in the last backup, from concurrent writes: {info.restarts})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
