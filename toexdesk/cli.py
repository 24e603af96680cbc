"""The command line, over the same services as the window.

Every command takes the workspace file first. The passphrase comes from a terminal prompt or
the TOEX_PASSPHRASE environment variable (for scripts), never from an argument, because
arguments show in process lists and shell history.

Exit codes: 0 ok, 1 user error (one line on stderr), 2 usage, 3 internal error (see log)."""

from __future__ import annotations

import argparse
import contextlib
import getpass
import io
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path

from toexdesk import APP_NAME, __version__, cli_bundle, cli_capture, cli_review
from toexdesk.core.errors import ToexError

log = logging.getLogger("toexdesk.cli")

ENV_PASSPHRASE = "TOEX_PASSPHRASE"  # noqa: S105 (a variable name, not a secret)
ENV_NEW_PASSPHRASE = "TOEX_NEW_PASSPHRASE"  # noqa: S105
EXIT_OK, EXIT_USER, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
COMMANDS = ("init", "info", "demo", "verify", "passwd", "report", "pack", "export")
COMMANDS += ("backup", "restore")
COMMANDS += cli_capture.COMMANDS
COMMANDS += cli_review.COMMANDS
COMMANDS += cli_bundle.COMMANDS


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

    if args.against is not None:
        return _verify_against(args)
    if args.rebuild_index:
        from toexdesk.core.services import search

        with _open(args.workspace) as ws:
            rows = search.rebuild_search_index(ws, justification="verify --rebuild-index")
        print(f"OK  search index rebuilt: {rows:,} entries")
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
    if any("search index" in p or "search_index" in p for p in report.integrity):
        print("The search index is rebuilt from the records by: toexdesk verify WS --rebuild-index")
    for problem in chain.problems:
        print(f"AUDIT: {problem.message}")
    first = report.integrity[0] if report.integrity else chain.problems[0].message
    print(f"toexdesk: error: verify failed: {first}", file=sys.stderr)
    return EXIT_USER


def _verify_against(args: argparse.Namespace) -> int:
    """Does the workspace's audit trail still extend the head an earlier backup or export
    recorded? (A rewrite of the whole chain passes ``verify`` but not this.)"""
    from toexdesk.core.services import anchors
    from toexdesk.core.store.engine import open_workspace

    passphrase = read_passphrase()  # a backup made before a passphrase change needs its own
    with open_workspace(args.workspace, passphrase, read_only=True) as ws:
        check = anchors.verify_against(ws, args.against, passphrase=passphrase)
    if check.ok:
        print(f"OK  {check.message}")
        return EXIT_OK
    print(f"AUDIT: {check.message}")
    print(f"toexdesk: error: verify failed: {check.message}", file=sys.stderr)
    return EXIT_USER


def cmd_backup(args: argparse.Namespace) -> int:
    from toexdesk.core.services import backups

    progress = _progress_printer() if args.progress else None
    with _open(args.workspace) as ws:
        info = backups.backup_workspace(ws, args.dest, progress=progress)
        removed = []
        if args.keep is not None:
            removed = backups.prune_backups(ws, info.path.parent, args.keep, spare=info.path)
    print(
        f"Backed up to {info.path} ({info.size_bytes / 1024:,.0f} KiB, audit event "
        f"#{info.anchor.head_seq}, head {info.anchor.head_hash[:16]}…, {info.seconds:.1f} s)."
    )
    print(f"Audit anchor: {info.anchor_path}")
    for path in removed:
        print(f"Removed older backup {path.name}")
    return EXIT_OK


def cmd_restore(args: argparse.Namespace) -> int:
    from toexdesk.core.services import restore

    progress = _progress_printer() if args.progress else None
    try:
        info = restore.restore_workspace(
            args.workspace,
            args.backup,
            read_passphrase("Passphrase of the backup: "),
            allow_other=args.other_workspace,
            progress=progress,
        )
    except restore.OtherWorkspaceBackup as exc:
        raise UserError(f"{exc} (Use --other-workspace to restore it anyway.)") from None
    print(
        f"Restored {info.path} from {info.backup.name} (audit event #{info.anchor.head_seq} "
        f"of {info.anchor.when}); it opens with the backup's passphrase."
    )
    if info.kept_as is not None:
        print(f"The file it replaced is kept as {info.kept_as}.")
    return EXIT_OK


