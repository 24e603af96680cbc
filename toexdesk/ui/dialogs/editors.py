"""Editors for tasks and sources. Opening an existing record reads it through the service's
``get_*``, so the opening is logged as a consultation."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from toexdesk.core.enums import (
    STATUS_TRANSITIONS,
    HandlingCode,
    IntelligenceAssessment,
    Marking,
    Priority,
    SourceEvaluation,
    SourceType,
    TaskStatus,
    Thematic,
)
from toexdesk.core.services import sources as source_svc
from toexdesk.core.services import tasks as task_svc
from toexdesk.core.services import workspace as workspace_svc
from toexdesk.core.store.engine import Workspace
from toexdesk.ui.dialogs.editor_base import OptionalDate, RecordEditor, combo, select
from toexdesk.ui.widgets.tags import TagEdit


def marking_combo():
    return combo(
        "Protective marking",
        Marking,
        lambda m: m.label,
        lambda m: "The Government Security Classification of this record",
    )


class TaskEditor(RecordEditor):
    def __init__(
        self,
        ws: Workspace,
        task_id: int | None = None,
        parent: QWidget | None = None,
        *,
        marking: Marking = Marking.OFFICIAL,
    ):
        self.ws, self.task_id = ws, task_id
        current = task_svc.get_task(ws, task_id) if task_id is not None else None
        super().__init__(f"Task {current.reference}" if current else "New task", parent)
        self.title = self.field("title", "&Title:", self.line())
        self.requester = self.field(
            "requester",
            "Re&quester:",
            self.line(),
            "The analyst or supervisor who asked for this research",
        )
        self.thematic = self.field(
            "thematic", "T&hematic:", combo("Thematic", Thematic, lambda t: t.label)
        )
        self.priority = self.field(
            "priority", "&Priority:", combo("Priority", Priority, lambda p: p.label)
        )
        select(self.priority, Priority.P3)
        self.due = self.field("due_date", "&Due:", OptionalDate("Due date", "Has a due date"))
        self.marking = self.field("marking", "&Marking:", marking_combo())
        select(self.marking, marking)  # the default for new records (a setting)
        self.questions = self.field(
            "research_questions", "Research &questions:", self.text_box(lines=4)
        )
        self.gaps = self.field(
            "gaps",
            "&Gaps / further research:",
            self.text_box(lines=3),
            "What the research could not answer, and where to look next",
        )
        self.tags = self.field("tags", "T&ags:", TagEdit(workspace_svc.tag_names(ws)))
        self.status = None
        if current is not None:
            allowed = [
                current.status,
                *sorted(STATUS_TRANSITIONS[current.status], key=list(TaskStatus).index),
            ]
            self.status = self.field(
                "status", "&Status:", combo("Status", allowed, lambda s: s.label)
            )
            self.title.setText(current.title)
            self.requester.setText(current.requester)
            select(self.thematic, current.thematic)
            select(self.priority, current.priority)
            self.due.set_value(current.due_date)
            select(self.marking, current.marking)
            self.questions.setPlainText(current.research_questions)
            self.gaps.setPlainText(current.gaps)
            self.tags.set_tags(current.tags)

    def save(self):
        values = dict(
            title=self.title.text(),
            requester=self.requester.text(),
            thematic=self.thematic.currentData(),
            priority=self.priority.currentData(),
            due_date=self.due.value(),
            marking=self.marking.currentData(),
            research_questions=self.questions.toPlainText(),
            gaps=self.gaps.toPlainText(),
            tags=self.tags.tags(),
        )
        if self.task_id is None:
            return task_svc.create_task(self.ws, task_svc.TaskDraft(**values))
        return task_svc.update_task(
            self.ws, self.task_id, status=self.status.currentData(), **values
        )


class SourceEditor(RecordEditor):
    def __init__(
        self,
        ws: Workspace,
        task_id: int,
        source_id: int | None = None,
        parent: QWidget | None = None,
        *,
        marking: Marking = Marking.OFFICIAL,
    ):
        self.ws, self.task_id, self.source_id = ws, task_id, source_id
        current = source_svc.get_source(ws, source_id) if source_id is not None else None
        title = f"Source {current.task_reference}/{current.label}" if current else "New source"
        super().__init__(title, parent)
        self.title = self.field("title", "&Title:", self.line())
        self.kind = self.field(
            "source_type", "T&ype:", combo("Source type", SourceType, lambda t: t.label)
        )
        self.evaluation = self.field(
            "evaluation",
            "Source &evaluation:",
            combo(
                "Source evaluation",
                SourceEvaluation,
                lambda e: f"{e.code} – {e.label}",
                lambda e: f"3x5x2 source evaluation {e.code}: {e.label}",
            ),
        )
        self.assessment = self.field(
            "assessment",
            "&Intelligence assessment:",
            combo(
                "Intelligence assessment",
                IntelligenceAssessment,
                lambda a: f"{a.code} – {a.label}",
                lambda a: f"3x5x2 intelligence assessment {a.code}: {a.label}",
            ),
        )
        self.handling = self.field(
            "handling",
            "&Handling code:",
            combo(
                "Handling code",
                HandlingCode,
                lambda h: f"{h.code} – {h.label}",
                lambda h: f"3x5x2 handling code {h.code}: {h.label}",
            ),
        )
        self.conditions = self.field(
            "handling_conditions",
            "Handling c&onditions:",
            self.text_box(lines=3),
            "Required with handling code C: who may receive it and on what terms",
        )
        self.reference = self.field("reference", "&Reference / URL:", self.line())
        self.obtained = self.field(
            "obtained_on", "&Date obtained:", OptionalDate("Date obtained", "Has a date obtained")
        )
        self.marking = self.field("marking", "&Marking:", marking_combo())
        select(self.marking, marking)  # the default for new records (a setting)
        self.description = self.field("description", "De&scription:", self.text_box())
        self.tags = self.field("tags", "T&ags:", TagEdit(workspace_svc.tag_names(ws)))
        self.handling.currentIndexChanged.connect(self._handling_changed)
        if current is not None:
            self.title.setText(current.title)
            select(self.kind, current.source_type)
            select(self.evaluation, current.evaluation)
            select(self.assessment, current.assessment)
            select(self.handling, current.handling)
            self.conditions.setPlainText(current.handling_conditions)
            self.reference.setText(current.reference)
            self.obtained.set_value(current.obtained_on)
            select(self.marking, current.marking)
            self.description.setPlainText(current.description)
            self.tags.set_tags(current.tags)
        self._handling_changed()

    def _handling_changed(self, *_args) -> None:
        needs = self.handling.currentData() is HandlingCode.C
        self.conditions.setEnabled(needs)
        self.conditions.setPlaceholderText(
            "Required for handling code C" if needs else "Only with handling code C"
        )

    def save(self):
        values = dict(
            title=self.title.text(),
            source_type=self.kind.currentData(),
            evaluation=self.evaluation.currentData(),
            assessment=self.assessment.currentData(),
            handling=self.handling.currentData(),
            handling_conditions=(
                self.conditions.toPlainText() if self.conditions.isEnabled() else ""
            ),
            reference=self.reference.text(),
            obtained_on=self.obtained.value(),
            marking=self.marking.currentData(),
            description=self.description.toPlainText(),
            tags=self.tags.tags(),
        )
        if self.source_id is None:
            return source_svc.create_source(self.ws, self.task_id, source_svc.SourceDraft(**values))
        return source_svc.update_source(self.ws, self.source_id, **values)
