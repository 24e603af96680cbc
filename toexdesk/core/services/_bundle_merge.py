"""Merging a bundle into this workspace by uid, first as a plan: for each record, new,
changed there, the same, changed here, changed on both sides, or not brought in (and why).
Making the plan only reads; ``_bundle_apply`` carries it out.

For a record on both sides with different content, the exchange base (``ExchangeState``:
its hash when last sent or received) decides: mine is the base → take theirs; theirs is the
base → keep mine; neither → a conflict for the person to resolve. A record exchanged before
but gone from here was erased here: it is not brought back (retention decisions stand).
Research log entries are append-only and never change."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from toexdesk.core.errors import FieldError, ValidationError
from toexdesk.core.model import (
    Attachment,
    ExchangeState,
    ReferenceCounter,
    Task,
)
from toexdesk.core.services import _common as c
from toexdesk.core.services._bundle_records import (
    MODELS,
    NOUNS,
    ORDER,
    PARENT,
    REFERENCE,
    LocalReader,
    Rec,
    describe,
)

# What the import does with a record.
NEW, UPDATE, UNCHANGED, KEEP = "new", "update", "unchanged", "keep"
CONFLICT, SKIP = "conflict", "skip"
BATCH = 500


class Body(Protocol):
    """What the merge reads from the bundle besides its records (bundles.BodyReader)."""

    def blob_chunks(self, sha256: str) -> Iterator[bytes]: ...

    def text_segments(self, attachment_uid: str) -> Iterator[str]: ...


@dataclass
class Content:
    """A bundle's records and the rest, read and checked."""

    meta: dict[str, str]
    records: list[Rec]  # in ``ORDER``
    counters: dict[str, dict[str, int]]  # task uid → last source/finding/schedule numbers
    schedule: list[tuple[str, int, str, str]]  # task uid, number, kind, item uid
    events: list[dict[str, Any]]

    @property
    def sender(self) -> str:
        return self.meta.get("workspace_uid", "")


@dataclass
class Step:
    rec: Rec
    action: str
    task_ref: str = ""  # the reference of its task here (assigned if the task is new)
    note: str = ""
    local: Any = None
    assign: str = ""  # the reference or number a new record takes here
    differences: tuple[tuple[str, str, str], ...] = ()  # field, mine, theirs
    resolution: str = ""  # a conflict's: "mine" or "theirs"
    task_uid: str = ""

    @property
    def label(self) -> str:
        rec = self.rec
        if rec.kind in ("source", "finding") and self.assign:
            rec = Rec(rec.uid, rec.kind, rec.parent, self.assign, rec.data)
        return describe(rec, self.task_ref)

    @property
    def writes(self) -> bool:
        return self.action in (NEW, UPDATE) or (
            self.action == CONFLICT and self.resolution == "theirs"
        )


@dataclass
class Plan:
    steps: list[Step] = field(default_factory=list)
    by_uid: dict[str, Step] = field(default_factory=dict)
    bases: dict[str, ExchangeState] = field(default_factory=dict)
    ref_last: dict[int, int] = field(default_factory=dict)  # year → counter after import
    used: dict[tuple[str, str], set[int]] = field(default_factory=dict)
    last: dict[tuple[str, str], int] = field(default_factory=dict)
    assigned_refs: set[str] = field(default_factory=set)
    known: dict[str, Any] = field(default_factory=dict)  # parents here that did not travel

    @property
    def conflicts(self) -> list[Step]:
        return [st for st in self.steps if st.action == CONFLICT]


def _chunks(items: list, size: int = BATCH) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _short(value: Any, n: int = 80) -> str:
    text = " ".join(str("" if value is None else value).split())
    return text if len(text) <= n else text[: n - 1] + "…"


# --- the plan -----------------------------------------------------------------------------
def make_plan(s: Session, content: Content) -> Plan:
    """What importing ``content`` would do here; reads only."""
    plan = Plan()
    uids = [r.uid for r in content.records]
    for chunk in _chunks(uids):
        for st in s.scalars(select(ExchangeState).where(ExchangeState.uid.in_(chunk))):
            plan.bases[st.uid] = st
    found: dict[str, Any] = {}
    for kind in ORDER:
        model = MODELS[kind]
        wanted = [r.uid for r in content.records if r.kind == kind]
        for chunk in _chunks(wanted):
            for obj in s.scalars(select(model).where(model.uid.in_(chunk))):
                found[obj.uid] = obj
    reader = LocalReader(s)
    for rec in content.records:
        step = _step(s, plan, reader, rec, found.get(rec.uid))
        plan.steps.append(step)
        plan.by_uid[rec.uid] = step
    return plan


def _parent(s: Session, plan: Plan, rec: Rec) -> tuple[Step | None, Any, str]:
    """The parent's step (if it travels), its object here (if any) and a reason to skip."""
    pstep = plan.by_uid.get(rec.parent)
    noun = NOUNS[PARENT[rec.kind]][0]
    if pstep is not None:
        if pstep.action == SKIP:
            return None, None, f"its {noun} is not brought in"
        return pstep, pstep.local, ""
    model = MODELS[PARENT[rec.kind]]
    obj = s.scalar(select(model).where(model.uid == rec.parent))
    if obj is None:
        return None, None, f"its {noun} is neither in the bundle nor here"
    plan.known[obj.uid] = obj
    return None, obj, ""


