"""The command line, over the same services as the window.

Every command takes the workspace file first. The passphrase comes from a terminal prompt or
the TOEX_PASSPHRASE environment variable (for scripts), never from an argument, because
arguments show in process lists and shell history.

Exit codes: 0 ok, 1 user error (one line on stderr), 2 usage, 3 internal error (see log)."""

from __future__ import annotations

import argparse
import contextlib
import getpass
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path

from toexdesk import APP_NAME, __version__
from toexdesk.core.errors import ToexError

log = logging.getLogger("toexdesk.cli")

ENV_PASSPHRASE = "TOEX_PASSPHRASE"  # noqa: S105 (a variable name, not a secret)
ENV_NEW_PASSPHRASE = "TOEX_NEW_PASSPHRASE"  # noqa: S105
EXIT_OK, EXIT_USER, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
COMMANDS = ("init", "info", "demo", "verify", "passwd")


class UserError(ToexError):
    pass


def _interactive() -> bool:
    return sys.stdin is not None and sys.stdin.isatty()


def read_passphrase(prompt: str = "Passphrase: ", env: str = ENV_PASSPHRASE) -> str:
    value = os.environ.get(env)
    if value:
        return value
    if not _interactive():
        raise UserError(f"No passphrase: set {env} or run the command in a terminal.")
    return getpass.getpass(prompt)


def read_new_passphrase(env: str) -> str:
    value = os.environ.get(env)
    if value:
        return value
    if not _interactive():
        raise UserError(f"No new passphrase: set {env} or run the command in a terminal.")
    first = getpass.getpass("New passphrase: ")
    if getpass.getpass("Repeat the new passphrase: ") != first:
        raise UserError("The two passphrases differ; nothing was changed.")
    return first


def _open(path: Path, *, read_only: bool = False, check_integrity: bool = False):
    from toexdesk.core.store.engine import open_workspace

    return open_workspace(
        path, read_passphrase(), read_only=read_only, check_integrity=check_integrity
    )


def cmd_init(args: argparse.Namespace) -> int:
    from toexdesk.core.store.engine import create_workspace

    analyst = args.analyst or getpass.getuser()
    with create_workspace(args.workspace, read_new_passphrase(ENV_PASSPHRASE), analyst) as ws:
        print(f"Created {ws.path} for {ws.analyst}.")
    return EXIT_OK


def _print_summary(ws, as_json: bool = False) -> None:
    from toexdesk.core.services import workspace

    info = workspace.summary(ws)
    if as_json:
        data = asdict(info) | {"tasks": info.tasks, "created_at": info.created_at.isoformat()}
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return
    rows = [
        ("Workspace", info.path),
        ("Size", f"{info.size_bytes / 1024:,.0f} KiB"),
        ("Encryption", f"SQLCipher {info.cipher_version}, {info.page_size}-byte pages"),
        ("Key derivation", info.kdf),
        ("Schema", info.schema_revision),
        ("Analyst", info.analyst),
        ("Created", f"{info.created_at:%Y-%m-%d %H:%M} UTC by TOEX Desk {info.created_by_version}"),
        (
            "Tasks",
            f"{info.tasks} ("
            + ", ".join(f"{n} {label.lower()}" for label, n in info.tasks_by_status.items() if n)
            + ")",
        ),
        ("Sources", f"{info.sources:,}"),
        ("Findings", f"{info.findings:,} citing {info.links:,} sources"),
        ("Entities", f"{info.entities:,}"),
        ("Attachments", f"{info.attachments:,}"),
        ("Audit events", f"{info.audit_events:,} (head {info.audit_head[:16]}…)"),
    ]
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}}  {value}")


def cmd_info(args: argparse.Namespace) -> int:
    with _open(args.workspace, read_only=True) as ws:
        _print_summary(ws, args.json)
    return EXIT_OK


def cmd_verify(args: argparse.Namespace) -> int:
    from toexdesk.core.services import workspace

    with _open(args.workspace, read_only=True) as ws:
        report = workspace.verify(ws)
    chain = report.chain
    if report.ok:
        print("OK  encryption: every page's HMAC checks out")
        print("OK  structure: integrity and foreign-key checks pass")
        print(f"OK  audit chain: {chain.events:,} events verify (head {chain.head_hash[:16]}…)")
        return EXIT_OK
    for problem in report.integrity:
        print(f"DAMAGED: {problem}")
    for problem in chain.problems:
        print(f"AUDIT: {problem.message}")
    first = report.integrity[0] if report.integrity else chain.problems[0].message
    print(f"toexdesk: error: verify failed: {first}", file=sys.stderr)
    return EXIT_USER


