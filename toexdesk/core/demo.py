"""A seeded, reproducible workspace of fictional research, for demos, screenshots, tests and
benchmarks.

Everything is written through the services, as a researcher would write it, so numbering,
validation and the audit trail are the real ones. The same seed gives the same content
(titles, texts, gradings, names) in the same order in a fresh workspace; only dates move,
because they are set relative to today so that some tasks are always overdue or due soon.
All names, places, numbers and organisations are invented (see ``demo_data``).
"""

from __future__ import annotations

import datetime as dt
import random
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from toexdesk.core import demo_data as data
from toexdesk.core.enums import (
    STATUS_TRANSITIONS,
    EntityKind,
    HandlingCode,
    IntelligenceAssessment,
    LinkRelation,
    Marking,
    Priority,
    SourceEvaluation,
    SourceType,
    TaskStatus,
    Thematic,
)
from toexdesk.core.errors import Cancelled, FieldError, ValidationError
from toexdesk.core.services import entities as entity_svc
from toexdesk.core.services import findings as finding_svc
from toexdesk.core.services import sources as source_svc
from toexdesk.core.services import tasks as task_svc
from toexdesk.core.services.entities import EntityDraft, EntityInfo
from toexdesk.core.store.engine import Workspace

# Public on purpose: the demo workspace holds only fiction.
DEMO_PASSPHRASE = "toex-demo-passphrase"  # noqa: S105
DEMO_ANALYST = "Demo Analyst"
JUSTIFICATION = "Demo data (fictional)"
# Every mention is its own transaction; a cap keeps large builds fast and entity lists sane.
MAX_MENTIONS_PER_ENTITY = 25

Progress = Callable[[int, int, str], None]
K = EntityKind
OS, OFFICIAL = Marking.OFFICIAL_SENSITIVE, Marking.OFFICIAL


class DemoCancelled(Cancelled):
    """The demo build was stopped; what was written before that stays in the workspace."""


@dataclass(frozen=True)
class DemoStats:
    """What a build wrote: records, citations (finding → source links) and mentions."""

    tasks: int = 0
    sources: int = 0
    findings: int = 0
    entities: int = 0
    citations: int = 0
    mentions: int = 0


@dataclass
class _Plan:
    thematic: Thematic
    status: TaskStatus
    priority: Priority
    marking: Marking
    due: dt.date
    n_sources: int = 0
    n_findings: int = 0
    source_types: list[SourceType] = field(default_factory=list)


def _spread(rng: random.Random, weights: dict, n: int) -> list:
    """``n`` picks that hold every member at least once when ``n`` allows, the rest by weight."""
    members = rng.sample(list(weights), len(weights))
    rest = rng.choices(list(weights), weights=list(weights.values()), k=max(0, n - len(members)))
    picks = members[:n] + rest
    rng.shuffle(picks)
    return picks


def _split(rng: random.Random, total: int, weights: list[float]) -> list[int]:
    """Share ``total`` out by weight; everyone gets one first when there are enough."""
    if not weights:
        return []
    counts = [1 if total >= len(weights) else 0 for _ in weights]
    for i in rng.choices(range(len(weights)), weights=weights, k=total - sum(counts)):
        counts[i] += 1
    return counts


def _quota(total: int, shares: dict) -> dict:
    """Largest-remainder shares, at least one each when ``total`` allows (no randomness)."""
    base = 1 if total >= len(shares) else 0
    rest, whole = total - base * len(shares), sum(shares.values())
    exact = {key: rest * share / whole for key, share in shares.items()}
    out = {key: base + int(value) for key, value in exact.items()}
    by_remainder = sorted(shares, key=lambda key: exact[key] - int(exact[key]), reverse=True)
    for key in by_remainder[: total - sum(out.values())]:
        out[key] += 1
    return out


def _path(start: TaskStatus, goal: TaskStatus) -> list[TaskStatus]:
    """The shortest walk of legal status changes from ``start`` to ``goal``."""
    paths, queue = {start: []}, deque([start])
    while queue:
        here = queue.popleft()
        for step in sorted(STATUS_TRANSITIONS[here], key=list(TaskStatus).index):
            if step not in paths:
                paths[step] = [*paths[here], step]
                queue.append(step)
    return paths[goal]