def _keep_count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= 100:
        raise argparse.ArgumentTypeError(f"--keep takes a number from 1 to 100, not {text!r}")
    return value


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


# --- products ---------------------------------------------------------------------------
def _refuse_existing(paths: Sequence[Path | None], overwrite: bool) -> list[Path]:
    """The output files asked for; refuses (before any work) one that exists, or the same
    file named twice."""
    outputs = [path for path in paths if path is not None]
    if len({path.resolve() for path in outputs}) < len(outputs):
        raise UserError("--pdf and --docx name the same file.")
    for path in outputs:
        if path.exists() and not overwrite:
            raise UserError(f"{path} already exists; use --overwrite to replace it.")
        if not path.parent.is_dir():
            raise UserError(f"The folder {path.parent} does not exist.")
    return outputs


def _publish(ws, args, task_ids, *, product: str, fmt: str, marking, path: Path, write) -> None:
    """Write one product file (temporary name, fsync, rename) and record its disclosure,
    with its SHA-256 and page count, before the file takes its name."""
    from toexdesk.core.services import exports, reports

    pages: list[int | None] = [None]

    def render(fh) -> None:
        pages[0] = write(fh)

    def disclose(sha256: str) -> None:
        reports.record_disclosure(
            ws,
            task_ids,
            recipient=args.recipient,
            purpose=args.purpose,
            product=product,
            fmt=fmt,
            marking=marking,
            sha256=sha256,
            pages=pages[0],
        )

    exports.write_atomically(path, render, overwrite=args.overwrite, before_publish=disclose)
    count = f", {pages[0]} pages" if pages[0] else ""
    print(f"Wrote {path} ({marking.label}{count}).")


def cmd_report(args: argparse.Namespace) -> int:
    from toexdesk.core.services import reports, tasks

    _refuse_existing([args.pdf, args.docx], args.overwrite)
    with _open(args.workspace) as ws:
        task_id = tasks.find_task_id(ws, args.task)
        summary = reports.research_summary(ws, task_id)
        common = {"product": "research summary", "marking": summary.marking}
        if args.pdf is not None:
            from toexdesk.core.render.pdf import render_summary_pdf

            _publish(
                ws,
                args,
                [task_id],
                fmt="pdf",
                path=args.pdf,
                write=lambda fh: render_summary_pdf(summary, fh),
                **common,
            )
        if args.docx is not None:
            from toexdesk.core.render.docx import render_summary_docx

            def docx(fh) -> None:
                buffer = io.BytesIO()  # python-docx wants a seekable file
                render_summary_docx(summary, buffer)
                fh.write(buffer.getvalue())

            _publish(ws, args, [task_id], fmt="docx", path=args.docx, write=docx, **common)
    return EXIT_OK


def cmd_pack(args: argparse.Namespace) -> int:
    from toexdesk.core.render.pdf import render_pack_pdf
    from toexdesk.core.services import reports, tasks

    _refuse_existing([args.pdf], args.overwrite)
    with _open(args.workspace) as ws:
        task_ids = list(dict.fromkeys(tasks.find_task_id(ws, ref) for ref in args.tasks))
        pack = reports.briefing_pack(ws, task_ids, title=args.title, recipient=args.recipient)
        _publish(
            ws,
            args,
            task_ids,
            product="briefing pack",
            fmt="pdf",
            marking=pack.marking,
            path=args.pdf,
            write=lambda fh: render_pack_pdf(pack, fh),
        )
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from toexdesk.core.services import exports, tasks

    with _open(args.workspace) as ws:
        task_id = tasks.find_task_id(ws, args.task)
        result = exports.export_task(
            ws,
            task_id,
            args.to,
            formats=args.format,
            recipient=args.recipient,
            purpose=args.purpose,
            overwrite=args.overwrite,
        )
    for f in result.files:
        print(f"Wrote {f.path} ({f.marking.label}, SHA-256 {f.sha256[:16]}…)")
    print(f"Audit chain head {result.anchor} is in the manifest.")
    return EXIT_OK


