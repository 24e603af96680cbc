"""The process ``crash_trials.py`` kills: it carries out a plan of real service calls on a
workspace and keeps a journal of them on stdout.

    python tests/perf/crash_worker.py PLAN.json     (PYTHONPATH = the repository root)

Before each call it writes ``BEGIN <n> <kind> <key>`` and after the call has returned (its
transaction committed) ``DONE <n>`` (``DONE <n> <file>`` for a backup), each line flushed at
once, so everything the parent reads was true when it was written. A DONE line is the
"reported committed" of the crash-safety requirement. The plan (written by the parent) says
which passphrase is current at the start and what every operation does, so the parent knows
the unique key of each one, begun or not."""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

KINDS = ("task", "update", "link", "capture", "rekey", "backup")


def journal(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def run_op(ws, op: dict, plan: dict, extractor) -> str:
    """Carry out one operation; return what the DONE line adds (a backup's file name)."""
    from toexdesk.core.services import backups, capture, findings, sources, tasks, workspace

    kind = op["kind"]
    if kind == "task":
        tasks.create_task(
            ws,
            tasks.TaskDraft(
                op["title"], "DS Crash", "ocg", research_questions=op["questions"], tags=op["tags"]
            ),
        )
    elif kind == "update":
        sources.update_source(
            ws, op["source_id"], description=op["description"], tags=tuple(op["tags"])
        )
    elif kind == "link":
        findings.create_finding(
            ws,
            plan["task_id"],
            findings.FindingDraft(op["text"], op["phia"]),
            [(sid, rel) for sid, rel in op["links"]],
        )
    elif kind == "capture":
        result = capture.capture_file(
            ws, op["source_id"], op["path"], obtained_from="crash trial", extractor=extractor
        )
        if result.attachment is None:
            raise RuntimeError(f"capture failed: {result.message}")
    elif kind == "rekey":
        passphrases = plan["passphrases"]
        workspace.change_passphrase(ws, passphrases[op["old"]], passphrases[op["new"]])
    elif kind == "backup":
        return backups.backup_workspace(ws, plan["backup_dir"]).path.name
    else:
        raise ValueError(kind)
    return ""


def main(argv: list[str]) -> int:
    plan = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    from toexdesk.core.extract import Extractor
    from toexdesk.core.store.engine import open_workspace

    journal("OPEN")
    ws = open_workspace(plan["workspace"], plan["passphrases"][plan["start"]])
    journal("READY")
    # One extraction helper for the whole run, as a batch import would use.
    with Extractor(files_per_helper=100) as extractor:
        for op in plan["ops"]:
            journal(f"BEGIN {op['n']} {op['kind']} {op['key']}")
            extra = run_op(ws, op, plan, extractor)
            journal(f"DONE {op['n']}{' ' + extra if extra else ''}")
    ws.close()
    journal("END")
    return 0


if __name__ == "__main__":  # the extraction helper is spawned: it re-imports this module
    sys.exit(main(sys.argv[1:]))