def _entity_drafts(rng: random.Random, n: int) -> list[EntityDraft]:
    quota = _quota(n, data.KIND_SHARES)
    groups = rng.sample(data.PEOPLE, len(data.PEOPLE))  # the first people cover every script
    phones = rng.sample(range(1000), min(1000, quota[K.PHONE]))

    def make(kind: EntityKind, i: int) -> tuple[str, str]:
        town = rng.choice(data.TOWNS)
        if kind is K.PERSON:
            givens, families, family_first = groups[i] if i < len(groups) else rng.choice(groups)
            given, gender = rng.choice(givens)
            forms = rng.choice(families)
            family = forms[-1] if gender == "f" else forms[0]
            name = f"{family} {given}" if family_first else f"{given} {family}"
            age, alias = rng.choice(data.AGES), rng.choice(data.ALIASES)
            return name, f"Age: {age} (not confirmed). Known as '{alias}'."
        if kind is K.ORGANISATION:
            business = rng.choice(data.BUSINESSES)
            name = business.format(town=town, surname=rng.choice(data.PLAIN_SURNAMES))
            return name, "Trading business; directors and accounts not yet researched."
        if kind is K.LOCATION:
            if i % 3 != 2:  # two in three are homes
                flat, number = rng.randint(1, 12), rng.randint(2, 140)
                street = rng.choice(data.STREETS)
                return f"Flat {flat}, {number} {street}, {town}", "Residential address."
            return rng.choice(data.PLACES).format(town=town), "Public place."
        if kind is K.PHONE:
            contract = rng.choice(("Pay-as-you-go; no subscriber details", "Contract phone"))
            return f"07700 900{phones[i % len(phones)]:03d}", f"{contract}."
        if kind is K.VEHICLE:
            letters = "ABCDEFGHJKLMNOPRSTUVWXY"  # Z first: never issued in the GB format
            age = rng.choice([f"{y:02d}" for y in (*range(10, 25), *range(60, 75))])
            tail = "".join(rng.choices(letters, k=3))
            colour = rng.choice(data.VEHICLES).capitalize()
            return f"Z{rng.choice(letters)}{age} {tail}", f"{colour}; keeper not confirmed."
        handle = rng.choice(data.HANDLE_STARTS) + rng.choice(data.HANDLE_ENDS)
        if rng.random() < 0.3:
            return f"{handle}{rng.randint(10, 99)}@example.com", "E-mail address on adverts."
        platform = rng.choice(data.PLATFORMS)
        return f"@{handle} ({platform})", f"Public profile on {platform}."

    drafts, seen = [], set()
    for kind, count in quota.items():
        for i in range(count):
            for _ in range(20):  # a repeated name is rare; a few tries avoid it
                name, notes = make(kind, i)
                if name not in seen:
                    break
            seen.add(name)
            marking = OS if kind is K.PERSON and rng.random() < 0.15 else OFFICIAL
            drafts.append(EntityDraft(kind, name, notes, marking))
    return drafts


def _plan(rng: random.Random, today: dt.date, n: int, n_src: int, n_fnd: int) -> list[_Plan]:
    thematics = _spread(rng, data.THEMATIC_WEIGHTS, n)
    statuses = _spread(rng, data.STATUS_WEIGHTS, n)
    priorities = _spread(rng, data.PRIORITY_WEIGHTS, n)
    sensitive = set(rng.sample(range(n), max(1, round(n / 4)))) if n >= 2 else set()
    plans, open_seen, due_offset = [], 0, rng.randrange(3)
    for i, status in enumerate(statuses):
        if status.is_open:  # cycle overdue / due soon / later, so each shows up
            kind, open_seen = (due_offset + open_seen) % 3, open_seen + 1
            days = (-rng.randint(1, 14), rng.randint(0, 3), rng.randint(7, 60))[kind]
        else:
            days = -rng.randint(2, 60) if status is TaskStatus.COMPLETED else rng.randint(-30, 30)
        due = today + dt.timedelta(days=days)
        marking = OS if i in sensitive else OFFICIAL
        plans.append(_Plan(thematics[i], status, priorities[i], marking, due))
    weights = [data.WORK_DONE[p.status] * rng.uniform(0.6, 1.4) for p in plans]
    types = iter(_spread(rng, data.TYPE_WEIGHTS, n_src))
    for plan, count in zip(plans, _split(rng, n_src, weights), strict=True):
        plan.n_sources = count
        plan.source_types = [next(types) for _ in range(count)]
    # Findings go to tasks with sources, and to new tasks only if no other task has any.
    eligible = [p for p in plans if p.n_sources and p.status is not TaskStatus.NEW]
    eligible = eligible or [p for p in plans if p.n_sources]
    weights = [p.n_sources * data.WORK_DONE[p.status] for p in eligible]
    for plan, count in zip(eligible, _split(rng, n_fnd, weights), strict=True):
        plan.n_findings = count
    return plans


