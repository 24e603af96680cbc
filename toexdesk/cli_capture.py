"""Capture and search on the command line, for scripting and tests (the same services as
the window):

    toexdesk capture WS SOURCE_REF FILE... [--obtained-from WHERE] [--obtained-at WHEN]
                                            [--exhibit REF]
    toexdesk search WS QUERY [--type KIND]... [--task TASK_REF] [--since DATE]
                             [--until DATE] [--grading 1,2/A,B/P] [--archived]
                             [--limit N] [--json]

``capture`` prints one line per file: ``stored``, ``duplicate`` or ``failed`` with the
reason; when any file failed it exits 1 with one line on stderr (the others are kept).
``search`` prints one line per hit, best first, the matched words in [brackets] (``--json``:
the hits with their highlight ranges). A search narrowed to one task is written to that
task's research log, as in the window."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from toexdesk.cli_review import iso_date, one_line
from toexdesk.core.errors import ToexError

COMMANDS = ("capture", "search")


def _cli():
    from toexdesk import cli  # imported late: cli imports this module

    return cli


# --- capture -------------------------------------------------------------------------------
def cmd_capture(args: argparse.Namespace) -> int:
    from toexdesk.core.services import capture, review

    cli = _cli()
    with cli._open(args.workspace) as ws:
        kind, source_id = review.resolve_ref(ws, args.source)
        if kind != "source":
            raise ToexError(f"{args.source} is a task: give a source, e.g. {args.source}/S1")
        results = capture.capture_files(
            ws,
            source_id,
            args.files,
            obtained_from=args.obtained_from,
            obtained_at=args.obtained_at,
            exhibit_ref=args.exhibit,
            progress=cli._progress_printer() if sys.stderr.isatty() else None,
        )
    failed = 0
    for result in results:
        if result.outcome.value == "captured":
            word = "stored"
            if result.linked:
                word = "stored (the same bytes were already in the workspace: shared)"
        elif result.outcome.value == "duplicate":
            word = "duplicate (already on this source: nothing changed)"
        else:
            word, failed = f"failed: {one_line(result.message)}", failed + 1
        note = f" [{one_line(result.note)}]" if result.note and result.ok else ""
        print(f"{result.path}\t{word}{note}")
    if failed:
        print(
            f"toexdesk: error: {failed} of {len(results)} file{'s' if len(results) > 1 else ''} "
            "could not be captured (see above); the rest were kept",
            file=sys.stderr,
        )
        return cli.EXIT_USER
    return cli.EXIT_OK


# --- search --------------------------------------------------------------------------------
def _grading(text: str):
    """``1,2/A,B/P`` (evaluation/assessment/handling, each optional) → a GradingFilter."""
    from toexdesk.core.store.search import GradingFilter

    parts = [p.strip() for p in text.split("/")]
    if len(parts) > 3 or not any(parts):
        raise argparse.ArgumentTypeError(
            f"{text!r}: give evaluation/assessment/handling codes, e.g. 1,2/A,B/P or 1 or /C"
        )
    parts += [""] * (3 - len(parts))

    def codes(part: str) -> tuple[str, ...]:
        return tuple(c.strip().upper() for c in part.split(",") if c.strip())

    return GradingFilter(codes(parts[0]), codes(parts[1]), codes(parts[2]))


def _marked(text: str, ranges) -> str:
    out, last = [], 0
    for start, end in ranges:
        out += [text[last:start], "[", text[start:end], "]"]
        last = end
    out.append(text[last:])
    return one_line("".join(out))


def cmd_search(args: argparse.Namespace) -> int:
    from toexdesk.core.services import research_log, review, search

    cli = _cli()
    with cli._open(args.workspace) as ws:
        task_id = None
        if args.task:
            kind, task_id = review.resolve_ref(ws, args.task)
            if kind != "task":
                raise ToexError(f"--task takes a task reference, not {args.task}")
        hits = search.search(
            ws,
            args.query,
            record_types=args.type or None,
            task_id=task_id,
            grading=args.grading,
            date_from=args.since,
            date_to=args.until,
            limit=args.limit,
            include_archived=args.archived,
        )
        if task_id is not None and args.query.strip():
            filters = ", ".join(
                f"{name} {value}"
                for name, value in (
                    ("types", ",".join(args.type or ())),
                    ("since", args.since),
                    ("until", args.until),
                    ("archived too", "yes" if args.archived else ""),
                )
                if value
            )
            research_log.log_search(ws, task_id, args.query, hits=len(hits), filters=filters)
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "type": h.record_type.value,
                        "label": h.label,
                        "title": h.title,
                        "task": h.task_reference,
                        "snippet": h.snippet,
                        "highlights": [list(r) for r in h.highlights],
                        "score": round(h.score, 4),
                        "archived": h.archived,
                    }
                    for h in hits
                ],
                ensure_ascii=False,
                indent=1,
            )
        )
        return cli.EXIT_OK
    for h in hits:
        archived = " (archived)" if h.archived else ""
        print(
            f"{h.record_type.label:<10} {h.label:<18} {_marked(h.title, h.title_highlights)}"
            f"{archived} — {_marked(h.snippet, h.highlights)}"
        )
    if not hits:
        print("No matches." if args.query.strip() else "Nothing to search for.")
    return cli.EXIT_OK


def register(command) -> None:
    """Add ``capture`` and ``search`` through ``cli.build_parser``'s ``command`` helper."""
    from toexdesk.core.store.search import RecordType

    p = command(
        "capture",
        cmd_capture,
        "capture files into a source, encrypted in the workspace (one line per file)",
    )
    p.add_argument("source", metavar="SOURCE_REF", help="the source, e.g. TX-2026-0042/S3")
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")
    p.add_argument("--obtained-from", default="", metavar="WHERE", help="URL or system ref")
    p.add_argument("--obtained-at", default=None, metavar="WHEN", help="date or date and time")
    p.add_argument("--exhibit", default="", metavar="REF", help="exhibit reference")
    p = command("search", cmd_search, "full-text search of the workspace, best matches first")
    p.add_argument("query", metavar="QUERY", help='words and "quoted phrases"')
    p.add_argument(
        "--type",
        action="append",
        choices=[t.value for t in RecordType],
        help="only this kind of record (repeatable)",
    )
    p.add_argument("--task", metavar="TASK_REF", help="only this task (logged in its research log)")
    p.add_argument("--since", type=iso_date, metavar="DATE", help="obtained or made on or after")
    p.add_argument("--until", type=iso_date, metavar="DATE", help="obtained or made on or before")
    p.add_argument("--grading", type=_grading, metavar="E/A/H", help="3x5x2 codes, e.g. 1,2/A/P")
    p.add_argument("--archived", action="store_true", help="include archived records")
    p.add_argument("--limit", type=int, default=50, metavar="N")
    p.add_argument("--json", action="store_true", help="print JSON")