def _step(s: Session, plan: Plan, reader: LocalReader, rec: Rec, local: Any) -> Step:
    step = Step(rec, NEW, local=local, task_uid=rec.uid if rec.kind == "task" else "")
    if rec.kind in PARENT:
        pstep, pobj, why = _parent(s, plan, rec)
        if why:
            step.action, step.note = SKIP, why
            return step
        if pstep is not None:
            step.task_ref, step.task_uid = pstep.task_ref, pstep.task_uid
        elif rec.kind == "attachment":
            step.task_ref, step.task_uid = pobj.task.reference, pobj.task.uid
        else:
            step.task_ref, step.task_uid = pobj.reference, pobj.uid
    if local is None:
        if rec.uid in plan.bases:
            step.action, step.note = SKIP, "erased here since it was exchanged: not brought back"
            return step
        _assign(s, plan, step)
        return step
    if rec.kind == "task":
        step.task_ref = local.reference
    mine = reader.rec(rec.kind, local)
    if mine.parent != rec.parent:
        step.action, step.note = KEEP, "it belongs to another record here: left as it is"
        return step
    if mine.hash == rec.hash:
        step.action = UNCHANGED
        return step
    step.differences = tuple(
        (name.replace("_", " "), _short(mine.data.get(name)), _short(rec.data.get(name)))
        for name in rec.data
        if mine.data.get(name) != rec.data.get(name)
    )
    base = plan.bases[rec.uid].content_hash if rec.uid in plan.bases else None
    if rec.kind == "log":
        step.action, step.note = KEEP, "research log entries never change"
    elif base == mine.hash:
        step.action = UPDATE
    elif base == rec.hash:
        step.action, step.note = KEEP, "changed here since it was exchanged: yours is kept"
    else:
        step.action = CONFLICT
    return step


def _assign(s: Session, plan: Plan, step: Step) -> None:
    """Give a new task its reference, a new source or finding its number (theirs if free
    here), and skip a file the same source here already holds."""
    rec = step.rec
    if rec.kind == "task":
        step.assign = _reference(s, plan, rec.label)
        step.task_ref = step.assign
        if step.assign != rec.label:
            step.note = f"{rec.label} is taken here: it becomes {step.assign}"
    elif rec.kind in ("source", "finding"):
        n = _number(s, plan, step, rec.kind, int(rec.label))
        step.assign = str(n)
        if n != int(rec.label):
            letter = "S" if rec.kind == "source" else "F"
            step.note = f"{letter}{rec.label} is taken in {step.task_ref}: it becomes {letter}{n}"
    elif rec.kind == "attachment":
        pstep = plan.by_uid.get(rec.parent)
        source = pstep.local if pstep is not None else plan.known.get(rec.parent)
        if source is not None and s.scalar(
            select(Attachment.id).where(
                Attachment.source_id == source.id, Attachment.sha256 == rec.data["sha256"]
            )
        ):
            step.action, step.note = SKIP, "the same file is already on this source here"


def _counter(s: Session, plan: Plan, year: int) -> int:
    if year not in plan.ref_last:
        counter = s.get(ReferenceCounter, year)
        plan.ref_last[year] = counter.last if counter is not None else 0
    return plan.ref_last[year]


def _reference_taken(s: Session, plan: Plan, ref: str) -> bool:
    return ref in plan.assigned_refs or bool(s.scalar(select(Task.id).where(Task.reference == ref)))


def _reference(s: Session, plan: Plan, wanted: str) -> str:
    if not _reference_taken(s, plan, wanted):
        matched = REFERENCE.fullmatch(wanted)
        assert matched is not None  # checked when read
        year, n = int(matched[1]), int(matched[2])
        plan.ref_last[year] = max(_counter(s, plan, year), n)
        plan.assigned_refs.add(wanted)
        return wanted
    year = c.today().year
    n = _counter(s, plan, year)
    while True:
        n += 1
        if n > 9999:
            raise ValidationError(FieldError("reference", f"No task references left for {year}."))
        ref = f"TX-{year}-{n:04d}"
        if not _reference_taken(s, plan, ref):
            break
    plan.ref_last[year] = n
    plan.assigned_refs.add(ref)
    return ref


def _number(s: Session, plan: Plan, step: Step, kind: str, wanted: int) -> int:
    key = (step.task_uid, kind)
    if key not in plan.used:
        task_step = plan.by_uid.get(step.task_uid)
        task = task_step.local if task_step is not None else None
        if task is None and task_step is None:
            task = s.scalar(select(Task).where(Task.uid == step.task_uid))
        model = MODELS[kind]
        if task is not None:
            plan.used[key] = set(s.scalars(select(model.number).where(model.task_id == task.id)))
            plan.last[key] = getattr(task, f"last_{kind}_number")
        else:
            plan.used[key], plan.last[key] = set(), 0
    used = plan.used[key]
    n = wanted if wanted not in used else max(plan.last[key], max(used, default=0)) + 1
    used.add(n)
    plan.last[key] = max(plan.last[key], n)
    return n


def resolve(plan: Plan, resolutions: dict[str, str]) -> list[Step]:
    """Apply the person's choices to the conflicts; returns those still unresolved."""
    open_ = []
    for step in plan.conflicts:
        choice = resolutions.get(step.rec.uid, "")
        if choice in ("mine", "theirs"):
            step.resolution = choice
        else:
            open_.append(step)
    return open_