class _Writer:
    """Writes one task after another, each with its sources, findings and mentions."""

    def __init__(self, ws: Workspace, rng: random.Random, today: dt.date, pool: list[EntityInfo]):
        self.ws, self.rng, self.today = ws, rng, today
        homes = [e for e in pool if e.kind is K.LOCATION and e.name.startswith("Flat ")]
        self.pool = {
            "person": [e for e in pool if e.kind is K.PERSON],
            "org": [e for e in pool if e.kind is K.ORGANISATION],
            "address": homes,
            "place": [e for e in pool if e.kind is K.LOCATION and e not in homes] or homes,
            "phone": [e for e in pool if e.kind is K.PHONE],
            "vehicle": [e for e in pool if e.kind is K.VEHICLE],
            "account": [e for e in pool if e.kind is K.ONLINE_ACCOUNT],
        }
        self.mentioned = dict.fromkeys((e.id for e in pool), 0)
        self.citations = self.mentions = 0
        self.cross_marking_shown = False
        self.story: dict = {}
        self.cast: dict[str, list[EntityInfo]] = {}
        self.decks: dict[object, list] = {}

    def _deal(self, key: object, options: tuple):
        """Templates are dealt like cards, so a task repeats one only when it has run out."""
        if not self.decks.get(key):
            self.decks[key] = self.rng.sample(options, len(options))
        return self.decks[key].pop()

    def _fields(self) -> dict:
        rng, cast = self.rng, self.cast
        fields = {k: data.UNNAMED[k].format_map(self.story) for k in data.UNNAMED}
        fields |= {k: rng.choice(cast[k]).name for k in cast if cast[k]}
        people = rng.sample(cast["person"], min(2, len(cast["person"])))
        fields |= {k: e.name for k, e in zip(("person", "person2"), people, strict=False)}
        return {
            **self.story,
            **fields,
            "n": rng.randint(2, 14),
            "n2": rng.randint(2, 5),
            "amount": f"{rng.choice(data.AMOUNTS):,}",
            "month": (self.today - dt.timedelta(days=rng.randint(20, 200))).strftime("%B"),
            "d5": f"{rng.randrange(100_000):05d}",
        }

    def _text(self, template: str) -> tuple[str, list[EntityInfo]]:
        """Fill a template; also say which of the task's entities the text names."""
        text = template.format_map(self._fields())
        named = list({e.id: e for es in self.cast.values() for e in es if e.name in text}.values())
        if not any(text.startswith(e.name) for e in self.cast["account"]):
            text = text[0].upper() + text[1:]  # "the lay-by…", "an unidentified male…"
        return text, named

    def _mention(self, named: list[EntityInfo], **target: int) -> None:
        for e in named:
            if self.mentioned[e.id] < MAX_MENTIONS_PER_ENTITY:
                entity_svc.mention(self.ws, e.id, justification=JUSTIFICATION, **target)
                self.mentioned[e.id] += 1
                self.mentions += 1

    def task(self, plan: _Plan) -> task_svc.TaskInfo:
        rng, theme = self.rng, plan.thematic
        town, town2 = rng.sample(data.TOWNS, 2)
        self.story = {
            "town": town,
            "town2": town2,
            "slug": town.lower().replace(" ", "-"),
            "line": rng.choice(data.LINES),
            "alias": rng.choice(data.ALIASES),
            "operation": rng.choice(data.OPERATIONS),
            "platform": rng.choice(data.PLATFORMS),
            "year": self.today.year,
        }
        sizes = {"person": (1, 3), "phone": (1, 2)}
        self.cast = {
            key: rng.sample(pool, min(len(pool), rng.randint(*sizes.get(key, (1, 1)))))
            for key, pool in self.pool.items()
        }
        self.decks = {}
        questions = rng.sample(data.QUESTIONS[theme], rng.randint(2, 4))
        info = task_svc.create_task(
            self.ws,
            task_svc.TaskDraft(
                title=rng.choice(data.TITLES[theme]).format_map(self.story),
                requester=f"{rng.choice(data.REQUESTERS)}, {rng.choice(data.UNITS)}",
                thematic=theme,
                priority=plan.priority,
                due_date=plan.due,
                research_questions="\n".join(
                    f"{i}. {q.format_map(self.story)}" for i, q in enumerate(questions, 1)
                ),
                marking=plan.marking,
                gaps="" if plan.status is TaskStatus.NEW else self._text(rng.choice(data.GAPS))[0],
                tags=tuple(rng.sample(data.TAGS[theme], rng.randint(1, 2))),
            ),
            justification=JUSTIFICATION,
            # Finished work whose retention review has come round, so that View › Due for
            # review has something to show; the rest get the default period.
            **(
                {"review_on": self.today - dt.timedelta(days=rng.randint(3, 120))}
                if plan.status in (TaskStatus.COMPLETED, TaskStatus.CANCELLED)
                else {}
            ),
        )
        # Show a product's marking rising through what it cites: an OFFICIAL task whose
        # first finding rests on an OFFICIAL-SENSITIVE source.
        cross = not self.cross_marking_shown and plan.marking is OFFICIAL and plan.n_findings > 0
        self.cross_marking_shown |= cross
        source_ids = self._sources(info.id, plan, cross)
        self._findings(info.id, plan, source_ids, cross)
        self._walk(info.id, plan.status)
        return info

    def _sources(self, task_id: int, plan: _Plan, cross: bool) -> list[int]:
        rng, drafts, named = self.rng, [], []
        for i, kind in enumerate(plan.source_types):
            entries, reference = data.SOURCES[kind]
            evaluations, assessments, p_conditions, p_sensitive = data.GRADING[kind]
            handling = HandlingCode.C if rng.random() < p_conditions else HandlingCode.P
            conditions = rng.choice(data.CONDITIONS) if handling.needs_conditions else ""
            sensitive = rng.random() < p_sensitive or (cross and i == 0)
            title_template, description_template, *own = self._deal(kind, entries)
            title, in_title = self._text(title_template)
            description, in_text = self._text(description_template)
            reference = own[0] if own else reference
            drafts.append(
                source_svc.SourceDraft(
                    title=title,
                    source_type=kind,
                    evaluation=rng.choices(list(SourceEvaluation), evaluations)[0],
                    assessment=rng.choices(list(IntelligenceAssessment), assessments)[0],
                    handling=handling,
                    handling_conditions=conditions,
                    description=description,
                    reference=reference.format_map(self._fields()),
                    obtained_on=self.today - dt.timedelta(days=rng.randint(2, 300)),
                    marking=OS if sensitive else OFFICIAL,
                    tags=(rng.choice(data.TAGS[plan.thematic]),) if rng.random() < 0.2 else (),
                )
            )
            named.append(list({e.id: e for e in in_title + in_text}.values()))
        if not drafts:
            return []
        source_svc.create_sources(self.ws, task_id, drafts, justification=JUSTIFICATION)
        ids = [s.id for s in source_svc.list_sources(self.ws, task_id)]
        for source_id, entities in zip(ids, named, strict=True):
            self._mention(entities, source_id=source_id)
        return ids

    def _findings(self, task_id: int, plan: _Plan, source_ids: list[int], cross: bool) -> None:
        rng, items, named = self.rng, [], []
        relations = [LinkRelation.SUPPORTS, LinkRelation.CONTEXT, LinkRelation.CONTRADICTS]
        for i in range(plan.n_findings):
            text, in_text = self._text(self._deal(plan.thematic, data.FINDINGS[plan.thematic]))
            cited = rng.sample(source_ids, min(len(source_ids), rng.choice((1, 2, 2, 3))))
            if cross and i == 0 and source_ids[0] not in cited:
                cited[0] = source_ids[0]
            # The first source cited supports the finding; others may add context or disagree.
            links = [(cited[0], LinkRelation.SUPPORTS)]
            links += [(sid, rng.choices(relations, (5, 3, 2))[0]) for sid in cited[1:]]
            marking = OS if plan.marking is OS and rng.random() < 0.6 else OFFICIAL
            phia = rng.choices(list(data.PHIA_WEIGHTS), list(data.PHIA_WEIGHTS.values()))[0]
            tags = (rng.choice(data.TAGS[plan.thematic]),) if rng.random() < 0.3 else ()
            items.append((finding_svc.FindingDraft(text, phia, marking, tags), links))
            named.append(in_text)
            self.citations += len(links)
        if not items:
            return
        finding_svc.create_findings(self.ws, task_id, items, justification=JUSTIFICATION)
        ids = [f.id for f in finding_svc.list_findings(self.ws, task_id)]
        for finding_id, entities in zip(ids, named, strict=True):
            self._mention(entities, finding_id=finding_id)

    def _walk(self, task_id: int, goal: TaskStatus) -> None:
        steps = _path(TaskStatus.NEW, goal)
        reviewed = goal in (TaskStatus.AWAITING_REVIEW, TaskStatus.COMPLETED)
        if reviewed and self.rng.random() < 0.3:  # review sends some work back once
            steps = _path(TaskStatus.NEW, TaskStatus.AWAITING_REVIEW)
            steps += _path(TaskStatus.AWAITING_REVIEW, TaskStatus.IN_PROGRESS)
            steps += _path(TaskStatus.IN_PROGRESS, goal)
        for before, step in zip([TaskStatus.NEW, *steps], steps, strict=False):
            back = before is TaskStatus.AWAITING_REVIEW and step is TaskStatus.IN_PROGRESS
            note = "review asked for more work" if back else data.STEP_NOTES.get(step, "moved")
            task_svc.update_task(
                self.ws, task_id, status=step, justification=f"{JUSTIFICATION}: {note}"
            )


