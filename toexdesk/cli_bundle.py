"""Exchange bundles on the command line (over the same services as the window):

    toexdesk bundle WS REF... --out F [--recipient R] [--purpose P] [--overwrite]
    toexdesk import-bundle WS F [--dry-run] [--prefer mine|theirs]

The bundle passphrase comes from a terminal prompt (twice when making a bundle) or the
TOEX_BUNDLE_PASSPHRASE environment variable, never from an argument (arguments show in
process lists and shell history). ``import-bundle`` prints what the bundle would change,
then what it changed; records changed on both sides stop it (exit 1, listed on stdout)
unless ``--prefer`` says how to resolve them all. ``cli.build_parser`` calls
:func:`register` with its ``command`` helper."""

from __future__ import annotations

import argparse
import getpass
import os
from pathlib import Path

COMMANDS = ("bundle", "import-bundle")
ENV_BUNDLE_PASSPHRASE = "TOEX_BUNDLE_PASSPHRASE"  # noqa: S105 (a variable name)


def _cli():
    from toexdesk import cli  # imported late: cli imports this module

    return cli


def read_bundle_passphrase(*, new: bool) -> str:
    value = os.environ.get(ENV_BUNDLE_PASSPHRASE)
    if value:
        return value
    cli = _cli()
    if not cli._interactive():
        raise cli.UserError(
            f"No bundle passphrase: set {ENV_BUNDLE_PASSPHRASE} or run the command in a terminal."
        )
    first = getpass.getpass("Bundle passphrase: ")
    if new and getpass.getpass("Repeat the bundle passphrase: ") != first:
        raise cli.UserError("The two bundle passphrases differ; nothing was written.")
    return first


def cmd_bundle(args: argparse.Namespace) -> int:
    from toexdesk.core.services import bundles, tasks

    cli = _cli()
    progress = cli._progress_printer() if args.progress else None
    with cli._open(args.workspace) as ws:
        ids = list(dict.fromkeys(tasks.find_task_id(ws, ref) for ref in args.tasks))
        result = bundles.write_bundle(
            ws,
            ids,
            args.out,
            read_bundle_passphrase(new=True),
            recipient=args.recipient or "",
            purpose=args.purpose or "",
            overwrite=args.overwrite,
            progress=progress,
        )
    refs = ", ".join(result.task_references)
    print(
        f"Wrote {result.path} ({refs}; {result.size / 1024:,.0f} KiB, SHA-256 "
        f"{result.sha256[:16]}…)."
    )
    counts = ", ".join(_counted(n, what.replace("_", " ")) for what, n in result.counts.items())
    print(f"It holds {counts}.")
    print(f"Audit chain head {result.anchor[:24]}… is in the bundle; the hand-off is logged.")
    return cli.EXIT_OK


def cmd_import_bundle(args: argparse.Namespace) -> int:
    from toexdesk.core.services import bundles

    cli = _cli()
    progress = cli._progress_printer() if args.progress else None
    with cli._open(args.workspace, read_only=args.dry_run) as ws:
        passphrase = read_bundle_passphrase(new=False)
        preview = bundles.preview_bundle(ws, args.bundle, passphrase)
        for line in preview.summary_lines():
            print(line)
        if args.dry_run:
            print("Dry run: nothing was imported.")
            return cli.EXIT_OK
        conflicts = preview.conflicts
        if conflicts and args.prefer is None:
            n = len(conflicts)
            raise cli.UserError(
                f"{n} record{'s' if n != 1 else ''} changed both here and in the bundle "
                "(listed above); nothing was imported. Choose with --prefer mine or "
                "--prefer theirs."
            )
        resolutions = {item.uid: args.prefer for item in conflicts}
        report = bundles.import_bundle(ws, args.bundle, passphrase, resolutions, progress=progress)
    print()
    for line in report.summary_lines():
        print(line)
    return cli.EXIT_OK


def register(command) -> None:
    """Add the bundle commands to the parser through cli's ``command`` helper."""
    p = command(
        "bundle",
        cmd_bundle,
        "write tasks, with everything of theirs, into an encrypted exchange bundle (.toexb) "
        f"for another workspace (bundle passphrase from a prompt or {ENV_BUNDLE_PASSPHRASE})",
    )
    p.add_argument("tasks", nargs="+", metavar="REF", help="task references, e.g. TX-2026-0042")
    p.add_argument(
        "--out", type=Path, required=True, metavar="F", help="the bundle file to write (*.toexb)"
    )
    p.add_argument("--recipient", help="who receives it (audited)")
    p.add_argument("--purpose", help="why it is handed over (audited)")
    p.add_argument("--overwrite", action="store_true", help="replace F if it exists")
    p.add_argument("--progress", action="store_true", help="show progress on stderr")

    p = command(
        "import-bundle",
        cmd_import_bundle,
        "show what an exchange bundle holds and merge it into the workspace",
    )
    p.add_argument("bundle", type=Path, metavar="F", help="the bundle file (*.toexb)")
    p.add_argument(
        "--dry-run", action="store_true", help="only show what would be imported; change nothing"
    )
    p.add_argument(
        "--prefer",
        choices=("mine", "theirs"),
        help="resolve every record changed on both sides by keeping yours or taking theirs",
    )
    p.add_argument("--progress", action="store_true", help="show progress on stderr")


def _counted(n: int, plural: str) -> str:
    """``1 task``, ``2 tasks``, ``1 research log entry``, ``1 entity``."""
    if n != 1:
        return f"{n} {plural}"
    for many, one in (("ies", "y"), ("s", "")):
        if plural.endswith(many):
            return f"1 {plural[: -len(many)]}{one}"
    return f"1 {plural}"
