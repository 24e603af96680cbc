"""Storage benchmarks: unlock, bulk insert, and encrypted vs plain on the app's workload.

Run by ``build/make.py bench`` (``python tests/perf/run_bench.py``); prints Markdown tables.
Standard library and the project only. The main-window figures (unlock + window shown, UI
stalls while scrolling) come from ``bench_window.py`` and are printed after these
(``--skip-window`` leaves them out).

Every workload run happens in a fresh child process (``--worker``), because SQLCipher's
``cipher_memory_security`` is one process-wide switch that cannot be turned off once on:
measured in one process, the plain baseline and the "memory security OFF" run would both
silently inherit it. Encrypted and plain runs alternate their order from one repeat to the
next, and medians are reported.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import importlib.metadata
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
for entry in (str(ROOT), str(HERE)):
    if entry not in sys.path:
        sys.path.insert(0, entry)

import bench_window as bw  # noqa: E402  (needs the paths above when run as a script)
import workload as w  # noqa: E402

BUDGET_RATIO = 1.25
UNLOCK_BUDGET_S = 1.5
# name, column heading
VARIANTS = (
    ("encrypted", "Encrypted (app)"),
    ("plain", "Plain"),
    ("encrypted-memsec-off", "Encrypted, memsec OFF"),
    ("plain-memsec-on", "Plain, memsec ON"),
)


# -- child processes ----------------------------------------------------------------------


def _worker_workload(args: argparse.Namespace) -> dict:
    w.apply_overrides(tuple(args.pragma), args.page_size)
    create, open_, memsec_expected = w.VARIANTS[args.variant]
    path = Path(args.path)
    ws = create(path)
    ws.close()
    ws = open_(path)  # time only the workload, on a freshly opened workspace
    try:
        times = w.run_workload(ws, args.sources)
    finally:
        ws.close()
    memsec = w.memory_security_active()
    return {
        "variant": args.variant,
        "encrypted": ws.encrypted,
        "memory_security": memsec,
        "memory_security_expected": memsec_expected,
        "file_bytes": path.stat().st_size,
        **times.as_dict(),
    }


def _worker_unlock(args: argparse.Namespace) -> dict:
    from sqlalchemy import func, select

    from toexdesk.core.model import AuditEvent, Source
    from toexdesk.core.store import checks, engine, keys

    w.apply_overrides(tuple(args.pragma), args.page_size)
    path = Path(args.path)
    clock = time.perf_counter

    def timed_open(**kw) -> float:
        t0 = clock()
        ws = w.open_encrypted(path, **kw)
        elapsed = clock() - t0
        ws.close()
        return elapsed

    first = timed_open()  # includes one-off costs: mapper configuration, statement caches
    opens = [timed_open() for _ in range(args.repeat)]
    checked = [timed_open(check_integrity=True) for _ in range(args.repeat)]
    salt = checks.inspect_file(path)[: keys.SALT_BYTES]
    kdf = []
    for _ in range(args.repeat):
        t0 = clock()
        keys.derive_key(w.PASSPHRASE, salt)
        kdf.append(clock() - t0)
    ws = w.open_encrypted(path)
    try:
        with engine.session_scope(ws, write=False) as s:
            n_sources = s.scalar(select(func.count()).select_from(Source))
            n_events = s.scalar(select(func.count()).select_from(AuditEvent))
    finally:
        ws.close()
    return {
        "first": first,
        "open": opens,
        "open_integrity": checked,
        "kdf": kdf,
        "sources": n_sources,
        "audit_events": n_events,
        "file_bytes": path.stat().st_size,
    }


def _run_child(kind: str, extra: list[str], args: argparse.Namespace) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", kind, *extra]
    cmd += ["--sources", str(args.sources), "--repeat", str(args.repeat)]
    for pragma in args.pragma:
        cmd += ["--pragma", pragma]
    if args.page_size:
        cmd += ["--page-size", str(args.page_size)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"benchmark worker {kind} {' '.join(extra)} failed")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# -- reporting ---------------------------------------------------------------------------


def _fmt_s(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms" if seconds >= 0.01 else f"{seconds * 1000:.1f} ms"
    return f"{seconds:.2f} s"


def _fmt_bytes(n: int) -> str:
    return f"{n / 1_048_576:.1f} MiB ({n:,} bytes)"


def _ratio(a: float, b: float) -> float:
    return a / b if b else float("nan")


def _pct(a: float, b: float) -> str:
    return f"{(_ratio(a, b) - 1) * 100:+.0f} %"


def _table(head: list[str], rows: list[list[str]]) -> str:
    align = ["---"] + ["--:"] * (len(head) - 1)
    lines = [head, align, *rows]
    return "\n".join("| " + " | ".join(cells) + " |" for cells in lines)


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def _code_fingerprint() -> str:
    """The tree may be uncommitted: name what was measured by a hash of its sources."""
    files = sorted((ROOT / "toexdesk").rglob("*.py"))
    digest = hashlib.sha256()
    for f in files:
        digest.update(f.relative_to(ROOT).as_posix().encode() + b"\0" + f.read_bytes())
    newest = max((f.stat().st_mtime for f in files), default=0)
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(newest))
    return f"toexdesk/**/*.py sha256 {digest.hexdigest()[:12]} (newest file {stamp})"


def _memlock_limit() -> str:
    try:
        import resource
    except ImportError:  # Windows: VirtualLock is bounded by the working-set size instead
        return "n/a"
    soft, _hard = resource.getrlimit(resource.RLIMIT_MEMLOCK)
    return "unlimited" if soft == resource.RLIM_INFINITY else f"{soft // 1024} KiB"


def machine_info(workdir: Path) -> dict[str, str]:
    def version(dist: str) -> str:
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            return "?"

    import sqlcipher3

    return {
        "platform": platform.platform(),
        "cpu": f"{_cpu_model()}, {os.cpu_count()} logical CPUs",
        "python": sys.version.split()[0],
        "sqlcipher": (
            f"{w.cipher_version()} (SQLite {sqlcipher3.sqlite_version}), "
            f"sqlcipher3 {version('sqlcipher3')}, SQLAlchemy {version('SQLAlchemy')}"
        ),
        "code": _code_fingerprint(),
        "work folder": str(workdir),
        "locked-memory limit (RLIMIT_MEMLOCK)": _memlock_limit(),
        "load average at start": (
            " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
        ),
    }


def _medians(runs: list[dict], clock: str) -> dict[str, float]:
    keys = runs[0][clock].keys()
    return {k: statistics.median(r[clock][k] for r in runs) for k in keys}


def report(info: dict, args, runs: dict[str, list[dict]], unlock: dict, overrides) -> str:
    n = args.sources
    shown = [(v, label) for v, label in VARIANTS if runs.get(v)]
    counts = {**w.phase_counts(n), "total": 0}
    wall = {v: _medians(runs[v], "wall") for v, _ in shown}
    cpu = {v: _medians(runs[v], "cpu") for v, _ in shown}
    enc, plain = wall["encrypted"], wall["plain"]
    # The budget's baseline is the same build without a key and with the same PRAGMAs, and
    # the app's PRAGMAs include cipher_memory_security = ON (a process-wide switch).
    base = "plain-memsec-on" if "plain-memsec-on" in wall else "plain"
    ratio = _ratio(enc["total"], wall[base]["total"])
    cpu_ratio = _ratio(cpu["encrypted"]["total"], cpu[base]["total"])
    pairs = [
        _ratio(e["wall"]["total"], p["wall"]["total"])
        for e, p in zip(runs["encrypted"], runs[base], strict=True)
    ]
    verdict = "PASS" if ratio <= BUDGET_RATIO else "FAIL"

    out = ["# TOEX Desk storage benchmarks", ""]
    out += [f"- {k}: {v}" for k, v in info.items()]
    out.append(
        f"- settings: {n:,} sources, {args.repeat} repeats (medians), each workload run in "
        "a fresh process, encrypted/plain order alternating"
    )
    if overrides:
        out.append(f"- **EXPERIMENT, engine settings overridden:** {'; '.join(overrides)}")
    out.append("")

    kdf = statistics.median(unlock["kdf"])
    rows = [
        [
            f"Unlock (`open_workspace`), {unlock['sources']:,}-source workspace, "
            "first in a fresh process",
            _fmt_s(unlock["first"]),
            f"< {UNLOCK_BUDGET_S} s incl. main window",
        ],
        [
            f"Unlock, median of {len(unlock['open'])} more",
            _fmt_s(statistics.median(unlock["open"])),
            "",
        ],
        [
            "Unlock with `check_integrity=True`, median",
            _fmt_s(statistics.median(unlock["open_integrity"])),
            "",
        ],
        ["KDF alone (`keys.derive_key`: PBKDF2-SHA512, 256 k), median", _fmt_s(kdf), ""],
    ]
    for v, label in (("encrypted", "encrypted"), ("plain", "plain")):
        rows.append(
            [
                f"Insert {n:,} sources, one `create_sources` transaction ({label})",
                f"{_fmt_s(wall[v]['bulk'])} = {n / wall[v]['bulk']:,.0f} sources/s",
                "",
            ]
        )
    rows += [
        ["Workload, encrypted (app settings)", _fmt_s(enc["total"]), ""],
        [
            "Workload, plain (same build, no key, same PRAGMAs"
            + (" incl. memory security ON)" if base == "plain-memsec-on" else ")"),
            _fmt_s(wall[base]["total"]),
            "",
        ],
        [
            "**Encrypted / plain with the same PRAGMAs, wall clock**",
            f"**{ratio:.2f}×** (per repeat: {', '.join(f'{r:.2f}' for r in pairs)})",
            f"≤ {BUDGET_RATIO}× → **{verdict}**",
        ],
        ["Encrypted / plain with the same PRAGMAs, process CPU time", f"{cpu_ratio:.2f}×", ""],
        [
            "Encrypted (app) / plain without memory security (SQLCipher's default)",
            f"{_ratio(enc['total'], plain['total']):.2f}×",
            "",
        ],
    ]

    def would(r: float) -> str:
        return "would PASS" if r <= BUDGET_RATIO else "would FAIL"

    def both(v1: str, v2: str) -> tuple[float, str]:
        r = _ratio(wall[v1]["total"], wall[v2]["total"])
        return r, f"{r:.2f}× (CPU {_ratio(cpu[v1]['total'], cpu[v2]['total']):.2f}×)"

    if "encrypted-memsec-off" in wall:
        r, text = both("encrypted-memsec-off", "plain")
        rows.append(["Encryption alone, memsec OFF in both: encrypted / plain", text, would(r)])
    if "plain-memsec-on" in wall:
        r, text = both("encrypted", "plain-memsec-on")
        rows.append(
            [
                "Encryption alone, memsec ON in both (plain run with the app's "
                "`cipher_memory_security = ON` too): encrypted / plain",
                text,
                would(r),
            ]
        )
    if "encrypted-memsec-off" in wall:
        r, _ = both("encrypted", "encrypted-memsec-off")
        rows.append(
            [
                "Cost of `cipher_memory_security = ON`, encrypted (ON vs OFF)",
                f"{_fmt_s(enc['total'])} vs {_fmt_s(wall['encrypted-memsec-off']['total'])}: "
                f"{_pct(enc['total'], wall['encrypted-memsec-off']['total'])} "
                f"(CPU {_pct(cpu['encrypted']['total'], cpu['encrypted-memsec-off']['total'])})",
                "",
            ]
        )
    if "plain-memsec-on" in wall:
        ctl = wall["plain-memsec-on"]
        rows.append(
            [
                "Cost of `cipher_memory_security = ON`, plain (ON vs OFF)",
                f"{_fmt_s(ctl['total'])} vs {_fmt_s(plain['total'])}: "
                f"{_pct(ctl['total'], plain['total'])} "
                f"(CPU {_pct(cpu['plain-memsec-on']['total'], cpu['plain']['total'])})",
                "",
            ]
        )
    rows += [
        [
            "Workspace file after the workload, encrypted",
            _fmt_bytes(runs["encrypted"][0]["file_bytes"]),
            "",
        ],
        ["Same, plain", _fmt_bytes(runs["plain"][0]["file_bytes"]), ""],
    ]
    out += ["## Summary", "", _table(["Measure", "Result", "Budget"], rows), ""]

    head = ["Phase", "Calls", *[label for _, label in shown], "Enc/base", "Enc/base CPU"]
    rows = []
    for phase, calls in counts.items():
        label = "**total**" if phase == "total" else f"{phase}: {w.PHASES[phase]}"
        rows.append(
            [
                label,
                f"{calls:,}" if calls else "",
                *[_fmt_s(wall[v][phase]) for v, _ in shown],
                f"{_ratio(enc[phase], wall[base][phase]):.2f}×",
                f"{_ratio(cpu['encrypted'][phase], cpu[base][phase]):.2f}×",
            ]
        )
    states = {v: {r["memory_security"] for r in runs[v]} for v, _ in shown}
    out += [
        f"## The app's workload per phase (wall clock, median of {args.repeat})",
        "",
        _table(head, rows),
        "",
        f"base = the budget's baseline ({base}). "
        "memsec = `cipher_memory_security`, one process-wide switch. In force after each "
        "run: "
        + ", ".join(
            f"{v} {'/'.join('ON' if m else 'OFF' for m in sorted(states[v]))}" for v, _ in shown
        )
        + ".",
    ]
    for v, _ in shown:
        if any(r["memory_security"] != r["memory_security_expected"] for r in runs[v]):
            out.append(f"WARNING: {v} ran with memory security in the wrong state.")
    return "\n".join(out) + "\n"


# -- main ----------------------------------------------------------------------------------


def _parse(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sources", type=int, default=10_000, help="sources in the bulk insert")
    ap.add_argument("--repeat", type=int, default=3, help="runs per variant (medians)")
    ap.add_argument("--json", type=Path, help="also write every measurement to this file")
    ap.add_argument("--dir", type=Path, help="folder for the workspaces (default: system temp)")
    ap.add_argument(
        "--skip-window", action="store_true", help="leave out the main-window benchmark"
    )
    ap.add_argument(
        "--cache-dir",
        type=Path,
        help="where the main-window benchmark keeps its demo workspace "
        "(default: <system temp>/toex-bench-cache)",
    )
    exp = ap.add_argument_group("experiments (override engine settings in the benchmark only)")
    exp.add_argument("--pragma", action="append", default=[], help='e.g. "cache_size = -64000"')
    exp.add_argument("--page-size", type=int, help="e.g. 8192 (sets cipher_page_size too)")
    exp.add_argument(
        "--variants",
        help="extra variants to run besides encrypted and plain: encrypted-memsec-off, "
        "plain-memsec-on (comma-separated) or none; default: both",
    )
    ap.add_argument("--worker", choices=("workload", "unlock"), help=argparse.SUPPRESS)
    ap.add_argument("--variant", help=argparse.SUPPRESS)
    ap.add_argument("--path", help=argparse.SUPPRESS)
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    if args.worker:
        result = (_worker_workload if args.worker == "workload" else _worker_unlock)(args)
        print(json.dumps(result))
        return 0

    for stream in (sys.stdout, sys.stderr):
        # A Windows pipe is cp1252: print "≤"/"→" as "?" rather than fail at the end.
        with contextlib.suppress(AttributeError, ValueError):
            stream.reconfigure(errors="replace")
    overrides = w.apply_overrides(tuple(args.pragma), args.page_size)
    with tempfile.TemporaryDirectory(prefix="toex-bench-", dir=args.dir) as tmp:
        workdir = Path(tmp)
        info = machine_info(workdir)
        runs: dict[str, list[dict]] = {v: [] for v, _ in VARIANTS}
        names = [v for v, _ in VARIANTS]
        if args.variants:
            wanted = {"encrypted", "plain", *args.variants.split(",")}
            names = [v for v in names if v in wanted]
        unlock_file = workdir / "unlock.toex"
        for rep in range(args.repeat):
            # encrypted/plain first on even repeats, last on odd ones
            order = names if rep % 2 == 0 else names[::-1]
            for variant in order:
                path = workdir / f"{variant}-{rep}.toex"
                sys.stderr.write(f"[bench] repeat {rep + 1}/{args.repeat}: {variant} …\n")
                result = _run_child("workload", ["--variant", variant, "--path", str(path)], args)
                sys.stderr.write(f"[bench]   total {result['wall']['total']:.2f} s\n")
                runs[variant].append(result)
                if variant == "encrypted" and rep == 0:
                    path.replace(unlock_file)
                else:
                    path.unlink()
        sys.stderr.write("[bench] unlock …\n")
        unlock = _run_child("unlock", ["--path", str(unlock_file)], args)
        text = report(info, args, runs, unlock, overrides)
        window = None
        if not args.skip_window:
            sys.stderr.write("[bench] main window …\n")
            window = bw.measure(
                args.sources, args.repeat, cache_dir=args.cache_dir, workdir=workdir
            )
            text += "\n" + bw.report(window)
    print(text)
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "machine": info,
                    "sources": args.sources,
                    "repeat": args.repeat,
                    "overrides": overrides,
                    "runs": runs,
                    "unlock": unlock,
                    "window": window,
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