def build_demo(
    ws: Workspace,
    *,
    seed: int = 2026,
    tasks: int = 8,
    sources: int = 60,
    findings: int = 40,
    entities: int = 30,
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
) -> DemoStats:
    """Fill ``ws`` with fictional tasks, graded sources, findings and entities.

    ``progress(done, total, message)`` is told after each step and last with ``done ==
    total``; ``cancel()`` returning True stops the build between tasks with ``DemoCancelled``
    (tasks written until then stay). Reproducible for a seed in a fresh workspace."""
    counts = {"tasks": tasks, "sources": sources, "findings": findings, "entities": entities}
    problems = [
        FieldError(k, f"{k.capitalize()} cannot be negative.") for k, v in counts.items() if v < 0
    ]
    if sources > 0 and tasks == 0:
        problems.append(FieldError("tasks", "Sources need at least one task."))
    if findings > 0 and sources == 0:
        problems.append(FieldError("sources", "Findings need at least one source to cite."))
    if problems:
        raise ValidationError(problems)

    report = progress or (lambda done, total, message: None)
    stopped = cancel or (lambda: False)
    total, done = entities + tasks + sources + findings, 0
    rng, today = random.Random(seed), dt.date.today()

    report(done, total, "Creating entities")
    if stopped():
        raise DemoCancelled("The demo build was cancelled before anything was written.")
    pool = [
        entity_svc.create_entity(ws, draft, justification=JUSTIFICATION)
        for draft in _entity_drafts(rng, entities)
    ]
    done += len(pool)
    report(done, total, f"{len(pool)} entities created")

    writer = _Writer(ws, rng, today, pool)
    plans = _plan(rng, today, tasks, sources, findings)
    for n, plan in enumerate(plans, 1):
        if stopped():
            raise DemoCancelled(f"The demo build was cancelled after {n - 1} of {tasks} tasks.")
        info = writer.task(plan)
        done += 1 + plan.n_sources + plan.n_findings
        what = (
            f"{info.reference}: {_plural(plan.n_sources, 'source')}, "
            f"{_plural(plan.n_findings, 'finding')}"
        )
        report(done, total, what if n < len(plans) else f"Demo ready ({what})")
    return DemoStats(
        tasks=len(plans),
        sources=sum(p.n_sources for p in plans),
        findings=sum(p.n_findings for p in plans),
        entities=len(pool),
        citations=writer.citations,
        mentions=writer.mentions,
    )


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
