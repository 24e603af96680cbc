#!/usr/bin/env python3
"""TOEX Desk bootstrap: standard library only, so it runs on a bare Python 3.11+.

    python build/make.py run --demo   set up .venv (first time), open the demo workspace
    python build/make.py test         ruff (lint + format check) and the whole test suite
    python build/make.py bench        benchmarks (tests/perf), figures as a table; then 200
                                      kill -9 crash trials (--crash-trials N, 0: none)
    python build/make.py exe          the single executable (build/dist), then its self-test
    python build/make.py exe --onedir the one-folder build instead (build/dist/toexdesk-onedir)
    python build/make.py startup      cold start: source vs the built executable(s)
    python build/make.py setup        only create/refresh .venv

The virtual environment lives in .venv at the repository root and is refreshed whenever
pyproject.toml or build/constraints.txt change (a stamp records their hash)."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
CONSTRAINTS = ROOT / "build" / "constraints.txt"
STAMP = VENV / ".toexdesk-installed"
MIN_PYTHON = (3, 11)
DIST = ROOT / "build" / "dist"
WORK = ROOT / "build" / "work"
SPEC = ROOT / "build" / "toexdesk.spec"
EXE_NAME = "toexdesk"
SIZE_BUDGET_MB = 75  # one-file, Linux (README, Budgets)
SELF_TEST_TIMEOUT_S = 300


def venv_python() -> Path:
    if os.name == "nt":
        return VENV / "Scripts" / "python.exe"
    return VENV / "bin" / "python"


def _inputs_hash() -> str:
    digest = hashlib.sha256()
    for path in (ROOT / "pyproject.toml", CONSTRAINTS):
        digest.update(path.read_bytes() if path.exists() else b"")
    return digest.hexdigest()


def say(message: str) -> None:
    print(f"make.py: {message}", flush=True)


def run(cmd: list[str | Path], **kwargs) -> int:
    return subprocess.call([str(c) for c in cmd], cwd=ROOT, **kwargs)


def setup(force: bool = False) -> Path:
    """Create .venv and install the project with the pinned, tested dependency set."""
    if sys.version_info < MIN_PYTHON:
        sys.exit(
            f"make.py: TOEX Desk needs Python {'.'.join(map(str, MIN_PYTHON))} or newer "
            f"(this is {sys.version.split()[0]})."
        )
    python = venv_python()
    if not python.exists():
        say(f"creating virtual environment in {VENV}")
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    wanted = _inputs_hash()
    if not force and STAMP.exists() and STAMP.read_text().strip() == wanted:
        return python
    say("installing TOEX Desk and its pinned dependencies (first run takes a few minutes)")
    cmd = [
        python,
        "-m",
        "pip",
        "install",
        "--disable-pip-version-check",
        "-q",
        "-c",
        CONSTRAINTS,
        "-e",
        f"{ROOT}[dev]",
    ]
    if run(cmd) != 0:
        sys.exit("make.py: installing the dependencies failed (see pip's message above).")
    STAMP.write_text(wanted)
    return python


def cmd_setup(args: argparse.Namespace) -> int:
    setup(force=args.force)
    say(f"ready: {venv_python()}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    python = setup()
    extra = ["--demo"] if args.demo else []
    return run([python, "-m", "toexdesk", *extra, *args.rest])


def cmd_test(args: argparse.Namespace) -> int:
    python = setup()
    steps = [
        ("ruff lint", [python, "-m", "ruff", "check", "."]),
        ("ruff format", [python, "-m", "ruff", "format", "--check", "."]),
        ("pytest", [python, "-m", "pytest", *args.pytest_args]),
    ]
    if args.no_lint:
        steps = steps[2:]
    failed = []
    for name, cmd in steps:
        say(f"{name}…")
        if run(cmd) != 0:
            failed.append(name)
    if failed:
        say(f"FAILED: {', '.join(failed)}")
        return 1
    say("all checks passed")
    return 0


BENCHES = ("storage", "search", "capture", "scaling", "watchdog", "crash")


def cmd_bench(args: argparse.Namespace) -> int:
    """Every benchmark and proof run, one after the other; figures on stdout, and the
    scaling table and plot under ``--figures`` (the README shows them)."""
    python = setup()
    perf = ROOT / "tests" / "perf"
    skip = set(args.skip or ())
    figures = Path(args.figures)
    figures.mkdir(parents=True, exist_ok=True)
    steps = {
        # unlock, bulk insert, encrypted vs plain, main window (run_bench's own options pass)
        "storage": [str(perf / "run_bench.py"), *args.bench_args],
        "search": [str(perf / "bench_search.py")],  # 100 k sources, p95 < 50 ms
        "capture": [str(perf / "bench_capture.py")],  # 1,000 documents < 60 s
        "scaling": [
            str(perf / "bench_scaling.py"),
            "--markdown",
            str(figures / "scaling.md"),
            "--json",
            str(figures / "scaling.json"),
            "--plot",
            str(figures / "scaling.png"),
        ],
        "watchdog": [str(perf / "bench_ui_watchdog.py")],  # UI-thread stalls < 100 ms
        # kill -9 during mixed writes, each trial checked (20 run in `make.py test`)
        "crash": [str(perf / "crash_trials.py"), "--trials", str(args.crash_trials), "--quiet"],
    }
    if args.crash_trials <= 0:
        skip.add("crash")
    failed = []
    for name in BENCHES:
        if name in skip:
            continue
        print(f"\n## {name}\n", flush=True)
        if run([python, *steps[name]]) != 0:
            failed.append(name)
    if failed:
        print(f"\nfailed or over budget: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


# --- the single executable ----------------------------------------------------------------
def project_version() -> str:
    with (ROOT / "pyproject.toml").open("rb") as fh:
        return tomllib.load(fh)["project"]["version"]


def exe_path(onedir: bool = False) -> Path:
    """Where ``make.py exe`` puts the executable (one-file, or inside the one-folder build)."""
    suffix = ".exe" if os.name == "nt" else ""
    if onedir:
        return DIST / f"{EXE_NAME}-onedir" / f"{EXE_NAME}{suffix}"
    return DIST / f"{EXE_NAME}{suffix}"


def stamp_path(onedir: bool = False) -> Path:
    return DIST / f"{EXE_NAME}{'-onedir' if onedir else ''}.build.json"


def sources_digest() -> str:
    """A hash of everything that goes into the executable from this repository, so a test
    can tell an executable built from other sources (tests/unit/test_exe.py)."""
    digest = hashlib.sha256()
    files = [
        *sorted((ROOT / "toexdesk").rglob("*.py")),
        *sorted((ROOT / "toexdesk").rglob("*.mako")),
        *sorted((ROOT / "resources").glob("__init__.py")),
        *sorted((ROOT / "resources" / "fonts").glob("*")),
        SPEC,
        ROOT / "build" / "launcher.py",
        ROOT / "pyproject.toml",
        CONSTRAINTS,
    ]
    for path in files:
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def tree_size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    # Symbolic links (Linux one-folder builds link libraries into place) count once.
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def broken_app_modules(workpath: Path) -> list[str]:
    """Modules of the app PyInstaller could not compile or find (its warn file): it leaves
    them out and builds anyway, so a file saved half-edited would ship without, say, the
    main window."""
    warn = workpath / EXE_NAME / f"warn-{EXE_NAME}.txt"
    if not warn.is_file():
        return [f"{warn.relative_to(ROOT)} is missing"]
    found = []
    for line in warn.read_text(encoding="utf-8", errors="replace").splitlines():
        for kind in ("invalid module named ", "missing module named "):
            if line.startswith(kind):
                name = line[len(kind) :].split(" ", 1)[0].strip("'")
                if name == "toexdesk" or name.startswith("toexdesk."):
                    found.append(f"{kind.split()[0]} {name}")
    return found


def run_self_test(exe: Path) -> tuple[bool, float, str]:
    """Run ``exe --self-test`` in a private data folder; (passed, seconds, output)."""
    with tempfile.TemporaryDirectory(prefix="toexdesk-make-") as data:
        env = {**os.environ, "TOEX_DATA_DIR": data}
        env.pop("TOEX_PASSPHRASE", None)
        started = time.perf_counter()
        try:
            done = subprocess.run(
                [str(exe), "--self-test"],
                capture_output=True,
                text=True,
                encoding="utf-8",
                errors="replace",
                env=env,
                timeout=SELF_TEST_TIMEOUT_S,
            )
        except subprocess.TimeoutExpired:
            return False, SELF_TEST_TIMEOUT_S, f"timed out after {SELF_TEST_TIMEOUT_S} s"
        took = time.perf_counter() - started
    return done.returncode == 0, took, (done.stdout + done.stderr).rstrip()


def cmd_exe(args: argparse.Namespace) -> int:
    if args.onedir and args.runtime_tmpdir:
        sys.exit("make.py: --runtime-tmpdir is for the one-file build (a folder unpacks nothing).")
    python = setup()
    version = project_version()
    kind = "one-folder" if args.onedir else "one-file"
    target = exe_path(args.onedir)
    say(f"building TOEX Desk {version}, {kind}, with PyInstaller (a few minutes)…")
    spec_args = ["--onedir"] if args.onedir else []
    if args.runtime_tmpdir:
        spec_args += ["--runtime-tmpdir", args.runtime_tmpdir]
    workpath = WORK / ("onedir" if args.onedir else "onefile")
    cmd = [
        python,
        "-m",
        "PyInstaller",
        SPEC,
        "--noconfirm",
        "--log-level",
        "WARN",
        "--distpath",
        DIST,
        "--workpath",
        workpath,
        "--",
        *spec_args,
    ]
    # PyInstaller's cache stays inside the repository (build/work, git-ignored).
    env = {**os.environ, "PYINSTALLER_CONFIG_DIR": str(WORK / "pyinstaller-cache")}
    started = time.perf_counter()
    if run(cmd, env=env) != 0:
        say("FAILED: PyInstaller could not build the executable (see its messages above).")
        return 1
    build_s = time.perf_counter() - started
    if not target.exists():
        say(f"FAILED: PyInstaller reported success but {target} is missing.")
        return 1
    broken = broken_app_modules(workpath)
    if broken:
        say(f"FAILED: PyInstaller left out part of the app ({'; '.join(broken)}).")
        return 1
    bundle = target.parent if args.onedir else target
    size = tree_size(bundle)
    say(f"built {bundle.relative_to(ROOT)} in {build_s:.0f} s")
    run([python, ROOT / "build" / "exe_report.py", bundle, "--top", "15"])
    stamp = {
        "version": version,
        "kind": kind,
        "path": bundle.relative_to(ROOT).as_posix(),
        "executable": target.relative_to(ROOT).as_posix(),
        "size_bytes": size,
        "sha256": file_sha256(target),
        "build_seconds": round(build_s, 1),
        "sources": sources_digest(),
        "platform": sys.platform,
    }
    status = 0
    if not args.no_self_test:
        say(f"running {target.name} --self-test…")
        passed, took, output = run_self_test(target)
        print(output)
        stamp["self_test_seconds"] = round(took, 2)
        stamp["self_test_passed"] = passed
        if not passed:
            say(f"FAILED: the executable's self-test failed ({took:.1f} s)")
            status = 1
    stamp_path(args.onedir).write_text(json.dumps(stamp, indent=2) + "\n", encoding="utf-8")
    if not args.onedir:
        (DIST / f"{target.name}.sha256").write_text(
            f"{stamp['sha256']}  {target.name}\n", encoding="utf-8"
        )
    over = size > SIZE_BUDGET_MB * 1e6 and not args.onedir and sys.platform.startswith("linux")
    summary = f"{target.relative_to(ROOT)}: {size / 1e6:.1f} MB"
    if over:
        summary += f" (OVER the {SIZE_BUDGET_MB} MB budget)"
    summary += f", SHA-256 {stamp['sha256']}, built in {build_s:.0f} s"
    if "self_test_seconds" in stamp:
        summary += f", self-test {stamp['self_test_seconds']:.1f} s"
    say(summary)
    return status


# --- cold start ---------------------------------------------------------------------------------
def _children_cpu() -> float | None:
    try:
        import resource
    except ImportError:  # Windows: wall clock only
        return None
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _startup_once(cmd: list[str | Path], timeout: float = 60) -> tuple[float, float, float | None]:
    """Launch once with ``--startup-probe`` (offscreen, a fresh data folder): seconds from
    launch to the start-up dialog's first paint, to the end of the whole process, and the
    CPU seconds the process and its children used (None where the OS does not say)."""
    with tempfile.TemporaryDirectory(prefix="toexdesk-startup-") as data:
        env = {**os.environ, "TOEX_DATA_DIR": data, "QT_QPA_PLATFORM": "offscreen"}
        cpu0 = _children_cpu()
        launched = time.time()
        t0 = time.perf_counter()
        done = subprocess.run(
            [str(c) for c in cmd] + ["--startup-probe"],
            capture_output=True,
            text=True,
            env=env,
            timeout=timeout,
            cwd=data,
        )
        whole = time.perf_counter() - t0
        cpu1 = _children_cpu()
    shown = None
    for line in done.stdout.splitlines():
        if line.startswith("startup-probe shown_at="):
            shown = float(line.split("=", 1)[1]) - launched
    if done.returncode != 0 or shown is None:
        raise RuntimeError(f"{cmd[0]} --startup-probe failed: {done.stderr.strip()[-500:]}")
    cpu = None if cpu0 is None or cpu1 is None else cpu1 - cpu0
    return shown, whole, cpu


def cmd_startup(args: argparse.Namespace) -> int:
    """Cold start of the app from source, the one-file and the one-folder build, measured
    in rounds (each round starts each in turn, so load on a shared machine falls on all
    alike); the first round is reported apart (files not yet in the OS cache)."""
    python = setup()
    targets: list[tuple[str, list[str | Path]]] = [("source", [python, "-m", "toexdesk"])]
    for label, onedir in (("one-file", False), ("one-folder", True)):
        if exe_path(onedir).exists():
            targets.append((label, [exe_path(onedir)]))
    runs: dict[str, list[tuple[float, float, float | None]]] = {t[0]: [] for t in targets}
    load = []
    for _round in range(args.runs + 1):
        for label, cmd in targets:
            runs[label].append(_startup_once(cmd))
        if hasattr(os, "getloadavg"):
            load.append(os.getloadavg()[0])

    def med(values) -> str:
        values = [v for v in values if v is not None]
        return f"{statistics.median(values):.2f} s" if values else "n/a"

    print(f"\nCold start to the start-up dialog, median of {args.runs} (first run apart)")
    if load:
        print(f"load average during the runs: {min(load):.1f}-{max(load):.1f}")
    print("| Start | Dialog shown | Whole process | CPU time | First run (shown / whole) |")
    print("| --- | --: | --: | --: | --: |")
    for label, _cmd in targets:
        first, rest = runs[label][0], runs[label][1:]
        print(
            f"| {label} | {med(r[0] for r in rest)} | {med(r[1] for r in rest)} | "
            f"{med(r[2] for r in rest)} | {first[0]:.2f} / {first[1]:.2f} s |"
        )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make.py", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("setup", help="create or refresh .venv")
    p.add_argument("--force", action="store_true", help="reinstall even if up to date")
    p.set_defaults(func=cmd_setup)
    p = sub.add_parser("run", help="start TOEX Desk")
    p.add_argument("--demo", action="store_true", help="open the demo workspace")
    p.add_argument("rest", nargs=argparse.REMAINDER, help="arguments for toexdesk")
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("test", help="lint and run the whole test suite")
    p.add_argument("--no-lint", action="store_true", help="pytest only (CI's second run)")
    p.add_argument("pytest_args", nargs=argparse.REMAINDER, help="extra pytest arguments")
    p.set_defaults(func=cmd_test)
    p = sub.add_parser("bench", help="run the benchmarks and print the figures")
    p.add_argument(
        "--crash-trials", type=int, default=200, metavar="N", help="kill -9 trials (0: none)"
    )
    p.add_argument("--skip", action="append", choices=BENCHES, help="leave one out (repeatable)")
    p.add_argument(
        "--figures",
        default=str(ROOT / "resources" / "figures"),
        help="where the scaling table and plot go",
    )
    p.add_argument("bench_args", nargs=argparse.REMAINDER, help="arguments for run_bench.py")
    p.set_defaults(func=cmd_bench)
    p = sub.add_parser("exe", help="build the single executable and run its self-test")
    p.add_argument("--onedir", action="store_true", help="a folder (exe + _internal/) instead")
    p.add_argument(
        "--runtime-tmpdir",
        metavar="PATH",
        help="one-file: unpack here at run time instead of the temp folder (fixed at build "
        "time; Windows expands %%VARIABLES%%)",
    )
    p.add_argument("--no-self-test", action="store_true", help="build only")
    p.set_defaults(func=cmd_exe)
    p = sub.add_parser("startup", help="cold start to the start-up dialog: source vs exe")
    p.add_argument("--runs", type=int, default=5, help="measured runs after a first one")
    p.set_defaults(func=cmd_startup)
    args, unknown = parser.parse_known_args(argv)
    if args.command == "run":  # options for the app itself pass straight through
        args.rest = [*unknown, *args.rest]
    elif args.command == "test":  # and pytest's options (`make.py test -k audit`)
        args.pytest_args = [*unknown, *args.pytest_args]
    elif args.command == "bench":  # and run_bench.py's (`make.py bench --sources 40`)
        args.bench_args = [*unknown, *args.bench_args]
    elif unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
