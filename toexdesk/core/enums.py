"""Reference data of the research domain, with the official wording as display text.

Values are what the database stores (short, stable codes); ``label`` is what people read.
"""

from __future__ import annotations

import enum


class _Coded(enum.Enum):
    """An enum whose value is the stored code and which carries display text."""

    def __new__(cls, code: str, label: str, *extra):
        obj = object.__new__(cls)
        obj._value_ = code
        obj.label = label
        for name, value in zip(cls._extra_fields(), extra, strict=True):
            setattr(obj, name, value)
        return obj

    @classmethod
    def _extra_fields(cls) -> tuple[str, ...]:
        return ()

    @property
    def code(self) -> str:
        return self.value

    @classmethod
    def parse(cls, text: str | _Coded) -> _Coded:
        """Accept the code, the member name or the label, case-insensitively."""
        if isinstance(text, cls):
            return text
        wanted = str(text).strip().casefold()
        for member in cls:
            if wanted in (member.value.casefold(), member.name.casefold(), member.label.casefold()):
                return member
        choices = ", ".join(m.value for m in cls)
        raise ValueError(f"{text!r} is not a {cls.__doc__.splitlines()[0].rstrip('.')} ({choices})")

    def __str__(self) -> str:
        return self.label


class SourceEvaluation(_Coded):
    """3x5x2 source evaluation."""

    RELIABLE = ("1", "Reliable")
    UNTESTED = ("2", "Untested")
    NOT_RELIABLE = ("3", "Not reliable")


class IntelligenceAssessment(_Coded):
    """3x5x2 intelligence assessment."""

    A = ("A", "Known directly to the source")
    B = ("B", "Known indirectly to the source but corroborated")
    C = ("C", "Known indirectly to the source")
    D = ("D", "Not known")
    E = ("E", "Suspected to be false or malicious")


class HandlingCode(_Coded):
    """3x5x2 handling code."""

    P = ("P", "Lawful sharing permitted")
    C = ("C", "Lawful sharing permitted subject to conditions")

    @property
    def needs_conditions(self) -> bool:
        return self is HandlingCode.C


class Phia(_Coded):
    """PHIA probability yardstick term."""

    REMOTE_CHANCE = ("remote_chance", "Remote chance", 0, 5)
    HIGHLY_UNLIKELY = ("highly_unlikely", "Highly unlikely", 10, 20)
    UNLIKELY = ("unlikely", "Unlikely", 25, 35)
    REALISTIC_POSSIBILITY = ("realistic_possibility", "Realistic possibility", 40, 50)
    LIKELY = ("likely", "Likely or probable", 55, 75)
    HIGHLY_LIKELY = ("highly_likely", "Highly likely", 80, 90)
    ALMOST_CERTAIN = ("almost_certain", "Almost certain", 95, 100)

    @classmethod
    def _extra_fields(cls) -> tuple[str, ...]:
        return ("low", "high")

    @property
    def range_text(self) -> str:
        return f"≈{self.low}–{self.high} %"


class Marking(_Coded):
    """Government Security Classification."""

    OFFICIAL = ("OFFICIAL", "OFFICIAL", 1)
    OFFICIAL_SENSITIVE = ("OFFICIAL-SENSITIVE", "OFFICIAL-SENSITIVE", 2)
    SECRET = ("SECRET", "SECRET", 3)
    TOP_SECRET = ("TOP SECRET", "TOP SECRET", 4)

    @classmethod
    def _extra_fields(cls) -> tuple[str, ...]:
        return ("rank",)

    @classmethod
    def highest(cls, markings) -> Marking:
        """The highest of the given markings; OFFICIAL when there are none."""
        return max((cls.parse(m) for m in markings), key=lambda m: m.rank, default=cls.OFFICIAL)


class TaskStatus(_Coded):
    """Task status."""

    NEW = ("new", "New")
    IN_PROGRESS = ("in_progress", "In progress")
    AWAITING_REVIEW = ("awaiting_review", "Awaiting review")
    COMPLETED = ("completed", "Completed")
    CANCELLED = ("cancelled", "Cancelled")

    @property
    def is_open(self) -> bool:
        return self not in (TaskStatus.COMPLETED, TaskStatus.CANCELLED)


