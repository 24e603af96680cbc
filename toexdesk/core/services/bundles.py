"""Exchange bundles: hand one or more tasks to another workspace without a server, as one
encrypted file (``.toexb``) on a shared drive, under a passphrase of its own.

A bundle carries the tasks with their sources, findings and the links between them, tags,
the entities mentioned and their links, attachments with their bytes and extracted text,
research log entries, unused-material schedule items, and every audit event about those
records (this workspace's own, and those it received from others), as received events.
Records cross by their stable uid; local ids never do.

- ``write_bundle``: writes it atomically (temporary name, fsync, rename; never over a file
  without being asked), with a **disclosure** event per task, after the bytes are safe.
- ``preview_bundle``: checks and opens it and says what an import would do; touches nothing.
- ``import_bundle``: merges it in one transaction (all or nothing; a cancel rolls back),
  with **combination** events. Conflicts (changed on both sides) need a resolution each.

The container (encryption, KDF, MAC) is ``store.bundle_file``; what a record carries is
``_bundle_records``; the merge is ``_bundle_merge`` (plan) and ``_bundle_apply``."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlcipher3

from toexdesk.core.errors import ExportFailed, ToexError
from toexdesk.core.services import _common as c
from toexdesk.core.services import exports
from toexdesk.core.services._bundle_apply import apply
from toexdesk.core.services._bundle_body import BodyReader, read_content
from toexdesk.core.services._bundle_merge import CONFLICT, Plan, make_plan, resolve
from toexdesk.core.services._bundle_records import NOUNS, ORDER, Invalid
from toexdesk.core.services._bundle_write import build, record_disclosure
from toexdesk.core.store import bundle_file
from toexdesk.core.store.bundle_file import KdfParams
from toexdesk.core.store.engine import Workspace, session_scope

SUFFIX = bundle_file.SUFFIX
Progress = Callable[[int, int, str], None] | None
Cancel = Callable[[], bool] | None
ACTION_WORDS = {
    "new": "new",
    "update": "to update (changed there)",
    "unchanged": "unchanged",
    "keep": "kept as here (changed here)",
    "conflict": "in conflict (changed on both sides)",
    "skip": "not brought in",
}
REPORT_WORDS = {
    "new": "added",
    "update": "updated",
    "unchanged": "unchanged",
    "keep": "kept as here",
    "skip": "not brought in",
    "kept mine": "kept as here (your choice)",
    "took theirs": "updated from the bundle (your choice)",
}


class UnresolvedConflicts(ToexError):
    """Records changed on both sides need a choice each before anything is imported."""

    def __init__(self, conflicts: Sequence[PreviewItem]):
        self.conflicts = tuple(conflicts)
        n = len(self.conflicts)
        super().__init__(
            f"{n} record{'s' if n != 1 else ''} changed both here and in the bundle; choose "
            "for each whether to keep yours or take theirs. Nothing was imported."
        )


@dataclass(frozen=True)
class BundleResult:
    path: Path
    sha256: str
    size: int
    task_references: tuple[str, ...]
    counts: dict[str, int]
    anchor: str  # the audit chain head the bundle carries: ``#<seq> <sha256>``


@dataclass(frozen=True)
class PreviewItem:
    uid: str
    kind: str  # task, source, finding, entity, attachment, log
    label: str  # as a person recognises it (reference/number as it will be here)
    action: str  # new, update, unchanged, keep, conflict, skip
    note: str = ""  # e.g. "TX-2026-0003 is taken here: it becomes TX-2026-0012"
    differences: tuple[tuple[str, str, str], ...] = ()  # field, here, in the bundle


@dataclass(frozen=True)
class BundlePreview:
    path: Path
    sha256: str
    created_utc: str
    sender_workspace: str
    sender_analyst: str
    anchor: str
    items: tuple[PreviewItem, ...]

    @property
    def conflicts(self) -> tuple[PreviewItem, ...]:
        return tuple(i for i in self.items if i.action == CONFLICT)

    @property
    def notes(self) -> tuple[str, ...]:
        return tuple(f"{i.label}: {i.note}" for i in self.items if i.note)

    def counts(self) -> dict[str, Counter]:
        out: dict[str, Counter] = {kind: Counter() for kind in ORDER}
        for item in self.items:
            out[item.kind][item.action] += 1
        return {kind: counter for kind, counter in out.items() if counter}

    def summary_lines(self) -> list[str]:
        lines = [
            f"Bundle {self.path.name} made {_when(self.created_utc)} by {self.sender_analyst} "
            f"(workspace {self.sender_workspace[:12]}…, audit head {self.anchor[:20]}…)"
        ]
        for kind, counter in self.counts().items():
            parts = ", ".join(f"{n} {ACTION_WORDS[a]}" for a, n in sorted(counter.items()))
            lines.append(f"  {NOUNS[kind][1].capitalize()}: {parts}")
        lines += [f"  Note: {note}" for note in self.notes]
        for item in self.conflicts:
            fields = ", ".join(f for f, _, _ in item.differences)
            lines.append(f"  Conflict: {item.label} ({fields})")
        return lines


@dataclass(frozen=True)
class ImportedTask:
    uid: str
    reference: str  # here
    reference_in_bundle: str
    action: str
    counts: dict[str, int]


@dataclass(frozen=True)
class ImportReport:
    path: Path
    sha256: str
    sender_workspace: str
    changed: bool  # False: everything in the bundle was already here
    tasks: tuple[ImportedTask, ...]
    totals: dict[str, int]  # "source:new" → n, "finding:took theirs" → n, …
    events_received: int
    schedule_items_added: int
    notes: tuple[str, ...]

    def summary_lines(self) -> list[str]:
        if not self.changed:
            return ["Nothing to import: everything in the bundle is already here."]
        lines = []
        for task in self.tasks:
            was = (
                f" (was {task.reference_in_bundle} in the bundle)"
                if task.reference != task.reference_in_bundle
                else ""
            )
            lines.append(f"{task.reference}{was}: task {REPORT_WORDS[task.action]}")
        for kind in ORDER:
            parts = [
                f"{n} {REPORT_WORDS.get(key.split(':', 1)[1], key.split(':', 1)[1])}"
                for key, n in sorted(self.totals.items())
                if key.startswith(f"{kind}:") and n
            ]
            if parts:
                lines.append(f"  {NOUNS[kind][1].capitalize()}: {', '.join(parts)}")
        if self.schedule_items_added:
            lines.append(f"  Schedule items added: {self.schedule_items_added}")
        lines.append(f"  Audit events received: {self.events_received}")
        lines += [f"  Note: {note}" for note in self.notes]
        return lines


# --- writing ------------------------------------------------------------------------------
def write_bundle(
    ws: Workspace,
    task_ids: Iterable[int],
    out: Path | str,
    passphrase: str,
    *,
    recipient: str = "",
    purpose: str = "",
    overwrite: bool = False,
    progress: Progress = None,
    cancelled: Cancel = None,
    kdf: KdfParams | None = None,
) -> BundleResult:
    """Write these tasks and everything of theirs into an encrypted bundle at ``out``
    (``*.toexb``), recording a disclosure per task. ``kdf`` is for tests only."""
    ids = list(dict.fromkeys(task_ids))
    ck = c.Checker()
    recipient = ck.text("recipient", recipient, "Recipient", max_len=300, required=False)
    purpose = ck.text("purpose", purpose, "Purpose", max_len=2_000, required=False)
    if not ids:
        ck.fail("tasks", "Choose at least one task to put in the bundle.")
    ck.done()
    out = Path(out)
    if out.suffix.lower() != SUFFIX:
        raise ExportFailed(f"A bundle's file name ends in {SUFFIX}; {out.name!r} does not.")
    exports._check_target(out, overwrite)  # refused before the work, not after it
    ws.require_writable()
    bundle_file.check_bundle_passphrase(passphrase, ws)
    anchor, anchor_line = exports.audit_anchor(ws)
    with bundle_file.new_body(passphrase, kdf=kdf) as draft:
        assert draft.con is not None
        built = build(ws, ids, draft.con, anchor, anchor_line, progress, cancelled)

        def write(fh) -> None:
            if progress is not None:
                progress(built.steps, built.steps + 1, f"Writing {out.name}…")
            draft.write_to(fh, built.counts, cancelled)

        def disclose(sha256: str) -> None:
            record_disclosure(ws, built, out, sha256, recipient, purpose, anchor)

        digest = exports.write_atomically(out, write, overwrite=overwrite, before_publish=disclose)
    if progress is not None:
        progress(built.steps + 1, built.steps + 1, f"Wrote {out.name}")
    return BundleResult(
        out, digest, out.stat().st_size, tuple(built.refs.values()), built.counts, anchor
    )


# --- reading ------------------------------------------------------------------------------
def _damaged(path: Path, exc: Exception) -> bundle_file.BundleDamaged:
    why = str(exc) if isinstance(exc, Invalid) else "its tables are not a bundle's"
    return bundle_file.BundleDamaged(
        f"The content of {path.name} is not valid ({why}); nothing was imported."
    )


def _items(plan: Plan) -> tuple[PreviewItem, ...]:
    return tuple(
        PreviewItem(st.rec.uid, st.rec.kind, st.label, st.action, st.note, tuple(st.differences))
        for st in plan.steps
    )


def preview_bundle(
    ws: Workspace,
    path: Path | str,
    passphrase: str,
    *,
    progress: Progress = None,
    cancelled: Cancel = None,
) -> BundlePreview:
    """Check and open a bundle and say what importing it would do. Writes nothing (and
    records nothing) in the workspace."""
    path = Path(path)
    if progress is not None:
        progress(0, 0, f"Checking {path.name}…")
    with bundle_file.open_bundle(path, passphrase, cancelled=cancelled) as opened:
        try:
            content = read_content(opened.con)
            with session_scope(ws, write=False) as s:
                plan = make_plan(s, content)
                items = _items(plan)
        except (Invalid, sqlcipher3.DatabaseError) as exc:
            raise _damaged(path, exc) from None
        meta = content.meta
        return BundlePreview(
            path,
            opened.sha256,
            meta.get("created_utc", opened.header.created_utc),
            content.sender,
            meta.get("analyst", ""),
            meta.get("anchor", ""),
            items,
        )


def import_bundle(
    ws: Workspace,
    path: Path | str,
    passphrase: str,
    resolutions: dict[str, str] | None = None,
    *,
    progress: Progress = None,
    cancelled: Cancel = None,
) -> ImportReport:
    """Merge a bundle into the workspace in one transaction: all of it or, on any error or
    a cancel, nothing. ``resolutions`` maps the uid of each conflicting record to "mine"
    or "theirs"; with one missing, :class:`UnresolvedConflicts` and nothing is imported."""
    path = Path(path)
    ws.require_writable()
    if progress is not None:
        progress(0, 0, f"Checking {path.name}…")
    with bundle_file.open_bundle(path, passphrase, cancelled=cancelled) as opened:
        try:
            content = read_content(opened.con)
            with session_scope(ws) as s:
                plan = make_plan(s, content)
                unresolved = resolve(plan, resolutions or {})
                if unresolved:
                    items = {i.uid: i for i in _items(plan)}
                    raise UnresolvedConflicts([items[st.rec.uid] for st in unresolved])
                outcome = apply(
                    s,
                    ws,
                    plan,
                    content,
                    BodyReader(opened.con),
                    bundle_sha256=opened.sha256,
                    progress=progress,
                    cancelled=cancelled,
                )
                return _report(path, opened.sha256, content, plan, outcome)
        except (Invalid, sqlcipher3.DatabaseError) as exc:
            raise _damaged(path, exc) from None


def _report(path: Path, sha256: str, content, plan: Plan, outcome) -> ImportReport:
    tasks = tuple(
        ImportedTask(
            st.rec.uid,
            st.assign or st.task_ref or st.rec.label,
            st.rec.label,
            {"mine": "kept mine", "theirs": "took theirs"}.get(st.resolution, st.action),
            dict(outcome.per_task.get(st.rec.uid, {})),
        )
        for st in plan.steps
        if st.rec.kind == "task" and st.action != "skip"
    )
    notes = tuple(f"{st.label}: {st.note}" for st in plan.steps if st.note)
    return ImportReport(
        path,
        sha256,
        content.sender,
        outcome.changed,
        tasks,
        dict(outcome.totals),
        outcome.events_received,
        outcome.schedule_added,
        notes,
    )


def bundle_header(path: Path | str) -> dict[str, Any]:
    """What a bundle's plaintext header says (when made, KDF, counts); no passphrase."""
    return bundle_file.header_summary(bundle_file.read_header(path))


def _when(iso: str) -> str:
    """``2026-11-27T00:53:16+00:00`` → ``27 Nov 2026 00:53 UTC`` (as given if not a time)."""
    try:
        value = dt.datetime.fromisoformat(iso)
    except (TypeError, ValueError):
        return str(iso)
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC)
    return f"{value:%d %b %Y %H:%M} UTC"