def _export_formats(text: str) -> tuple[str, ...]:
    """``pdf,docx,csv`` → the formats; an unknown one is a usage error (exit 2)."""
    from toexdesk.core.services.exports import FORMATS

    wanted = tuple(dict.fromkeys(f.strip().lower() for f in text.split(",") if f.strip()))
    unknown = [f for f in wanted if f not in FORMATS]
    if unknown or not wanted:
        raise argparse.ArgumentTypeError(
            f"unknown format {', '.join(unknown) or repr(text)} (choose from {','.join(FORMATS)})"
        )
    return wanted


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
        p.set_defaults(func=func, command_parser=p)
        return p

    p = command("init", cmd_init, "create a new, empty encrypted workspace")
    p.add_argument(
        "--analyst", help="analyst name recorded in the audit trail (default: your user name)"
    )
    p = command("info", cmd_info, "show what a workspace holds (counts, no content)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p = command("verify", cmd_verify, "check encryption HMACs, structure and the audit chain")
    p.add_argument(
        "--against",
        type=Path,
        metavar="FILE",
        help="instead, check that the audit trail still extends the head recorded in FILE "
        "(a backup, its .anchor.json, or an export manifest)",
    )
    p.add_argument(
        "--rebuild-index",
        action="store_true",
        help="first rebuild the full-text search index from the records (a repair; audited)",
    )
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

    p = command("report", cmd_report, "write a task's research summary (PDF and/or Word)")
    p.add_argument("task", metavar="TASK_REF", help="task reference, e.g. TX-2026-0042")
    p.add_argument("--pdf", type=Path, metavar="FILE", help="write the summary as PDF")
    p.add_argument("--docx", type=Path, metavar="FILE", help="write the summary as Word")
    _product_options(p)
    p.set_defaults(needs_output=True)

    p = command("pack", cmd_pack, "write a briefing pack of several tasks' summaries (PDF)")
    p.add_argument("tasks", nargs="+", metavar="TASK_REF", help="task references, in order")
    p.add_argument("--pdf", type=Path, metavar="FILE", required=True, help="the PDF to write")
    p.add_argument("--title", required=True, help="the pack's title, printed on its cover")
    _product_options(p)

    p = command("export", cmd_export, "export a task's products to a folder, with a manifest")
    p.add_argument("task", metavar="TASK_REF", help="task reference, e.g. TX-2026-0042")
    p.add_argument("--to", type=Path, required=True, metavar="DIR", help="the folder to write to")
    p.add_argument(
        "--format",
        type=_export_formats,
        required=True,
        metavar="LIST",
        help="comma-separated: pdf,docx,csv,xlsx,i2 (a SHA-256 manifest is always added)",
    )
    _product_options(p)

    p = command("backup", cmd_backup, "make an encrypted, checked backup (same passphrase)")
    p.add_argument(
        "dest", type=Path, metavar="DEST", help="a folder (default name) or a new .toex file"
    )
    p.add_argument(
        "--keep",
        type=_keep_count,
        metavar="N",
        help="then keep only the newest N backups of this workspace in that folder",
    )
    p.add_argument("--progress", action="store_true", help="show progress on stderr")
    p = command("restore", cmd_restore, "replace the workspace by a backup (kept aside first)")
    p.add_argument("backup", type=Path, metavar="BACKUP", help="the backup file (*.toex)")
    p.add_argument(
        "--other-workspace",
        action="store_true",
        help="allow a backup of another workspace (or when WS cannot be read)",
    )
    p.add_argument("--progress", action="store_true", help="show progress on stderr")
    cli_capture.register(command)
    cli_review.register(command)
    cli_bundle.register(command)
    return parser


def _product_options(p: argparse.ArgumentParser) -> None:
    """A product leaves the workspace: who gets it and why go into the audit trail."""
    p.add_argument("--recipient", required=True, help="who receives it (audited)")
    p.add_argument("--purpose", required=True, help="why it is disclosed (audited)")
    p.add_argument("--overwrite", action="store_true", help="replace existing output files")


def _check_usage(args: argparse.Namespace) -> None:
    """What argparse cannot say by itself (exit 2 with the command's usage, like its own
    usage errors)."""
    parser = args.command_parser
    for name in ("recipient", "purpose", "title"):
        if getattr(args, name, None) is not None and not getattr(args, name).strip():
            parser.error(f"--{name} must not be blank")
    if getattr(args, "needs_output", False) and args.pdf is None and args.docx is None:
        parser.error("say what to write: --pdf FILE, --docx FILE or both")


def main(argv: Sequence[str] | None = None) -> int:
    from toexdesk import config

    parser = build_parser()
    args = parser.parse_args(argv)
    _check_usage(args)
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
