#!/usr/bin/env python3
"""TOEX Desk bootstrap: standard library only, so it runs on a bare Python 3.11+.

    python build/make.py run --demo   set up .venv (first time), open the demo workspace
    python build/make.py test         ruff (lint + format check) and the whole test suite
    python build/make.py bench        benchmarks (tests/perf), figures as a table
    python build/make.py setup        only create/refresh .venv

The virtual environment lives in .venv at the repository root and is refreshed whenever
pyproject.toml or build/constraints.txt change (a stamp records their hash)."""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
CONSTRAINTS = ROOT / "build" / "constraints.txt"
STAMP = VENV / ".toexdesk-installed"
MIN_PYTHON = (3, 11)


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


def cmd_bench(args: argparse.Namespace) -> int:
    python = setup()
    return run([python, str(ROOT / "tests" / "perf" / "run_bench.py"), *args.bench_args])


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
    p.add_argument("pytest_args", nargs=argparse.REMAINDER, help="extra pytest arguments")
    p.set_defaults(func=cmd_test)
    p = sub.add_parser("bench", help="run the benchmarks and print the figures")
    p.add_argument("bench_args", nargs=argparse.REMAINDER, help="arguments for run_bench.py")
    p.set_defaults(func=cmd_bench)
    args, unknown = parser.parse_known_args(argv)
    if args.command == "run":  # options for the app itself pass straight through
        args.rest = [*unknown, *args.rest]
    elif unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