# new → in progress → awaiting review → completed / cancelled; review can send work back,
# and a task can be cancelled at any open stage. Closed tasks can be reopened to in progress.
STATUS_TRANSITIONS: dict[TaskStatus, frozenset[TaskStatus]] = {
    TaskStatus.NEW: frozenset({TaskStatus.IN_PROGRESS, TaskStatus.CANCELLED}),
    TaskStatus.IN_PROGRESS: frozenset({TaskStatus.AWAITING_REVIEW, TaskStatus.CANCELLED}),
    TaskStatus.AWAITING_REVIEW: frozenset(
        {TaskStatus.COMPLETED, TaskStatus.IN_PROGRESS, TaskStatus.CANCELLED}
    ),
    TaskStatus.COMPLETED: frozenset({TaskStatus.IN_PROGRESS}),
    TaskStatus.CANCELLED: frozenset({TaskStatus.IN_PROGRESS}),
}


class Priority(_Coded):
    """Task priority."""

    P1 = ("P1", "P1 – urgent")
    P2 = ("P2", "P2 – high")
    P3 = ("P3", "P3 – routine")
    P4 = ("P4", "P4 – low")


class Thematic(_Coded):
    """Programme thematic."""

    COUNTY_LINES = ("county_lines", "County lines")
    MODERN_SLAVERY = ("modern_slavery", "Modern slavery and human trafficking")
    CHILD_EXPLOITATION = ("child_exploitation", "Child exploitation")
    OCG = ("ocg", "Organised crime group")
    OTHER = ("other", "Other")


class SourceType(_Coded):
    """Source type."""

    POLICE_SYSTEM = ("police_system", "Police system")
    PARTNER_AGENCY = ("partner_agency", "Partner agency")
    OPEN_SOURCE = ("open_source", "Open source")
    CLOSED_SOURCE = ("closed_source", "Closed source")
    HUMAN = ("human", "Human source")
    DOCUMENT = ("document", "Document")


class LinkRelation(_Coded):
    """How a source bears on a finding."""

    SUPPORTS = ("supports", "Supports")
    CONTRADICTS = ("contradicts", "Contradicts")
    CONTEXT = ("context", "Context")


class EntityKind(_Coded):
    """Entity kind."""

    PERSON = ("person", "Person")
    ORGANISATION = ("organisation", "Organisation")
    LOCATION = ("location", "Location")
    PHONE = ("phone", "Phone")
    VEHICLE = ("vehicle", "Vehicle")
    ONLINE_ACCOUNT = ("online_account", "Online account")
    BANK_ACCOUNT = ("bank_account", "Bank account")


class ExtractionStatus(_Coded):
    """Text extraction status of an attachment."""

    PENDING = ("pending", "Not extracted yet")
    OK = ("ok", "Text extracted")
    FAILED = ("failed", "No text extracted")


class AuditAction(_Coded):
    """Audit action (DPA 2018 s.62 logging)."""

    COLLECTION = ("collection", "Collection")
    ALTERATION = ("alteration", "Alteration")
    CONSULTATION = ("consultation", "Consultation")
    DISCLOSURE = ("disclosure", "Disclosure")
    COMBINATION = ("combination", "Combination")
    ERASURE = ("erasure", "Erasure")


def grading_code(
    evaluation: SourceEvaluation, assessment: IntelligenceAssessment, handling: HandlingCode
) -> str:
    """The compact 3x5x2 code as analysts write it, e.g. ``1/B/P``."""
    return f"{evaluation.code}/{assessment.code}/{handling.code}"


class LogKind(_Coded):
    """Research log entry kind."""

    SEARCH = ("search", "Search run")
    SYSTEM_CHECK = ("system_check", "System checked")
    DECISION = ("decision", "Decision")


class CheckOutcome(_Coded):
    """Result of a check."""

    FOUND = ("found", "Material found")
    NIL_RETURN = ("nil", "Nil return")
    NOT_APPLICABLE = ("n/a", "Not applicable")


class ScheduleItemKind(_Coded):
    """What an unused-material schedule item lists."""

    SOURCE = ("source", "Source")
    LOG_ENTRY = ("log", "Research log entry")
