"""Editors for tasks and sources. Opening an existing record reads it through the service's
``get_*``, so the opening is logged as a consultation.

Both carry the record's MoPI review date ("no date" allowed); a new record's is prefilled
from the review period of its thematic (the settings of the window that opens the editor,
else the defaults)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from PySide6.QtWidgets import QPushButton, QWidget

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
from toexdesk.core.services import review as review_svc
from toexdesk.core.services import sources as source_svc
from toexdesk.core.services import tasks as task_svc
from toexdesk.core.services import workspace as workspace_svc
from toexdesk.core.store.engine import Workspace
from toexdesk.ui.dialogs.editor_base import OptionalDate, RecordEditor, combo, select
from toexdesk.ui.widgets.tags import TagEdit


def _review_months(parent: QWidget | None, months: Mapping[str, int] | None):
    """The review periods to prefill with: given, else the opening window's settings."""
    if months is not None:
        return months
    return getattr(getattr(parent, "settings", None), "review_months", None)


def review_field() -> OptionalDate:
    return OptionalDate("Review date", "Has a review date")


REVIEW_TIP = "When this record must next be reviewed for retention (MoPI); untick for no date"


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
        review_months: Mapping[str, int] | None = None,
    ):
        self.ws, self.task_id = ws, task_id
        self._months = _review_months(parent, review_months)
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
        self.review = self.field("review_on", "Re&view date:", review_field(), REVIEW_TIP)
        self._auto_review: dt.date | None = None
        if current is None:
            self._thematic_changed()
            self.thematic.currentIndexChanged.connect(self._thematic_changed)
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
        self.status = self.status_reason = None
        if current is not None:
            allowed = [
                current.status,
                *sorted(STATUS_TRANSITIONS[current.status], key=list(TaskStatus).index),
            ]
            self.status = self.field(
                "status", "&Status:", combo("Status", allowed, lambda s: s.label)
            )
            self.status_reason = self.field(
                "justification",
                "Status reaso&n:",
                self.line(),
                "Why the status changes: the research log keeps it as the decision's reason",
            )
            self.log_button = self.field(
                "research_log",
                "Research log:",
                QPushButton("Open the research &log…"),
                "Searches run, systems checked and decisions taken for this task",
            )
            self.log_button.clicked.connect(self.show_research_log)
            self.title.setText(current.title)
            self.requester.setText(current.requester)
            select(self.thematic, current.thematic)
            select(self.priority, current.priority)
            self.due.set_value(current.due_date)
            select(self.marking, current.marking)
            self.review.set_value(current.review_on)
            self.questions.setPlainText(current.research_questions)
            self.gaps.setPlainText(current.gaps)
            self.tags.set_tags(current.tags)

    def _thematic_changed(self, *_args) -> None:
        """A new task's review date follows its thematic until the researcher sets it."""
        if self.review.value() != self._auto_review and self._auto_review is not None:
            return
        self._auto_review = review_svc.default_review_date(
            self.thematic.currentData(), self._months
        )
        self.review.set_value(self._auto_review)

    def show_research_log(self) -> None:
        from toexdesk.ui.dialogs.research_log import ResearchLogDialog

        ResearchLogDialog(
            self.ws, self.task_id, self.windowTitle().removeprefix("Task "), self
        ).exec()

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
            return task_svc.create_task(
                self.ws, task_svc.TaskDraft(**values), review_on=self.review.value()
            )
        return task_svc.update_task(
            self.ws,
            self.task_id,
            status=self.status.currentData(),
            review_on=self.review.value(),
            justification=self.status_reason.text().strip(),
            **values,
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
        review_months: Mapping[str, int] | None = None,
    ):
        self.ws, self.task_id, self.source_id = ws, task_id, source_id
        months = _review_months(parent, review_months)
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
        self.review = self.field("review_on", "Re&view date:", review_field(), REVIEW_TIP)
        if current is None:
            keys = task_svc.task_keys(ws, [task_id])  # the task's thematic; not a consultation
            if keys:
                self.review.set_value(review_svc.default_review_date(keys[0].thematic, months))
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
            self.review.set_value(current.review_on)
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
        review_on = self.review.value()
        if self.source_id is None:
            draft = source_svc.SourceDraft(**values)
            return source_svc.create_source(self.ws, self.task_id, draft, review_on=review_on)
        return source_svc.update_source(self.ws, self.source_id, review_on=review_on, **values)
