"""Review and retention, the research log and the unused-material schedule on the command
line (over the same services as the window):

    toexdesk review WS [--due] [--on DATE] [--json]
    toexdesk erase WS REF --reason R                 REF: TX-2026-0042 or TX-2026-0042/S3
    toexdesk log WS TASK_REF                         print the task's research log
    toexdesk log WS TASK_REF --check SYSTEM --detail D (--nil | --found) [--reason NOTES]
    toexdesk log WS TASK_REF --decision D --reason R
    toexdesk schedule WS TASK_REF --to DIR [--format xlsx,pdf] --recipient R --purpose P

``cli.build_parser`` calls :func:`register` with its ``command`` helper. Errors a person can
act on exit 1 with one line on stderr, as every command does."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

COMMANDS = ("review", "erase", "log", "schedule")


def _cli():
    from toexdesk import cli  # imported late: cli imports this module

    return cli


def _when(value: dt.datetime) -> str:
    return f"{value.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC"


def one_line(text: str) -> str:
    """Text on one line (line breaks and runs of spaces as one space), for printing."""
    return " ".join(str(text).split())


# --- review --------------------------------------------------------------------------------
def cmd_review(args: argparse.Namespace) -> int:
    from toexdesk.core.services import review

    cli = _cli()
    on = args.on or dt.date.today()
    with cli._open(args.workspace, read_only=True) as ws:
        if args.due:
            items = review.due_for_review(ws, on)
        else:
            items = review.review_items(ws, include_undated=True)
    if args.json:
        rows = [
            {
                "kind": i.kind,
                "reference": i.reference,
                "title": i.title,
                "thematic": i.thematic.value,
                "marking": i.marking.value,
                "review_on": i.review_on.isoformat() if i.review_on else None,
                "days_overdue": max(i.days_overdue(on), 0) if i.review_on else None,
                "archived": i.archived,
            }
            for i in items
        ]
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return cli.EXIT_OK
    if not items:
        print(f"Nothing is due for review on {on.isoformat()}." if args.due else "No records.")
        return cli.EXIT_OK
    width = max(len(i.reference) for i in items)
    for i in items:
        if i.review_on is None:
            state = "no review date"
        elif i.review_on < on:
            state = f"{i.review_on.isoformat()} overdue by {i.days_overdue(on)} days"
        elif i.review_on == on:
            state = f"{i.review_on.isoformat()} due today"
        else:
            state = i.review_on.isoformat()
        archived = " (archived)" if i.archived else ""
        print(f"{i.reference:<{width}}  {state:<30}  {one_line(i.title)}{archived}")
    if args.due:
        print(f"{len(items)} due for review on or before {on.isoformat()}.")
    return cli.EXIT_OK


def cmd_erase(args: argparse.Namespace) -> int:
    from toexdesk.core.services import review

    cli = _cli()
    if not args.reason.strip():
        raise cli.UserError("Say why it is being erased: --reason must not be blank.")
    with cli._open(args.workspace) as ws:
        kind, record_id = review.resolve_ref(ws, args.ref)
        plan = review.erasure_plan(ws, kind, record_id)
        review.erase(ws, kind, record_id, args.reason)
    print(f"Erased {plan.describe()}. The audit trail records the erasure (no content).")
    return cli.EXIT_OK


# --- research log --------------------------------------------------------------------------
def _print_log(entries) -> None:
    if not entries:
        print("The research log is empty.")
        return
    for e in entries:
        outcome = f" — {e.outcome.label}" if e.outcome is not None else ""
        head = f"{_when(e.at)}  {e.kind.label}{' (automatic)' if e.automatic else ''}"
        what = f"{e.system}: {e.detail}" if e.system else e.detail
        print(f"{head}  {one_line(what)}{outcome}")
        if e.reason:
            print(
                f"    {'Reason' if e.kind.value == 'decision' else 'Notes'}: {one_line(e.reason)}"
            )
        print(f"    by {e.analyst}")


def cmd_log(args: argparse.Namespace) -> int:
    from toexdesk.core.enums import CheckOutcome
    from toexdesk.core.services import research_log, tasks

    cli = _cli()
    checking, deciding = args.check is not None, args.decision is not None
    if checking and deciding:
        raise cli.UserError("Add a check or a decision, not both at once.")
    if checking and (args.detail is None or args.outcome is None):
        raise cli.UserError("A check needs --detail (what was searched) and --nil or --found.")
    if not checking and (args.detail is not None or args.outcome is not None):
        raise cli.UserError("--detail, --nil and --found go with --check SYSTEM.")
    if deciding and not (args.reason or "").strip():
        raise cli.UserError("A decision needs its reason: --reason must not be blank.")
    if not (checking or deciding) and args.reason is not None:
        raise cli.UserError("--reason goes with --check or --decision.")
    # Reading the log is a consultation, recorded like any other: the workspace is opened
    # for writing either way.
    with cli._open(args.workspace) as ws:
        task_id = tasks.find_task_id(ws, args.task)
        if checking:
            outcome = CheckOutcome.NIL_RETURN if args.outcome == "nil" else CheckOutcome.FOUND
            entry = research_log.log_check(
                ws, task_id, args.check, args.detail, outcome, args.reason or ""
            )
            print(f"Logged for {args.task.strip().upper()}: {one_line(entry.summary)}")
        elif deciding:
            research_log.log_decision(ws, task_id, args.decision, args.reason)
            print(f"Logged for {args.task.strip().upper()}: the decision, with its reason.")
        else:
            entries = research_log.list_log(ws, task_id)
            if args.json:
                print(json.dumps([_entry_json(e) for e in entries], indent=2, ensure_ascii=False))
            else:
                _print_log(entries)
    return cli.EXIT_OK


def _entry_json(e) -> dict:
    return {
        "at": e.at.astimezone(dt.UTC).isoformat(),
        "analyst": e.analyst,
        "kind": e.kind.value,
        "system": e.system,
        "detail": e.detail,
        "outcome": e.outcome.value if e.outcome is not None else None,
        "reason": e.reason,
        "automatic": e.automatic,
    }


# --- schedule ------------------------------------------------------------------------------
def cmd_schedule(args: argparse.Namespace) -> int:
    from toexdesk.core.services import schedule, tasks

    cli = _cli()
    with cli._open(args.workspace) as ws:
        task_id = tasks.find_task_id(ws, args.task)
        result = schedule.export_schedule(
            ws,
            task_id,
            args.to,
            formats=args.format,
            recipient=args.recipient,
            purpose=args.purpose,
            overwrite=args.overwrite,
        )
    sched = result.schedule
    new = f", {len(sched.new_numbers)} newly numbered" if sched.new_numbers else ""
    for f in result.files:
        print(f"Wrote {f.path} ({f.marking.label}, SHA-256 {f.sha256[:16]}…)")
    print(f"{len(sched.rows)} items{new}. A draft for the disclosure officer.")
    return cli.EXIT_OK


def _formats(text: str) -> tuple[str, ...]:
    from toexdesk.core.services.schedule import FORMATS

    wanted = tuple(dict.fromkeys(f.strip().lower() for f in text.split(",") if f.strip()))
    unknown = [f for f in wanted if f not in FORMATS]
    if unknown or not wanted:
        raise argparse.ArgumentTypeError(
            f"unknown format {', '.join(unknown) or repr(text)} (choose from {','.join(FORMATS)})"
        )
    return wanted


def iso_date(text: str) -> dt.date:
    """An argparse type: ``YYYY-MM-DD``, else a usage error."""
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (use YYYY-MM-DD)") from None


# --- registration ----------------------------------------------------------------------------
def register(command: Callable[..., argparse.ArgumentParser]) -> None:
    """Add the commands to the parser through ``cli.build_parser``'s ``command`` helper."""
    p = command("review", cmd_review, "list tasks and sources with their review dates (MoPI)")
    p.add_argument("--due", action="store_true", help="only those due (or overdue) for review")
    p.add_argument(
        "--on", type=iso_date, metavar="DATE", help="with --due: due on this day (default: today)"
    )
    p.add_argument("--json", action="store_true", help="print JSON")

    p = command("erase", cmd_erase, "erase a task or a source for good, with the reason")
    p.add_argument("ref", metavar="REF", help="TX-2026-0042 (a task) or TX-2026-0042/S3")
    p.add_argument("--reason", required=True, help="why it is erased (audited)")

    p = command("log", cmd_log, "print a task's research log, or add a check or a decision")
    p.add_argument("task", metavar="TASK_REF", help="task reference, e.g. TX-2026-0042")
    p.add_argument("--check", metavar="SYSTEM", help="add a system check, e.g. PNC")
    p.add_argument("--detail", metavar="D", help="with --check: what was searched there")
    found = p.add_mutually_exclusive_group()
    found.add_argument(
        "--nil", dest="outcome", action="store_const", const="nil", help="the check found nothing"
    )
    found.add_argument(
        "--found", dest="outcome", action="store_const", const="found", help="it found material"
    )
    p.add_argument("--decision", metavar="D", help="add a decision (needs --reason)")
    p.add_argument("--reason", metavar="R", help="the decision's reason, or a check's notes")
    p.add_argument("--json", action="store_true", help="print the log as JSON")

    p = command("schedule", cmd_schedule, "write a task's draft unused-material schedule")
    p.add_argument("task", metavar="TASK_REF", help="task reference, e.g. TX-2026-0042")
    p.add_argument("--to", type=Path, required=True, metavar="DIR", help="the folder to write to")
    p.add_argument(
        "--format",
        type=_formats,
        default=("xlsx", "pdf"),
        metavar="LIST",
        help="comma-separated: xlsx,pdf (default: both)",
    )
    p.add_argument("--recipient", required=True, help="who receives it (audited)")
    p.add_argument("--purpose", required=True, help="why it is disclosed (audited)")
    p.add_argument("--overwrite", action="store_true", help="replace existing output files")