def cmd_passwd(args: argparse.Namespace) -> int:
    from toexdesk.core.services import workspace
    from toexdesk.core.store.engine import open_workspace

    old = read_passphrase("Current passphrase: ")
    new = read_new_passphrase(ENV_NEW_PASSPHRASE)
    with open_workspace(args.workspace, old) as ws:
        workspace.change_passphrase(ws, old, new)
    print(f"Passphrase changed for {args.workspace}.")
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from toexdesk.core import demo
    from toexdesk.core.store.engine import create_workspace

    path: Path = args.workspace
    if path.exists():
        if not args.reuse:
            raise UserError(
                f"{path} already exists; the demo makes a new workspace "
                "(use --reuse to open an existing one)."
            )
        with _open(path) as ws:
            _print_summary(ws)
        return EXIT_OK
    passphrase = os.environ.get(ENV_PASSPHRASE) or demo.DEMO_PASSPHRASE
    progress = _progress_printer() if args.progress else None
    with create_workspace(path, passphrase, args.analyst or demo.DEMO_ANALYST) as ws:
        try:
            demo.build_demo(
                ws,
                seed=args.seed,
                tasks=args.tasks,
                sources=args.sources,
                findings=args.findings,
                progress=progress,
            )
        except BaseException:
            ws.close()
            path.unlink(missing_ok=True)  # a half-built demo is worth nothing
            raise
        _print_summary(ws)
    if passphrase == demo.DEMO_PASSPHRASE:
        print(f"\nDemo passphrase (fictional data only): {demo.DEMO_PASSPHRASE}")
    return EXIT_OK


def _progress_printer() -> Callable[[int, int, str], None]:
    def show(done: int, total: int, message: str) -> None:
        print(
            f"\r{done * 100 // max(total, 1):3d}% {message[:60]:<60}",
            end="",
            file=sys.stderr,
            flush=True,
        )
        if done >= total:
            print(file=sys.stderr)

    return show


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="toexdesk",
        description=f"{APP_NAME} {__version__}: research workbench over an encrypted workspace. "
        f"The passphrase is read from a terminal prompt or {ENV_PASSPHRASE}.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, func, help_: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_, description=help_)
        p.add_argument("workspace", type=Path, metavar="WS", help="workspace file (*.toex)")
        p.set_defaults(func=func)
        return p

    p = command("init", cmd_init, "create a new, empty encrypted workspace")
    p.add_argument(
        "--analyst", help="analyst name recorded in the audit trail (default: your user name)"
    )
    p = command("info", cmd_info, "show what a workspace holds (counts, no content)")
    p.add_argument("--json", action="store_true", help="print JSON")
    command("verify", cmd_verify, "check encryption HMACs, structure and the audit chain")
    command(
        "passwd",
        cmd_passwd,
        f"change the passphrase (new one from a prompt or {ENV_NEW_PASSPHRASE})",
    )
    p = command("demo", cmd_demo, "build a workspace of fictional demo data")
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--tasks", type=int, default=8)
    p.add_argument("--sources", type=int, default=60)
    p.add_argument("--findings", type=int, default=40)
    p.add_argument("--analyst", help="analyst name (default: Demo Analyst)")
    p.add_argument(
        "--reuse",
        action="store_true",
        help="if WS exists, open it and show its summary instead of failing",
    )
    p.add_argument("--progress", action="store_true", help="show progress on stderr")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from toexdesk import config

    parser = build_parser()
    args = parser.parse_args(argv)
    with contextlib.suppress(OSError):  # a read-only profile must not stop the CLI
        config.setup_logging()
    log.info("command %s started", args.command)
    try:
        code = args.func(args)
    except ToexError as exc:
        log.info("command %s refused: %s", args.command, type(exc).__name__)
        print(f"toexdesk: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_USER
    except KeyboardInterrupt:
        print("toexdesk: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        config.log_exception(log, f"command {args.command} failed", exc)
        print(
            f"toexdesk: internal error ({type(exc).__name__}); details are in the log in "
            f"{config.log_dir()}",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
    log.info("command %s finished with %s", args.command, code)
    return code


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
